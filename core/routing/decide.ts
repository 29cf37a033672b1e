import { bucketOf } from './bucket';
import type { RouteEntry } from './entry';
import type { Side } from './model';

/**
 * Why a decision came out as it did. Stamped on the routed event, so an operator reading the audit log
 * sees it without recomputing anything.
 */
export type DecisionReason =
  | 'mode-legacy' //             legacy mode: the monolith only
  | 'mode-shadow' //             shadow mode: monolith authoritative, candidate shadow
  | 'canary-in' //               canary, bucket < percent: candidate authoritative
  | 'canary-out' //              canary, bucket >= percent: monolith authoritative
  | 'canary-no-key' //           canary, the event has no sticky key: the monolith, the safe owner
  | 'mode-primary' //            primary mode: candidate authoritative
  | 'mode-retired' //            retired: candidate only (no fallback exists any more)
  | 'candidate-unhealthy' //     shadow/canary/primary with an unhealthy candidate: monolith only
  | 'no-route'; //               the table has no entry for the capability: monolith only

export interface Decision {
  /** The implementation whose effects count. Exactly one, always. */
  readonly authoritative: Side;
  /** The implementation that also receives the event, effects isolated, outcome compared. Never equals `authoritative`. */
  readonly shadow?: Side;
  /** The key's bucket (0..99), or `null` when the event carries no sticky key. */
  readonly bucket: number | null;
  readonly reason: DecisionReason;
}

/**
 * The routing decision for one event: pure, allocation-light, no clock (freshness of `entry` is the
 * cache's job, see `RoutingCache`).
 *
 * - legacy   -> monolith.
 * - shadow   -> monolith authoritative, candidate shadow.
 * - canary   -> bucket < percent: candidate; else monolith, with the candidate as shadow when
 *               `mirrorInCanary`. A larger percent is a superset of candidate buckets, so raising it only
 *               moves keys from the monolith to the candidate. An event without a key goes to the monolith.
 * - primary  -> candidate authoritative; the monolith as shadow only when `legacyShadowInPrimary`
 *               (a monolith rarely runs without side effects, so this is opt-in).
 * - retired  -> candidate only, whatever its health: there is nothing left to fall back to.
 * - an `unhealthy` candidate in shadow, canary or primary -> monolith only, no shadow: the fall back
 *   happens on the next decision, before anyone changes the mode. `unknown` health routes like healthy.
 *
 * Falling back to the monolith for keys the candidate owned moves those entities' events back to it;
 * keeping their data in step is the data-sync capability's job, not the router's.
 */
export function decide(entry: RouteEntry, key: string | undefined): Decision {
  const bucket = key === undefined ? null : bucketOf(key);
  const mode = entry.mode;
  if (mode === 'legacy') return { authoritative: 'legacy', shadow: undefined, bucket, reason: 'mode-legacy' };
  if (mode === 'retired') return { authoritative: 'candidate', shadow: undefined, bucket, reason: 'mode-retired' };
  if (entry.health === 'unhealthy') {
    return { authoritative: 'legacy', shadow: undefined, bucket, reason: 'candidate-unhealthy' };
  }
  if (mode === 'shadow') return { authoritative: 'legacy', shadow: 'candidate', bucket, reason: 'mode-shadow' };
  if (mode === 'primary') {
    return {
      authoritative: 'candidate',
      shadow: entry.legacyShadowInPrimary ? 'legacy' : undefined,
      bucket,
      reason: 'mode-primary',
    };
  }
  // canary
  if (bucket === null) return { authoritative: 'legacy', shadow: undefined, bucket, reason: 'canary-no-key' };
  if (bucket < entry.percent) return { authoritative: 'candidate', shadow: undefined, bucket, reason: 'canary-in' };
  return {
    authoritative: 'legacy',
    shadow: entry.mirrorInCanary ? 'candidate' : undefined,
    bucket,
    reason: 'canary-out',
  };
}

/** The decision when the table has no entry for a capability: the monolith, which owned it before cutover. */
export function decideWithoutEntry(key: string | undefined): Decision {
  return { authoritative: 'legacy', shadow: undefined, bucket: key === undefined ? null : bucketOf(key), reason: 'no-route' };
}

/**
 * Read the sticky key from a payload by dot path. Strings are used as they are, finite numbers as their
 * decimal text (so `42` and `"42"` share a bucket); anything else (absent, empty, an object) is no key.
 */
export function stickyKeyOf(payload: unknown, keyField: string): string | undefined {
  let cur: unknown = payload;
  let start = 0;
  while (start <= keyField.length) {
    const dot = keyField.indexOf('.', start);
    const part = dot === -1 ? keyField.slice(start) : keyField.slice(start, dot);
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
    if (dot === -1) break;
    start = dot + 1;
  }
  if (typeof cur === 'string') return cur === '' ? undefined : cur;
  if (typeof cur === 'number' && Number.isFinite(cur)) return String(cur);
  return undefined;
}

/** What an implementation's outcome is worth, given the decision the event was routed by. */
export type OutcomeRole = 'authoritative' | 'shadow' | 'not-routed';

export function roleOf(decision: Decision, side: Side): OutcomeRole {
  if (decision.authoritative === side) return 'authoritative';
  if (decision.shadow === side) return 'shadow';
  return 'not-routed';
}

export interface ResolvedOutcomes<O> {
  /** The outcome whose effects count: the authoritative side's, and only it. `undefined` while it is missing. */
  readonly effective: O | undefined;
  /** Present when the decision had a shadow: both outcomes, for the comparer. */
  readonly comparison?: { readonly authoritative: O | undefined; readonly shadow: O | undefined; readonly shadowSide: Side };
  /** Outcomes reported by a side the decision did not route to (a bug or a stale router): ignored, listed here. */
  readonly ignored: readonly Side[];
}

/**
 * Pick which outcome counts. The shadow's outcome is only ever compared, never effective, even when the
 * authoritative outcome is missing (a missing authoritative outcome is an error to surface, not a gap for
 * the shadow to fill).
 */
export function resolveOutcomes<O>(decision: Decision, outcomes: Partial<Record<Side, O>>): ResolvedOutcomes<O> {
  const ignored: Side[] = [];
  for (const side of ['legacy', 'candidate'] as const) {
    if (outcomes[side] !== undefined && roleOf(decision, side) === 'not-routed') ignored.push(side);
  }
  const effective = outcomes[decision.authoritative];
  if (decision.shadow === undefined) return { effective, ignored };
  return {
    effective,
    comparison: { authoritative: effective, shadow: outcomes[decision.shadow], shadowSide: decision.shadow },
    ignored,
  };
}
