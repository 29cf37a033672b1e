import * as crypto from 'node:crypto';
import type { RoutingStamp } from '../routing/plan';

/** The key under which the bridge stamps its metadata on a legacy-shaped event. Legacy schemas ignore it. */
export const LEGACY_META_KEY = '_cutover';

/** EventBridge `source` of everything the bridge itself puts on a bus. Translator rules never match it. */
export const BRIDGE_SOURCE = 'cutover.bridge';

export type Origin = 'legacy' | 'service';

export interface EventMetadata {
  /** Deterministic for translated events: a redelivered source event gives the same id. */
  readonly eventId: string;
  readonly eventType: string;
  readonly version: number;
  /** One business transaction (e.g. one order): kept across translations and saga steps. */
  readonly correlationId: string;
  /** The id of the event this one was made from. */
  readonly causationId?: string;
  /** Which side of the migration first produced the fact. A translated event keeps its source's origin. */
  readonly origin: Origin;
  readonly producer: string;
  readonly occurredAt: string;
  readonly entity: { readonly type: string; readonly key: string };
  /** Present on replayed events: nothing downstream may mistake them for live traffic. */
  readonly replay?: { readonly replayId: string };
  /**
   * Set by the router on each copy it delivers (see core/routing/plan.ts): which capability, side, role
   * and target, the sticky bucket (0-99), the table revision the decision used, and when it was made.
   * Consumers let effects count only when `role` is `authoritative`; a `shadow` copy's effects stay isolated.
   */
  readonly routing?: RoutingStamp & { readonly routedAt?: string };
}

/** The `detail` of every service event on the services bus. */
export interface ServiceEvent<T extends Record<string, unknown> = Record<string, unknown>> {
  readonly metadata: EventMetadata;
  readonly data: T;
}

/** What the bridge adds to a legacy-shaped event it emits (service -> legacy). */
export interface LegacyMeta {
  readonly origin: Origin;
  readonly eventId: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly serviceEventType?: string;
}

/** One-shot hashing where Node has it (20.12+, 22): noticeably cheaper per event than createHash. */
const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'buffer') : (text) => crypto.createHash('sha256').update(text).digest();

/**
 * A name-based UUID (version 5 layout over SHA-256): the same inputs always give the same id, so a
 * translation of a redelivered event carries the id of the first delivery and consumers can de-duplicate.
 */
export function deterministicId(...parts: readonly string[]): string {
  const h = sha256(parts.join('\u001f'));
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function isServiceEvent(detail: unknown): detail is ServiceEvent {
  if (!detail || typeof detail !== 'object') return false;
  const m = (detail as { metadata?: unknown }).metadata as Record<string, unknown> | undefined;
  return (
    !!m &&
    typeof m === 'object' &&
    typeof m.eventId === 'string' &&
    typeof m.eventType === 'string' &&
    typeof m.version === 'number' &&
    typeof (detail as { data?: unknown }).data === 'object'
  );
}
