import { z } from 'zod';
import type { ApiEntityModel, ApiField, ApiType } from './model';
import { MAX_LIMIT, RANGE_OPS } from './query';

/**
 * zod schemas built from the API model: the one source for request validation in the handler and for
 * the OpenAPI document (core/api/openapi.ts renders these same objects).
 */
const DECIMAL = /^-?(0|[1-9][0-9]*)\.[0-9]{2}$/;

export function zodOfType(type: ApiType, strict: boolean): z.ZodType {
  switch (type.kind) {
    case 'string':
      if (type.enum) return z.enum(type.enum as [string, ...string[]]);
      if (type.format === 'date-time') return z.iso.datetime();
      if (type.format === 'date') return z.iso.date();
      if (type.format === 'decimal')
        return z.string().regex(DECIMAL, 'a decimal amount with two places, e.g. "19.99"').meta({ format: 'decimal' });
      return z.string();
    case 'integer':
      return z.number().int();
    case 'number':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'unknown':
      return z.unknown();
    case 'array':
      return z.array(zodOfType(type.items, strict));
    case 'object':
      return zodOfFields(type.fields, strict, false);
  }
}

/**
 * An object of fields. `strict` rejects unknown attributes (request bodies: a typo must not be stored);
 * responses are strict too, because the handler projects items onto the declared fields.
 * `partial` makes every field optional (PATCH bodies, sparse field selection).
 */
export function zodOfFields(fields: Readonly<Record<string, ApiField>>, strict: boolean, partial: boolean): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, f] of Object.entries(fields)) {
    let s = zodOfType(f.type, strict);
    if (f.nullable) s = s.nullable();
    if (!f.required || partial) s = s.optional();
    shape[name] = s;
  }
  const obj = z.object(shape);
  return strict ? obj.strict() : obj;
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    field: z.string().optional(),
    value: z.unknown().optional(),
    correlationId: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; `field` and `value` name what was wrong.' });

export interface EntitySchemas {
  readonly item: z.ZodObject;
  /** PUT body: the whole item; key parameters may be omitted (they come from the path). */
  readonly put: z.ZodObject;
  readonly patch: z.ZodObject;
  readonly page: z.ZodObject;
  readonly params: z.ZodObject;
  readonly listQuery: z.ZodObject;
}

const pascal = (s: string): string => s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** The schemas of one entity at one version (1, or a declared later version). */
export function entitySchemas(model: ApiEntityModel, version: number): EntitySchemas {
  const fields = version === 1 ? model.fields : model.versions.find((v) => v.version === version)?.fields;
  if (!fields) throw new Error(`${model.entity} has no version ${version}`);
  const base = `${pascal(model.service)}${pascal(model.entity)}V${version}`;
  const item = zodOfFields(fields, true, false).meta({ id: base, description: `${model.entity} (version ${version})` });
  const putFields = Object.fromEntries(
    Object.entries(fields).map(([k, f]) => [k, model.params.includes(k) ? { ...f, required: false } : f]),
  );
  const put = zodOfFields(putFields, true, false).meta({
    id: `${base}Put`,
    description: `A whole ${model.entity}; key attributes come from the path`,
  });
  const patch = zodOfFields(fields, true, true).meta({
    id: `${base}Patch`,
    description: `Attributes of ${model.entity} to change (JSON merge: the attributes given replace the stored ones)`,
  });
  const page = z
    .object({
      items: z.array(zodOfFields(fields, true, true)),
      nextCursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last page' }),
    })
    .strict()
    .meta({ id: `${base}Page` });
  const params = z.object(Object.fromEntries(model.params.map((p) => [p, z.string().min(1)])));
  const query: Record<string, z.ZodType> = {
    limit: z
      .string()
      .regex(/^[0-9]+$/)
      .optional()
      .meta({ description: `Page size, 1 to ${MAX_LIMIT} (default 25)` }),
    cursor: z
      .string()
      .optional()
      .meta({ description: 'The nextCursor of the previous page (opaque, signed, valid for the same filters only)' }),
    fields: z.string().optional().meta({ description: 'Comma-separated attributes to return (sparse fieldset)' }),
  };
  for (const f of Object.values(model.filters)) {
    query[f.attribute] = z
      .string()
      .optional()
      .meta({ description: f.ops === 'eq' ? 'Equality' : 'Equality (a range is also possible)' });
    if (f.ops === 'range') for (const op of RANGE_OPS) query[`${f.attribute}.${op}`] = z.string().optional();
  }
  return { item, put, patch, page, params, listQuery: z.object(query) };
}

/** Zod's first issue as a field path and the value found there. */
export function firstIssue(error: z.ZodError, input: unknown): { field: string; value: unknown; message: string } {
  const issue = error.issues[0];
  let value: unknown = input;
  for (const p of issue.path)
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined;
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const path = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
  if (keys.length > 0) {
    const field = path ? `${path}.${keys[0]}` : keys[0];
    return { field, value: (value as Record<string, unknown>)?.[keys[0]], message: `"${field}" is not an attribute of this entity` };
  }
  return { field: path || '(body)', value, message: `${path || 'body'}: ${issue.message}` };
}
