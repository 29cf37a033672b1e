import fc from 'fast-check';
import { boundedKey, boundedProblems, boundedText, HASHED_KEY_PREFIX, MAX_KEY_PART_BYTES, utf8Bytes, utf8Head } from '../../core/audit';

/* The pure half of "stores never throw on a value": how keys and long text are bounded. */
describe('Function: boundedKey', () => {
  it('keeps a short clean key, hashes a long one or one with control characters, deterministically', () => {
    expect(boundedKey('order-1000001')).toBe('order-1000001');
    expect(boundedKey('k'.repeat(MAX_KEY_PART_BYTES + 1))).toMatch(new RegExp(`^${HASHED_KEY_PREFIX}[0-9a-f]{64}$`));
    expect(boundedKey('order-1\u0000')).toMatch(/^sha256~/);
    expect(boundedKey('x'.repeat(9000))).toBe(boundedKey('x'.repeat(9000)));
    // A key that looks hashed is hashed again, so a producer cannot land on another key's hash.
    expect(boundedKey(`${HASHED_KEY_PREFIX}abc`)).not.toBe(`${HASHED_KEY_PREFIX}abc`);
  });

  it('always fits the limit, in bytes (property, multi-byte text included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 2000 }), (s) => {
        expect(utf8Bytes(boundedKey(s))).toBeLessThanOrEqual(MAX_KEY_PART_BYTES);
      }),
      { seed: 9, numRuns: 300 },
    );
  });
});

describe('Function: utf8Head', () => {
  it('cuts on a character boundary and never exceeds the bytes asked for (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 0, max: 400 }), (s, n) => {
        const head = utf8Head(s, n);
        expect(utf8Bytes(head)).toBeLessThanOrEqual(Math.max(n, utf8Bytes(s) <= n ? utf8Bytes(s) : 0));
        expect(s.startsWith(head)).toBe(true);
      }),
      { seed: 10, numRuns: 300 },
    );
  });
});

describe('Function: boundedText', () => {
  it('keeps what fits, and cuts the rest with its size and hash', () => {
    expect(boundedText('abc', 10)).toEqual({ text: 'abc' });
    const cut = boundedText('€'.repeat(10), 10);
    expect(cut.text).toBe('€€€');
    expect(cut.cut).toMatchObject({ bytes: 30 });
    expect(cut.cut!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('Function: boundedProblems', () => {
  it('keeps 100 problems and counts the rest', () => {
    const out = boundedProblems(Array.from({ length: 250 }, (_v, i) => `p${i}`));
    expect(out).toHaveLength(101);
    expect(out[100]).toBe('... and 150 more problems');
  });
});
