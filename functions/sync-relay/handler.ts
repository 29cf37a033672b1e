import { sqsClient } from '../../adapters/aws/clients';
import { groupKeyFunction } from '../../core/capture/groups';
import { forgetSourceUrl, readSourceUrl } from '../../adapters/aws/secrets';
import { openCaptureDatabase } from '../../adapters/sql/capture/database';
import { ChangeRelay, type RunReport } from '../../adapters/sql/capture/relay';
import { SqsFifoSink } from '../../adapters/sql/capture/sqs-sink';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import type { EnvName } from '../../core/contract';

/*
 * The relay, run on a schedule: takes the lease on the source's change table (only one relay reads it at a
 * time), polls it every POLL_INTERVAL_MS for up to MAX_DURATION_MS, ships changes in commit order to the
 * SQS FIFO queue (group = entity key, dedup = change id) and moves the watermark after each shipped batch.
 * A crash or a timeout resumes after the watermark on the next invocation.
 *
 * Env: SOURCE_SECRET_ARN, CHANGES_QUEUE_URL; optional CAPTURE_PREFIX, MAX_DURATION_MS (50000),
 * POLL_INTERVAL_MS (100), BATCH_SIZE (500).
 */
const logger = new Logger('sync-relay');

function whole(name: EnvName, fallback: string): number {
  const v = Number(optionalEnv(name, fallback));
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`environment variable ${name} must be a whole number >= 1, got ${JSON.stringify(process.env[name])}`);
  return v;
}

export async function handler(): Promise<RunReport> {
  const spec = loadSpec();
  if (!spec.sync || !spec.migration) throw new Error('the spec has no sync section: there is nothing to relay');
  // Read the secret on every run (once a minute): a rotated password or a repointed monolith is picked up
  // by the next run, not the next cold start.
  forgetSourceUrl(requireEnv('SOURCE_SECRET_ARN'));
  const db = await openCaptureDatabase(await readSourceUrl(requireEnv('SOURCE_SECRET_ARN')), { connections: 1 });
  try {
    const entities = Object.keys(spec.sync.entities);
    const sink = new SqsFifoSink({
      client: sqsClient(),
      queueUrl: requireEnv('CHANGES_QUEUE_URL'),
      groupKey: groupKeyFunction(spec.migration, entities),
    });
    const relay = new ChangeRelay(db, sink, {
      source: spec.sync.source,
      prefix: optionalEnv('CAPTURE_PREFIX', ''),
      batchSize: whole('BATCH_SIZE', '500'),
    });
    const report = await relay.run({
      maxDurationMs: whole('MAX_DURATION_MS', '50000'),
      pollIntervalMs: whole('POLL_INTERVAL_MS', '100'),
      onError: (err) => logger.error('relay pass failed; retrying', { error: err }),
    });
    logger.info('relay run', { ...report });
    return report;
  } finally {
    await db.close();
  }
}
