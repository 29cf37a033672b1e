import fc from 'fast-check';
import {
  isIsoDateTime,
  isLegacyDateTime,
  mapTransform,
  resolveTransform,
  TRANSFORM_NAMES,
  TRANSFORMS,
  TransformError,
  validDate,
  type TransformName,
} from '../../core/spec/transforms';

/*
 * Every named transform is a pair (toService, toLegacy). The law: on the legacy domain,
 * toLegacy(toService(x)) = x; on the service domain, toService(toLegacy(y)) = y. Each transform gets
 * generators for both domains; a transform added to TRANSFORMS without them fails the coverage test.
 */
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const dates = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true });
const legacyDT = (d: Date) =>
  `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
const bigCents = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });
const decimal = (c: bigint) => {
  const neg = c < 0n;
  const a = neg ? -c : c;
  return `${neg ? '-' : ''}${a / 100n}.${pad(Number(a % 100n))}`;
};

const domains: Record<TransformName, { legacy: fc.Arbitrary<unknown>; service: fc.Arbitrary<unknown> }> = {
  identity: { legacy: fc.jsonValue(), service: fc.jsonValue() },
  centsToDecimal: { legacy: bigCents.map(String), service: bigCents.map(decimal) },
  intString: { legacy: fc.maxSafeNat().map(String), service: fc.maxSafeInteger() },
  legacyDateTime: { legacy: dates.map(legacyDT), service: dates.map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')) },
  legacyDate: { legacy: dates.map((d) => legacyDT(d).slice(0, 8)), service: dates.map((d) => d.toISOString().slice(0, 10)) },
  // "" and absent are one value seen from the two sides.
  emptyAsAbsent: { legacy: fc.string(), service: fc.option(fc.string({ minLength: 1 }), { nil: undefined }) },
  yesNo: { legacy: fc.constantFrom('Y', 'N'), service: fc.boolean() },
  lowerCase: { legacy: fc.stringMatching(/^[A-Z0-9_]{0,12}$/), service: fc.stringMatching(/^[a-z0-9_]{0,12}$/) },
};

describe('Module: transforms', () => {
  it('has inverse-law generators for every named transform', () => {
    expect(Object.keys(domains).sort()).toEqual([...TRANSFORM_NAMES].sort());
  });

  describe.each(TRANSFORM_NAMES)('Transform: %s', (name) => {
    const t = TRANSFORMS[name];

    it('toLegacy undoes toService on the legacy domain (property)', () => {
      fc.assert(
        fc.property(domains[name].legacy, (x) => {
          expect(t.toLegacy(t.toService(x))).toEqual(x);
        }),
        { numRuns: 200 },
      );
    });

    it('toService undoes toLegacy on the service domain (property)', () => {
      fc.assert(
        fc.property(domains[name].service, (y) => {
          expect(t.toService(t.toLegacy(y))).toEqual(y);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe.each([
    ['centsToDecimal', '5497', '54.97'],
    ['centsToDecimal', '5', '0.05'],
    ['centsToDecimal', '-120', '-1.20'],
    ['intString', '42', 42],
    ['legacyDateTime', '20261121 143000', '2026-11-21T14:30:00Z'],
    ['legacyDate', '20240229', '2024-02-29'],
    ['yesNo', 'Y', true],
    ['lowerCase', 'GOLD', 'gold'],
    ['emptyAsAbsent', '', undefined],
  ] as const)('Transform: %s on %p', (name, legacy, service) => {
    it(`gives ${JSON.stringify(service)}`, () => {
      expect(TRANSFORMS[name].toService(legacy)).toEqual(service);
      expect(TRANSFORMS[name].toLegacy(service)).toEqual(legacy);
    });
  });

  it.each([
    ['centsToDecimal', 'toService', '12.50', /expected integer cents such as "1999", got "12.50"/],
    ['centsToDecimal', 'toService', 1250, /expected integer cents as a string, got 1250/],
    ['centsToDecimal', 'toLegacy', '12.5', /expected a decimal amount with two places such as "19.99", got "12.5"/],
    ['intString', 'toService', '007', /expected a whole number such as "3", got "007"/],
    ['intString', 'toService', '9007199254740993', /too large/],
    ['intString', 'toLegacy', 1.5, /expected a whole number, got 1.5/],
    ['legacyDateTime', 'toService', '20260230 120000', /expected a timestamp such as "20261121 143000", got "20260230 120000"/],
    ['legacyDateTime', 'toLegacy', '2026-11-21T14:30:00+01:00', /expected an ISO timestamp/],
    ['legacyDate', 'toService', '2026-11-21', /expected a date such as "20261121"/],
    ['yesNo', 'toService', 'y', /expected "Y" or "N", got "y"/],
    ['yesNo', 'toLegacy', 'true', /expected true or false, got "true"/],
    ['lowerCase', 'toService', null, /expected text as a string, got null/],
  ] as const)('%s.%s refuses %p with a TransformError naming the value', (name, dir, value, message) => {
    const t = TRANSFORMS[name];
    expect(() => t[dir](value)).toThrow(TransformError);
    expect(() => t[dir](value)).toThrow(message);
  });

  describe('Function: mapTransform', () => {
    const codes = { CUST: 'customer-request', FRAUD: 'fraud', STOCK: 'out-of-stock' };
    const t = mapTransform(codes);

    it('maps each code and back (property over the map)', () => {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(codes)), (code) => {
          expect(t.toLegacy(t.toService(code))).toBe(code);
        }),
      );
    });

    it('names the allowed codes when refusing one', () => {
      expect(() => t.toService('LOST')).toThrow(/"LOST" is not one of "CUST", "FRAUD", "STOCK"/);
      expect(() => t.toLegacy('lost')).toThrow(/"lost" is not one of "customer-request", "fraud", "out-of-stock"/);
    });

    it('does not take prototype keys for codes', () => {
      expect(() => t.toService('constructor')).toThrow(TransformError);
      expect(() => t.toLegacy('toString')).toThrow(TransformError);
    });
  });

  it('resolves names, maps and the default', () => {
    expect(resolveTransform(undefined)).toBe(TRANSFORMS.identity);
    expect(resolveTransform('yesNo')).toBe(TRANSFORMS.yesNo);
    expect(resolveTransform({ map: { A: 'a' } }).toService('A')).toBe('a');
  });
});

describe('Function: validDate', () => {
  // The reference: what Date.UTC accepts and gives back unchanged (years from 100, where Date.UTC is literal).
  const reference = (y: number, mo: number, d: number, h: number, mi: number, s: number) => {
    const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    return (
      t.getUTCFullYear() === y &&
      t.getUTCMonth() === mo - 1 &&
      t.getUTCDate() === d &&
      t.getUTCHours() === h &&
      t.getUTCMinutes() === mi &&
      t.getUTCSeconds() === s
    );
  };

  it('agrees with Date.UTC on every field combination, impossible ones included (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (y, mo, d, h, mi, s) => {
          const p = (n: number, w = 2) => String(n).padStart(w, '0');
          expect(validDate(p(y, 4), p(mo), p(d), p(h), p(mi), p(s))).toBe(reference(y, mo, d, h, mi, s));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['2024', '02', '29', true],
    ['2023', '02', '29', false],
    ['1900', '02', '29', false],
    ['2000', '02', '29', true],
    ['2026', '04', '31', false],
    ['0099', '01', '01', false],
  ])('%s-%s-%s is %p', (y, m, d, ok) => {
    expect(validDate(y, m, d)).toBe(ok);
  });
});

describe('Function: isLegacyDateTime / isIsoDateTime', () => {
  // The regular-expression definitions the digit readers replace.
  const legacyRef = (s: string) => {
    const m = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/.exec(s);
    return !!m && validDate(m[1], m[2], m[3], m[4], m[5], m[6]);
  };
  const isoRef = (s: string, fraction: boolean) => {
    const m = (
      fraction ? /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$/ : /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/
    ).exec(s);
    return !!m && validDate(m[1], m[2], m[3], m[4], m[5], m[6]);
  };
  // Near-misses: valid-looking strings with one character replaced, dropped or added.
  const mutate = (base: fc.Arbitrary<string>) =>
    fc.oneof(
      base,
      fc
        .tuple(base, fc.nat(), fc.constantFrom('0', '9', ' ', '-', 'T', 'Z', ':', '.', 'a', '١', ''))
        .map(([s, i, c]) => s.slice(0, i % (s.length + 1)) + c + s.slice((i % (s.length + 1)) + 1)),
      fc.tuple(base, fc.nat()).map(([s, i]) => s.slice(0, i % (s.length + 1)) + '5' + s.slice(i % (s.length + 1))),
    );
  const digitsOf = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
  const legacyShaped = fc.tuple(digitsOf(8), digitsOf(6)).map(([a, b]) => `${a} ${b}`);
  const isoShaped = fc
    .tuple(
      digitsOf(4),
      digitsOf(2),
      digitsOf(2),
      digitsOf(2),
      digitsOf(2),
      digitsOf(2),
      fc.option(fc.stringMatching(/^\.[0-9]{1,4}$/), { nil: '' }),
    )
    .map(([y, mo, d, h, mi, s, f]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f}Z`);

  it('legacy timestamps: agrees with the regular-expression definition (property)', () => {
    fc.assert(
      fc.property(mutate(legacyShaped), (s) => expect(isLegacyDateTime(s)).toBe(legacyRef(s))),
      { numRuns: 3000 },
    );
  });

  it.each([true, false])('ISO timestamps (fraction allowed: %p): agrees with the regular-expression definition (property)', (fraction) => {
    fc.assert(
      fc.property(mutate(isoShaped), (s) => expect(isIsoDateTime(s, fraction)).toBe(isoRef(s, fraction))),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['20261121 143000', true],
    ['20261131 143000', false],
    ['20261121 240000', false],
    ['2026112 1143000', false],
  ])('legacy %p is %p', (s, ok) => expect(isLegacyDateTime(s)).toBe(ok));
});
