import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { auditEventIdOf, auditStreamFor, identityOf, messageIdOf, parseAuditQueueMessage, type AuditRecord } from '../../core/audit';
import { countedEventMetric, COUNTED_EVENTS_SERVICE } from '../../core/operations/metrics';
import type { Spec } from '../../core/spec';
import { AuditStore, type AppendResult } from '../../adapters/dynamodb/audit-store';
import { toIncoming } from '../../core/translate/incoming';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';

/*
 * The ordered audit queue (SQS FIFO, one message group per audit stream) -> one audit entry per event, in
 * the stream of its correlation id. The de-duplication key is the EventBridge id, so a redelivery of one
 * put is logged once, while two puts of the same message (a monolith resend, a retried translation) are
 * both logged: the log records what the bus carried. A batch is split by message group: groups are
 * appended concurrently, the records of one group one after another; a failed record and every later
 * record of its group are reported failed (SQS gives them back in order; after maxReceiveCount the queue
 * moves a record to its dead-letter queue).
 * Env: AUDIT_TABLE_NAME.
 */
export interface AuditWriterDeps {
  readonly spec: Spec;
  readonly store: Pick<AuditStore, 'append'>;
  /** The bus label recorded for events handed to `handle` (queue messages carry their own). @default 'unknown' */
  readonly bus?: string;
  readonly logger: Logger;
  /**
   * The Powertools Metrics of a namespace (one instance each, as Powertools has one namespace per instance).
   * @default - Powertools Metrics with service `audit-writer`
   */
  readonly metricsFor?: (namespace: string) => Metrics;
}

export interface AuditWriterResult {
  readonly appended: number;
  readonly duplicates: number;
  /** Events whose message id was seen before with another payload (each logged as a `conflict` entry). */
  readonly conflicts: number;
  readonly results: readonly AppendResult[];
}

export class AuditWriter {
  private readonly metrics = new Map<string, Metrics>();

  public constructor(private readonly deps: AuditWriterDeps) {}

  private metricsOf(namespace: string): Metrics {
    let m = this.metrics.get(namespace);
    if (!m) {
      m = this.deps.metricsFor?.(namespace) ?? new Metrics({ namespace, serviceName: COUNTED_EVENTS_SERVICE });
      this.metrics.set(namespace, m);
    }
    return m;
  }

  /** Appends each event of `input` (one EventBridge event or an array), in order, as seen on `deps.bus`. */
  public async handle(input: unknown): Promise<AuditWriterResult> {
    const results: AppendResult[] = [];
    for (const raw of Array.isArray(input) ? input : [input]) results.push(await this.append(raw, this.deps.bus ?? 'unknown'));
    return summary(results);
  }

  /**
   * Appends an SQS FIFO batch of ordered-queue messages with Powertools' SqsFifoPartialProcessorAsync,
   * `skipGroupOnError` on, once per message group: the groups run concurrently (each is one audit stream,
   * so they never race for the same chain head), each group's records in order. Failures are reported, not
   * thrown.
   */
  public async handleBatch(event: SQSEvent): Promise<SQSBatchResponse> {
    const groups = new Map<string, SQSRecord[]>();
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId ?? record.messageId;
      const records = groups.get(group) ?? [];
      records.push(record);
      groups.set(group, records);
    }
    const appendRecord = async (record: SQSRecord): Promise<void> => {
      try {
        const message = parseAuditQueueMessage(record.body);
        await this.append(message.event, message.bus);
      } catch (err) {
        this.deps.logger.error('audit append failed; it and the rest of its stream are retried', {
          messageId: record.messageId,
          group: record.attributes.MessageGroupId,
          error: err,
        });
        throw err;
      }
    };
    const responses = await Promise.all(
      [...groups.values()].map((records) =>
        processPartialResponse({ Records: records }, appendRecord, new SqsFifoPartialProcessorAsync(), {
          skipGroupOnError: true,
          throwOnFullBatchFailure: false,
        }),
      ),
    );
    return { batchItemFailures: responses.flatMap((r) => r.batchItemFailures) };
  }

  private async append(raw: unknown, bus: string): Promise<AppendResult> {
    const event = toIncoming(raw);
    const stream = auditStreamFor(this.deps.spec, event);
    const record: AuditRecord = {
      kind: 'event',
      eventId: auditEventIdOf(raw),
      messageId: messageIdOf(this.deps.spec, event),
      bus,
      source: event.source,
      detailType: event.detailType,
      eventTime: event.time,
      payload: JSON.stringify(event.detail ?? null),
    };
    // Same message id, other content: the store records a conflict entry instead of collapsing the two.
    const result = await this.deps.store.append(stream, record, { identity: identityOf(this.deps.spec, event, bus) });
    if (result.conflict) this.deps.logger.warn('identity conflict: one message id, two payloads', { stream, ...result.conflict });
    this.deps.logger.debug('audited', { stream, eventId: record.eventId, status: result.status });
    // Saga outcomes, divergences and rollbacks pass through here on their way to the log: count each once
    // (on append, not on redelivery) for the dashboard and the alarms.
    const counted = result.status === 'appended' ? countedEventMetric(event.detailType) : undefined;
    if (counted !== undefined) {
      const m = this.metricsOf(counted.namespace);
      m.addMetric(counted.metric, MetricUnit.Count, 1);
      m.publishStoredMetrics();
    }
    return result;
  }
}

function summary(results: AppendResult[]): AuditWriterResult {
  return {
    appended: results.filter((r) => r.status === 'appended').length,
    duplicates: results.filter((r) => r.status === 'duplicate').length,
    conflicts: results.filter((r) => r.conflict).length,
    results,
  };
}

let instance: AuditWriter | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  instance ??= new AuditWriter({
    spec: loadSpec(),
    store: new AuditStore({ tableName: requireEnv('AUDIT_TABLE_NAME') }),
    logger: new Logger('audit-writer'),
  });
  return instance.handleBatch(event);
}
