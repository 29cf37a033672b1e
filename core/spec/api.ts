import { z } from 'zod';
// schema.ts imports this section, so the cast op schema is reached lazily (the import is a cycle).
import { castOpSchema } from './schema';

/**
 * The `api` section of the migration spec: which migrated entities a generated REST API exposes, per
 * service. It sits beside `migration` instead of inside it because the two change for different reasons
 * and at different times: the mapping says how rows become items (owned by the data migration), this
 * says what clients may read and write (owned by the service team). An entity absent here is not exposed.
 *
 * Types, keys and required fields are not repeated: they come from the entity's migration mapping
 * (core/api/model.ts), so the API cannot drift from the data it serves.
 */

const attributeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a top-level attribute name');
const serviceName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'lower case letters, digits and -, e.g. catalog');
const pathSegment = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'a URL path segment: lower case letters, digits and -');

/** A global secondary index of the entity's table, for equality on its partition key and ranges on its sort key. */
export const apiIndexSchema = z
  .object({
    partitionKey: attributeName,
    sortKey: attributeName.optional(),
  })
  .strict();
export type ApiIndex = z.infer<typeof apiIndexSchema>;

export const apiEntitySchema = z
  .object({
    /** The collection's path segment: `/v1/<path>`. @default - the entity name */
    path: pathSegment.optional(),
    /**
     * Whether PUT and PATCH are served (with If-Match). A write through the API is a change like any
     * other for the two-way sync, which carries it back to the monolith. @default false
     */
    writes: z.boolean().optional(),
    /**
     * Attributes a list may be filtered on: key attributes of the table (equality on the partition key,
     * ranges on the sort key) or keys of a declared index. Nothing else, because any other filter would
     * be a full table scan. @default - none: only key lookups and unfiltered pages
     */
    filters: z.array(attributeName).optional(),
    /** Index name -> its keys; the data stack creates each as a GSI (projection ALL) on the entity's table. */
    indexes: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{2,254}$/, 'an index name: 3-255 letters, digits, _ or -'), apiIndexSchema)
      .optional(),
    /**
     * Later versions served beside v1: `{ "2": { ops: [...] } }` takes a v1 item to v2 with the same cast
     * ops as service events (rename, setDefault, remove). Writes to a later version are cast back to v1,
     * so every op of a writable entity's version must be reversible (a remove needs restoreWith).
     */
    versions: z
      .record(
        z.string().regex(/^[2-9]$/, 'a later version: "2" to "9"'),
        z.object({ ops: z.array(z.lazy(() => castOpSchema)).min(1) }).strict(),
      )
      .optional(),
  })
  .strict();
export type ApiEntity = z.infer<typeof apiEntitySchema>;

export const apiServiceSchema = z
  .object({
    description: z.string().optional(),
    /** Migration entity name -> how it is exposed. */
    entities: z.record(z.string(), apiEntitySchema).refine((e) => Object.keys(e).length > 0, 'expose at least one entity'),
  })
  .strict();
export type ApiService = z.infer<typeof apiServiceSchema>;

export const apiSectionSchema = z
  .object({
    services: z.record(serviceName, apiServiceSchema),
  })
  .strict();
export type ApiSection = z.infer<typeof apiSectionSchema>;
export type ApiSectionInput = z.input<typeof apiSectionSchema>;
