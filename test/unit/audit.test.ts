import fc from 'fast-check';
import {
  auditStreamFor,
  canonicalJson,
  CanonicalJsonError,
  ChainVerifier,
  entrySortKey,
  GENESIS_HASH,
  hashEntry,
  markerSortKey,
  messageIdOf,
  nextEntry,
  sequenceOf,
  UNCORRELATED_STREAM,
  verifyChain,
  type AuditEntry,
  type AuditRecord,
} from '../../core/audit';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';

const spec = parseSpec(config);
const at = new Date('2026-11-21T14:30:00.000Z');

function record(i: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    kind: 'event',
    eventId: `evt-${i}`,
    bus: 'legacy',
    source: 'shop.monolith',
    detailType: 'ORDER_PLACED',
    payload: JSON.stringify({ n: i }),
    ...extra,
  };
}

function chain(stream: string, n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) out.push(nextEntry(stream, out[out.length - 1], record(i), new Date(at.getTime() + i)));
  return out;
}

describe('Function: canonicalJson', () => {
  it('spells objects the same whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, 'x'] }, b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('drops undefined members like JSON does, and writes -0 as 0', () => {
    expect(canonicalJson({ a: undefined, b: -0 })).toBe('{"b":0}');
  });

  it.each([
    ['NaN', { a: Number.NaN }, /\$\.a: NaN has no JSON form/],
    ['Infinity in a list', [1, Infinity], /\$\[1\]/],
    ['undefined in a list', [undefined], /\$\[0\]: undefined/],
    ['a function', { f: () => 1 }, /\$\.f: a function/],
    ['a Date', { d: new Date(0) }, /only plain objects/],
  ])('refuses %s, naming the path', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it('refuses a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/refers to itself/);
  });

  it('is a fixed point of JSON round trips (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canonicalJson(v);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Function: keys', () => {
  it('pads sequences so entries sort by sequence, and reads them back', () => {
    expect(entrySortKey(7)).toBe('S#000000000007');
    expect(entrySortKey(10) > entrySortKey(9)).toBe(true);
    expect(sequenceOf(entrySortKey(123456))).toBe(123456);
    expect(sequenceOf(markerSortKey('abc'))).toBeUndefined();
    expect(markerSortKey('abc') < entrySortKey(1)).toBe(true);
  });

  it.each([0, -1, 1.5, 10 ** 12])('refuses sequence %p', (n) => {
    expect(() => entrySortKey(n)).toThrow(RangeError);
  });
});

describe('Function: nextEntry', () => {
  it('starts a stream at sequence 1 linked to the genesis hash', () => {
    // Act
    const first = nextEntry('order-1', undefined, record(1), at);

    // Assess
    expect(first).toMatchObject({ stream: 'order-1', sequence: 1, prevHash: GENESIS_HASH, recordedAt: at.toISOString() });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.hash).toBe(hashEntry(first));
  });

  it('links each entry to the hash of the previous one', () => {
    // Act
    const [a, b] = chain('s', 2);

    // Assess
    expect(b.sequence).toBe(2);
    expect(b.prevHash).toBe(a.hash);
    expect(b.hash).not.toBe(a.hash);
  });

  it('leaves absent optional fields out of the entry (and the hash)', () => {
    const e = nextEntry('s', undefined, { kind: 'event', eventId: 'x', payload: '{}', bus: undefined }, at);
    expect(Object.keys(e)).not.toContain('bus');
  });
});

describe('Function: verifyChain', () => {
  it('accepts intact chains of several interleaved streams', () => {
    // Prepare
    const a = chain('a', 5);
    const b = chain('b', 3);
    const interleaved = [a[0], b[0], a[1], a[2], b[1], a[3], b[2], a[4]];

    // Act / Assess
    expect(verifyChain(interleaved)).toEqual({ ok: true, streams: 2, entries: 8 });
  });

  it('reports a changed payload at its sequence, with the recomputed and the stored hash', () => {
    // Prepare
    const entries = chain('order-1', 4);
    entries[2] = { ...entries[2], payload: '{"n":999}' };

    // Act
    const result = verifyChain(entries);

    // Assess
    expect(result).toMatchObject({ ok: false, stream: 'order-1', sequence: 3, check: 'hash', found: entries[2].hash });
    expect(result.ok === false && result.expected).toBe(hashEntry(entries[2]));
    expect(result.ok === false && result.message).toMatch(/stream "order-1" breaks at sequence 3/);
  });

  it('reports a re-hashed forgery at the next entry (its link no longer matches)', () => {
    // Prepare: the forger rewrites entry 2 and its hash, but cannot rewrite entry 3's prevHash unnoticed
    const entries = chain('order-1', 3);
    const forged = { ...entries[1], payload: '{"n":-1}' };
    entries[1] = { ...forged, hash: hashEntry(forged) };

    // Act
    const result = verifyChain(entries);

    // Assess
    expect(result).toMatchObject({
      ok: false,
      sequence: 3,
      check: 'prevHash',
      expected: entries[1].hash,
      found: chain('order-1', 3)[2].prevHash,
    });
  });

  it('reports a deleted entry as a gap', () => {
    // Prepare
    const entries = chain('s', 4);
    entries.splice(1, 1);

    // Act / Assess
    expect(verifyChain(entries)).toMatchObject({ ok: false, sequence: 3, check: 'sequence', expected: 'sequence 2', found: 'sequence 3' });
  });

  it('reports an added attribute (it is hashed like the rest)', () => {
    const entries = chain('s', 2);
    entries[0] = { ...entries[0], note: 'added later' };
    expect(verifyChain(entries)).toMatchObject({ ok: false, sequence: 1, check: 'hash' });
  });

  it('detects any single changed field of any entry, at that entry (property)', () => {
    const fields = ['kind', 'eventId', 'bus', 'source', 'detailType', 'payload', 'recordedAt', 'stream', 'prevHash', 'hash'] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.nat(),
        fc.constantFrom(...fields),
        fc.string({ minLength: 1, maxLength: 8 }),
        (n, pick, field, junk) => {
          // Prepare
          const entries = chain('p', n);
          const i = pick % n;
          const original = entries[i][field] as string;
          const changed = original + junk;
          entries[i] = { ...entries[i], [field]: changed };
          const verifier = new ChainVerifier();

          // Act
          const firstBad = entries
            .map((e) => (field === 'stream' ? verifier.expectStream('p', e) : verifier.push(e)))
            .find((x) => x !== undefined);

          // Assess
          expect(firstBad).toBeDefined();
          expect(firstBad!.sequence).toBe(i + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports the first break of each stream separately', () => {
    // Prepare
    const a = chain('a', 3);
    const b = chain('b', 3);
    b[0] = { ...b[0], payload: 'x' };
    a[2] = { ...a[2], payload: 'y' };
    const verifier = new ChainVerifier();

    // Act
    [...a, ...b].forEach((e) => verifier.push(e));

    // Assess
    expect(verifier.brokenLinks().map((l) => [l.stream, l.sequence])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
    expect(verifier.result()).toMatchObject({ ok: false, stream: 'a' });
  });
});

describe('Function: auditStreamFor', () => {
  const placed = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
  it.each([
    ['a monolith event, by its entity key', { detailType: 'ORDER_PLACED', detail: placed }, 'order-1000001'],
    [
      'a customer event, by its own entity',
      { detailType: 'CUSTOMER_UPDATED', detail: spec.bridge.legacyEvents.CUSTOMER_UPDATED.examples[0] },
      'customer-C00042',
    ],
    [
      'a legacy event the bridge emitted, by its stamp',
      { detailType: 'ORDER_PLACED', source: 'cutover.bridge', detail: { ...placed, _cutover: { correlationId: 'corr-9' } } },
      'corr-9',
    ],
    // A monolith event cannot claim another order's history: its stamp is not the bridge's.
    [
      'a monolith event forging a stamp, by its own entity key',
      { detailType: 'ORDER_PLACED', source: 'shop.monolith', detail: { ...placed, _cutover: { correlationId: 'order-999' } } },
      'order-1000001',
    ],
    [
      'a service event with a malformed correlation id, in uncorrelated',
      {
        detailType: 'order.created',
        detail: { metadata: { eventId: 'e', eventType: 'order.created', version: 2, correlationId: 'order-1\u0000\u202e' }, data: {} },
      },
      'uncorrelated',
    ],
    [
      'a service event, by its correlation id',
      {
        detailType: 'order.created',
        detail: { metadata: { eventId: 'e', eventType: 'order.created', version: 2, correlationId: 'corr-7' }, data: {} },
      },
      'corr-7',
    ],
    ['an unknown type', { detailType: 'NOPE', detail: { ORDER_NO: '1' } }, UNCORRELATED_STREAM],
    ['a known type without its key', { detailType: 'ORDER_PLACED', detail: { MSG_ID: 'x' } }, UNCORRELATED_STREAM],
    ['a detail that is not an object', { detailType: 'ORDER_PLACED', detail: 'hello' }, UNCORRELATED_STREAM],
    ['a prototype key as the type', { detailType: 'constructor', detail: {} }, UNCORRELATED_STREAM],
  ])('places %s', (_what, event, stream) => {
    expect(auditStreamFor(spec, event)).toBe(stream);
  });

  it('reads the business message id of legacy and service events', () => {
    expect(messageIdOf(spec, { detailType: 'ORDER_PLACED', detail: placed })).toBe('MSG-20261121-000001');
    expect(messageIdOf(spec, { detailType: 'x', detail: { metadata: { eventId: 'e1', eventType: 'x', version: 1 }, data: {} } })).toBe(
      'e1',
    );
    expect(messageIdOf(spec, { detailType: 'NOPE', detail: placed })).toBeUndefined();
  });
});
