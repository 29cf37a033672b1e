import type { FieldSchema, ObjectField, StringFormat } from './field-schema';
import { describe, validDate } from './transforms';

const FORMAT_CHECKS: Record<StringFormat, { test: (s: string) => boolean; example: string }> = {
  cents: { test: (s) => /^-?(0|[1-9][0-9]*)$/.test(s), example: '"1999"' },
  decimal: { test: (s) => /^-?(0|[1-9][0-9]*)\.[0-9]{2}$/.test(s), example: '"19.99"' },
  'legacy-datetime': {
    test: (s) => {
      const m = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/.exec(s);
      return !!m && validDate(m[1], m[2], m[3], m[4], m[5], m[6]);
    },
    example: '"20261121 143000"',
  },
  'legacy-date': {
    test: (s) => {
      const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
      return !!m && validDate(m[1], m[2], m[3]);
    },
    example: '"20261121"',
  },
  'iso-datetime': {
    test: (s) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$/.exec(s);
      return !!m && validDate(m[1], m[2], m[3], m[4], m[5], m[6]);
    },
    example: '"2026-11-21T14:30:00Z"',
  },
  'iso-date': {
    test: (s) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
      return !!m && validDate(m[1], m[2], m[3]);
    },
    example: '"2026-11-21"',
  },
  'yes-no': { test: (s) => s === 'Y' || s === 'N', example: '"Y" or "N"' },
};

/**
 * Checks a payload against its schema and returns every problem found, each naming the field path and the
 * offending value (`LINES[2].QTY: expected a string, got 3`). An empty list means valid.
 * Keys listed in `ignoreKeys` at the top level (the bridge's `_cutover` envelope) are not checked.
 */
export function validatePayload(schema: ObjectField, payload: unknown, ignoreKeys: readonly string[] = []): string[] {
  const problems: string[] = [];
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return [`payload: expected an object, got ${describe(payload)}`];
  }
  checkObject(schema, payload as Record<string, unknown>, '', problems, new Set(ignoreKeys));
  return problems;
}

function checkObject(
  schema: ObjectField,
  value: Record<string, unknown>,
  path: string,
  problems: string[],
  ignore: ReadonlySet<string> = new Set(),
): void {
  for (const [name, field] of Object.entries(schema.fields)) {
    const child = path ? `${path}.${name}` : name;
    const v = value[name];
    if (v === undefined) {
      if (field.required !== false) problems.push(`${child}: is required but missing`);
      continue;
    }
    checkField(field, v, child, problems);
  }
  if (!schema.additional) {
    for (const name of Object.keys(value)) {
      if (!(name in schema.fields) && !ignore.has(name)) {
        problems.push(`${path ? `${path}.${name}` : name}: is not a declared field (value ${describe(value[name])})`);
      }
    }
  }
}

function checkField(field: FieldSchema, v: unknown, path: string, problems: string[]): void {
  if (v === null) {
    if (!field.nullable) problems.push(`${path}: must not be null`);
    return;
  }
  switch (field.type) {
    case 'string': {
      if (typeof v !== 'string') {
        problems.push(`${path}: expected a string, got ${describe(v)}`);
        return;
      }
      if (field.minLength !== undefined && v.length < field.minLength) {
        problems.push(`${path}: ${describe(v)} is shorter than ${field.minLength} characters`);
      }
      if (field.maxLength !== undefined && v.length > field.maxLength) {
        problems.push(`${path}: ${describe(v)} is longer than ${field.maxLength} characters`);
      }
      if (field.enum && !field.enum.includes(v)) {
        problems.push(`${path}: ${describe(v)} is not one of ${field.enum.map((e) => JSON.stringify(e)).join(', ')}`);
      }
      if (field.pattern && !new RegExp(field.pattern).test(v)) {
        problems.push(`${path}: ${describe(v)} does not match ${field.pattern}`);
      }
      if (field.format) {
        const check = FORMAT_CHECKS[field.format];
        const emptyAllowed = v === '' && field.minLength === undefined && field.required === false;
        if (!emptyAllowed && !check.test(v)) problems.push(`${path}: ${describe(v)} is not ${field.format}, e.g. ${check.example}`);
      }
      return;
    }
    case 'integer':
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        problems.push(`${path}: expected a number, got ${describe(v)}`);
        return;
      }
      if (field.type === 'integer' && !Number.isInteger(v)) problems.push(`${path}: expected a whole number, got ${describe(v)}`);
      if (field.minimum !== undefined && v < field.minimum) problems.push(`${path}: ${v} is below the minimum ${field.minimum}`);
      if (field.maximum !== undefined && v > field.maximum) problems.push(`${path}: ${v} is above the maximum ${field.maximum}`);
      return;
    }
    case 'boolean':
      if (typeof v !== 'boolean') problems.push(`${path}: expected true or false, got ${describe(v)}`);
      return;
    case 'object':
      if (typeof v !== 'object' || Array.isArray(v)) {
        problems.push(`${path}: expected an object, got ${describe(v)}`);
        return;
      }
      checkObject(field, v as Record<string, unknown>, path, problems);
      return;
    case 'array': {
      if (!Array.isArray(v)) {
        problems.push(`${path}: expected a list, got ${describe(v)}`);
        return;
      }
      if (field.minItems !== undefined && v.length < field.minItems) problems.push(`${path}: has ${v.length} items, needs at least ${field.minItems}`);
      if (field.maxItems !== undefined && v.length > field.maxItems) problems.push(`${path}: has ${v.length} items, allows at most ${field.maxItems}`);
      v.forEach((item, i) => checkField(field.items, item, `${path}[${i}]`, problems));
      return;
    }
  }
}
