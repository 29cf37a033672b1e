import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCheckpoint, type BackfillCheckpoint, type RowReject } from '../../core/migration';

/** Where a backfill keeps its checkpoint between runs. */
export interface CheckpointStore {
  load(): Promise<BackfillCheckpoint | undefined>;
  save(checkpoint: BackfillCheckpoint): Promise<void>;
  clear(): Promise<void>;
  describe(): string;
}

/**
 * A checkpoint in a local JSON file, replaced atomically (write a temporary file, then rename over the
 * old one): a kill at any instant leaves either the old or the new checkpoint, never half of one. No
 * fsync per batch (that would cost a disk flush every 25 items): a power cut can lose the last few
 * checkpoints, which only means those rows are written again, identically.
 */
export class FileCheckpointStore implements CheckpointStore {
  public constructor(public readonly file: string) {}

  public describe(): string {
    return this.file;
  }

  public async load(): Promise<BackfillCheckpoint | undefined> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    return parseCheckpoint(data, this.file);
  }

  public async save(checkpoint: BackfillCheckpoint): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(checkpoint, null, 1));
    await fs.promises.rename(tmp, this.file);
  }

  public async clear(): Promise<void> {
    await fs.promises.rm(this.file, { force: true });
  }
}

/** Keeps the checkpoint in memory (tests, and runs that need no resume). */
export class MemoryCheckpointStore implements CheckpointStore {
  public saved: BackfillCheckpoint | undefined;
  public saves = 0;
  public async load(): Promise<BackfillCheckpoint | undefined> {
    return this.saved && (JSON.parse(JSON.stringify(this.saved)) as BackfillCheckpoint);
  }
  public async save(checkpoint: BackfillCheckpoint): Promise<void> {
    this.saved = JSON.parse(JSON.stringify(checkpoint)) as BackfillCheckpoint;
    this.saves++;
  }
  public async clear(): Promise<void> {
    this.saved = undefined;
  }
  public describe(): string {
    return 'memory';
  }
}

/**
 * The rejects file: one JSON line per row the mapping refused, with the column, the value and the reason.
 * Appends are flushed to disk (rejects are rare, and losing one would lose a row).
 */
export class RejectsFile {
  private bytes = 0;

  public constructor(public readonly file: string) {}

  /** Cuts the file back to `bytes` (the length the checkpoint recorded), creating it if needed. */
  public async resetTo(bytes: number): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const fh = await fs.promises.open(this.file, 'a+');
    try {
      const { size } = await fh.stat();
      if (size > bytes) await fh.truncate(bytes);
      this.bytes = Math.min(size, bytes);
    } finally {
      await fh.close();
    }
  }

  public get size(): number {
    return this.bytes;
  }

  public async append(rejects: readonly RowReject[], at: string): Promise<number> {
    if (rejects.length === 0) return this.bytes;
    const text = rejects.map((r) => `${JSON.stringify({ ...r, at })}\n`).join('');
    const fh = await fs.promises.open(this.file, 'a');
    try {
      await fh.write(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.bytes += Buffer.byteLength(text);
    return this.bytes;
  }
}
