import { type ServiceEvent } from '../events/envelope';
import { eventBridgeFieldProblems } from '../events/envelope-schema';
import { describe, isIsoDateTime } from '../spec/transforms';
import { errorMessage, type DriftSeen, type QuarantineReason, type Translator } from './translator';

/** The clock by default: one function for every call (a default arrow would be a new closure per event). */
const systemNow = (): Date => new Date();

/** Which way a batch goes: events from the legacy bus to services, or from the services bus to legacy. */
export type Direction = 'toService' | 'toLegacy';

/** An event as it arrives from EventBridge, before anything about it is trusted. */
export interface IncomingEvent {
  /** The EventBridge id: stable across redeliveries of one put. */
  readonly id?: string;
  readonly source?: string;
  readonly detailType?: string;
  readonly time?: string;
  readonly detail: unknown;
}

export interface TranslatedItem {
  readonly index: number;
  readonly event: IncomingEvent;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly eventId: string;
  readonly correlationId: string;
}
export interface QuarantinedItem {
  readonly index: number;
  readonly event: IncomingEvent;
  readonly reason: QuarantineReason;
  readonly problems: readonly string[];
}
/** An event the loop guard refused: recorded by the bridge (quarantine reason `loop`), never just dropped. */
export interface IgnoredItem {
  readonly index: number;
  readonly event: IncomingEvent;
  readonly reason: 'loop';
  readonly problems: readonly string[];
}
/** Undeclared fields one event carried (schema drift), to be recorded whatever became of the event. */
export interface DriftItem {
  readonly index: number;
  readonly event: IncomingEvent;
  readonly drift: DriftSeen;
}

/** Every input lands in exactly one of the first three lists: `in = translated + quarantined + ignored`. */
export interface BatchOutcome {
  readonly translated: TranslatedItem[];
  readonly quarantined: QuarantinedItem[];
  readonly ignored: IgnoredItem[];
  /** Besides the above: the events that carried unknown fields. */
  readonly drift: DriftItem[];
}

/**
 * Translates a batch without ever throwing for a bad event: anything the translator cannot turn into a
 * valid event on the other side is returned for quarantine with the reason. Only a bug in the translator
 * itself (an exception it did not expect) is also caught and quarantined as `untranslatable`, so one
 * poisonous event cannot stop the rest.
 */
export function translateBatch(
  translator: Translator,
  direction: Direction,
  events: readonly IncomingEvent[],
  now: () => Date = systemNow,
): BatchOutcome {
  const out: BatchOutcome = { translated: [], quarantined: [], ignored: [], drift: [] };
  events.forEach((event, index) => {
    const result = translateOne(translator, direction, event, now);
    if (result.status === 'translated') out.translated.push({ index, event, ...result.item });
    else if (result.status === 'quarantine') out.quarantined.push({ index, event, reason: result.reason, problems: result.problems });
    else out.ignored.push({ index, event, reason: 'loop', problems: result.problems });
    if (result.drift) out.drift.push({ index, event, drift: result.drift });
  });
  return out;
}

type OneOutcome =
  | { status: 'translated'; item: Omit<TranslatedItem, 'index' | 'event'>; drift?: DriftSeen }
  | { status: 'quarantine'; reason: QuarantineReason; problems: readonly string[]; drift?: DriftSeen }
  | { status: 'ignored'; problems: readonly string[]; drift?: undefined };

/** One event; the same rules as `translateBatch`. */
export function translateOne(translator: Translator, direction: Direction, event: IncomingEvent, now: () => Date = systemNow): OneOutcome {
  // The EventBridge fields are checked first: source decides origin, id and time name the record.
  const fields = eventBridgeFieldProblems(event);
  if (fields.length > 0) return { status: 'quarantine', reason: 'envelope', problems: fields };
  // Without a source nothing can say who produced the event, so nothing can say its origin.
  if (event.source === undefined)
    return { status: 'quarantine', reason: 'envelope', problems: ['source: missing; the bridge decides origin from it'] };
  const detail = event.detail;
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { status: 'quarantine', reason: 'schema', problems: [`detail: expected a JSON object, got ${describe(detail)}`] };
  }
  // The time the source event happened, so a redelivery translates to the very same event. EventBridge
  // writes it as YYYY-MM-DDTHH:MM:SSZ: that is turned into toISOString's form as text, without a Date.
  const occurredAt = isoTextOf(event.time);
  const ctx =
    occurredAt !== undefined
      ? { now: now(), occurredAt, transportId: event.id, source: event.source }
      : { now: eventTime(event.time) ?? now(), transportId: event.id, source: event.source };
  try {
    if (direction === 'toService') {
      if (typeof event.detailType !== 'string' || event.detailType.length === 0) {
        return { status: 'quarantine', reason: 'unknown-type', problems: ['detail-type: missing'] };
      }
      const r = translator.toService(event.detailType, detail as Record<string, unknown>, ctx);
      if (r.status === 'translated') {
        return {
          status: 'translated',
          item: {
            detailType: r.detailType,
            detail: r.detail as unknown as Record<string, unknown>,
            eventId: r.eventId,
            correlationId: r.correlationId,
          },
          drift: r.drift,
        };
      }
      if (r.status === 'quarantine') return r;
      return { status: 'ignored', problems: r.problems };
    }
    const metadata = (detail as { metadata?: { eventType?: unknown } }).metadata;
    if (event.detailType !== undefined && metadata && typeof metadata === 'object' && event.detailType !== metadata.eventType) {
      return {
        status: 'quarantine',
        reason: 'envelope',
        problems: [`detail-type: ${describe(event.detailType)} differs from metadata.eventType ${describe(metadata.eventType)}`],
      };
    }
    const r = translator.toLegacy(detail as ServiceEvent, ctx);
    if (r.status === 'translated')
      return {
        status: 'translated',
        item: { detailType: r.detailType, detail: r.detail, eventId: r.eventId, correlationId: r.correlationId },
        drift: r.drift,
      };
    if (r.status === 'quarantine') return r;
    return { status: 'ignored', problems: r.problems };
  } catch (err) {
    return { status: 'quarantine', reason: 'untranslatable', problems: [`translator failed: ${errorMessage(err)}`] };
  }
}

/** `new Date(time).toISOString()` for the shapes EventBridge writes, computed on the text; else undefined. */
export function isoTextOf(time: string | undefined): string | undefined {
  if (typeof time !== 'string') return undefined;
  if (time.length === 20 && isIsoDateTime(time, false)) return `${time.slice(0, 19)}.000Z`;
  if (time.length === 24 && isIsoDateTime(time, true)) return time;
  return undefined;
}

function eventTime(time: string | undefined): Date | undefined {
  if (typeof time !== 'string') return undefined;
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
