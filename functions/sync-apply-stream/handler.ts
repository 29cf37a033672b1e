import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SYNC_METRIC_NAMESPACE, SYNC_METRIC_SERVICE, SYNC_METRICS } from '../../core/operations/metrics';
import type { SqlRowWriter } from '../../core/sync/change';
import { SyncCatalog } from '../../core/sync/catalog';
import { applyInGroupOrder } from '../../core/sync/batch';
import { StreamApplier, type StreamChange } from '../../adapters/dynamodb/sync-stream-applier';
import { SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { SyncStateStore } from '../../adapters/dynamodb/sync-state-store';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { ConflictNotifier } from '../../adapters/aws/sync-notifier';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { forgetSourceUrl, readSourceUrl } from '../../adapters/aws/secrets';
import { openCaptureDatabase } from '../../adapters/sql/capture/database';
import { SqlChangeWriter } from '../../adapters/sql/capture/sql-writer';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import type { MetricsSink } from '../shared/metrics-sink';
import { loadSpec } from '../shared/spec';

/*
 * Services -> monolith: DynamoDB Streams (NEW_AND_OLD_IMAGES) of the service tables -> this applier -> the
 * monolith row, through the SQL writer (one transaction per change, tagged origin `sync` so the capture
 * trigger never ships it back).
 *
 * Env: SOURCE_SECRET_ARN (the monolith URL lives in Secrets Manager, never in the environment),
 * TABLE_NAMES (JSON logical -> deployed), LEDGER_TABLE_NAME, STATE_TABLE_NAME, SERVICES_BUS_NAME;
 * optional AUDIT_TABLE_NAME, CAPTURE_PREFIX.
 */
const logger = new Logger('sync-apply-stream');
let applier: Pick<StreamApplier, 'apply'> | undefined;
/** Closes the connection of an applier this module built (none for one a test handed in). */
let closeBuilt: (() => Promise<void>) | undefined;

async function defaults(): Promise<StreamApplier> {
  const spec = loadSpec();
  if (!spec.sync || !spec.migration) throw new Error('the spec has no sync section: there is nothing to apply');
  const url = await readSourceUrl(requireEnv('SOURCE_SECRET_ARN'));
  const db = await openCaptureDatabase(url, { connections: 2 });
  closeBuilt = () => db.close();
  const writer: SqlRowWriter = new SqlChangeWriter(db, { prefix: optionalEnv('CAPTURE_PREFIX', '') });
  const auditTable = optionalEnv('AUDIT_TABLE_NAME', '');
  return new StreamApplier({
    catalog: new SyncCatalog(spec.sync, spec.migration.entities),
    tableNames: JSON.parse(requireEnv('TABLE_NAMES')) as Record<string, string>,
    state: new SyncStateStore({ tableName: requireEnv('STATE_TABLE_NAME') }),
    notifier: new ConflictNotifier({
      ledger: new SyncLedgerStore({ tableName: requireEnv('LEDGER_TABLE_NAME') }),
      ...(auditTable ? { audit: new AuditStore({ tableName: auditTable }) } : {}),
      events: { client: eventBridgeClient(), busName: requireEnv('SERVICES_BUS_NAME') },
      logger,
    }),
    writer,
  });
}

const metrics = new Metrics({ namespace: SYNC_METRIC_NAMESPACE, serviceName: SYNC_METRIC_SERVICE });

/** Applies a batch in order per item key; a failed record and the later ones of its key are retried. */
export async function handleStream(
  event: DynamoDBStreamEvent,
  a: Pick<StreamApplier, 'apply'>,
  m?: MetricsSink,
): Promise<DynamoDBBatchResponse> {
  const failed = await applyInGroupOrder(
    event.Records,
    (r) => `${r.eventSourceARN}|${JSON.stringify(r.dynamodb?.Keys ?? {})}`,
    async (r) => {
      const out = await a.apply(r as StreamChange);
      if (out.status === 'unmapped') logger.warn('stream record of no synced entity', { arn: r.eventSourceARN, keys: r.dynamodb?.Keys });
    },
    (r, err) =>
      logger.error('stream record failed; it and the rest of its key are retried', { sequence: r.dynamodb?.SequenceNumber, error: err }),
  );
  // Streams checkpoint at the lowest failed sequence number: everything from there is redelivered, and the
  // applier recognises what it already applied by position.
  if (m) {
    m.addDimension('Direction', 'toMonolith');
    m.addMetric(SYNC_METRICS.applyErrors, MetricUnit.Count, failed.length);
    m.publishStoredMetrics();
  }
  const first = failed[0];
  return { batchItemFailures: first ? [{ itemIdentifier: first.dynamodb?.SequenceNumber ?? '' }] : [] };
}

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  applier ??= await defaults();
  const res = await handleStream(event, applier, metrics);
  if (res.batchItemFailures.length > 0 && closeBuilt) {
    // A warm function keeps its connection: after a failure, read the secret again on the next batch, so a
    // rotated password or a monolith URL changed in the secret is picked up without a cold start.
    const close = closeBuilt;
    closeBuilt = undefined;
    applier = undefined;
    forgetSourceUrl(requireEnv('SOURCE_SECRET_ARN'));
    await close().catch((err: unknown) => logger.warn('closing the monolith connection failed', { error: err }));
  }
  return res;
}

/** For tests: hand in the applier. */
export function setApplier(a: Pick<StreamApplier, 'apply'> | undefined): void {
  applier = a;
  closeBuilt = undefined;
}
