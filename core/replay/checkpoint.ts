import { CutoverError } from '../errors';
import { comparePositions, type ReplayPosition } from './plan';

/**
 * Where a replay got to, so a resumed run skips exactly what was done: nothing lost, nothing sent twice
 * (as long as the checkpoint is saved after each completion; a crash between a send and the save can
 * repeat that one send, which is why replayed events carry a stable `replayEventId` the target can dedupe).
 *
 * Two parts: a global `watermark` (every item at or before it, in plan order, is done) and, above it, the
 * last done position per entity. Entities replay in order, so "done" for an entity is a prefix of its
 * items; several entities may run at once, so the global prefix trails behind. Entries at or below the
 * watermark are pruned, which keeps the checkpoint small when a replay runs mostly in order.
 */
export interface ReplayCheckpointJson {
  readonly checkpointVersion: 1;
  readonly fingerprint: string;
  readonly watermark?: ReplayPosition;
  readonly entities: Readonly<Record<string, ReplayPosition>>;
  readonly done: number;
}

/** A checkpoint does not belong to this replay, or is malformed, or a caller broke per-entity order. */
export class ReplayCheckpointError extends CutoverError {}

function isPosition(v: unknown): v is ReplayPosition {
  if (v === null || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return typeof p.at === 'number' && Number.isFinite(p.at) && typeof p.sequence === 'number' && typeof p.id === 'string';
}

export class ReplayCheckpoint {
  private watermark: ReplayPosition | undefined;
  private readonly entities = new Map<string, ReplayPosition>();
  private doneCount = 0;
  private pruneAt = 1024;

  private constructor(public readonly fingerprint: string) {}

  /** A fresh checkpoint for a replay identified by `fingerprint` (see `replayFingerprint`). */
  public static start(fingerprint: string): ReplayCheckpoint {
    return new ReplayCheckpoint(fingerprint);
  }

  /** Load a saved checkpoint; refuses one saved by a replay with another filter, source or target. */
  public static fromJSON(json: unknown, fingerprint: string): ReplayCheckpoint {
    if (json === null || typeof json !== 'object')
      throw new ReplayCheckpointError(`checkpoint must be an object, got ${JSON.stringify(json)}`);
    const j = json as Partial<ReplayCheckpointJson>;
    if (j.checkpointVersion !== 1)
      throw new ReplayCheckpointError(`checkpointVersion ${JSON.stringify(j.checkpointVersion)} is not known (known: 1)`, {
        field: 'checkpointVersion',
      });
    if (j.fingerprint !== fingerprint) {
      throw new ReplayCheckpointError(
        `checkpoint belongs to another replay (fingerprint ${JSON.stringify(j.fingerprint)}, this replay is ${JSON.stringify(fingerprint)}): same filter, source and target are needed to resume`,
        { field: 'fingerprint', saved: j.fingerprint, expected: fingerprint },
      );
    }
    const cp = new ReplayCheckpoint(fingerprint);
    if (j.watermark !== undefined) {
      if (!isPosition(j.watermark))
        throw new ReplayCheckpointError(`watermark is not a position: ${JSON.stringify(j.watermark)}`, { field: 'watermark' });
      cp.watermark = j.watermark;
    }
    for (const [entity, pos] of Object.entries(j.entities ?? {})) {
      if (!isPosition(pos))
        throw new ReplayCheckpointError(`entities[${JSON.stringify(entity)}] is not a position: ${JSON.stringify(pos)}`, {
          field: `entities.${entity}`,
        });
      cp.entities.set(entity, pos);
    }
    cp.doneCount = typeof j.done === 'number' ? j.done : 0;
    return cp;
  }

  public get done(): number {
    return this.doneCount;
  }

  public isDone(entityId: string, position: ReplayPosition): boolean {
    if (this.watermark && comparePositions(position, this.watermark) <= 0) return true;
    const last = this.entities.get(entityId);
    return last !== undefined && comparePositions(position, last) <= 0;
  }

  /**
   * Record that the item at `position` of `entityId` is done. Items of one entity must complete in order:
   * marking one behind the entity's last done position means the caller broke ordering, and throws.
   */
  public markDone(entityId: string, position: ReplayPosition): void {
    const last = this.entities.get(entityId);
    if (last && comparePositions(position, last) <= 0) {
      throw new ReplayCheckpointError(
        `${entityId}: ${position.id} completed after ${last.id}, which comes later; per-entity order was broken`,
        { entityId, position, last },
      );
    }
    if (this.watermark && comparePositions(position, this.watermark) <= 0) {
      throw new ReplayCheckpointError(`${entityId}: ${position.id} is already below the watermark ${this.watermark.id}`, {
        entityId,
        position,
      });
    }
    this.entities.set(entityId, position);
    this.doneCount += 1;
  }

  /** Everything at or before `position` in plan order is done: raise the watermark and prune. */
  public advanceWatermark(position: ReplayPosition): void {
    if (this.watermark && comparePositions(position, this.watermark) <= 0) return;
    this.watermark = position;
    // Prune in batches, not on every call: a sweep is O(entities) and this runs once per completion.
    if (this.entities.size >= this.pruneAt) this.prune();
  }

  private prune(): void {
    const w = this.watermark;
    if (w) {
      for (const [entity, pos] of this.entities) {
        if (comparePositions(pos, w) <= 0) this.entities.delete(entity);
      }
    }
    this.pruneAt = Math.max(1024, this.entities.size * 2);
  }

  public toJSON(): ReplayCheckpointJson {
    this.prune();
    return {
      checkpointVersion: 1,
      fingerprint: this.fingerprint,
      ...(this.watermark ? { watermark: this.watermark } : {}),
      entities: Object.fromEntries(this.entities),
      done: this.doneCount,
    };
  }
}
