import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compileEntity, type CompiledEntity } from '../../core/migration';
import type { SqlSource } from '../../adapters/sql/sql-source';
import { openSource } from '../../adapters/sql/url';
import { dynamoDbClient, eventBridgeClient } from '../../adapters/aws/clients';
import { forgetSourceUrl, readSourceUrl } from '../../adapters/aws/secrets';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import { DynamoSweepStore, validateSample, type ValidationRun } from './validator';
import { ConfigurationError } from '../../core/errors';
import type { EnvName } from '../../core/contract';
import { ENV } from '../../core/contract';

/*
 * Continuous validation, run on a schedule: checks a rolling sample of each migrated entity against its
 * service table and puts `consistency.divergence` on the services bus for every real difference (rows
 * changed within the lag are in flight, not divergent).
 *
 * Env: SOURCE_SECRET_ARN (the secret with the monolith's URL, postgres:// or mysql://: read from Secrets
 * Manager at every run, never from the environment), MIGRATION_TABLES (JSON entity -> table),
 * SWEEP_TABLE_NAME, SERVICES_BUS_NAME; optional VALIDATE_ENTITIES (comma list, default: every entity),
 * SAMPLE_SIZE (rows per entity per run, 7000),
 * LAG_SECONDS (default: each entity's verify.lagSeconds, else 60), LOOKBACK_SECONDS (900), MAX_EVENTS (100).
 */
let dynamo: DynamoDBClient | undefined;
const logger = new Logger('consistency-validator');

function positive(name: EnvName, fallback: string): number {
  const v = Number(optionalEnv(name, fallback));
  if (!Number.isInteger(v) || v < 0)
    throw new ConfigurationError(`environment variable ${name} must be a whole number >= 0, got ${JSON.stringify(process.env[name])}`, {
      setting: name,
    });
  return v;
}

export function entitiesToValidate(): CompiledEntity[] {
  const spec = loadSpec();
  if (!spec.migration)
    throw new ConfigurationError('the spec has no migration section: there is nothing to validate', { setting: 'spec.migration' });
  const all = Object.keys(spec.migration.entities);
  const wanted = optionalEnv('VALIDATE_ENTITIES', all.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted)
    if (!all.includes(w))
      throw new ConfigurationError(
        `VALIDATE_ENTITIES names ${JSON.stringify(w)}, which is not an entity of the spec (there are: ${all.join(', ')})`,
        { setting: 'VALIDATE_ENTITIES' },
      );
  return wanted.map((name) => compileEntity(name, spec.migration!.entities[name]));
}

/** One pass; `open` turns the secret's URL into a source (tests hand in one over an in-process database). */
export async function runValidation(
  open: (url: string) => Promise<SqlSource> = (url) => openSource(url, { connections: 2 }),
): Promise<ValidationRun> {
  dynamo ??= dynamoDbClient();
  const secretId = requireEnv('SOURCE_SECRET_ARN');
  // Read anew each run: a rotated secret, or one pointed at another database, takes effect at the next run.
  forgetSourceUrl(secretId);
  const source = await open(await readSourceUrl(secretId));
  try {
    return await validateSample(source, {
      entities: entitiesToValidate(),
      tables: JSON.parse(requireEnv('MIGRATION_TABLES')) as Record<string, string>,
      dynamo,
      events: eventBridgeClient(),
      busName: requireEnv('SERVICES_BUS_NAME'),
      sweeps: new DynamoSweepStore(dynamo, requireEnv('SWEEP_TABLE_NAME')),
      sampleSize: Math.max(2, positive('SAMPLE_SIZE', '7000')),
      lagSeconds: process.env[ENV.lagSeconds] ? positive('LAG_SECONDS', '60') : undefined,
      lookbackSeconds: positive('LOOKBACK_SECONDS', '900'),
      maxEvents: positive('MAX_EVENTS', '100'),
      logger,
    });
  } finally {
    await source.close();
  }
}

export async function handler(): Promise<ValidationRun> {
  return runValidation();
}
