/**
 * Row digests for verification. The digest of a canonical text is two MurmurHash3 x86_32 values over the
 * UTF-16LE bytes of the text, with seeds 0 and 0x9747b28c: 64 bits, reproducible in any language from
 * the published algorithm, and about three times faster in JavaScript than creating a `crypto` hash per row
 * (a million rows is the normal case). It detects accidental differences, which is its job; it is not a
 * defence against someone forging rows, which the audit log's hash chain covers.
 *
 * Reading two UTF-16 code units as one little-endian 32-bit block is exactly MurmurHash3 over the UTF-16LE
 * encoding, so the tests check it against a byte-wise reference.
 */

export const DIGEST_SEEDS = [0, 0x9747b28c] as const;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 64-bit digest as two unsigned 32-bit halves. */
export interface Digest {
  readonly hi: number;
  readonly lo: number;
}

/** MurmurHash3 x86_32 of the UTF-16LE bytes of `text`, with both seeds at once. */
export function digestText(text: string): Digest {
  let h1 = DIGEST_SEEDS[0] | 0;
  let h2 = DIGEST_SEEDS[1] | 0;
  const n = text.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 ^= k;
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h1 ^= k;
    h2 ^= k;
  }
  const bytes = n * 2;
  return { hi: fmix(h1 ^ bytes), lo: fmix(h2 ^ bytes) };
}

/** The first half only: cheap bucket placement of a key. */
export function hash32(text: string): number {
  let h = 0;
  const n = text.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return fmix(h ^ (n * 2));
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
