import { CutoverError } from '../errors';
import type { ChangeOperation, RowChange } from '../sync/change';

/**
 * The application's own transactional outbox as a change source (the outbox pattern: the application
 * writes the business row and an outbox row in one transaction). The outbox table is captured on insert
 * like any table; this mapping turns each captured outbox row into the change of the row it describes,
 * so it is relayed in the same commit order, with the same watermark, as trigger-captured changes.
 *
 * Column roles follow the usual outbox layout (aggregate type, aggregate id, event type, payload).
 */
export interface OutboxMapping {
  /** The outbox table (its spec name, without prefix). */
  readonly table: string;
  /** The changed row's table: a column of the outbox row (optionally through a value map), or a constant. */
  readonly rowTable: { readonly column: string; readonly map?: Readonly<Record<string, string>> } | { readonly constant: string };
  /**
   * The changed row's key: a column holding a JSON object of key column -> value, or, with `keyName`, a
   * column holding the single key value.
   */
  readonly keyColumn: string;
  readonly keyName?: string;
  /** The column naming what happened; mapped by `operations` (default: the value itself must be insert|update|delete). */
  readonly operationColumn?: string;
  readonly operations?: Readonly<Record<string, ChangeOperation>>;
  /** When there is no operation column. @default 'update' */
  readonly operation?: ChangeOperation;
  /** The column holding the row's new image as a JSON object (null or absent for a delete). */
  readonly payloadColumn: string;
  /** Optionally the row's previous image as a JSON object. */
  readonly beforeColumn?: string;
}

/** An outbox row that cannot be turned into a change; names the column and the value. */
export class OutboxMappingError extends CutoverError {}

const OPERATIONS: readonly ChangeOperation[] = ['insert', 'update', 'delete'];

/** A JSON value as SQL text: strings as they are, numbers and booleans spelled, objects as JSON. */
function sqlText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function jsonObject(
  mapping: OutboxMapping,
  column: string,
  text: string | null | undefined,
  change: RowChange,
): Record<string, string | null> | null {
  if (text === null || text === undefined || text === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new OutboxMappingError(
      `${mapping.table}.${column} = ${JSON.stringify(text.slice(0, 200))} is not JSON (outbox change ${change.changeId})`,
      { table: mapping.table, column, changeId: change.changeId },
      { cause: e },
    );
  }
  if (parsed === null) return null;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OutboxMappingError(
      `${mapping.table}.${column} = ${JSON.stringify(text.slice(0, 200))} is not a JSON object (outbox change ${change.changeId})`,
      { table: mapping.table, column, changeId: change.changeId },
    );
  }
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, sqlText(v)]));
}

/** The change an outbox row stands for. `change` is the captured insert of the outbox row. */
export function outboxChange(mapping: OutboxMapping, change: RowChange): RowChange {
  const row = change.after;
  if (!row)
    throw new OutboxMappingError(
      `outbox change ${change.changeId} of ${mapping.table} has no row image (only inserts into an outbox are relayed)`,
      { changeId: change.changeId },
    );
  const column = (name: string): string | null => {
    if (!(name in row))
      throw new OutboxMappingError(
        `outbox table ${mapping.table} has no column ${JSON.stringify(name)} (outbox change ${change.changeId})`,
        { table: mapping.table, column: name },
      );
    return row[name];
  };
  let table: string | null;
  if ('constant' in mapping.rowTable) table = mapping.rowTable.constant;
  else {
    const raw = column(mapping.rowTable.column);
    table = mapping.rowTable.map ? (raw !== null ? (mapping.rowTable.map[raw] ?? null) : null) : raw;
    if (!table) {
      throw new OutboxMappingError(
        `${mapping.table}.${mapping.rowTable.column} = ${JSON.stringify(raw)} names no table${mapping.rowTable.map ? ` (known: ${Object.keys(mapping.rowTable.map).join(', ')})` : ''}`,
        { table: mapping.table, column: mapping.rowTable.column, value: raw },
      );
    }
  }
  const keyRaw = column(mapping.keyColumn);
  let key: Record<string, string>;
  if (mapping.keyName) {
    if (keyRaw === null || keyRaw === '')
      throw new OutboxMappingError(`${mapping.table}.${mapping.keyColumn} is empty: the changed row has no key`, {
        table: mapping.table,
        column: mapping.keyColumn,
        value: keyRaw,
      });
    key = { [mapping.keyName]: keyRaw };
  } else {
    const obj = jsonObject(mapping, mapping.keyColumn, keyRaw, change);
    const entries = Object.entries(obj ?? {});
    if (entries.length === 0 || entries.some(([, v]) => v === null)) {
      throw new OutboxMappingError(
        `${mapping.table}.${mapping.keyColumn} = ${JSON.stringify(keyRaw)} is not a key (a JSON object of non-null key values)`,
        { table: mapping.table, column: mapping.keyColumn, value: keyRaw },
      );
    }
    key = Object.fromEntries(entries) as Record<string, string>;
  }
  let operation: ChangeOperation = mapping.operation ?? 'update';
  if (mapping.operationColumn) {
    const raw = column(mapping.operationColumn);
    const mapped = mapping.operations
      ? raw !== null
        ? mapping.operations[raw]
        : undefined
      : (OPERATIONS as readonly string[]).includes(raw ?? '')
        ? (raw as ChangeOperation)
        : undefined;
    if (!mapped) {
      throw new OutboxMappingError(
        `${mapping.table}.${mapping.operationColumn} = ${JSON.stringify(raw)} is not an operation (known: ${Object.keys(mapping.operations ?? { insert: 1, update: 1, delete: 1 }).join(', ')})`,
        { table: mapping.table, column: mapping.operationColumn, value: raw },
      );
    }
    operation = mapped;
  }
  const after = operation === 'delete' ? null : jsonObject(mapping, mapping.payloadColumn, column(mapping.payloadColumn), change);
  if (operation !== 'delete' && !after)
    throw new OutboxMappingError(
      `${mapping.table}.${mapping.payloadColumn} is empty for a(n) ${operation} (outbox change ${change.changeId})`,
      { table: mapping.table, column: mapping.payloadColumn },
    );
  const before = mapping.beforeColumn ? jsonObject(mapping, mapping.beforeColumn, column(mapping.beforeColumn), change) : null;
  const changedColumns = after ? Object.keys(after).filter((c) => !before || before[c] !== after[c]) : Object.keys(before ?? {});
  return { ...change, table, key, operation, changedColumns, before, after };
}
