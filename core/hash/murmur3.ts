/**
 * MurmurHash3 x86_32 (Austin Appleby's reference, public domain) and its 32-bit finaliser, the one
 * implementation every hash in core uses: the migration digests and bucket placement (core/migration) and
 * the avalanche step of routing's sticky buckets (core/routing/bucket.ts).
 *
 * Strings are hashed over their UTF-16LE bytes: two code units read as one little-endian 32-bit block is
 * exactly the reference algorithm over that encoding, with no encoder and no allocation. The published
 * vectors are byte vectors, so a text whose UTF-16LE bytes are those bytes gives the published value.
 *
 * The block steps are exported for the migration's JSON line scanner, which hashes a string value in the
 * same pass that looks for its closing quote; they are small enough for V8 to inline.
 */

// A module binding, not a global lookup: inside vm contexts (jest) each `Math.` access is ~20x slower.
const imul = Math.imul;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Two 32-bit hashes of the same bytes (two seeds: 64 bits), as unsigned integers. */
export interface HashPair {
  hi: number;
  lo: number;
}

/** One 32-bit block scrambled before it enters the state (`k1` in the reference): ×c1, rotl 15, ×c2. */
export function murmur3Scramble(k: number): number {
  k = imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return imul(k, C2);
}

/** One body round over a scrambled block: xor, rotl 13, ×5 + 0xe6546b64. Signed 32-bit in and out. */
export function murmur3Round(h: number, scrambled: number): number {
  h ^= scrambled;
  h = (h << 13) | (h >>> 19);
  return (imul(h, 5) + 0xe6546b64) | 0;
}

/** The finaliser as a signed 32-bit integer: the same bits as fmix32, kept small-integer on hot paths. */
export function fmix32Signed(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** MurmurHash3's 32-bit finaliser (fmix32): every input bit affects every output bit. Unsigned. */
export function fmix32(h: number): number {
  return fmix32Signed(h) >>> 0;
}

/** MurmurHash3 x86_32 of the UTF-16LE bytes of `text[start, end)` under `seed`, unsigned. */
export function murmur3Range(text: string, start: number, end: number, seed: number): number {
  let h = seed | 0;
  let i = start;
  for (; i + 1 < end; i += 2) {
    h = murmur3Round(h, murmur3Scramble(text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)));
  }
  if (i < end) h ^= murmur3Scramble(text.charCodeAt(i));
  return fmix32(h ^ ((end - start) * 2));
}

/** MurmurHash3 x86_32 of the UTF-16LE bytes of `text` under `seed` (default 0), unsigned. */
export function murmur3(text: string, seed = 0): number {
  return murmur3Range(text, 0, text.length, seed);
}

/**
 * MurmurHash3 x86_32 of the UTF-16LE bytes of `text[start, end)` under two seeds in one pass, written to
 * `out` (hi under `seedHi`, lo under `seedLo`): the caller keeps one `out` so a hot loop allocates nothing.
 */
export function murmur3x2(text: string, start: number, end: number, seedHi: number, seedLo: number, out: HashPair): void {
  let h1 = seedHi | 0;
  let h2 = seedLo | 0;
  let i = start;
  for (; i + 1 < end; i += 2) {
    const k = murmur3Scramble(text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
    h1 = murmur3Round(h1, k);
    h2 = murmur3Round(h2, k);
  }
  if (i < end) {
    const k = murmur3Scramble(text.charCodeAt(i));
    h1 ^= k;
    h2 ^= k;
  }
  const n = (end - start) * 2;
  out.hi = fmix32(h1 ^ n);
  out.lo = fmix32(h2 ^ n);
}
