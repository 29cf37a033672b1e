import { z } from 'zod';
import { TRANSFORM_NAMES } from './transforms';

/**
 * The `migration` section of the migration spec: how monolith tables become items in the new services'
 * DynamoDB tables. One entry per entity (orders, customers...): where its rows live, how each row and its
 * child rows (order lines, payments) become one item or an item collection, and how verification treats
 * numbers and attributes the service adds itself.
 *
 * Source values arrive as text (the adapters read every column in its SQL text form, so PostgreSQL,
 * MySQL and PGlite look alike); transforms turn that text into service values.
 */

/** Transforms that exist for SQL text on top of the bridge's named transforms (core/spec/transforms.ts). */
export const SQL_TRANSFORM_NAMES = ['sqlTimestamp', 'sqlBoolean', 'trim', 'nullIfEmpty'] as const;
export type SqlTransformName = (typeof SQL_TRANSFORM_NAMES)[number];

const sqlIdentifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a plain SQL identifier: a letter or _, then letters, digits or _');
const attributePath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/, 'an attribute name or a dot path such as amount.total');
const attributeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a top-level attribute name');
const entityName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower case letters, digits and -, e.g. orders');
const tableName = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name: 3-255 of letters, digits, _ . -');

const transformRef = z.union([
  z.enum([...TRANSFORM_NAMES, ...SQL_TRANSFORM_NAMES] as [string, ...string[]]),
  z.object({ map: z.record(z.string(), z.string()) }).strict(),
]);
export type MigrationTransformRef = z.infer<typeof transformRef>;

/** `{column}` placeholders in a key template. */
export const TEMPLATE_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * One attribute of the target item. Exactly one of `column` (a source column, optionally transformed),
 * `template` (text with `{column}` placeholders, for composite keys such as `ORDER#{order_id}`) or
 * `constant`.
 */
export const migrationFieldSchema = z
  .object({
    /** Attribute name, or a dot path that builds nested maps (`amount.total`). */
    attribute: attributePath,
    column: sqlIdentifier.optional(),
    template: z.string().min(1).optional(),
    constant: z.union([z.string(), z.number(), z.boolean()]).optional(),
    /** One transform or a chain, applied left to right to the column's text. */
    transform: z.union([transformRef, z.array(transformRef).min(1)]).optional(),
    /**
     * DynamoDB type to store. @default - from the value: text is S, a number N, a boolean BOOL. `N` on text
     * checks it is a number ("19.99") and stores it as a DynamoDB number.
     */
    type: z.enum(['S', 'N', 'BOOL']).optional(),
    /** A row whose value is NULL or absent after the transforms is rejected. @default false (key attributes: true) */
    required: z.boolean().optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const given = [f.column !== undefined, f.template !== undefined, f.constant !== undefined].filter(Boolean).length;
    if (given !== 1) {
      ctx.addIssue({ code: 'custom', message: `attribute ${f.attribute}: give exactly one of column, template or constant` });
    }
    if (f.template !== undefined) {
      const names = [...f.template.matchAll(TEMPLATE_PLACEHOLDER)].map((m) => m[1]);
      if (names.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['template'],
          message: `"${f.template}" has no {column} placeholder; use constant for fixed text`,
        });
      }
      const stripped = f.template.replace(TEMPLATE_PLACEHOLDER, '');
      if (/[{}]/.test(stripped)) {
        ctx.addIssue({
          code: 'custom',
          path: ['template'],
          message: `"${f.template}" has an unbalanced { or } or a placeholder that is not a column name`,
        });
      }
    }
    if (f.transform !== undefined && f.column === undefined) {
      ctx.addIssue({ code: 'custom', path: ['transform'], message: 'transforms apply to column values only' });
    }
  });
export type MigrationField = z.infer<typeof migrationFieldSchema>;

/** Rows of a child table (order lines, payments) that belong to one root row. */
export const migrationChildSchema = z
  .object({
    /** A name for reports and rejects, e.g. `lines`. */
    name: attributeName,
    table: sqlIdentifier,
    /** Child columns that hold the root row's key, in the order of `source.key`. */
    foreignKey: z.array(sqlIdentifier).min(1),
    /** Child columns that order the rows (list order for `embed`). */
    orderBy: z.array(sqlIdentifier).min(1),
    /**
     * `embed`: the rows become a list of maps in one attribute of the root item (one item per root row).
     * `collection`: each row becomes its own item in the root item's partition (an item collection);
     * its fields must then give the table's key attributes.
     */
    shape: z.enum(['embed', 'collection']),
    /** For `embed`: the list attribute. @default - the child's name */
    attribute: attributeName.optional(),
    /** For `embed`, when a root row has no child rows. @default 'empty' (an empty list) */
    whenNone: z.enum(['empty', 'absent']).optional(),
    fields: z.array(migrationFieldSchema).min(1),
  })
  .strict();
export type MigrationChild = z.infer<typeof migrationChildSchema>;

export const migrationVerifySchema = z
  .object({
    /**
     * Numbers that differ by at most this much are equal (a float column against a decimal attribute).
     * @default 0 - exact
     */
    numericTolerance: z.number().min(0).optional(),
    /** Per attribute path (`lines[].unitPrice`, `weightKg`), overriding `numericTolerance`. */
    tolerances: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_-]*(\[\])?)*$/, 'a path such as lines[].unitPrice'),
        z.number().min(0),
      )
      .optional(),
    /** Attributes the service writes itself (`version`, `lastModified`): not compared. */
    ignore: z.array(attributePath).optional(),
    /** Rows changed within this many seconds are in flight, not divergent (continuous validation). @default 60 */
    lagSeconds: z.number().int().min(0).optional(),
  })
  .strict();
export type MigrationVerify = z.infer<typeof migrationVerifySchema>;

export const migrationEntitySchema = z
  .object({
    description: z.string().optional(),
    source: z
      .object({
        table: sqlIdentifier,
        /** The primary key columns: rows are read in this order with keyset pagination. */
        key: z.array(sqlIdentifier).min(1),
        /** A last-modified column, for continuous validation's lag tolerance. */
        updatedAt: sqlIdentifier.optional(),
      })
      .strict(),
    target: z
      .object({
        /** Logical table name; the deployed name may differ (the CLI takes `--table`). */
        table: tableName,
        partitionKey: attributeName,
        sortKey: attributeName.optional(),
      })
      .strict(),
    fields: z.array(migrationFieldSchema).min(1),
    children: z.array(migrationChildSchema).optional(),
    /** What a NULL column becomes. @default 'absent' */
    nulls: z.enum(['absent', 'null']).optional(),
    verify: migrationVerifySchema.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    for (const issue of entityIssues(e)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
export type MigrationEntity = z.infer<typeof migrationEntitySchema>;

export const migrationSectionSchema = z
  .object({
    entities: z.record(entityName, migrationEntitySchema),
  })
  .strict()
  .superRefine((section, ctx) => {
    for (const issue of sharedTableIssues(section.entities)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
export type MigrationSection = z.infer<typeof migrationSectionSchema>;
export type MigrationSectionInput = z.input<typeof migrationSectionSchema>;

interface Issue {
  path: (string | number)[];
  message: string;
}

function keyFieldIssues(fields: readonly MigrationField[], keys: string[], where: (string | number)[], what: string): Issue[] {
  const issues: Issue[] = [];
  for (const key of keys) {
    const f = fields.find((x) => x.attribute === key);
    if (!f) {
      issues.push({ path: [...where, 'fields'], message: `${what} gives no attribute "${key}", the table's key` });
    } else if (f.type === 'BOOL' || typeof f.constant === 'boolean') {
      issues.push({ path: [...where, 'fields'], message: `key attribute "${key}" must be a string or a number, not a boolean` });
    }
  }
  return issues;
}

function duplicateIssues(fields: readonly MigrationField[], where: (string | number)[]): Issue[] {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    for (const other of seen) {
      if (other === f.attribute || other.startsWith(`${f.attribute}.`) || f.attribute.startsWith(`${other}.`)) {
        issues.push({ path: [...where, 'fields', i, 'attribute'], message: `"${f.attribute}" clashes with attribute "${other}"` });
      }
    }
    seen.add(f.attribute);
  });
  return issues;
}

function entityIssues(e: MigrationEntity): Issue[] {
  const keys = [e.target.partitionKey, ...(e.target.sortKey ? [e.target.sortKey] : [])];
  const issues: Issue[] = [...keyFieldIssues(e.fields, keys, [], 'the root item'), ...duplicateIssues(e.fields, [])];
  if (e.target.sortKey === e.target.partitionKey) {
    issues.push({ path: ['target', 'sortKey'], message: 'the sort key must differ from the partition key' });
  }
  const rootAttrs = new Set(e.fields.map((f) => f.attribute.split('.')[0]));
  const childNames = new Set<string>();
  (e.children ?? []).forEach((c, i) => {
    const at = ['children', i];
    if (childNames.has(c.name)) issues.push({ path: [...at, 'name'], message: `child name "${c.name}" is used twice` });
    childNames.add(c.name);
    if (c.foreignKey.length !== e.source.key.length) {
      issues.push({
        path: [...at, 'foreignKey'],
        message: `has ${c.foreignKey.length} column(s) but source.key has ${e.source.key.length}: give one per key column, in order`,
      });
    }
    issues.push(...duplicateIssues(c.fields, at));
    if (c.shape === 'embed') {
      const attr = c.attribute ?? c.name;
      if (rootAttrs.has(attr)) issues.push({ path: [...at, 'attribute'], message: `"${attr}" is already an attribute of the root item` });
      rootAttrs.add(attr);
    } else {
      if (!e.target.sortKey) {
        issues.push({ path: [...at, 'shape'], message: 'a collection needs a table with a sort key (target.sortKey)' });
      }
      if (c.attribute !== undefined) issues.push({ path: [...at, 'attribute'], message: 'only embedded children have a list attribute' });
      issues.push(...keyFieldIssues(c.fields, keys, at, `child ${c.name}`));
    }
  });
  return issues;
}

/** The fixed text a key attribute starts with, or '' when any value is possible. */
export function staticKeyPrefix(field: MigrationField | undefined): string {
  if (!field) return '';
  if (field.constant !== undefined) return String(field.constant);
  if (field.template !== undefined) return field.template.split('{')[0];
  return '';
}

/**
 * Two entities (or an entity's root and a collection child) may share a table only when their keys tell
 * their items apart, because verification has to know which items of the table are whose. They do when,
 * for some key attribute, neither fixed prefix is a prefix of the other.
 */
function sharedTableIssues(entities: Record<string, MigrationEntity>): Issue[] {
  const kinds: { entity: string; label: string; table: string; prefixes: string[]; exact: boolean[] }[] = [];
  for (const [name, e] of Object.entries(entities)) {
    const keys = [e.target.partitionKey, ...(e.target.sortKey ? [e.target.sortKey] : [])];
    const describeKind = (fields: readonly MigrationField[], label: string) => {
      const fs = keys.map((k) => fields.find((f) => f.attribute === k));
      kinds.push({
        entity: name,
        label,
        table: e.target.table,
        prefixes: fs.map(staticKeyPrefix),
        exact: fs.map((f) => f?.constant !== undefined),
      });
    };
    describeKind(e.fields, `${name}`);
    for (const c of e.children ?? []) if (c.shape === 'collection') describeKind(c.fields, `${name}.${c.name}`);
  }
  const issues: Issue[] = [];
  for (let i = 0; i < kinds.length; i++) {
    for (let j = i + 1; j < kinds.length; j++) {
      const a = kinds[i];
      const b = kinds[j];
      if (a.table !== b.table) continue;
      const distinct = a.prefixes.some((p, k) => {
        const q = b.prefixes[k] ?? '';
        if (a.exact[k] && b.exact[k]) return p !== q;
        if (a.exact[k]) return !p.startsWith(q);
        if (b.exact[k]) return !q.startsWith(p);
        return !p.startsWith(q) && !q.startsWith(p);
      });
      if (!distinct) {
        issues.push({
          path: ['entities', b.entity],
          message: `items of ${a.label} and ${b.label} share table ${a.table} and their keys cannot be told apart: give their key templates different fixed prefixes (e.g. ORDER# and PAYMENT#)`,
        });
      }
    }
  }
  return issues;
}
