import { z } from 'zod';
import { isIsoDateTime } from '../spec/transforms';

/*
 * The envelope a bridge trusts, as a schema: what EventBridge delivers around a payload and the
 * `metadata` of a service event. Everything a producer supplies is checked here before any of it decides
 * where an event goes (correlation, origin, entity); the payload itself is checked by the spec's schemas.
 */

/**
 * A well-formed correlation id: it names an audit stream, a saga and a log line, so it holds only ASCII
 * letters, digits and `. _ : -`, starts with a letter or digit, and is at most 128 characters
 * (`order-1000001`, `replay-20261121`). One that is not is quarantined (reason `envelope`), not replaced:
 * a replacement would silently detach the event from the business transaction it claims to belong to.
 */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Ids, producers and entity keys: printable ASCII without spaces, bounded. */
const TOKEN = /^[A-Za-z0-9._:/#@+=-]{1,256}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const token = (what: string) => z.string().regex(TOKEN, `${what}: letters, digits and . _ : / # @ + = -, at most 256 characters`);

export const correlationIdSchema = z
  .string()
  .regex(CORRELATION_ID_PATTERN, 'a correlation id holds letters, digits and . _ : -, at most 128 characters');

const isoDateTime = z
  .string()
  .regex(ISO_DATETIME, 'an ISO 8601 date-time such as 2026-11-21T14:30:00Z')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a real date-time');

/** `metadata` of a service event. Unknown keys are refused: a producer cannot add trusted fields. */
export const serviceMetadataSchema = z
  .object({
    eventId: token('eventId'),
    eventType: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'dotted lower case, e.g. order.created'),
    version: z.number().int().min(1).max(1000),
    correlationId: correlationIdSchema,
    causationId: token('causationId').optional(),
    origin: z.enum(['legacy', 'service']),
    producer: token('producer'),
    occurredAt: isoDateTime,
    entity: z.object({ type: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/), key: token('entity.key') }).strict(),
    replay: z
      .object({ replayId: token('replayId') })
      .loose()
      .optional(),
    // Written by the router on its copies (core/routing/plan.ts); its own code validates the stamp.
    routing: z.record(z.string(), z.unknown()).optional(),
    // Unknown payload fields carried by a `keep` drift policy (the bridge writes it, see translator.ts).
    unmapped: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const serviceEnvelopeSchema = z
  .object({
    metadata: serviceMetadataSchema,
    data: z.record(z.string(), z.unknown()),
  })
  .strict();

/** The EventBridge fields around a detail, as a Lambda target receives them. */
export const eventBridgeFieldsSchema = z.object({
  id: z.string().min(1).max(128).optional(),
  source: z.string().min(1).max(256).optional(),
  detailType: z.string().min(1).max(128).optional(),
  time: isoDateTime.optional(),
});

/*
 * The fast paths below accept exactly what the schemas above accept (or less) and run for every event: a
 * zod parse per event cost more than the translation itself. When a fast check says no, the schema is
 * run to name each problem, so the messages (and the final word) stay the schema's.
 */
const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const ENTITY_TYPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const METADATA_KEYS = new Set([
  'eventId',
  'eventType',
  'version',
  'correlationId',
  'causationId',
  'origin',
  'producer',
  'occurredAt',
  'entity',
  'replay',
  'routing',
  'unmapped',
]);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isToken = (v: unknown) => typeof v === 'string' && TOKEN.test(v);
/** The schema's date-time test: the regex, then a real time by Date.parse. */
export const isIsoBySchema = (v: unknown): boolean => typeof v === 'string' && ISO_DATETIME.test(v) && !Number.isNaN(Date.parse(v));
/**
 * `isIsoBySchema`, answered first by arithmetic for the forms EventBridge and the bridge write
 * (`...T14:30:00Z`, `...T14:30:00.123Z`): such a text that is a real date and time passes both the regex and
 * Date.parse (property-tested), and costs neither. Anything else goes to the schema's test.
 */
export const isIso = (v: unknown): boolean => typeof v === 'string' && (isIsoDateTime(v, true) || isIsoBySchema(v));

function fastServiceEnvelope(detail: unknown): boolean {
  if (!isRecord(detail)) return false;
  for (const k in detail) if (k !== 'metadata' && k !== 'data') return false;
  const m = detail.metadata;
  if (!isRecord(detail.data) || !isRecord(m)) return false;
  for (const k in m) if (!METADATA_KEYS.has(k)) return false;
  const e = m.entity;
  if (!isRecord(e) || Object.keys(e).length !== 2 || typeof e.type !== 'string' || !ENTITY_TYPE.test(e.type) || !isToken(e.key))
    return false;
  const r = m.replay;
  return (
    isToken(m.eventId) &&
    typeof m.eventType === 'string' &&
    EVENT_TYPE.test(m.eventType) &&
    Number.isInteger(m.version) &&
    (m.version as number) >= 1 &&
    (m.version as number) <= 1000 &&
    typeof m.correlationId === 'string' &&
    CORRELATION_ID_PATTERN.test(m.correlationId) &&
    (m.causationId === undefined || isToken(m.causationId)) &&
    (m.origin === 'legacy' || m.origin === 'service') &&
    isToken(m.producer) &&
    isIso(m.occurredAt) &&
    (r === undefined || (isRecord(r) && isToken(r.replayId))) &&
    (m.routing === undefined || isRecord(m.routing)) &&
    (m.unmapped === undefined || isRecord(m.unmapped))
  );
}

/** Problems of a service event's envelope (`detail.metadata...: message (got value)`); empty when valid. */
export function serviceEnvelopeProblems(detail: unknown): string[] {
  return fastServiceEnvelope(detail) ? [] : envelopeProblems(serviceEnvelopeSchema, detail, 'detail');
}

/** Problems of the EventBridge fields around a detail; empty when valid. */
export function eventBridgeFieldProblems(fields: { id?: string; source?: string; detailType?: string; time?: string }): string[] {
  const { id, source, detailType, time } = fields;
  const ok =
    (id === undefined || (id.length >= 1 && id.length <= 128)) &&
    (source === undefined || (source.length >= 1 && source.length <= 256)) &&
    (detailType === undefined || (detailType.length >= 1 && detailType.length <= 128)) &&
    (time === undefined || isIso(time));
  return ok ? [] : envelopeProblems(eventBridgeFieldsSchema, fields, 'event');
}

/** Problems as `path: message`, the way the rest of the bridge reports them. */
export function envelopeProblems(schema: z.ZodType, value: unknown, prefix: string): string[] {
  const r = schema.safeParse(value);
  if (r.success) return [];
  return r.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `${prefix}${path}: ${issue.message}${describeAt(value, issue.path)}`;
  });
}

/** ` (got <escaped value>)` for the value at `path`, or nothing when absent. */
function describeAt(value: unknown, path: readonly PropertyKey[]): string {
  let cur: unknown = value;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  if (cur === undefined) return ' (missing)';
  let json: string | undefined;
  try {
    json = JSON.stringify(cur);
  } catch {
    return '';
  }
  if (json === undefined) return '';
  const shown = json.length > 80 ? `${json.slice(0, 77)}...` : json;
  return ` (got ${shown.replace(/[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)})`;
}
