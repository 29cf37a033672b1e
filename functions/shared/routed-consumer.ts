import type { EventBridgeLike } from '../../core/translate/incoming';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describeFailures, EventPublisher } from '../../adapters/aws/event-publisher';
import { compareInteraction, RuleBook } from '../../core/compare';
import { CutoverError } from '../../core/errors';
import { deterministicId, isServiceEvent, type EventMetadata, type ServiceEvent } from '../../core/events/envelope';
import { ROUTED_DETAIL_TYPE, type RoutingStamp } from '../../core/routing';
import type { Spec } from '../../core/spec';
import type { Logger } from './logger';
import type { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import type { OutcomeEvent, ShadowOutcomeStore } from '../../adapters/dynamodb/shadow-outcome-store';

/** A routed copy as an implementation receives it. */
export interface RoutedCopyIn {
  /** The original event type (`order.created`): a routed copy's detail-type is always `cutover.routed`. */
  readonly eventType: string;
  /** The version of `data` (after any cast the router made). */
  readonly version: number;
  readonly metadata: EventMetadata;
  readonly stamp: RoutingStamp & { readonly routedAt?: string };
  readonly data: Record<string, unknown>;
}

/** Not a routed copy (no `metadata.routing` stamp, wrong detail-type, bad JSON): names what is wrong. */
export class NotARoutedCopyError extends CutoverError {}

/**
 * What an implementation may do with the world while handling a copy. It never talks to the bus itself:
 * it `emit`s, and the consumer decides. For an authoritative copy the events are put on the services bus;
 * for a shadow copy they are only recorded for comparison. `namespace` tells the implementation where its
 * own state goes (`live` tables, or a `shadow` namespace it must keep apart), so a shadow run changes
 * nothing anyone else reads.
 */
export interface Effects {
  readonly role: 'authoritative' | 'shadow';
  readonly namespace: 'live' | 'shadow';
  emit(type: string, data: Record<string, unknown>, version?: number): void;
}

export type Implementation = (copy: RoutedCopyIn, effects: Effects) => Promise<void>;

export interface ConsumeResult {
  readonly status: 'handled' | 'failed' | 'ignored';
  readonly role?: 'authoritative' | 'shadow';
  /** Events put on the bus (authoritative only). */
  readonly published: number;
  /** Events withheld because the copy was a shadow. */
  readonly withheld: number;
  readonly comparison?: { readonly mismatched: boolean; readonly summary: string };
  readonly why?: string;
}

export interface RoutedConsumerDeps {
  readonly spec: Spec;
  readonly capability: string;
  /** This implementation's target name: copies stamped for another target are ignored. */
  readonly target: string;
  /** Source of the events it emits (e.g. `inventory-v2`). */
  readonly producer: string;
  readonly events: { readonly client: EventBridgeClient; readonly busName: string };
  /** Where outcomes are kept for comparison. @default - no comparison */
  readonly outcomes?: ShadowOutcomeStore;
  /** Where handling and comparison samples go. @default - no metrics */
  readonly metrics?: Pick<RoutingMetrics, 'publish'>;
  readonly logger?: Logger;
  /** @default Date.now */
  readonly clock?: () => number;
}

/**
 * The consumer side of routing, wrapped around an implementation (the monolith's adapter or a new service).
 * It is where "only the authoritative copy's effects count" is enforced: the implementation cannot reach
 * the bus, so a shadow copy's outcome events go to the outcome store and nowhere else. It also measures
 * (error and latency samples per side, the candidate's mismatch samples) and compares the two sides'
 * outcomes with the spec's compare rules when both are in.
 *
 * A failing implementation is rethrown after its failure is measured and recorded, so the inbox queue
 * retries it and finally dead-letters it.
 */
export class RoutedConsumer {
  private readonly clock: () => number;
  private readonly rules: RuleBook;

  public constructor(private readonly deps: RoutedConsumerDeps) {
    this.clock = deps.clock ?? Date.now;
    this.rules = new RuleBook(deps.spec.capture?.compare ?? {}, { capability: deps.capability });
  }

  public async handle(raw: unknown, implementation: Implementation): Promise<ConsumeResult> {
    const copy = parseRoutedCopy(raw);
    const { stamp } = copy;
    if (stamp.capability !== this.deps.capability || stamp.target !== this.deps.target) {
      this.deps.logger?.warn('copy for another target ignored', { stamp, target: this.deps.target });
      return { status: 'ignored', published: 0, withheld: 0, why: `stamped for ${stamp.capability}/${stamp.target}` };
    }
    const emitted: OutcomeEvent[] = [];
    const effects: Effects = {
      role: stamp.role,
      namespace: stamp.role === 'authoritative' ? 'live' : 'shadow',
      emit: (type, data, version) => {
        emitted.push({ type, version: version ?? this.deps.spec.bridge.serviceEvents[type]?.latest ?? 1, payload: data });
      },
    };
    const started = this.clock();
    let failure: unknown;
    try {
      await implementation(copy, effects);
    } catch (err) {
      failure = err;
    }
    const latencyMs = this.clock() - started;
    const failed = failure !== undefined;
    let published = 0;
    if (!failed && stamp.role === 'authoritative' && emitted.length > 0) published = await this.publish(copy, emitted);
    const withheld = stamp.role === 'shadow' ? emitted.length : 0;

    const comparison = await this.recordAndCompare(copy, emitted, failure);
    await this.deps.metrics?.publish(
      [{ capability: stamp.capability, side: stamp.side, failed, latencyMs }],
      comparison?.claimed ? [{ capability: stamp.capability, mismatched: comparison.mismatched }] : [],
    );
    if (failed) throw failure;
    return {
      status: 'handled',
      role: stamp.role,
      published,
      withheld,
      ...(comparison ? { comparison: { mismatched: comparison.mismatched, summary: comparison.summary } } : {}),
    };
  }

  private async publish(copy: RoutedCopyIn, emitted: readonly OutcomeEvent[]): Promise<number> {
    const occurredAt = new Date(this.clock()).toISOString();
    const entries = emitted.map((e, i) => {
      const detail: ServiceEvent = {
        metadata: {
          eventId: deterministicId(this.deps.producer, copy.metadata.eventId, e.type, String(i)),
          eventType: e.type,
          version: e.version ?? 1,
          correlationId: copy.metadata.correlationId,
          causationId: copy.metadata.eventId,
          origin: 'service',
          producer: this.deps.producer,
          occurredAt,
          entity: copy.metadata.entity,
        },
        data: e.payload,
      };
      return { EventBusName: this.deps.events.busName, Source: this.deps.producer, DetailType: e.type, Detail: JSON.stringify(detail) };
    });
    const res = await new EventPublisher(this.deps.events.client).publish(entries.map((entry) => ({ entry, ref: undefined })));
    if (res.failed.length > 0) {
      throw new CutoverError(
        `the services bus refused ${res.failed.length} outcome event(s) of ${copy.metadata.eventId}: ${describeFailures(res.failed)}`,
        {
          entries: res.failed.map((f) => ({ ErrorCode: f.code, ErrorMessage: f.message })),
        },
      );
    }
    return entries.length;
  }

  /** Record this side's outcome; when the other side is already in, compare once (the claim decides who). */
  private async recordAndCompare(
    copy: RoutedCopyIn,
    emitted: readonly OutcomeEvent[],
    failure: unknown,
  ): Promise<{ mismatched: boolean; summary: string; claimed: boolean } | undefined> {
    const store = this.deps.outcomes;
    const { stamp } = copy;
    if (store === undefined || !mayHaveCounterpart(stamp)) return undefined;
    const at = new Date(this.clock()).toISOString();
    await store.record({
      capability: stamp.capability,
      eventId: copy.metadata.eventId,
      role: stamp.role,
      target: stamp.target,
      failed: failure !== undefined,
      ...(failure !== undefined ? { error: failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure) } : {}),
      outcomes: emitted,
      recordedAt: at,
    });
    const other = await store.get(stamp.capability, copy.metadata.eventId, stamp.role === 'authoritative' ? 'shadow' : 'authoritative');
    if (other === undefined) return undefined;
    const authoritative = stamp.role === 'authoritative' ? { failed: failure !== undefined, outcomes: emitted } : other;
    const shadow = stamp.role === 'shadow' ? { failed: failure !== undefined, outcomes: emitted } : other;
    const verdict = this.compare(copy.metadata.eventId, authoritative, shadow);
    const claimed = await store.claimComparison(stamp.capability, copy.metadata.eventId, verdict, at);
    return { ...verdict, claimed };
  }

  private compare(
    id: string,
    authoritative: { failed: boolean; outcomes: readonly OutcomeEvent[] },
    shadow: { failed: boolean; outcomes: readonly OutcomeEvent[] },
  ): { mismatched: boolean; summary: string } {
    if (authoritative.failed !== shadow.failed) {
      return {
        mismatched: true,
        summary: authoritative.failed
          ? 'the authoritative side failed, the shadow did not'
          : 'the shadow failed, the authoritative side did not',
      };
    }
    const result = compareInteraction(id, authoritative.outcomes, shadow.outcomes, { rules: this.rules });
    if (result.status === 'matched') return { mismatched: false, summary: 'matched' };
    const first = result.outcomes.find((o) => o.status !== 'matched');
    const diff = first?.diffs[0];
    return {
      mismatched: true,
      summary: `${result.status}: ${first?.type ?? '?'}${diff ? ` ${diff.path} ${JSON.stringify(diff.expected)} != ${JSON.stringify(diff.actual)}` : ` ${first?.status ?? ''}`}`,
    };
  }
}

/**
 * Whether the router may have sent the same event to the other side too (so this side's outcome is worth
 * keeping for comparison): shadow copies, and authoritative copies decided in shadow mode, for a monolith key
 * in canary (mirrored when `mirrorInCanary`) or in primary (when `legacyShadowInPrimary`). Everything else has
 * no counterpart, and recording it would cost two table operations per event for nothing.
 */
export function mayHaveCounterpart(stamp: RoutingStamp): boolean {
  return stamp.role === 'shadow' || stamp.reason === 'mode-shadow' || stamp.reason === 'canary-out' || stamp.reason === 'mode-primary';
}

/**
 * Read a routed copy from what reaches an implementation: the EventBridge event itself (a rule target) or an
 * SQS message whose body is that event (the inbox queues). Throws `NotARoutedCopyError` naming the problem.
 */
export function parseRoutedCopy(raw: unknown): RoutedCopyIn {
  let event: unknown = raw;
  const body = (raw as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      event = JSON.parse(body);
    } catch (cause) {
      throw new NotARoutedCopyError(`SQS body is not JSON: ${body.slice(0, 80)}`, {}, { cause });
    }
  }
  const e = event as EventBridgeLike | null;
  if (!e || typeof e !== 'object')
    throw new NotARoutedCopyError(`expected an EventBridge event, got ${JSON.stringify(event)?.slice(0, 80)}`);
  if (e['detail-type'] !== ROUTED_DETAIL_TYPE) {
    throw new NotARoutedCopyError(`detail-type: expected ${ROUTED_DETAIL_TYPE}, got ${JSON.stringify(e['detail-type'])}`, {
      detailType: e['detail-type'],
    });
  }
  if (!isServiceEvent(e.detail))
    throw new NotARoutedCopyError('detail: not a service event (metadata {eventId, eventType, version} and data)');
  const stamp = e.detail.metadata.routing;
  if (
    !stamp ||
    typeof stamp !== 'object' ||
    (stamp.role !== 'authoritative' && stamp.role !== 'shadow') ||
    typeof stamp.target !== 'string'
  ) {
    throw new NotARoutedCopyError(`metadata.routing: a routing stamp with role and target is required, got ${JSON.stringify(stamp)}`);
  }
  return {
    eventType: e.detail.metadata.eventType,
    version: e.detail.metadata.version,
    metadata: e.detail.metadata,
    stamp,
    data: e.detail.data,
  };
}
