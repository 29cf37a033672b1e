import {
  assertResumable,
  checkpointTotals,
  commitBatch,
  mappingFingerprint,
  newCheckpoint,
  RunAbortedError,
  type BackfillCheckpoint,
  type CompiledEntity,
  type Item,
  type KeyValues,
  type RowReject,
  type SegmentState,
} from '../../core/migration';
import { silentProgress, type Progress } from './progress';
import { planSegments } from './segments';
import { rowKeyValues, type SqlSource } from '../../adapters/sql/sql-source';
import type { CheckpointStore, RejectsFile } from './state';
import type { AuditSink } from './audit';
import type { ItemWriter } from '../../adapters/migration-target/target';

export interface BackfillOptions {
  readonly entity: CompiledEntity;
  readonly source: SqlSource;
  readonly target: ItemWriter;
  /** The deployed table name, part of the run's identity in the checkpoint. */
  readonly tableName: string;
  readonly checkpoints: CheckpointStore;
  readonly rejects: RejectsFile;
  /** Key ranges read and written in parallel. @default 4 */
  readonly segments?: number;
  /** Root rows per source page. @default 1000 */
  readonly pageSize?: number;
  /** Items per BatchWriteItem (DynamoDB allows 25). @default 25 */
  readonly batchSize?: number;
  /** Ignore an existing checkpoint and start over. @default false */
  readonly restart?: boolean;
  /** Stops the run after the batch in flight; everything written is in the checkpoint. */
  readonly signal?: AbortSignal;
  readonly progress?: Progress;
  readonly now?: () => Date;
  /**
   * Where the run is recorded (stream `migration-<entity>`): an entry when it starts, and one when it ends
   * (complete, stopped or failed) with its counts and the rows the mapping rejected. @default - none
   */
  readonly audit?: AuditSink;
  /** Rejected rows named in the closing audit entry (the rejects file has them all). @default 100 */
  readonly auditRejectsShown?: number;
}

export interface BackfillSummary {
  readonly entity: string;
  readonly table: string;
  readonly source: string;
  /** `complete`: every segment done. `aborted`: stopped on request, resumable. `alreadyComplete`: nothing to do. */
  readonly status: 'complete' | 'aborted' | 'alreadyComplete';
  readonly resumed: boolean;
  /** Totals over all runs of this backfill. */
  readonly rows: number;
  readonly items: number;
  readonly rejected: number;
  readonly segments: number;
  /** This run only. */
  readonly run: {
    rows: number;
    items: number;
    rejected: number;
    durationMs: number;
    rowsPerSecond: number;
    requests: number;
    retries: number;
  };
  readonly rejectsFile: string;
  readonly checkpoint: string;
}

/**
 * Copies an entity's rows from the source into its DynamoDB table: segments in parallel, each read in key
 * order page by page, mapped, written in batches of 25 with retries, and checkpointed after every batch.
 * A row the mapping rejects goes to the rejects file and the run goes on.
 *
 * Resuming: the checkpoint holds, per segment, the last root key whose items are all written; the run
 * continues after it. Rows between that key and the kill are written again with the same items under the
 * same keys, so nothing is lost and nothing duplicated, and the counters (moved only with a checkpoint)
 * count every row once.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { entity, source, target, checkpoints, rejects } = options;
  const now = options.now ?? (() => new Date());
  const progress = options.progress ?? silentProgress;
  const pageSize = options.pageSize ?? 1000;
  const batchSize = Math.min(25, options.batchSize ?? 25);
  const started = Date.now();
  const identity = { entity: entity.name, mapping: mappingFingerprint(entity.def), source: source.describe(), table: options.tableName };

  let cp = options.restart ? undefined : await checkpoints.load();
  const resumed = cp !== undefined;
  if (cp) {
    assertResumable(cp, identity);
    await rejects.resetTo(cp.rejects.bytes);
  } else {
    await rejects.resetTo(0);
    const ranges = await planSegments(source, entity, options.segments ?? 4);
    cp = newCheckpoint(identity, ranges, rejects.file, now().toISOString());
    await checkpoints.save(cp);
  }

  const summary = (status: BackfillSummary['status'], run: BackfillSummary['run']): BackfillSummary => {
    const totals = checkpointTotals(cp as BackfillCheckpoint);
    return {
      entity: entity.name,
      table: options.tableName,
      source: source.describe(),
      status,
      resumed,
      rows: totals.rows,
      items: totals.items,
      rejected: totals.rejected,
      segments: (cp as BackfillCheckpoint).segments.length,
      run,
      rejectsFile: rejects.file,
      checkpoint: checkpoints.describe(),
    };
  };
  if (cp.completedAt) {
    // Nothing copied, nothing to record.
    return summary('alreadyComplete', { rows: 0, items: 0, rejected: 0, durationMs: 0, rowsPerSecond: 0, requests: 0, retries: 0 });
  }

  const before = checkpointTotals(cp);
  const stream = `migration-${entity.name}`;
  const auditBase = { entity: entity.name, table: options.tableName, source: source.describe(), mapping: identity.mapping };
  await options.audit?.append(stream, {
    action: 'migration.backfill.started',
    ...auditBase,
    resumed,
    segments: cp.segments.length,
    startedAt: cp.startedAt,
    done: { rows: before.rows, items: before.items, rejected: before.rejected },
  });
  const rejectsShown = options.auditRejectsShown ?? 100;
  const runRejects: RowReject[] = [];
  const total = await source.count(entity.root.table);
  progress.start(`${entity.name} -> ${options.tableName}`, total, before.rows + before.rejected);

  // Commits go one at a time: append the batch's rejects, then replace the checkpoint.
  let chain: Promise<void> = Promise.resolve();
  let requests = 0;
  let retries = 0;
  const commit = (
    segment: number,
    cursor: KeyValues | null,
    rows: number,
    items: number,
    rowRejects: RowReject[],
    done: boolean,
  ): Promise<void> => {
    const step = chain.then(async () => {
      const at = now().toISOString();
      const bytes = await rejects.append(rowRejects, at);
      for (const r of rowRejects) if (runRejects.length < rejectsShown) runRejects.push(r);
      cp = commitBatch(cp as BackfillCheckpoint, { segment, cursor, rows, items, rejected: rowRejects.length, done }, bytes, at);
      await checkpoints.save(cp);
      const t = checkpointTotals(cp);
      progress.update(t.rows + t.rejected, t.rejected > 0 ? `${t.rejected} rejected` : undefined);
    });
    chain = step.catch(() => undefined);
    return step;
  };

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) stop.abort();

  const runSegment = async (seg: SegmentState): Promise<void> => {
    const nKey = entity.root.keyColumns.length;
    let batch: Item[] = [];
    let batchKeys = new Set<string>();
    // Rows completely in written or buffered batches since the last commit, and what they produced.
    let rows = 0;
    let items = 0;
    let rowRejects: RowReject[] = [];
    let cursor: KeyValues | null = null;

    const flush = async () => {
      if (batch.length > 0) {
        const stats = await target.writeBatch(batch);
        requests += stats.requests;
        retries += stats.retries;
      }
      if (batch.length > 0 || rows > 0 || rowRejects.length > 0) await commit(seg.id, cursor, rows, items, rowRejects, false);
      batch = [];
      batchKeys = new Set();
      rows = 0;
      items = 0;
      rowRejects = [];
    };

    for await (const page of source.scanEntity(entity, seg.cursor, seg.upTo, pageSize, stop.signal)) {
      for (const { row, children } of page.rows) {
        const key = rowKeyValues(row, nKey);
        const result = entity.mapRow(row, children);
        if (result.reject) {
          rowRejects.push(result.reject);
          cursor = key;
          continue;
        }
        for (const item of result.items) {
          const k = entity.keyOf(item);
          // A key twice in one BatchWriteItem is an error; write the first, then the second (last wins).
          if (batch.length >= batchSize || batchKeys.has(k)) {
            if (stop.signal.aborted) return;
            await flush();
          }
          batch.push(item);
          batchKeys.add(k);
        }
        rows++;
        items += result.items.length;
        cursor = key;
      }
      if (stop.signal.aborted) return;
      await flush();
    }
    if (stop.signal.aborted) return;
    await commit(seg.id, null, 0, 0, [], true);
  };

  let failure: unknown;
  await Promise.all(
    cp.segments
      .filter((s) => !s.done)
      .map((s) =>
        runSegment(s).catch((e: unknown) => {
          failure ??= e;
          stop.abort();
        }),
      ),
  );
  options.signal?.removeEventListener('abort', onAbort);
  await chain;

  const after = checkpointTotals(cp);
  const durationMs = Date.now() - started;
  const runRows = after.rows - before.rows;
  const run = {
    rows: runRows,
    items: after.items - before.items,
    rejected: after.rejected - before.rejected,
    durationMs,
    rowsPerSecond: durationMs > 0 ? ((runRows + after.rejected - before.rejected) * 1000) / durationMs : 0,
    requests,
    retries,
  };
  const status = cp.completedAt ? 'complete' : 'aborted';
  await options.audit?.append(stream, {
    action: 'migration.backfill.finished',
    ...auditBase,
    status: failure !== undefined ? 'failed' : status,
    ...(failure !== undefined ? { error: failure instanceof Error ? failure.message : String(failure) } : {}),
    totals: after,
    run: { rows: run.rows, items: run.items, rejected: run.rejected, durationMs: run.durationMs },
    rejects: runRejects.map((r) => ({ key: r.key, table: r.table, column: r.column, reason: r.reason })),
    rejectsFile: rejects.file,
  });
  if (failure !== undefined) {
    progress.finish('failed');
    throw failure;
  }
  progress.finish(status === 'complete' ? 'done' : 'stopped: run the same command to resume');
  if (status === 'aborted' && !options.signal?.aborted) {
    throw new RunAbortedError('backfill stopped before every segment was done', { entity: entity.name });
  }
  return summary(status, run);
}
