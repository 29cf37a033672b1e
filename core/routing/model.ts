import { z } from 'zod';

/**
 * The shared vocabulary of routing, kept free of imports so both the spec section (core/spec/routing.ts)
 * and the runtime model (entry.ts) can use it without a cycle.
 *
 * Modes, in the order a cutover walks them:
 *   legacy   the monolith handles every event; the candidate sees nothing.
 *   shadow   the monolith is authoritative; the candidate gets a copy whose effects are isolated and
 *            whose outcome is compared.
 *   canary   keys whose bucket is below `percent` go to the candidate, the rest to the monolith.
 *   primary  the candidate is authoritative for every key; the monolith is kept warm for rollback.
 *   retired  the candidate only; the monolith no longer receives the capability's events.
 */
export const ROUTE_MODES = ['legacy', 'shadow', 'canary', 'primary', 'retired'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

/** Health of the candidate as last reported (alarm state or an operator). `unknown` routes like healthy. */
export const HEALTH_STATES = ['healthy', 'unhealthy', 'unknown'] as const;
export type Health = (typeof HEALTH_STATES)[number];

/** Which implementation of a capability: the monolith or the new service version under test. */
export type Side = 'legacy' | 'candidate';

/** Capability names: `inventory`, `payment`, `order-history`. */
export const capabilityName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lower case letters, digits and -, starting with a letter, at most 40 characters');

/** A delivery target's name (`monolith`, `inventory-v2`): what the infrastructure maps to a rule and a target. */
export const targetName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must start with a letter and hold only letters, digits, _ . - (at most 64)');

/** An implementation's version label: `v1`, `v2`, `2.1.0`. */
export const versionLabel = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'must be letters, digits, _ . - (at most 32), e.g. v2');

/** The name of the sticky key (`customerId`, `orderId`): what is hashed into a bucket. */
export const stickyKeyName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a name such as customerId');

const rate = (what: string) =>
  z.number().min(0, `${what} is a fraction between 0 and 1`).max(1, `${what} is a fraction between 0 and 1 (5% is 0.05)`);

/**
 * When to roll a candidate back automatically. A threshold left out is not checked; at least one is
 * required. A window with fewer than `minSamples` events never triggers (one early error is not a trend).
 */
export const rollbackThresholdsSchema = z
  .object({
    /** Roll back when more than this fraction of the candidate's deliveries fail. */
    maxErrorRate: rate('maxErrorRate').optional(),
    /** Roll back when the candidate's p95 handling time exceeds this. */
    maxP95LatencyMs: z.number().positive().optional(),
    /** Roll back when more than this fraction of compared outcomes differ from the authoritative one. */
    maxMismatchRate: rate('maxMismatchRate').optional(),
    /** Fewest events in the window before any threshold is judged. @default 20 */
    minSamples: z.number().int().min(1).default(20),
    /** Length of the evaluation window (the alarm period). CloudWatch takes 10, 30 or a multiple of 60. @default 60 */
    periodSeconds: z
      .number()
      .int()
      .refine((s) => s === 10 || s === 30 || (s >= 60 && s % 60 === 0), 'must be 10, 30 or a multiple of 60')
      .default(60),
  })
  .strict()
  .refine((t) => t.maxErrorRate !== undefined || t.maxP95LatencyMs !== undefined || t.maxMismatchRate !== undefined, {
    message: 'give at least one of maxErrorRate, maxP95LatencyMs, maxMismatchRate',
  });
export type RollbackThresholdsInput = z.input<typeof rollbackThresholdsSchema>;
export type RollbackThresholds = z.output<typeof rollbackThresholdsSchema>;

/** The percent a mode implies, or `undefined` for canary (where the entry's own percent applies). */
export function impliedPercent(mode: RouteMode): number | undefined {
  switch (mode) {
    case 'legacy':
    case 'shadow':
      return 0;
    case 'primary':
    case 'retired':
      return 100;
    case 'canary':
      return undefined;
  }
}
