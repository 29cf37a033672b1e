import { CutoverError } from '../errors';
import type { CapturedInteraction, RecordedEvent } from './captured';

/**
 * Key layout of the CapturedEvents table (one item per captured event), shared by the capture writer and
 * the replay/export reader so both agree:
 *
 *   input event    pk = ENTITY#<entityType>#<entityKey>   sk = <capturedAt ISO>#<sequence, 12 digits>#<eventId>
 *                  gsi1pk = HOUR#<YYYY-MM-DDTHH> (UTC)     gsi1sk = sk        (index `byTime`: time-window reads)
 *   outcome event  pk = CORR#<correlationId>              sk = <capturedAt ISO>#<sequence>#<eventId>
 *
 * An entity's inputs read back in original order with one Query on its pk (sk sorts by time, then capture
 * sequence). A time window reads the hour buckets it spans on `byTime`. An input's outcomes are the items
 * under its correlationId, which is all the capture writer knows when an outcome arrives (the monolith
 * does not say which entity an outcome belongs to). Every item carries `expiresAt` (TTL, epoch seconds).
 */
export interface CapturedEventRecord {
  readonly role: 'input' | 'outcome';
  readonly eventId: string;
  readonly correlationId: string;
  /** ISO 8601, UTC. */
  readonly capturedAt: string;
  readonly sequence?: number;
  /** Required for inputs: the entity whose order the event belongs to. */
  readonly entity?: { readonly type: string; readonly key: string };
  readonly event: RecordedEvent;
}

export interface CapturedItemKeys {
  readonly pk: string;
  readonly sk: string;
  readonly gsi1pk?: string;
  readonly gsi1sk?: string;
}

export class CapturedKeyError extends CutoverError {}

function isoUtc(capturedAt: string): string {
  const ms = Date.parse(capturedAt);
  if (!Number.isFinite(ms))
    throw new CapturedKeyError(`capturedAt must be an ISO 8601 time, got ${JSON.stringify(capturedAt)}`, {
      field: 'capturedAt',
      value: capturedAt,
    });
  return new Date(ms).toISOString();
}

function sortKey(r: CapturedEventRecord): string {
  const seq = r.sequence ?? 0;
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new CapturedKeyError(`sequence must be a whole number from 0, got ${String(seq)}`, { field: 'sequence', value: seq });
  return `${isoUtc(r.capturedAt)}#${String(seq).padStart(12, '0')}#${r.eventId}`;
}

/** The hour bucket (`HOUR#2026-03-01T10`) an instant falls in. */
export function hourBucket(ms: number): string {
  return `HOUR#${new Date(ms).toISOString().slice(0, 13)}`;
}

/** Every hour bucket a window [from, to) touches, oldest first. */
export function hourBuckets(fromMs: number, toMs: number): string[] {
  if (!(Number.isFinite(fromMs) && Number.isFinite(toMs)) || fromMs >= toMs) {
    throw new CapturedKeyError(`a time window needs from < to, got ${fromMs} and ${toMs}`, { fromMs, toMs });
  }
  const out: string[] = [];
  const hour = 3600_000;
  for (let t = Math.floor(fromMs / hour) * hour; t < toMs; t += hour) out.push(hourBucket(t));
  return out;
}

export function capturedItemKeys(r: CapturedEventRecord): CapturedItemKeys {
  if (!r.eventId) throw new CapturedKeyError('eventId is missing', { field: 'eventId' });
  if (!r.correlationId) throw new CapturedKeyError(`${r.eventId}: correlationId is missing`, { field: 'correlationId' });
  const sk = sortKey(r);
  if (r.role === 'outcome') return { pk: `CORR#${r.correlationId}`, sk };
  if (!r.entity) throw new CapturedKeyError(`${r.eventId}: an input event needs an entity`, { field: 'entity' });
  return { pk: `ENTITY#${r.entity.type}#${r.entity.key}`, sk, gsi1pk: hourBucket(Date.parse(r.capturedAt)), gsi1sk: sk };
}

/**
 * Build the interaction of one input from its outcome records (any order; sorted here by capture order).
 * Outcomes of another correlationId are a caller bug and throw.
 */
export function assembleInteraction(input: CapturedEventRecord, outcomes: readonly CapturedEventRecord[]): CapturedInteraction {
  if (input.role !== 'input') throw new CapturedKeyError(`${input.eventId}: expected an input record, got ${input.role}`);
  if (!input.entity) throw new CapturedKeyError(`${input.eventId}: an input event needs an entity`, { field: 'entity' });
  const mine = [...outcomes].map((o) => {
    if (o.correlationId !== input.correlationId) {
      throw new CapturedKeyError(
        `${o.eventId}: correlationId ${o.correlationId} does not match input ${input.eventId} (${input.correlationId})`,
      );
    }
    return { o, sk: sortKey(o) };
  });
  mine.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  return {
    format: 1,
    id: input.eventId,
    capturedAt: isoUtc(input.capturedAt),
    ...(input.sequence !== undefined ? { sequence: input.sequence } : {}),
    correlationId: input.correlationId,
    entity: { type: input.entity.type, key: input.entity.key },
    input: input.event,
    outcomes: mine.map((m) => m.o.event),
  };
}
