import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { dynamoDbClient, s3Client } from '../../adapters/aws/clients';
import { compileEntity, type CompiledEntity } from '../../core/migration';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import { copyBatch, parseBatch, type BatchResult } from './worker';

/*
 * The worker of the Distributed Map backfill (lib/constructs/backfill-distributed-map.ts): one invocation
 * copies one batch of the export's files into the entity's service table and returns its counts and
 * rejects. Env: EXPORT_BUCKET (the bucket the files are in), CUTOVER_SPEC_JSON (the bundled spec).
 */
const logger = new Logger('backfill-worker');
let s3: S3Client | undefined;
let dynamo: DynamoDBClient | undefined;
const compiled = new Map<string, CompiledEntity>();

function entityOf(name: string): CompiledEntity | undefined {
  const def = loadSpec().migration?.entities[name];
  if (!def) return undefined;
  let e = compiled.get(name);
  if (!e) compiled.set(name, (e = compileEntity(name, def)));
  return e;
}

export async function handler(event: unknown): Promise<BatchResult> {
  const batch = parseBatch(event);
  s3 ??= s3Client();
  dynamo ??= dynamoDbClient();
  const result = await copyBatch(batch, { bucket: requireEnv('EXPORT_BUCKET'), s3, dynamo, entity: entityOf });
  logger.info('batch copied', {
    entity: result.entity,
    files: result.files,
    rows: result.rows,
    items: result.items,
    rejected: result.rejected,
  });
  return result;
}
