import { z } from 'zod';

/**
 * A small, JSON-serialisable schema language for event payloads. It is data, so the spec can be bundled
 * into handlers as JSON, printed by the CLI and diffed in review. `required` defaults to true.
 */
export type FieldSchema = StringField | NumberField | BooleanField | ObjectField | ArrayField;

export interface FieldBase {
  readonly description?: string;
  /** @default true */
  readonly required?: boolean;
  /** The value may be `null`. @default false */
  readonly nullable?: boolean;
}
export interface StringField extends FieldBase {
  readonly type: 'string';
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Named format checked on top of `pattern`. */
  readonly format?: StringFormat;
  /**
   * Numeric bounds on the value a numeric string holds (`cents`, `decimal`, or a whole number in a string),
   * in the string's own unit: `minimum: 1` on cents is one cent, on a decimal one whole unit.
   */
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  /**
   * The sign a numeric string may have. Money formats default to `non-negative`: a negative amount must be
   * declared (`any`), and a business amount that must be above zero says `positive`.
   * @default - 'non-negative' for cents and decimal, 'any' otherwise
   */
  readonly sign?: NumericSign;
  /**
   * Allow line breaks and tabs (a note, an address block). Other control characters, bidi overrides and
   * leading/trailing white space are refused in every string field whatever this says.
   * @default false
   */
  readonly multiline?: boolean;
}
export type NumericSign = 'positive' | 'non-negative' | 'any';

/**
 * A rule across fields of one object: the lines add up to the total. Each line contributes
 * `quantity * price` (or `price` alone without `quantity`); values are read in their own unit (cents as
 * integers, decimals in hundredths, numbers as they are), and the sum may differ from `total` by at most
 * `tolerance` in that unit.
 */
export interface SumRule {
  readonly rule: 'sum';
  /** The list field of this object holding the lines. */
  readonly items: string;
  /** Dot path inside one line. */
  readonly quantity?: string;
  /** Dot path inside one line. */
  readonly price: string;
  /** Dot path inside this object. */
  readonly total: string;
  /** In minor units (cents, hundredths) for money strings. @default 0 */
  readonly tolerance?: number;
}
export type CrossFieldRule = SumRule;
export interface NumberField extends FieldBase {
  readonly type: 'integer' | 'number';
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
}
export interface BooleanField extends FieldBase {
  readonly type: 'boolean';
}
export interface ObjectField extends FieldBase {
  readonly type: 'object';
  readonly fields: Readonly<Record<string, FieldSchema>>;
  /** Allow fields not declared in `fields`. @default false */
  readonly additional?: boolean;
  /** Rules across this object's fields (lines add up to the total). */
  readonly rules?: readonly CrossFieldRule[];
}
export interface ArrayField extends FieldBase {
  readonly type: 'array';
  readonly items: FieldSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
}

export const STRING_FORMATS = ['cents', 'decimal', 'legacy-datetime', 'legacy-date', 'iso-datetime', 'iso-date', 'yes-no'] as const;
export type StringFormat = (typeof STRING_FORMATS)[number];

const base = {
  description: z.string().optional(),
  required: z.boolean().optional(),
  nullable: z.boolean().optional(),
};

const relPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a dot path such as total.amount');
export const crossFieldRuleSchema = z
  .object({
    rule: z.literal('sum'),
    items: relPath,
    quantity: relPath.optional(),
    price: relPath,
    total: relPath,
    tolerance: z.number().nonnegative().optional(),
  })
  .strict();

export const fieldSchemaSchema: z.ZodType<FieldSchema> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z
      .object({
        ...base,
        type: z.literal('string'),
        pattern: z
          .string()
          .refine((p) => isValidRegex(p), { message: 'is not a valid regular expression' })
          .optional(),
        enum: z.array(z.string()).min(1).optional(),
        minLength: z.number().int().nonnegative().optional(),
        maxLength: z.number().int().positive().optional(),
        format: z.enum(STRING_FORMATS).optional(),
        minimum: z.number().optional(),
        exclusiveMinimum: z.number().optional(),
        maximum: z.number().optional(),
        sign: z.enum(['positive', 'non-negative', 'any']).optional(),
        multiline: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.enum(['integer', 'number']),
        minimum: z.number().optional(),
        exclusiveMinimum: z.number().optional(),
        maximum: z.number().optional(),
      })
      .strict(),
    z.object({ ...base, type: z.literal('boolean') }).strict(),
    z
      .object({
        ...base,
        type: z.literal('object'),
        fields: z.record(z.string().min(1), fieldSchemaSchema),
        additional: z.boolean().optional(),
        rules: z.array(crossFieldRuleSchema).readonly().optional(),
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.literal('array'),
        items: fieldSchemaSchema,
        minItems: z.number().int().nonnegative().optional(),
        maxItems: z.number().int().positive().optional(),
      })
      .strict(),
  ]),
) as z.ZodType<FieldSchema>;

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
