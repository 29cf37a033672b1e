import type { ArrayField, CrossFieldRule, FieldSchema, ObjectField, StringField, StringFormat } from './field-schema';
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
 * Text hygiene, applied to every string field (decided here, once, rather than per field in the spec):
 * C0 control characters and DEL (line breaks and tabs only where a field says `multiline`), and the Unicode
 * bidi embeddings/overrides/isolates U+202A-U+202E and U+2066-U+2069 (they make a stored name read
 * differently from what it holds) are refused, as is leading or trailing white space. Refused, not
 * trimmed or stripped: the bridge's translations are exact both ways, and a rewritten value would hide
 * what the producer sent; the quarantined original keeps the evidence.
 */
// The control characters in these classes are the point of them.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_TEXT = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;
/**
 * The longest value a string field takes when its schema sets no `maxLength`: room for any name, street
 * or note a shop stores, far below what would strain an item or an event (a 200 KB street is refused).
 * Money strings are bounded so their value stays exact as a JavaScript number (15 digits).
 */
export const DEFAULT_MAX_LENGTH = { text: 1000, cents: 15, decimal: 18 } as const;
/** Money formats are non-negative unless the field declares otherwise. */
const MONEY_FORMATS: ReadonlySet<StringFormat> = new Set(['cents', 'decimal']);
const NUMERIC_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const ZERO_TEXT = /^-?0(\.0+)?$/;

/** White space as String.prototype.trim sees it, by code unit: checking two ends beats trimming a copy. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** The default maxLength of a string field. */
export function defaultMaxLength(field: StringField): number {
  if (field.format === 'cents') return DEFAULT_MAX_LENGTH.cents;
  if (field.format === 'decimal') return DEFAULT_MAX_LENGTH.decimal;
  return DEFAULT_MAX_LENGTH.text;
}

/** The sign a string field's numeric value must have. */
export function signOf(field: StringField): 'positive' | 'non-negative' | 'any' {
  return field.sign ?? (field.format && MONEY_FORMATS.has(field.format) ? 'non-negative' : 'any');
}

/** What `validatePayloadDetailed` found. */
export interface PayloadCheck {
  /** Every problem, naming the field path, the escaped value and the rule. Empty means valid. */
  readonly problems: string[];
  /**
   * Undeclared fields found in closed objects, as paths with list positions written `[]`
   * (`LINES[].GIFT_WRAP`), when `unknownFields: 'collect'`; they are then not problems.
   */
  readonly unknownFields: string[];
}

export interface ValidateOptions {
  /** Top-level keys not checked (the bridge's `_cutover` stamp). */
  readonly ignoreKeys?: readonly string[];
  /** `problem` (default): an undeclared field is a problem. `collect`: it is listed in `unknownFields`. */
  readonly unknownFields?: 'problem' | 'collect';
}

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
  return validatePayloadDetailed(schema, payload, { ignoreKeys }).problems;
}

/** `validatePayload`, optionally collecting undeclared fields (schema drift) instead of refusing them. */
export function validatePayloadDetailed(schema: ObjectField, payload: unknown, options: ValidateOptions = {}): PayloadCheck {
  const sink: Sink = { problems: [], unknown: options.unknownFields === 'collect' ? [] : undefined };
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { problems: [`payload: expected an object, got ${describe(payload)}`], unknownFields: [] };
  }
  objectCheckerFor(schema)(payload as Record<string, unknown>, '', sink, options.ignoreKeys ?? NOTHING_IGNORED);
  const unknownFields =
    sink.unknown && sink.unknown.length > 0 ? [...new Set(sink.unknown.map((p) => p.replace(/\[[0-9]+\]/g, '[]')))] : [];
  return { problems: sink.problems, unknownFields };
}

export interface Sink {
  readonly problems: string[];
  /** Present when undeclared fields are collected rather than refused. */
  readonly unknown?: string[];
}
type Check = (v: unknown, parent: string, key: string | number, sink: Sink) => void;
/** `ignore` is consulted only for undeclared keys (rare), so a short list beats building a Set per call. */
export type ObjectCheck = (value: Record<string, unknown>, path: string, sink: Sink, ignore: readonly string[]) => void;

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
  // The null test of compileField is written into the object checker: one call per field instead of two.
  const typed = names.map((n) => compileTyped(schema.fields[n]));
  const required = names.map((n) => schema.fields[n].required !== false);
  const nullable = names.map((n) => schema.fields[n].nullable === true);
  const rules = (schema.rules ?? []).map((r) => compileRule(schema, r));
  return specialisedObjectCheck(names, names, typed, required, nullable, !schema.additional, rules);
}

/**
 * Which checks of an object schema node a producer has proven cannot fail for what it builds (the
 * translator, for a mapping from an already-checked legacy payload). Everything not named here is checked.
 */
export interface ResidualProof {
  /** Declared fields whose every check (presence, null, type, format...) cannot fail. */
  readonly skip: ReadonlySet<string>;
  /** No undeclared key can appear at this level: the closed-object scan is left out. */
  readonly noUndeclared: boolean;
  /**
   * Object fields (or list fields whose items are objects) checked as usual for presence, null, type and
   * list bounds, but whose inner object is checked with its own residual proof.
   */
  readonly nested: ReadonlyMap<string, ResidualProof>;
}

/**
 * The checker of `schema` minus the checks `proof` shows cannot fail: it reports exactly what the full
 * checker reports for any value those proofs hold for, in the same order (a skipped check reports nothing,
 * so the rest, and the rules after them, see the same problems). Built once per proof, not cached.
 */
export function residualObjectCheck(schema: ObjectField, proof: ResidualProof): ObjectCheck {
  const declared = Object.keys(schema.fields);
  const names = declared.filter((n) => !proof.skip.has(n));
  const typed = names.map((n) => {
    const field = schema.fields[n];
    const inner = proof.nested.get(n);
    if (!inner) return compileTyped(field);
    if (field.type === 'object') return objectTyped(residualObjectCheck(field, inner));
    if (field.type === 'array' && field.items.type === 'object') {
      const items = field.items;
      return arrayTyped(field, nullChecked(items, objectTyped(residualObjectCheck(items, inner))));
    }
    return compileTyped(field);
  });
  const required = names.map((n) => schema.fields[n].required !== false);
  const nullable = names.map((n) => schema.fields[n].nullable === true);
  const rules = (schema.rules ?? []).map((r) => compileRule(schema, r));
  return specialisedObjectCheck(declared, names, typed, required, nullable, !schema.additional && !proof.noUndeclared, rules);
}

/** Checks a payload with a residual checker (see `residualObjectCheck`); undeclared fields are problems. */
export function validateWith(check: ObjectCheck, payload: Record<string, unknown>): string[] {
  const sink: Sink = { problems: [] };
  check(payload, '', sink, NOTHING_IGNORED);
  return sink.problems;
}

type RuleCheck = (value: Record<string, unknown>, path: string, sink: Sink) => void;

/**
 * The object checker of one schema node, written out as its own function: one line per declared field
 * with the name as a constant, and the undeclared-key scan as a `switch` over the declared names. A
 * single closure shared by every schema made each property read and each call megamorphic (V8 keeps one
 * set of inline caches per function literal, not per closure), and the object walk was the costliest part
 * of a translation. The generated code does what `interpretedObjectCheck` does, step for step (same
 * order, same messages); a property test holds the two to the same results. Names enter the source only
 * as JSON string literals.
 */
function specialisedObjectCheck(
  declared: readonly string[],
  names: readonly string[],
  typed: readonly Check[],
  required: readonly boolean[],
  nullable: readonly boolean[],
  closed: boolean,
  rules: readonly RuleCheck[],
): ObjectCheck {
  const lines: string[] = ['const problems = sink.problems;', 'const before = problems.length;', 'let v;'];
  names.forEach((name, i) => {
    const lit = JSON.stringify(name);
    lines.push(`v = hasOwn(value, ${lit}) ? value[${lit}] : undefined;`);
    const missing = required[i] ? `problems.push(pathOf(path, ${lit}) + ": is required but missing");` : '';
    const isNull = nullable[i] ? '' : `problems.push(pathOf(path, ${lit}) + ": must not be null");`;
    lines.push(`if (v === undefined) { ${missing} } else if (v === null) { ${isNull} } else typed[${i}](v, path, ${lit}, sink);`);
  });
  if (closed) {
    const cases = declared.map((n) => `case ${JSON.stringify(n)}:`).join(' ');
    lines.push(
      'for (const name in value) {',
      '  if (!hasOwn(value, name)) continue;',
      declared.length > 0 ? `  switch (name) { ${cases} continue; }` : '',
      '  if (ignore.includes(name)) continue;',
      '  if (sink.unknown) sink.unknown.push(pathOf(path, name));',
      '  else problems.push(pathOf(path, name) + ": is not a declared field (value " + describe(value[name]) + ")");',
      '}',
    );
  }
  if (rules.length > 0) lines.push('if (problems.length === before) for (let r = 0; r < rules.length; r++) rules[r](value, path, sink);');
  // The source is built from JSON string literals and fixed text only (see above).
  const make = new Function(
    'hasOwn',
    'pathOf',
    'describe',
    'typed',
    'rules',
    `return function objectCheck(value, path, sink, ignore) {\n${lines.join('\n')}\n};`,
  ) as (...deps: unknown[]) => ObjectCheck;
  return make(hasOwn, pathOf, describe, typed, rules);
}

/** The definition `specialisedObjectCheck` replaces: one interpreted loop for every schema node (kept for the property test). */
export function interpretedObjectCheck(schema: ObjectField): ObjectCheck {
  const names = Object.keys(schema.fields);
  const checks = names.map((n) => checkerFor(schema.fields[n]));
  const required = names.map((n) => schema.fields[n].required !== false);
  const fields = schema.fields;
  const closed = !schema.additional;
  const rules = (schema.rules ?? []).map((r) => compileRule(schema, r));
  return (value, path, sink, ignore) => {
    const before = sink.problems.length;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const v = hasOwn(value, name) ? value[name] : undefined;
      if (v === undefined) {
        if (required[i]) sink.problems.push(`${pathOf(path, name)}: is required but missing`);
        continue;
      }
      checks[i](v, path, name, sink);
    }
    if (closed) {
      for (const name in value) {
        if (!hasOwn(value, name)) continue;
        if (!hasOwn(fields, name) && !ignore.includes(name)) {
          if (sink.unknown) sink.unknown.push(pathOf(path, name));
          else sink.problems.push(`${pathOf(path, name)}: is not a declared field (value ${describe(value[name])})`);
        }
      }
    }
    // A rule reads values its fields' checks vouch for: run only when the object's fields are valid.
    if (rules.length > 0 && sink.problems.length === before) for (const rule of rules) rule(value, path, sink);
  };
}

function fieldAt(schema: ObjectField, path: string): FieldSchema | undefined {
  let cur: FieldSchema | undefined = schema;
  for (const part of path.split('.')) {
    if (!cur || cur.type !== 'object') return undefined;
    cur = cur.fields[part];
  }
  return cur;
}

/**
 * The number a valid value stands for, in its own unit: cents as integer cents, a decimal string in
 * hundredths (exact: digits, not floats), a whole number in a string as itself, a number as itself.
 */
export function numericValue(field: FieldSchema | undefined, value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !NUMERIC_TEXT.test(value)) return undefined;
  if (field?.type === 'string' && field.format === 'decimal') {
    const negative = value.startsWith('-');
    const [whole, frac = ''] = (negative ? value.slice(1) : value).split('.');
    const hundredths = Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2));
    return negative ? -hundredths : hundredths;
  }
  return Number(value);
}

/** Problems the rules of the spec itself have (paths that are not fields, not lists, not numeric). */
export function ruleIssues(schema: ObjectField, rule: CrossFieldRule): string[] {
  const issues: string[] = [];
  const items = fieldAt(schema, rule.items);
  if (items?.type !== 'array' || items.items.type !== 'object')
    issues.push(`items: ${JSON.stringify(rule.items)} is not a list of objects in this schema`);
  else {
    if (!fieldAt(items.items, rule.price)) issues.push(`price: ${JSON.stringify(rule.price)} is not a field of a line`);
    if (rule.quantity !== undefined && !fieldAt(items.items, rule.quantity))
      issues.push(`quantity: ${JSON.stringify(rule.quantity)} is not a field of a line`);
  }
  if (!fieldAt(schema, rule.total)) issues.push(`total: ${JSON.stringify(rule.total)} is not a field of this schema`);
  return issues;
}

function compileRule(schema: ObjectField, rule: CrossFieldRule): (value: Record<string, unknown>, path: string, sink: Sink) => void {
  const itemsField = fieldAt(schema, rule.items);
  const lineSchema = itemsField?.type === 'array' && itemsField.items.type === 'object' ? itemsField.items : undefined;
  const priceField = lineSchema ? fieldAt(lineSchema, rule.price) : undefined;
  const qtyField = lineSchema && rule.quantity ? fieldAt(lineSchema, rule.quantity) : undefined;
  const totalField = fieldAt(schema, rule.total);
  const tolerance = rule.tolerance ?? 0;
  const itemsPath = rule.items.split('.');
  const totalPath = rule.total.split('.');
  const pricePath = rule.price.split('.');
  const qtyPath = rule.quantity?.split('.');
  const what = rule.quantity
    ? `sum of ${rule.items}[].${rule.quantity} x ${rule.items}[].${rule.price}`
    : `sum of ${rule.items}[].${rule.price}`;
  return (value, path, sink) => {
    const lines = getDotted(value, itemsPath);
    const totalRaw = getDotted(value, totalPath);
    const total = numericValue(totalField, totalRaw);
    if (!Array.isArray(lines) || total === undefined) return;
    let sum = 0;
    for (const line of lines) {
      const price = numericValue(priceField, getDotted(line, pricePath));
      const qty = qtyPath ? numericValue(qtyField, getDotted(line, qtyPath)) : 1;
      if (price === undefined || qty === undefined) return;
      sum += qty * price;
    }
    if (Math.abs(sum - total) > tolerance) {
      sink.problems.push(
        `${pathOf(path, rule.total)}: ${describe(totalRaw)} is not the ${what} (${formatLike(totalField, sum)}) [rule: sum, tolerance ${tolerance}]`,
      );
    }
  };
}

function formatLike(field: FieldSchema | undefined, n: number): string {
  if (field?.type === 'string' && field.format === 'decimal') return (n / 100).toFixed(2);
  return String(n);
}

function getDotted(obj: unknown, parts: readonly string[]): unknown {
  let cur = obj;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function compileField(field: FieldSchema): Check {
  return nullChecked(field, compileTyped(field));
}

function nullChecked(field: FieldSchema, typed: Check): Check {
  const nullable = field.nullable === true;
  return (v, parent, key, sink) => {
    if (v === null) {
      if (!nullable) sink.problems.push(`${pathOf(parent, key)}: must not be null`);
      return;
    }
    typed(v, parent, key, sink);
  };
}

function compileTyped(field: FieldSchema): Check {
  switch (field.type) {
    case 'string': {
      const { minLength, pattern, format, minimum, exclusiveMinimum, maximum } = field;
      const maxLength = field.maxLength ?? defaultMaxLength(field);
      const allowed = field.enum ? new Set(field.enum) : undefined;
      const enumText = field.enum?.map((e) => JSON.stringify(e)).join(', ');
      const re = pattern !== undefined ? new RegExp(pattern) : undefined;
      const fmt = format ? FORMAT_CHECKS[format] : undefined;
      const emptyMayPassFormat = minLength === undefined && field.required === false;
      const forbidden = field.multiline ? FORBIDDEN_MULTILINE : FORBIDDEN_TEXT;
      // A value an enum or a named format accepts is clean by construction (digits, dates, declared words),
      // and one they refuse is already a problem: the hygiene scan is for free text (with or without a
      // pattern, which may allow anything).
      const freeText = !allowed && !fmt;
      const sign = signOf(field);
      const bounded = minimum !== undefined || exclusiveMinimum !== undefined || maximum !== undefined;
      const numeric = sign !== 'any' || bounded;
      return (v, parent, key, sink) => {
        const problems = sink.problems;
        if (typeof v !== 'string') {
          problems.push(`${pathOf(parent, key)}: expected a string, got ${describe(v)}`);
          return;
        }
        if (minLength !== undefined && v.length < minLength)
          problems.push(`${pathOf(parent, key)}: ${describe(v)} is shorter than ${minLength} characters`);
        if (v.length > maxLength) {
          problems.push(`${pathOf(parent, key)}: ${describe(v)} is longer than ${maxLength} characters (${v.length}) [rule: maxLength]`);
          // The other checks would only repeat a huge value: one problem names it.
          return;
        }
        if (!freeText) {
          // nothing: the enum or format check below speaks for the value
        } else if (forbidden.test(v))
          problems.push(`${pathOf(parent, key)}: ${describe(v)} holds a control or bidi character [rule: text hygiene]`);
        else if (v.length > 0 && (isSpace(v.charCodeAt(0)) || isSpace(v.charCodeAt(v.length - 1))))
          problems.push(`${pathOf(parent, key)}: ${describe(v)} has leading or trailing white space [rule: text hygiene]`);
        if (allowed && !allowed.has(v)) problems.push(`${pathOf(parent, key)}: ${describe(v)} is not one of ${enumText}`);
        if (re && !re.test(v)) problems.push(`${pathOf(parent, key)}: ${describe(v)} does not match ${pattern}`);
        const formatOk = !fmt || (emptyMayPassFormat && v === '') || fmt.test(v);
        if (!formatOk) problems.push(`${pathOf(parent, key)}: ${describe(v)} is not ${format}, e.g. ${fmt!.example}`);
        if (numeric && formatOk && v !== '') {
          if (!NUMERIC_TEXT.test(v)) {
            problems.push(`${pathOf(parent, key)}: ${describe(v)} is not a number [rule: numeric]`);
            return;
          }
          // The sign is read off the text (so "-0.00" is negative), zero by its digits: no number needed.
          const negative = v.charCodeAt(0) === 45;
          if (sign === 'non-negative' && negative)
            problems.push(`${pathOf(parent, key)}: ${describe(v)} is negative [rule: sign non-negative]`);
          if (sign === 'positive' && (negative || ZERO_TEXT.test(v)))
            problems.push(`${pathOf(parent, key)}: ${describe(v)} is not above zero [rule: sign positive]`);
          if (!bounded) return;
          const n = numericValue(field, v)!;
          const scaled = format === 'decimal' ? n / 100 : n;
          if (minimum !== undefined && scaled < minimum)
            problems.push(`${pathOf(parent, key)}: ${describe(v)} is below the minimum ${minimum} [rule: minimum]`);
          if (exclusiveMinimum !== undefined && scaled <= exclusiveMinimum)
            problems.push(`${pathOf(parent, key)}: ${describe(v)} is not above ${exclusiveMinimum} [rule: exclusiveMinimum]`);
          if (maximum !== undefined && scaled > maximum)
            problems.push(`${pathOf(parent, key)}: ${describe(v)} is above the maximum ${maximum} [rule: maximum]`);
        }
      };
    }
    case 'integer':
    case 'number': {
      const integer = field.type === 'integer';
      const { minimum, maximum, exclusiveMinimum } = field;
      return (v, parent, key, sink) => {
        const problems = sink.problems;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          problems.push(`${pathOf(parent, key)}: expected a number, got ${describe(v)}`);
          return;
        }
        if (integer && !Number.isSafeInteger(v)) problems.push(`${pathOf(parent, key)}: expected a whole number, got ${describe(v)}`);
        if (minimum !== undefined && v < minimum) problems.push(`${pathOf(parent, key)}: ${v} is below the minimum ${minimum}`);
        if (exclusiveMinimum !== undefined && v <= exclusiveMinimum)
          problems.push(`${pathOf(parent, key)}: ${v} is not above ${exclusiveMinimum} [rule: exclusiveMinimum]`);
        if (maximum !== undefined && v > maximum) problems.push(`${pathOf(parent, key)}: ${v} is above the maximum ${maximum}`);
      };
    }
    case 'boolean':
      return (v, parent, key, sink) => {
        if (typeof v !== 'boolean') sink.problems.push(`${pathOf(parent, key)}: expected true or false, got ${describe(v)}`);
      };
    case 'object':
      return objectTyped(objectCheckerFor(field));
    case 'array':
      return arrayTyped(field, checkerFor(field.items));
  }
}

function objectTyped(inner: ObjectCheck): Check {
  return (v, parent, key, sink) => {
    if (typeof v !== 'object' || Array.isArray(v)) {
      sink.problems.push(`${pathOf(parent, key)}: expected an object, got ${describe(v)}`);
      return;
    }
    inner(v as Record<string, unknown>, pathOf(parent, key), sink, NOTHING_IGNORED);
  };
}

function arrayTyped(field: ArrayField, item: Check): Check {
  const { minItems, maxItems } = field;
  return (v, parent, key, sink) => {
    if (!Array.isArray(v)) {
      sink.problems.push(`${pathOf(parent, key)}: expected a list, got ${describe(v)}`);
      return;
    }
    const path = pathOf(parent, key);
    if (minItems !== undefined && v.length < minItems) sink.problems.push(`${path}: has ${v.length} items, needs at least ${minItems}`);
    if (maxItems !== undefined && v.length > maxItems) sink.problems.push(`${path}: has ${v.length} items, allows at most ${maxItems}`);
    for (let i = 0; i < v.length; i++) item(v[i], path, i, sink);
  };
}
