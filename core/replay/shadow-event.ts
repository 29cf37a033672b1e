import { deterministicId, type EventMetadata, type ServiceEvent } from '../events/envelope';
import type { ReplayMark } from './runner';
import { castPlan, castPayload, type Spec } from '../spec';
import type { Translator } from '../translate/translator';

/**
 * What a replay sends to the target service: the captured input, translated to the service model exactly
 * as the bridge would translate it live, in an EventBridge-shaped envelope whose metadata carries the
 * replay mark. The cloud replay (functions/replay) and a candidate's offline rehearsal adapter build it
 * with this one function, so a rehearsal and a shadow replay feed the service the same event.
 */
export const REPLAY_SOURCE = 'cutover.replay';

export interface ShadowMetadata extends Omit<EventMetadata, 'replay'> {
  readonly replay: ReplayMark;
}

/** The event a target receives (as Lambda receives an EventBridge event). */
export interface ShadowInvocationEvent {
  readonly version: '0';
  readonly id: string;
  readonly source: typeof REPLAY_SOURCE;
  readonly 'detail-type': string;
  readonly time: string;
  readonly account: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: { readonly metadata: ShadowMetadata; readonly data: Record<string, unknown> };
}

export interface ShadowInput {
  /** The interaction id (the captured input's event id). */
  readonly id: string;
  readonly type: string;
  readonly version?: number;
  readonly payload: unknown;
  readonly entity: { readonly type: string; readonly key: string };
  readonly correlationId?: string;
  readonly capturedAt: string;
}

/** What the spec says about one capability as a replay target. */
export interface TargetProfile {
  readonly name: string;
  /** Service event types the capability consumes; undefined when the spec does not route it. */
  readonly consumes?: ReadonlySet<string>;
  /** Versions the candidate implementation accepts, per service event type. */
  readonly accepts?: Readonly<Record<string, readonly number[]>>;
  /** Legacy input types whose translation the capability consumes; undefined: every captured input. */
  readonly inputTypes?: readonly string[];
}

export type ShadowEventOutcome =
  | { readonly ok: true; readonly event: ShadowInvocationEvent }
  | { readonly ok: false; readonly code: 'invalid' | 'loop' | 'untranslatable' | 'not-consumed' | 'version'; readonly reason: string };

/** The target's profile from the spec's routing section (its candidate implementation's accepts). */
export function targetProfile(spec: Spec, target: string): TargetProfile {
  const cap = spec.routing?.capabilities[target];
  if (!cap) return { name: target };
  const consumes = new Set(Object.keys(cap.events));
  const impl = cap.candidate ? cap.implementations[cap.candidate] : undefined;
  const inputTypes = spec.bridge.translations
    .filter((t) => (t.direction ?? 'both') !== 'toLegacy' && consumes.has(t.service))
    .map((t) => t.legacy);
  return { name: target, consumes, ...(impl ? { accepts: impl.accepts } : {}), inputTypes: [...new Set(inputTypes)].sort() };
}

/** True when `target` owns (emits) the service event type: only those outcomes are compared. */
export function ownsOutcome(spec: Spec, target: string, outcomeType: string): boolean {
  return spec.bridge.serviceEvents[outcomeType]?.owner === target;
}

/** The version to send: the translated one if accepted, else the highest accepted one a cast reaches. */
function chooseVersion(spec: Spec, type: string, version: number, accepts: readonly number[] | undefined): number | undefined {
  if (!accepts || accepts.includes(version)) return version;
  const def = spec.bridge.serviceEvents[type];
  if (!def) return undefined;
  return [...accepts].sort((a, b) => b - a).find((v) => castPlan(def, version, v) !== undefined);
}

/**
 * Build the shadow event for one captured input, or say why it cannot be replayed (it fails the legacy
 * schema, e.g. because PII masking changed a validated field; no translation; a version the target does
 * not accept). The reason names the field, like the bridge's quarantine does.
 */
export function buildShadowEvent(
  spec: Spec,
  translator: Translator,
  input: ShadowInput,
  mark: ReplayMark,
  profile: TargetProfile,
): ShadowEventOutcome {
  let type: string;
  let version: number;
  let data: Record<string, unknown>;
  let correlationId = input.correlationId ?? `${input.entity.type}-${input.entity.key}`;
  let causationId = input.id;
  const payload = input.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return {
      ok: false,
      code: 'invalid',
      reason: `input.payload of ${input.type} must be an object, got ${JSON.stringify(payload)?.slice(0, 60)}`,
    };
  }
  if (spec.bridge.serviceEvents[input.type]) {
    // Captured already in the service model: sent as it is.
    type = input.type;
    version = input.version ?? spec.bridge.serviceEvents[input.type].latest;
    data = payload as Record<string, unknown>;
  } else {
    const t = translator.toService(input.type, payload as Record<string, unknown>, {
      now: new Date(input.capturedAt),
      transportId: input.id,
    });
    if (t.status === 'ignored')
      return {
        ok: false,
        code: 'loop',
        reason: `${input.type} was itself translated from a service event (origin service); replaying it would loop`,
      };
    if (t.status === 'quarantine')
      return {
        ok: false,
        code: 'untranslatable',
        reason: `${input.type} cannot be translated to the service model (${t.reason}): ${t.problems.join('; ')}`,
      };
    type = t.detailType;
    version = t.detail.metadata.version;
    data = t.detail.data;
    correlationId = input.correlationId ?? t.correlationId;
    causationId = t.detail.metadata.causationId ?? input.id;
  }
  if (profile.consumes && !profile.consumes.has(type)) {
    return {
      ok: false,
      code: 'not-consumed',
      reason: `${input.type} becomes ${type}, which ${profile.name} does not consume (it consumes ${[...profile.consumes].join(', ')})`,
    };
  }
  const accepts = profile.accepts?.[type];
  const sendVersion = chooseVersion(spec, type, version, accepts);
  if (sendVersion === undefined) {
    return {
      ok: false,
      code: 'version',
      reason: `${type} v${version}: ${profile.name} accepts versions ${accepts?.join(', ')} and no cast reaches them`,
    };
  }
  if (sendVersion !== version) data = castPayload(type, spec.bridge.serviceEvents[type], data, version, sendVersion);
  const metadata: ShadowMetadata = {
    eventId: deterministicId('replay', mark.replayEventId, type),
    eventType: type,
    version: sendVersion,
    correlationId,
    causationId,
    origin: 'legacy',
    producer: REPLAY_SOURCE,
    occurredAt: new Date(Date.parse(input.capturedAt)).toISOString(),
    entity: { type: input.entity.type, key: input.entity.key },
    replay: mark,
  };
  return {
    ok: true,
    event: {
      version: '0',
      id: mark.replayEventId,
      source: REPLAY_SOURCE,
      'detail-type': type,
      time: metadata.occurredAt,
      account: '',
      region: '',
      resources: [],
      detail: { metadata, data },
    },
  };
}

/** The replay mark of an incoming event, if it carries one (a service in shadow mode reads it). */
export function replayMarkOf(detail: unknown): ReplayMark | undefined {
  if (!detail || typeof detail !== 'object') return undefined;
  const meta = (detail as { metadata?: { replay?: unknown } }).metadata;
  const r = meta?.replay as Partial<ReplayMark> | undefined;
  if (!r || typeof r !== 'object' || typeof r.replayId !== 'string' || typeof r.interactionId !== 'string') return undefined;
  return {
    replayId: r.replayId,
    interactionId: r.interactionId,
    replayEventId: typeof r.replayEventId === 'string' ? r.replayEventId : `${r.replayId}:${r.interactionId}`,
    mode: 'shadow',
  };
}

export type { ServiceEvent };
