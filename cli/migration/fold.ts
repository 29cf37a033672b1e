import {
  bucketOf,
  makeExportLineDigester,
  TargetError,
  type LineDigest,
  BucketFold,
  digestHex,
  type CanonicalOptions,
  type Digest,
  type Digester,
  type CompiledEntity,
  type Item,
  type RowReject,
  type SegmentRange,
  verifyRulesOf,
} from '../../core/migration';
import { planSegments } from './segments';
import type { SqlSource } from '../../adapters/sql/sql-source';
import { rowKeyValues } from '../../adapters/sql/sql-source';
import { SpillWriter } from './spill';
import { ExportFileSource } from '../../adapters/migration-target/export-file';
import type { ItemSource } from '../../adapters/migration-target/target';

/** One side of a verification, folded: bucket checksums plus the spill for the drill-down. */
export interface SideFold {
  readonly fold: BucketFold;
  /** The spill directories of this side (one per thread that folded a part of it). */
  readonly spillDirs: readonly string[];
  /** Items folded. */
  readonly items: number;
  /** Source only: root rows read, and rows the mapping rejected (first few kept). */
  readonly rows: number;
  readonly rejected: number;
  readonly rejects: RowReject[];
  /** Target only: items of the table that belong to other entities (skipped). */
  readonly foreign: number;
}

export interface FoldSettings {
  readonly buckets: number;
  readonly partitions: number;
  /** Digest of an item's canonical form (core `makeDigester` with the entity's verify rules). */
  readonly digest: Digester;
  /**
   * The verify rules `digest` was made with. Given, the source side digests each row straight from its
   * values (the mapping's `rowDigester`) instead of building items to walk them: the same digests, a
   * fraction of the garbage.
   */
  readonly rules?: CanonicalOptions;
  readonly keepRejects?: number;
}

/** Adds one item to a fold and its spill. */
function foldItem(entity: CompiledEntity, item: Item, locator: string, s: FoldSettings, fold: BucketFold, spill: SpillWriter): void {
  const key = entity.keyOf(item);
  const digest = s.digest(item);
  const bucket = bucketOf(key, s.buckets);
  fold.add(bucket, digest);
  // formatSpillRecord's layout, built in one template.
  spill.addLine(bucket, `${bucket}\t${digestHex(digest)}\t${key}\t${locator}\n`);
}

/** JSON of the root key values; a fast path for the usual single text key without quotes or escapes. */
function locatorOf(row: readonly (string | null)[], nKey: number): string {
  if (nKey === 1) {
    const v = row[0];
    // JSON escapes quotes, backslashes and control characters: such keys take JSON.stringify below.
    // eslint-disable-next-line no-control-regex
    if (v !== null && !/["\\\u0000-\u001f]/.test(v)) return `["${v}"]`;
  }
  return JSON.stringify(rowKeyValues(row, nKey));
}

/**
 * Reads the whole source entity, maps each row and folds the items. `segments` key ranges are read at
 * once (each in key order, with keyset pages): the database works on the next pages while this thread
 * maps and hashes, which is where the time goes when the database is the slower side.
 */
export async function foldSource(
  source: SqlSource,
  entity: CompiledEntity,
  settings: FoldSettings,
  spillDir: string,
  options: {
    pageSize?: number;
    segments?: number;
    ranges?: readonly SegmentRange[];
    signal?: AbortSignal;
    onRows?: (rows: number) => void;
  } = {},
): Promise<SideFold> {
  const fold = new BucketFold(settings.buckets);
  const spill = new SpillWriter(spillDir, settings.partitions);
  const keep = settings.keepRejects ?? 100;
  const nKey = entity.root.keyColumns.length;
  const digestRow = settings.rules ? entity.rowDigester(settings.rules) : undefined;
  let rowLocator = '';
  const visit = (key: string, digest: Digest) => {
    const bucket = bucketOf(key, settings.buckets);
    fold.add(bucket, digest);
    spill.addLine(bucket, `${bucket}\t${digestHex(digest)}\t${key}\t${rowLocator}\n`);
    items++;
  };
  let rows = 0;
  let items = 0;
  let rejected = 0;
  const rejects: RowReject[] = [];
  try {
    const ranges = options.ranges ?? (await planSegments(source, entity, options.segments ?? 1));
    await Promise.all(
      ranges.map(async (range) => {
        for await (const page of source.scanEntity(entity, range.after, range.upTo, options.pageSize ?? 2000, options.signal)) {
          for (const { row, children } of page.rows) {
            rows++;
            if (digestRow) {
              // Set just before the synchronous digest of this row: no other range runs in between.
              rowLocator = locatorOf(row, nKey);
              const reject = digestRow(row, children, visit);
              if (reject) {
                rejected++;
                if (rejects.length < keep) rejects.push(reject);
              }
              continue;
            }
            const result = entity.mapRow(row, children);
            if (result.reject) {
              rejected++;
              if (rejects.length < keep) rejects.push(result.reject);
              continue;
            }
            const locator = locatorOf(row, nKey);
            for (const item of result.items) {
              foldItem(entity, item, locator, settings, fold, spill);
              items++;
            }
          }
          options.onRows?.(rows);
        }
      }),
    );
  } finally {
    spill.close();
  }
  return { fold, spillDirs: [spillDir], items, rows, rejected, rejects, foreign: 0 };
}

/**
 * Reads every target item once (any order) and folds those that belong to the entity. An export file is
 * digested from its text (core `makeExportLineDigester`), without parsing each line into objects.
 */
export async function foldTarget(
  target: ItemSource,
  entity: CompiledEntity,
  settings: FoldSettings,
  spillDir: string,
  signal?: AbortSignal,
): Promise<SideFold> {
  const fold = new BucketFold(settings.buckets);
  const spill = new SpillWriter(spillDir, settings.partitions);
  let items = 0;
  let foreign = 0;
  try {
    if (target instanceof ExportFileSource) {
      const digestLine = makeExportLineDigester(verifyRulesOf(entity.def.verify), entity.keyAttributes);
      await target.scanLines((line, locator, where) => {
        let d: LineDigest;
        try {
          d = digestLine(line);
        } catch (e) {
          throw new TargetError(
            `${where} is not a DynamoDB JSON item: ${e instanceof Error ? e.message : String(e)}`,
            { where },
            { cause: e },
          );
        }
        if (!entity.owns(d.key)) {
          foreign++;
          return;
        }
        const key = entity.keyOf(d.key);
        const bucket = bucketOf(key, settings.buckets);
        fold.add(bucket, d.digest);
        spill.addLine(bucket, `${bucket}\t${digestHex(d.digest)}\t${key}\t${locator}\n`);
        items++;
      }, signal);
      return { fold, spillDirs: [spillDir], items, rows: 0, rejected: 0, rejects: [], foreign };
    }
    await target.scanItems((item, locator) => {
      if (!entity.owns(item)) {
        foreign++;
        return;
      }
      foldItem(entity, item, locator, settings, fold, spill);
      items++;
    }, signal);
  } finally {
    spill.close();
  }
  return { fold, spillDirs: [spillDir], items, rows: 0, rejected: 0, rejects: [], foreign };
}
