import type { ArrayField, BooleanField, FieldSchema, NumberField, ObjectField, StringField } from './field-schema';

type Opt<T> = Omit<T, 'type'>;

/** Shorthands for writing payload schemas in cutover.config.ts. They only build plain data. */
export const f = {
  string: (o: Opt<StringField> = {}): StringField => ({ type: 'string', ...o }),
  integer: (o: Opt<NumberField> = {}): NumberField => ({ type: 'integer', ...o }),
  number: (o: Opt<NumberField> = {}): NumberField => ({ type: 'number', ...o }),
  boolean: (o: Opt<BooleanField> = {}): BooleanField => ({ type: 'boolean', ...o }),
  object: (fields: Record<string, FieldSchema>, o: Opt<Omit<ObjectField, 'fields'>> = {}): ObjectField => ({
    type: 'object',
    fields,
    ...o,
  }),
  array: (items: FieldSchema, o: Opt<Omit<ArrayField, 'items'>> = {}): ArrayField => ({ type: 'array', items, ...o }),
  /** Legacy money: integer cents in a string. */
  cents: (o: Opt<StringField> = {}): StringField => ({ type: 'string', format: 'cents', ...o }),
  /** Service money: a decimal string with two places. */
  decimal: (o: Opt<StringField> = {}): StringField => ({ type: 'string', format: 'decimal', ...o }),
  legacyDateTime: (o: Opt<StringField> = {}): StringField => ({ type: 'string', format: 'legacy-datetime', ...o }),
  isoDateTime: (o: Opt<StringField> = {}): StringField => ({ type: 'string', format: 'iso-datetime', ...o }),
  /** A whole number in a string, as old systems write quantities. */
  intString: (o: Opt<StringField> = {}): StringField => ({ type: 'string', pattern: '^(0|[1-9][0-9]*)$', ...o }),
  /** A positive whole number in a string: quantities and line numbers, which the services require >= 1. */
  positiveIntString: (o: Opt<StringField> = {}): StringField => ({ type: 'string', pattern: '^[1-9][0-9]*$', ...o }),
  /** A legacy field that is always present and sometimes "" for "not given". */
  maybeEmpty: (o: Opt<StringField> = {}): StringField => ({ type: 'string', ...o }),
};
