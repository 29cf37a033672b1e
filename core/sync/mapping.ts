import type { MigrationChild, MigrationEntity, MigrationField, MigrationTransformRef } from '../spec/migration';
import { TEMPLATE_PLACEHOLDER } from '../spec/migration';
import { resolveTransform, TransformError, type TransformName } from '../spec/transforms';
import { compileEntity, type CompiledEntity, type RowReject } from '../migration/mapping';
import type { AttributeValue, Item } from '../migration/attribute-value';
import { canonicalValue, keyText } from '../migration/canonical';
import { SyncError } from './errors';
import type { SyncRecord } from './record';

/** SQL text, or NULL. */
export type SqlText = string | null;

/**
 * One entity's mapping in both directions for the sync. Forward (row -> record) is the migration mapping
 * itself; backward (record -> row) inverts each field's transform. A field whose transform has no inverse
 * (a template that is not a key, a constant, `sqlBoolean`, `nullIfEmpty`) is irreversible: the spec must
 * declare it one-way, and it is never written back.
 *
 * A change of the root row touches only the root item's mapped attributes (an embedded list is left as it
 * is); embedded child rows sync one element at a time through `children` (core/sync/children.ts).
 */
export interface SyncEntityMapping {
  readonly name: string;
  readonly compiled: CompiledEntity;
  readonly sourceTable: string;
  readonly keyColumns: readonly string[];
  /** Attribute paths of the root fields (`amount.total`), the record's field names. */
  readonly fields: readonly string[];
  /** Attribute paths that cannot be reversed into a column. */
  readonly irreversible: readonly string[];
  /** A monolith row (column -> SQL text) as a record, or the reason it cannot be mapped. */
  rowToRecord(
    row: Readonly<Record<string, SqlText>>,
  ): { record: SyncRecord; reject?: undefined } | { record?: undefined; reject: RowReject };
  /** The item's key attributes for a monolith row key (column -> SQL text). */
  itemKeyOfRow(key: Readonly<Record<string, string>>): Item;
  /** The key text of an item key (core/migration/canonical.ts). */
  keyTextOf(item: Item): string;
  /** The record held by an item (only the mapped root attributes). */
  itemToRecord(item: Item): SyncRecord;
  /** The root attributes to SET (nested maps rebuilt) and the top-level ones to REMOVE. */
  recordToItem(record: SyncRecord): { set: Item; remove: string[] };
  /** The monolith row's primary key for an item. */
  rowKeyOfItem(item: Item): Record<string, string>;
  /** The columns to write for a record, leaving out one-way fields. Throws SyncError naming the field. */
  recordToRow(record: SyncRecord, oneWay?: readonly string[]): Record<string, SqlText>;
  /** The embedded children that sync (one list attribute each). */
  readonly children: readonly SyncChildMapping[];
  /** Children that do not sync, with the reason (a collection, an order column that is not mapped back). */
  readonly unsynced: readonly { readonly name: string; readonly table: string; readonly reason: string }[];
}

/**
 * An embedded child (`shape: 'embed'`) in both directions. Each child row is one element (a map) of the
 * root item's list attribute; the element is identified within its list by its `orderBy` columns, which
 * must therefore identify a child row together with the foreign key (order_no + line_no), and the list is
 * kept sorted by them. Element records are flattened by attribute path like root records.
 */
export interface SyncChildMapping {
  readonly name: string;
  readonly table: string;
  /** The root item's list attribute. */
  readonly attribute: string;
  readonly whenNone: 'empty' | 'absent';
  readonly foreignKey: readonly string[];
  readonly orderBy: readonly string[];
  /** Element attribute paths. */
  readonly fields: readonly string[];
  /** The element attribute paths of the `orderBy` columns, in order: an element's key within its list. */
  readonly keyFields: readonly string[];
  /** A child row (column -> SQL text) as an element record, or the reason it cannot be mapped. */
  rowToElement(
    row: Readonly<Record<string, SqlText>>,
  ): { record: SyncRecord; reject?: undefined } | { record?: undefined; reject: RowReject };
  /** The root row's key (root key column -> text) a child row belongs to. */
  rootKeyOfRow(row: Readonly<Record<string, SqlText>>): Record<string, string>;
  /** An element's key text within its list (its `orderBy` values). */
  elementKey(record: SyncRecord): string;
  /** List order: by the `orderBy` values, numbers as numbers. */
  compare(a: SyncRecord, b: SyncRecord): number;
  /** An element of the item's list as a record. */
  elementOf(value: AttributeValue): SyncRecord;
  /** A record as a list element. */
  toElement(record: SyncRecord): AttributeValue;
  /** The child row's key (foreign key + `orderBy` columns) for an element of the root with this row key. */
  rowKeyOf(record: SyncRecord, rootKey: Readonly<Record<string, string>>): Record<string, string>;
  /** The non-key columns to write for an element. Throws SyncError naming the field. */
  elementToRow(record: SyncRecord): Record<string, SqlText>;
}

type Back = (v: unknown) => unknown;

const SQL_BACK: Partial<Record<string, Back>> = {
  // ISO UTC back to the SQL spelling the source adapters read ("2026-11-21 14:30:00.25").
  sqlTimestamp: (v) => {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v))
      throw new TransformError(`expected an ISO UTC timestamp, got ${JSON.stringify(v)}`);
    return v.replace('T', ' ').replace('Z', '');
  },
  trim: (v) => v,
};

function backOne(ref: MigrationTransformRef): Back | undefined {
  if (typeof ref === 'string') {
    if (ref in SQL_BACK) return SQL_BACK[ref];
    if (ref === 'sqlBoolean' || ref === 'nullIfEmpty') return undefined;
    return resolveTransform(ref as TransformName).toLegacy;
  }
  return resolveTransform(ref).toLegacy;
}

/** The inverse of a field's transform chain, or undefined when one step has none. */
function backOf(field: MigrationField): Back | undefined {
  const t = field.transform;
  if (t === undefined) return (v) => v;
  const chain = (Array.isArray(t) ? t : [t]).map(backOne);
  if (chain.some((b) => b === undefined)) return undefined;
  return (v) => chain.reduceRight<unknown>((acc, b) => (acc === undefined || acc === null ? acc : (b as Back)(acc)), v);
}

function wantsNumber(field: MigrationField): boolean {
  const t = field.transform;
  const last = Array.isArray(t) ? t[t.length - 1] : t;
  return last === 'intString';
}

function toJs(v: AttributeValue, field: MigrationField): unknown {
  if ('S' in v) return v.S;
  if ('N' in v) return wantsNumber(field) ? Number(v.N) : v.N;
  if ('BOOL' in v) return v.BOOL;
  if ('NULL' in v) return null;
  return undefined;
}

function getPath(item: Item, path: string): AttributeValue | undefined {
  const parts = path.split('.');
  let cur: AttributeValue | undefined = item[parts[0]];
  for (let i = 1; i < parts.length && cur; i++) cur = 'M' in cur ? cur.M[parts[i]] : undefined;
  return cur;
}

/** `ORDER#{order_no}` read back: the placeholder's value, when the template has exactly one. */
function parseTemplate(template: string, text: string): Record<string, string> | undefined {
  const names = [...template.matchAll(TEMPLATE_PLACEHOLDER)].map((m) => m[1]);
  if (names.length !== 1) return undefined;
  const [prefix, suffix] = template.split(TEMPLATE_PLACEHOLDER).filter((_, i) => i !== 1);
  if (!text.startsWith(prefix) || !text.endsWith(suffix ?? '')) return undefined;
  return { [names[0]]: text.slice(prefix.length, text.length - (suffix ?? '').length) };
}

export function compileSyncEntity(name: string, def: MigrationEntity): SyncEntityMapping {
  const compiled = compileEntity(name, def);
  const fields = def.fields.map((f) => f.attribute);
  const keyAttrs = new Set(compiled.keyAttributes);
  const irreversible = def.fields
    .filter((f) => f.column === undefined || backOf(f) === undefined)
    .map((f) => f.attribute)
    .filter((a) => !keyAttrs.has(a));
  const byAttr = new Map(def.fields.map((f) => [f.attribute, f]));

  const rowToRecord: SyncEntityMapping['rowToRecord'] = (row) => {
    const values = compiled.root.columns.map((c) => (row[c] === undefined ? null : row[c]));
    const mapped = compiled.mapRow(
      values,
      compiled.children.map(() => []),
    );
    if (mapped.reject) return { reject: mapped.reject };
    return { record: itemToRecord(mapped.items[0]) };
  };

  const itemToRecord = (item: Item): SyncRecord => {
    const out: Record<string, AttributeValue> = {};
    for (const f of fields) {
      const v = getPath(item, f);
      if (v !== undefined) out[f] = v;
    }
    return out;
  };

  const itemKeyOfRow = (key: Readonly<Record<string, string>>): Item => {
    const values = compiled.root.columns.map((c) => key[c] ?? null);
    // Key attributes come from key columns only, so a row of just the key maps them.
    const out: Item = {};
    for (const a of compiled.keyAttributes) {
      const f = byAttr.get(a) as MigrationField;
      if (f.constant !== undefined) out[a] = typeof f.constant === 'number' ? { N: String(f.constant) } : { S: String(f.constant) };
      else if (f.template !== undefined) out[a] = { S: f.template.replace(TEMPLATE_PLACEHOLDER, (_, c: string) => key[c] ?? '') };
      else {
        const mapped = compiled.mapRow(
          values,
          compiled.children.map(() => []),
        );
        const v = mapped.items?.[0]?.[a];
        if (!v) throw new SyncError(`${name}: key attribute ${a} cannot be built from key ${JSON.stringify(key)}`, { entity: name, key });
        out[a] = v;
      }
    }
    return out;
  };

  const recordToItem = (record: SyncRecord): { set: Item; remove: string[] } => {
    const set: Item = {};
    for (const f of fields) {
      if (keyAttrs.has(f)) continue;
      const v = record[f];
      if (v === undefined) continue;
      const parts = f.split('.');
      let cur = set;
      for (let i = 0; i < parts.length - 1; i++) {
        const next = (cur[parts[i]] ??= { M: {} }) as { M: Item };
        cur = next.M;
      }
      cur[parts[parts.length - 1]] = v;
    }
    const tops = new Set(fields.filter((f) => !keyAttrs.has(f)).map((f) => f.split('.')[0]));
    return { set, remove: [...tops].filter((t) => set[t] === undefined) };
  };

  const rowKeyOfItem = (item: Item): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const f of def.fields) {
      const v = getPath(item, f.attribute);
      if (!v) continue;
      if (f.column && def.source.key.includes(f.column) && out[f.column] === undefined) {
        const back = backOf(f);
        const raw = back ? back(toJs(v, f)) : undefined;
        if (typeof raw === 'string') out[f.column] = raw;
      } else if (f.template && 'S' in v) {
        for (const [c, t] of Object.entries(parseTemplate(f.template, v.S) ?? {}))
          if (def.source.key.includes(c) && out[c] === undefined) out[c] = t;
      }
    }
    for (const c of def.source.key) {
      if (out[c] === undefined)
        throw new SyncError(`${name}: the item ${JSON.stringify(item)} gives no value for key column ${c}`, { entity: name, column: c });
    }
    return out;
  };

  const recordToRow = (record: SyncRecord, oneWay: readonly string[] = []): Record<string, SqlText> =>
    fieldsToRow(
      name,
      def.fields.filter((f) => !oneWay.includes(f.attribute) && !(f.column !== undefined && def.source.key.includes(f.column))),
      record,
    );

  const children: SyncChildMapping[] = [];
  const unsynced: { name: string; table: string; reason: string }[] = [];
  (def.children ?? []).forEach((c, index) => {
    const read = compiled.children[index];
    if (c.shape !== 'embed') {
      unsynced.push({ name: c.name, table: c.table, reason: 'a collection child does not sync yet (only embedded lists do)' });
      return;
    }
    const keyFields: string[] = [];
    for (const col of c.orderBy) {
      const f = c.fields.find((x) => x.column === col && backOf(x) !== undefined);
      if (!f) {
        unsynced.push({
          name: c.name,
          table: c.table,
          reason: `order column ${col} is not mapped to an attribute that can be written back`,
        });
        return;
      }
      keyFields.push(f.attribute);
    }
    children.push(compileChild(name, def, c, read.columns, keyFields, (row) => compiled.mapChild(index, row)));
  });

  return {
    name,
    compiled,
    sourceTable: def.source.table,
    keyColumns: def.source.key,
    fields,
    irreversible,
    rowToRecord,
    itemKeyOfRow,
    keyTextOf: (item) => keyText(item, compiled.keyAttributes),
    itemToRecord,
    recordToItem,
    rowKeyOfItem,
    recordToRow,
    children,
    unsynced,
  };
}

/** Columns for a record: each field with a column and an inverse, its value turned back into SQL text. */
function fieldsToRow(entity: string, fields: readonly MigrationField[], record: SyncRecord): Record<string, SqlText> {
  const out: Record<string, SqlText> = {};
  for (const f of fields) {
    if (f.column === undefined) continue;
    const back = backOf(f);
    if (!back) continue;
    const v = record[f.attribute];
    const refs = f.transform === undefined ? [] : Array.isArray(f.transform) ? f.transform : [f.transform];
    // The monolith spells "not given" as '' where the mapping turned '' into an absent attribute.
    if (v === undefined && refs.includes('emptyAsAbsent')) {
      out[f.column] = '';
      continue;
    }
    try {
      const raw = back(v === undefined ? undefined : toJs(v, f));
      out[f.column] = raw === undefined || raw === null ? null : String(raw);
    } catch (e) {
      if (e instanceof TransformError) {
        throw new SyncError(
          `${entity}.${f.attribute}: ${e.message}, so column ${f.column} cannot be written`,
          { entity, attribute: f.attribute, column: f.column, value: v },
          { cause: e },
        );
      }
      throw e;
    }
  }
  return out;
}

/** Record fields (attribute paths) rebuilt as nested maps. */
function nest(fields: readonly string[], record: SyncRecord): Item {
  const set: Item = {};
  for (const f of fields) {
    const v = record[f];
    if (v === undefined) continue;
    const parts = f.split('.');
    let cur = set;
    for (let i = 0; i < parts.length - 1; i++) cur = ((cur[parts[i]] ??= { M: {} }) as { M: Item }).M;
    cur[parts[parts.length - 1]] = v;
  }
  return set;
}

function flatten(fields: readonly string[], item: Item): SyncRecord {
  const out: Record<string, AttributeValue> = {};
  for (const f of fields) {
    const v = getPath(item, f);
    if (v !== undefined) out[f] = v;
  }
  return out;
}

function compareValues(a: AttributeValue | undefined, b: AttributeValue | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if ('N' in a && 'N' in b) {
    const x = Number(a.N);
    const y = Number(b.N);
    if (x !== y) return x < y ? -1 : 1;
  }
  const x = canonicalValue(a);
  const y = canonicalValue(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compileChild(
  entity: string,
  def: MigrationEntity,
  c: MigrationChild,
  columns: readonly string[],
  keyFields: readonly string[],
  mapChild: (row: readonly SqlText[]) => { item: Item; reject?: undefined } | { item?: undefined; reject: RowReject },
): SyncChildMapping {
  const fields = c.fields.map((f) => f.attribute);
  const label = `${entity}.${c.name}`;
  const byColumn = new Map(c.fields.filter((f) => f.column !== undefined).map((f) => [f.column as string, f]));
  // Readable in the ledger (`lines[1]`, `lines["A"]`) and the same for equal numbers ("1" and "1.0").
  const keyPart = (v: AttributeValue | undefined) => {
    if (v === undefined) return 'null';
    if ('N' in v) return Number.isSafeInteger(Number(v.N)) ? String(Number(v.N)) : canonicalValue(v);
    if ('S' in v) return JSON.stringify(v.S);
    return canonicalValue(v);
  };
  const elementKey = (record: SyncRecord) => `[${keyFields.map((f) => keyPart(record[f])).join(',')}]`;
  return {
    name: c.name,
    table: c.table,
    attribute: c.attribute ?? c.name,
    whenNone: c.whenNone ?? 'empty',
    foreignKey: c.foreignKey,
    orderBy: c.orderBy,
    fields,
    keyFields,
    rowToElement: (row) => {
      const r = mapChild(columns.map((col) => (row[col] === undefined ? null : row[col])));
      return r.reject ? { reject: r.reject } : { record: flatten(fields, r.item) };
    },
    rootKeyOfRow: (row) => {
      const out: Record<string, string> = {};
      c.foreignKey.forEach((col, i) => {
        const v = row[col];
        if (v === null || v === undefined)
          throw new SyncError(`${label}: the row gives no value for foreign key column ${col}`, { entity, child: c.name, column: col });
        out[def.source.key[i]] = v;
      });
      return out;
    },
    elementKey,
    compare: (a, b) => {
      for (const f of keyFields) {
        const d = compareValues(a[f], b[f]);
        if (d !== 0) return d;
      }
      return 0;
    },
    elementOf: (value) => ('M' in value ? flatten(fields, value.M) : {}),
    toElement: (record) => ({ M: nest(fields, record) }),
    rowKeyOf: (record, rootKey) => {
      const out: Record<string, string> = {};
      c.foreignKey.forEach((col, i) => (out[col] = rootKey[def.source.key[i]]));
      const keyRow = fieldsToRow(
        label,
        c.orderBy.map((col) => byColumn.get(col) as MigrationField),
        record,
      );
      for (const col of c.orderBy) {
        const v = keyRow[col];
        if (v === null || v === undefined)
          throw new SyncError(`${label}: the element ${JSON.stringify(record)} gives no value for ${col}`, {
            entity,
            child: c.name,
            column: col,
          });
        out[col] = v;
      }
      return out;
    },
    elementToRow: (record) =>
      fieldsToRow(
        label,
        c.fields.filter((f) => f.column === undefined || (!c.foreignKey.includes(f.column) && !c.orderBy.includes(f.column))),
        record,
      ),
  };
}
