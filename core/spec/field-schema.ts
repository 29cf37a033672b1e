import { z } from 'zod';

/**
 * A small, JSON-serialisable schema language for event payloads. It is data, so the spec can be bundled
 * into handlers as JSON, printed by the CLI and diffed in review. `required` defaults to true.
 */
export type FieldSchema =
  | StringField
  | NumberField
  | BooleanField
  | ObjectField
  | ArrayField;

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
}
export interface NumberField extends FieldBase {
  readonly type: 'integer' | 'number';
  readonly minimum?: number;
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
      })
      .strict(),
    z
      .object({
        ...base,
        type: z.enum(['integer', 'number']),
        minimum: z.number().optional(),
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
