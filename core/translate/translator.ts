import { SchemaValidationError, TranslationError } from '../errors';
import {
  BRIDGE_SOURCE,
  deterministicId,
  LEGACY_META_KEY,
  type EventMetadata,
  type LegacyMeta,
  type ServiceEvent,
} from '../events/envelope';
import { getPath, setPath } from '../events/paths';
import { castPayload } from '../spec/cast';
import type { FieldMapping, Spec, TranslationDef } from '../spec/schema';
import { resolveTransform, TransformError, type Transform } from '../spec/transforms';
import { validatePayload } from '../spec/validate-payload';

/** Why an event was not translated. `quarantine` must be kept with the payload; `ignored` is a loop guard. */
export type TranslateOutcome<T> =
  | { readonly status: 'translated'; readonly detailType: string; readonly detail: T; readonly eventId: string; readonly correlationId: string }
  | { readonly status: 'quarantine'; readonly reason: QuarantineReason; readonly problems: readonly string[] }
  | { readonly status: 'ignored'; readonly reason: 'loop' };

export type QuarantineReason = 'unknown-type' | 'schema' | 'unknown-version' | 'untranslatable' | 'no-translation';

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

/** The bridge's stamp is not part of any legacy schema. */
const LEGACY_IGNORED: readonly string[] = [LEGACY_META_KEY];

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
}

/**
 * Compiles the spec's translations into plain functions once (at cold start), so each event costs only
 * the field copies and the checks.
 */
export class Translator {
  private readonly toServiceByLegacy = new Map<string, { def: TranslationDef; fields: CompiledField[] }>();
  private readonly toLegacyByService = new Map<string, { def: TranslationDef; fields: CompiledField[] }>();

  public constructor(private readonly spec: Spec) {
    for (const t of spec.bridge.translations) {
      const compiled = { def: t, fields: compileFields(t.fields) };
      const dir = t.direction ?? 'both';
      if (dir !== 'toLegacy') this.toServiceByLegacy.set(t.legacy, compiled);
      if (dir !== 'toService') this.toLegacyByService.set(t.service, compiled);
    }
  }

  /** Legacy payload (an EventBridge `detail`) -> service event envelope, or a reason to quarantine. */
  public toService(legacyType: string, detail: Record<string, unknown>, ctx: TranslateContext): TranslateOutcome<ServiceEvent> {
    const meta = detail[LEGACY_META_KEY] as LegacyMeta | undefined;
    if (meta?.origin === 'service') return { status: 'ignored', reason: 'loop' };
    const legacyDef = this.spec.bridge.legacyEvents[legacyType];
    if (!legacyDef) {
      return { status: 'quarantine', reason: 'unknown-type', problems: [`detail-type: ${JSON.stringify(legacyType)} is not a legacy event type in the spec`] };
    }
    const problems = validatePayload(legacyDef.schema, detail, LEGACY_IGNORED);
    if (problems.length > 0) return { status: 'quarantine', reason: 'schema', problems };
    const t = this.toServiceByLegacy.get(legacyType);
    if (!t) return { status: 'quarantine', reason: 'no-translation', problems: [`${legacyType}: the spec has no translation to a service event`] };
    const serviceDef = this.spec.bridge.serviceEvents[t.def.service];
    let data: Record<string, unknown>;
    try {
      data = mapToService(t.fields, detail, '');
    } catch (err) {
      return { status: 'quarantine', reason: 'untranslatable', problems: [errorMessage(err)] };
    }
    const outProblems = validatePayload(serviceDef.versions[String(t.def.serviceVersion)].schema, data);
    if (outProblems.length > 0) {
      return { status: 'quarantine', reason: 'untranslatable', problems: outProblems.map((p) => `${t.def.service} v${t.def.serviceVersion} ${p}`) };
    }
    const messageId = String(getPath(detail, legacyDef.idField) ?? ctx.transportId ?? '');
    const entityKey = String(getPath(detail, legacyDef.entity.keyField));
    const eventId = deterministicId('legacy', legacyType, messageId, t.def.service);
    const correlationId = meta?.correlationId ?? correlationFor(legacyDef.entity.type, entityKey);
    const metadata: EventMetadata = {
      eventId,
      eventType: t.def.service,
      version: t.def.serviceVersion,
      correlationId,
      causationId: messageId,
      origin: 'legacy',
      producer: BRIDGE_SOURCE,
      occurredAt: ctx.occurredAt ?? ctx.now.toISOString(),
      entity: { type: legacyDef.entity.type, key: entityKey },
    };
    return { status: 'translated', detailType: t.def.service, detail: { metadata, data }, eventId, correlationId };
  }

  /** Service event -> legacy payload, casting to the version the translation speaks first. */
  public toLegacy(event: ServiceEvent, ctx: TranslateContext): TranslateOutcome<Record<string, unknown>> {
    const { metadata } = event;
    if (metadata.origin === 'legacy') return { status: 'ignored', reason: 'loop' };
    const serviceDef = this.spec.bridge.serviceEvents[metadata.eventType];
    if (!serviceDef) {
      return { status: 'quarantine', reason: 'unknown-type', problems: [`metadata.eventType: ${JSON.stringify(metadata.eventType)} is not a service event type in the spec`] };
    }
    const versionDef = serviceDef.versions[String(metadata.version)];
    if (!versionDef) {
      return {
        status: 'quarantine',
        reason: 'unknown-version',
        problems: [`metadata.version: ${JSON.stringify(metadata.version)} is not a version of ${metadata.eventType} (known: ${Object.keys(serviceDef.versions).join(', ')})`],
      };
    }
    const problems = validatePayload(versionDef.schema, event.data);
    if (problems.length > 0) return { status: 'quarantine', reason: 'schema', problems };
    const t = this.toLegacyByService.get(metadata.eventType);
    if (!t) return { status: 'quarantine', reason: 'no-translation', problems: [`${metadata.eventType}: the spec has no translation to a legacy event`] };
    let legacy: Record<string, unknown>;
    try {
      // Same version: read the payload as is (mapToLegacy never writes to it); a cast clones first.
      const data = metadata.version === t.def.serviceVersion ? event.data : castPayload(metadata.eventType, serviceDef, event.data, metadata.version, t.def.serviceVersion);
      legacy = mapToLegacy(t.fields, data, '');
    } catch (err) {
      return { status: 'quarantine', reason: 'untranslatable', problems: [errorMessage(err)] };
    }
    const legacyDef = this.spec.bridge.legacyEvents[t.def.legacy];
    // The monolith de-duplicates on its message id field: derive it from the service event id.
    const eventId = deterministicId('service', metadata.eventId, t.def.legacy);
    // Upper case: legacy systems tend to write ids that way, and the reference MSG_ID pattern expects it.
    if (getPath(legacy, legacyDef.idField) === undefined) setPath(legacy, legacyDef.idField, eventId.toUpperCase());
    const outProblems = validatePayload(legacyDef.schema, legacy);
    if (outProblems.length > 0) {
      return { status: 'quarantine', reason: 'untranslatable', problems: outProblems.map((p) => `${t.def.legacy} ${p}`) };
    }
    const stamp: LegacyMeta = {
      origin: metadata.origin,
      eventId,
      correlationId: metadata.correlationId,
      causationId: metadata.eventId,
      serviceEventType: metadata.eventType,
    };
    void ctx;
    return { status: 'translated', detailType: t.def.legacy, detail: { ...legacy, [LEGACY_META_KEY]: stamp }, eventId, correlationId: metadata.correlationId };
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
