import type { IncomingEvent } from './batch';

/** The minimal shape of an EventBridge event as Lambda receives it; everything is checked before use. */
export interface EventBridgeLike {
  readonly id?: string;
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly time?: string;
  readonly detail?: unknown;
}

/** Reads an EventBridge event defensively: a missing or odd field becomes undefined, never a crash. */
export function toIncoming(raw: unknown): IncomingEvent {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { detail: raw };
  const e = raw as EventBridgeLike;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return { id: str(e.id), source: str(e.source), detailType: str(e['detail-type']), time: str(e.time), detail: e.detail };
}
