import { SpecError } from '../errors';
import { compileEntity } from '../migration/mapping';
import { invertOp } from '../spec/cast';
import type { ApiEntity, ApiSection } from '../spec/api';
import { TEMPLATE_PLACEHOLDER, staticKeyPrefix, type MigrationEntity, type MigrationField, type MigrationSection } from '../spec/migration';
import type { CastOp, Spec } from '../spec/schema';

/**
 * The API model: what a generated REST API serves, derived from the spec's `migration` entities (keys,
 * fields, types) and its `api` section (exposure, writes, filters, indexes, versions). Every other piece
 * (zod schemas, OpenAPI, the handler, the CDK construct) reads this, so they cannot disagree.
 */

/** A value type, as the API shows it (after the mapping's transforms). */
export type ApiType =
  | { readonly kind: 'string'; readonly format?: 'date-time' | 'date' | 'decimal'; readonly enum?: readonly string[] }
  | { readonly kind: 'integer' }
  | { readonly kind: 'number' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, ApiField>> }
  | { readonly kind: 'array'; readonly items: ApiType };

export interface ApiField {
  readonly type: ApiType;
  readonly required: boolean;
  /** NULL columns become null (the entity's `nulls: 'null'`). */
  readonly nullable: boolean;
}

/** How one key attribute of the table is built from the API's path parameters. */
export type KeyPart =
  | { readonly attribute: string; readonly kind: 'param'; readonly param: string; readonly type: 'S' | 'N' }
  | { readonly attribute: string; readonly kind: 'template'; readonly template: string; readonly params: Readonly<Record<string, string>> }
  | { readonly attribute: string; readonly kind: 'constant'; readonly value: string | number };

/** What a filter attribute can do: equality (partition keys) or equality and ranges (sort keys). */
export interface FilterTarget {
  readonly attribute: string;
  readonly ops: 'eq' | 'range';
  /** The table (undefined) or an index this filter queries. */
  readonly index?: string;
  /** The DynamoDB attribute compared: the attribute itself or a key built from it. */
  readonly keyAttribute: string;
  readonly type: 'S' | 'N';
}

export interface ApiVersion {
  readonly version: number;
  /** Ops from v1 to this version. */
  readonly ops: readonly CastOp[];
  readonly fields: Readonly<Record<string, ApiField>>;
}

export interface ApiEntityModel {
  readonly service: string;
  readonly entity: string;
  readonly path: string;
  readonly table: string;
  readonly partitionKey: KeyPart;
  readonly sortKey?: KeyPart;
  /** Path parameters, in order: `/v1/<path>/{p1}/{p2}`. */
  readonly params: readonly string[];
  readonly paramTypes: Readonly<Record<string, 'S' | 'N'>>;
  /** The attributes clients see (v1); storage-only key attributes (templates, constants) are not among them. */
  readonly fields: Readonly<Record<string, ApiField>>;
  readonly writes: boolean;
  readonly filters: Readonly<Record<string, FilterTarget>>;
  readonly indexes: Readonly<Record<string, { readonly partitionKey: string; readonly sortKey?: string }>>;
  readonly versions: readonly ApiVersion[];
}

export interface ApiServiceModel {
  readonly service: string;
  readonly description?: string;
  readonly entities: readonly ApiEntityModel[];
}

/** The optimistic-concurrency attribute: every write through the API increments it; absent means 0. */
export const VERSION_ATTRIBUTE = 'version';

const DECIMAL_TRANSFORMS = new Set(['centsToDecimal']);

function transformType(name: string): ApiType | undefined {
  switch (name) {
    case 'centsToDecimal':
      return { kind: 'string', format: 'decimal' };
    case 'intString':
      return { kind: 'integer' };
    case 'legacyDateTime':
    case 'sqlTimestamp':
      return { kind: 'string', format: 'date-time' };
    case 'legacyDate':
      return { kind: 'string', format: 'date' };
    case 'yesNo':
    case 'sqlBoolean':
      return { kind: 'boolean' };
    default:
      return undefined;
  }
}

/** The API type of one mapped attribute: the explicit DynamoDB type, else the last transform's output. */
export function fieldType(f: MigrationField): ApiType {
  if (f.type === 'N') return { kind: 'number' };
  if (f.type === 'BOOL') return { kind: 'boolean' };
  if (f.constant !== undefined) {
    return typeof f.constant === 'number' ? { kind: 'number' } : typeof f.constant === 'boolean' ? { kind: 'boolean' } : { kind: 'string' };
  }
  if (f.template !== undefined || f.type === 'S') return { kind: 'string' };
  const chain = f.transform === undefined ? [] : Array.isArray(f.transform) ? f.transform : [f.transform];
  let type: ApiType = { kind: 'string' };
  for (const t of chain) {
    if (typeof t === 'object') type = { kind: 'string', enum: [...new Set(Object.values(t.map))].sort() };
    else type = transformType(t) ?? (DECIMAL_TRANSFORMS.has(t) ? { kind: 'string', format: 'decimal' } : type);
  }
  return type;
}

type MutableFields = Record<string, { type: ApiType; required: boolean; nullable: boolean }>;

function placeField(into: MutableFields, path: readonly string[], field: ApiField): void {
  const [head, ...rest] = path;
  if (rest.length === 0) {
    into[head] = { ...field };
    return;
  }
  const parent = into[head];
  const fields: MutableFields = parent?.type.kind === 'object' ? { ...(parent.type.fields as MutableFields) } : {};
  placeField(fields, rest, field);
  // A nested map is required when any of its leaves is.
  const required = Object.values(fields).some((x) => x.required);
  into[head] = { type: { kind: 'object', fields }, required, nullable: false };
}

function fieldsOf(
  fields: readonly MigrationField[],
  hidden: ReadonlySet<string>,
  keyAttrs: ReadonlySet<string>,
  nullable: boolean,
): MutableFields {
  const out: MutableFields = {};
  for (const f of fields) {
    if (hidden.has(f.attribute)) continue;
    const required = f.required === true || keyAttrs.has(f.attribute);
    placeField(out, f.attribute.split('.'), { type: fieldType(f), required, nullable: nullable && !required });
  }
  return out;
}

function transformsOf(f: MigrationField): string[] {
  if (f.transform === undefined) return [];
  return (Array.isArray(f.transform) ? f.transform : [f.transform]).map((t) => (typeof t === 'string' ? t : 'map'));
}

/** Column -> the visible attribute that carries its text unchanged (what a client sends for a key placeholder). */
function plainColumnAttributes(def: MigrationEntity): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of def.fields) {
    if (f.column === undefined || f.attribute.includes('.')) continue;
    if (transformsOf(f).every((t) => t === 'identity' || t === 'trim')) if (!out.has(f.column)) out.set(f.column, f.attribute);
  }
  return out;
}

function keyPart(def: MigrationEntity, attribute: string, keyType: 'S' | 'N', where: string, problems: string[]): KeyPart {
  const field = def.fields.find((f) => f.attribute === attribute)!;
  if (field.constant !== undefined) return { attribute, kind: 'constant', value: field.constant as string | number };
  if (field.template !== undefined) {
    const columns = plainColumnAttributes(def);
    const params: Record<string, string> = {};
    for (const m of field.template.matchAll(TEMPLATE_PLACEHOLDER)) {
      const attr = columns.get(m[1]);
      if (!attr) {
        problems.push(
          `${where}: key ${attribute} is built from column ${m[1]}, which no untransformed top-level attribute carries, so a client cannot name the item`,
        );
      } else {
        params[m[1]] = attr;
      }
    }
    return { attribute, kind: 'template', template: field.template, params };
  }
  return { attribute, kind: 'param', param: attribute, type: keyType };
}

function paramsOf(part: KeyPart | undefined): string[] {
  if (!part) return [];
  if (part.kind === 'param') return [part.param];
  if (part.kind === 'template') return Object.values(part.params);
  return [];
}

function leafType(fields: Readonly<Record<string, ApiField>>, attribute: string): ApiType | undefined {
  return fields[attribute]?.type;
}

function dynamoType(type: ApiType | undefined): 'S' | 'N' | undefined {
  if (!type) return undefined;
  if (type.kind === 'string') return 'S';
  if (type.kind === 'integer' || type.kind === 'number') return 'N';
  return undefined;
}

function valueType(value: unknown): ApiType {
  if (typeof value === 'string') return { kind: 'string' };
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: 'integer' } : { kind: 'number' };
  if (typeof value === 'boolean') return { kind: 'boolean' };
  return { kind: 'unknown' };
}

function getField(fields: MutableFields, path: string[]): ApiField | undefined {
  const [head, ...rest] = path;
  const f = fields[head];
  if (!f || rest.length === 0) return f;
  return f.type.kind === 'object' ? getField(f.type.fields as MutableFields, rest) : undefined;
}

function removeField(fields: MutableFields, path: string[]): ApiField | undefined {
  const [head, ...rest] = path;
  const f = fields[head];
  if (!f) return undefined;
  if (rest.length === 0) {
    delete fields[head];
    return f;
  }
  if (f.type.kind !== 'object') return undefined;
  const inner = { ...(f.type.fields as MutableFields) };
  const removed = removeField(inner, rest);
  if (Object.keys(inner).length === 0) delete fields[head];
  else fields[head] = { ...f, type: { kind: 'object', fields: inner } };
  return removed;
}

/** The fields of a later version: the v1 field tree with the cast ops applied, as castPayload applies them to a payload. */
export function castFields(
  v1: Readonly<Record<string, ApiField>>,
  ops: readonly CastOp[],
  where: string,
  problems: string[],
): Record<string, ApiField> {
  const fields: MutableFields = structuredClone(v1) as MutableFields;
  ops.forEach((op, i) => {
    const at = `${where}.ops[${i}]`;
    if (op.op === 'rename') {
      const moved = removeField(fields, op.from.split('.'));
      if (!moved) problems.push(`${at}.from: "${op.from}" is not an attribute of the entity at this version`);
      else placeField(fields, op.to.split('.'), moved);
    } else if (op.op === 'setDefault') {
      const had = getField(fields, op.path.split('.'));
      placeField(fields, op.path.split('.'), { type: had?.type ?? valueType(op.value), required: true, nullable: had?.nullable ?? false });
    } else if (!removeField(fields, op.path.split('.'))) {
      problems.push(`${at}.path: "${op.path}" is not an attribute of the entity at this version`);
    }
  });
  return fields;
}

function entityModel(service: string, name: string, def: MigrationEntity, api: ApiEntity, problems: string[]): ApiEntityModel {
  const where = `api.services.${service}.entities.${name}`;
  const compiled = compileEntity(name, def);
  const pkPart = keyPart(def, def.target.partitionKey, compiled.keySchema.partitionKey.type, where, problems);
  const skPart = def.target.sortKey ? keyPart(def, def.target.sortKey, compiled.keySchema.sortKey!.type, where, problems) : undefined;
  // Templates and constants are how the table is laid out, not what the entity is: clients never see them.
  const hidden = new Set([pkPart, skPart].filter((p): p is KeyPart => p !== undefined && p.kind !== 'param').map((p) => p.attribute));
  const params = [...new Set([...paramsOf(pkPart), ...paramsOf(skPart)])];
  const fields = fieldsOf(def.fields, hidden, new Set(params), def.nulls === 'null');
  for (const c of def.children ?? []) {
    if (c.shape !== 'embed') continue;
    const itemFields = fieldsOf(c.fields, new Set(), new Set(), def.nulls === 'null');
    fields[c.attribute ?? c.name] = {
      type: { kind: 'array', items: { kind: 'object', fields: itemFields } },
      required: (c.whenNone ?? 'empty') === 'empty',
      nullable: false,
    };
  }
  if (fields[VERSION_ATTRIBUTE])
    problems.push(`${where}: attribute "${VERSION_ATTRIBUTE}" is the API's concurrency version; the mapping must not produce it`);
  const paramTypes: Record<string, 'S' | 'N'> = {};
  for (const p of params) {
    const t = dynamoType(leafType(fields, p));
    if (!t) problems.push(`${where}: key parameter "${p}" must be a string or a number`);
    paramTypes[p] = t ?? 'S';
  }

  const indexes = api.indexes ?? {};
  for (const [index, keys] of Object.entries(indexes)) {
    for (const k of [keys.partitionKey, ...(keys.sortKey ? [keys.sortKey] : [])]) {
      if (!dynamoType(leafType(fields, k)))
        problems.push(`${where}.indexes.${index}: "${k}" is not a top-level string or number attribute of ${name}`);
    }
  }

  const filters: Record<string, FilterTarget> = {};
  for (const attr of api.filters ?? []) {
    const type = dynamoType(leafType(fields, attr)) ?? 'S';
    const byIndex = Object.entries(indexes).find(([, k]) => k.partitionKey === attr || k.sortKey === attr);
    if (pkPart.kind === 'param' && pkPart.param === attr)
      filters[attr] = { attribute: attr, ops: 'eq', keyAttribute: pkPart.attribute, type };
    else if (pkPart.kind === 'template' && Object.values(pkPart.params).includes(attr))
      filters[attr] = { attribute: attr, ops: 'eq', keyAttribute: pkPart.attribute, type: 'S' };
    else if (skPart && skPart.kind === 'param' && skPart.param === attr)
      filters[attr] = { attribute: attr, ops: 'range', keyAttribute: skPart.attribute, type };
    else if (skPart && skPart.kind === 'template' && Object.values(skPart.params).includes(attr))
      filters[attr] = { attribute: attr, ops: 'range', keyAttribute: skPart.attribute, type: 'S' };
    else if (byIndex)
      filters[attr] = {
        attribute: attr,
        ops: byIndex[1].partitionKey === attr ? 'eq' : 'range',
        index: byIndex[0],
        keyAttribute: attr,
        type,
      };
    else
      problems.push(
        `${where}.filters: "${attr}" is neither a key of table ${def.target.table} nor a key of a declared index; filtering on it would scan the whole table`,
      );
  }

  const versions: ApiVersion[] = [];
  let ops: CastOp[] = [];
  let prev: Record<string, ApiField> = fields;
  for (const v of Object.keys(api.versions ?? {})
    .map(Number)
    .sort((a, b) => a - b)) {
    if (v !== versions.length + 2) problems.push(`${where}.versions: versions run 2, 3, ... without gaps (found ${v})`);
    const step = api.versions![String(v)].ops;
    if (api.writes) {
      step.forEach((op, i) => {
        if (!invertOp(op))
          problems.push(`${where}.versions.${v}.ops[${i}]: a writable entity's version ops must be reversible (give remove a restoreWith)`);
      });
    }
    prev = castFields(prev, step, `${where}.versions.${v}`, problems);
    ops = [...ops, ...step];
    versions.push({ version: v, ops, fields: prev });
  }

  return {
    service,
    entity: name,
    path: api.path ?? name,
    table: def.target.table,
    partitionKey: pkPart,
    sortKey: skPart,
    params,
    paramTypes,
    fields,
    writes: api.writes ?? false,
    filters,
    indexes,
    versions,
  };
}

/** Every service's API model; throws SpecError naming each problem (unknown entity, a filter that would scan...). */
export function buildApiModels(api: ApiSection, migration: MigrationSection | undefined): ApiServiceModel[] {
  const problems: string[] = [];
  const models: ApiServiceModel[] = [];
  const paths = new Map<string, string>();
  for (const [service, svc] of Object.entries(api.services)) {
    const entities: ApiEntityModel[] = [];
    for (const [name, exposed] of Object.entries(svc.entities)) {
      const def = migration?.entities[name];
      if (!def) {
        problems.push(`api.services.${service}.entities.${name}: not an entity of the migration section`);
        continue;
      }
      const model = entityModel(service, name, def, exposed, problems);
      const seen = paths.get(`${service}/${model.path}`);
      if (seen) problems.push(`api.services.${service}.entities.${name}.path: "/v1/${model.path}" is already served for ${seen}`);
      paths.set(`${service}/${model.path}`, name);
      entities.push(model);
    }
    models.push({ service, description: svc.description, entities });
  }
  if (problems.length > 0) throw new SpecError(problems);
  return models;
}

/** The spec's API models (none when it has no api section). */
export function apiModelsOf(spec: Spec): ApiServiceModel[] {
  return spec.api ? buildApiModels(spec.api, spec.migration) : [];
}

/** Spec table name -> the GSIs the API needs on it (the data stack creates them). */
export function apiTableIndexes(
  models: readonly ApiServiceModel[],
): Map<string, Map<string, { partitionKey: { name: string; type: 'S' | 'N' }; sortKey?: { name: string; type: 'S' | 'N' } }>> {
  const out = new Map<
    string,
    Map<string, { partitionKey: { name: string; type: 'S' | 'N' }; sortKey?: { name: string; type: 'S' | 'N' } }>
  >();
  for (const s of models) {
    for (const e of s.entities) {
      for (const [name, k] of Object.entries(e.indexes)) {
        const t = (a: string) => dynamoType(leafType(e.fields, a)) ?? 'S';
        const byName = out.get(e.table) ?? new Map();
        byName.set(name, {
          partitionKey: { name: k.partitionKey, type: t(k.partitionKey) },
          sortKey: k.sortKey ? { name: k.sortKey, type: t(k.sortKey) } : undefined,
        });
        out.set(e.table, byName);
      }
    }
  }
  return out;
}

/** The key prefix test for items of a shared table: an item is this entity's when its keys match its constants and template prefixes. */
export function ownsItem(model: ApiEntityModel, item: Record<string, unknown>): boolean {
  return [model.partitionKey, model.sortKey].every((part) => {
    if (!part || part.kind === 'param') return true;
    const v = item[part.attribute];
    if (part.kind === 'constant') return v === part.value;
    return typeof v === 'string' && v.startsWith(staticKeyPrefix({ attribute: part.attribute, template: part.template }));
  });
}
