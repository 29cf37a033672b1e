import { decide, decideWithoutEntry, stickyKeyOf, type DecisionReason } from '../routing/decide';
import type { RouteEntry } from '../routing/entry';
import type { RouteMode } from '../routing/model';
import { InvalidStepInput } from './errors';

/*
 * A routed saga step (owner `routed`) asks the routing table, per order, which side performs it. The answer
 * is the router's own decision (core/routing `decide`, sticky on the capability's key) read from the saga's
 * side: `legacy` is the monolith's exchange through the bridge, `candidate` the service. The state machine
 * stamps it at `$.routes.<step>` and the step's compensation reads the stamp, never the table: an order
 * whose payment went to the service is refunded by the service even if the route was rolled back since.
 *
 * A saga step runs once, on one side: a decision's shadow (shadow mode, mirrorInCanary) is not run by the
 * saga. Shadow comparison stays the router's and the replay's business.
 */

export type SagaSide = 'monolith' | 'service';

/** Why the saga chose the monolith without a routing decision. */
export type SagaRouteFallback =
  /** The capability's row in the routing table is invalid: the router routes it to the monolith too. */
  | 'invalid-route'
  /** The decision task failed after its retries: the monolith, which owned the step before cutover. */
  | 'decision-failed';

export interface SagaRouteDecision {
  readonly capability: string;
  /** Who performs the step for this order. */
  readonly side: SagaSide;
  /** The order's bucket (0..99), or null when the order carries no sticky key. */
  readonly bucket: number | null;
  readonly reason: DecisionReason | SagaRouteFallback;
  /** The candidate version the entry named (the service side's version), or null without an entry. */
  readonly version: string | null;
  /** The entry's revision the decision was made on (0 for the spec's seed), or null without an entry. */
  readonly revision: number | null;
  readonly mode: RouteMode | 'none';
}

/** The monolith, as the safe side, when there is no usable entry. */
export function monolithFallback(capability: string, reason: SagaRouteFallback, bucket: number | null = null): SagaRouteDecision {
  return { capability, side: 'monolith', bucket, reason, version: null, revision: null, mode: 'none' };
}

/**
 * The side of one routed step for one order. `entry` is the capability's row (or the spec's seed when no
 * row exists yet), `'invalid'` when the row failed validation, `undefined` when the capability has neither.
 */
export function decideSagaRoute(
  capability: string,
  entry: RouteEntry | 'invalid' | undefined,
  order: unknown,
  keyField: string,
): SagaRouteDecision {
  const key = stickyKeyOf(order, keyField);
  if (entry === 'invalid') return monolithFallback(capability, 'invalid-route', decideWithoutEntry(key).bucket);
  if (entry === undefined) {
    const d = decideWithoutEntry(key);
    return { capability, side: 'monolith', bucket: d.bucket, reason: d.reason, version: null, revision: null, mode: 'none' };
  }
  const d = decide(entry, key);
  return {
    capability,
    side: d.authoritative === 'candidate' ? 'service' : 'monolith',
    bucket: d.bucket,
    reason: d.reason,
    version: entry.candidate.version,
    revision: entry.revision,
    mode: entry.mode,
  };
}

/** The decision task's request, as the state machine sends it. */
export interface SagaRouteRequest {
  readonly step: string;
  readonly capability: string;
  readonly keyField: string;
  readonly orderId: string;
  readonly order: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Checks the decision task's request; throws `InvalidStepInput` naming each field and the value found. */
export function parseSagaRouteRequest(event: unknown): SagaRouteRequest {
  if (!isObject(event)) throw new InvalidStepInput(`saga route request: expected an object, got ${JSON.stringify(event)}`);
  const problems: string[] = [];
  for (const key of ['step', 'capability', 'keyField', 'orderId'] as const) {
    const v = event[key];
    if (typeof v !== 'string' || v === '') problems.push(`${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
  }
  if (!isObject(event.order)) problems.push(`order: expected an object, got ${JSON.stringify(event.order)}`);
  if (problems.length > 0) throw new InvalidStepInput(`saga route request: ${problems.join('; ')}`, { problems });
  return event as unknown as SagaRouteRequest;
}
