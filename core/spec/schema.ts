import { z } from 'zod';
import { crossFieldRuleSchema, fieldSchemaSchema } from './field-schema';
import { TRANSFORM_NAMES } from './transforms';
import { sagaSectionSchema } from './saga';
import { captureSectionSchema } from './capture';
import { routingSectionSchema } from './routing';
import { readinessSectionSchema } from './readiness';
import { migrationSectionSchema } from './migration';
import { apiSectionSchema } from './api';
import { syncSectionSchema } from './sync';
import { facadeSectionSchema } from './facade';

const identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and hold only letters, digits, _ . -');
const legacyTypeName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'legacy event types are UPPER_SNAKE_CASE');
const serviceTypeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'service event types are dotted lower case, e.g. order.created');
/** A dot path into a payload: `total.amount`. Array items are addressed through `items` maps, not paths. */
const fieldPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a dot path such as total.amount');

/** What entity an event is about: its events replay in order per key, and it names the audit stream. */
export const entityRefSchema = z
  .object({
    type: identifier.describe('entity type, e.g. order, sku, customer'),
    keyField: fieldPath.describe('the payload field holding the entity key'),
  })
  .strict();

const objectSchema = z
  .object({
    type: z.literal('object'),
    fields: z.record(z.string(), fieldSchemaSchema),
    additional: z.boolean().optional(),
    rules: z.array(crossFieldRuleSchema).readonly().optional(),
    description: z.string().optional(),
  })
  .strict();

/**
 * What the bridge does with a field the schema does not declare (schema drift: a new column in the
 * monolith's event). Every unknown field seen is recorded (audit stream `drift:<type>`) whatever the policy.
 * - `drop`: translate as if the field were absent (the original stays in the audit log);
 * - `keep`: translate and carry the unknown fields, as they came, in `metadata.unmapped` (legacy -> service)
 *   or drop them (service -> legacy: the monolith's schema is closed);
 * - `quarantine`: quarantine the event (reason `schema`), the strict behaviour of a closed schema.
 * The default is `drop`: an additive change must not stop a capability, and the value is not lost because
 * the audit log keeps every event as the bus carried it.
 */
export const DRIFT_POLICIES = ['quarantine', 'keep', 'drop'] as const;
export type DriftPolicy = (typeof DRIFT_POLICIES)[number];
export const DEFAULT_DRIFT_POLICY: DriftPolicy = 'drop';
const driftPolicySchema = z.enum(DRIFT_POLICIES);

export const legacyEventSchema = z
  .object({
    description: z.string().min(1),
    /** The monolith's own message id: duplicates of one message share it. */
    idField: fieldPath,
    entity: entityRefSchema,
    schema: objectSchema,
    examples: z.array(z.record(z.string(), z.unknown())).min(1, 'give at least one valid example payload'),
    /** @default 'drop' (see DRIFT_POLICIES) */
    additionalFields: driftPolicySchema.optional(),
    /**
     * The payload field that says when the fact happened (a `legacy-datetime`): the translated event's
     * `occurredAt`, so a resend minutes later translates to the same event.
     * @default - the schema's only top-level legacy-datetime field, else the EventBridge time
     */
    timeField: fieldPath.optional(),
  })
  .strict();

const transformRef = z.union([z.enum(TRANSFORM_NAMES), z.object({ map: z.record(z.string(), z.string()) }).strict()]);

export type FieldMapping = {
  legacy?: string;
  service?: string;
  transform?: z.infer<typeof transformRef>;
  /** Value for the service side when translating to services and the legacy side has no field. */
  constant?: unknown;
  /** Value for the legacy side when translating back and the service side has no field. */
  legacyDefault?: unknown;
  /** For arrays of objects: the mapping of each item's fields. */
  items?: FieldMapping[];
};
export const fieldMappingSchema: z.ZodType<FieldMapping> = z.lazy(() =>
  z
    .object({
      legacy: fieldPath.optional(),
      service: fieldPath.optional(),
      transform: transformRef.optional(),
      constant: z.unknown().optional(),
      legacyDefault: z.unknown().optional(),
      items: z.array(fieldMappingSchema).min(1).optional(),
    })
    .strict()
    .refine((m) => m.legacy !== undefined || m.service !== undefined, {
      message: 'a field mapping needs a legacy or a service field',
    }),
) as z.ZodType<FieldMapping>;

export const castOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('rename'), from: fieldPath, to: fieldPath }).strict(),
  z.object({ op: z.literal('setDefault'), path: fieldPath, value: z.unknown() }).strict(),
  z.object({ op: z.literal('remove'), path: fieldPath, restoreWith: z.unknown().optional() }).strict(),
]);

export const serviceEventVersionSchema = z
  .object({
    schema: objectSchema,
    examples: z.array(z.record(z.string(), z.unknown())).min(1, 'give at least one valid example payload'),
  })
  .strict();

export const serviceEventSchema = z
  .object({
    description: z.string().min(1),
    entity: entityRefSchema,
    /** The service that owns (emits) the event, e.g. `orders`. */
    owner: identifier,
    latest: z.number().int().positive(),
    /** @default 'drop' (see DRIFT_POLICIES) */
    additionalFields: driftPolicySchema.optional(),
    versions: z.record(z.string().regex(/^[1-9][0-9]*$/, 'versions are whole numbers: "1", "2"'), serviceEventVersionSchema),
    /** How a payload moves from version `from` to `from + 1`; the reverse is derived when every op can be undone. */
    upcasts: z.array(z.object({ from: z.number().int().positive(), ops: z.array(castOpSchema).min(1) }).strict()).optional(),
  })
  .strict();

export const translationSchema = z
  .object({
    legacy: legacyTypeName,
    service: serviceTypeName,
    /** The service event version this translation produces and accepts. */
    serviceVersion: z.number().int().positive(),
    /** @default both */
    direction: z.enum(['both', 'toService', 'toLegacy']).optional(),
    fields: z.array(fieldMappingSchema).min(1),
  })
  .strict();

export const bridgeSectionSchema = z
  .object({
    /** EventBridge `source` the monolith uses when it puts events on the legacy bus. */
    legacySource: z.string().min(1),
    legacyEvents: z.record(legacyTypeName, legacyEventSchema),
    serviceEvents: z.record(serviceTypeName, serviceEventSchema),
    translations: z.array(translationSchema),
  })
  .strict();

export const specSchema = z
  .object({
    /** Short name, used in resource names. */
    name: z.string().regex(/^[a-z][a-z0-9-]{1,20}$/, 'lower case letters, digits and -, 2 to 21 characters'),
    buses: z.object({ legacy: identifier, services: identifier }).strict(),
    bridge: bridgeSectionSchema,
    saga: sagaSectionSchema.optional(),
    capture: captureSectionSchema.optional(),
    routing: routingSectionSchema.optional(),
    migration: migrationSectionSchema.optional(),
    /** Generated REST APIs over the migrated entities (core/spec/api.ts). */
    api: apiSectionSchema.optional(),
    /** Two-way sync of migrated entities while both sides write (core/spec/sync.ts). */
    sync: syncSectionSchema.optional(),
    /** Thresholds of `cutover readiness` (all defaulted; see core/spec/readiness.ts). */
    readiness: readinessSectionSchema.optional(),
    /** The HTTP strangler façade's routes (core/spec/facade.ts). */
    facade: facadeSectionSchema.optional(),
  })
  .strict();

export type SpecInput = z.input<typeof specSchema>;
export type Spec = z.output<typeof specSchema>;
export type BridgeSection = Spec['bridge'];
export type LegacyEventDef = z.infer<typeof legacyEventSchema>;
export type ServiceEventDef = z.infer<typeof serviceEventSchema>;
export type TranslationDef = z.infer<typeof translationSchema>;
export type CastOp = z.infer<typeof castOpSchema>;
export type EntityRef = z.infer<typeof entityRefSchema>;
