import fc from 'fast-check';
import {
  BucketFold,
  canonicalNumber,
  digestText,
  hash32,
  keyText,
  keyFromText,
  makeCanonicalizer,
  makeDigester,
  makeExportLineDigester,
  parseDecimal,
  toleranceStep,
  truncateNumber,
  type AttributeValue,
  type CanonicalOptions,
  type Item,
} from '../../core/migration';
import { arbItem, mutateValue, shuffleKeys } from './migration-arbitraries';
import { murmur3Bytes } from './murmur3-reference';

describe('Function: digestText', () => {
  it.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
  ])('the byte-wise reference gives the published MurmurHash3 vector for %j (seed %d)', (text, seed, expected) => {
    expect(murmur3Bytes(Buffer.from(text, 'latin1'), seed)).toBe(expected);
  });

  it('is MurmurHash3 x86_32 of the UTF-16LE bytes with seeds 0 and 0x9747b28c', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        const bytes = Buffer.from(text, 'utf16le');
        const d = digestText(text);
        expect(d.hi).toBe(murmur3Bytes(bytes, 0));
        expect(d.lo).toBe(murmur3Bytes(bytes, 0x9747b28c));
        expect(hash32(text)).toBe(d.hi);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Function: makeDigester', () => {
  const ruleSets: CanonicalOptions[] = [
    {},
    { ignore: ['a', 'x'] },
    { numericTolerance: 0.01 },
    { tolerances: { b: 0.5, c: 2 } },
    { ignore: ['a.b', 'c'], tolerances: { 'd.e': 1, x: 0.1 } },
  ];

  it('gives equal digests exactly when the canonical forms are equal, under every rule set', () => {
    fc.assert(
      fc.property(arbItem, fc.nat(), fc.nat(), fc.integer(), fc.constantFrom(...ruleSets), (item, pick, how, seed, rules) => {
        const digest = makeDigester(rules);
        const canonical = makeCanonicalizer(rules);
        const other = (mutateValue({ M: item }, pick, how) as { M: Item } | undefined)?.M ?? item;
        const shuffled = shuffleKeys(other, seed) as Item;
        expect(digest(shuffled)).toEqual(digest(other));
        expect(JSON.stringify(digest(item)) === JSON.stringify(digest(other))).toBe(canonical(item) === canonical(other));
      }),
      { numRuns: 400 },
    );
  });

  it("counts a value's type and a list's order, not a map's or a set's order", () => {
    const d = makeDigester();
    expect(d({ a: { S: '3' } })).not.toEqual(d({ a: { N: '3' } }));
    expect(d({ a: { N: '3.0' } })).toEqual(d({ a: { N: '3' } }));
    expect(d({ a: { L: [{ S: 'x' }, { S: 'y' }] } })).not.toEqual(d({ a: { L: [{ S: 'y' }, { S: 'x' }] } }));
    expect(d({ a: { SS: ['x', 'y'] } })).toEqual(d({ a: { SS: ['y', 'x'] } }));
    expect(d({ a: { S: 'x' }, b: { S: 'y' } })).not.toEqual(d({ a: { S: 'y' }, b: { S: 'x' } }));
    expect(d({ ab: { S: 'c' } })).not.toEqual(d({ a: { S: 'bc' } }));
  });
});

describe('Function: makeExportLineDigester', () => {
  const ruleSets: CanonicalOptions[] = [{}, { ignore: ['a'] }, { numericTolerance: 0.01 }, { tolerances: { b: 0.5 } }, { ignore: ['a.b'] }];

  it('digests an export line from its text exactly as makeDigester digests the parsed item', () => {
    fc.assert(
      fc.property(arbItem, fc.integer(), fc.constantFrom(...ruleSets), fc.boolean(), (item, seed, rules, spaced) => {
        const line = `{"Item":${JSON.stringify(shuffleKeys(item, seed), null, spaced ? 1 : undefined).replace(/\n/g, spaced ? ' ' : '')}}`;
        const keys = Object.keys(item).slice(0, 2);
        const out = makeExportLineDigester(rules, keys)(line);
        expect(out.digest).toEqual(makeDigester(rules)(item));
        for (const k of keys) if ('S' in item[k] || 'N' in item[k]) expect(out.key[k]).toEqual(item[k]);
      }),
      { numRuns: 400 },
    );
  });

  it('decodes escapes in values the way JSON does', () => {
    const item: Item = { pk: { S: 'ORDER#1' }, note: { S: 'line "one"\n\u00e9\\' }, n: { N: '1.50' } };
    const line = '{"Item":{"n":{"N":"1.5"},"note":{"S":"line \\"one\\"\\n\\u00e9\\\\"},"pk":{"S":"ORDER#1"}}}';
    expect(JSON.parse(line).Item.note).toEqual(item.note);
    expect(makeExportLineDigester({}, ['pk'])(line)).toEqual({ digest: makeDigester()(item), key: { pk: { S: 'ORDER#1' } } });
  });

  it('throws on a line that is not JSON at all', () => {
    expect(() => makeExportLineDigester({}, ['pk'])('{"Item":{"pk":{"S":"x"}')).toThrow();
  });
});

describe('Function: makeCanonicalizer', () => {
  const canonical = makeCanonicalizer();

  it('spells an item the same whatever the order of its attributes and map keys', () => {
    fc.assert(
      fc.property(arbItem, fc.integer(), (item, seed) => {
        expect(canonical(shuffleKeys(item, seed) as Item)).toBe(canonical(item));
      }),
      { numRuns: 200 },
    );
  });

  it('changes when any single value changes (every path, every kind of change)', () => {
    fc.assert(
      fc.property(arbItem, fc.nat(), fc.nat(), (item, pick, how) => {
        const mutated = mutateValue({ M: item }, pick, how) as { M: Item } | undefined;
        fc.pre(mutated !== undefined);
        expect(canonical(mutated!.M)).not.toBe(canonical(item));
        const a = digestText(canonical(mutated!.M));
        const b = digestText(canonical(item));
        expect(a.hi !== b.hi || a.lo !== b.lo).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps list order significant and set order insignificant', () => {
    const l = (...xs: string[]): AttributeValue => ({ L: xs.map((S) => ({ S })) });
    expect(canonical({ a: l('x', 'y') })).not.toBe(canonical({ a: l('y', 'x') }));
    expect(canonical({ a: { SS: ['x', 'y'] } })).toBe(canonical({ a: { SS: ['y', 'x'] } }));
    expect(canonical({ a: { NS: ['1.0', '2'] } })).toBe(canonical({ a: { NS: ['2', '1'] } }));
  });

  it('tells types apart: the string "3" is not the number 3, a NULL is not an absent attribute', () => {
    expect(canonical({ a: { S: '3' } })).not.toBe(canonical({ a: { N: '3' } }));
    expect(canonical({ a: { NULL: true } })).not.toBe(canonical({}));
    expect(canonical({ a: { BOOL: true } })).not.toBe(canonical({ a: { S: 'true' } }));
    expect(canonical({ a: { M: {} } })).not.toBe(canonical({ a: { L: [] } }));
  });

  it('spells equal numbers one way ("19.90" = "19.9" = "1.99E1")', () => {
    expect(canonical({ a: { N: '19.90' } })).toBe(canonical({ a: { N: '1.99E1' } }));
    expect(canonical({ a: { N: '-0' } })).toBe(canonical({ a: { N: '0.000' } }));
    expect(canonical({ a: { N: '19.91' } })).not.toBe(canonical({ a: { N: '19.9' } }));
  });

  it('leaves ignored paths out, at the top level and inside maps and lists', () => {
    const c = makeCanonicalizer({ ignore: ['version', 'lines.note'] });
    const base: Item = { id: { S: '1' }, lines: { L: [{ M: { q: { N: '1' } } }] } };
    const noisy: Item = { id: { S: '1' }, version: { N: '7' }, lines: { L: [{ M: { q: { N: '1' }, note: { S: 'x' } } }] } };
    expect(c(noisy)).toBe(c(base));
    expect(c({ ...base, id: { S: '2' } })).not.toBe(c(base));
  });

  it('with a tolerance, numbers with the same spelling are within it (the law the drill-down relies on)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.constantFrom(0.5, 0.01, 0.005, 0.0005, 3),
        (x, y, t) => {
          const step = toleranceStep(t) as number;
          if (truncateNumber(String(x), step) === truncateNumber(String(y), step)) expect(Math.abs(x - y)).toBeLessThanOrEqual(t);
        },
      ),
      { numRuns: 500 },
    );
    const c = makeCanonicalizer({ tolerances: { weightKg: 0.0005 } });
    expect(c({ weightKg: { N: '0.30000000000000004' } })).toBe(c({ weightKg: { N: '0.3' } }));
    expect(c({ other: { N: '0.30000000000000004' } })).not.toBe(c({ other: { N: '0.3' } }));
  });
});

describe('Function: parseDecimal', () => {
  it.each([
    ['19.90', { negative: false, digits: '199', exp: -1 }],
    ['-0.0050', { negative: true, digits: '5', exp: -3 }],
    ['1.5E3', { negative: false, digits: '15', exp: 2 }],
    ['007', { negative: false, digits: '7', exp: 0 }],
    ['-0', { negative: false, digits: '0', exp: 0 }],
  ])('reads %s', (text, expected) => {
    expect(parseDecimal(text)).toEqual(expected);
  });

  it.each(['', '.', 'abc', '1e', '--1', '1.2.3'])('refuses %j', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });

  it('agrees with Number on which numbers are equal', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 6 }), (n, scale) => {
        const a = (n / 10 ** scale).toFixed(scale);
        const b = `${a}000`;
        expect(canonicalNumber(a.includes('.') ? b : a)).toBe(canonicalNumber(a));
      }),
      { numRuns: 200 },
    );
  });
});

describe('Function: keyText', () => {
  it('writes "1.0" and "1" as the same number key and reads back a key item', () => {
    expect(keyText({ id: { N: '1.0' } }, ['id'])).toBe(keyText({ id: { N: '1' } }, ['id']));
    const text = keyText({ pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' }, x: { S: 'y' } }, ['pk', 'sk']);
    expect(keyFromText(text, ['pk', 'sk'])).toEqual({ pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' } });
  });
});

describe('Class: BucketFold', () => {
  it('folds the same rows to the same checksums in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 60 }), fc.integer(), (texts, seed) => {
        const a = new BucketFold(16);
        const b = new BucketFold(16);
        for (const t of texts) a.add(hash32(t) % 16, digestText(t));
        const shuffled = [...texts].sort((x, y) => hash32(`${seed}${x}`) - hash32(`${seed}${y}`));
        for (const t of shuffled) b.add(hash32(t) % 16, digestText(t));
        expect(a.differingBuckets(b)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('does not let two identical rows cancel out (sums, not XOR)', () => {
    const a = new BucketFold(4);
    const b = new BucketFold(4);
    const d = digestText('row');
    a.add(1, d);
    a.add(1, d);
    expect(a.differingBuckets(b)).toEqual([1]);
  });

  it('merges partial folds into the fold of the whole', () => {
    const whole = new BucketFold(8);
    const left = new BucketFold(8);
    const right = new BucketFold(8);
    ['a', 'b', 'c', 'd'].forEach((t, i) => {
      whole.add(hash32(t) % 8, digestText(t));
      (i % 2 ? left : right).add(hash32(t) % 8, digestText(t));
    });
    left.merge(right);
    expect(left.differingBuckets(whole)).toEqual([]);
    expect(left.total()).toBe(4);
  });

  it('throws naming the bucket count when it is out of range', () => {
    expect(() => new BucketFold(0)).toThrow('buckets must be a whole number from 1');
  });
});
