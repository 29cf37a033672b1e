import { CutoverError } from '../errors';
import { deterministicId } from '../events/envelope';
import { canonicalJson } from '../canonical-json';
import type { Spec } from '../spec/schema';
import { toIncoming } from '../translate/incoming';
import { sha256Hex } from './bounds';
import { auditStreamFor } from './stream';

/*
 * How an event travels from a bus to the audit writer: catch-all rule -> the bus's intake queue (standard)
 * -> the sequencer, which names each event's audit stream -> the ordered queue (SQS FIFO, one message group
 * per audit stream, the event id as deduplication id) -> the writer, in batches.
 * EventBridge can only give a FIFO target one fixed MessageGroupId per target, so the rule cannot group by
 * stream itself; the sequencer is that step (it runs in batches, so it costs a fraction of an invocation
 * per event).
 */

/** What SQS accepts as a MessageGroupId / MessageDeduplicationId: 1 to 128 printable ASCII characters. */
const SQS_ID = /^[\x21-\x7e]{1,128}$/;

/** The message the sequencer sends and the writer reads. */
export interface AuditQueueMessage {
  /** The bus label the event was seen on (`legacy`, `services`): recorded in the entry. */
  readonly bus: string;
  /** The EventBridge event, as the rule delivered it. */
  readonly event: unknown;
}

/** An ordered-queue message ready to send: its group (the audit stream) and deduplication id (the event id). */
export interface AuditQueueEntry {
  readonly groupId: string;
  readonly deduplicationId: string;
  readonly body: string;
  readonly stream: string;
  readonly eventId: string;
}

/** An ordered-queue message the writer cannot read; `context.field` names the field that is wrong. */
export class AuditQueueMessageError extends CutoverError {}

/** A value fit for an SQS id: itself when it is one, else `sha256~<hex>` of it (stable, 71 characters). */
export function sqsIdFor(value: string): string {
  return SQS_ID.test(value) ? value : `sha256~${sha256Hex(value)}`;
}

/**
 * The audit id of an event: its EventBridge id, or for an event without one a digest of the whole event, so a
 * redelivery of it still finds its first append.
 */
export function auditEventIdOf(raw: unknown): string {
  const id = toIncoming(raw).id;
  if (id !== undefined && id.length > 0) return id;
  let text: string;
  try {
    text = canonicalJson(raw);
  } catch {
    text = String(raw);
  }
  return deterministicId('audit-no-id', text);
}

/** Places one bus event on the ordered queue: the group is its audit stream, the deduplication id its event id. */
export function auditQueueEntryFor(spec: Pick<Spec, 'bridge'>, raw: unknown, bus: string): AuditQueueEntry {
  const stream = auditStreamFor(spec, toIncoming(raw));
  const eventId = auditEventIdOf(raw);
  const message: AuditQueueMessage = { bus, event: raw };
  return { groupId: sqsIdFor(stream), deduplicationId: sqsIdFor(eventId), body: JSON.stringify(message), stream, eventId };
}

/** Reads an ordered-queue message body; throws AuditQueueMessageError naming the field that is wrong. */
export function parseAuditQueueMessage(body: string): AuditQueueMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new AuditQueueMessageError(`audit queue message: body is not JSON (${(err as Error).message}): ${body.slice(0, 120)}`, {
      field: 'body',
    });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new AuditQueueMessageError(`audit queue message: body must be an object, got ${body.slice(0, 120)}`, { field: 'body' });
  const { bus, event } = parsed as Record<string, unknown>;
  if (typeof bus !== 'string' || bus.length === 0)
    throw new AuditQueueMessageError(`audit queue message: bus must be a non-empty string, got ${JSON.stringify(bus)}`, { field: 'bus' });
  if (event === undefined) throw new AuditQueueMessageError('audit queue message: event is missing', { field: 'event' });
  return { bus, event };
}
