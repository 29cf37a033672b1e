import * as hash from '../hash/murmur3';
import type { HashPair } from '../hash/murmur3';

/**
 * Row digests for verification. The digest of a canonical text is two MurmurHash3 x86_32 values over the
 * UTF-16LE bytes of the text, with seeds 0 and 0x9747b28c: 64 bits, reproducible in any language from
 * the published algorithm, and about three times faster in JavaScript than creating a `crypto` hash per row
 * (a million rows is the normal case). It detects accidental differences, which is its job; it is not a
 * defence against someone forging rows, which the audit log's hash chain covers.
 *
 * The hash is core/hash/murmur3.ts (UTF-16LE, so the tests check it against a byte-wise reference).
 */
export const DIGEST_SEEDS = [0, 0x9747b28c] as const;

/** A 64-bit digest as two unsigned 32-bit halves. */
export interface Digest {
  readonly hi: number;
  readonly lo: number;
}

// Read once, not per call: through tsx or jest (CommonJS) each `import` use is a getter (see digest.ts).
const { murmur3, murmur3x2 } = hash;
const scratch: HashPair = { hi: 0, lo: 0 };

/** MurmurHash3 x86_32 of the UTF-16LE bytes of `text`, with both seeds at once. */
export function digestText(text: string): Digest {
  murmur3x2(text, 0, text.length, DIGEST_SEEDS[0], DIGEST_SEEDS[1], scratch);
  return { hi: scratch.hi, lo: scratch.lo };
}

/** The first half only: cheap bucket placement of a key. */
export function hash32(text: string): number {
  return murmur3(text, DIGEST_SEEDS[0]);
}

/** Two hex digits per byte value: verify spells a digest for every item on both sides. */
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 16 lower-case hex digits, hi then lo (each half zero-padded to 8): a byte table, not toString + padStart. */
export function digestHex(d: Digest): string {
  const h = d.hi;
  const l = d.lo;
  return (
    HEX_BYTE[h >>> 24] +
    HEX_BYTE[(h >>> 16) & 255] +
    HEX_BYTE[(h >>> 8) & 255] +
    HEX_BYTE[h & 255] +
    HEX_BYTE[l >>> 24] +
    HEX_BYTE[(l >>> 16) & 255] +
    HEX_BYTE[(l >>> 8) & 255] +
    HEX_BYTE[l & 255]
  );
}

export function parseDigestHex(hex: string): Digest {
  return { hi: parseInt(hex.slice(0, 8), 16) >>> 0, lo: parseInt(hex.slice(8, 16), 16) >>> 0 };
}

/** Which of `buckets` buckets a key falls in. */
export function bucketOf(keyText: string, buckets: number): number {
  return hash32(keyText) % buckets;
}
