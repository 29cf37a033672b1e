import fc from 'fast-check';
import { BUCKETS, bucketMatcher, bucketOf, canaryMatchers, fmix32, fnv1a32 } from '../../core/routing';
import { randomKeys } from './routing-fixtures';

/** A plain, obviously-correct FNV-1a over TextEncoder bytes: the reference the fast version must match. */
function referenceFnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function chiSquare(keys: readonly string[]): { stat: number; counts: number[] } {
  const counts = new Array<number>(BUCKETS).fill(0);
  for (const k of keys) counts[bucketOf(k)]++;
  const expected = keys.length / BUCKETS;
  const stat = counts.reduce((s, c) => s + ((c - expected) * (c - expected)) / expected, 0);
  return { stat, counts };
}

describe('Function: fnv1a32', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('matches the published FNV-1a 32-bit vector for %j', (key, expected) => {
    expect(fnv1a32(key)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of any string, surrogate pairs and lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (key) => {
        expect(fnv1a32(key)).toBe(referenceFnv1a(key));
      }),
      { numRuns: 800 },
    );
    expect(fnv1a32('\ud800x')).toBe(referenceFnv1a('\ud800x'));
    expect(fnv1a32('x\udc00')).toBe(referenceFnv1a('x\udc00'));
  });
});

describe('Function: fmix32', () => {
  it('changes about half the output bits when one input bit flips (avalanche)', () => {
    let flipped = 0;
    let trials = 0;
    for (let x = 1; x < 2000; x += 7) {
      for (let bit = 0; bit < 32; bit++) {
        const d = (fmix32(x) ^ fmix32((x ^ (1 << bit)) >>> 0)) >>> 0;
        flipped += d.toString(2).split('1').length - 1;
        trials++;
      }
    }
    expect(flipped / trials).toBeGreaterThan(15);
    expect(flipped / trials).toBeLessThan(17);
  });
});

describe('Function: bucketOf', () => {
  it('returns a whole number from 0 to 99', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (key) => {
        const b = bucketOf(key);
        expect(Number.isInteger(b)).toBe(true);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(BUCKETS);
      }),
      { numRuns: 1000 },
    );
  });

  it('is defined as fmix32(fnv1a32(utf8 key)) mod 100', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (key) => {
        expect(bucketOf(key)).toBe(fmix32(referenceFnv1a(key)) % 100);
      }),
      { numRuns: 500 },
    );
  });

  // Golden values: these customers must stay in these buckets across releases. If this test fails, the
  // hash changed and a deploy would move live customers between implementations mid-cutover.
  it.each([
    ['C00042', 15],
    ['1000001', 67],
    ['customer-1', 16],
    ['order-2', 64],
    ['', 23],
    ['Zoë', 7],
    ['🛒', 80],
  ])('keeps %j in bucket %i (stable across releases)', (key, bucket) => {
    expect(bucketOf(key)).toBe(bucket);
  });

  it('spreads 100,000 random keys evenly over the buckets (chi-square, 99 degrees of freedom)', () => {
    // Prepare
    const keys = randomKeys(100_000, 42);
    // Act
    const { stat, counts } = chiSquare(keys);
    // Assess: the 99.99th percentile of chi-square(99) is about 159.
    expect(stat).toBeLessThan(159);
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });

  it('spreads sequential keys (order numbers, customer numbers) evenly too', () => {
    const orders = Array.from({ length: 100_000 }, (_, i) => String(1_000_000 + i));
    const customers = Array.from({ length: 100_000 }, (_, i) => `C${String(i).padStart(8, '0')}`);
    expect(chiSquare(orders).stat).toBeLessThan(159);
    expect(chiSquare(customers).stat).toBeLessThan(159);
  });
});

describe('Function: bucketMatcher', () => {
  it('builds an EventBridge numeric matcher for [lo, hi)', () => {
    expect(bucketMatcher(0, 25)).toEqual({ numeric: ['>=', 0, '<', 25] });
  });

  it('returns nothing for an empty range, which a rule cannot express', () => {
    expect(bucketMatcher(40, 40)).toBeUndefined();
  });

  it.each([
    [-1, 10],
    [10, 5],
    [0, 101],
    [0.5, 10],
  ])('rejects the range [%p, %p) naming it', (lo, hi) => {
    expect(() => bucketMatcher(lo, hi)).toThrow(`got [${lo}, ${hi})`);
  });

  it('splits a canary into complementary ranges that together cover every bucket exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 99 }), (percent, bucket) => {
        const { candidate, legacy } = canaryMatchers(percent);
        const inRange = (m: typeof candidate): boolean => m !== undefined && bucket >= m.numeric[1] && bucket < m.numeric[3];
        expect(Number(inRange(candidate)) + Number(inRange(legacy))).toBe(1);
        expect(inRange(candidate)).toBe(bucket < percent);
      }),
      { numRuns: 500 },
    );
  });
});
