import { CutoverError } from '../errors';
import { castPayload } from '../spec/cast';
import type { ServiceEventDef } from '../spec/schema';
import { decodeCursor, encodeCursor } from './cursor';
import { VERSION_ATTRIBUTE, ownsItem, type ApiEntityModel, type ApiField, type KeyPart } from './model';
import { ApiProblem, badRequest } from './problem';
import { planList, type ListPlan, type QueryParams } from './query';
import { entitySchemas, firstIssue } from './schemas';

/**
 * The request logic of a generated API, behind a small store interface (as Powertools' persistence
 * layer): reads by key, pages of a planned Query/Scan, and writes conditional on the item's version.
 * The adapter (adapters/dynamodb/data-api-store.ts) does the I/O; this decides everything else.
 */
export type StoredItem = Record<string, unknown>;

export interface DataStore {
  get(table: string, key: StoredItem): Promise<StoredItem | undefined>;
  page(plan: ListPlan, startKey?: StoredItem): Promise<{ items: StoredItem[]; lastKey?: StoredItem }>;
  /** Writes the item if the stored version is `expected` (0: absent or unversioned) or, for 'absent', if there is no item. */
  put(table: string, item: StoredItem, keyAttributes: readonly string[], expected: number | 'absent'): Promise<void>;
}

/** The store's conditional write failed: someone else wrote the item first. */
export class WriteConflictError extends CutoverError {}

export interface ItemResult {
  readonly status: number;
  readonly item: StoredItem;
  readonly etag: string;
}

export const etagOf = (item: StoredItem): string => `"v${typeof item[VERSION_ATTRIBUTE] === 'number' ? item[VERSION_ATTRIBUTE] : 0}"`;

/** The version an If-Match names, or a 400 naming the header. */
export function parseEtag(header: string): number {
  const m = /^(?:W\/)?"v([0-9]{1,15})"$/.exec(header.trim());
  if (!m) throw badRequest('If-Match', header, 'If-Match must be an ETag this API returned, such as "v3"');
  return Number(m[1]);
}

function versionFields(model: ApiEntityModel, version: number): Readonly<Record<string, ApiField>> {
  if (version === 1) return model.fields;
  const v = model.versions.find((x) => x.version === version);
  if (!v) throw new ApiProblem(404, 'no-such-version', `${model.entity} has no version ${version}`, 'version', version);
  return v.fields;
}

function castDef(model: ApiEntityModel, version: number): ServiceEventDef {
  const ops = model.versions.find((v) => v.version === version)?.ops ?? [];
  return { upcasts: ops.length ? [{ from: 1, ops: [...ops] }] : [] } as unknown as ServiceEventDef;
}

/** v1 item -> the item at `version` (the spec's cast ops; the same code that casts service events). */
export function castUp(model: ApiEntityModel, version: number, v1: StoredItem): StoredItem {
  return version === 1 ? v1 : castPayload(`${model.entity}`, castDef(model, version), v1, 1, 2);
}

export function castDown(model: ApiEntityModel, version: number, item: StoredItem): StoredItem {
  return version === 1 ? item : castPayload(`${model.entity}`, castDef(model, version), item, 2, 1);
}

/** The declared attributes of a stored item (storage keys, the version and attributes others own are not shown). */
export function project(fields: Readonly<Record<string, ApiField>>, item: StoredItem): StoredItem {
  const out: StoredItem = {};
  for (const [name, f] of Object.entries(fields)) {
    const v = item[name];
    if (v === undefined) continue;
    out[name] =
      f.type.kind === 'object' && v !== null && typeof v === 'object' && !Array.isArray(v) ? project(f.type.fields, v as StoredItem) : v;
  }
  return out;
}

function pick(item: StoredItem, fields: readonly string[] | undefined): StoredItem {
  return fields ? Object.fromEntries(fields.filter((f) => item[f] !== undefined).map((f) => [f, item[f]])) : item;
}

/** The path parameters, typed (a number key must be a number), or a 400 naming the bad one. */
export function keyValues(model: ApiEntityModel, params: Readonly<Record<string, string | undefined>>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const p of model.params) {
    const raw = params[p];
    if (raw === undefined || raw === '') throw badRequest(p, raw, `path parameter ${p} is missing`);
    if (model.paramTypes[p] === 'N') {
      if (!/^-?[0-9]+(\.[0-9]+)?$/.test(raw)) throw badRequest(p, raw, `${p} is a number; got ${JSON.stringify(raw)}`);
      out[p] = Number(raw);
    } else {
      out[p] = raw;
    }
  }
  return out;
}

function keyAttr(part: KeyPart, values: Readonly<Record<string, string | number>>): string | number {
  if (part.kind === 'constant') return part.value;
  if (part.kind === 'param') return values[part.param];
  return part.template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, col: string) => String(values[part.params[col]]));
}

export function tableKey(model: ApiEntityModel, values: Readonly<Record<string, string | number>>): StoredItem {
  const key: StoredItem = { [model.partitionKey.attribute]: keyAttr(model.partitionKey, values) };
  if (model.sortKey) key[model.sortKey.attribute] = keyAttr(model.sortKey, values);
  return key;
}

function parseFields(model: ApiEntityModel, version: number, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const fields = versionFields(model, version);
  const list = raw.split(',').map((f) => f.trim());
  for (const f of list)
    if (!fields[f])
      throw badRequest(
        'fields',
        f,
        `fields: "${f}" is not an attribute of ${model.entity} v${version}; choose from ${Object.keys(fields).join(', ')}`,
      );
  return list;
}

export interface EngineOptions {
  readonly store: DataStore;
  /** HMAC key for cursors. */
  readonly cursorSecret: string;
}

/** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
export function mergePatch(target: StoredItem, patch: StoredItem): StoredItem {
  const out: StoredItem = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k]))
      out[k] = mergePatch(out[k] as StoredItem, v as StoredItem);
    else out[k] = v;
  }
  return out;
}

export class DataApiEngine {
  public constructor(private readonly options: EngineOptions) {}

  public async get(
    model: ApiEntityModel,
    version: number,
    params: Readonly<Record<string, string | undefined>>,
    fieldsRaw?: string,
  ): Promise<ItemResult> {
    const fields = parseFields(model, version, fieldsRaw);
    const values = keyValues(model, params);
    const stored = await this.options.store.get(model.table, tableKey(model, values));
    if (!stored || !ownsItem(model, stored)) throw notFound(model, values);
    return { status: 200, item: pick(this.view(model, version, stored), fields), etag: etagOf(stored) };
  }

  public async list(model: ApiEntityModel, version: number, query: QueryParams): Promise<{ items: StoredItem[]; nextCursor?: string }> {
    versionFields(model, version);
    const plan = planList(model, version, query);
    const cursor = typeof query.cursor === 'string' ? query.cursor : undefined;
    const startKey = cursor !== undefined ? decodeCursor(this.options.cursorSecret, cursor, plan.queryId) : undefined;
    const page = await this.options.store.page(plan, startKey);
    const items = page.items.filter((i) => ownsItem(model, i)).map((i) => pick(this.view(model, version, i), plan.fields));
    return {
      items,
      ...(page.lastKey ? { nextCursor: encodeCursor(this.options.cursorSecret, { query: plan.queryId, lastKey: page.lastKey }) } : {}),
    };
  }

  /** PUT: replace (If-Match) or create (If-None-Match: *). Attributes the API does not declare are kept. */
  public async put(
    model: ApiEntityModel,
    version: number,
    params: Readonly<Record<string, string | undefined>>,
    body: unknown,
    headers: { ifMatch?: string; ifNoneMatch?: string },
  ): Promise<ItemResult> {
    this.writable(model);
    const values = keyValues(model, params);
    const parsed = entitySchemas(model, version).put.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error, body);
    const item = parsed.data as StoredItem;
    for (const p of model.params) {
      if (item[p] !== undefined && item[p] !== values[p])
        throw badRequest(p, item[p], `${p} in the body (${JSON.stringify(item[p])}) differs from the path (${JSON.stringify(values[p])})`);
    }
    if (headers.ifNoneMatch !== undefined && headers.ifNoneMatch.trim() !== '*')
      throw badRequest('If-None-Match', headers.ifNoneMatch, 'only If-None-Match: * (create) is supported');
    if (headers.ifMatch === undefined && headers.ifNoneMatch === undefined) {
      throw new ApiProblem(
        428,
        'precondition-required',
        'send If-Match with the ETag you read (replace) or If-None-Match: * (create)',
        'If-Match',
        undefined,
      );
    }
    const key = tableKey(model, values);
    if (headers.ifNoneMatch !== undefined) {
      const next = { ...castDown(model, version, item), ...values, ...key, [VERSION_ATTRIBUTE]: 1 };
      await this.write(model, next, 'absent', headers.ifNoneMatch);
      return { status: 201, item: this.view(model, version, next), etag: etagOf(next) };
    }
    const expected = parseEtag(headers.ifMatch!);
    const current = await this.options.store.get(model.table, key);
    if (!current || !ownsItem(model, current)) throw notFound(model, values);
    if (etagOf(current) !== `"v${expected}"`) throw stale(headers.ifMatch!, current);
    // Undeclared attributes (the sync's bookkeeping, attributes a newer mapping adds) survive a replace.
    const undeclared = Object.fromEntries(Object.entries(current).filter(([k]) => model.fields[k] === undefined));
    const next = { ...undeclared, ...castDown(model, version, item), ...values, ...key, [VERSION_ATTRIBUTE]: expected + 1 };
    await this.write(model, next, expected, headers.ifMatch!);
    return { status: 200, item: this.view(model, version, next), etag: etagOf(next) };
  }

  /** PATCH: a JSON merge patch of the item at `version`, conditional on If-Match. */
  public async patch(
    model: ApiEntityModel,
    version: number,
    params: Readonly<Record<string, string | undefined>>,
    body: unknown,
    ifMatch: string | undefined,
  ): Promise<ItemResult> {
    this.writable(model);
    const values = keyValues(model, params);
    const schemas = entitySchemas(model, version);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest('(body)', body, 'a PATCH body is a JSON object of the attributes to change');
    const shape = schemas.patch.safeParse(Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)));
    if (!shape.success) throw invalidBody(shape.error, body);
    for (const p of model.params)
      if (p in body) throw badRequest(p, (body as StoredItem)[p], `${p} is part of the key and cannot be changed`);
    if (ifMatch === undefined)
      throw new ApiProblem(428, 'precondition-required', 'send If-Match with the ETag you read', 'If-Match', undefined);
    const expected = parseEtag(ifMatch);
    const key = tableKey(model, values);
    const current = await this.options.store.get(model.table, key);
    if (!current || !ownsItem(model, current)) throw notFound(model, values);
    if (etagOf(current) !== `"v${expected}"`) throw stale(ifMatch, current);
    const merged = mergePatch(this.view(model, version, current), body as StoredItem);
    const whole = schemas.item.safeParse(merged);
    if (!whole.success) throw invalidBody(whole.error, merged);
    const undeclared = Object.fromEntries(Object.entries(current).filter(([k]) => model.fields[k] === undefined));
    const next = { ...undeclared, ...castDown(model, version, whole.data as StoredItem), ...key, [VERSION_ATTRIBUTE]: expected + 1 };
    await this.write(model, next, expected, ifMatch);
    return { status: 200, item: this.view(model, version, next), etag: etagOf(next) };
  }

  private view(model: ApiEntityModel, version: number, stored: StoredItem): StoredItem {
    return project(versionFields(model, version), castUp(model, version, project(model.fields, stored)));
  }

  private writable(model: ApiEntityModel): void {
    if (!model.writes) throw new ApiProblem(405, 'read-only', `${model.entity} is read-only through this API`, 'method', undefined);
  }

  private async write(model: ApiEntityModel, item: StoredItem, expected: number | 'absent', header: string): Promise<void> {
    const keys = [model.partitionKey.attribute, ...(model.sortKey ? [model.sortKey.attribute] : [])];
    try {
      await this.options.store.put(model.table, item, keys, expected);
    } catch (error) {
      if (error instanceof WriteConflictError) {
        throw expected === 'absent'
          ? new ApiProblem(
              412,
              'already-exists',
              `${model.entity} already exists; read it and send If-Match to replace it`,
              'If-None-Match',
              header,
              { cause: error },
            )
          : new ApiProblem(412, 'stale-etag', `${model.entity} changed since ${header} was read; read it again`, 'If-Match', header, {
              cause: error,
            });
      }
      throw error;
    }
  }
}

function notFound(model: ApiEntityModel, values: Record<string, string | number>): ApiProblem {
  const [first] = model.params;
  return new ApiProblem(
    404,
    'not-found',
    `no ${model.entity} ${model.params.map((p) => `${p}=${JSON.stringify(values[p])}`).join(', ')}`,
    first,
    values[first],
  );
}

function stale(header: string, current: StoredItem): ApiProblem {
  return new ApiProblem(
    412,
    'stale-etag',
    `the item is now at ${etagOf(current)}, not ${header}; read it again before writing`,
    'If-Match',
    header,
  );
}

function invalidBody(error: import('zod').ZodError, body: unknown): ApiProblem {
  const issue = firstIssue(error, body);
  return badRequest(issue.field, issue.value, issue.message);
}
