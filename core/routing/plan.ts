import type { CapabilityRouting } from '../spec/routing';
import { decide, decideWithoutEntry, stickyKeyOf } from './decide';
import type { Decision, DecisionReason } from './decide';
import type { RouteEntry } from './entry';
import type { RouteMode, Side } from './model';
import { negotiateVersion } from './version';
import type { CastEdge } from './version';

/** The event as the router receives it (service side: type, schema version, payload). */
export interface RoutedEvent {
  readonly type: string;
  readonly version: number;
  readonly payload: unknown;
}

/**
 * What the router stamps on each copy it forwards, as `metadata.routing`. EventBridge rules match on
 * `target` (one rule per target) or on `bucket` with a numeric matcher (see `bucketMatcher`); consumers
 * read `role` to know whether their effects count (`authoritative`) or must stay isolated (`shadow`).
 */
export interface RoutingStamp {
  readonly capability: string;
  readonly side: Side;
  readonly role: 'authoritative' | 'shadow';
  readonly target: string;
  readonly mode: RouteMode | 'none';
  /** Absent when the event has no sticky key. */
  readonly bucket?: number;
  readonly revision: number;
  readonly candidateVersion?: string;
  readonly reason: DecisionReason;
  /** The version delivered, when it differs from the event's (cast before delivery). */
  readonly castFrom?: number;
  readonly version: number;
}

export interface Delivery {
  readonly side: Side;
  readonly role: 'authoritative' | 'shadow';
  readonly target: string;
  /** Set when the payload must be cast before delivery: apply `castEvent` along `path`. */
  readonly cast?: { readonly from: number; readonly to: number; readonly path: readonly number[] };
  readonly stamp: RoutingStamp;
}

export interface QuarantinedDelivery {
  readonly side: Side | 'none';
  readonly role: 'authoritative' | 'shadow' | 'none';
  readonly target?: string;
  readonly reason: string;
}

export interface RoutePlan {
  readonly capability: string;
  readonly key: string | undefined;
  /** `undefined` only when the event could not be routed at all (unknown capability or event type). */
  readonly decision: Decision | undefined;
  /** What to put on the bus. Empty when the authoritative copy is quarantined: a shadow alone is pointless. */
  readonly deliveries: readonly Delivery[];
  /** What to quarantine, with the reason. Non-empty with empty `deliveries` means the whole event is held. */
  readonly quarantined: readonly QuarantinedDelivery[];
}

/**
 * Everything the router does for one event, minus the I/O: find the sticky key, decide, negotiate the
 * candidate's version, and say what to deliver (with stamps) and what to quarantine (with reasons).
 *
 * The monolith side is delivered as is: the bridge's translation back to the legacy shape does its own
 * version checks. The candidate side is checked against the candidate implementation's `accepts`.
 * A saga's compensation must go to the side that ran the forward step (read it from the forward step's
 * stamp), never be decided afresh: the split may have moved in between.
 */
export function planRoute(
  capability: string,
  spec: CapabilityRouting | undefined,
  entry: RouteEntry | undefined,
  event: RoutedEvent,
  casts: readonly CastEdge[],
): RoutePlan {
  const held = (reason: string): RoutePlan => ({
    capability,
    key: undefined,
    decision: undefined,
    deliveries: [],
    quarantined: [{ side: 'none', role: 'none', reason }],
  });
  if (spec === undefined) return held(`capability ${capability} has no routing in the spec`);
  const routed = Object.prototype.hasOwnProperty.call(spec.events, event.type) ? spec.events[event.type] : undefined;
  if (routed === undefined) {
    return held(`capability ${capability} does not route ${event.type} (it routes ${Object.keys(spec.events).join(', ')})`);
  }
  const key = stickyKeyOf(event.payload, routed.keyField);
  const decision = entry === undefined ? decideWithoutEntry(key) : decide(entry, key);
  const legacyTarget = entry?.legacy.target ?? spec.legacy.target;

  const deliveries: Delivery[] = [];
  const quarantined: QuarantinedDelivery[] = [];
  const sides: [Side, 'authoritative' | 'shadow'][] = [[decision.authoritative, 'authoritative']];
  if (decision.shadow !== undefined) sides.push([decision.shadow, 'shadow']);

  for (const [side, role] of sides) {
    if (side === 'legacy') {
      deliveries.push({
        side,
        role,
        target: legacyTarget,
        stamp: stampOf(capability, entry, decision, side, role, legacyTarget, event.version),
      });
      continue;
    }
    // side === 'candidate' implies an entry: without one every decision is the monolith.
    const candidate = (entry as RouteEntry).candidate;
    const impl = Object.prototype.hasOwnProperty.call(spec.implementations, candidate.version)
      ? spec.implementations[candidate.version]
      : undefined;
    if (impl === undefined) {
      quarantined.push({
        side,
        role,
        target: candidate.target,
        reason: `routing table names candidate ${candidate.version} of ${capability}, which the spec does not declare`,
      });
      if (role === 'authoritative') break;
      continue;
    }
    const negotiated = negotiateVersion(event.version, impl.accepts[event.type] ?? [], casts, {
      eventType: event.type,
      target: candidate.target,
    });
    if (negotiated.action === 'quarantine') {
      quarantined.push({ side, role, target: candidate.target, reason: negotiated.reason });
      if (role === 'authoritative') break;
      continue;
    }
    if (negotiated.action === 'deliver') {
      deliveries.push({
        side,
        role,
        target: candidate.target,
        stamp: stampOf(capability, entry, decision, side, role, candidate.target, negotiated.version),
      });
    } else {
      const stamp = stampOf(capability, entry, decision, side, role, candidate.target, negotiated.to) as { castFrom?: number };
      stamp.castFrom = negotiated.from;
      deliveries.push({
        side,
        role,
        target: candidate.target,
        cast: { from: negotiated.from, to: negotiated.to, path: negotiated.path },
        stamp: stamp as RoutingStamp,
      });
    }
  }
  // The authoritative copy is held: deliver nothing, so the shadow cannot act on an event nobody owns.
  const authoritativeHeld = quarantined.some((q) => q.role === 'authoritative');
  return { capability, key, decision, deliveries: authoritativeHeld ? [] : deliveries, quarantined };
}

function stampOf(
  capability: string,
  entry: RouteEntry | undefined,
  decision: Decision,
  side: Side,
  role: 'authoritative' | 'shadow',
  target: string,
  version: number,
): RoutingStamp {
  const stamp: { -readonly [K in keyof RoutingStamp]: RoutingStamp[K] } = {
    capability,
    side,
    role,
    target,
    mode: entry === undefined ? 'none' : entry.mode,
    revision: entry === undefined ? 0 : entry.revision,
    reason: decision.reason,
    version,
  };
  // Optional fields are left out rather than set to undefined: the stamp is serialised onto the event.
  if (decision.bucket !== null) stamp.bucket = decision.bucket;
  if (entry !== undefined) stamp.candidateVersion = entry.candidate.version;
  return stamp;
}
