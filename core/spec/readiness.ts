import { z } from 'zod';

/*
 * The `readiness` section: the thresholds `cutover readiness <capability>` judges a capability's evidence
 * against before it moves on (shadow -> canary -> primary). Every field has a default, so the section may
 * be left out; a capability may override any threshold and may waive a check with a written reason.
 */

const rate = (name: string) => z.number().min(0, `${name} is a fraction between 0 and 1`).max(1, `${name} is a fraction between 0 and 1`);

/** The checks readiness knows; a waiver names one of them. */
export const READINESS_CHECKS = ['shadow', 'canary-errors', 'canary-latency', 'backfill', 'sync', 'quarantine', 'saga', 'health'] as const;
export type ReadinessCheckId = (typeof READINESS_CHECKS)[number];

export const readinessThresholdsSchema = z
  .object({
    /** The window the metric figures are read over, in minutes. @default 60 */
    windowMinutes: z.number().int().min(1).max(1440).optional(),
    /** Most compared shadow outcomes that may differ from the monolith's. @default 0.01 */
    maxMismatchRate: rate('maxMismatchRate').optional(),
    /** Fewest compared outcomes before a mismatch rate counts as evidence. @default 100 */
    minComparisons: z.number().int().min(1).optional(),
    /** Highest error rate of the new service's deliveries. @default 0.01 */
    maxErrorRate: rate('maxErrorRate').optional(),
    /** Most the new service's error rate may exceed the monolith's over the same window. @default 0.005 */
    maxErrorRateIncrease: rate('maxErrorRateIncrease').optional(),
    /** The new service's p95 handling time may be at most this multiple of the monolith's. @default 1.2 */
    maxP95Ratio: z.number().min(1).optional(),
    /** Fewest deliveries per side before error rates and p95 count as evidence. @default 100 */
    minDeliveries: z.number().int().min(1).optional(),
    /** Oldest a clean verify of the capability's tables may be, in hours. @default 24 */
    maxBackfillAgeHours: z.number().positive().optional(),
    /** Highest two-way sync lag, in seconds. @default 60 */
    maxSyncLagSeconds: z.number().min(0).optional(),
    /** Most unresolved sync conflicts. @default 0 */
    maxOpenConflicts: z.number().int().min(0).optional(),
    /** Most events of the capability's types kept in quarantine within the window. @default 0 */
    maxOpenQuarantines: z.number().int().min(0).optional(),
    /** Most sagas ended in CompensationFailed within the window. @default 0 */
    maxSagaFailures: z.number().int().min(0).optional(),
  })
  .strict();

export const capabilityReadinessSchema = readinessThresholdsSchema
  .extend({
    /** The migration entities (spec.migration) this capability owns: their verify reports are its backfill evidence. */
    entities: z.array(z.string().min(1)).optional(),
    /**
     * Checks that do not apply to this capability, each with the reason (e.g. `sync: 'inventory has no
     * two-way sync: the monolith stops writing stock at primary'`). Absent evidence is NO-GO unless waived.
     */
    waive: z.partialRecord(z.enum(READINESS_CHECKS), z.string().min(10, 'a waiver needs a reason of at least 10 characters')).optional(),
  })
  .strict();

export const readinessSectionSchema = z
  .object({
    /** Thresholds for every capability. */
    defaults: readinessThresholdsSchema.optional(),
    /** Per routed capability: overrides, owned entities and waivers. */
    capabilities: z.record(z.string(), capabilityReadinessSchema).optional(),
  })
  .strict();

export type ReadinessSection = z.output<typeof readinessSectionSchema>;
export type ReadinessThresholdsInput = z.output<typeof readinessThresholdsSchema>;
export type CapabilityReadiness = z.output<typeof capabilityReadinessSchema>;

/** Every threshold, resolved. */
export interface ReadinessThresholds {
  readonly windowMinutes: number;
  readonly maxMismatchRate: number;
  readonly minComparisons: number;
  readonly maxErrorRate: number;
  readonly maxErrorRateIncrease: number;
  readonly maxP95Ratio: number;
  readonly minDeliveries: number;
  readonly maxBackfillAgeHours: number;
  readonly maxSyncLagSeconds: number;
  readonly maxOpenConflicts: number;
  readonly maxOpenQuarantines: number;
  readonly maxSagaFailures: number;
}

export const DEFAULT_READINESS_THRESHOLDS: ReadinessThresholds = {
  windowMinutes: 60,
  maxMismatchRate: 0.01,
  minComparisons: 100,
  maxErrorRate: 0.01,
  maxErrorRateIncrease: 0.005,
  maxP95Ratio: 1.2,
  minDeliveries: 100,
  maxBackfillAgeHours: 24,
  maxSyncLagSeconds: 60,
  maxOpenConflicts: 0,
  maxOpenQuarantines: 0,
  maxSagaFailures: 0,
};

/** A capability's thresholds (capability over section defaults over built-in defaults), entities and waivers. */
export function readinessFor(
  section: ReadinessSection | undefined,
  capability: string,
): { thresholds: ReadinessThresholds; entities: readonly string[]; waivers: Partial<Record<ReadinessCheckId, string>> } {
  const cap = section?.capabilities?.[capability] ?? {};
  const { entities, waive, ...overrides } = cap as CapabilityReadiness;
  const thresholds = { ...DEFAULT_READINESS_THRESHOLDS };
  for (const layer of [section?.defaults ?? {}, overrides]) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (thresholds as Record<string, number>)[k] = v as number;
  }
  return { thresholds, entities: entities ?? [], waivers: waive ?? {} };
}

/** Cross-section checks: capabilities must be routed ones, entities must be migration entities. */
export function readinessCrossIssues(
  section: ReadinessSection | undefined,
  routed: readonly string[],
  entities: readonly string[] | undefined,
): string[] {
  const issues: string[] = [];
  for (const [capability, cap] of Object.entries(section?.capabilities ?? {})) {
    if (!routed.includes(capability))
      issues.push(
        `readiness.capabilities.${capability}: not a routed capability (routing.capabilities has ${routed.join(', ') || 'none'})`,
      );
    for (const [i, e] of (cap.entities ?? []).entries()) {
      if (!(entities ?? []).includes(e))
        issues.push(
          `readiness.capabilities.${capability}.entities[${i}]: ${JSON.stringify(e)} is not an entity of migration (has ${(entities ?? []).join(', ') || 'none'})`,
        );
    }
  }
  return issues;
}
