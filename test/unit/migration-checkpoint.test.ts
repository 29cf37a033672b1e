import fc from 'fast-check';
import {
  assertResumable,
  backoffDelay,
  boundaryPositions,
  CheckpointMismatchError,
  checkpointTotals,
  commitBatch,
  isRetryable,
  mappingFingerprint,
  newCheckpoint,
  parseCheckpoint,
  planIntegerSegments,
  segmentsFromBoundaries,
  type SegmentRange,
} from '../../core/migration';

/** Which segment a whole-number key falls in; -1 when none, and throws when two claim it. */
function owner(segments: readonly SegmentRange[], key: bigint): number {
  const hits = segments.filter((s) => (s.after === null || key > BigInt(s.after[0])) && (s.upTo === null || key <= BigInt(s.upTo[0])));
  if (hits.length > 1) throw new Error(`key ${key} is in ${hits.length} segments`);
  return hits.length === 1 ? hits[0].id : -1;
}

describe('Function: planIntegerSegments', () => {
  it('covers every key exactly once, in id order, with open ends', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.integer({ min: 1, max: 16 }),
        (min, span, n) => {
          const max = min + span;
          const segments = planIntegerSegments(String(min), String(max), n);
          expect(segments[0].after).toBeNull();
          expect(segments[segments.length - 1].upTo).toBeNull();
          expect(segments.length).toBe(Math.min(n, Number(span + 1n)));
          const probes = [min - 5n, min, min + span / 3n, min + span / 2n, max, max + 100n];
          let last = -1;
          for (const k of probes.sort((a, b) => (a < b ? -1 : 1))) {
            const o = owner(segments, k);
            expect(o).toBeGreaterThanOrEqual(last);
            last = o;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits evenly: no segment more than one key wider than another', () => {
    const segments = planIntegerSegments('1000001', '2000000', 4);
    expect(segments.map((s) => [s.after?.[0] ?? null, s.upTo?.[0] ?? null])).toEqual([
      [null, '1250000'],
      ['1250000', '1500000'],
      ['1500000', '1750000'],
      ['1750000', null],
    ]);
  });

  it('refuses bounds that are not whole numbers, naming them', () => {
    expect(() => planIntegerSegments('a', '9', 2)).toThrow('integer segments need whole-number bounds, got a and 9');
  });
});

describe('Function: segmentsFromBoundaries', () => {
  it('chains (after, upTo] ranges from the boundary keys', () => {
    expect(segmentsFromBoundaries([['b'], ['m']])).toEqual([
      { id: 0, after: null, upTo: ['b'] },
      { id: 1, after: ['b'], upTo: ['m'] },
      { id: 2, after: ['m'], upTo: null },
    ]);
    expect(boundaryPositions(10, 4)).toEqual([1, 4, 6]);
    expect(boundaryPositions(2, 8)).toEqual([0]);
  });
});

describe('Function: commitBatch', () => {
  const identity = { entity: 'orders', mapping: mappingFingerprint({ a: 1 }), source: 'postgres://x@h/db', table: 'orders' };
  const start = () =>
    newCheckpoint(identity, planIntegerSegments('1', '100', 2), '.cutover/rejects-orders.jsonl', '2026-01-01T00:00:00.000Z');

  it('moves the segment cursor and the counters, and completes when every segment is done', () => {
    // Prepare
    let cp = start();

    // Act
    cp = commitBatch(cp, { segment: 0, cursor: ['25'], rows: 24, items: 30, rejected: 1, done: false }, 120, 't1');
    cp = commitBatch(cp, { segment: 1, cursor: ['100'], rows: 50, items: 50, rejected: 0, done: true }, 120, 't2');
    const mid = cp;
    cp = commitBatch(cp, { segment: 0, cursor: ['50'], rows: 25, items: 25, rejected: 0, done: true }, 130, 't3');

    // Assess
    expect(mid.completedAt).toBeUndefined();
    expect(cp.completedAt).toBe('t3');
    expect(cp.segments[0].cursor).toEqual(['50']);
    expect(checkpointTotals(cp)).toEqual({ rows: 99, items: 105, rejected: 1, segmentsDone: 2 });
    expect(cp.rejects.bytes).toBe(130);
  });

  it('keeps the cursor when a commit carries none, and refuses to move a finished segment', () => {
    let cp = commitBatch(start(), { segment: 0, cursor: ['10'], rows: 10, items: 10, rejected: 0, done: false }, 0, 't');
    cp = commitBatch(cp, { segment: 0, cursor: null, rows: 0, items: 0, rejected: 0, done: true }, 0, 't');
    expect(cp.segments[0].cursor).toEqual(['10']);
    expect(() => commitBatch(cp, { segment: 0, cursor: ['11'], rows: 1, items: 1, rejected: 0, done: false }, 0, 't')).toThrow(
      'segment 0 is already done',
    );
  });

  it('refuses to resume a checkpoint of another run, naming what differs', () => {
    const cp = start();
    expect(() => assertResumable(cp, identity)).not.toThrow();
    expect(() => assertResumable(cp, { ...identity, mapping: 'other' })).toThrow(CheckpointMismatchError);
    expect(() => assertResumable(cp, { ...identity, table: 'orders-v2' })).toThrow('table: checkpoint has "orders", this run "orders-v2"');
  });

  it('gives a changed mapping a different fingerprint, and the same mapping the same one whatever its key order', () => {
    expect(mappingFingerprint({ a: 1, b: [1, 2] })).toBe(mappingFingerprint({ b: [1, 2], a: 1 }));
    expect(mappingFingerprint({ a: 1, b: [1, 2] })).not.toBe(mappingFingerprint({ a: 1, b: [2, 1] }));
  });

  it('parses a saved checkpoint back, and names the bad field of a damaged one', () => {
    const cp = start();
    expect(parseCheckpoint(JSON.parse(JSON.stringify(cp)), 'f.json')).toEqual(cp);
    expect(() => parseCheckpoint({ ...cp, segments: [{ ...cp.segments[0], rows: -1 }] }, 'f.json')).toThrow(
      'f.json is not a backfill checkpoint: segments.0.rows',
    );
  });
});

describe('Function: backoffDelay', () => {
  it('stays below an exponential ceiling that stops at the cap, and uses the whole range (full jitter)', () => {
    expect(backoffDelay(0, { baseMs: 50, capMs: 1000 }, () => 0.999)).toBe(49);
    expect(backoffDelay(3, { baseMs: 50, capMs: 1000 }, () => 0.999)).toBe(399);
    expect(backoffDelay(30, { baseMs: 50, capMs: 1000 }, () => 0.999)).toBe(999);
    expect(backoffDelay(5, {}, () => 0)).toBe(0);
  });

  it.each([
    [{ name: 'ProvisionedThroughputExceededException' }, true],
    [{ name: 'ThrottlingException' }, true],
    [{ name: 'Error', $metadata: { httpStatusCode: 503 } }, true],
    [{ name: 'Error', code: 'ECONNRESET' }, true],
    [{ name: 'ValidationException', $metadata: { httpStatusCode: 400 } }, false],
    [{ name: 'ResourceNotFoundException' }, false],
  ])('classifies %j as retryable: %s', (error, expected) => {
    expect(isRetryable(error)).toBe(expected);
  });
});
