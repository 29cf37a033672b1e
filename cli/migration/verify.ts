import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  chooseBucketCount,
  classify,
  compareItems,
  makeDigester,
  parseUtc,
  planDrillDown,
  RunAbortedError,
  type CanonicalOptions,
  type CompiledEntity,
  type FieldDiff,
  type Item,
  type KeyValues,
  type RowReject,
  type SpillRecord,
  type SqlValue,
  verifyRulesOf,
} from '../../core/migration';
import type { AuditSink } from './audit';
import { foldSource, foldTarget, type FoldSettings, type SideFold } from './fold';
import { silentProgress, type Progress } from './progress';
import type { SqlSource } from '../../adapters/sql/sql-source';
import { rowKeyValues } from '../../adapters/sql/sql-source';
import { readSpillPartition } from './spill';
import type { ItemSource, ItemWriter } from '../../adapters/migration-target/target';

export interface ItemRef {
  /** Item key text, e.g. `[{"S":"ORDER#1000001"},{"S":"ORDER"}]`. */
  readonly key: string;
  /** The source row's key columns, when the source has the row. */
  readonly rowKey?: Record<string, SqlValue>;
}

export interface DifferentItem extends ItemRef {
  readonly fields: readonly FieldDiff[];
}

export interface VerifyReport {
  readonly entity: string;
  readonly table: string;
  readonly source: string;
  readonly target: string;
  readonly clean: boolean;
  readonly counts: {
    readonly sourceRows: number;
    readonly sourceItems: number;
    readonly targetItems: number;
    /** Source rows the mapping rejects (see the backfill's rejects file): not expected in the target. */
    readonly rejected: number;
    /** Target items that belong to other entities sharing the table. */
    readonly foreign: number;
  };
  readonly matched: number;
  readonly totals: {
    readonly missing: number;
    readonly extra: number;
    readonly different: number;
    readonly duplicates: number;
    readonly inFlight: number;
  };
  /** The first `detailLimit` of each kind. */
  readonly missing: ItemRef[];
  readonly extra: ItemRef[];
  readonly different: DifferentItem[];
  /** Keys the mapping produced from more than one source row. */
  readonly duplicates: ItemRef[];
  /** Differences on rows changed within the lag tolerance: not counted as divergences. */
  readonly inFlight: ItemRef[];
  readonly rejects: RowReject[];
  readonly buckets: { readonly count: number; readonly differing: number };
  readonly repaired?: { readonly items: number; readonly audited: number; readonly skipped: number };
  readonly timings: { readonly foldMs: number; readonly drillMs: number; readonly repairMs: number; readonly totalMs: number };
}

export interface RepairOptions {
  readonly writer: ItemWriter;
  readonly audit: AuditSink;
  /** At most this many items rewritten; more means run the backfill again. @default 10000 */
  readonly limit?: number;
}

/** Folds the target side; the CLI swaps in a worker thread for export files. */
export type TargetFolder = (entity: CompiledEntity, settings: FoldSettings, spillDir: string, signal?: AbortSignal) => Promise<SideFold>;

/** Folds the source side; the CLI swaps in worker threads (each with its own connections). */
export type SourceFolder = (
  entity: CompiledEntity,
  settings: FoldSettings,
  spillDir: string,
  onRows: (rows: number) => void,
  signal?: AbortSignal,
) => Promise<SideFold>;

export interface VerifyOptions {
  readonly entity: CompiledEntity;
  readonly source: SqlSource;
  readonly target: ItemSource;
  readonly tableName: string;
  /** @default about 256 rows per bucket, a power of two */
  readonly buckets?: number;
  /** Spill files per side. @default 64 */
  readonly partitions?: number;
  /** Root rows per source page. @default 2000 */
  readonly pageSize?: number;
  /** Source key ranges read at once. @default 3 */
  readonly segments?: number;
  /** Where the spill files go (removed afterwards). @default the OS temp directory */
  readonly workDir?: string;
  /** Items listed per kind in the report. @default 1000 */
  readonly detailLimit?: number;
  /** Differences on rows updated within this many seconds are in flight. @default 0 (off) */
  readonly lagSeconds?: number;
  readonly repair?: RepairOptions;
  readonly foldTarget?: TargetFolder;
  readonly foldSource?: SourceFolder;
  readonly progress?: Progress;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function rowKeyObject(entity: CompiledEntity, values: KeyValues): Record<string, SqlValue> {
  const out: Record<string, SqlValue> = {};
  entity.root.keyColumns.forEach((c, i) => {
    out[c] = values[i] ?? null;
  });
  return out;
}

/**
 * Verifies that a target table holds exactly what the mapping makes of the source: every row is mapped and
 * hashed in its canonical form, hashes are folded into buckets by key hash on both sides, bucket checksums
 * are compared, and only differing buckets are drilled into, down to the items and then the attributes.
 * Reports matched, missing in target, extra in target, and different (with each differing attribute and
 * how: type, truncation, numbers beyond the tolerance, other values). With `repair`, rewrites missing and
 * different items from the source and records each rewrite in the audit sink; extra items are reported,
 * never deleted (they may be the service's own writes).
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const { entity, source, target } = options;
  const started = Date.now();
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? (() => new Date());
  const limit = options.detailLimit ?? 1000;
  const rules: CanonicalOptions = verifyRulesOf(entity.def.verify);
  const estimated = await source.count(entity.root.table);
  const settings: FoldSettings = {
    buckets: options.buckets ?? chooseBucketCount(estimated),
    partitions: options.partitions ?? 64,
    digest: makeDigester(rules),
    rules,
    keepRejects: limit,
  };
  const work = fs.mkdtempSync(path.join(options.workDir ?? os.tmpdir(), `cutover-verify-${entity.name}-`));
  try {
    progress.start(`verify ${entity.name}`, estimated, 0);
    const targetFolder: TargetFolder = options.foldTarget ?? ((e, s, dir, signal) => foldTarget(target, e, s, dir, signal));
    const [src, tgt] = await Promise.all([
      options.foldSource
        ? options.foldSource(entity, settings, path.join(work, 'source'), (n) => progress.update(n), options.signal)
        : foldSource(source, entity, settings, path.join(work, 'source'), {
            pageSize: options.pageSize,
            segments: options.segments ?? 3,
            signal: options.signal,
            onRows: (n) => progress.update(n),
          }),
      targetFolder(entity, settings, path.join(work, 'target'), options.signal),
    ]);
    if (options.signal?.aborted)
      throw new RunAbortedError('verification stopped before both sides were read; nothing was compared', { entity: entity.name });
    const foldMs = Date.now() - started;
    progress.finish(`folded ${src.items.toLocaleString('en-US')} source and ${tgt.items.toLocaleString('en-US')} target items`);

    // Drill down into the differing buckets only, one spill partition at a time (bounded memory).
    const drillStart = Date.now();
    const differing = src.fold.differingBuckets(tgt.fold);
    const lagMs = (options.lagSeconds ?? 0) * 1000;
    const updatedAtIndex = entity.root.updatedAtIndex;
    const repairLimit = options.repair ? (options.repair.limit ?? 10_000) : 0;
    const missingRefs: ItemRef[] = [];
    const extra: ItemRef[] = [];
    const duplicates: ItemRef[] = [];
    const inFlight: ItemRef[] = [];
    const different: DifferentItem[] = [];
    const repairs: { kind: 'missing' | 'different'; key: string; item: Item; before?: Item; fields?: readonly FieldDiff[] }[] = [];
    const totals = { missing: 0, extra: 0, different: 0, duplicates: 0, inFlight: 0 };
    let matched = src.items;

    const rowKeyOf = (r: SpillRecord) => rowKeyObject(entity, JSON.parse(r.locator) as KeyValues);
    const isInFlight = (row: readonly SqlValue[] | undefined) => {
      if (!lagMs || updatedAtIndex === undefined || !row) return false;
      const v = row[updatedAtIndex];
      const t = v ? parseUtc(v) : NaN;
      return !Number.isNaN(t) && now().getTime() - t < lagMs;
    };
    const noteInFlight = (r: SpillRecord) => {
      totals.inFlight++;
      if (inFlight.length < limit) inFlight.push({ key: r.key, rowKey: rowKeyOf(r) });
    };
    /** Source rows (and their mapped items) for spill records, fetched again by root key. */
    const sourceItems = async (records: readonly SpillRecord[]) => {
      const rootKeys = new Map<string, KeyValues>();
      for (const r of records) rootKeys.set(r.locator, JSON.parse(r.locator) as KeyValues);
      const rows = await source.readEntityByKeys(entity, [...rootKeys.values()]);
      const items = new Map<string, { item: Item; row: readonly SqlValue[] }>();
      for (const { row, children } of rows) {
        const result = entity.mapRow(row, children);
        for (const item of result.items ?? []) items.set(entity.keyOf(item), { item, row });
      }
      return items;
    };

    for (const [partition, buckets] of planDrillDown(differing, settings.partitions)) {
      const read = (dirs: readonly string[]) => dirs.flatMap((dir) => readSpillPartition(dir, partition, buckets));
      const c = classify(read(src.spillDirs), read(tgt.spillDirs));
      matched -= c.missing.length + c.changed.length + c.duplicates.length;
      totals.extra += c.extra.length;
      for (const r of c.extra) if (extra.length < limit) extra.push({ key: r.key });
      totals.duplicates += c.duplicates.length;
      for (const r of c.duplicates) if (duplicates.length < limit) duplicates.push({ key: r.key, rowKey: rowKeyOf(r) });

      // Changed digests: compare the full items (a difference within the tolerance is a match after all).
      for (let i = 0; i < c.changed.length; i += 500) {
        const chunk = c.changed.slice(i, i + 500);
        const [expected, actual] = await Promise.all([sourceItems(chunk.map((x) => x.source)), target.fetch(chunk.map((x) => x.target))]);
        for (const x of chunk) {
          const e = expected.get(x.source.key);
          const a = actual.get(x.target.key);
          if (!e || !a) {
            // Changed between the fold and now (a live source or table): say so rather than guess.
            totals.different++;
            if (different.length < limit) {
              different.push({
                key: x.source.key,
                rowKey: rowKeyOf(x.source),
                fields: [
                  { path: '', kind: 'value', detail: `the ${!e ? 'source row' : 'target item'} changed during verification; verify again` },
                ],
              });
            }
            continue;
          }
          const fields = compareItems(e.item, a, rules);
          if (fields.length === 0) matched++;
          else if (isInFlight(e.row)) noteInFlight(x.source);
          else {
            totals.different++;
            if (different.length < limit) different.push({ key: x.source.key, rowKey: rowKeyOf(x.source), fields });
            if (repairs.length < repairLimit) repairs.push({ kind: 'different', key: x.source.key, item: e.item, before: a, fields });
          }
        }
      }

      // Missing items: with a lag tolerance or a repair, their source rows are needed too.
      const needRows = lagMs > 0 || repairs.length < repairLimit;
      for (let i = 0; i < c.missing.length; i += 500) {
        const chunk = c.missing.slice(i, i + 500);
        const expected = needRows ? await sourceItems(chunk) : undefined;
        for (const r of chunk) {
          const e = expected?.get(r.key);
          if (e && isInFlight(e.row)) {
            noteInFlight(r);
            continue;
          }
          totals.missing++;
          if (missingRefs.length < limit) missingRefs.push({ key: r.key, rowKey: rowKeyOf(r) });
          if (e && repairs.length < repairLimit) repairs.push({ kind: 'missing', key: r.key, item: e.item });
        }
      }
    }
    const drillMs = Date.now() - drillStart;

    // Repair: rewrite from the source, one audit entry per item.
    const repairStart = Date.now();
    let repaired: VerifyReport['repaired'];
    if (options.repair) {
      const { writer, audit } = options.repair;
      let items = 0;
      let audited = 0;
      for (let i = 0; i < repairs.length; i += 25) {
        const chunk = repairs.slice(i, i + 25);
        await writer.writeBatch(chunk.map((r) => r.item));
        items += chunk.length;
        for (const r of chunk) {
          await audit.append(`migration-${entity.name}`, {
            action: 'migration.repair',
            entity: entity.name,
            table: options.tableName,
            kind: r.kind,
            key: r.key,
            ...(r.fields ? { fields: r.fields.map((f) => ({ path: f.path, kind: f.kind, detail: f.detail })) } : {}),
            ...(r.before ? { before: r.before } : {}),
            after: r.item,
            source: source.describe(),
          });
          audited++;
        }
      }
      repaired = { items, audited, skipped: totals.missing + totals.different - items };
    }
    const repairMs = Date.now() - repairStart;

    return {
      entity: entity.name,
      table: options.tableName,
      source: source.describe(),
      target: target.describe(),
      clean: totals.missing + totals.extra + totals.different + totals.duplicates === 0,
      counts: { sourceRows: src.rows, sourceItems: src.items, targetItems: tgt.items, rejected: src.rejected, foreign: tgt.foreign },
      matched,
      totals,
      missing: missingRefs.sort(byKey),
      extra: extra.sort(byKey),
      different: different.sort(byKey),
      duplicates: duplicates.sort(byKey),
      inFlight: inFlight.sort(byKey),
      rejects: src.rejects,
      buckets: { count: settings.buckets, differing: differing.length },
      ...(repaired ? { repaired } : {}),
      timings: { foldMs, drillMs, repairMs, totalMs: Date.now() - started },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export { rowKeyValues };
