/**
 * How entries sit in the audit table: partition `stream`, sort key `sk`. Entries are `S#<sequence, 12
 * digits>` so they sort by sequence; de-duplication markers are `E#<eventId>` and sort before every entry,
 * so "the last S# item" is the chain head.
 */
export const SEQUENCE_WIDTH = 12;
export const ENTRY_PREFIX = 'S#';
export const MARKER_PREFIX = 'E#';
/** The stream of events that name no correlation and no known entity. */
export const UNCORRELATED_STREAM = 'uncorrelated';

export function entrySortKey(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence >= 10 ** SEQUENCE_WIDTH) {
    throw new RangeError(`audit sequence must be a whole number from 1 to ${10 ** SEQUENCE_WIDTH - 1}, got ${sequence}`);
  }
  return `${ENTRY_PREFIX}${String(sequence).padStart(SEQUENCE_WIDTH, '0')}`;
}

export function markerSortKey(eventId: string): string {
  if (eventId.length === 0) throw new RangeError('audit eventId must not be empty');
  return `${MARKER_PREFIX}${eventId}`;
}

/** The sequence an entry sort key names, or undefined for a marker or a malformed key. */
export function sequenceOf(sortKey: string): number | undefined {
  if (!sortKey.startsWith(ENTRY_PREFIX)) return undefined;
  const digits = sortKey.slice(ENTRY_PREFIX.length);
  return /^[0-9]+$/.test(digits) ? Number(digits) : undefined;
}
