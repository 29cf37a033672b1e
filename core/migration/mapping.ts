import { migrationEntitySchema, TEMPLATE_PLACEHOLDER, type MigrationEntity, type MigrationField } from '../spec/migration';
import { SpecError } from '../errors';
import { describe } from '../spec/transforms';
import { isNumberText, type AttributeValue, type Item } from './attribute-value';
import { keyText, type CanonicalOptions } from './canonical';
import { DigestAccumulator, makeDigester, makeItemDigestParts, type ItemDigestParts } from './digest';
import type { Digest } from './hash';
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

export type MapResult =
  { readonly items: Item[]; readonly reject?: undefined } | { readonly items?: undefined; readonly reject: RowReject };

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
  /**
   * One child row (columns as in `children[index].columns`) as the item it becomes: the list element of an
   * embedded child, or the collection item. Used by the sync, which sees one child row change at a time.
   */
  mapChild(index: number, row: SqlRow): { item: Item; reject?: undefined } | { item?: undefined; reject: RowReject };
  /** The key text of an item (see canonical.ts `keyText`). */
  keyOf(item: Item): string;
  /** Whether an item of the target table belongs to this entity (its key matches one of its item kinds). */
  owns(item: Item): boolean;
  /** The root key of a root row as column -> value. */
  rootKey(row: SqlRow): Record<string, SqlValue>;
  /**
   * A row's items as key texts and digests, without building the items where it can (see `RowDigester`).
   * Make one per verification and reuse it: it keeps caches.
   */
  rowDigester(rules: CanonicalOptions): RowDigester;
}

/**
 * Visits each item a row maps to as (key text, digest), in mapRow's order, and returns the reject if the
 * row is rejected (then nothing is visited). The same keys, digests and rejects as `keyOf` and
 * `makeDigester(rules)` over `mapRow`'s items.
 */
export type RowDigester = (
  row: SqlRow,
  children: readonly (readonly SqlRow[])[],
  visit: (key: string, digest: Digest) => void,
) => RowReject | undefined;

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
      throw rejectValue(
        table,
        field,
        v,
        `expected true or false for ${field.attribute}, got ${describe(v)} (add the sqlBoolean or yesNo transform)`,
      );
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

function compileField(field: MigrationField, columns: string[], table: string, isKey: boolean, nulls: 'absent' | 'null'): CompiledField {
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
              throw new RowRejectedError(
                table,
                columns[p],
                null,
                `${columns[p]} is NULL, so the ${field.attribute} template "${field.template}" cannot be filled`,
              );
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
          throw new RowRejectedError(
            table,
            col,
            raw,
            isKey
              ? `key attribute ${field.attribute} has no value: ${col} is ${was}`
              : `${field.attribute} is required but ${col} is ${was}`,
          );
        }
        return v === null && nulls === 'null' ? { NULL: true } : undefined;
      }
      const out = toAttribute(v, field, table);
      if (isKey && 'S' in out && out.S === '')
        throw new RowRejectedError(table, col, raw, `key attribute ${field.attribute} would be empty text, which DynamoDB refuses`);
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
 * How one item kind's fields make a digest without an item: top-level leaves, and nested maps as groups
 * (attribute paths like `shippingAddress.street`). Undefined when the fields' paths collide (one path is
 * another's prefix, or twice the same): building the item decides who wins there, so it is built.
 */
interface DigestNode {
  readonly name: string;
  /** The name's hash (ItemDigestParts.nameHash), set once the parts are known. */
  nameHi?: number;
  nameLo?: number;
  /** Index into the produced values, for a leaf. */
  readonly field?: number;
  readonly children?: DigestNode[];
}

function digestPlan(fields: readonly CompiledField[], extraTopNames: readonly string[] = []): DigestNode[] | undefined {
  const root: DigestNode = { name: '', children: [] };
  for (let i = 0; i < fields.length; i++) {
    let cur = root;
    const path = fields[i].path;
    for (let d = 0; d < path.length; d++) {
      const last = d === path.length - 1;
      const existing = cur.children!.find((c) => c.name === path[d]);
      if (last) {
        if (existing) return undefined;
        cur.children!.push({ name: path[d], field: i });
      } else if (existing) {
        if (!existing.children) return undefined;
        cur = existing;
      } else {
        const next: DigestNode = { name: path[d], children: [] };
        cur.children!.push(next);
        cur = next;
      }
    }
  }
  for (const n of extraTopNames)
    if (root.children!.some((c) => c.name === n) || extraTopNames.indexOf(n) !== extraTopNames.lastIndexOf(n)) return undefined;
  return root.children;
}

/**
 * Folds the digests of a plan's nodes into `acc` from the produced values; returns how many entries were
 * added (a nested map with no values is absent, as setPath only makes a parent for a value).
 */
function digestNodes(
  parts: ItemDigestParts,
  nodes: readonly DigestNode[],
  values: readonly (AttributeValue | undefined)[],
  acc: DigestAccumulator,
  top: boolean,
  pool: DigestAccumulator[],
  depth: number,
): number {
  let added = 0;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (top && parts.skipTop(node.name)) {
      // Still counts as present for the caller's "any value" test only when below the top; at the top it is left out.
      continue;
    }
    if (node.children) {
      const sub = (pool[depth] ??= new DigestAccumulator()).resetMap();
      const n = digestNodes(parts, node.children, values, sub, false, pool, depth + 1);
      if (n === 0) continue;
      parts.mapEnd(sub);
      parts.mapEntryHashed(acc, node.nameHi!, node.nameLo!, parts.hi, parts.lo);
      added++;
      continue;
    }
    const v = values[node.field!];
    if (v === undefined) continue;
    parts.leaf(v, top ? node.name : undefined);
    parts.mapEntryHashed(acc, node.nameHi!, node.nameLo!, parts.hi, parts.lo);
    added++;
  }
  return added;
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
  const kinds: ((item: Item) => boolean)[] = [
    rootKeyFields,
    ...childPlans
      .filter((c) => c.def.shape === 'collection')
      .map((c) => keyAttributes.map((k) => c.def.fields.find((f) => f.attribute === k))),
  ].map((fields) => {
    const matchers = fields.map(keyMatcher);
    return (item: Item) => matchers.every((m, i) => m(item[keyAttributes[i]]));
  });

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
      throw new RowRejectedError(
        table,
        undefined,
        undefined,
        `the item would be about ${Math.round(bytes / 1024)} KB, over DynamoDB's 400 KB limit`,
      );
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

  const mapChild: CompiledEntity['mapChild'] = (index, row) => {
    const plan = childPlans[index];
    try {
      return { item: buildItem(plan.fields, row) };
    } catch (e) {
      if (e instanceof RowRejectedError) {
        const key: Record<string, SqlValue> = {};
        plan.def.foreignKey.forEach((c, i) => (key[def.source.key[i]] = row[i]));
        return { reject: { entity: name, key, table: e.table, column: e.column, value: e.value, reason: e.reason } };
      }
      throw e;
    }
  };

  const keyOf = (item: Item) => keyText(item, keyAttributes);

  const rowDigester = (rules: CanonicalOptions): RowDigester => {
    const general = makeDigester(rules);
    // The slow way, and the reference: build the items, then key and digest each.
    const viaItems: RowDigester = (row, children, visit) => {
      const result = mapRow(row, children);
      if (result.reject) return result.reject;
      for (const item of result.items) visit(keyOf(item), general(item));
      return undefined;
    };
    const parts = makeItemDigestParts(rules);
    const embedNames = childPlans.filter((c) => c.def.shape === 'embed').map((c) => c.def.attribute ?? c.def.name);
    const rootPlan = digestPlan(rootFields, embedNames);
    const childDigestPlans = childPlans.map((c) => digestPlan(c.fields));
    // Key attributes must be top-level fields of each item kind for the key text to come from the values.
    const keyIndexes = (fields: readonly CompiledField[]) =>
      keyAttributes.map((k) => fields.findIndex((f) => f.path.length === 1 && f.path[0] === k));
    const rootKeys = keyIndexes(rootFields);
    const childKeys = childPlans.map((c) => keyIndexes(c.fields));
    // A key attribute that is also a nested map or an embedded list: only the built item says what it holds.
    const keyShadowed = [rootFields, ...childPlans.map((c) => c.fields)].some((fields) =>
      fields.some((f) => f.path.length > 1 && keyAttributes.includes(f.path[0])),
    );
    if (!parts || !rootPlan || childDigestPlans.some((p) => !p) || keyShadowed || embedNames.some((n) => keyAttributes.includes(n)))
      return viaItems;

    // Attribute names are known here: hash each once, not once per row.
    const hashNames = (nodes: DigestNode[]) => {
      for (const n of nodes) {
        parts.nameHash(n.name);
        n.nameHi = parts.hi;
        n.nameLo = parts.lo;
        if (n.children) hashNames(n.children);
      }
    };
    hashNames(rootPlan);
    for (const p of childDigestPlans) hashNames(p!);

    const rootValues: (AttributeValue | undefined)[] = new Array(rootFields.length);
    const childValues: (AttributeValue | undefined)[][][] = childPlans.map(() => []);
    const pool: DigestAccumulator[] = [];
    const top = new DigestAccumulator();
    const list = new DigestAccumulator();
    const element = new DigestAccumulator();
    const keyItem: Item = {};
    const keyFrom = (values: readonly (AttributeValue | undefined)[], indexes: readonly number[]) => {
      // Text keys that JSON writes as they are (no quote, backslash, control character or surrogate) are
      // spelled here as keyText spells them; anything else goes through keyText itself.
      let fast = '[';
      for (let k = 0; k < keyAttributes.length && fast !== ''; k++) {
        const v = indexes[k] >= 0 ? values[indexes[k]] : undefined;
        const text = v && 'S' in v ? v.S : undefined;
        // eslint-disable-next-line no-control-regex
        if (text === undefined || /["\\\u0000-\u001f\ud800-\udfff]/.test(text)) fast = '';
        else fast += `${k > 0 ? ',' : ''}{"S":"${text}"}`;
      }
      if (fast !== '') return `${fast}]`;
      for (let k = 0; k < keyAttributes.length; k++) {
        const v = indexes[k] >= 0 ? values[indexes[k]] : undefined;
        if (v === undefined) delete keyItem[keyAttributes[k]];
        else keyItem[keyAttributes[k]] = v;
      }
      return keyText(keyItem, keyAttributes);
    };

    return (row, children, visit) => {
      // Rows near DynamoDB's item size limit need the built item's size: take the reference path.
      if (!roughlyFits(row, children)) return viaItems(row, children, visit);
      for (let c = 0; c < childPlans.length; c++) {
        if (childPlans[c].def.shape !== 'collection') continue;
        const rows = children[c] ?? [];
        for (let r = 0; r < rows.length; r++)
          if (childNames[c] + 3 * textBytes(rows[r]) > MAX_ITEM_BYTES) return viaItems(row, children, visit);
      }
      // Produce every value first, in mapRow's order, so a rejected row names the same field.
      try {
        for (let i = 0; i < rootFields.length; i++) rootValues[i] = rootFields[i].produce(row);
        for (let c = 0; c < childPlans.length; c++) {
          const plan = childPlans[c];
          const rows = children[c] ?? [];
          const out = childValues[c];
          out.length = rows.length;
          if (plan.def.shape === 'embed' && rows.length === 0 && plan.def.whenNone === 'absent') continue;
          for (let r = 0; r < rows.length; r++) {
            const vs = (out[r] ??= new Array(plan.fields.length));
            for (let f = 0; f < plan.fields.length; f++) vs[f] = plan.fields[f].produce(rows[r]);
          }
        }
      } catch (e) {
        if (e instanceof RowRejectedError)
          return { entity: name, key: rootKey(row), table: e.table, column: e.column, value: e.value, reason: e.reason };
        throw e;
      }

      // The root item: its own fields plus each embedded child list.
      top.resetMap();
      digestNodes(parts, rootPlan, rootValues, top, true, pool, 0);
      for (let c = 0; c < childPlans.length; c++) {
        const plan = childPlans[c];
        if (plan.def.shape !== 'embed') continue;
        const rows = children[c] ?? [];
        if (rows.length === 0 && plan.def.whenNone === 'absent') continue;
        const attribute = plan.def.attribute ?? plan.def.name;
        if (parts.skipTop(attribute)) continue;
        list.resetList();
        for (let r = 0; r < rows.length; r++) {
          element.resetMap();
          digestNodes(parts, childDigestPlans[c]!, childValues[c][r], element, false, pool, 0);
          parts.mapEnd(element);
          parts.listElement(list, parts.hi, parts.lo);
        }
        parts.listEnd(list);
        parts.mapEntry(top, attribute, parts.hi, parts.lo);
      }
      parts.mapEnd(top);
      const rootDigest: Digest = { hi: parts.hi >>> 0, lo: parts.lo >>> 0 };
      visit(keyFrom(rootValues, rootKeys), rootDigest);

      // Collection children: an item each, from its own fields.
      for (let c = 0; c < childPlans.length; c++) {
        if (childPlans[c].def.shape !== 'collection') continue;
        const rows = children[c] ?? [];
        for (let r = 0; r < rows.length; r++) {
          const vs = childValues[c][r];
          top.resetMap();
          digestNodes(parts, childDigestPlans[c]!, vs, top, true, pool, 0);
          parts.mapEnd(top);
          const d: Digest = { hi: parts.hi >>> 0, lo: parts.lo >>> 0 };
          visit(keyFrom(vs, childKeys[c]), d);
        }
      }
      return undefined;
    };
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
    mapChild,
    keyOf,
    owns: (item) => kinds.some((k) => k(item)),
    rootKey,
    rowDigester,
  };
}

/** Every entity of a migration section, compiled. */
export function compileEntities(entities: Record<string, MigrationEntity>): Map<string, CompiledEntity> {
  return new Map(Object.entries(entities).map(([n, e]) => [n, compileEntity(n, e)]));
}
