import type { MigrationEntity, MigrationField, MigrationTransformRef } from '../spec/migration';
import { TEMPLATE_PLACEHOLDER } from '../spec/migration';
import { resolveTransform, TransformError, type TransformName } from '../spec/transforms';
import { compileEntity, type CompiledEntity, type RowReject } from '../migration/mapping';
import type { AttributeValue, Item } from '../migration/attribute-value';
import { keyText } from '../migration/canonical';
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
 * Only the root table syncs: child rows (order lines) are not part of a change of the root row, and an
 * update touches only the root item's mapped attributes (an embedded list is left as it is).
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

  const recordToRow = (record: SyncRecord, oneWay: readonly string[] = []): Record<string, SqlText> => {
    const out: Record<string, SqlText> = {};
    for (const f of def.fields) {
      if (f.column === undefined || oneWay.includes(f.attribute) || def.source.key.includes(f.column)) continue;
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
            `${name}.${f.attribute}: ${e.message}, so column ${f.column} cannot be written`,
            { entity: name, attribute: f.attribute, column: f.column, value: v },
            { cause: e },
          );
        }
        throw e;
      }
    }
    return out;
  };

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
  };
}
