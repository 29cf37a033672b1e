import { z } from 'zod';
import type { EntityPolicy, EntitySyncRules, FieldPolicy, RowPolicy } from '../sync/policy';

/**
 * The `sync` section of the migration spec: which migrated entities are kept in step both ways while the
 * monolith and the services both write, and how a conflict on each is settled (core/sync/policy.ts).
 *
 * ```ts
 * sync: {
 *   source: 'shop',
 *   lagToleranceSeconds: 30,
 *   entities: {
 *     stock: { policy: { mergeFields: { fallback: { prefer: 'monolith' } } }, fields: { onHand: 'delta' } },
 *     customers: { policy: 'lastWriterWins', clock: 'updatedAt' },
 *   },
 * }
 * ```
 */
const side = z.enum(['monolith', 'service']);
const resolverName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a resolver name: a letter, then letters, digits, _ or -');
const attributePath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/, 'an attribute name or a dot path such as amount.total');
/** A root attribute path, or a field of an embedded list's elements (`lines[].quantity`). */
const fieldPath = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_-]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_-]*)*$/,
    'an attribute name, a dot path such as amount.total, or a list element field such as lines[].quantity',
  );

const rowPolicySchema = z.union([
  z.literal('lastWriterWins'),
  z.literal('manual'),
  z.object({ prefer: side }).strict(),
  z.object({ custom: resolverName }).strict(),
]);
const fieldPolicySchema = z.union([
  rowPolicySchema,
  z.literal('delta'),
  z.object({ delta: z.object({ fallback: rowPolicySchema }).strict() }).strict(),
]);
const entityPolicySchema = z.union([
  rowPolicySchema,
  z.object({ mergeFields: z.object({ fallback: fieldPolicySchema }).strict() }).strict(),
]);
export type SyncRowPolicyInput = z.infer<typeof rowPolicySchema>;
export type SyncFieldPolicyInput = z.infer<typeof fieldPolicySchema>;
export type SyncEntityPolicyInput = z.infer<typeof entityPolicySchema>;

export const syncEntitySchema = z
  .object({
    description: z.string().optional(),
    /** @default 'both' */
    direction: z.enum(['both', 'toService', 'toMonolith']).optional(),
    policy: entityPolicySchema,
    /** Per attribute: settled on its own whatever the entity policy (a counter under `delta`). */
    fields: z.record(fieldPath, fieldPolicySchema).optional(),
    /** The attribute that orders writes for lastWriterWins: a last-modified time both sides maintain. */
    clock: attributePath.optional(),
    /** Attributes never written back to the monolith (the service owns them, or they cannot be reversed). */
    oneWay: z.array(attributePath).optional(),
    /**
     * Child tables of the entity (by their migration `children` name) whose rows cannot sync (a `collection`
     * child, or an embedded list ordered by a column that is not mapped back) and whose writes you accept
     * stay on the side that made them. Each such child must be named here: otherwise the spec is refused,
     * so a dropped child write is always a decision written down, never a surprise.
     */
    unsyncedChildren: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type SyncEntity = z.infer<typeof syncEntitySchema>;

export const syncSectionSchema = z
  .object({
    /** A name for the monolith database: the relay's lease and watermark are kept under it. */
    source: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower case letters, digits and -'),
    /** `cutover sync status` exits non-zero when the oldest unshipped change is older than this. @default 60 */
    lagToleranceSeconds: z.number().int().positive().optional(),
    entities: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'an entity of the migration section'), syncEntitySchema),
  })
  .strict();
export type SyncSection = z.infer<typeof syncSectionSchema>;
export type SyncSectionInput = z.input<typeof syncSectionSchema>;

function rowPolicy(p: SyncRowPolicyInput): RowPolicy {
  if (p === 'lastWriterWins') return { kind: 'lastWriterWins' };
  if (p === 'manual') return { kind: 'manual' };
  if ('prefer' in p) return { kind: 'prefer', side: p.prefer };
  return { kind: 'custom', resolver: p.custom };
}

function fieldPolicy(p: SyncFieldPolicyInput): FieldPolicy {
  if (p === 'delta') return { kind: 'delta' };
  if (typeof p === 'object' && 'delta' in p) return { kind: 'delta', fallback: rowPolicy(p.delta.fallback) };
  return rowPolicy(p as SyncRowPolicyInput);
}

function entityPolicy(p: SyncEntityPolicyInput): EntityPolicy {
  if (typeof p === 'object' && 'mergeFields' in p) return { kind: 'mergeFields', fallback: fieldPolicy(p.mergeFields.fallback) };
  return rowPolicy(p as SyncRowPolicyInput);
}

/** The engine's rules for one entity of the section. */
export function syncRules(entity: SyncEntity): EntitySyncRules {
  return {
    policy: entityPolicy(entity.policy),
    ...(entity.fields ? { fields: Object.fromEntries(Object.entries(entity.fields).map(([f, p]) => [f, fieldPolicy(p)])) } : {}),
    ...(entity.clock ? { clock: entity.clock } : {}),
    ...(entity.oneWay ? { oneWay: entity.oneWay } : {}),
  };
}

/** Every policy an entity uses, entity level and per field. */
function policiesOf(rules: EntitySyncRules): (EntityPolicy | FieldPolicy)[] {
  const out: (EntityPolicy | FieldPolicy)[] = [rules.policy, ...Object.values(rules.fields ?? {})];
  for (const p of [...out]) {
    if (p.kind === 'mergeFields') out.push(p.fallback);
    if (p.kind === 'delta' && p.fallback) out.push(p.fallback);
  }
  return out;
}

export interface SyncIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Rules that need the migration section: every synced entity is migrated, named attributes exist, the
 * clock is there for lastWriterWins, and an attribute that cannot be reversed is declared one-way.
 * `irreversibleOf` gives an entity's irreversible attributes (core/sync/mapping.ts computes them).
 */
export function syncIssues(
  section: SyncSection,
  migrated: Readonly<
    Record<
      string,
      {
        fields: readonly { attribute: string }[];
        children?: readonly { name: string; shape: string; attribute?: string; fields: readonly { attribute: string }[] }[];
      }
    >
  >,
  irreversibleOf: (entity: string) => readonly string[],
  unsyncedChildrenOf: (entity: string) => readonly { readonly name: string; readonly table: string; readonly reason: string }[] = () => [],
): SyncIssue[] {
  const issues: SyncIssue[] = [];
  for (const [name, e] of Object.entries(section.entities)) {
    const at = ['sync', 'entities', name];
    const m = migrated[name];
    if (!m) {
      issues.push({ path: at, message: `"${name}" is not an entity of the migration section, so there is no mapping to sync it with` });
      continue;
    }
    const attrs = new Set(m.fields.map((f) => f.attribute));
    const known = (a: string, where: (string | number)[]) => {
      if (!attrs.has(a)) issues.push({ path: where, message: `"${a}" is not an attribute of ${name}: one of ${[...attrs].join(', ')}` });
    };
    for (const f of Object.keys(e.fields ?? {})) {
      const element = /^([^.[]+)\[\]\.(.+)$/.exec(f);
      if (!element) {
        known(f, [...at, 'fields', f]);
        continue;
      }
      const child = (m.children ?? []).find((c) => c.shape === 'embed' && (c.attribute ?? c.name) === element[1]);
      if (!child) issues.push({ path: [...at, 'fields', f], message: `"${element[1]}" is not an embedded list of ${name}` });
      else if (!child.fields.some((x) => x.attribute === element[2]))
        issues.push({
          path: [...at, 'fields', f],
          message: `"${element[2]}" is not an attribute of ${name}'s ${element[1]}: one of ${child.fields.map((x) => x.attribute).join(', ')}`,
        });
    }
    (e.oneWay ?? []).forEach((f, i) => known(f, [...at, 'oneWay', i]));
    const accepted = new Set(e.unsyncedChildren ?? []);
    const childNames = (m.children ?? []).map((c) => c.name);
    (e.unsyncedChildren ?? []).forEach((c, i) => {
      if (!childNames.includes(c))
        issues.push({
          path: [...at, 'unsyncedChildren', i],
          message: `"${c}" is not a child of ${name}: ${childNames.length ? `one of ${childNames.join(', ')}` : 'it has no children'}`,
        });
    });
    for (const u of unsyncedChildrenOf(name)) {
      if (!accepted.has(u.name))
        issues.push({
          path: [...at, 'unsyncedChildren'],
          message: `child ${u.name} (table ${u.table}) of ${name} cannot sync: ${u.reason}; its writes would stay on one side, so name it in unsyncedChildren to accept that`,
        });
    }
    if (e.clock) known(e.clock, [...at, 'clock']);
    const rules = syncRules(e);
    const all = policiesOf(rules);
    if (all.some((p) => p.kind === 'lastWriterWins') && !e.clock) {
      issues.push({
        path: [...at, 'clock'],
        message: 'lastWriterWins needs a clock: the attribute holding the last-modified time (e.g. updatedAt)',
      });
    }
    if (
      rules.policy.kind === 'mergeFields' &&
      [
        rules.policy.fallback,
        ...(rules.policy.fallback.kind === 'delta' && rules.policy.fallback.fallback ? [rules.policy.fallback.fallback] : []),
      ].some((p) => p.kind === 'lastWriterWins')
    ) {
      issues.push({
        path: [...at, 'policy', 'mergeFields', 'fallback'],
        message:
          'a field merge cannot fall back to lastWriterWins: the row clock does not say when one field changed, so the two sides could pick different winners; use prefer or custom',
      });
    }
    if ((e.direction ?? 'both') !== 'toService') {
      const oneWay = new Set(e.oneWay ?? []);
      for (const a of irreversibleOf(name)) {
        if (!oneWay.has(a)) {
          issues.push({
            path: [...at, 'oneWay'],
            message: `attribute ${a} of ${name} cannot be turned back into a column (a constant, a template or a transform without inverse): list it in oneWay`,
          });
        }
      }
    }
  }
  return issues;
}
