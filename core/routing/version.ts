import { castPlan } from '../spec/cast';
import type { ServiceEventDef } from '../spec/schema';
import { show } from './errors';

/** One available single-step cast of an event type's payload, from one schema version to another. */
export interface CastEdge {
  readonly from: number;
  readonly to: number;
}

export type VersionDecision =
  | { readonly action: 'deliver'; readonly version: number }
  /** Cast `from` -> `to`; `path` lists every version on the way, ends included (`castEvent` step by step). */
  | { readonly action: 'cast'; readonly from: number; readonly to: number; readonly path: readonly number[] }
  | { readonly action: 'quarantine'; readonly reason: string };

export interface NegotiationContext {
  readonly eventType?: string;
  readonly target?: string;
}

/**
 * Decide, before delivery, how an event of `eventVersion` reaches a target accepting `accepted`:
 * - deliver as is when the version is accepted;
 * - else cast along the shortest chain of available casts to an accepted version (on a tie, the highest
 *   version: an upcast keeps more than a downcast);
 * - else quarantine, with a reason naming the event, the version, the target and what it accepts.
 * Pure; the cast itself is the spec core's `castEvent`.
 */
export function negotiateVersion(
  eventVersion: number,
  accepted: readonly number[],
  availableCasts: readonly CastEdge[],
  context: NegotiationContext = {},
): VersionDecision {
  const what = context.eventType === undefined ? 'event' : context.eventType;
  const whom = context.target === undefined ? 'the target' : context.target;
  if (typeof eventVersion !== 'number' || !Number.isInteger(eventVersion) || eventVersion < 1) {
    return { action: 'quarantine', reason: `${what}: version must be a whole number >= 1, got ${show(eventVersion)}` };
  }
  if (accepted.includes(eventVersion)) return { action: 'deliver', version: eventVersion };
  if (accepted.length === 0) {
    return { action: 'quarantine', reason: `${what} v${eventVersion}: ${whom} accepts no version of it` };
  }
  const wanted = new Set(accepted);

  const edges = new Map<number, number[]>();
  for (const edge of availableCasts) {
    const list = edges.get(edge.from);
    if (list === undefined) edges.set(edge.from, [edge.to]);
    else list.push(edge.to);
  }
  // Breadth-first, one level at a time, so the first level holding an accepted version is the shortest.
  const previous = new Map<number, number>();
  let level = [eventVersion];
  const seen = new Set(level);
  while (level.length > 0) {
    const nextLevel: number[] = [];
    for (const v of level) {
      for (const to of edges.get(v) ?? []) {
        if (seen.has(to)) continue;
        seen.add(to);
        previous.set(to, v);
        nextLevel.push(to);
      }
    }
    const hits = nextLevel.filter((v) => wanted.has(v));
    if (hits.length > 0) {
      const to = Math.max(...hits);
      const path = [to];
      for (let v = to; v !== eventVersion;) {
        v = previous.get(v) as number;
        path.unshift(v);
      }
      return { action: 'cast', from: eventVersion, to, path };
    }
    level = nextLevel;
  }
  const list = [...wanted]
    .sort((a, b) => a - b)
    .map((v) => `v${v}`)
    .join(', ');
  return {
    action: 'quarantine',
    reason: `${what} v${eventVersion}: ${whom} accepts ${list} and no cast leads from v${eventVersion} to any of them`,
  };
}

/**
 * The single-step casts the spec declares for one service event: `v -> v + 1` for every upcast, and
 * `v + 1 -> v` where the upcast can be undone. Derived from the spec core's `castPlan`, so the router
 * only ever proposes casts that `castPayload` can perform.
 */
export function castEdgesFor(def: ServiceEventDef): CastEdge[] {
  const versions = Object.keys(def.versions)
    .map(Number)
    .filter((v) => Number.isInteger(v))
    .sort((a, b) => a - b);
  const edges: CastEdge[] = [];
  for (const v of versions) {
    if (!versions.includes(v + 1)) continue;
    if (castPlan(def, v, v + 1) !== undefined) edges.push({ from: v, to: v + 1 });
    if (castPlan(def, v + 1, v) !== undefined) edges.push({ from: v + 1, to: v });
  }
  return edges;
}
