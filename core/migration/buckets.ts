import type { Digest } from './hash';

/**
 * Order-independent checksums of a set of rows, partitioned by key hash. Each bucket keeps the row count
 * and the sums (mod 2^32) of the two digest halves, so the same rows read in any order (a source in key
 * order, an export in no order) fold to the same checksums, and a row added, removed or changed moves its
 * bucket's checksum. Sums rather than XOR, so two identical rows do not cancel out.
 *
 * A fold of one side can be built in pieces (segments, workers) and merged.
 */
export class BucketFold {
  /** Per bucket: [count, sumHi, sumLo]. */
  public readonly cells: Uint32Array;

  public constructor(
    public readonly buckets: number,
    cells?: Uint32Array,
  ) {
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1 << 24) {
      throw new RangeError(`buckets must be a whole number from 1 to ${1 << 24}, got ${buckets}`);
    }
    if (cells && cells.length !== buckets * 3) throw new RangeError(`cells must hold ${buckets * 3} numbers, got ${cells.length}`);
    this.cells = cells ?? new Uint32Array(buckets * 3);
  }

  public add(bucket: number, digest: Digest): void {
    const i = bucket * 3;
    this.cells[i] = (this.cells[i] + 1) >>> 0;
    this.cells[i + 1] = (this.cells[i + 1] + digest.hi) >>> 0;
    this.cells[i + 2] = (this.cells[i + 2] + digest.lo) >>> 0;
  }

  public merge(other: BucketFold): void {
    if (other.buckets !== this.buckets) throw new RangeError(`cannot merge folds of ${this.buckets} and ${other.buckets} buckets`);
    for (let i = 0; i < this.cells.length; i++) this.cells[i] = (this.cells[i] + other.cells[i]) >>> 0;
  }

  public count(bucket: number): number {
    return this.cells[bucket * 3];
  }

  /** Rows folded in all buckets. */
  public total(): number {
    let n = 0;
    for (let b = 0; b < this.buckets; b++) n += this.cells[b * 3];
    return n;
  }

  /** Buckets whose checksums differ, ascending. */
  public differingBuckets(other: BucketFold): number[] {
    if (other.buckets !== this.buckets) throw new RangeError(`cannot compare folds of ${this.buckets} and ${other.buckets} buckets`);
    const out: number[] = [];
    for (let b = 0; b < this.buckets; b++) {
      const i = b * 3;
      if (this.cells[i] !== other.cells[i] || this.cells[i + 1] !== other.cells[i + 1] || this.cells[i + 2] !== other.cells[i + 2])
        out.push(b);
    }
    return out;
  }
}

/** Bucket count for a table: about `rowsPerBucket` rows each, a power of two, within [256, 2^20]. */
export function chooseBucketCount(estimatedRows: number, rowsPerBucket = 256): number {
  const want = Math.max(1, Math.ceil(estimatedRows / rowsPerBucket));
  let b = 256;
  while (b < want && b < 1 << 20) b <<= 1;
  return b;
}
