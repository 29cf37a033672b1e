import fc from 'fast-check';
import type { FieldSchema, ObjectField, StringField } from '../../core/spec/field-schema';
import { defaultMaxLength, numericValue, signOf } from '../../core/spec/validate-payload';

/*
 * Payload generators built from the spec's own field schemas, so a property covers whatever the spec
 * declares (a new event type or field is generated without touching the tests). Named formats get
 * generators that produce only valid values; patterns go through fc.stringMatching.
 */
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const dates = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });
const cents = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).map(String);

/** The lowest cents value a field's sign allows. */
const lowestCents = (field: StringField): bigint => ({ positive: 1n, 'non-negative': 0n, any: -(10n ** 12n) })[signOf(field)];

function formatted(field: StringField): fc.Arbitrary<string> | undefined {
  switch (field.format) {
    case 'cents':
      return signOf(field) === 'any' ? cents : fc.bigInt({ min: lowestCents(field), max: 10n ** 12n }).map(String);
    case 'decimal':
      return fc
        .bigInt({ min: lowestCents(field) < 0n ? 0n : lowestCents(field), max: 10n ** 10n })
        .map((c) => `${c / 100n}.${pad(Number(c % 100n))}`);
    case 'legacy-datetime':
      return dates.map(
        (d) =>
          `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`,
      );
    case 'legacy-date':
      return dates.map((d) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`);
    case 'iso-datetime':
      return dates.map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    case 'iso-date':
      return dates.map((d) => d.toISOString().slice(0, 10));
    case 'yes-no':
      return fc.constantFrom('Y', 'N');
    default:
      return undefined;
  }
}

export function stringArbitrary(field: StringField): fc.Arbitrary<string> {
  let arb: fc.Arbitrary<string>;
  if (field.enum) arb = fc.constantFrom(...field.enum);
  else
    arb =
      formatted(field) ??
      (field.pattern
        ? fc.stringMatching(new RegExp(field.pattern), { size: 'xsmall' })
        : fc.string({ minLength: field.minLength ?? 0, maxLength: field.maxLength ?? 20 }));
  const { minLength, pattern } = field;
  const maxLength = field.maxLength ?? defaultMaxLength(field);
  const re = pattern ? new RegExp(pattern) : undefined;
  // Text hygiene holds for every string field: no control or bidi characters, no white space at the ends.
  // eslint-disable-next-line no-control-regex -- the rule under test is about control characters
  const clean = (s: string) => !/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(s) && s.trim() === s;
  return arb.filter((s) => (minLength === undefined || s.length >= minLength) && s.length <= maxLength && (!re || re.test(s)) && clean(s));
}

export function fieldArbitrary(field: FieldSchema): fc.Arbitrary<unknown> {
  switch (field.type) {
    case 'string':
      return stringArbitrary(field);
    case 'integer':
      return fc.integer({ min: field.minimum ?? -1_000_000, max: field.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: field.minimum ?? -1e6, max: field.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fieldArbitrary(field.items), { minLength: field.minItems ?? 0, maxLength: Math.min(field.maxItems ?? 4, 4) });
    case 'object':
      return objectArbitrary(field);
  }
}

/** Objects with every required field and a random choice of the optional ones. */
export function objectArbitrary(schema: ObjectField): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(schema.fields)) {
    model[name] = fieldArbitrary(field);
    if (field.required !== false) required.push(name);
  }
  const record = fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
  if (!schema.rules?.length) return record;
  // Cross-field rules: the total is written as the sum of the generated lines, in the total's format.
  return record.map((value) => {
    for (const rule of schema.rules ?? []) {
      const itemsField = schema.fields[rule.items];
      const line = itemsField?.type === 'array' && itemsField.items.type === 'object' ? itemsField.items : undefined;
      const lines = value[rule.items];
      if (!line || !Array.isArray(lines)) continue;
      let sum = 0;
      for (const l of lines as Array<Record<string, unknown>>) {
        const qty = rule.quantity ? (numericValue(line.fields[rule.quantity], l[rule.quantity]) ?? 0) : 1;
        sum += qty * (numericValue(line.fields[rule.price], l[rule.price]) ?? 0);
      }
      setTotal(schema, value, rule.total, sum);
    }
    return value;
  });
}

function setTotal(schema: ObjectField, value: Record<string, unknown>, path: string, sum: number): void {
  const parts = path.split('.');
  let field: FieldSchema | undefined = schema;
  let holder: Record<string, unknown> = value;
  for (let i = 0; i < parts.length - 1; i++) {
    field = field?.type === 'object' ? field.fields[parts[i]] : undefined;
    holder = (holder[parts[i]] ??= {}) as Record<string, unknown>;
  }
  const total = field?.type === 'object' ? field.fields[parts[parts.length - 1]] : undefined;
  const decimal = total?.type === 'string' && total.format === 'decimal';
  holder[parts[parts.length - 1]] = total?.type === 'string' ? (decimal ? `${Math.trunc(sum / 100)}.${pad(sum % 100)}` : String(sum)) : sum;
}
