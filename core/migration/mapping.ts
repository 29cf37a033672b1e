import { migrationEntitySchema, TEMPLATE_PLACEHOLDER, type MigrationEntity, type MigrationField } from '../spec/migration';
import { SpecError } from '../errors';
import { describe } from '../spec/transforms';
import { isNumberText, type AttributeValue, type Item } from './attribute-value';
import { keyText } from './canonical';
import { RowRejectedError } from './errors';
import { resolveValueTransform, TransformError, type ValueTransform } from './transforms';

/** A column value as the source adapters deliver it: SQL text, or NULL. */
export type SqlValue = string | null;
export type SqlRow = readonly SqlValue[];

/** Why a row could not become items. Written to the rejects file. */
export interface RowReject {
  readonly entity: string;
  /** The root row's key, column -> value. */
  readonly key: Record<string, SqlValue>;
  readonly table: string;
  readonly column?: string;
  readonly value?: unknown;
  readonly reason: string;
}

export type MapResult = { readonly items: Item[]; readonly reject?: undefined } | { readonly items?: undefined; readonly reject: RowReject };

/** What a source adapter must read for one table: these columns, in this order. */
export interface TableRead {
  readonly table: string;
  readonly columns: readonly string[];
}

export interface ChildRead extends TableRead {
  readonly name: string;
  /** The first `foreignKey.length` columns hold the root key, the next `orderBy.length` the order. */
  readonly foreignKey: readonly string[];
  readonly orderBy: readonly string[];
}

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

/** DynamoDB's item size limit. A bigger item is rejected with its size rather than failing a batch. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** An entity mapping compiled for speed: columns resolved to positions, transforms to functions. */
export interface CompiledEntity {
  readonly name: string;
  readonly def: MigrationEntity;
  /** Root table read; the first `keyColumns.length` columns are the key, in order. */
  readonly root: TableRead & { readonly keyColumns: readonly string[]; readonly updatedAtIndex?: number };
  readonly children: readonly ChildRead[];
  readonly targetTable: string;
  readonly keySchema: { readonly partitionKey: KeyAttribute; readonly sortKey?: KeyAttribute };
  readonly keyAttributes: readonly string[];
  /** A root row (columns as in `root.columns`) and its child rows (per child, ordered) -> items. */
  mapRow(row: SqlRow, children: readonly (readonly SqlRow[])[]): MapResult;
  /** The key text of an item (see canonical.ts `keyText`). */
  keyOf(item: Item): string;
  /** Whether an item of the target table belongs to this entity (its key matches one of its item kinds). */
  owns(item: Item): boolean;
  /** The root key of a root row as column -> value. */
  rootKey(row: SqlRow): Record<string, SqlValue>;
}

type Producer = (row: SqlRow) => AttributeValue | undefined;

interface CompiledField {
  readonly path: readonly string[];
  readonly produce: Producer;
}

function columnIndex(columns: string[], name: string): number {
  let i = columns.indexOf(name);
  if (i < 0) {
    columns.push(name);
    i = columns.length - 1;
  }
  return i;
}

function rejectValue(table: string, field: MigrationField, v: unknown, reason: string): RowRejectedError {
  return new RowRejectedError(table, field.column, v, reason);
}

function toAttribute(v: unknown, field: MigrationField, table: string): AttributeValue {
  switch (field.type) {
    case 'N':
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw rejectValue(table, field, v, `${describe(v)} is not a finite number`);
        return { N: String(v) };
      }
      if (typeof v === 'string' && isNumberText(v)) return { N: v };
      throw rejectValue(table, field, v, `expected a number for ${field.attribute}, got ${describe(v)}`);
    case 'S':
      if (typeof v === 'string') return { S: v };
      if (typeof v === 'number' || typeof v === 'boolean') return { S: String(v) };
      throw rejectValue(table, field, v, `expected text for ${field.attribute}, got ${describe(v)}`);
    case 'BOOL':
      if (typeof v === 'boolean') return { BOOL: v };
      throw rejectValue(table, field, v, `expected true or false for ${field.attribute}, got ${describe(v)} (add the sqlBoolean or yesNo transform)`);
    default:
      if (typeof v === 'string') return { S: v };
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw rejectValue(table, field, v, `${describe(v)} is not a finite number`);
        return { N: String(v) };
      }
      if (typeof v === 'boolean') return { BOOL: v };
      throw rejectValue(table, field, v, `a transform gave ${describe(v)}, which is not text, a number or a boolean`);
  }
}

function compileField(
  field: MigrationField,
  columns: string[],
  table: string,
  isKey: boolean,
  nulls: 'absent' | 'null',
): CompiledField {
  const path = field.attribute.split('.');
  const required = isKey || field.required === true;
  if (field.constant !== undefined) {
    const value = toAttribute(field.constant, field, table);
    return { path, produce: () => value };
  }
  if (field.template !== undefined) {
    const parts: (string | number)[] = [];
    const names: string[] = [];
    let last = 0;
    for (const m of field.template.matchAll(TEMPLATE_PLACEHOLDER)) {
      if (m.index! > last) parts.push(field.template.slice(last, m.index));
      parts.push(columnIndex(columns, m[1]));
      names.push(m[1]);
      last = m.index! + m[0].length;
    }
    if (last < field.template.length) parts.push(field.template.slice(last));
    return {
      path,
      produce: (row) => {
        let out = '';
        for (const p of parts) {
          if (typeof p === 'string') out += p;
          else {
            const v = row[p];
            if (v === null || v === undefined) {
              throw new RowRejectedError(table, columns[p], null, `${columns[p]} is NULL, so the ${field.attribute} template "${field.template}" cannot be filled`);
            }
            out += v;
          }
        }
        if (field.type === 'N') {
          if (!isNumberText(out)) throw new RowRejectedError(table, names.join('+'), out, `template gave ${describe(out)}, not a number`);
          return { N: out };
        }
        return { S: out };
      },
    };
  }
  const col = field.column as string;
  const idx = columnIndex(columns, col);
  const transform: ValueTransform | undefined = resolveValueTransform(field.transform);
  return {
    path,
    produce: (row) => {
      const raw = row[idx];
      let v: unknown = raw;
      if (raw !== null && raw !== undefined && transform) {
        try {
          v = transform(raw);
        } catch (e) {
          if (e instanceof TransformError) throw new RowRejectedError(table, col, raw, e.message, { cause: e });
          throw e;
        }
      }
      if (v === undefined || v === null) {
        if (required) {
          const was = raw === null || raw === undefined ? 'NULL' : `${describe(raw)}, which the transform turns into nothing`;
          throw new RowRejectedError(table, col, raw, isKey ? `key attribute ${field.attribute} has no value: ${col} is ${was}` : `${field.attribute} is required but ${col} is ${was}`);
        }
        return v === null && nulls === 'null' ? { NULL: true } : undefined;
      }
      const out = toAttribute(v, field, table);
      if (isKey && 'S' in out && out.S === '') throw new RowRejectedError(table, col, raw, `key attribute ${field.attribute} would be empty text, which DynamoDB refuses`);
      return out;
    },
  };
}

function setPath(item: Item, path: readonly string[], value: AttributeValue): void {
  if (path.length === 1) {
    item[path[0]] = value;
    return;
  }
  let cur = item;
  for (let i = 0; i < path.length - 1; i++) {
    let next = cur[path[i]];
    if (next === undefined) {
      next = { M: {} };
      cur[path[i]] = next;
    }
    cur = (next as { M: Item }).M;
  }
  cur[path[path.length - 1]] = value;
}

function buildItem(fields: readonly CompiledField[], row: SqlRow): Item {
  const item: Item = {};
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const v = f.produce(row);
    if (v === undefined) continue;
    // Most attributes are top level: assign directly, walk the path only for nested ones.
    if (f.path.length === 1) item[f.path[0]] = v;
    else setPath(item, f.path, v);
  }
  return item;
}

/** A rough item size in bytes, the way DynamoDB counts: names plus values. Over-estimates slightly. */
export function estimateItemBytes(value: AttributeValue | Item, name = ''): number {
  let size = name.length;
  const v = value as Record<string, unknown>;
  if ('S' in v && typeof v.S === 'string') return size + Buffer.byteLength(v.S);
  if ('N' in v && typeof v.N === 'string') return size + Math.ceil(v.N.length / 2) + 1;
  if ('BOOL' in v || 'NULL' in v) return size + 1;
  if ('L' in v && Array.isArray(v.L)) {
    size += 3;
    for (const x of v.L as AttributeValue[]) size += 1 + estimateItemBytes(x);
    return size;
  }
  if ('M' in v && v.M && typeof v.M === 'object') {
    size += 3;
    for (const [k, x] of Object.entries(v.M as Item)) size += 1 + estimateItemBytes(x, k);
    return size;
  }
  if ('SS' in v || 'NS' in v || 'B' in v || 'BS' in v) return size + JSON.stringify(v).length;
  // A whole item: sum its attributes.
  for (const [k, x] of Object.entries(value as Item)) size += estimateItemBytes(x, k);
  return size;
}

/** Matches key values against a key field: a constant, a template with a fixed frame, or any column value. */
function keyMatcher(field: MigrationField | undefined): (v: AttributeValue | undefined) => boolean {
  if (!field) return (v) => v === undefined;
  if (field.constant !== undefined) {
    const want = String(field.constant);
    return (v) => v !== undefined && (('S' in v && v.S === want) || ('N' in v && v.N === want));
  }
  if (field.template !== undefined) {
    const pattern = field.template
      .split(TEMPLATE_PLACEHOLDER)
      .map((part, i) => (i % 2 === 1 ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    const re = new RegExp(`^${pattern}$`, 's');
    return (v) => v !== undefined && (('S' in v && re.test(v.S)) || ('N' in v && re.test(v.N)));
  }
  return (v) => v !== undefined && ('S' in v || 'N' in v || 'B' in v);
}

function keyType(field: MigrationField | undefined): 'S' | 'N' {
  if (!field) return 'S';
  if (field.type === 'N' || typeof field.constant === 'number') return 'N';
  if (field.type === 'S' || field.template !== undefined || typeof field.constant === 'string') return 'S';
  // A column without a declared type: intString and friends give numbers.
  const t = field.transform;
  const last = Array.isArray(t) ? t[t.length - 1] : t;
  return last === 'intString' ? 'N' : 'S';
}

/**
 * Compiles an entity mapping. Validates the definition again (callers may pass a hand-built one) and
 * throws `SpecError` naming the field.
 */
export function compileEntity(name: string, input: MigrationEntity): CompiledEntity {
  const parsed = migrationEntitySchema.safeParse(input);
  if (!parsed.success) {
    throw new SpecError(parsed.error.issues.map((i) => `migration.entities.${name}.${i.path.join('.')}: ${i.message}`));
  }
  const def = parsed.data;
  const nulls = def.nulls ?? 'absent';
  const keyAttributes = [def.target.partitionKey, ...(def.target.sortKey ? [def.target.sortKey] : [])];
  const isKeyAttr = (f: MigrationField) => keyAttributes.includes(f.attribute);

  const rootColumns = [...def.source.key];
  const updatedAtIndex = def.source.updatedAt ? columnIndex(rootColumns, def.source.updatedAt) : undefined;
  const rootFields = def.fields.map((f) => compileField(f, rootColumns, def.source.table, isKeyAttr(f), nulls));

  const childPlans = (def.children ?? []).map((c) => {
    const columns = [...c.foreignKey];
    for (const o of c.orderBy) columnIndex(columns, o);
    const fields = c.fields.map((f) => compileField(f, columns, c.table, c.shape === 'collection' && isKeyAttr(f), nulls));
    return { def: c, read: { name: c.name, table: c.table, columns, foreignKey: c.foreignKey, orderBy: c.orderBy } as ChildRead, fields };
  });

  const rootKeyFields = keyAttributes.map((k) => def.fields.find((f) => f.attribute === k));
  const kinds: ((item: Item) => boolean)[] = [rootKeyFields, ...childPlans.filter((c) => c.def.shape === 'collection').map((c) => keyAttributes.map((k) => c.def.fields.find((f) => f.attribute === k)))].map(
    (fields) => {
      const matchers = fields.map(keyMatcher);
      return (item: Item) => matchers.every((m, i) => m(item[keyAttributes[i]]));
    },
  );

  const keyCount = def.source.key.length;
  const rootKey = (row: SqlRow): Record<string, SqlValue> => {
    const out: Record<string, SqlValue> = {};
    for (let i = 0; i < keyCount; i++) out[def.source.key[i]] = row[i];
    return out;
  };

  const namesBytes = (fields: readonly MigrationField[]) => fields.reduce((n, f) => n + f.attribute.length + 4, 8);
  const rootNames = namesBytes(def.fields);
  const childNames = childPlans.map((c) => namesBytes(c.def.fields));
  const textBytes = (row: SqlRow) => {
    let n = 0;
    for (let i = 0; i < row.length; i++) n += row[i]?.length ?? 0;
    return n;
  };
  // A cheap upper bound from the row text (3 bytes per UTF-16 unit at most, plus attribute names);
  // only rows over it get the precise estimate.
  const roughlyFits = (row: SqlRow, children: readonly (readonly SqlRow[])[]) => {
    let bound = rootNames + 3 * textBytes(row);
    for (let c = 0; c < children.length; c++) {
      const rows = children[c] ?? [];
      if (childPlans[c]?.def.shape !== 'embed') continue;
      for (let r = 0; r < rows.length; r++) bound += childNames[c] + 3 * textBytes(rows[r]);
    }
    return bound <= MAX_ITEM_BYTES;
  };
  const checkSize = (item: Item, table: string) => {
    const bytes = estimateItemBytes(item);
    if (bytes > MAX_ITEM_BYTES) {
      throw new RowRejectedError(table, undefined, undefined, `the item would be about ${Math.round(bytes / 1024)} KB, over DynamoDB's 400 KB limit`);
    }
  };

  const mapRow = (row: SqlRow, children: readonly (readonly SqlRow[])[]): MapResult => {
    try {
      const root = buildItem(rootFields, row);
      const items = [root];
      for (let c = 0; c < childPlans.length; c++) {
        const plan = childPlans[c];
        const rows = children[c] ?? [];
        if (plan.def.shape === 'embed') {
          if (rows.length === 0 && plan.def.whenNone === 'absent') continue;
          const list: AttributeValue[] = new Array(rows.length);
          for (let r = 0; r < rows.length; r++) list[r] = { M: buildItem(plan.fields, rows[r]) };
          root[plan.def.attribute ?? plan.def.name] = { L: list };
        } else {
          for (const r of rows) {
            const child = buildItem(plan.fields, r);
            if (childNames[c] + 3 * textBytes(r) > MAX_ITEM_BYTES) checkSize(child, plan.def.table);
            items.push(child);
          }
        }
      }
      if (!roughlyFits(row, children)) checkSize(root, def.source.table);
      return { items };
    } catch (e) {
      if (e instanceof RowRejectedError) {
        return {
          reject: { entity: name, key: rootKey(row), table: e.table, column: e.column, value: e.value, reason: e.reason },
        };
      }
      throw e;
    }
  };

  return {
    name,
    def,
    root: { table: def.source.table, columns: rootColumns, keyColumns: def.source.key, updatedAtIndex },
    children: childPlans.map((c) => c.read),
    targetTable: def.target.table,
    keySchema: {
      partitionKey: { name: def.target.partitionKey, type: keyType(rootKeyFields[0]) },
      ...(def.target.sortKey ? { sortKey: { name: def.target.sortKey, type: keyType(rootKeyFields[1]) } } : {}),
    },
    keyAttributes,
    mapRow,
    keyOf: (item) => keyText(item, keyAttributes),
    owns: (item) => kinds.some((k) => k(item)),
    rootKey,
  };
}

/** Every entity of a migration section, compiled. */
export function compileEntities(entities: Record<string, MigrationEntity>): Map<string, CompiledEntity> {
  return new Map(Object.entries(entities).map(([n, e]) => [n, compileEntity(n, e)]));
}
