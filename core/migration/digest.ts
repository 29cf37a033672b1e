import { canonicalNumber, truncateNumber, type AttributeValue, type Item } from './attribute-value';
import { toleranceStep, type CanonicalOptions } from './canonical';
import * as murmur3 from '../hash/murmur3';
import type { HashPair } from '../hash/murmur3';
import type { Digest } from './hash';

/**
 * Item digests for verification: a 64-bit hash of an item's canonical form (canonical.ts), computed from
 * the item's structure rather than from its canonical text. Two items have the same digest exactly when
 * they have the same canonical form (barring a 2^-64 accident): map keys in any order, sets in any order,
 * numbers in any spelling, and every value's type counts.
 *
 * How: each scalar is hashed with MurmurHash3 x86_32 (two seeds, so 64 bits) over its UTF-16 code units,
 * seeded by its type; a map is the sum (mod 2^32 per half) of its entries, each entry the mix of its key's
 * hash and its value's digest, so key order cannot matter and nothing needs sorting; a list mixes its
 * elements in order; a set sums its elements. Summing rather than hashing a sorted text is what makes this
 * fast: no key sorting, no text building, and attribute names are hashed once per name, not once per row.
 * That matters at a million rows a run on both sides of a verification.
 */

const imul = Math.imul;
// Module bindings of the hash steps, read once: run through tsx or jest (CommonJS), each `import` use is a
// getter on the other module's exports: read per block in a loop, that made makeDigester take ~1.35x the CPU.
const { fmix32, murmur3Round, murmur3Scramble, murmur3x2 } = murmur3;

// The digest of the value just visited, in two halves: module-level so the walk allocates nothing.
let outHi = 0;
let outLo = 0;
// murmur3x2's result, copied into outHi/outLo: one object for the module, never one per call.
const pair: HashPair = { hi: 0, lo: 0 };

/** MurmurHash3 x86_32 of `text`'s UTF-16LE bytes under seeds (a, b); sets outHi/outLo. */
function murmurPair(text: string, a: number, b: number): void {
  murmurRange(text, 0, text.length, a, b);
}

/** Mixes a pair into another under a tag; sets outHi/outLo. Not commutative: order counts. */
function mixPair(aHi: number, aLo: number, bHi: number, bLo: number, tag: number): void {
  outHi = fmix32((imul(aHi ^ tag, 0x9e3779b1) + bHi) | 0);
  outLo = fmix32((imul(aLo ^ tag, 0x85ebca77) + bLo + outHi) | 0);
}

// Type seeds: the same text as S, N or a key never hashes alike.
const SEED_S = [0x5a1c3e01, 0x2b7d4f91] as const;
const SEED_N = [0x7c2a9d33, 0x1f6e8b45] as const;
const SEED_B = [0x3d9f1a77, 0x6b2c5e19] as const;
const SEED_KEY = [0x4e8b2d61, 0x19a7c3f5] as const;
const TAG_M = 0x6d61700d;
const TAG_L = 0x6c697374;
const TAG_SS = 0x73733a53;
const TAG_NS = 0x6e733a4e;
const TAG_BS = 0x62733a42;
const TAG_ENTRY = 0x656e7472;
const TRUE_HI = 0x8f1bbcdc;
const TRUE_LO = 0x2e1b2138;
const FALSE_HI = 0x4d2604f9;
const FALSE_LO = 0x1c6ef372;
const NULL_HI = 0x5be0cd19;
const NULL_LO = 0x1f83d9ab;

type NumberSpeller = (text: string) => string;
type Loose = {
  S?: string;
  N?: string;
  BOOL?: boolean;
  NULL?: true;
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
  SS?: string[];
  NS?: string[];
  B?: Uint8Array | string;
  BS?: (Uint8Array | string)[];
};

/** Key hashes, once per distinct attribute name. */
class KeyHashes {
  private readonly hi = new Map<string, number>();
  private readonly lo = new Map<string, number>();
  public get(key: string): void {
    const h = this.hi.get(key);
    if (h !== undefined) {
      outHi = h;
      outLo = this.lo.get(key) as number;
      return;
    }
    murmurPair(key, SEED_KEY[0], SEED_KEY[1]);
    if (this.hi.size < 100_000) {
      this.hi.set(key, outHi);
      this.lo.set(key, outLo);
    }
  }
}

/** Plain integers ("42", "-7", not "042" or "10") are already in canonical digits: skip the parse. */
function fastNumber(text: string, slow: NumberSpeller): string {
  const n = text.length;
  if (n === 0 || n > 15) return slow(text);
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n || text.charCodeAt(i) === 48 || text.charCodeAt(n - 1) === 48) return slow(text);
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return slow(text);
  }
  return `${text}e0`;
}

function binary(b: Uint8Array | string): string {
  return typeof b === 'string' ? b : Buffer.from(b).toString('base64');
}

/** The path of values no rule can name (below the top level when every rule is top-level). */
const NO_PATH = '\u0000';

interface Walker {
  value(v: AttributeValue, path: string): void;
}

interface WalkRules {
  /** Spelling of the numbers at a path (tolerance), or undefined for exact. */
  speller(path: string): NumberSpeller | undefined;
  skip(path: string): boolean;
  /** Some rule names a nested path: build full path texts. */
  readonly nested: boolean;
  /** Some rule exists at all. */
  readonly any: boolean;
}

function makeWalker(keys: KeyHashes, rules: WalkRules): Walker {
  const number = (text: string, path: string) => {
    const s = rules.any ? rules.speller(path) : undefined;
    return s ? s(text) : fastNumber(text, canonicalNumber);
  };
  const sum = (texts: Iterable<string>, seed: readonly [number, number], tag: number) => {
    // Sets: distinct members, any order.
    let hi = 0;
    let lo = 0;
    let count = 0;
    for (const t of new Set(texts)) {
      murmurPair(t, seed[0], seed[1]);
      hi = (hi + outHi) | 0;
      lo = (lo + outLo) | 0;
      count++;
    }
    mixPair(hi, lo, count, count, tag);
  };
  const walker: Walker = {
    value(value, path) {
      const v = value as Loose;
      if (v.S !== undefined) {
        murmurPair(v.S, SEED_S[0], SEED_S[1]);
        return;
      }
      if (v.N !== undefined) {
        murmurPair(number(v.N, path), SEED_N[0], SEED_N[1]);
        return;
      }
      if (v.M !== undefined) {
        const m = v.M;
        let hi = 0;
        let lo = 0;
        let count = 0;
        for (const k in m) {
          let p = NO_PATH;
          if (rules.any) {
            if (path === '') p = k;
            else if (rules.nested && path !== NO_PATH) p = `${path}.${k}`;
            if (p !== NO_PATH && rules.skip(p)) continue;
          }
          walker.value(m[k], p);
          const vHi = outHi;
          const vLo = outLo;
          keys.get(k);
          mixPair(outHi, outLo, vHi, vLo, TAG_ENTRY);
          hi = (hi + outHi) | 0;
          lo = (lo + outLo) | 0;
          count++;
        }
        mixPair(hi, lo, count, count, TAG_M);
        return;
      }
      if (v.L !== undefined) {
        const l = v.L;
        let hi = TAG_L;
        let lo = 0;
        for (let i = 0; i < l.length; i++) {
          walker.value(l[i], path);
          mixPair(hi, lo, outHi, outLo, TAG_L);
          hi = outHi;
          lo = outLo;
        }
        mixPair(hi, lo, l.length, l.length, TAG_L);
        return;
      }
      if (v.BOOL !== undefined) {
        outHi = v.BOOL ? TRUE_HI : FALSE_HI;
        outLo = v.BOOL ? TRUE_LO : FALSE_LO;
        return;
      }
      if (v.NULL !== undefined) {
        outHi = NULL_HI;
        outLo = NULL_LO;
        return;
      }
      if (v.SS !== undefined) return sum(v.SS, SEED_S, TAG_SS);
      if (v.NS !== undefined)
        return sum(
          v.NS.map((t) => number(t, path)),
          SEED_N,
          TAG_NS,
        );
      if (v.B !== undefined) return murmurPair(binary(v.B), SEED_B[0], SEED_B[1]);
      if (v.BS !== undefined) return sum(v.BS.map(binary), SEED_B, TAG_BS);
      murmurPair(JSON.stringify(value), 0, 0);
    },
  };
  return walker;
}

export type Digester = (item: Item) => Digest;

/**
 * The digester for a set of verify rules (the same rules as the canonical form: ignored paths and numeric
 * tolerances). Keeps a cache of attribute-name hashes, so make one per verification and reuse it.
 */
export function makeDigester(options: CanonicalOptions = {}): Digester {
  const ignore = new Set((options.ignore ?? []).map((p) => p.replace(/\[\]/g, '')));
  const steps = new Map<string, number | undefined>();
  for (const [p, t] of Object.entries(options.tolerances ?? {})) steps.set(p.replace(/\[\]/g, ''), toleranceStep(t));
  const defaultStep = toleranceStep(options.numericTolerance ?? 0);
  const spellers = new Map<string, NumberSpeller | undefined>();
  const rules: WalkRules = {
    speller(path) {
      if (spellers.has(path)) return spellers.get(path);
      const step = path !== NO_PATH && steps.has(path) ? steps.get(path) : defaultStep;
      const s = step === undefined ? undefined : (t: string) => truncateNumber(t, step);
      spellers.set(path, s);
      return s;
    },
    skip: (path) => ignore.has(path),
    nested: [...ignore, ...steps.keys()].some((p) => p.includes('.')),
    any: ignore.size > 0 || steps.size > 0 || defaultStep !== undefined,
  };
  const walker = makeWalker(new KeyHashes(), rules);
  return (item) => {
    walker.value({ M: item }, '');
    return { hi: outHi >>> 0, lo: outLo >>> 0 };
  };
}

/** A running map or list digest (entries summed, or elements chained); reset before each use. */
export class DigestAccumulator {
  public hi = 0;
  public lo = 0;
  public count = 0;
  public resetMap(): this {
    this.hi = 0;
    this.lo = 0;
    this.count = 0;
    return this;
  }
  public resetList(): this {
    this.hi = TAG_L;
    this.lo = 0;
    this.count = 0;
    return this;
  }
}

/**
 * The pieces of an item digest, for a caller that knows an item's structure without building it (the
 * mapping's `rowDigester`: verification digests a million mapped rows, and building each item only to
 * walk it again is most of the garbage). Assembled as the walk of `makeDigester` would (each call leaves
 * its digest in `hi`/`lo`), so the result is the same digest under the same rules.
 */
export interface ItemDigestParts {
  /** The digest just computed. */
  readonly hi: number;
  readonly lo: number;
  /** Whether the rules leave out a top-level attribute. */
  skipTop(name: string): boolean;
  /** A scalar value (S, N, BOOL, NULL, sets): at the top level under `topName`, or below it (undefined). */
  leaf(value: AttributeValue, topName: string | undefined): void;
  /** Adds an entry whose value digest is (vHi, vLo) to a map accumulator. */
  mapEntry(acc: DigestAccumulator, name: string, vHi: number, vLo: number): void;
  /** The hash of an attribute name, in hi/lo: a caller that knows its names hashes each once. */
  nameHash(name: string): void;
  /** `mapEntry` with the name's hash (from `nameHash`) instead of the name. */
  mapEntryHashed(acc: DigestAccumulator, nameHi: number, nameLo: number, vHi: number, vLo: number): void;
  /** Ends a map: its digest in hi/lo. The item itself is the top-level map. */
  mapEnd(acc: DigestAccumulator): void;
  /** Adds an element whose digest is (vHi, vLo) to a list accumulator. */
  listElement(acc: DigestAccumulator, vHi: number, vLo: number): void;
  /** Ends a list: its digest in hi/lo. */
  listEnd(acc: DigestAccumulator): void;
}

/**
 * The parts of `makeDigester(options)`'s digest, or undefined when a rule names a nested path (the walk
 * then needs each value's full path: build the item and use `makeDigester`).
 */
export function makeItemDigestParts(options: CanonicalOptions = {}): ItemDigestParts | undefined {
  const ignore = new Set((options.ignore ?? []).map((p) => p.replace(/\[\]/g, '')));
  const steps = new Map<string, number | undefined>();
  for (const [p, t] of Object.entries(options.tolerances ?? {})) steps.set(p.replace(/\[\]/g, ''), toleranceStep(t));
  const defaultStep = toleranceStep(options.numericTolerance ?? 0);
  if ([...ignore, ...steps.keys()].some((p) => p.includes('.'))) return undefined;
  const spellers = new Map<string, NumberSpeller | undefined>();
  const rules: WalkRules = {
    speller(path) {
      if (spellers.has(path)) return spellers.get(path);
      const step = path !== NO_PATH && steps.has(path) ? steps.get(path) : defaultStep;
      const sp = step === undefined ? undefined : (t: string) => truncateNumber(t, step);
      spellers.set(path, sp);
      return sp;
    },
    skip: (path) => ignore.has(path),
    nested: false,
    any: ignore.size > 0 || steps.size > 0 || defaultStep !== undefined,
  };
  const keys = new KeyHashes();
  const walker = makeWalker(keys, rules);
  const parts = {
    hi: 0,
    lo: 0,
    skipTop: (name: string) => rules.any && ignore.has(name),
    leaf(value: AttributeValue, topName: string | undefined) {
      // A top-level value's path is its name; below the top level no rule can name it (rules are top-level).
      walker.value(value, topName ?? NO_PATH);
      parts.hi = outHi;
      parts.lo = outLo;
    },
    mapEntry(acc: DigestAccumulator, name: string, vHi: number, vLo: number) {
      keys.get(name);
      mixPair(outHi, outLo, vHi, vLo, TAG_ENTRY);
      acc.hi = (acc.hi + outHi) | 0;
      acc.lo = (acc.lo + outLo) | 0;
      acc.count++;
    },
    nameHash(name: string) {
      murmurPair(name, SEED_KEY[0], SEED_KEY[1]);
      parts.hi = outHi;
      parts.lo = outLo;
    },
    mapEntryHashed(acc: DigestAccumulator, nameHi: number, nameLo: number, vHi: number, vLo: number) {
      mixPair(nameHi, nameLo, vHi, vLo, TAG_ENTRY);
      acc.hi = (acc.hi + outHi) | 0;
      acc.lo = (acc.lo + outLo) | 0;
      acc.count++;
    },
    mapEnd(acc: DigestAccumulator) {
      mixPair(acc.hi, acc.lo, acc.count, acc.count, TAG_M);
      parts.hi = outHi;
      parts.lo = outLo;
    },
    listElement(acc: DigestAccumulator, vHi: number, vLo: number) {
      mixPair(acc.hi, acc.lo, vHi, vLo, TAG_L);
      acc.hi = outHi;
      acc.lo = outLo;
      acc.count++;
    },
    listEnd(acc: DigestAccumulator) {
      mixPair(acc.hi, acc.lo, acc.count, acc.count, TAG_L);
      parts.hi = outHi;
      parts.lo = outLo;
    },
  };
  return parts;
}

/** MurmurHash3 pair over text[start, end): the same as murmurPair(text.slice(start, end), a, b). */
function murmurRange(text: string, start: number, end: number, a: number, b: number): void {
  murmur3x2(text, start, end, a, b, pair);
  outHi = pair.hi;
  outLo = pair.lo;
}

/** Thrown inside the line scanner when a line needs the general path (sets, binaries, an odd shape). */
class NeedsGeneralPath extends Error {}

/** The digest of an export line's item, and the item's key attributes (enough for `owns` and `keyOf`). */
export interface LineDigest {
  readonly digest: Digest;
  readonly key: Item;
}

export type LineDigester = (line: string) => LineDigest;

const Q = 34; // "
const BS = 92; // \
const LB = 123; // {
const RB = 125; // }
const LS = 91; // [
const RS = 93; // ]
const COLON = 58;
const COMMA = 44;

/**
 * Digests one line of a DynamoDB export (`{"Item":{...DynamoDB JSON...}}`) straight from its text: the same
 * digest `makeDigester` gives the parsed item, without building the item. JSON.parse of a million lines
 * and the walk over the objects it builds are most of the cost of reading an export; a scanner over the
 * text does both in one pass and allocates almost nothing. Lines it does not expect (sets, binaries, no
 * `Item` wrapper, escapes in an attribute name, rules on nested paths) go the general way: JSON.parse and
 * `makeDigester`, so the result is the same either way.
 */
export function makeExportLineDigester(options: CanonicalOptions, keyAttributes: readonly string[]): LineDigester {
  const general = makeDigester(options);
  const ignore = new Set((options.ignore ?? []).map((p) => p.replace(/\[\]/g, '')));
  const steps = new Map<string, number | undefined>();
  for (const [p, t] of Object.entries(options.tolerances ?? {})) steps.set(p.replace(/\[\]/g, ''), toleranceStep(t));
  const defaultStep = toleranceStep(options.numericTolerance ?? 0);
  const nested = [...ignore, ...steps.keys()].some((p) => p.includes('.'));
  const keySet = new Set(keyAttributes);
  const exact: NumberSpeller = canonicalNumber;
  const spell = (step: number | undefined): NumberSpeller =>
    step === undefined ? (t) => fastNumber(t, exact) : (t) => truncateNumber(t, step);
  const defaultSpeller = spell(defaultStep);
  const topSpellers = new Map<string, NumberSpeller>();
  for (const [p, s] of steps) topSpellers.set(p, spell(s));

  let text = '';
  let pos = 0;

  const skipWs = () => {
    let c = text.charCodeAt(pos);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++pos);
  };
  const expect = (c: number) => {
    skipWs();
    if (text.charCodeAt(pos) !== c) throw new NeedsGeneralPath();
    pos++;
  };
  /** A JSON string at pos; returns its decoded value only if asked, and sets rangeStart/rangeEnd when it has no escapes. */
  let rangeStart = 0;
  let rangeEnd = 0;
  let escaped = '';
  const readString = (): boolean => {
    expect(Q);
    const start = pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === Q) {
        rangeStart = start;
        rangeEnd = pos;
        pos++;
        return false;
      }
      if (c === BS) break;
      if (Number.isNaN(c)) throw new NeedsGeneralPath();
      pos++;
    }
    // An escape: find the end honouring escapes, then decode that one string with JSON.parse.
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === BS) pos += 2;
      else if (c === Q) break;
      else pos++;
    }
    if (pos >= text.length) throw new NeedsGeneralPath();
    escaped = JSON.parse(text.slice(start - 1, pos + 1)) as string;
    pos++;
    return true;
  };
  /**
   * Hashes a JSON string value while looking for its closing quote (one pass over the characters, the
   * same result as murmurPair over the decoded text). An escape sends it back to the decoding path.
   */
  const hashString = (a: number, b: number) => {
    expect(Q);
    const start = pos;
    let h1 = a | 0;
    let h2 = b | 0;
    let i = start;
    for (;;) {
      const c0 = text.charCodeAt(i);
      if (c0 === Q) {
        pos = i + 1;
        break;
      }
      if (c0 === BS || Number.isNaN(c0)) {
        pos = start - 1;
        if (readString()) murmurPair(escaped, a, b);
        else murmurRange(text, rangeStart, rangeEnd, a, b);
        return;
      }
      const c1 = text.charCodeAt(i + 1);
      if (c1 === Q) {
        // Odd length: c0 is the tail.
        const k = murmur3Scramble(c0);
        h1 ^= k;
        h2 ^= k;
        i++;
        pos = i + 1;
        break;
      }
      if (c1 === BS || Number.isNaN(c1)) {
        pos = start - 1;
        if (readString()) murmurPair(escaped, a, b);
        else murmurRange(text, rangeStart, rangeEnd, a, b);
        return;
      }
      const k = murmur3Scramble(c0 | (c1 << 16));
      h1 = murmur3Round(h1, k);
      h2 = murmur3Round(h2, k);
      i += 2;
    }
    const n = (pos - 1 - start) * 2;
    outHi = fmix32(h1 ^ n);
    outLo = fmix32(h2 ^ n);
  };
  const stringValue = (): string => (readString() ? escaped : text.slice(rangeStart, rangeEnd));

  /** One attribute value `{"T": ...}`; numbers spelled by `number`, nested maps' numbers by `inner`. */
  const value = (number: NumberSpeller, inner: NumberSpeller): string => {
    expect(LB);
    if (readString()) throw new NeedsGeneralPath();
    const t0 = text.charCodeAt(rangeStart);
    const tlen = rangeEnd - rangeStart;
    expect(COLON);
    skipWs();
    let type: string;
    if (tlen === 1 && t0 === 83) {
      // S
      hashString(SEED_S[0], SEED_S[1]);
      type = 'S';
    } else if (tlen === 1 && t0 === 78) {
      // N
      murmurPair(number(stringValue()), SEED_N[0], SEED_N[1]);
      type = 'N';
    } else if (tlen === 1 && t0 === 77) {
      // M
      map(inner, inner, false);
      type = 'M';
    } else if (tlen === 1 && t0 === 76) {
      // L
      expect(LS);
      let hi = TAG_L;
      let lo = 0;
      let n = 0;
      skipWs();
      if (text.charCodeAt(pos) === RS) pos++;
      else {
        for (;;) {
          value(number, inner);
          mixPair(hi, lo, outHi, outLo, TAG_L);
          hi = outHi;
          lo = outLo;
          n++;
          skipWs();
          const c = text.charCodeAt(pos++);
          if (c === RS) break;
          if (c !== COMMA) throw new NeedsGeneralPath();
        }
      }
      mixPair(hi, lo, n, n, TAG_L);
      type = 'L';
    } else if (tlen === 4 && text.startsWith('BOOL', rangeStart)) {
      if (text.startsWith('true', pos)) {
        outHi = TRUE_HI;
        outLo = TRUE_LO;
        pos += 4;
      } else if (text.startsWith('false', pos)) {
        outHi = FALSE_HI;
        outLo = FALSE_LO;
        pos += 5;
      } else throw new NeedsGeneralPath();
      type = 'BOOL';
    } else if (tlen === 4 && text.startsWith('NULL', rangeStart)) {
      if (!text.startsWith('true', pos)) throw new NeedsGeneralPath();
      pos += 4;
      outHi = NULL_HI;
      outLo = NULL_LO;
      type = 'NULL';
    } else throw new NeedsGeneralPath();
    expect(RB);
    return type;
  };

  /** A map's entries `{"name": value, ...}`; at the top level, applies the rules and collects the key. */
  let key: Item = {};
  const map = (number: NumberSpeller, inner: NumberSpeller, top: boolean) => {
    expect(LB);
    let hi = 0;
    let lo = 0;
    let count = 0;
    skipWs();
    if (text.charCodeAt(pos) === RB) pos++;
    else {
      for (;;) {
        if (readString()) throw new NeedsGeneralPath();
        const nameStart = rangeStart;
        const nameEnd = rangeEnd;
        expect(COLON);
        let name = '';
        let spell = number;
        let skip = false;
        let keyStart = -1;
        if (top) {
          name = text.slice(nameStart, nameEnd);
          if (ignore.size > 0 && ignore.has(name)) skip = true;
          spell = topSpellers.get(name) ?? defaultSpeller;
          if (keySet.has(name)) {
            skipWs();
            keyStart = pos;
          }
        }
        const type = value(spell, inner);
        if (keyStart >= 0) {
          const raw = JSON.parse(text.slice(keyStart, pos)) as AttributeValue;
          key[name] = raw;
          if (type !== 'S' && type !== 'N') throw new NeedsGeneralPath();
        }
        if (!skip) {
          const vHi = outHi;
          const vLo = outLo;
          murmurRange(text, nameStart, nameEnd, SEED_KEY[0], SEED_KEY[1]);
          mixPair(outHi, outLo, vHi, vLo, TAG_ENTRY);
          hi = (hi + outHi) | 0;
          lo = (lo + outLo) | 0;
          count++;
        }
        skipWs();
        const c = text.charCodeAt(pos++);
        if (c === RB) break;
        if (c !== COMMA) throw new NeedsGeneralPath();
      }
    }
    mixPair(hi, lo, count, count, TAG_M);
  };

  const generalLine = (line: string): LineDigest => {
    const parsed = JSON.parse(line) as { Item?: Item } & Item;
    const item = (parsed.Item && typeof parsed.Item === 'object' && !Array.isArray(parsed.Item) ? parsed.Item : parsed) as Item;
    const k: Item = {};
    for (const a of keyAttributes) if (item[a] !== undefined) k[a] = item[a];
    return { digest: general(item), key: k };
  };

  return (line) => {
    if (nested || !line.startsWith('{"Item":')) return generalLine(line);
    text = line;
    pos = 8;
    key = {};
    try {
      map(defaultSpeller, defaultSpeller, true);
      expect(RB);
      skipWs();
      if (pos !== text.length) throw new NeedsGeneralPath();
      return { digest: { hi: outHi >>> 0, lo: outLo >>> 0 }, key };
    } catch (e) {
      if (e instanceof NeedsGeneralPath) return generalLine(line);
      throw e;
    }
  };
}
