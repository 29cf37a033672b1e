import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventPublisher, type EventPublisherOptions } from '../../adapters/aws/event-publisher';
import { auditStreamFor } from '../../core/audit';
import { CutoverError, TransientError } from '../../core/errors';
import { deterministicId, isServiceEvent, type ServiceEvent } from '../../core/events/envelope';
import { MAX_PUT_BYTES } from '../../core/events/put-batch';
import {
  ROUTED_DETAIL_TYPE,
  ROUTER_SOURCE,
  RoutingCache,
  castEdgesFor,
  planRoute,
  type CastEdge,
  type Delivery,
  type RouteEntry,
  type RoutePlan,
} from '../../core/routing';
import { effectiveHealth, type HealthRecord } from '../../core/readiness/health';
import { castPayload, validatePayload, type Spec } from '../../core/spec';
import type { CapabilityRouting } from '../../core/spec/routing';
import type { AuditStore } from '../../adapters/dynamodb/audit-store';
import { toIncoming, type EventBridgeLike } from '../../core/translate/incoming';
import type { Logger } from '../shared/logger';
import type { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import type { RoutingSnapshot, RoutingStore } from '../../adapters/dynamodb/routing-store';

/** The router's invocation counts (Routed, Quarantined, Copies) are published under this namespace. */
export const ROUTER_METRIC_NAMESPACE = 'Cutover/Router';

/** The bus refused some routed copies for a passing reason: the invocation is retried whole. */
export class RoutedPutRetryableError extends TransientError {}
/** The router's counts came out wrong: a bug, never a bad event. */
export class RouterAccountingError extends CutoverError {}

/**
 * The routing table as the router uses it: one entry per capability (a row, or the spec's seed when there is
 * no row yet, or nothing when the row is invalid: the monolith then), and the capability specs with the
 * accepted versions the registered candidate declared.
 */
export interface RoutingView {
  readonly entries: ReadonlyMap<string, RouteEntry | undefined>;
  readonly specs: ReadonlyMap<string, CapabilityRouting>;
  readonly invalid: RoutingSnapshot['invalid'];
}

export interface RouterDeps {
  readonly spec: Spec;
  readonly store: Pick<RoutingStore, 'load' | 'seedFor'>;
  readonly events: EventBridgeClient;
  /** The services bus: routed copies are put back on it with their stamp. */
  readonly busName: string;
  readonly quarantine: Pick<QuarantineStore, 'put'>;
  readonly audit: Pick<AuditStore, 'append'>;
  readonly logger: Logger;
  /** How long a loaded table is used. At most 1000 (the rollback bound). @default 1000 */
  readonly cacheTtlMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Retries of refused copies. @default the publisher's */
  readonly publisher?: EventPublisherOptions;
  /** Where the per-invocation counts go (EMF on stdout). @default namespace Cutover/Router, service router */
  readonly metrics?: Metrics;
}

export interface RoutedCopy {
  readonly capability: string;
  readonly target: string;
  readonly role: 'authoritative' | 'shadow';
  readonly bucket?: number;
  readonly version: number;
  readonly castFrom?: number;
}

export interface RouterResult {
  readonly received: number;
  /** Events for which at least one capability's deliveries were put. */
  readonly routed: number;
  /** Events (or capabilities of an event) held in quarantine. */
  readonly quarantined: number;
  /** Events the router leaves alone: replays, already-routed copies, types no capability routes. */
  readonly ignored: number;
  readonly copies: readonly RoutedCopy[];
  readonly quarantines: readonly { readonly capability: string; readonly role: string; readonly reason: string }[];
}

interface Hold {
  readonly capability: string;
  readonly role: string;
  readonly target?: string;
  readonly reason: string;
}

/**
 * The router: for each routed service event, per capability that consumes it, decide (core's `planRoute`
 * on a table at most `cacheTtlMs` old), cast where the target needs another version, and put one stamped
 * copy per delivery back on the services bus as `cutover.routed`, where static per-target rules pick them
 * up. What cannot be delivered is quarantined with the reason (and audited), never dropped; only
 * infrastructure failures throw, so Lambda's retries and the dead-letter queue keep the event.
 */
export class Router {
  private readonly cache: RoutingCache<RoutingView>;
  private readonly casts = new Map<string, CastEdge[]>();
  private readonly clock: () => number;

  private readonly metricsSink: Metrics;

  public constructor(private readonly deps: RouterDeps) {
    this.metricsSink = deps.metrics ?? new Metrics({ namespace: ROUTER_METRIC_NAMESPACE, serviceName: 'router' });
    const ttl = deps.cacheTtlMs ?? 1000;
    if (!(ttl >= 0 && ttl <= 1000))
      throw new RangeError(`cacheTtlMs must be 0..1000 (a rollback must reach the router within a second), got ${ttl}`);
    this.clock = deps.clock ?? Date.now;
    this.cache = new RoutingCache({ load: () => this.loadView(), ttlMs: ttl, clock: this.clock });
    for (const [type, def] of Object.entries(deps.spec.bridge.serviceEvents)) this.casts.set(type, castEdgesFor(def));
  }

  /** The cache, for tests and for invalidation after this process changed the table itself. */
  public get routingCache(): RoutingCache<RoutingView> {
    return this.cache;
  }

  public async handle(input: unknown): Promise<RouterResult> {
    const raws = (Array.isArray(input) ? input : [input]) as EventBridgeLike[];
    let routed = 0;
    let ignored = 0;
    let quarantinedEvents = 0;
    const copies: RoutedCopy[] = [];
    const holds: Hold[] = [];
    const entries: Array<{ entry: PutEventsRequestEntry; copy: RoutedCopy; event: EventBridgeLike }> = [];
    const heldByEvent: Array<{ event: EventBridgeLike; holds: Hold[] }> = [];

    for (const raw of raws) {
      const event = toIncoming(raw);
      const detail = event.detail;
      if (!isServiceEvent(detail)) {
        heldByEvent.push({
          event: raw,
          holds: [
            { capability: '-', role: 'none', reason: 'not a service event: detail needs metadata {eventId, eventType, version} and data' },
          ],
        });
        quarantinedEvents++;
        continue;
      }
      const type = detail.metadata.eventType;
      if (event.source === ROUTER_SOURCE || detail.metadata.routing !== undefined || detail.metadata.replay !== undefined) {
        this.deps.logger.info('not routed: a replayed or already routed event', { eventId: detail.metadata.eventId, type });
        ignored++;
        continue;
      }
      if (event.detailType !== undefined && event.detailType !== type) {
        heldByEvent.push({
          event: raw,
          holds: [{ capability: '-', role: 'none', reason: `detail-type ${event.detailType} differs from metadata.eventType ${type}` }],
        });
        quarantinedEvents++;
        continue;
      }
      const capabilities = this.capabilitiesFor(type);
      if (capabilities.length === 0) {
        ignored++;
        continue;
      }
      const view = await this.cache.get();
      const routedAt = new Date(this.clock()).toISOString();
      const eventHolds: Hold[] = [];
      let delivered = false;
      for (const capability of capabilities) {
        const plan = planRoute(
          capability,
          view.specs.get(capability),
          view.entries.get(capability),
          { type, version: detail.metadata.version, payload: detail.data },
          this.casts.get(type) ?? [],
        );
        const built = this.build(plan, detail, type, routedAt);
        eventHolds.push(...built.holds);
        for (const b of built.copies) entries.push({ ...b, event: raw });
        if (built.copies.length > 0) delivered = true;
      }
      if (eventHolds.length > 0) heldByEvent.push({ event: raw, holds: eventHolds });
      if (delivered) routed++;
      else if (eventHolds.length > 0) quarantinedEvents++;
    }

    const refused = await this.put(entries);
    for (const r of refused.quarantine) {
      const existing = heldByEvent.find((h) => h.event === r.event);
      if (existing) existing.holds.push(r.hold);
      else heldByEvent.push({ event: r.event, holds: [r.hold] });
    }
    for (const { event, holds: h } of heldByEvent) {
      for (const hold of h) await this.quarantine(event, hold);
      holds.push(...h);
    }
    for (const e of entries) if (!refused.failed.has(e.entry)) copies.push(e.copy);
    if (refused.retry.length > 0) {
      throw new RoutedPutRetryableError(
        `the services bus refused ${refused.retry.length} routed cop(ies) for a passing reason: ${refused.retry.join('; ')}`,
        {
          bus: this.deps.busName,
        },
      );
    }
    const result: RouterResult = {
      received: raws.length,
      routed,
      quarantined: quarantinedEvents,
      ignored,
      copies,
      quarantines: holds.map(({ capability, role, reason }) => ({ capability, role, reason })),
    };
    if (result.received !== result.routed + result.quarantined + result.ignored) {
      throw new RouterAccountingError('router accounting broke: received != routed + quarantined + ignored', {
        ...result,
        copies: copies.length,
      });
    }
    this.metrics(result);
    return result;
  }

  /** Capabilities consuming `type`, in spec order. */
  private capabilitiesFor(type: string): string[] {
    const routing = this.deps.spec.routing;
    if (routing === undefined) return [];
    return Object.entries(routing.capabilities)
      .filter(([, cap]) => Object.prototype.hasOwnProperty.call(cap.events, type))
      .map(([name]) => name);
  }

  private build(
    plan: RoutePlan,
    detail: ServiceEvent,
    type: string,
    routedAt: string,
  ): { copies: Array<{ entry: PutEventsRequestEntry; copy: RoutedCopy }>; holds: Hold[] } {
    const holds: Hold[] = plan.quarantined.map((q) => ({ capability: plan.capability, role: q.role, target: q.target, reason: q.reason }));
    const copies: Array<{ entry: PutEventsRequestEntry; copy: RoutedCopy }> = [];
    for (const delivery of plan.deliveries) {
      const data = this.payloadFor(delivery, detail, type);
      if ('problem' in data) {
        holds.push({ capability: plan.capability, role: delivery.role, target: delivery.target, reason: data.problem });
        // Without the authoritative copy nobody owns the event: hold the shadow too.
        if (delivery.role === 'authoritative') return { copies: [], holds };
        continue;
      }
      const routedDetail: ServiceEvent = {
        metadata: { ...detail.metadata, version: delivery.stamp.version, routing: { ...delivery.stamp, routedAt } },
        data: data.payload,
      };
      copies.push({
        entry: {
          EventBusName: this.deps.busName,
          Source: ROUTER_SOURCE,
          DetailType: ROUTED_DETAIL_TYPE,
          Detail: JSON.stringify(routedDetail),
        },
        copy: {
          capability: plan.capability,
          target: delivery.target,
          role: delivery.role,
          bucket: delivery.stamp.bucket,
          version: delivery.stamp.version,
          ...(delivery.stamp.castFrom !== undefined ? { castFrom: delivery.stamp.castFrom } : {}),
        },
      });
    }
    return { copies, holds };
  }

  /** The payload a delivery carries: the event's, or cast through the spec and checked against the target version. */
  private payloadFor(delivery: Delivery, detail: ServiceEvent, type: string): { payload: Record<string, unknown> } | { problem: string } {
    if (delivery.cast === undefined) return { payload: detail.data };
    const def = this.deps.spec.bridge.serviceEvents[type];
    try {
      const payload = castPayload(type, def, detail.data, delivery.cast.from, delivery.cast.to);
      const schema = def.versions[String(delivery.cast.to)]?.schema;
      const problems = schema === undefined ? [`version ${delivery.cast.to} is not declared`] : validatePayload(schema, payload);
      if (problems.length > 0)
        return {
          problem: `${type} cast v${delivery.cast.from} -> v${delivery.cast.to} for ${delivery.target} does not fit v${delivery.cast.to}: ${problems.join('; ')}`,
        };
      return { payload };
    } catch (err) {
      return {
        problem: `${type} cast v${delivery.cast.from} -> v${delivery.cast.to} for ${delivery.target} failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  /**
   * Puts the routed copies through the one publisher: requests bounded by ten entries and 256 KiB together
   * (ten large copies no longer fail as one oversized request), retryable refusals retried there.
   */
  private async put(items: ReadonlyArray<{ entry: PutEventsRequestEntry; copy: RoutedCopy; event: EventBridgeLike }>): Promise<{
    quarantine: Array<{ event: EventBridgeLike; hold: Hold }>;
    retry: string[];
    failed: Set<PutEventsRequestEntry>;
  }> {
    const quarantine: Array<{ event: EventBridgeLike; hold: Hold }> = [];
    const retry: string[] = [];
    const failed = new Set<PutEventsRequestEntry>();
    const res = await new EventPublisher(this.deps.events, this.deps.publisher).publish(
      items.map((item) => ({ entry: item.entry, ref: item })),
    );
    for (const f of res.failed) {
      const c = f.ref;
      failed.add(c.entry);
      const hold = { capability: c.copy.capability, role: c.copy.role, target: c.copy.target };
      if (f.code === 'EntryTooLarge')
        quarantine.push({
          event: c.event,
          hold: { ...hold, reason: `the routed copy is ${f.size} bytes; EventBridge takes at most ${MAX_PUT_BYTES}` },
        });
      else if (f.retryable) retry.push(`${c.copy.capability} -> ${c.copy.target} (${f.code}: ${f.message})`);
      else
        quarantine.push({ event: c.event, hold: { ...hold, reason: `the services bus refused the routed copy: ${f.code}: ${f.message}` } });
    }
    return { quarantine, retry, failed };
  }

  private async quarantine(raw: EventBridgeLike, hold: Hold): Promise<void> {
    const event = toIncoming(raw);
    const now = new Date(this.clock()).toISOString();
    const eventTime = event.time && !Number.isNaN(Date.parse(event.time)) ? event.time : now;
    const baseId = event.id ?? deterministicId('router-no-id', JSON.stringify(event.detail ?? null));
    const eventBridgeId = `${baseId}/${hold.capability}/${hold.role}`;
    const stream = auditStreamFor(this.deps.spec, event);
    const problem = `routing ${hold.capability} (${hold.role}${hold.target ? ` -> ${hold.target}` : ''}): ${hold.reason}`;
    const stored = await this.deps.quarantine.put({
      reason: 'untranslatable',
      eventTime,
      eventBridgeId,
      bus: 'services',
      detailType: event.detailType,
      source: event.source,
      payload: JSON.stringify(event.detail ?? null),
      problems: [problem],
      stream,
      quarantinedAt: now,
    });
    await this.deps.audit.append(stream, {
      kind: 'route-quarantine',
      eventId: `route-quarantine:${eventBridgeId}`,
      bus: 'services',
      source: event.source,
      detailType: event.detailType,
      eventTime,
      payload: JSON.stringify({
        capability: hold.capability,
        role: hold.role,
        target: hold.target,
        reason: hold.reason,
        eventBridgeId: baseId,
      }),
    });
    this.deps.logger.warn('quarantined by the router', { problem, eventBridgeId, stored });
  }

  /** Counters as an Embedded Metric Format line: CloudWatch extracts them on AWS without an API call per event. */
  private metrics(result: RouterResult): void {
    const byTarget = new Map<string, number>();
    for (const c of result.copies)
      byTarget.set(`${c.capability}.${c.target}.${c.role}`, (byTarget.get(`${c.capability}.${c.target}.${c.role}`) ?? 0) + 1);
    // Powertools writes the EMF document (CloudWatch turns it into metrics, no API call); the split per
    // target rides along as metadata, searchable in Logs Insights without costing a metric per target.
    this.metricsSink.addMetric('Routed', MetricUnit.Count, result.routed);
    this.metricsSink.addMetric('Quarantined', MetricUnit.Count, result.quarantined);
    this.metricsSink.addMetric('Copies', MetricUnit.Count, result.copies.length);
    this.metricsSink.addMetadata('byTarget', JSON.stringify(Object.fromEntries(byTarget)));
    this.metricsSink.publishStoredMetrics();
  }

  private async loadView(): Promise<RoutingView> {
    const snapshot = await this.deps.store.load();
    const entries = new Map<string, RouteEntry | undefined>();
    const specs = new Map<string, CapabilityRouting>();
    const invalid = new Set(snapshot.invalid.map((i) => i.capability));
    for (const i of snapshot.invalid) this.deps.logger.error('invalid route entry: routing the capability to the monolith', { ...i });
    for (const [capability, cap] of Object.entries(this.deps.spec.routing?.capabilities ?? {})) {
      let entry = invalid.has(capability) ? undefined : (snapshot.entries.get(capability) ?? this.deps.store.seedFor(capability));
      entry = withStaleHealth(entry, snapshot.services.get(capability) ?? [], new Date(this.clock()));
      entries.set(capability, entry);
      specs.set(capability, withRegisteredAccepts(cap, entry, snapshot.services.get(capability) ?? []));
    }
    return { entries, specs, invalid: snapshot.invalid };
  }
}

/**
 * The entry as the router acts on it: a candidate that declared a health TTL and has not reported within it
 * counts as unhealthy (routed around) until it reports again. The stored entry is left as it is.
 */
export function withStaleHealth(
  entry: RouteEntry | undefined,
  services: ReadonlyArray<HealthRecord & { readonly target: string }>,
  now: Date,
): RouteEntry | undefined {
  if (entry === undefined || entry.health === 'unhealthy') return entry;
  const reg = services.find((s) => s.target === entry.candidate.target);
  return reg !== undefined && effectiveHealth(reg, now).stale ? { ...entry, health: 'unhealthy' } : entry;
}

/**
 * The capability spec with the candidate's accepted versions taken from its registration, when it registered:
 * a service that learned to read order.created v2 says so by registering, and the router stops casting for it.
 */
export function withRegisteredAccepts(
  cap: CapabilityRouting,
  entry: RouteEntry | undefined,
  services: ReadonlyArray<{ version: string; target: string; accepts: Readonly<Record<string, readonly number[]>> }>,
): CapabilityRouting {
  if (entry === undefined) return cap;
  const reg = services.find((s) => s.version === entry.candidate.version && s.target === entry.candidate.target);
  const impl = cap.implementations[entry.candidate.version];
  if (reg === undefined || impl === undefined) return cap;
  const accepts: Record<string, number[]> = { ...impl.accepts };
  for (const [type, versions] of Object.entries(reg.accepts))
    if (Object.prototype.hasOwnProperty.call(cap.events, type)) accepts[type] = [...versions];
  return { ...cap, implementations: { ...cap.implementations, [entry.candidate.version]: { ...impl, accepts } } };
}
