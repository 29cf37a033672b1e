/**
 * Segments: disjoint key ranges of a source table that backfill workers read in parallel, each in key
 * order with keyset pagination. A segment is `(after, upTo]`: keys greater than `after` (none: from the
 * start) and at most `upTo` (none: to the end, so rows inserted past the last key are still read).
 */

/** Root key column values as SQL text, in key column order. */
export type KeyValues = readonly string[];

export interface SegmentRange {
  readonly id: number;
  readonly after: KeyValues | null;
  readonly upTo: KeyValues | null;
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * Splits a single whole-number key between `min` and `max` (inclusive) into up to `count` even ranges.
 * Fewer ranges when there are fewer keys than segments. BigInt arithmetic: BIGINT keys stay exact.
 */
export function planIntegerSegments(min: string, max: string, count: number): SegmentRange[] {
  if (!INTEGER.test(min) || !INTEGER.test(max)) throw new RangeError(`integer segments need whole-number bounds, got ${min} and ${max}`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`segment count must be a whole number >= 1, got ${count}`);
  const lo = BigInt(min);
  const hi = BigInt(max);
  if (hi < lo) return [{ id: 0, after: null, upTo: null }];
  const span = hi - lo + 1n;
  const n = BigInt(count) > span ? Number(span) : count;
  const bound = (i: number) => lo - 1n + (span * BigInt(i)) / BigInt(n);
  const out: SegmentRange[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: i,
      after: i === 0 ? null : [bound(i).toString()],
      upTo: i === n - 1 ? null : [bound(i + 1).toString()],
    });
  }
  return out;
}

/**
 * Ordinal positions (0-based, in key order) of the keys that end each segment but the last, for a table
 * of `rows` rows split `count` ways. A key-only scan picks those keys; see `segmentsFromBoundaries`.
 */
export function boundaryPositions(rows: number, count: number): number[] {
  const n = Math.max(1, Math.min(count, rows));
  const out: number[] = [];
  for (let i = 1; i < n; i++) out.push(Math.floor((rows * i) / n) - 1);
  return out;
}

/** Segments ending at the given keys (ascending, distinct), plus a last one to the end. */
export function segmentsFromBoundaries(boundaries: readonly KeyValues[]): SegmentRange[] {
  const out: SegmentRange[] = [];
  let after: KeyValues | null = null;
  boundaries.forEach((b, i) => {
    out.push({ id: i, after, upTo: b });
    after = b;
  });
  out.push({ id: boundaries.length, after, upTo: null });
  return out;
}
