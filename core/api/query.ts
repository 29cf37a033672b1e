import { getPath } from '../events/paths';
import { staticKeyPrefix } from '../spec/migration';
import type { ApiEntityModel, FilterTarget, KeyPart } from './model';
import { badRequest } from './problem';

/**
 * A list request -> one DynamoDB read plan: a Query on the table or an index when a key is given, or a
 * paged Scan when no filter is. A filter on anything that is not a declared key is a 400 naming it,
 * never a silent full Scan. Pure: the adapter executes the plan.
 */
export const RANGE_OPS = ['gt', 'gte', 'lt', 'lte', 'beginsWith'] as const;
export type RangeOp = (typeof RANGE_OPS)[number] | 'eq' | 'between';
export const RESERVED_PARAMS = ['limit', 'cursor', 'fields'] as const;
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;

export interface KeyCondition {
  readonly attribute: string;
  readonly op: RangeOp;
  readonly values: readonly (string | number)[];
}

export interface ListPlan {
  readonly kind: 'query' | 'scan';
  readonly table: string;
  readonly index?: string;
  readonly partition?: { readonly attribute: string; readonly value: string | number };
  readonly range?: KeyCondition;
  readonly limit: number;
  /** Sparse field selection (top-level attributes of the version served), or every field. */
  readonly fields?: readonly string[];
  /** Identifies the query for cursor binding (everything but limit and cursor). */
  readonly queryId: string;
}

export type QueryParams = Readonly<Record<string, string | readonly string[] | undefined>>;

function single(params: QueryParams, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(name, v, `query parameter ${name} is given ${v.length} times; give it once`);
  return v;
}

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT) {
    throw badRequest('limit', raw, `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Number(raw);
}

/** v1 name -> the name at `version`, following the version's renames (filters and fields use the served names). */
export function servedNames(model: ApiEntityModel, version: number): Map<string, string> {
  const names = new Map<string, string>();
  const ops = model.versions.find((v) => v.version === version)?.ops ?? [];
  for (const attr of Object.keys(model.fields)) names.set(attr, attr);
  for (const op of ops) {
    if (op.op !== 'rename') continue;
    for (const [v1, now] of names) if (now === op.from) names.set(v1, op.to);
  }
  return names;
}

function typed(f: FilterTarget, name: string, raw: string): string | number {
  if (f.type === 'N') {
    if (!/^-?[0-9]+(\.[0-9]+)?$/.test(raw)) throw badRequest(name, raw, `${name} is a number; got ${JSON.stringify(raw)}`);
    return Number(raw);
  }
  return raw;
}

function fill(part: KeyPart, values: Readonly<Record<string, string | number>>): string | number | undefined {
  if (part.kind === 'constant') return part.value;
  if (part.kind === 'param') return values[part.param];
  let missing = false;
  const out = part.template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, col: string) => {
    const v = values[part.params[col]];
    if (v === undefined) missing = true;
    return String(v);
  });
  return missing ? undefined : out;
}

/** The template's text for a range over its only parameter: prefix + value (ranges compare the whole key text). */
function templated(part: KeyPart, value: string | number): string | number {
  if (part.kind !== 'template') return value;
  return `${staticKeyPrefix({ attribute: part.attribute, template: part.template })}${value}`;
}

export function planList(model: ApiEntityModel, version: number, params: QueryParams): ListPlan {
  const limit = parseLimit(single(params, 'limit'));
  const served = servedNames(model, version);
  const byServed = new Map([...served].map(([v1, now]) => [now, v1]));
  const fieldsRaw = single(params, 'fields');
  let fields: string[] | undefined;
  if (fieldsRaw !== undefined) {
    fields = fieldsRaw.split(',').map((f) => f.trim());
    const versionFields = version === 1 ? model.fields : model.versions.find((v) => v.version === version)!.fields;
    for (const f of fields)
      if (!versionFields[f])
        throw badRequest(
          'fields',
          f,
          `fields: "${f}" is not an attribute of ${model.entity} v${version}; choose from ${Object.keys(versionFields).join(', ')}`,
        );
  }

  const eq: Record<string, string | number> = {};
  const ranges: { attr: string; op: RangeOp; value: string | number; name: string }[] = [];
  for (const [name, raw] of Object.entries(params)) {
    if (raw === undefined || (RESERVED_PARAMS as readonly string[]).includes(name)) continue;
    const value = single(params, name)!;
    const dot = name.lastIndexOf('.');
    const base = dot > 0 && (RANGE_OPS as readonly string[]).includes(name.slice(dot + 1)) ? name.slice(0, dot) : name;
    const op = base === name ? 'eq' : (name.slice(dot + 1) as RangeOp);
    const attr = byServed.get(base);
    const filter = attr === undefined ? undefined : model.filters[attr];
    if (!filter) {
      const allowed = Object.keys(model.filters).map((a) => served.get(a) ?? a);
      throw badRequest(
        name,
        value,
        `cannot filter ${model.entity} on "${base}": ${allowed.length ? `filterable attributes are ${allowed.join(', ')}` : 'it declares no filters'} (plus limit, cursor, fields)`,
      );
    }
    if (op !== 'eq' && filter.ops === 'eq')
      throw badRequest(name, value, `"${base}" is a partition key: only equality (${base}=...) is possible`);
    const v = typed(filter, name, value);
    if (op === 'eq' && filter.ops === 'eq') eq[attr!] = v;
    else ranges.push({ attr: attr!, op, value: v, name });
  }

  // The table's partition key, if every parameter it is built from is given.
  const tablePk = Object.keys(eq).some((a) => !model.filters[a].index) ? fill(model.partitionKey, eq) : undefined;
  let index: string | undefined;
  let partition: { attribute: string; value: string | number } | undefined;
  if (tablePk !== undefined) {
    partition = { attribute: model.partitionKey.attribute, value: tablePk };
  } else {
    const idx = Object.entries(model.indexes).find(([, k]) => eq[k.partitionKey] !== undefined);
    if (idx) {
      index = idx[0];
      partition = { attribute: idx[1].partitionKey, value: eq[idx[1].partitionKey] };
    }
  }
  const usedEq = new Set<string>();
  if (partition && !index && model.partitionKey.kind !== 'constant') {
    for (const p of model.partitionKey.kind === 'param' ? [model.partitionKey.param] : Object.values(model.partitionKey.params))
      usedEq.add(p);
  }
  if (index) usedEq.add(model.indexes[index].partitionKey);

  // Equality on a sort-key attribute is a range condition too.
  for (const [attr, v] of Object.entries(eq)) {
    if (!usedEq.has(attr)) ranges.push({ attr, op: 'eq', value: v, name: served.get(attr) ?? attr });
  }
  for (const r of ranges) {
    const f = model.filters[r.attr];
    if (!partition) {
      throw badRequest(
        r.name,
        r.value,
        `"${served.get(r.attr)}" filters within a partition: give ${describePartitionFilters(model, served)} as well`,
      );
    }
    if ((f.index ?? undefined) !== index || (f.index === undefined && index !== undefined)) {
      throw badRequest(
        r.name,
        r.value,
        `"${served.get(r.attr)}" cannot be combined with the other filters (it belongs to ${f.index ? `index ${f.index}` : 'the table key'})`,
      );
    }
  }
  let range: KeyCondition | undefined;
  if (ranges.length === 1) {
    const r = ranges[0];
    const keyAttr = index ? r.attr : model.filters[r.attr].keyAttribute;
    const part = !index && model.sortKey ? model.sortKey : undefined;
    range = { attribute: keyAttr, op: r.op, values: [part ? templated(part, r.value) : r.value] };
  } else if (
    ranges.length === 2 &&
    new Set(ranges.map((r) => r.op)).size === 2 &&
    ranges.every((r) => r.op === 'gte' || r.op === 'lte') &&
    ranges[0].attr === ranges[1].attr
  ) {
    const lo = ranges.find((r) => r.op === 'gte')!;
    const hi = ranges.find((r) => r.op === 'lte')!;
    const part = !index && model.sortKey ? model.sortKey : undefined;
    const keyAttr = index ? lo.attr : model.filters[lo.attr].keyAttribute;
    range = {
      attribute: keyAttr,
      op: 'between',
      values: [part ? templated(part, lo.value) : lo.value, part ? templated(part, hi.value) : hi.value],
    };
  } else if (ranges.length > 1) {
    throw badRequest(ranges[1].name, ranges[1].value, 'one range per list: a single condition, or .gte with .lte on the same attribute');
  }
  if (partition && !index && !range && model.sortKey && model.sortKey.kind !== 'param') {
    // The entity's items in a shared partition: the sort key's constant or fixed prefix picks them out.
    range =
      model.sortKey.kind === 'constant'
        ? { attribute: model.sortKey.attribute, op: 'eq', values: [model.sortKey.value] }
        : {
            attribute: model.sortKey.attribute,
            op: 'beginsWith',
            values: [staticKeyPrefix({ attribute: model.sortKey.attribute, template: model.sortKey.template })],
          };
  }
  const kind = partition ? 'query' : 'scan';
  const queryId = JSON.stringify([model.service, model.entity, version, kind, index ?? null, partition ?? null, range ?? null]);
  return { kind, table: model.table, index, partition, range, limit, fields, queryId };
}

function describePartitionFilters(model: ApiEntityModel, served: Map<string, string>): string {
  const eqs = Object.values(model.filters)
    .filter((f) => f.ops === 'eq')
    .map((f) => served.get(f.attribute) ?? f.attribute);
  return eqs.length ? eqs.join(' or ') : 'a partition key';
}

/** Whether an item satisfies a key condition: the reference semantics the store's Query must agree with. */
export function matchesCondition(item: Record<string, unknown>, c: KeyCondition): boolean {
  const v = getPath(item, c.attribute) as string | number | undefined;
  if (v === undefined) return false;
  const [a, b] = c.values;
  switch (c.op) {
    case 'eq':
      return v === a;
    case 'gt':
      return v > a;
    case 'gte':
      return v >= a;
    case 'lt':
      return v < a;
    case 'lte':
      return v <= a;
    case 'between':
      return v >= a && v <= b;
    case 'beginsWith':
      return typeof v === 'string' && v.startsWith(String(a));
  }
}
