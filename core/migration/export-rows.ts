import type { CompiledEntity, SqlRow, SqlValue } from './mapping';

/**
 * One line of a monolith table export, as the Distributed Map backfill's worker reads it: a JSON object
 * holding the root table's columns by name, and for each child of the entity an array under the child's
 * name (or its table's) holding the child rows as objects. An entity without children is a plain row per
 * line, what `COPY (SELECT row_to_json(t) FROM orders t) TO ...` or a JSON export of the table writes.
 * Values are read as the SQL sources read them: as text (numbers and booleans spelled as JSON spells
 * them), `null` for NULL.
 */
export type ExportRow = { readonly row: SqlRow; readonly children: readonly (readonly SqlRow[])[] } | { readonly problem: string };

function sqlValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The root row and its child rows of an export line, in the column order the mapping reads them in. */
export function exportRow(entity: CompiledEntity, line: string): ExportRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { problem: `not JSON (${(e as Error).message})` };
  }
  if (!isObject(value)) return { problem: 'not a JSON object' };
  const missing = entity.root.keyColumns.filter((c) => value[c] === undefined || value[c] === null);
  if (missing.length > 0) return { problem: `no value for the key column(s) ${missing.join(', ')}` };
  const row = entity.root.columns.map((c) => sqlValue(value[c]));
  const children: SqlRow[][] = [];
  for (const child of entity.children) {
    const list = value[child.name] ?? value[child.table] ?? [];
    if (!Array.isArray(list)) return { problem: `${child.name} must be a list of ${child.table} rows` };
    const rows: SqlRow[] = [];
    for (const c of list) {
      if (!isObject(c)) return { problem: `${child.name} holds something other than a row object` };
      rows.push(child.columns.map((col) => sqlValue(c[col])));
    }
    children.push(rows);
  }
  return { row, children };
}
