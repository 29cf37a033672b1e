import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSpillRecord, parseSpillRecord, type SpillRecord } from '../../core/migration';

/**
 * One side's spill: a file per partition of buckets, one small record per row (see core drill.ts). Writes
 * are buffered per partition and flushed synchronously in large pieces, so memory stays at partitions x
 * the flush size whatever the table size.
 */
export class SpillWriter {
  private readonly fds: number[];
  private readonly buffers: string[][];
  private readonly sizes: number[];
  public records = 0;

  public constructor(
    public readonly dir: string,
    public readonly partitions: number,
    private readonly flushBytes = 64 * 1024,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.fds = Array.from({ length: partitions }, (_, p) => fs.openSync(spillFile(dir, p), 'w'));
    this.buffers = Array.from({ length: partitions }, () => []);
    this.sizes = new Array<number>(partitions).fill(0);
  }

  public add(record: SpillRecord): void {
    this.addLine(record.bucket, formatSpillRecord(record));
  }

  /** A record already formatted by `formatSpillRecord` (the fold's hot path builds it in one go). */
  public addLine(bucket: number, line: string): void {
    const p = bucket % this.partitions;
    this.buffers[p].push(line);
    this.sizes[p] += line.length;
    this.records++;
    if (this.sizes[p] >= this.flushBytes) this.flush(p);
  }

  private flush(p: number): void {
    if (this.buffers[p].length === 0) return;
    fs.writeSync(this.fds[p], this.buffers[p].join(''));
    this.buffers[p] = [];
    this.sizes[p] = 0;
  }

  public close(): void {
    for (let p = 0; p < this.partitions; p++) {
      this.flush(p);
      fs.closeSync(this.fds[p]);
    }
  }
}

export function spillFile(dir: string, partition: number): string {
  return path.join(dir, `part-${String(partition).padStart(4, '0')}.tsv`);
}

/** The records of one partition that fall in the given buckets. */
export function readSpillPartition(dir: string, partition: number, buckets: ReadonlySet<number>): SpillRecord[] {
  const text = fs.readFileSync(spillFile(dir, partition), 'utf8');
  const out: SpillRecord[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const tab = text.indexOf('\t', start);
    if (tab > start && tab < end && buckets.has(Number(text.slice(start, tab)))) out.push(parseSpillRecord(text.slice(start, end)));
    start = end + 1;
  }
  return out;
}
