import type { EventBridgeEvent } from 'aws-lambda';
import type { IncomingEvent } from './batch';

/**
 * An EventBridge event as Lambda receives it (the `aws-lambda` type), with every field optional: what
 * arrives is read defensively and checked before use. A type-only import: core stays free of runtime code.
 */
export type EventBridgeLike<TDetail = unknown> = Partial<
  Pick<EventBridgeEvent<string, TDetail>, 'id' | 'source' | 'detail-type' | 'time' | 'detail'>
>;

/** Reads an EventBridge event defensively: a missing or odd field becomes undefined, never a crash. */
export function toIncoming(raw: unknown): IncomingEvent {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { detail: raw };
  const e = raw as EventBridgeLike;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return { id: str(e.id), source: str(e.source), detailType: str(e['detail-type']), time: str(e.time), detail: e.detail };
}
