import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  BucketFold,
  compileEntity,
  makeDigester,
  verifyRulesOf,
  type CompiledEntity,
  type RowReject,
  type SegmentRange,
} from '../../core/migration';
import type { MigrationEntity as MigrationEntityDef } from '../../core/spec/migration';
import { foldSource, foldTarget, type FoldSettings, type SideFold } from './fold';
import { planSegments } from './segments';
import type { SqlSource } from '../../adapters/sql/sql-source';
import { openSource } from '../../adapters/sql/url';
import { ExportFileSource } from '../../adapters/migration-target/export-file';

/**
 * Folds in worker threads, so the two sides of a verification (and parts of the source) use every core:
 * the export's lines are digested in one worker while others read, map and digest source key ranges, each
 * with its own database connections. Only plain data crosses: the entity definition and the ranges in,
 * the bucket cells and counts out (the spills are on disk).
 */
interface BaseJob {
  readonly entityName: string;
  readonly entity: MigrationEntityDef;
  readonly buckets: number;
  readonly partitions: number;
  readonly spillDir: string;
}

type Job =
  | (BaseJob & { readonly kind: 'export'; readonly location: string })
  | (BaseJob & {
      readonly kind: 'source';
      readonly sourceUrl: string;
      readonly ranges: readonly SegmentRange[];
      readonly pageSize: number;
      readonly keepRejects: number;
    });

interface Done {
  readonly done: true;
  readonly cells: Uint32Array;
  readonly items: number;
  readonly rows: number;
  readonly rejected: number;
  readonly rejects: RowReject[];
  readonly foreign: number;
  readonly error?: string;
}

interface Progress {
  readonly done: false;
  readonly rows: number;
}

async function work(job: Job, progress: (rows: number) => void): Promise<Done> {
  const entity = compileEntity(job.entityName, job.entity);
  const settings: FoldSettings = {
    buckets: job.buckets,
    partitions: job.partitions,
    digest: makeDigester(verifyRulesOf(entity.def.verify)),
    rules: verifyRulesOf(entity.def.verify),
  };
  let result: SideFold;
  if (job.kind === 'export') {
    result = await foldTarget(new ExportFileSource(job.location, entity.keyAttributes), entity, settings, job.spillDir);
  } else {
    const source = await openSource(job.sourceUrl, { connections: job.ranges.length * 2 });
    try {
      result = await foldSource(source, entity, { ...settings, keepRejects: job.keepRejects }, job.spillDir, {
        ranges: job.ranges,
        pageSize: job.pageSize,
        onRows: progress,
      });
    } finally {
      await source.close();
    }
  }
  return {
    done: true,
    cells: result.fold.cells,
    items: result.items,
    rows: result.rows,
    rejected: result.rejected,
    rejects: result.rejects,
    foreign: result.foreign,
  };
}

if (!isMainThread && (workerData as { cutoverFoldJob?: Job } | null)?.cutoverFoldJob) {
  const job = (workerData as { cutoverFoldJob: Job }).cutoverFoldJob;
  let last = 0;
  const progress = (rows: number) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    parentPort?.postMessage({ done: false, rows } satisfies Progress);
  };
  work(job, progress).then(
    (done) => parentPort?.postMessage(done, [done.cells.buffer as ArrayBuffer]),
    (e: unknown) =>
      parentPort?.postMessage({
        done: true,
        cells: new Uint32Array(0),
        items: 0,
        rows: 0,
        rejected: 0,
        rejects: [],
        foreign: 0,
        error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      } satisfies Done),
  );
}

function runJob(job: Job, onRows?: (rows: number) => void): Promise<Done> {
  return new Promise((resolve, reject) => {
    // Running from TypeScript sources (tsx), the worker needs tsx's loader too; compiled, it does not.
    const file = __filename;
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: { cutoverFoldJob: job } })
      : new Worker(file, { workerData: { cutoverFoldJob: job } });
    worker.on('message', (m: Done | Progress) => {
      if (!m.done) {
        onRows?.(m.rows);
        return;
      }
      void worker.terminate();
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', reject);
  });
}

const base = (entity: CompiledEntity, settings: FoldSettings, spillDir: string): BaseJob => ({
  entityName: entity.name,
  entity: entity.def,
  buckets: settings.buckets,
  partitions: settings.partitions,
  spillDir,
});

/** Runs `foldTarget` over an export in a worker; the same result as running it in this thread. */
export async function foldExportInWorker(
  location: string,
  entity: CompiledEntity,
  settings: FoldSettings,
  spillDir: string,
): Promise<SideFold> {
  const done = await runJob({ ...base(entity, settings, spillDir), kind: 'export', location });
  return {
    fold: new BucketFold(settings.buckets, done.cells),
    spillDirs: [spillDir],
    items: done.items,
    rows: 0,
    rejected: 0,
    rejects: [],
    foreign: done.foreign,
  };
}

export interface SourceWorkersOptions {
  /** Worker threads. @default 2 */
  readonly workers?: number;
  /** Key ranges each worker reads at once. @default 2 */
  readonly segmentsPerWorker?: number;
  /** @default 2000 */
  readonly pageSize?: number;
  readonly onRows?: (rows: number) => void;
}

/**
 * Runs `foldSource` in worker threads, each over its share of the key ranges with its own connections to
 * `sourceUrl`; `planner` (a source in this thread) plans the ranges. The merged fold equals the fold of the
 * whole source in one thread. Not for PGlite, whose database lives in one process's memory or directory.
 */
export async function foldSourceInWorkers(
  sourceUrl: string,
  planner: SqlSource,
  entity: CompiledEntity,
  settings: FoldSettings,
  spillDir: string,
  options: SourceWorkersOptions = {},
): Promise<SideFold> {
  const workers = options.workers ?? 2;
  const per = options.segmentsPerWorker ?? 2;
  const ranges = await planSegments(planner, entity, workers * per);
  const shares = Array.from({ length: Math.min(workers, ranges.length) }, (_, w) => ranges.filter((_, i) => i % workers === w));
  const rows = new Array<number>(shares.length).fill(0);
  const dones = await Promise.all(
    shares.map((share, w) =>
      runJob(
        {
          ...base(entity, settings, path.join(spillDir, `w${w}`)),
          kind: 'source',
          sourceUrl,
          ranges: share,
          pageSize: options.pageSize ?? 2000,
          keepRejects: settings.keepRejects ?? 100,
        },
        (n) => {
          rows[w] = n;
          options.onRows?.(rows.reduce((a, b) => a + b, 0));
        },
      ),
    ),
  );
  const fold = new BucketFold(settings.buckets);
  for (const d of dones) fold.merge(new BucketFold(settings.buckets, d.cells));
  return {
    fold,
    spillDirs: shares.map((_, w) => path.join(spillDir, `w${w}`)),
    items: dones.reduce((a, d) => a + d.items, 0),
    rows: dones.reduce((a, d) => a + d.rows, 0),
    rejected: dones.reduce((a, d) => a + d.rejected, 0),
    rejects: dones.flatMap((d) => d.rejects).slice(0, settings.keepRejects ?? 100),
    foreign: 0,
  };
}
