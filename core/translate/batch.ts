import { BRIDGE_SOURCE, isServiceEvent, type ServiceEvent } from '../events/envelope';
import { describe, isIsoDateTime } from '../spec/transforms';
import { errorMessage, type QuarantineReason, type Translator } from './translator';

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
export interface IgnoredItem {
  readonly index: number;
  readonly event: IncomingEvent;
  readonly reason: 'loop';
}

/** Every input lands in exactly one list: `in = translated + quarantined + ignored`. */
export interface BatchOutcome {
  readonly translated: TranslatedItem[];
  readonly quarantined: QuarantinedItem[];
  readonly ignored: IgnoredItem[];
}

/**
 * Translates a batch without ever throwing for a bad event: anything the translator cannot turn into a
 * valid event on the other side is returned for quarantine with the reason. Only a bug in the translator
 * itself (an exception it did not expect) is also caught and quarantined as `untranslatable`, so one
 * poisonous event cannot stop the rest.
 */
export function translateBatch(translator: Translator, direction: Direction, events: readonly IncomingEvent[], now: () => Date = () => new Date()): BatchOutcome {
  const out: BatchOutcome = { translated: [], quarantined: [], ignored: [] };
  events.forEach((event, index) => {
    const result = translateOne(translator, direction, event, now);
    if (result.status === 'translated') out.translated.push({ index, event, ...result.item });
    else if (result.status === 'quarantine') out.quarantined.push({ index, event, reason: result.reason, problems: result.problems });
    else out.ignored.push({ index, event, reason: 'loop' });
  });
  return out;
}

type OneOutcome =
  | { status: 'translated'; item: Omit<TranslatedItem, 'index' | 'event'> }
  | { status: 'quarantine'; reason: QuarantineReason; problems: readonly string[] }
  | { status: 'ignored' };

/** One event; the same rules as `translateBatch`. */
export function translateOne(translator: Translator, direction: Direction, event: IncomingEvent, now: () => Date = () => new Date()): OneOutcome {
  // Second line of defence against loops: the rules already never route the bridge's own events here.
  if (event.source === BRIDGE_SOURCE) return { status: 'ignored' };
  const detail = event.detail;
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { status: 'quarantine', reason: 'schema', problems: [`detail: expected a JSON object, got ${describe(detail)}`] };
  }
  // The time the source event happened, so a redelivery translates to the very same event. EventBridge
  // writes it as YYYY-MM-DDTHH:MM:SSZ: that is turned into toISOString's form as text, without a Date.
  const occurredAt = isoTextOf(event.time);
  const ctx = occurredAt !== undefined ? { now: now(), occurredAt, transportId: event.id } : { now: eventTime(event.time) ?? now(), transportId: event.id };
  try {
    if (direction === 'toService') {
      if (typeof event.detailType !== 'string' || event.detailType.length === 0) {
        return { status: 'quarantine', reason: 'unknown-type', problems: ['detail-type: missing'] };
      }
      const r = translator.toService(event.detailType, detail as Record<string, unknown>, ctx);
      if (r.status === 'translated') return { status: 'translated', item: { detailType: r.detailType, detail: r.detail as unknown as Record<string, unknown>, eventId: r.eventId, correlationId: r.correlationId } };
      if (r.status === 'quarantine') return r;
      return { status: 'ignored' };
    }
    if (!isServiceEvent(detail)) {
      return {
        status: 'quarantine',
        reason: 'schema',
        problems: [`detail: expected a service event {metadata: {eventId, eventType, version, ...}, data: {...}}, got ${describe(detail)}`],
      };
    }
    const metaProblems = checkMetadata(detail.metadata as unknown as Record<string, unknown>);
    if (metaProblems.length > 0) return { status: 'quarantine', reason: 'schema', problems: metaProblems };
    if (event.detailType !== undefined && event.detailType !== detail.metadata.eventType) {
      return {
        status: 'quarantine',
        reason: 'schema',
        problems: [`detail-type: ${JSON.stringify(event.detailType)} differs from metadata.eventType ${JSON.stringify(detail.metadata.eventType)}`],
      };
    }
    const r = translator.toLegacy(detail as ServiceEvent, ctx);
    if (r.status === 'translated') return { status: 'translated', item: { detailType: r.detailType, detail: r.detail, eventId: r.eventId, correlationId: r.correlationId } };
    if (r.status === 'quarantine') return r;
    return { status: 'ignored' };
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

/** The metadata fields the way back relies on: a translated event must keep its correlation and origin. */
function checkMetadata(m: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of ['eventId', 'eventType', 'correlationId']) {
    if (typeof m[key] !== 'string' || (m[key] as string).length === 0) problems.push(`metadata.${key}: expected a non-empty string, got ${describe(m[key])}`);
  }
  if (!Number.isInteger(m.version) || (m.version as number) < 1) problems.push(`metadata.version: expected a whole number from 1, got ${describe(m.version)}`);
  if (m.origin !== 'legacy' && m.origin !== 'service') problems.push(`metadata.origin: expected "legacy" or "service", got ${describe(m.origin)}`);
  return problems;
}
