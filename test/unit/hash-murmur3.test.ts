import fc from 'fast-check';
import { fmix32, fmix32Signed, murmur3, murmur3Range, murmur3x2, type HashPair } from '../../core/hash/murmur3';
import { digestHex, digestText, hash32, makeDigester, makeExportLineDigester, type Item } from '../../core/migration';
import { murmur3Bytes } from './murmur3-reference';

/**
 * Published MurmurHash3 x86_32 vectors (bytes as latin1 text, seed, hash), as listed with the reference
 * implementation's test suites (SMHasher's verification values and the widely reproduced table for
 * x86_32); each is also checked against the byte-wise reference below.
 */
const PUBLISHED: readonly [string, number, number][] = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\xff\xff\xff\xff', 0, 0x76293b50],
  ['\x21\x43\x65\x87', 0, 0xf55b516b],
  ['\x21\x43\x65\x87', 0x5082edee, 0x2362f9de],
  ['\x21\x43\x65', 0, 0x7e4a8634],
  ['\x21\x43', 0, 0xa0f7b07a],
  ['\x21', 0, 0x72661cf4],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['\0\0\0', 0, 0x85f0b427],
  ['\0\0', 0, 0x30f4c306],
  ['\0', 0, 0x514e28b7],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['aaa', 0x9747b28c, 0x283e0130],
  ['aa', 0x9747b28c, 0x5d211726],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['ab', 0x9747b28c, 0x74875592],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ['abc', 0, 0xb3dd93fa],
  ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 0, 0xee925b90],
];

/** The text whose UTF-16LE bytes are `bytes` (even length): how a byte vector reaches a string hash. */
function textOfBytes(bytes: Buffer): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
  return text;
}

describe('Module: core/hash/murmur3', () => {
  describe('Reference: murmur3Bytes', () => {
    it.each(PUBLISHED)('gives the published vector for %j (seed %d)', (bytes, seed, expected) => {
      // Act / Assess
      expect(murmur3Bytes(Buffer.from(bytes, 'latin1'), seed)).toBe(expected);
    });
  });

  describe('Function: murmur3', () => {
    it.each(PUBLISHED.filter(([bytes]) => bytes.length % 2 === 0))(
      'gives the published vector for the text whose UTF-16LE bytes are %j (seed %d)',
      (bytes, seed, expected) => {
        // Prepare
        const text = textOfBytes(Buffer.from(bytes, 'latin1'));
        // Act / Assess
        expect(murmur3(text, seed)).toBe(expected);
      },
    );

    it('is MurmurHash3 x86_32 of the UTF-16LE bytes, for any text and seed', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), (text, seed) => {
          expect(murmur3(text, seed)).toBe(murmur3Bytes(Buffer.from(text, 'utf16le'), seed));
        }),
        { numRuns: 300 },
      );
    });

    it('defaults the seed to 0', () => {
      // Published: "\0\0\0\0" under seed 0 is 0x2362f9de, and that is the text "\0\0" in UTF-16LE.
      expect(murmur3('\0\0')).toBe(0x2362f9de);
      expect(murmur3('')).toBe(0);
    });
  });

  describe('Function: murmur3Range', () => {
    it('hashes text[start, end) exactly as the slice', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 30 }), fc.nat(30), fc.nat(30), fc.integer(), (text, x, y, seed) => {
          const start = Math.min(x, y, text.length);
          const end = Math.min(Math.max(x, y), text.length);
          expect(murmur3Range(text, start, end, seed)).toBe(murmur3(text.slice(start, end), seed));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('Function: murmur3x2', () => {
    it('writes the two seeds hashes of the range into out, the same as two single hashes', () => {
      const out: HashPair = { hi: -1, lo: -1 };
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.nat(30), fc.integer(), fc.integer(), (text, cut, a, b) => {
          const start = Math.min(cut, text.length);
          murmur3x2(text, start, text.length, a, b, out);
          expect(out).toEqual({ hi: murmur3Range(text, start, text.length, a), lo: murmur3Range(text, start, text.length, b) });
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('Function: fmix32', () => {
    // MurmurHash3 of the empty input is fmix32(seed), so the published empty-input vectors pin the finaliser.
    it.each([
      [0, 0x00000000],
      [1, 0x514e28b7],
      [0xffffffff, 0x81f16f39],
    ])('fmix32(%d) is the published empty-input hash under that seed', (seed, expected) => {
      expect(fmix32(seed)).toBe(expected);
      expect(fmix32Signed(seed)).toBe(expected | 0);
    });

    it('is unsigned, with the same bits as fmix32Signed', () => {
      fc.assert(
        fc.property(fc.integer({ min: -0x80000000, max: 0xffffffff }), (h) => {
          const u = fmix32(h);
          expect(u).toBeGreaterThanOrEqual(0);
          expect(u).toBeLessThanOrEqual(0xffffffff);
          expect(u | 0).toBe(fmix32Signed(h));
        }),
      );
    });
  });
});

/*
 * Digests written before the hash moved to core/hash (computed with the previous, per-module copies of
 * MurmurHash3): verify compares digests across runs and checkpoints store them, so they must not move.
 */
describe('Golden: migration digests across the move to core/hash', () => {
  const items: [Item, string][] = [
    [{ pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' }, total: { N: '12.50' }, paid: { BOOL: true }, note: { NULL: true } }, 'cc3e42b4b76f1e9a'],
    [
      {
        pk: { S: 'CUSTOMER#é€😀' },
        sk: { S: 'PROFILE' },
        tags: { SS: ['b', 'a'] },
        address: { M: { city: { S: 'Zürich' }, zip: { N: '8001' } } },
        lines: { L: [{ N: '1' }, { S: 'x' }] },
      },
      '75d21a13d2d55642',
    ],
    [{ pk: { S: 'ORDER#2' }, sk: { S: 'LINE#001' }, qty: { N: '3' }, codes: { NS: ['2', '10'] }, odd: { S: 'abc' } }, 'f7a12b2a4905b5bb'],
  ];

  it.each(items)('makeDigester and the export line digester keep the digest of %j', (item, hex) => {
    expect(digestHex(makeDigester({})(item))).toBe(hex);
    expect(digestHex(makeExportLineDigester({}, ['pk', 'sk'])(JSON.stringify({ Item: item }))!.digest)).toBe(hex);
  });

  it.each([
    ['', '00000000ebb6c228', 0],
    ['a', '6f49d11aaaa95179', 1867108634],
    ['ab', '165860ca15eb70bc', 374890698],
    ['abc', '42b016c39dc7633e', 1118836419],
    ['Zürich 😀', 'e21cb69f943b384a', 3793532575],
  ])('digestText and hash32 keep their values for %j', (text, hex, h32) => {
    expect(digestHex(digestText(text))).toBe(hex);
    expect(hash32(text)).toBe(h32);
  });
});
