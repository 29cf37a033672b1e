import { SchemaValidationError, TranslationError } from '../errors';
import {
  BRIDGE_SOURCE,
  deterministicId,
  LEGACY_META_KEY,
  type EventMetadata,
  type LegacyMeta,
  type ServiceEvent,
} from '../events/envelope';
import { CORRELATION_ID_PATTERN, serviceEnvelopeProblems } from '../events/envelope-schema';
import { getPath, setPath } from '../events/paths';
import { castPayload } from '../spec/cast';
import type { ObjectField } from '../spec/field-schema';
import {
  DEFAULT_DRIFT_POLICY,
  type DriftPolicy,
  type FieldMapping,
  type LegacyEventDef,
  type ServiceEventDef,
  type Spec,
  type TranslationDef,
} from '../spec/schema';
import { describe, resolveTransform, TransformError, type Transform } from '../spec/transforms';
import { residualObjectCheck, validatePayload, validatePayloadDetailed, validateWith, type ObjectCheck } from '../spec/validate-payload';
import { proveServiceChecks } from './output-proof';

/** Why an event was not translated. `quarantine` must be kept with the payload; `ignored` is a loop guard. */
/**
 * `drift` lists the undeclared fields the payload carried (`LINES[].GIFT_WRAP`), whatever the event's drift
 * policy made of them: the bridge records each one.
 */
export type TranslateOutcome<T> =
  | {
      readonly status: 'translated';
      readonly detailType: string;
      readonly detail: T;
      readonly eventId: string;
      readonly correlationId: string;
      readonly drift?: DriftSeen;
    }
  | { readonly status: 'quarantine'; readonly reason: QuarantineReason; readonly problems: readonly string[]; readonly drift?: DriftSeen }
  | { readonly status: 'ignored'; readonly reason: 'loop'; readonly problems: readonly string[] };

/** Unknown fields seen on one event of one type, and what the policy did. */
export interface DriftSeen {
  /** The legacy or service event type whose schema lacks the fields. */
  readonly eventType: string;
  readonly fields: readonly string[];
  readonly policy: DriftPolicy;
}

/**
 * Why an event was quarantined. `loop` records an event the loop guard refused (the bridge's own event, or
 * the monolith echoing one) so no refusal goes without a trace; `envelope` is a producer-supplied envelope
 * that fails its schema or claims what only the bridge may say (origin, the `_cutover` stamp).
 */
export type QuarantineReason = 'unknown-type' | 'schema' | 'unknown-version' | 'untranslatable' | 'no-translation' | 'loop' | 'envelope';

/** A legacy event type's definition with its field paths split once. */
interface LegacyPlan {
  readonly def: LegacyEventDef;
  readonly timeParts?: readonly string[];
  readonly idParts: readonly string[];
  readonly keyParts: readonly string[];
}

/** A service event type's definition with its versions by number. */
interface ServicePlan {
  readonly def: ServiceEventDef;
  readonly versions: ReadonlyMap<number, ServiceEventDef['versions'][string]>;
}

interface CompiledField {
  readonly legacy?: string;
  readonly service?: string;
  /** The paths split once, at compile time: every event walks them. */
  readonly legacyParts?: readonly string[];
  readonly serviceParts?: readonly string[];
  readonly transform: Transform;
  /** The identity transform is skipped rather than called. */
  readonly identity: boolean;
  readonly emptyAsAbsent: boolean;
  readonly constant?: unknown;
  readonly legacyDefault?: unknown;
  readonly items?: readonly CompiledField[];
}

function compileFields(fields: readonly FieldMapping[]): CompiledField[] {
  return fields.map((f) => ({
    legacy: f.legacy,
    service: f.service,
    legacyParts: f.legacy?.split('.'),
    serviceParts: f.service?.split('.'),
    transform: resolveTransform(f.transform),
    identity: f.transform === undefined || f.transform === 'identity',
    emptyAsAbsent: f.transform === 'emptyAsAbsent',
    constant: f.constant,
    legacyDefault: f.legacyDefault,
    items: f.items ? compileFields(f.items) : undefined,
  }));
}

/** A transform's refusal, re-thrown with the field path (built only on failure: the happy path is hot). */
function transformFailure(path: string, err: unknown): unknown {
  if (err instanceof TransformError || err instanceof TranslationError) {
    return new TranslationError(`${path}: ${err.message}`, { path }, { cause: err });
  }
  return err;
}

/** getPath over a pre-split path. */
function getParts(obj: unknown, parts: readonly string[]): unknown {
  let cur: unknown = obj;
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  return cur;
}

/** setPath over a pre-split path (intermediate objects created as needed). */
function setParts(obj: Record<string, unknown>, parts: readonly string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      cur[parts[i]] = created;
      cur = created;
    } else {
      cur = next as Record<string, unknown>;
    }
  }
  cur[parts[parts.length - 1]] = value;
}

function mapToService(fields: readonly CompiledField[], src: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!f.service) continue;
    if (f.legacy === undefined) {
      if (f.constant !== undefined) setPath(out, f.service, structuredClone(f.constant));
      continue;
    }
    const v = getParts(src, f.legacyParts!);
    if (f.items) {
      if (v === undefined) continue;
      const where = `${prefix}${f.legacy}`;
      if (!Array.isArray(v)) throw new TranslationError(`${where}: expected a list`, { path: where });
      setPath(
        out,
        f.service,
        v.map((item, i) => mapToService(f.items!, item as Record<string, unknown>, `${where}[${i}].`)),
      );
      continue;
    }
    if (v === undefined && !f.emptyAsAbsent) continue;
    let mapped: unknown = v;
    if (!f.identity) {
      try {
        mapped = f.transform.toService(v);
      } catch (err) {
        throw transformFailure(`${prefix}${f.legacy}`, err);
      }
    }
    if (mapped !== undefined) setParts(out, f.serviceParts!, mapped);
  }
  return out;
}

function mapToLegacy(fields: readonly CompiledField[], src: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!f.legacy) continue;
    if (f.service === undefined) {
      if (f.legacyDefault !== undefined) setPath(out, f.legacy, structuredClone(f.legacyDefault));
      continue;
    }
    const v = getParts(src, f.serviceParts!);
    if (f.items) {
      if (v === undefined) continue;
      const where = `${prefix}${f.service}`;
      if (!Array.isArray(v)) throw new TranslationError(`${where}: expected a list`, { path: where });
      setPath(
        out,
        f.legacy,
        v.map((item, i) => mapToLegacy(f.items!, item as Record<string, unknown>, `${where}[${i}].`)),
      );
      continue;
    }
    if (v === undefined && !f.emptyAsAbsent) {
      if (f.legacyDefault !== undefined) setPath(out, f.legacy, structuredClone(f.legacyDefault));
      continue;
    }
    let mapped: unknown = v;
    if (!f.identity) {
      try {
        mapped = f.transform.toLegacy(v);
      } catch (err) {
        throw transformFailure(`${prefix}${f.service}`, err);
      }
    }
    setParts(out, f.legacyParts!, mapped);
  }
  return out;
}

/** The legacy-datetime field that says when a legacy event happened: declared, or the only one at the top. */
function timeFieldOf(def: LegacyEventDef): string | undefined {
  if (def.timeField) return def.timeField;
  const candidates = Object.entries(def.schema.fields).filter(([, f]) => f.type === 'string' && f.format === 'legacy-datetime');
  return candidates.length === 1 ? candidates[0][0] : undefined;
}

/** "20261121 143000" -> "2026-11-21T14:30:00.000Z" (the format is checked by the schema first). */
function legacyTimeToIso(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length !== 15) return undefined;
  return `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}.000Z`;
}

/**
 * Validates a payload under a drift policy: undeclared fields are always collected (to be recorded), and are
 * problems only under `quarantine`.
 */
function checkWithDrift(
  schema: ObjectField,
  payload: unknown,
  eventType: string,
  policy: DriftPolicy,
): { problems: string[]; drift?: DriftSeen } {
  const { problems, unknownFields } = validatePayloadDetailed(schema, payload, { unknownFields: 'collect' });
  if (unknownFields.length === 0) return { problems };
  const drift: DriftSeen = { eventType, fields: unknownFields, policy };
  if (policy === 'quarantine') {
    for (const field of unknownFields) problems.push(`${field}: is not a declared field [rule: additionalFields quarantine]`);
  }
  return { problems, drift };
}

/** The unknown top-level fields of a payload, for a `keep` policy (nested ones are recorded, not carried). */
function unmappedOf(payload: Record<string, unknown>, drift: DriftSeen | undefined): Record<string, unknown> | undefined {
  if (!drift || drift.policy !== 'keep') return undefined;
  const out: Record<string, unknown> = {};
  for (const field of drift.fields) if (!field.includes('.') && !field.includes('[')) out[field] = payload[field];
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A shallow copy of `payload` without the given top-level fields (nested unknown paths are left). */
function withoutTopLevel(payload: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out = { ...payload };
  for (const f of fields) if (!f.includes('.') && !f.includes('[')) delete out[f];
  return out;
}

/** A correlation id for an entity: `<type>-<key>`, or a hash of the key when the key would not make a well-formed id. */
function entityCorrelation(entityType: string, key: string): string {
  const plain = correlationFor(entityType, key);
  return CORRELATION_ID_PATTERN.test(plain) ? plain : `${entityType}-${deterministicId('correlation', entityType, key)}`;
}

export interface TranslateContext {
  /** When the event happened / was received, for `occurredAt`. */
  readonly now: Date;
  /**
   * `now` already written as `Date.prototype.toISOString` writes it. Callers that have the time as text
   * pass it to spare a parse and a format per event (the hot path); when absent, `now` is formatted.
   */
  readonly occurredAt?: string;
  /** The EventBridge id of the incoming event, used only when the payload has no message id. */
  readonly transportId?: string;
  /**
   * The EventBridge `source` of the incoming event. With the bus, it decides origin: on the legacy bus only
   * the spec's `legacySource` is the monolith and only `cutover.bridge` is the bridge. Left out by callers
   * that translate a payload directly (tests, the CLI's examples); the bridge always passes it.
   */
  readonly source?: string;
}

/**
 * Compiles the spec's translations into plain functions once (at cold start), so each event costs only
 * the field copies and the checks.
 */
export interface TranslatorOptions {
  /**
   * Leave out the checks of a built service payload that the mapping provably cannot fail (see
   * output-proof.ts). Off only to compare against the translator that checks everything.
   * @default true
   */
  readonly proveOutputChecks?: boolean;
}

export class Translator {
  private readonly toServiceByLegacy = new Map<string, { def: TranslationDef; fields: CompiledField[]; check: ObjectCheck | undefined }>();
  private readonly toLegacyByService = new Map<string, { def: TranslationDef; fields: CompiledField[] }>();
  /**
   * Per event type, what every event of it needs, found once. Maps rather than the spec's objects: an event
   * type arrives as a fresh string from JSON.parse, and a Map finds it by hash where an object property
   * lookup must first intern the string (twice, with the own-property test).
   */
  private readonly legacyPlans = new Map<string, LegacyPlan>();
  private readonly servicePlans = new Map<string, ServicePlan>();

  public constructor(
    private readonly spec: Spec,
    options: TranslatorOptions = {},
  ) {
    for (const [type, def] of Object.entries(spec.bridge.legacyEvents)) {
      const timeField = timeFieldOf(def);
      this.legacyPlans.set(type, {
        def,
        timeParts: timeField ? timeField.split('.') : undefined,
        idParts: def.idField.split('.'),
        keyParts: def.entity.keyField.split('.'),
      });
    }
    for (const [type, def] of Object.entries(spec.bridge.serviceEvents)) {
      const versions = new Map<number, ServiceEventDef['versions'][string]>();
      // Only the keys String(version) can produce: "1", never "01".
      for (const [v, vdef] of Object.entries(def.versions)) if (String(Number(v)) === v) versions.set(Number(v), vdef);
      this.servicePlans.set(type, { def, versions });
    }
    const prove = options.proveOutputChecks !== false;
    for (const t of spec.bridge.translations) {
      const compiled = { def: t, fields: compileFields(t.fields) };
      const dir = t.direction ?? 'both';
      if (dir !== 'toLegacy') this.toServiceByLegacy.set(t.legacy, { ...compiled, check: prove ? this.residualCheck(t) : undefined });
      if (dir !== 'toService') this.toLegacyByService.set(t.service, compiled);
    }
  }

  /**
   * The service payload's checker without the checks the mapping cannot fail, or `undefined` (check
   * everything) when the spec's parts are missing or nothing is proven.
   */
  private residualCheck(t: TranslationDef): ObjectCheck | undefined {
    const legacy = this.spec.bridge.legacyEvents[t.legacy]?.schema;
    const service = this.spec.bridge.serviceEvents[t.service]?.versions[String(t.serviceVersion)]?.schema;
    if (!legacy || !service) return undefined;
    const proof = proveServiceChecks(t.fields, legacy, service);
    return proof ? residualObjectCheck(service, proof) : undefined;
  }

  /** Legacy payload (an EventBridge `detail`) -> service event envelope, or a reason to quarantine. */
  public toService(legacyType: string, detail: Record<string, unknown>, ctx: TranslateContext): TranslateOutcome<ServiceEvent> {
    if (ctx.source === BRIDGE_SOURCE)
      return {
        status: 'ignored',
        reason: 'loop',
        problems: [`source: ${BRIDGE_SOURCE} is the bridge itself; its events are never translated back`],
      };
    // Only the bridge stamps `_cutover`, and its events carry its own source (refused just above). A
    // monolith event holding a stamp either echoes a translated event (a loop) or forges the bridge's say.
    if (Object.hasOwn(detail, LEGACY_META_KEY)) {
      const meta = detail[LEGACY_META_KEY] as LegacyMeta | undefined;
      if (meta && typeof meta === 'object' && meta.origin === 'service') {
        return {
          status: 'ignored',
          reason: 'loop',
          problems: [`${LEGACY_META_KEY}.origin: "service": the event repeats one the bridge made from a service event`],
        };
      }
      return {
        status: 'quarantine',
        reason: 'envelope',
        problems: [`${LEGACY_META_KEY}: ${describe(detail[LEGACY_META_KEY])} is the bridge's stamp; a monolith event may not carry it`],
      };
    }
    if (ctx.source !== undefined && ctx.source !== this.spec.bridge.legacySource) {
      return {
        status: 'quarantine',
        reason: 'envelope',
        problems: [`source: ${describe(ctx.source)} is not the monolith's source ${JSON.stringify(this.spec.bridge.legacySource)}`],
      };
    }
    const plan = this.legacyPlans.get(legacyType);
    if (!plan) {
      return {
        status: 'quarantine',
        reason: 'unknown-type',
        problems: [`detail-type: ${describe(legacyType)} is not a legacy event type in the spec`],
      };
    }
    const legacyDef = plan.def;
    const { problems, drift } = checkWithDrift(legacyDef.schema, detail, legacyType, legacyDef.additionalFields ?? DEFAULT_DRIFT_POLICY);
    if (problems.length > 0) return { status: 'quarantine', reason: 'schema', problems, drift };
    const t = this.toServiceByLegacy.get(legacyType);
    if (!t)
      return {
        status: 'quarantine',
        reason: 'no-translation',
        problems: [`${legacyType}: the spec has no translation to a service event`],
        drift,
      };
    const serviceDef = this.spec.bridge.serviceEvents[t.def.service];
    let data: Record<string, unknown>;
    try {
      data = mapToService(t.fields, detail, '');
    } catch (err) {
      return { status: 'quarantine', reason: 'untranslatable', problems: [errorMessage(err)], drift };
    }
    // The legacy payload passed its checks: only the service checks the mapping could fail are run.
    const outProblems = t.check
      ? validateWith(t.check, data)
      : validatePayload(serviceDef.versions[String(t.def.serviceVersion)].schema, data);
    if (outProblems.length > 0) {
      return {
        status: 'quarantine',
        reason: 'untranslatable',
        problems: outProblems.map((p) => `${t.def.service} v${t.def.serviceVersion} ${p}`),
        drift,
      };
    }
    const messageId = String(getParts(detail, plan.idParts) ?? ctx.transportId ?? '');
    const entityKey = String(getParts(detail, plan.keyParts));
    const eventId = deterministicId('legacy', legacyType, messageId, t.def.service);
    // Decided here from the entity, never taken from the producer: a monolith event cannot claim another
    // order's history.
    const correlationId = entityCorrelation(legacyDef.entity.type, entityKey);
    // When the fact happened, as the monolith wrote it: a resend minutes later is the same event.
    const occurredAt = (plan.timeParts && legacyTimeToIso(getParts(detail, plan.timeParts))) || (ctx.occurredAt ?? ctx.now.toISOString());
    const unmapped = unmappedOf(detail, drift);
    const metadata: EventMetadata = {
      eventId,
      eventType: t.def.service,
      version: t.def.serviceVersion,
      correlationId,
      causationId: messageId,
      origin: 'legacy',
      producer: BRIDGE_SOURCE,
      occurredAt,
      entity: { type: legacyDef.entity.type, key: entityKey },
      ...(unmapped ? { unmapped } : {}),
    };
    return { status: 'translated', detailType: t.def.service, detail: { metadata, data }, eventId, correlationId, drift };
  }

  /**
   * Service event -> legacy payload, casting to the version the translation speaks first. The whole
   * envelope is checked against its schema; origin is decided by the source (only the bridge's events are
   * of legacy origin), and the entity it names must be the one its payload is about.
   */
  public toLegacy(event: ServiceEvent, ctx: TranslateContext): TranslateOutcome<Record<string, unknown>> {
    if (ctx.source === BRIDGE_SOURCE)
      return {
        status: 'ignored',
        reason: 'loop',
        problems: [`source: ${BRIDGE_SOURCE} is the bridge itself; its events are never translated back`],
      };
    const envelope = serviceEnvelopeProblems(event);
    if (envelope.length > 0) return { status: 'quarantine', reason: 'envelope', problems: envelope };
    const { metadata } = event;
    if (metadata.origin === 'legacy') {
      if (ctx.source === undefined)
        return { status: 'ignored', reason: 'loop', problems: ['metadata.origin: "legacy": a translated monolith event never goes back'] };
      return {
        status: 'quarantine',
        reason: 'envelope',
        problems: [
          `metadata.origin: "legacy" is claimed by source ${describe(ctx.source)}; only ${BRIDGE_SOURCE} puts events of legacy origin`,
        ],
      };
    }
    const servicePlan = this.servicePlans.get(metadata.eventType);
    if (!servicePlan) {
      return {
        status: 'quarantine',
        reason: 'unknown-type',
        problems: [`metadata.eventType: ${JSON.stringify(metadata.eventType)} is not a service event type in the spec`],
      };
    }
    const serviceDef = servicePlan.def;
    const versionDef = servicePlan.versions.get(metadata.version);
    if (!versionDef) {
      return {
        status: 'quarantine',
        reason: 'unknown-version',
        problems: [
          `metadata.version: ${JSON.stringify(metadata.version)} is not a version of ${metadata.eventType} (known: ${Object.keys(serviceDef.versions).join(', ')})`,
        ],
      };
    }
    const { problems, drift } = checkWithDrift(
      versionDef.schema,
      event.data,
      metadata.eventType,
      serviceDef.additionalFields ?? DEFAULT_DRIFT_POLICY,
    );
    if (problems.length > 0) return { status: 'quarantine', reason: 'schema', problems, drift };
    const key = getPath(event.data, serviceDef.entity.keyField);
    if (metadata.entity.type !== serviceDef.entity.type || metadata.entity.key !== String(key)) {
      return {
        status: 'quarantine',
        reason: 'envelope',
        problems: [
          `metadata.entity: ${describe(metadata.entity)} is not what the payload is about (${serviceDef.entity.type} ${describe(key)} from data.${serviceDef.entity.keyField})`,
        ],
        drift,
      };
    }
    const t = this.toLegacyByService.get(metadata.eventType);
    if (!t)
      return {
        status: 'quarantine',
        reason: 'no-translation',
        problems: [`${metadata.eventType}: the spec has no translation to a legacy event`],
        drift,
      };
    let legacy: Record<string, unknown>;
    try {
      // Unknown fields the policy let through are left behind first: a cast clones the payload, and an
      // undeclared value (however large or deep) must cost nothing and reach nothing.
      const known = drift ? withoutTopLevel(event.data, drift.fields) : event.data;
      // Same version: read the payload as is (mapToLegacy never writes to it); a cast clones first.
      const data =
        metadata.version === t.def.serviceVersion
          ? known
          : castPayload(metadata.eventType, serviceDef, known, metadata.version, t.def.serviceVersion);
      legacy = mapToLegacy(t.fields, data, '');
    } catch (err) {
      return { status: 'quarantine', reason: 'untranslatable', problems: [errorMessage(err)], drift };
    }
    const legacyPlan = this.legacyPlans.get(t.def.legacy)!;
    const legacyDef = legacyPlan.def;
    // The monolith de-duplicates on its message id field: derive it from the service event id.
    const eventId = deterministicId('service', metadata.eventId, t.def.legacy);
    // Upper case: legacy systems tend to write ids that way, and the reference MSG_ID pattern expects it.
    if (getParts(legacy, legacyPlan.idParts) === undefined) setParts(legacy, legacyPlan.idParts, eventId.toUpperCase());
    const outProblems = validatePayload(legacyDef.schema, legacy);
    if (outProblems.length > 0) {
      return { status: 'quarantine', reason: 'untranslatable', problems: outProblems.map((p) => `${t.def.legacy} ${p}`), drift };
    }
    // `legacy` is this call's own object (mapToLegacy built it): stamped in place, not copied.
    legacy[LEGACY_META_KEY] = {
      // Decided by the bridge: whatever reaches this point came from a service.
      origin: 'service',
      eventId,
      correlationId: metadata.correlationId,
      causationId: metadata.eventId,
      serviceEventType: metadata.eventType,
    } satisfies LegacyMeta;
    return {
      status: 'translated',
      detailType: t.def.legacy,
      detail: legacy,
      eventId,
      correlationId: metadata.correlationId,
      drift,
    };
  }
}

/** The correlation id of an entity when the source event carries none: stable, so all of an order's events share it. */
export function correlationFor(entityType: string, key: string): string {
  return `${entityType}-${key}`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export { SchemaValidationError };
