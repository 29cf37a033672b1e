/**
 * Drill-down: after the bucket checksums of the two sides are compared, only the rows of differing
 * buckets are looked at. While folding, each side writes one small record per row (bucket, digest, key,
 * and a locator to fetch the full row again) to a spill, partitioned by bucket; the drill-down reads only
 * the partitions that hold differing buckets and keeps only those buckets' records. Memory stays bounded
 * by the partition size whatever the table size, and the full rows are fetched again only for the keys
 * whose digests differ.
 */

export interface SpillRecord {
  readonly bucket: number;
  /** 16 hex digits (hash.ts `digestHex`). */
  readonly digest: string;
  /** Key text (canonical.ts `keyText`): JSON, so it never holds a raw tab or newline. */
  readonly key: string;
  /** How to fetch the full row again: the source's root key, an export file offset. JSON or empty. */
  readonly locator: string;
}

export function formatSpillRecord(r: SpillRecord): string {
  return `${r.bucket}\t${r.digest}\t${r.key}\t${r.locator}\n`;
}

export function parseSpillRecord(line: string): SpillRecord {
  const a = line.indexOf('\t');
  const b = line.indexOf('\t', a + 1);
  const c = line.indexOf('\t', b + 1);
  if (a < 0 || b < 0 || c < 0) throw new SyntaxError(`not a spill record: ${line.slice(0, 80)}`);
  return { bucket: Number(line.slice(0, a)), digest: line.slice(a + 1, b), key: line.slice(b + 1, c), locator: line.slice(c + 1) };
}

export function partitionOf(bucket: number, partitions: number): number {
  return bucket % partitions;
}

/** Which spill partitions to read, and which buckets of each matter. */
export function planDrillDown(differingBuckets: readonly number[], partitions: number): Map<number, Set<number>> {
  const plan = new Map<number, Set<number>>();
  for (const b of differingBuckets) {
    const p = partitionOf(b, partitions);
    let set = plan.get(p);
    if (!set) {
      set = new Set();
      plan.set(p, set);
    }
    set.add(b);
  }
  return new Map([...plan.entries()].sort((x, y) => x[0] - y[0]));
}

export interface Classification {
  /** Same key, same digest. */
  matched: number;
  /** In the source (mapped), not in the target. */
  readonly missing: SpillRecord[];
  /** In the target, not in the source. */
  readonly extra: SpillRecord[];
  /** Same key, different digests: compare the full items to say how (or find they agree within tolerance). */
  readonly changed: { readonly source: SpillRecord; readonly target: SpillRecord }[];
  /** A key the mapping produced more than once: the target can hold only one of them. */
  readonly duplicates: SpillRecord[];
}

/** Classifies the records of some buckets from both sides. Output lists are sorted by key. */
export function classify(source: Iterable<SpillRecord>, target: Iterable<SpillRecord>): Classification {
  const bySource = new Map<string, SpillRecord>();
  const duplicates: SpillRecord[] = [];
  for (const r of source) {
    if (bySource.has(r.key)) duplicates.push(r);
    else bySource.set(r.key, r);
  }
  const out: Classification = { matched: 0, missing: [], extra: [], changed: [], duplicates };
  const seen = new Set<string>();
  for (const t of target) {
    if (seen.has(t.key)) continue;
    seen.add(t.key);
    const s = bySource.get(t.key);
    if (!s) out.extra.push(t);
    else if (s.digest === t.digest) out.matched++;
    else out.changed.push({ source: s, target: t });
  }
  for (const [k, s] of bySource) if (!seen.has(k)) out.missing.push(s);
  const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  out.missing.sort(byKey);
  out.extra.sort(byKey);
  out.changed.sort((a, b) => byKey(a.source, b.source));
  duplicates.sort(byKey);
  return out;
}
