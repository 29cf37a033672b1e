import { createHash } from 'node:crypto';

/*
 * The service limits a record derived from input must fit, and how a value that does not fit is kept
 * anyway. A store never throws because a business value is too long: an input-derived key over its limit is
 * replaced by a hash of it (the original kept in an attribute), and an oversized item keeps a bounded head
 * of the long text with its size and hash.
 */

/** DynamoDB: a partition key value is at most 2,048 bytes, a sort key value 1,024, an item 400 KB. */
export const DYNAMODB_LIMITS = { partitionKey: 2048, sortKey: 1024, item: 400 * 1024 } as const;
/** EventBridge: one PutEvents entry (and request) is at most 256 KiB. */
export const EVENTBRIDGE_MAX_ENTRY_BYTES = 256 * 1024;

/**
 * Where a key is cut: well under the limits so a prefix (`E#`, `quarantine:`, a time) still fits, and short
 * enough that a hashed key is obviously one.
 */
export const MAX_KEY_PART_BYTES = 512;
/** The budget an item keeps for a long text field once it is cut: the item stays far from 400 KB. */
export const MAX_TEXT_BYTES = 300 * 1024;
/** What is kept of an original key that was hashed. */
export const MAX_ORIGINAL_KEY_BYTES = 16 * 1024;
/** A quarantine or audit record lists at most this many problems (the rest are counted). */
export const MAX_PROBLEMS = 100;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Marks a key that stands for a longer one. Never produced by a short key, so the two never collide. */
export const HASHED_KEY_PREFIX = 'sha256~';

/**
 * `key` itself when it fits in `maxBytes` and holds nothing a key must not (control characters make keys
 * unreadable in every console), else `sha256~<hex of key>`. Deterministic: a redelivery lands on the same key.
 */
export function boundedKey(key: string, maxBytes: number = MAX_KEY_PART_BYTES): string {
  // eslint-disable-next-line no-control-regex
  if (utf8Bytes(key) <= maxBytes && !/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(key) && !key.startsWith(HASHED_KEY_PREFIX))
    return key;
  return `${HASHED_KEY_PREFIX}${sha256Hex(key)}`;
}

/** The UTF-8 prefix of `text` of at most `maxBytes` bytes, cut on a character boundary. */
export function utf8Head(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let head = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD at the end: drop it.
  while (head.endsWith('\ufffd')) head = head.slice(0, -1);
  return head;
}

/** A long text cut to fit: its head, how long it was, and its hash, so it can be matched to its original. */
export interface CutText {
  readonly text: string;
  /** Present when the text was cut. */
  readonly cut?: { readonly bytes: number; readonly sha256: string };
}

export function boundedText(text: string, maxBytes: number = MAX_TEXT_BYTES): CutText {
  const bytes = utf8Bytes(text);
  if (bytes <= maxBytes) return { text };
  return { text: utf8Head(text, maxBytes), cut: { bytes, sha256: sha256Hex(text) } };
}

/** At most MAX_PROBLEMS problems, each at most 2 KB, with a last line counting the ones left out. */
export function boundedProblems(problems: readonly string[]): string[] {
  const kept = problems.slice(0, MAX_PROBLEMS).map((p) => utf8Head(p, 2048));
  if (problems.length > MAX_PROBLEMS) kept.push(`... and ${problems.length - MAX_PROBLEMS} more problems`);
  return kept;
}

/** The original of a hashed key, bounded, for the attribute that keeps it. */
export function originalKey(key: string): string {
  return utf8Head(key, MAX_ORIGINAL_KEY_BYTES);
}
