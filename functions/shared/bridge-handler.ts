import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { auditStreamFor, driftRecord, driftStreamFor, messageIdOf } from '../../core/audit';
import { CutoverError, TransientError } from '../../core/errors';
import { BRIDGE_SOURCE, deterministicId } from '../../core/events/envelope';
import { BRIDGE_METRIC_NAMESPACE, BRIDGE_METRIC_SERVICE } from '../../core/operations/metrics';
import type { Spec } from '../../core/spec';
import { translateBatch, type Direction, type DriftItem, type QuarantinedItem, type TranslatedItem } from '../../core/translate/batch';
import { Translator } from '../../core/translate/translator';
import { toIncoming } from '../../core/translate/incoming';
import type { AuditStore } from '../../adapters/dynamodb/audit-store';
import { EventPublisher, type EventPublisherOptions } from '../../adapters/aws/event-publisher';
import { MAX_PUT_BYTES } from '../../core/events/put-batch';
import type { Logger } from './logger';
import type { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';

/** The bus refused to take some translated events for a passing reason: the invocation is retried whole. */
export class PutEventsRetryableError extends TransientError {}

/** The counts came out wrong: a bug, never a bad event. */
export class BridgeAccountingError extends CutoverError {}

export interface BridgeHandlerDeps {
  readonly direction: Direction;
  readonly spec: Spec;
  /** Name of the bus translated events go to. */
  readonly targetBusName: string;
  /** Label of the bus events come from (`legacy` or `services`), recorded with quarantined events. */
  readonly sourceBus: 'legacy' | 'services';
  readonly events: EventBridgeClient;
  readonly quarantine: QuarantineStore;
  readonly audit: AuditStore;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Retries of refused entries. @default the publisher's */
  readonly publisher?: EventPublisherOptions;
  /** Where the per-invocation counts go. @default - Powertools Metrics, namespace `Cutover/Bridge`, service `bridge` */
  readonly metrics?: Metrics;
}

export interface BridgeResult {
  readonly received: number;
  readonly translated: number;
  readonly quarantined: number;
  /** Refused by the loop guard, and recorded (quarantine reason `loop`): never dropped without a trace. */
  readonly ignored: number;
  /** Events that carried undeclared fields, each recorded in the audit stream `drift:<type>`. */
  readonly drifted?: number;
  /** The ids (deterministic, from the source event) of the events put on the target bus. */
  readonly eventIds: readonly string[];
}

/**
 * One translator Lambda: EventBridge event(s) in, translated events out on the other bus. A bad event is
 * quarantined (and audited), never thrown; only infrastructure failures throw, so Lambda's retries and the
 * dead-letter queue keep the event. Invariant, checked on every call: received = translated + quarantined
 * + ignored.
 */
export class BridgeHandler {
  private readonly translator: Translator;
  private readonly now: () => Date;
  private readonly metrics: Metrics;

  public constructor(private readonly deps: BridgeHandlerDeps) {
    this.translator = new Translator(deps.spec);
    this.now = deps.now ?? (() => new Date());
    this.metrics = deps.metrics ?? new Metrics({ namespace: BRIDGE_METRIC_NAMESPACE, serviceName: BRIDGE_METRIC_SERVICE });
  }

  public async handle(input: unknown): Promise<BridgeResult> {
    const incoming = (Array.isArray(input) ? input : [input]).map(toIncoming);
    const outcome = translateBatch(this.translator, this.deps.direction, incoming, this.now);
    const rejected = await this.put(outcome.translated);
    const quarantined: QuarantinedItem[] = [...outcome.quarantined, ...rejected.quarantine];
    for (const item of quarantined) await this.quarantine(item);
    // A loop refusal is kept like a quarantine (reason `loop`), so an echo or a misrouted event shows up.
    for (const item of outcome.ignored)
      await this.quarantine({ index: item.index, event: item.event, reason: 'loop', problems: item.problems });
    for (const item of outcome.drift) await this.recordDrift(item);
    const translated = outcome.translated.length - rejected.quarantine.length - rejected.retry.length;
    if (rejected.retry.length > 0) {
      throw new PutEventsRetryableError(
        `the target bus refused ${rejected.retry.length} event(s) for a passing reason: ${rejected.retry.join('; ')}`,
        {
          bus: this.deps.targetBusName,
        },
      );
    }
    const result: BridgeResult = {
      received: incoming.length,
      translated,
      quarantined: quarantined.length,
      ignored: outcome.ignored.length,
      drifted: outcome.drift.length,
      eventIds: outcome.translated.filter((t) => !rejected.failedIndexes.has(t.index)).map((t) => t.eventId),
    };
    if (result.received !== result.translated + result.quarantined + result.ignored) {
      throw new BridgeAccountingError('bridge accounting broke: received != translated + quarantined + ignored', { ...result });
    }
    // One EMF line per invocation (Powertools writes it to stdout itself, where CloudWatch extracts it): the
    // dashboard's in/translated/quarantined and the quarantine alarm read it, by `service` and `Direction`.
    this.metrics.addDimension('Direction', this.deps.direction);
    this.metrics.addMetric('Received', MetricUnit.Count, result.received);
    this.metrics.addMetric('Translated', MetricUnit.Count, result.translated);
    this.metrics.addMetric('Quarantined', MetricUnit.Count, result.quarantined);
    this.metrics.publishStoredMetrics();
    return result;
  }

  /** Puts translated events; returns those to quarantine (refused for good) and those to retry. */
  private async put(
    items: readonly TranslatedItem[],
  ): Promise<{ quarantine: QuarantinedItem[]; retry: string[]; failedIndexes: Set<number> }> {
    const quarantine: QuarantinedItem[] = [];
    const retry: string[] = [];
    const failedIndexes = new Set<number>();
    const res = await new EventPublisher(this.deps.events, this.deps.publisher).publish(
      items.map((item) => ({
        ref: item,
        entry: {
          EventBusName: this.deps.targetBusName,
          Source: BRIDGE_SOURCE,
          DetailType: item.detailType,
          Detail: JSON.stringify(item.detail),
        },
      })),
    );
    for (const { ref: item } of res.sent)
      this.deps.logger.debug('translated', { eventId: item.eventId, detailType: item.detailType, correlationId: item.correlationId });
    for (const f of res.failed) {
      const item = f.ref;
      failedIndexes.add(item.index);
      const why = `${f.code}: ${f.message}`;
      if (f.retryable) retry.push(`${item.detailType} ${item.eventId} (${why})`);
      else if (f.code === 'EntryTooLarge')
        quarantine.push({
          index: item.index,
          event: item.event,
          reason: 'untranslatable',
          problems: [`the translated ${item.detailType} is ${f.size} bytes; EventBridge takes at most ${MAX_PUT_BYTES}`],
        });
      else
        quarantine.push({
          index: item.index,
          event: item.event,
          reason: 'untranslatable',
          problems: [`the target bus refused the translated ${item.detailType}: ${why}`],
        });
    }
    return { quarantine, retry, failedIndexes };
  }

  /** One audit entry per event that carried unknown fields (idempotent per EventBridge id). */
  private async recordDrift(item: DriftItem): Promise<void> {
    const { event, drift } = item;
    const eventBridgeId = event.id ?? deterministicId('no-eventbridge-id', safeJson(event));
    await this.deps.audit.append(
      driftStreamFor(drift.eventType),
      driftRecord(drift, {
        eventBridgeId,
        bus: this.deps.sourceBus,
        source: event.source,
        detailType: event.detailType,
        eventTime: event.time,
        messageId: messageIdOf(this.deps.spec, event),
      }),
    );
    this.deps.logger.warn('schema drift', { eventType: drift.eventType, fields: drift.fields, policy: drift.policy, eventBridgeId });
  }

  private async quarantine(item: QuarantinedItem): Promise<void> {
    const { event } = item;
    const stream = auditStreamFor(this.deps.spec, event);
    const eventBridgeId = event.id ?? deterministicId('no-eventbridge-id', safeJson(event));
    const eventTime = event.time && !Number.isNaN(Date.parse(event.time)) ? event.time : this.now().toISOString();
    const payload = safeJson(event.detail);
    const stored = await this.deps.quarantine.put({
      reason: item.reason,
      eventTime,
      eventBridgeId,
      bus: this.deps.sourceBus,
      detailType: event.detailType,
      source: event.source,
      payload,
      problems: item.problems,
      stream,
      quarantinedAt: this.now().toISOString(),
    });
    await this.deps.audit.append(stream, {
      kind: 'quarantine',
      eventId: `quarantine:${eventBridgeId}`,
      messageId: messageIdOf(this.deps.spec, event),
      bus: this.deps.sourceBus,
      source: event.source,
      detailType: event.detailType,
      eventTime,
      payload: JSON.stringify({ reason: item.reason, problems: item.problems, eventBridgeId }),
    });
    this.deps.logger.warn('quarantined', {
      reason: item.reason,
      problems: item.problems,
      eventBridgeId,
      detailType: event.detailType,
      stream,
      stored,
    });
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return JSON.stringify(String(value));
  }
}
