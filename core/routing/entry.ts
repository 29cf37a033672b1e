import { z } from 'zod';
import type { CapabilityRouting } from '../spec/routing';
import { RouteEntryError, describeIssues } from './errors';
import { HEALTH_STATES, ROUTE_MODES, capabilityName, impliedPercent, stickyKeyName, targetName, versionLabel } from './model';

/**
 * One row of the routing table: the live routing state of one capability. The runtime copy lives in a
 * table (DynamoDB in the kit) keyed by `capability`; every change goes through `applyChange`, which bumps
 * `revision` (the adapter writes on condition `revision = previous`) and yields a history record.
 *
 * `percent` always means "share of buckets for which the candidate is authoritative": 0 in legacy and
 * shadow, 100 in primary and retired, 0..100 in canary. The model rejects any other combination, so a
 * hand-edited row cannot say `mode: legacy, percent: 40`.
 */
export const routeEntrySchema = z
  .object({
    capability: capabilityName,
    mode: z.enum(ROUTE_MODES),
    percent: z.number().int('must be a whole number').min(0, 'must be 0..100').max(100, 'must be 0..100'),
    legacy: z.object({ target: targetName }).strict(),
    candidate: z.object({ version: versionLabel, target: targetName }).strict(),
    /** Name of the key hashed into buckets. Fixed by the spec: changing it would reshuffle every key. */
    stickyKey: stickyKeyName,
    /** In canary, shadow the monolith-routed keys to the candidate too. */
    mirrorInCanary: z.boolean(),
    /** In primary, shadow every event to the monolith (only if it can run without side effects). */
    legacyShadowInPrimary: z.boolean(),
    health: z.enum(HEALTH_STATES),
    updatedAt: z.iso.datetime({ message: 'must be an ISO 8601 UTC timestamp such as 2026-11-21T14:30:00Z' }),
    updatedBy: z.string().trim().min(1, 'must name who made the change'),
    reason: z.string().trim().min(1, 'must say why'),
    revision: z.number().int().min(0),
  })
  .strict()
  .superRefine((entry, ctx) => {
    const implied = impliedPercent(entry.mode);
    if (implied !== undefined && entry.percent !== implied) {
      ctx.addIssue({ code: 'custom', path: ['percent'], message: `must be ${implied} in ${entry.mode} mode` });
    }
    if (entry.legacy.target === entry.candidate.target) {
      ctx.addIssue({
        code: 'custom',
        path: ['candidate', 'target'],
        message: 'must differ from legacy.target, or routing could not tell them apart',
      });
    }
  });

export type RouteEntry = Readonly<z.output<typeof routeEntrySchema>>;

/**
 * Validate an untrusted route entry (a table row, CLI input). Throws `RouteEntryError` whose issues name
 * each field and the value found there, e.g. `percent: must be 0 in legacy mode, got 40`.
 */
export function parseRouteEntry(input: unknown): RouteEntry {
  const result = routeEntrySchema.safeParse(input);
  if (!result.success) {
    const capability = input !== null && typeof input === 'object' ? (input as Record<string, unknown>).capability : undefined;
    throw new RouteEntryError(describeIssues(result.error.issues, input), { capability }, { cause: result.error });
  }
  return result.data;
}

/** The routing table as the router sees it: capability -> entry. */
export type RoutingTable = ReadonlyMap<string, RouteEntry>;

/** Build a table from validated entries; a capability listed twice is an error, never a silent overwrite. */
export function routingTable(entries: Iterable<RouteEntry>): RoutingTable {
  const table = new Map<string, RouteEntry>();
  for (const entry of entries) {
    if (table.has(entry.capability)) {
      throw new RouteEntryError([`capability: "${entry.capability}" appears twice in the routing table`], {
        capability: entry.capability,
      });
    }
    table.set(entry.capability, entry);
  }
  return table;
}

/**
 * The entry a capability starts with when the table has no row for it yet, from the spec. Revision 0;
 * health `unknown` until the first report. The adapter must write it on condition "no row exists", so a
 * redeploy never undoes a live rollback.
 */
export function seedEntry(capability: string, spec: CapabilityRouting, now: Date, actor = 'spec'): RouteEntry {
  const impl = spec.implementations[spec.candidate];
  if (impl === undefined) {
    throw new RouteEntryError([`candidate: "${spec.candidate}" is not one of the implementations of ${capability}`], {
      capability,
    });
  }
  const percent = impliedPercent(spec.initial.mode) ?? spec.initial.percent ?? 0;
  return parseRouteEntry({
    capability,
    mode: spec.initial.mode,
    percent,
    legacy: { target: spec.legacy.target },
    candidate: { version: spec.candidate, target: impl.target },
    stickyKey: spec.stickyKey,
    mirrorInCanary: spec.mirrorInCanary,
    legacyShadowInPrimary: spec.legacyShadowInPrimary,
    health: 'unknown',
    updatedAt: now.toISOString(),
    updatedBy: actor,
    reason: 'seeded from the migration spec',
    revision: 0,
  });
}
