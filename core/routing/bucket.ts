import { fmix32Signed } from '../hash/murmur3';

export { fmix32 } from '../hash/murmur3';

/**
 * Sticky buckets. A sticky key (a customer id, an order id) is hashed into one of 100 buckets; a canary at
 * `percent` p sends buckets 0..p-1 to the candidate. Because the set of candidate buckets at p is a prefix
 * of the set at any larger p, raising the percent only ever moves keys from legacy to the candidate.
 *
 * The hash is part of the contract: changing it would move live customers between implementations in the
 * middle of a cutover. It is defined so that any language can reproduce it:
 *
 *   bytes  = UTF-8 encoding of the key (lone surrogates encode as U+FFFD, like TextEncoder)
 *   h      = FNV-1a 32-bit over bytes        (offset basis 0x811c9dc5, prime 0x01000193)
 *   h      = fmix32(h)                       (MurmurHash3's finaliser, core/hash/murmur3.ts: a full
 *                                           avalanche, cheap insurance for keys that differ only slightly)
 *   bucket = h mod 100                       (h read as an unsigned 32-bit integer)
 *
 * The modulo bias is 96 / 2^32 per bucket: negligible. The tests pin FNV-1a's published vectors and a set
 * of golden buckets so an accidental change fails loudly.
 */
export const BUCKETS = 100;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
// A module binding, not a global lookup: inside vm contexts (jest) each `Math.` access is ~20x slower.
const imul = Math.imul;

/** FNV-1a 32-bit over the UTF-8 bytes of `key`, as an unsigned integer. Encodes inline: no allocation. */
export function fnv1a32(key: string): number {
  return fnvSigned(key) >>> 0;
}

/** FNV-1a as a signed 32-bit integer: the same bits, kept as a small integer on the hot path. */
function fnvSigned(key: string): number {
  let h = FNV_OFFSET | 0;
  const n = key.length;
  // Keys are almost always ASCII: a tight loop for that, the UTF-8 encoder only from the first other char.
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return fnvUtf8(h, key, i);
    h = imul(h ^ c, FNV_PRIME);
  }
  return h;
}

/** Continue FNV-1a from state `h` at index `start`, encoding UTF-8 on the fly. */
function fnvUtf8(h: number, key: string, start: number): number {
  const n = key.length;
  for (let i = start; i < n; i++) {
    let c = key.charCodeAt(i);
    if (c < 0x80) {
      h = imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (c < 0x800) {
      h = imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME);
      h = imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? key.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        h = imul(h ^ (0xf0 | (cp >> 18)), FNV_PRIME);
        h = imul(h ^ (0x80 | ((cp >> 12) & 0x3f)), FNV_PRIME);
        h = imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
        h = imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
        continue;
      }
      c = 0xfffd; // a lone surrogate: encode the replacement character, as TextEncoder does
    }
    h = imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME);
    h = imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
    h = imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
  }
  return h;
}

/** The sticky bucket of a key: an integer 0..99, the same in every process and every release. */
export function bucketOf(key: string): number {
  const h = fmix32Signed(fnvSigned(key));
  // h mod 100 with h read as unsigned, in small-integer arithmetic: h = hi * 65536 + lo, so
  // h mod 100 = ((hi mod 100) * 65536 + lo) mod 100. Same value as `(h >>> 0) % 100`, without the
  // unsigned number that V8 would box as a double.
  return ((((h >>> 16) % BUCKETS) << 16) + (h & 0xffff)) % BUCKETS;
}

/** An EventBridge numeric matcher for buckets `lo <= bucket < hi`. */
export type BucketMatcher = { numeric: ['>=', number, '<', number] };

/**
 * The EventBridge content filter matching buckets in `[lo, hi)`, for a rule on `metadata.routing.bucket`
 * (the router stamps it on every event it forwards). Returns `undefined` for an empty range, which a rule
 * cannot express: the caller should leave that rule out (or disable it).
 */
export function bucketMatcher(lo: number, hi: number): BucketMatcher | undefined {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > BUCKETS || lo > hi) {
    throw new RangeError(`bucket range must be whole numbers with 0 <= lo <= hi <= ${BUCKETS}, got [${lo}, ${hi})`);
  }
  if (lo === hi) return undefined;
  return { numeric: ['>=', lo, '<', hi] };
}

/** The matchers for a canary at `percent`: candidate buckets `[0, percent)`, legacy buckets `[percent, 100)`. */
export function canaryMatchers(percent: number): { candidate?: BucketMatcher; legacy?: BucketMatcher } {
  return { candidate: bucketMatcher(0, percent), legacy: bucketMatcher(percent, BUCKETS) };
}
