import { z } from 'zod';
import { canonicalJson } from './json';
import { digestHex, digestText } from './hash';
import { CheckpointMismatchError } from './errors';
import type { KeyValues, SegmentRange } from './segments';

/**
 * A backfill checkpoint: per segment, the last root key whose items are all written. It is saved after
 * every batch (the CLI writes it atomically to a file), so a run killed at any instant resumes after the
 * last saved key: rows after it are read and written again, and because a write is a put of the same
 * item under the same key, writing twice changes nothing. Counters only move with a saved batch, so
 * they count each row once across any number of resumes.
 *
 * Rejected rows are appended to the rejects file at the same moment; the checkpoint records the file's
 * length, and a resume first cuts the file back to it, so a reject is never listed twice.
 */
const keyValues = z.array(z.string()).min(1);

export const segmentStateSchema = z.object({
  id: z.number().int().min(0),
  after: keyValues.nullable(),
  upTo: keyValues.nullable(),
  /** Exclusive: the last root key fully written; null before the first batch. */
  cursor: keyValues.nullable(),
  done: z.boolean(),
  rows: z.number().int().min(0),
  items: z.number().int().min(0),
  rejected: z.number().int().min(0),
});
export type SegmentState = z.infer<typeof segmentStateSchema>;

export const runIdentitySchema = z.object({
  entity: z.string(),
  /** Digest of the entity's mapping: a changed mapping must not resume an old run. */
  mapping: z.string(),
  /** The source URL without credentials. */
  source: z.string(),
  table: z.string(),
});
export type RunIdentity = z.infer<typeof runIdentitySchema>;

export const backfillCheckpointSchema = z.object({
  version: z.literal(1),
  identity: runIdentitySchema,
  segments: z.array(segmentStateSchema).min(1),
  rejects: z.object({ file: z.string(), bytes: z.number().int().min(0) }),
  startedAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().optional(),
});
export type BackfillCheckpoint = z.infer<typeof backfillCheckpointSchema>;

export function mappingFingerprint(definition: unknown): string {
  return digestHex(digestText(canonicalJson(definition)));
}

export function newCheckpoint(
  identity: RunIdentity,
  segments: readonly SegmentRange[],
  rejectsFile: string,
  now: string,
): BackfillCheckpoint {
  return {
    version: 1,
    identity,
    segments: segments.map((s) => ({
      id: s.id,
      after: s.after ? [...s.after] : null,
      upTo: s.upTo ? [...s.upTo] : null,
      cursor: s.after ? [...s.after] : null,
      done: false,
      rows: 0,
      items: 0,
      rejected: 0,
    })),
    rejects: { file: rejectsFile, bytes: 0 },
    startedAt: now,
    updatedAt: now,
  };
}

export interface BatchCommit {
  readonly segment: number;
  /** The last root key of the batch (all its items written). */
  readonly cursor: KeyValues | null;
  readonly rows: number;
  readonly items: number;
  readonly rejected: number;
  /** The segment has no rows left. */
  readonly done: boolean;
}

/** The checkpoint after a batch is written. Pure: returns a new object. */
export function commitBatch(cp: BackfillCheckpoint, commit: BatchCommit, rejectsBytes: number, now: string): BackfillCheckpoint {
  const segments = cp.segments.map((s) => {
    if (s.id !== commit.segment) return s;
    if (s.done) throw new RangeError(`segment ${s.id} is already done`);
    return {
      ...s,
      cursor: commit.cursor ? [...commit.cursor] : s.cursor,
      done: commit.done,
      rows: s.rows + commit.rows,
      items: s.items + commit.items,
      rejected: s.rejected + commit.rejected,
    };
  });
  if (!segments.some((s) => s.id === commit.segment)) throw new RangeError(`no segment ${commit.segment} in the checkpoint`);
  const complete = segments.every((s) => s.done);
  return { ...cp, segments, rejects: { ...cp.rejects, bytes: rejectsBytes }, updatedAt: now, ...(complete ? { completedAt: now } : {}) };
}

export function checkpointTotals(cp: BackfillCheckpoint): { rows: number; items: number; rejected: number; segmentsDone: number } {
  let rows = 0;
  let items = 0;
  let rejected = 0;
  let segmentsDone = 0;
  for (const s of cp.segments) {
    rows += s.rows;
    items += s.items;
    rejected += s.rejected;
    if (s.done) segmentsDone++;
  }
  return { rows, items, rejected, segmentsDone };
}

/** Throws `CheckpointMismatchError` naming what differs when a checkpoint is not this run's. */
export function assertResumable(cp: BackfillCheckpoint, identity: RunIdentity): void {
  const differences: string[] = [];
  for (const k of ['entity', 'mapping', 'source', 'table'] as const) {
    if (cp.identity[k] !== identity[k])
      differences.push(`${k}: checkpoint has ${JSON.stringify(cp.identity[k])}, this run ${JSON.stringify(identity[k])}`);
  }
  if (differences.length > 0) {
    throw new CheckpointMismatchError(`the checkpoint belongs to another run (${differences.join('; ')}); start over with --restart`, {
      differences,
    });
  }
}

/** Parses a checkpoint read from storage; throws naming the first bad field. */
export function parseCheckpoint(data: unknown, where: string): BackfillCheckpoint {
  const parsed = backfillCheckpointSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CheckpointMismatchError(`${where} is not a backfill checkpoint: ${i.path.join('.') || '(root)'}: ${i.message}`, { where });
  }
  return parsed.data;
}
