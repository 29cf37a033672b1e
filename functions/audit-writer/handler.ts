import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { auditStreamFor, canonicalJson, identityOf, messageIdOf, type AuditRecord } from '../../core/audit';
import { deterministicId } from '../../core/events/envelope';
import { countedEventMetric, COUNTED_EVENTS_SERVICE } from '../../core/operations/metrics';
import type { Spec } from '../../core/spec';
import { AuditStore, type AppendResult } from '../../adapters/dynamodb/audit-store';
import { toIncoming } from '../../core/translate/incoming';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';

/*
 * Catch-all rule on one bus -> one audit entry per event, in the stream of its correlation id. The
 * de-duplication key is the EventBridge id, so a redelivery of one put is logged once, while two puts of
 * the same message (a monolith resend, a retried translation) are both logged: the log records what the bus
 * carried. Errors throw: Lambda retries, then the event goes to the audit dead-letter queue.
 * Env: AUDIT_TABLE_NAME, AUDIT_BUS (legacy | services).
 */
export interface AuditWriterDeps {
  readonly spec: Spec;
  readonly store: AuditStore;
  readonly bus: string;
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

  public async handle(input: unknown): Promise<AuditWriterResult> {
    const results: AppendResult[] = [];
    for (const raw of Array.isArray(input) ? input : [input]) {
      const event = toIncoming(raw);
      const stream = auditStreamFor(this.deps.spec, event);
      const record: AuditRecord = {
        kind: 'event',
        eventId: event.id ?? deterministicId('audit-no-id', safeCanonical(raw)),
        messageId: messageIdOf(this.deps.spec, event),
        bus: this.deps.bus,
        source: event.source,
        detailType: event.detailType,
        eventTime: event.time,
        payload: JSON.stringify(event.detail ?? null),
      };
      // Same message id, other content: the store records a conflict entry instead of collapsing the two.
      const result = await this.deps.store.append(stream, record, { identity: identityOf(this.deps.spec, event, this.deps.bus) });
      results.push(result);
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
    }
    return {
      appended: results.filter((r) => r.status === 'appended').length,
      duplicates: results.filter((r) => r.status === 'duplicate').length,
      conflicts: results.filter((r) => r.conflict).length,
      results,
    };
  }
}

function safeCanonical(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return String(value);
  }
}

let instance: AuditWriter | undefined;

export async function handler(event: unknown): Promise<AuditWriterResult> {
  instance ??= new AuditWriter({
    spec: loadSpec(),
    store: new AuditStore({ tableName: requireEnv('AUDIT_TABLE_NAME') }),
    bus: requireEnv('AUDIT_BUS'),
    logger: new Logger('audit-writer'),
  });
  return instance.handle(event);
}
