import type { FieldSchema, ObjectField, StringFormat } from './field-schema';
import { describe, isIsoDateTime, isLegacyDateTime, validDate } from './transforms';

const CENTS = /^(0|-?[1-9][0-9]*)$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)\.[0-9]{2}$/;
const FORMAT_CHECKS: Record<StringFormat, { test: (s: string) => boolean; example: string }> = {
  cents: { test: (s) => CENTS.test(s), example: '"1999"' },
  decimal: { test: (s) => DECIMAL.test(s), example: '"19.99"' },
  'legacy-datetime': { test: isLegacyDateTime, example: '"20261121 143000"' },
  'legacy-date': {
    test: (s) => {
      const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
      return !!m && validDate(m[1], m[2], m[3]);
    },
    example: '"20261121"',
  },
  'iso-datetime': { test: (s) => isIsoDateTime(s, true), example: '"2026-11-21T14:30:00Z"' },
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
 *
 * Each schema node is compiled once into a checker (cached by object identity), because this runs twice
 * for every translated event: interpreting the schema each time cost more than the JSON work itself.
 * Paths are only built when a problem is reported or a nested value is entered.
 */
export function validatePayload(schema: ObjectField, payload: unknown, ignoreKeys: readonly string[] = []): string[] {
  const problems: string[] = [];
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return [`payload: expected an object, got ${describe(payload)}`];
  }
  objectCheckerFor(schema)(payload as Record<string, unknown>, '', problems, ignoreKeys);
  return problems;
}

type Check = (v: unknown, parent: string, key: string | number, problems: string[]) => void;
/** `ignore` is consulted only for undeclared keys (rare), so a short list beats building a Set per call. */
type ObjectCheck = (value: Record<string, unknown>, path: string, problems: string[], ignore: readonly string[]) => void;

const NOTHING_IGNORED: readonly string[] = [];
const hasOwn = Object.hasOwn;
const fieldCheckers = new WeakMap<FieldSchema, Check>();
const objectCheckers = new WeakMap<ObjectField, ObjectCheck>();

/** The path of `key` under `parent`: `a.b`, `a[2]`. */
function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

function checkerFor(field: FieldSchema): Check {
  let check = fieldCheckers.get(field);
  if (!check) {
    check = compileField(field);
    fieldCheckers.set(field, check);
  }
  return check;
}

function objectCheckerFor(schema: ObjectField): ObjectCheck {
  let check = objectCheckers.get(schema);
  if (!check) {
    check = compileObject(schema);
    objectCheckers.set(schema, check);
  }
  return check;
}

function compileObject(schema: ObjectField): ObjectCheck {
  const names = Object.keys(schema.fields);
  const checks = names.map((n) => checkerFor(schema.fields[n]));
  const required = names.map((n) => schema.fields[n].required !== false);
  const fields = schema.fields;
  const closed = !schema.additional;
  return (value, path, problems, ignore) => {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const v = hasOwn(value, name) ? value[name] : undefined;
      if (v === undefined) {
        if (required[i]) problems.push(`${pathOf(path, name)}: is required but missing`);
        continue;
      }
      checks[i](v, path, name, problems);
    }
    if (closed) {
      for (const name in value) {
        if (!hasOwn(value, name)) continue;
        if (!hasOwn(fields, name) && !ignore.includes(name)) {
          problems.push(`${pathOf(path, name)}: is not a declared field (value ${describe(value[name])})`);
        }
      }
    }
  };
}

function compileField(field: FieldSchema): Check {
  const typed = compileTyped(field);
  const nullable = field.nullable === true;
  return (v, parent, key, problems) => {
    if (v === null) {
      if (!nullable) problems.push(`${pathOf(parent, key)}: must not be null`);
      return;
    }
    typed(v, parent, key, problems);
  };
}

function compileTyped(field: FieldSchema): Check {
  switch (field.type) {
    case 'string': {
      const { minLength, maxLength, pattern, format } = field;
      const allowed = field.enum ? new Set(field.enum) : undefined;
      const enumText = field.enum?.map((e) => JSON.stringify(e)).join(', ');
      const re = pattern !== undefined ? new RegExp(pattern) : undefined;
      const fmt = format ? FORMAT_CHECKS[format] : undefined;
      const emptyMayPassFormat = minLength === undefined && field.required === false;
      return (v, parent, key, problems) => {
        if (typeof v !== 'string') {
          problems.push(`${pathOf(parent, key)}: expected a string, got ${describe(v)}`);
          return;
        }
        if (minLength !== undefined && v.length < minLength) problems.push(`${pathOf(parent, key)}: ${describe(v)} is shorter than ${minLength} characters`);
        if (maxLength !== undefined && v.length > maxLength) problems.push(`${pathOf(parent, key)}: ${describe(v)} is longer than ${maxLength} characters`);
        if (allowed && !allowed.has(v)) problems.push(`${pathOf(parent, key)}: ${describe(v)} is not one of ${enumText}`);
        if (re && !re.test(v)) problems.push(`${pathOf(parent, key)}: ${describe(v)} does not match ${pattern}`);
        if (fmt && !(emptyMayPassFormat && v === '') && !fmt.test(v)) {
          problems.push(`${pathOf(parent, key)}: ${describe(v)} is not ${format}, e.g. ${fmt.example}`);
        }
      };
    }
    case 'integer':
    case 'number': {
      const integer = field.type === 'integer';
      const { minimum, maximum } = field;
      return (v, parent, key, problems) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          problems.push(`${pathOf(parent, key)}: expected a number, got ${describe(v)}`);
          return;
        }
        if (integer && !Number.isInteger(v)) problems.push(`${pathOf(parent, key)}: expected a whole number, got ${describe(v)}`);
        if (minimum !== undefined && v < minimum) problems.push(`${pathOf(parent, key)}: ${v} is below the minimum ${minimum}`);
        if (maximum !== undefined && v > maximum) problems.push(`${pathOf(parent, key)}: ${v} is above the maximum ${maximum}`);
      };
    }
    case 'boolean':
      return (v, parent, key, problems) => {
        if (typeof v !== 'boolean') problems.push(`${pathOf(parent, key)}: expected true or false, got ${describe(v)}`);
      };
    case 'object': {
      const inner = objectCheckerFor(field);
      return (v, parent, key, problems) => {
        if (typeof v !== 'object' || Array.isArray(v)) {
          problems.push(`${pathOf(parent, key)}: expected an object, got ${describe(v)}`);
          return;
        }
        inner(v as Record<string, unknown>, pathOf(parent, key), problems, NOTHING_IGNORED);
      };
    }
    case 'array': {
      const item = checkerFor(field.items);
      const { minItems, maxItems } = field;
      return (v, parent, key, problems) => {
        if (!Array.isArray(v)) {
          problems.push(`${pathOf(parent, key)}: expected a list, got ${describe(v)}`);
          return;
        }
        const path = pathOf(parent, key);
        if (minItems !== undefined && v.length < minItems) problems.push(`${path}: has ${v.length} items, needs at least ${minItems}`);
        if (maxItems !== undefined && v.length > maxItems) problems.push(`${path}: has ${v.length} items, allows at most ${maxItems}`);
        for (let i = 0; i < v.length; i++) item(v[i], path, i, problems);
      };
    }
  }
}
