import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SYNC_METRIC_NAMESPACE, SYNC_METRIC_SERVICE, SYNC_METRICS } from '../../core/operations/metrics';
import type { RowChange } from '../../core/sync/change';
import { SyncCatalog } from '../../core/sync/catalog';
import { ItemApplier } from '../../adapters/dynamodb/sync-item-applier';
import { SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { SyncStateStore } from '../../adapters/dynamodb/sync-state-store';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { ConflictNotifier } from '../../adapters/aws/sync-notifier';
import { dynamoDbClient, eventBridgeClient, sqsClient } from '../../adapters/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import type { MetricsSink } from '../shared/metrics-sink';
import { loadSpec } from '../shared/spec';

/*
 * Monolith -> services: SQS FIFO (one group per entity key) -> this applier -> the service's DynamoDB
 * table. A row that cannot be mapped is sent to the rejects queue with the reason naming the column and
 * value and acknowledged: recorded, and the key is not blocked behind it.
 *
 * Env: TABLE_NAMES (JSON logical -> deployed), LEDGER_TABLE_NAME, STATE_TABLE_NAME, SERVICES_BUS_NAME,
 * REJECTS_QUEUE_URL; optional AUDIT_TABLE_NAME.
 */
const logger = new Logger('sync-apply-items');

export interface ItemsHandlerDeps {
  readonly applier: Pick<ItemApplier, 'apply'>;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly rejectsQueueUrl: string;
  /** Failed changes are counted here (ApplyErrors, Direction toService). @default - not counted */
  readonly metrics?: MetricsSink;
}

let deps: ItemsHandlerDeps | undefined;

function defaults(): ItemsHandlerDeps {
  const spec = loadSpec();
  if (!spec.sync || !spec.migration) throw new Error('the spec has no sync section: there is nothing to apply');
  const ledger = new SyncLedgerStore({ tableName: requireEnv('LEDGER_TABLE_NAME') });
  const auditTable = optionalEnv('AUDIT_TABLE_NAME', '');
  const notifier = new ConflictNotifier({
    ledger,
    ...(auditTable ? { audit: new AuditStore({ tableName: auditTable }) } : {}),
    events: { client: eventBridgeClient(), busName: requireEnv('SERVICES_BUS_NAME') },
    logger,
  });
  return {
    applier: new ItemApplier({
      catalog: new SyncCatalog(spec.sync, spec.migration.entities),
      tableNames: JSON.parse(requireEnv('TABLE_NAMES')) as Record<string, string>,
      state: new SyncStateStore({ tableName: requireEnv('STATE_TABLE_NAME') }),
      notifier,
      client: dynamoDbClient(),
    }),
    sqs: sqsClient(),
    rejectsQueueUrl: requireEnv('REJECTS_QUEUE_URL'),
    metrics: new Metrics({ namespace: SYNC_METRIC_NAMESPACE, serviceName: SYNC_METRIC_SERVICE }),
  };
}

/**
 * Applies a FIFO batch with Powertools' SqsFifoPartialProcessorAsync, `skipGroupOnError` on: records run one
 * at a time in order; once a record of a message group fails, it and every later record of that group are
 * reported failed (SQS redelivers them in order), while other groups go on. A batch that fails whole is
 * reported, not thrown.
 */
export async function handleItems(event: SQSEvent, d: ItemsHandlerDeps): Promise<SQSBatchResponse> {
  const apply = async (r: SQSRecord): Promise<void> => {
    try {
      const change = JSON.parse(r.body) as RowChange;
      const out = await d.applier.apply(change);
      if (out.status === 'rejected') {
        await d.sqs.send(
          new SendMessageCommand({
            QueueUrl: d.rejectsQueueUrl,
            MessageBody: JSON.stringify({ reason: out.reject.reason, reject: out.reject, change }),
            MessageGroupId: r.attributes.MessageGroupId ?? 'rejects',
            MessageDeduplicationId: r.attributes.MessageDeduplicationId ?? r.messageId,
          }),
        );
        logger.warn('row rejected', { table: change.table, changeId: change.changeId, reject: out.reject });
      } else if (out.status !== 'applied' && out.status !== 'noop' && out.status !== 'duplicate') {
        logger.info('change not applied', { table: change.table, changeId: change.changeId, status: out.status });
      }
    } catch (err) {
      logger.error('change failed; it and the rest of its group are retried', { messageId: r.messageId, error: err });
      throw err;
    }
  };
  const response = await processPartialResponse(event, apply, new SqsFifoPartialProcessorAsync(), {
    skipGroupOnError: true,
    throwOnFullBatchFailure: false,
  });
  if (d.metrics) {
    // Failed and skipped alike: each is a change not applied in this batch.
    d.metrics.addDimension('Direction', 'toService');
    d.metrics.addMetric(SYNC_METRICS.applyErrors, MetricUnit.Count, response.batchItemFailures.length);
    d.metrics.publishStoredMetrics();
  }
  return response;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  deps ??= defaults();
  return handleItems(event, deps);
}
