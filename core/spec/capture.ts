import { z } from 'zod';
import { parsePathPattern, parsePlainPath } from '../compare/path';
import type { CompareRules } from '../compare/rules';
import type { PiiRule } from '../replay/pii';

/**
 * The `capture` section of the migration spec: which legacy events are captured for replay, how long they
 * are kept, which of their fields are personal data, and how a new service's outcome is compared with the
 * monolith's.
 *
 * ```ts
 * capture: {
 *   retentionDays: 30,
 *   events: {
 *     ORDER_PLACED: { role: 'input', pii: [{ path: 'CUSTOMER_EMAIL', action: 'mask' }, { path: 'CARD_NO', action: 'mask', style: 'last4' }] },
 *     ORDER_CONFIRMED: { role: 'outcome', retentionDays: 7 },
 *     HEARTBEAT: { capture: false },
 *   },
 *   compare: {
 *     default: { ignore: ['**.createdAt', 'metadata.*'] },
 *     capabilities: { orders: { normalise: [{ path: 'lines', op: 'sortArray', by: 'sku' }] } },
 *     events: { 'order.created': { tolerance: [{ path: 'total', abs: 0.01 }] } },
 *   },
 * }
 * ```
 * Paths are path patterns (core/compare/path.ts): `lines[*].id`, `metadata.*`, `**.updatedAt`.
 */

function describePathProblem(p: string, plain: boolean): string | undefined {
  try {
    if (plain) parsePlainPath(p);
    else parsePathPattern(p);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const pathPattern = z.string().superRefine((p, ctx) => {
  const problem = describePathProblem(p, false);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const plainPath = z.string().superRefine((p, ctx) => {
  const problem = describePathProblem(p, true);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and hold only letters, digits, _ . -');
const legacyTypeName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'legacy event types are UPPER_SNAKE_CASE');
const serviceTypeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'service event types are dotted lower case, e.g. order.created');
const retentionDays = z.number().int().min(1).max(3650);

export const piiRuleSchema = z
  .object({
    path: pathPattern,
    /** `mask` keeps a stand-in (see core/replay/pii.ts); `drop` removes the field. */
    action: z.enum(['mask', 'drop']),
    /** @default hash */
    style: z.enum(['hash', 'last4']).optional(),
  })
  .strict()
  .refine((r) => r.action === 'mask' || r.style === undefined, { message: 'style applies to mask only', path: ['style'] });

const normaliserSchema = z.discriminatedUnion('op', [
  z.object({ path: pathPattern, op: z.literal('sortArray'), by: plainPath.optional() }).strict(),
  z.object({ path: pathPattern, op: z.literal('number') }).strict(),
  z.object({ path: pathPattern, op: z.literal('lowercase') }).strict(),
  z.object({ path: pathPattern, op: z.literal('trim') }).strict(),
]);

const toleranceSchema = z
  .object({
    path: pathPattern,
    abs: z.number().nonnegative().optional(),
    rel: z.number().nonnegative().optional(),
  })
  .strict()
  .refine((t) => t.abs !== undefined || t.rel !== undefined, { message: 'give abs and/or rel' });

export const compareRulesSchema = z
  .object({
    ignore: z.array(pathPattern).optional(),
    normalise: z.array(normaliserSchema).optional(),
    tolerance: z.array(toleranceSchema).optional(),
  })
  .strict();

export const capturedEventConfigSchema = z
  .object({
    /** @default true */
    capture: z.boolean().optional(),
    /**
     * `input`: an event the monolith acts on (replayed to the new service). `outcome`: an event the
     * monolith emits in response (linked to its input by correlationId, compared). @default input
     */
    role: z.enum(['input', 'outcome', 'both']).optional(),
    /** Overrides the section's `retentionDays` for this type. */
    retentionDays: retentionDays.optional(),
    /** Overrides the entity declared in the bridge catalog (what orders replay per key). */
    entity: z.object({ type: identifier, keyField: plainPath }).strict().optional(),
    pii: z.array(piiRuleSchema).optional(),
  })
  .strict();

export const captureSectionSchema = z
  .object({
    /** How long captured events are kept (DynamoDB TTL). @default 30 */
    retentionDays: retentionDays.optional(),
    /** Per legacy event type. A type not listed is not captured. */
    events: z.record(legacyTypeName, capturedEventConfigSchema),
    compare: z
      .object({
        default: compareRulesSchema.optional(),
        /** Keyed by capability name (as in `routing`). */
        capabilities: z.record(identifier, compareRulesSchema).optional(),
        /** Keyed by service event type (outcomes are compared in the service model). */
        events: z.record(serviceTypeName, compareRulesSchema).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type CaptureSection = z.infer<typeof captureSectionSchema>;
export type CapturedEventConfig = z.infer<typeof capturedEventConfigSchema>;

export const DEFAULT_RETENTION_DAYS = 30;

// The zod output and the core types must agree; these lines fail to compile if they drift apart.
type Assignable<A, B extends A> = B;
export type _CompareRulesAgree = Assignable<CompareRules, z.infer<typeof compareRulesSchema>>;
export type _PiiRulesAgree = Assignable<PiiRule, z.infer<typeof piiRuleSchema>>;

/** What the capture writer does with one legacy event type, with defaults applied. */
export interface CaptureSettings {
  readonly capture: boolean;
  readonly role: 'input' | 'outcome' | 'both';
  readonly retentionDays: number;
  readonly entity?: { readonly type: string; readonly keyField: string };
  readonly pii: readonly PiiRule[];
}

/**
 * Resolve the settings for `legacyType`. `catalogEntity` is the entity the bridge catalog declares for
 * the type; the capture entry may override it. A type the section does not list is not captured.
 */
export function captureSettingsFor(
  section: CaptureSection | undefined,
  legacyType: string,
  catalogEntity?: { readonly type: string; readonly keyField: string },
): CaptureSettings {
  const entry = section?.events[legacyType];
  const retention = entry?.retentionDays ?? section?.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const entity = entry?.entity ?? catalogEntity;
  return {
    capture: entry !== undefined && entry.capture !== false,
    role: entry?.role ?? 'input',
    retentionDays: retention,
    ...(entity ? { entity } : {}),
    pii: entry?.pii ?? [],
  };
}

/**
 * Cross-references the section alone cannot check: captured types exist in the legacy catalog, compare
 * rules name known service event types, an input has an entity to order by. Returns issues naming the
 * field path, in the style of `SpecError`.
 */
export function captureReferenceIssues(spec: {
  readonly bridge: {
    readonly legacyEvents: Readonly<Record<string, { readonly entity?: unknown }>>;
    readonly serviceEvents: Readonly<Record<string, unknown>>;
  };
  readonly capture?: CaptureSection;
}): string[] {
  const issues: string[] = [];
  const capture = spec.capture;
  if (!capture) return issues;
  for (const [type, entry] of Object.entries(capture.events)) {
    const known = spec.bridge.legacyEvents[type];
    if (!known) {
      issues.push(`capture.events.${type}: ${type} is not a legacy event in bridge.legacyEvents`);
      continue;
    }
    const role = entry.role ?? 'input';
    if (entry.capture !== false && role !== 'outcome' && !entry.entity && !known.entity) {
      issues.push(`capture.events.${type}.entity: an input event needs an entity to replay in order, and the catalog declares none`);
    }
  }
  for (const type of Object.keys(capture.compare?.events ?? {})) {
    if (!(type in spec.bridge.serviceEvents))
      issues.push(`capture.compare.events.${type}: ${type} is not a service event in bridge.serviceEvents`);
  }
  return issues;
}
