import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { BucketFold, compileEntity, makeDigester, type CompiledEntity } from '../../core/migration';
import type { MigrationEntity as MigrationEntityDef } from '../../core/spec/migration';
import { foldTarget, type FoldSettings, type SideFold } from './fold';
import { ExportFileSource } from './target/export-file';

/**
 * Folds an export file in a worker thread, so parsing the target's JSON runs on another core while the
 * main thread maps and folds the source. Only plain data crosses: the entity definition in, the bucket
 * cells and counts out (the spill is on disk).
 */
interface Job {
  readonly location: string;
  readonly entityName: string;
  readonly entity: MigrationEntityDef;
  readonly buckets: number;
  readonly partitions: number;
  readonly spillDir: string;
}

interface Done {
  readonly cells: Uint32Array;
  readonly items: number;
  readonly foreign: number;
  readonly error?: string;
}

async function work(job: Job): Promise<Done> {
  const entity = compileEntity(job.entityName, job.entity);
  const settings: FoldSettings = { buckets: job.buckets, partitions: job.partitions, digest: makeDigester(entity.def.verify ?? {}) };
  const result = await foldTarget(new ExportFileSource(job.location, entity.keyAttributes), entity, settings, job.spillDir);
  return { cells: result.fold.cells, items: result.items, foreign: result.foreign };
}

if (!isMainThread && (workerData as { cutoverFoldJob?: Job } | null)?.cutoverFoldJob) {
  const job = (workerData as { cutoverFoldJob: Job }).cutoverFoldJob;
  work(job).then(
    (done) => parentPort?.postMessage(done, [done.cells.buffer as ArrayBuffer]),
    (e: unknown) => parentPort?.postMessage({ cells: new Uint32Array(0), items: 0, foreign: 0, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
  );
}

/** Runs `foldTarget` over an export in a worker; the same result as running it in this thread. */
export function foldExportInWorker(location: string, entity: CompiledEntity, settings: FoldSettings, spillDir: string): Promise<SideFold> {
  const job: Job = { location, entityName: entity.name, entity: entity.def, buckets: settings.buckets, partitions: settings.partitions, spillDir };
  return new Promise((resolve, reject) => {
    // Running from TypeScript sources (tsx), the worker needs tsx's loader too; compiled, it does not.
    const file = __filename;
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: { cutoverFoldJob: job } })
      : new Worker(file, { workerData: { cutoverFoldJob: job } });
    worker.once('message', (done: Done) => {
      void worker.terminate();
      if (done.error) {
        reject(new Error(done.error));
        return;
      }
      resolve({ fold: new BucketFold(settings.buckets, done.cells), spillDir, items: done.items, rows: 0, rejected: 0, rejects: [], foreign: done.foreign });
    });
    worker.once('error', reject);
  });
}
