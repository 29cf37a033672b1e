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

/**
 * SHA-256 as hex. One-shot hashing to a string where Node has it (20.12+, 22): a Buffer result costs about
 * three times the hash itself, and this runs for every translated event.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * A name-based UUID (version 5 layout over SHA-256): the same inputs always give the same id, so a
 * translation of a redelivered event carries the id of the first delivery and consumers can de-duplicate.
 */
export function deterministicId(...parts: readonly string[]): string {
  const hex = sha256Hex(parts.join('\u001f'));
  // Version nibble 5 (byte 6), variant bits 10xx (byte 8), on the hex digits directly.
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
