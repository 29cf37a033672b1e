import { z } from 'zod';
import type { RouteEntry } from './entry';
import { parseRouteEntry } from './entry';
import { TransitionError, describeIssues, show } from './errors';
import { HEALTH_STATES, ROUTE_MODES, impliedPercent, targetName, versionLabel } from './model';
import type { Health, RouteMode } from './model';

/**
 * The routing state machine.
 *
 *     legacy --> shadow --> canary --> primary --> retired        forward: one step at a time
 *       ^          |          |           |           |
 *       +----------+----------+-----------+-----------+            back: to any earlier mode, in one step
 *
 * - Forward moves go one step at a time, so a candidate is always shadowed before it takes traffic and
 *   takes a share before it takes all. `promote` is the next step forward.
 * - Backward moves may skip (primary -> legacy). `rollback` is "back to legacy, percent 0" from any mode,
 *   including retired (the monolith's target is still recorded); it is idempotent.
 * - Entering canary needs a percent. In canary, `setPercent` moves the split: raising moves keys from the
 *   monolith to the candidate only; lowering moves keys back (a partial rollback).
 * - Moving traffic towards an `unhealthy` candidate (promote, raising the percent) is refused; so is
 *   retiring the monolith unless the candidate is `healthy` (unknown is not evidence).
 * - The candidate version can be swapped only in legacy or shadow mode, where it is authoritative for no
 *   key; its health resets to unknown.
 * - Every change needs an actor and a reason, bumps `revision` by one and yields a history record. A change
 *   that would change nothing returns `changed: false` and no record, so retries and repeated alarms are
 *   harmless.
 */
export const routeChangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('setMode'), mode: z.enum(ROUTE_MODES), percent: z.number().optional() }).strict(),
  z.object({ kind: z.literal('promote'), percent: z.number().optional() }).strict(),
  z.object({ kind: z.literal('setPercent'), percent: z.number() }).strict(),
  z.object({ kind: z.literal('rollback') }).strict(),
  z.object({ kind: z.literal('setHealth'), health: z.enum(HEALTH_STATES) }).strict(),
  z.object({ kind: z.literal('setCandidate'), version: versionLabel, target: targetName }).strict(),
  z
    .object({
      kind: z.literal('setShadowing'),
      mirrorInCanary: z.boolean().optional(),
      legacyShadowInPrimary: z.boolean().optional(),
    })
    .strict(),
]);
export type RouteChange = z.infer<typeof routeChangeSchema>;

/** The part of an entry a change can move; history records keep it before and after. */
export interface RouteState {
  readonly mode: RouteMode;
  readonly percent: number;
  readonly health: Health;
  readonly candidate: { readonly version: string; readonly target: string };
  readonly mirrorInCanary: boolean;
  readonly legacyShadowInPrimary: boolean;
}

/** One line of a capability's routing history: who, when, from what, to what, why. */
export interface RouteHistoryRecord {
  readonly capability: string;
  /** The revision the change produced (the entry's new revision): unique per capability. */
  readonly revision: number;
  readonly at: string;
  readonly actor: string;
  readonly reason: string;
  readonly change: RouteChange;
  readonly from: RouteState;
  readonly to: RouteState;
}

export type ChangeResult =
  | { readonly changed: true; readonly next: RouteEntry; readonly historyRecord: RouteHistoryRecord }
  | { readonly changed: false; readonly next: RouteEntry; readonly historyRecord: null };

const MAX_REASON = 1000;
const MAX_ACTOR = 200;

/** Validate an untrusted change (CLI, API). Throws `TransitionError` naming the field and value. */
export function parseRouteChange(input: unknown): RouteChange {
  const result = routeChangeSchema.safeParse(input);
  if (!result.success) {
    throw new TransitionError(
      `invalid route change: ${describeIssues(result.error.issues, input, '(change)').join('; ')}`,
      { input },
      { cause: result.error },
    );
  }
  return result.data;
}

export function stateOf(entry: RouteEntry): RouteState {
  return {
    mode: entry.mode,
    percent: entry.percent,
    health: entry.health,
    candidate: { version: entry.candidate.version, target: entry.candidate.target },
    mirrorInCanary: entry.mirrorInCanary,
    legacyShadowInPrimary: entry.legacyShadowInPrimary,
  };
}

/** The mode after `mode`, or `undefined` from retired. */
export function nextMode(mode: RouteMode): RouteMode | undefined {
  return ROUTE_MODES[ROUTE_MODES.indexOf(mode) + 1];
}

/**
 * Apply one change to an entry. Pure: returns the next entry and the history record; the adapter writes
 * both, on condition that the stored revision is still `entry.revision`. Throws `TransitionError` (with the
 * capability, the current mode and the change as context) when the change is not allowed.
 */
export function applyChange(entry: RouteEntry, change: RouteChange, actor: string, reason: string, now: Date): ChangeResult {
  const fail = (message: string): never => {
    throw new TransitionError(`${entry.capability}: ${message}`, {
      capability: entry.capability,
      mode: entry.mode,
      percent: entry.percent,
      change,
    });
  };
  if (typeof actor !== 'string' || actor.trim() === '') fail(`actor: say who makes the change, got ${show(actor)}`);
  if (actor.length > MAX_ACTOR) fail(`actor: at most ${MAX_ACTOR} characters, got ${actor.length}`);
  if (typeof reason !== 'string' || reason.trim() === '') fail(`reason: say why the change is made, got ${show(reason)}`);
  if (reason.length > MAX_REASON) fail(`reason: at most ${MAX_REASON} characters, got ${reason.length}`);
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) fail(`now: must be a valid Date, got ${show(now)}`);

  const from = stateOf(entry);
  const to = target(entry, from, change, fail);
  if (sameState(from, to)) return { changed: false, next: entry, historyRecord: null };

  const at = now.toISOString();
  const revision = entry.revision + 1;
  const next = parseRouteEntry({
    ...entry,
    ...to,
    candidate: { ...to.candidate },
    updatedAt: at,
    updatedBy: actor.trim(),
    reason: reason.trim(),
    revision,
  });
  return {
    changed: true,
    next,
    historyRecord: { capability: entry.capability, revision, at, actor: actor.trim(), reason: reason.trim(), change, from, to },
  };
}

function target(entry: RouteEntry, from: RouteState, change: RouteChange, fail: (message: string) => never): RouteState {
  switch (change.kind) {
    case 'rollback':
      return { ...from, mode: 'legacy', percent: 0 };
    case 'setMode':
      return moveTo(from, change.mode, change.percent, fail);
    case 'promote': {
      const next = nextMode(from.mode);
      if (next === undefined) return fail('is already retired: there is no step after retired');
      return moveTo(from, next, change.percent, fail);
    }
    case 'setPercent': {
      if (from.mode !== 'canary') {
        return fail(
          `percent can only be set in canary mode; ${from.mode} mode implies ${impliedPercent(from.mode)} (use setMode canary with a percent)`,
        );
      }
      const percent = checkPercent(change.percent, fail);
      if (percent > from.percent && from.health === 'unhealthy') {
        return fail(`cannot raise the percent from ${from.percent} to ${percent}: the candidate is unhealthy`);
      }
      return { ...from, percent };
    }
    case 'setHealth':
      return { ...from, health: change.health };
    case 'setCandidate': {
      if (from.mode !== 'legacy' && from.mode !== 'shadow') {
        return fail(
          `cannot swap the candidate in ${from.mode} mode, where it is authoritative for some keys: roll back or move to shadow first`,
        );
      }
      if (change.target === entry.legacy.target) {
        return fail(`candidate target ${show(change.target)} is the legacy target; the candidate needs its own`);
      }
      const same = change.version === from.candidate.version && change.target === from.candidate.target;
      return same ? from : { ...from, candidate: { version: change.version, target: change.target }, health: 'unknown' };
    }
    case 'setShadowing':
      return {
        ...from,
        mirrorInCanary: change.mirrorInCanary ?? from.mirrorInCanary,
        legacyShadowInPrimary: change.legacyShadowInPrimary ?? from.legacyShadowInPrimary,
      };
  }
}

function moveTo(from: RouteState, mode: RouteMode, percent: number | undefined, fail: (message: string) => never): RouteState {
  const fromIndex = ROUTE_MODES.indexOf(from.mode);
  const toIndex = ROUTE_MODES.indexOf(mode);
  if (toIndex > fromIndex + 1) {
    return fail(
      `cannot go from ${from.mode} to ${mode} in one step: forward moves go one step at a time (${ROUTE_MODES.join(' -> ')}); the next step from ${from.mode} is ${nextMode(from.mode)}`,
    );
  }
  const forward = toIndex > fromIndex;
  if (forward && (mode === 'canary' || mode === 'primary') && from.health === 'unhealthy') {
    return fail(`cannot move to ${mode}: the candidate is unhealthy (mark it healthy once fixed, or roll back)`);
  }
  if (mode === 'retired' && from.mode !== 'retired' && from.health !== 'healthy') {
    return fail(`cannot retire the monolith while the candidate's health is ${from.health}: it must be healthy`);
  }
  const implied = impliedPercent(mode);
  if (implied !== undefined) {
    if (percent !== undefined && percent !== implied) {
      return fail(`percent applies to canary only: ${mode} mode implies ${implied}, got ${show(percent)}`);
    }
    return { ...from, mode, percent: implied };
  }
  if (percent === undefined) {
    return from.mode === 'canary' ? from : fail(`canary needs a percent (a whole number 0..100), got nothing`);
  }
  const p = checkPercent(percent, fail);
  if (from.mode === 'canary' && p > from.percent && from.health === 'unhealthy') {
    return fail(`cannot raise the percent from ${from.percent} to ${p}: the candidate is unhealthy`);
  }
  return { ...from, mode, percent: p };
}

function checkPercent(percent: unknown, fail: (message: string) => never): number {
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    return fail(`percent: must be a whole number 0..100, got ${show(percent)}`);
  }
  return percent;
}

function sameState(a: RouteState, b: RouteState): boolean {
  return (
    a.mode === b.mode &&
    a.percent === b.percent &&
    a.health === b.health &&
    a.candidate.version === b.candidate.version &&
    a.candidate.target === b.candidate.target &&
    a.mirrorInCanary === b.mirrorInCanary &&
    a.legacyShadowInPrimary === b.legacyShadowInPrimary
  );
}

/** The rollback of an invalid row: the seed in legacy mode at the next revision, with its history record. */
export function rebuildAsRollback(seed: RouteEntry, actor: string, reason: string, now: Date): ChangeResult {
  if (actor.trim() === '' || reason.trim() === '')
    throw new TransitionError(`${seed.capability}: a rollback needs an actor and a reason`, { capability: seed.capability });
  const at = now.toISOString();
  const next = parseRouteEntry({
    ...seed,
    mode: 'legacy',
    percent: 0,
    revision: seed.revision + 1,
    updatedAt: at,
    updatedBy: actor.trim(),
    reason: reason.trim(),
  });
  return {
    changed: true,
    next,
    historyRecord: {
      capability: seed.capability,
      revision: next.revision,
      at,
      actor: actor.trim(),
      reason: reason.trim(),
      change: { kind: 'rollback' },
      from: stateOf(seed),
      to: stateOf(next),
    },
  };
}
