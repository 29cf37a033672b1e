import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { sqsClient } from '../../adapters/aws/clients';
import { groupKeyFunction } from '../../core/capture/groups';
import { SYNC_METRIC_NAMESPACE, SYNC_METRIC_SERVICE, SYNC_METRICS } from '../../core/operations/metrics';
import { forgetSourceUrl, readSourceUrl } from '../../adapters/aws/secrets';
import { SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { openCaptureDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { ChangeRelay, relayStatus, type RunReport } from '../../adapters/sql/capture/relay';
import { SqsFifoSink } from '../../adapters/sql/capture/sqs-sink';
import type { ChangeSink } from '../../core/sync/change';
import type { Spec } from '../../core/spec';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import type { MetricsSink } from '../shared/metrics-sink';
import { loadSpec } from '../shared/spec';
import type { EnvName } from '../../core/contract';

/*
 * The relay, run on a schedule: takes the lease on the source's change table (only one relay reads it at a
 * time), polls it every POLL_INTERVAL_MS for up to MAX_DURATION_MS, ships changes in commit order to the
 * SQS FIFO queue (group = entity key, dedup = change id) and moves the watermark after each shipped batch.
 * A crash or a timeout resumes after the watermark on the next invocation.
 *
 * Housekeeping: at most once per PURGE_EVERY_MINUTES (a warm function remembers the last purge; a cold
 * start purges once), shipped change rows older than RETAIN_MINUTES and the SQL writer's applied-change
 * keys older than APPLIED_RETAIN_MINUTES (the streams keep records 24 h; 48 h leaves a day of margin) are
 * deleted. After each run it publishes the relay lag, backlog, shipped and failed passes, and the open
 * conflicts of the ledger (Cutover/Sync, Powertools Metrics): the operations dashboard and sync-lag alarm
 * read them.
 *
 * Env: SOURCE_SECRET_ARN, CHANGES_QUEUE_URL; optional LEDGER_TABLE_NAME, CAPTURE_PREFIX, MAX_DURATION_MS
 * (50000), POLL_INTERVAL_MS (100), BATCH_SIZE (500), RETAIN_MINUTES (1440), APPLIED_RETAIN_MINUTES (2880),
 * PURGE_EVERY_MINUTES (15).
 */
const logger = new Logger('sync-relay');

function whole(name: EnvName, fallback: string): number {
  const v = Number(optionalEnv(name, fallback));
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`environment variable ${name} must be a whole number >= 1, got ${JSON.stringify(process.env[name])}`);
  return v;
}

export interface RelayHandlerDeps {
  readonly spec: Spec;
  readonly db: CaptureDatabase;
  readonly sink: ChangeSink;
  /** Counts open conflicts in the ledger. @default - no OpenConflicts metric */
  readonly openConflicts?: () => Promise<number>;
  readonly metrics: MetricsSink;
  readonly now?: () => Date;
}

/** When the last purge ran, kept across warm invocations so purges stay PURGE_EVERY_MINUTES apart. */
let lastPurgeAt = 0;

/** One relay run, its housekeeping, and the metrics of the run. */
export async function runRelay(d: RelayHandlerDeps, env: { lastPurgeAt: number } = { lastPurgeAt }): Promise<RunReport> {
  const sync = d.spec.sync!;
  const prefix = optionalEnv('CAPTURE_PREFIX', '');
  const relay = new ChangeRelay(d.db, d.sink, {
    source: sync.source,
    prefix,
    batchSize: whole('BATCH_SIZE', '500'),
    retainMs: whole('RETAIN_MINUTES', '1440') * 60_000,
    appliedRetainMs: whole('APPLIED_RETAIN_MINUTES', '2880') * 60_000,
    purgeIntervalMs: whole('PURGE_EVERY_MINUTES', '15') * 60_000,
  });
  const report = await relay.run({
    maxDurationMs: whole('MAX_DURATION_MS', '50000'),
    pollIntervalMs: whole('POLL_INTERVAL_MS', '100'),
    lastPurgeAt: env.lastPurgeAt,
    onError: (err) => logger.error('relay pass or purge failed; retrying', { error: err }),
  });
  env.lastPurgeAt = report.lastPurgeAt;
  logger.info('relay run', { ...report });

  d.metrics.addMetric(SYNC_METRICS.relayShipped, MetricUnit.Count, report.shipped);
  d.metrics.addMetric(SYNC_METRICS.relayErrors, MetricUnit.Count, report.sinkFailures);
  // A relay that stood by (another holds the lease) reports no lag: the holder does.
  if (!report.standby) {
    try {
      const status = await relayStatus(d.db, { name: sync.source, prefix });
      const now = (d.now?.() ?? new Date()).getTime();
      const lag = status.oldestUnshippedAt ? Math.max(0, (now - Date.parse(status.oldestUnshippedAt)) / 1000) : 0;
      d.metrics.addMetric(SYNC_METRICS.relayLagSeconds, MetricUnit.Seconds, lag);
      d.metrics.addMetric(SYNC_METRICS.relayBacklog, MetricUnit.Count, status.backlog);
    } catch (err) {
      logger.error('reading the relay status failed; no lag metric this run', { error: err });
    }
  }
  if (d.openConflicts) {
    try {
      d.metrics.addMetric(SYNC_METRICS.openConflicts, MetricUnit.Count, await d.openConflicts());
    } catch (err) {
      logger.error('counting open conflicts failed; no OpenConflicts metric this run', { error: err });
    }
  }
  d.metrics.publishStoredMetrics();
  return report;
}

export async function handler(): Promise<RunReport> {
  const spec = loadSpec();
  if (!spec.sync || !spec.migration) throw new Error('the spec has no sync section: there is nothing to relay');
  // Read the secret on every run (once a minute): a rotated password or a repointed monolith is picked up
  // by the next run, not the next cold start.
  forgetSourceUrl(requireEnv('SOURCE_SECRET_ARN'));
  const db = await openCaptureDatabase(await readSourceUrl(requireEnv('SOURCE_SECRET_ARN')), { connections: 1 });
  try {
    const ledgerTable = optionalEnv('LEDGER_TABLE_NAME', '');
    const ledger = ledgerTable ? new SyncLedgerStore({ tableName: ledgerTable }) : undefined;
    const env = { lastPurgeAt };
    const report = await runRelay(
      {
        spec,
        db,
        sink: new SqsFifoSink({
          client: sqsClient(),
          queueUrl: requireEnv('CHANGES_QUEUE_URL'),
          groupKey: groupKeyFunction(spec.migration, Object.keys(spec.sync.entities)),
        }),
        openConflicts: ledger
          ? async () => {
              let n = 0;
              for await (const _ of ledger.list('open')) n++;
              return n;
            }
          : undefined,
        metrics: new Metrics({ namespace: SYNC_METRIC_NAMESPACE, serviceName: SYNC_METRIC_SERVICE }),
      },
      env,
    );
    lastPurgeAt = env.lastPurgeAt;
    return report;
  } finally {
    await db.close();
  }
}
