/**
 * The PutEvents limits, pure: how EventBridge sizes an entry, how entries are grouped into requests, which
 * entry error codes are worth another attempt. adapters/aws/event-publisher.ts is the one sender built on
 * them.
 */

/** EventBridge refuses a PutEvents request, and so any single entry, above 256 KiB. */
export const MAX_PUT_BYTES = 256 * 1024;
/** PutEvents takes at most ten entries. */
export const MAX_PUT_ENTRIES = 10;

/**
 * Entry error codes that say "not now" rather than "never": throttling and the service's own failures.
 * Anything else (a malformed entry, a missing bus, access denied) fails the same way every time.
 */
export const RETRYABLE_PUT_CODES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

export function isRetryablePutCode(code: string): boolean {
  return RETRYABLE_PUT_CODES.has(code);
}

/** The fields of an entry EventBridge counts towards the limit. */
export interface PutEntryShape {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
}

/**
 * The size EventBridge counts for one entry: source, detail-type, detail and resources in UTF-8 bytes, plus
 * 14 bytes for the time (counted whether or not the entry sets it, so the figure never undercounts).
 */
export function putEntrySize(entry: PutEntryShape): number {
  let size = 14 + Buffer.byteLength(entry.Source ?? '') + Buffer.byteLength(entry.DetailType ?? '') + Buffer.byteLength(entry.Detail ?? '');
  for (const r of entry.Resources ?? []) size += Buffer.byteLength(r);
  return size;
}

/**
 * Groups items, in order, into requests of at most `maxEntries` whose sizes add up to at most `maxBytes`.
 * An item larger than `maxBytes` on its own still gets a request of its own (the caller refuses those before).
 */
export function batchPutEntries<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxEntries = MAX_PUT_ENTRIES,
  maxBytes = MAX_PUT_BYTES,
): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (cur.length === maxEntries || (cur.length > 0 && bytes + size > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
