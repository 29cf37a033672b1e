import {
  boundaryPositions,
  planIntegerSegments,
  segmentsFromBoundaries,
  type CompiledEntity,
  type SegmentRange,
} from '../../core/migration';
import type { SqlSource } from '../../adapters/sql/sql-source';

/** Plans segments: arithmetic split of a whole-number key, else boundaries from a key-only scan. */
export async function planSegments(source: SqlSource, entity: CompiledEntity, count: number): Promise<SegmentRange[]> {
  const { table, keyColumns } = entity.root;
  if (count <= 1) return [{ id: 0, after: null, upTo: null }];
  if (keyColumns.length === 1 && (await source.isIntegerColumn(table, keyColumns[0]))) {
    const bounds = await source.keyBounds(table, keyColumns[0]);
    if (!bounds) return [{ id: 0, after: null, upTo: null }];
    return planIntegerSegments(bounds.min, bounds.max, count);
  }
  const rows = await source.count(table);
  const keys = await source.keysAt(table, keyColumns, boundaryPositions(rows, count));
  const distinct = keys.filter((k, i) => i === 0 || JSON.stringify(k) !== JSON.stringify(keys[i - 1]));
  return segmentsFromBoundaries(distinct);
}
