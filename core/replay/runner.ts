import type { ReplayCheckpoint, ReplayCheckpointJson } from './checkpoint';
import { entityIdOf, fnv1a, type ReplayKey, type ReplayPlan } from './plan';
import type { TokenBucket } from './rate-limiter';

/**
 * The replay loop, with every effect injected (send, sleep, checkpoint store), so the same loop drives a
 * cloud replay (send = put on the bus in shadow mode) and an offline rehearsal (send = call the handler).
 *
 * Concurrency is by lanes: an entity always maps to the same lane, a lane runs its items one at a time in
 * plan order, so an entity's events are never in flight together and keep their order. When a send for
 * an entity fails, that entity's later items are held back (reported as blocked, not marked done), so a
 * resumed run retries from the failed one and the entity still sees its events in order.
 */

/** Marks a replayed event so nothing downstream mistakes it for live traffic. */
export interface ReplayMark {
  readonly replayId: string;
  readonly interactionId: string;
  /** Stable per (replay, interaction): the target can drop a repeat sent after a crash. */
  readonly replayEventId: string;
  readonly mode: 'shadow';
}

export function replayMarkFor(replayId: string, interactionId: string): ReplayMark {
  return { replayId, interactionId, replayEventId: `${replayId}:${interactionId}`, mode: 'shadow' };
}

export type ReplayRunState = 'running' | 'paused' | 'cancelled';

/** Pause, resume and cancel a running replay from outside (a signal handler, a command). */
export class ReplayControl {
  private current: ReplayRunState = 'running';
  private waiters: Array<() => void> = [];

  public get state(): ReplayRunState {
    return this.current;
  }

  public pause(): void {
    if (this.current === 'running') this.current = 'paused';
  }

  public resume(): void {
    if (this.current !== 'paused') return;
    this.current = 'running';
    this.release();
  }

  /** Stop after the items in flight; what is done stays checkpointed. */
  public cancel(): void {
    this.current = 'cancelled';
    this.release();
  }

  /** Resolves at once unless paused; then when resumed or cancelled. */
  public waitWhilePaused(): Promise<void> {
    if (this.current !== 'paused') return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

export interface ReplayProgress {
  readonly total: number;
  /** Sent and completed in this run. */
  readonly sent: number;
  /** Found done in the checkpoint and skipped. */
  readonly alreadyDone: number;
  readonly failed: number;
  readonly blocked: number;
}

export interface ReplayFailure {
  readonly id: string;
  readonly entityId: string;
  readonly error: { readonly name: string; readonly message: string };
}

export interface ReplayRunResult extends ReplayProgress {
  readonly status: 'completed' | 'cancelled';
  readonly failures: readonly ReplayFailure[];
  /** Items held back because an earlier item of their entity failed: `behind` names it. */
  readonly blockedItems: ReadonlyArray<{ readonly id: string; readonly entityId: string; readonly behind: string }>;
  readonly checkpoint: ReplayCheckpointJson;
}

export interface RunReplayOptions<T> {
  readonly plan: ReplayPlan<T>;
  readonly checkpoint: ReplayCheckpoint;
  readonly send: (item: T, key: ReplayKey) => Promise<void>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly limiter?: TokenBucket;
  /** Lanes running at once. @default 1 */
  readonly concurrency?: number;
  readonly control?: ReplayControl;
  /** Persist the checkpoint; called every `saveEvery` completions, on pause, and at the end. */
  readonly saveCheckpoint?: (checkpoint: ReplayCheckpointJson) => Promise<void>;
  /** @default 1 (each completion is saved: a crash repeats at most the sends in flight) */
  readonly saveEvery?: number;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

function errorInfo(e: unknown): { name: string; message: string } {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

export async function runReplay<T>(options: RunReplayOptions<T>): Promise<ReplayRunResult> {
  const { plan, checkpoint, send, sleep, limiter, control, saveCheckpoint, onProgress } = options;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const saveEvery = Math.max(1, Math.floor(options.saveEvery ?? 1));
  const keys = plan.keys;
  const n = keys.length;

  const lanes: number[][] = Array.from({ length: concurrency }, () => []);
  const entityOf: string[] = new Array(n);
  for (let i = 0; i < n; i += 1) {
    const k = keys[i];
    entityOf[i] = entityIdOf(k.entityType, k.entityKey);
    lanes[concurrency === 1 ? 0 : fnv1a(entityOf[i]) % concurrency].push(i);
  }

  const completed = new Uint8Array(n);
  let low = 0;
  let sent = 0;
  let alreadyDone = 0;
  let sinceSave = 0;
  const failures: ReplayFailure[] = [];
  const blockedItems: Array<{ id: string; entityId: string; behind: string }> = [];
  const failedEntities = new Map<string, string>();
  let saving: Promise<void> = Promise.resolve();

  const progress = (): ReplayProgress => ({ total: n, sent, alreadyDone, failed: failures.length, blocked: blockedItems.length });

  const complete = (i: number): void => {
    completed[i] = 1;
    if (i !== low) return;
    while (low < n && completed[low] === 1) low += 1;
    checkpoint.advanceWatermark(keys[low - 1]);
  };

  // Saves are chained so two lanes never write the checkpoint at once, and each save sees the latest state.
  const save = (): Promise<void> => {
    if (!saveCheckpoint) return Promise.resolve();
    sinceSave = 0;
    saving = saving.then(() => saveCheckpoint(checkpoint.toJSON()));
    return saving;
  };

  const runLane = async (indices: number[]): Promise<void> => {
    for (const i of indices) {
      if (control) {
        if (control.state === 'paused') {
          await save();
          await control.waitWhilePaused();
        }
        if (control.state === 'cancelled') return;
      }
      const key = keys[i];
      const entityId = entityOf[i];
      if (checkpoint.isDone(entityId, key)) {
        alreadyDone += 1;
        complete(i);
        continue;
      }
      const behind = failedEntities.get(entityId);
      if (behind !== undefined) {
        blockedItems.push({ id: key.id, entityId, behind });
        onProgress?.(progress());
        continue;
      }
      if (limiter) {
        const wait = limiter.reserve();
        if (wait > 0) await sleep(wait);
        if (control?.state === 'cancelled') return;
      }
      try {
        await send(plan.items[i], key);
      } catch (e) {
        failures.push({ id: key.id, entityId, error: errorInfo(e) });
        failedEntities.set(entityId, key.id);
        onProgress?.(progress());
        continue;
      }
      checkpoint.markDone(entityId, key);
      sent += 1;
      complete(i);
      sinceSave += 1;
      if (saveCheckpoint && sinceSave >= saveEvery) await save();
      onProgress?.(progress());
    }
  };

  await Promise.all(lanes.map((l) => runLane(l)));
  await save();
  await saving;
  return {
    ...progress(),
    status: control?.state === 'cancelled' ? 'cancelled' : 'completed',
    failures,
    blockedItems,
    checkpoint: checkpoint.toJSON(),
  };
}
