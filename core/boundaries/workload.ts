import { Parser } from 'node-sql-parser';
import { BoundaryError } from '../errors';
import type { Dialect, Schema, StatementSample, TransactionAccess, Workload } from './model';

/*
 * Access patterns: which tables each statement touches, and each transaction. Statements are parsed with
 * node-sql-parser (once per distinct text: a digest is already normalised, so 1M digest rows of a busy
 * system are a few thousand texts). Parameters of every style (`$1`, `?`, `...` for elided lists) are
 * tried as written, then as literals. A statement that still cannot be read is kept in `unparsed` with
 * its calls, so the report shows how much of the workload the analysis saw.
 *
 * Transactions are grouped by txid; a statement without one is its own transaction. A transaction counts
 * the calls of its first statement (the one that opens it runs once per execution, where a loop inside may
 * run others many times). Transactions with the same set of tables are folded into one shape whose calls
 * are summed: the graph and the suggestions need shapes, not millions of instances.
 */

const PARSER_DB: Record<Dialect, string> = { postgres: 'PostgresQL', mysql: 'MySQL' };
const CONTROL =
  /^(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK|END|SAVEPOINT|RELEASE|SET|SHOW|USE|DEALLOCATE|DISCARD|PREPARE|EXECUTE|LOCK|UNLOCK|DO|LISTEN|NOTIFY|VACUUM|ANALYZE|EXPLAIN|FLUSH|KILL|RESET|CHECKPOINT)\b/i;
const WRITE_KINDS = new Set(['insert', 'update', 'delete', 'replace']);

export interface ParsedAccess {
  readonly tables: string[];
  readonly writes: string[];
}

/** Parses statements to the schema's tables, caching per text. */
export class StatementReader {
  private readonly parser = new Parser();
  private readonly cache = new Map<string, ParsedAccess | { error: string } | null>();
  private readonly exact = new Map<string, string>();
  private readonly folded = new Map<string, string>();
  public readonly unknown = new Set<string>();

  public constructor(
    private readonly dialect: Dialect,
    schema: Schema,
  ) {
    for (const t of schema.tables) {
      this.exact.set(t.name, t.name);
      this.folded.set(t.name.toLowerCase(), t.name);
    }
  }

  /** Tables of a statement; null for control statements (BEGIN, SET...); `{ error }` when unreadable. */
  public read(sql: string): ParsedAccess | { error: string } | null {
    const hit = this.cache.get(sql);
    if (hit !== undefined) return hit;
    const result = this.parse(sql);
    this.cache.set(sql, result);
    return result;
  }

  private parse(sql: string): ParsedAccess | { error: string } | null {
    const text = sql.trim().replace(/;\s*$/, '');
    if (text.length === 0 || CONTROL.test(text)) return null;
    const literal = text
      .replace(/\(\s*\.\.\.\s*\)/g, '(0)')
      .replace(/\$\d+/g, '0')
      .replace(/(^|[^?])\?(?!\?)/g, '$10');
    const other: Dialect = this.dialect === 'postgres' ? 'mysql' : 'postgres';
    let firstError = '';
    for (const [candidate, db] of [
      [text, this.dialect],
      [literal, this.dialect],
      [literal, other],
    ] as Array<[string, Dialect]>) {
      try {
        const list = this.parser.tableList(candidate, { database: PARSER_DB[db] });
        return this.resolve(list);
      } catch (e) {
        if (!firstError) firstError = (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 160);
      }
    }
    return { error: firstError };
  }

  private resolve(list: string[]): ParsedAccess {
    const tables = new Set<string>();
    const writes = new Set<string>();
    for (const entry of list) {
      const [kind, , raw] = entry.split('::');
      const name = this.exact.get(raw) ?? this.folded.get(raw.toLowerCase());
      if (!name) {
        this.unknown.add(raw);
        continue;
      }
      tables.add(name);
      if (WRITE_KINDS.has(kind.toLowerCase())) writes.add(name);
    }
    return { tables: [...tables].sort(), writes: [...writes].sort() };
  }
}

/** Reads a workload: statements with their tables, transaction shapes, and what could not be read. */
export function readWorkload(samples: Iterable<StatementSample>, schema: Schema, dialect: Dialect = schema.dialect): Workload {
  const reader = new StatementReader(dialect, schema);
  const statements = new Map<string, { sql: string; calls: number; tables: string[]; writes: string[] }>();
  const unparsed = new Map<string, { sql: string; calls: number; reason: string }>();
  const openTx = new Map<string, { calls: number; tables: Set<string>; writes: Set<string>; statements: number }>();
  let totalCalls = 0;
  let loose = 0;
  for (const s of samples) {
    if (!Number.isFinite(s.calls) || s.calls < 0)
      throw new BoundaryError(
        `workload: calls must be a number >= 0, got ${JSON.stringify(s.calls)} for ${JSON.stringify(s.sql.slice(0, 80))}`,
        { field: 'calls', value: s.calls },
      );
    const access = reader.read(s.sql);
    if (access === null) continue;
    totalCalls += s.calls;
    if ('error' in access) {
      const u = unparsed.get(s.sql);
      if (u) u.calls += s.calls;
      else unparsed.set(s.sql, { sql: s.sql, calls: s.calls, reason: access.error });
      continue;
    }
    if (access.tables.length === 0) continue;
    const st = statements.get(s.sql);
    if (st) st.calls += s.calls;
    else statements.set(s.sql, { sql: s.sql, calls: s.calls, tables: access.tables, writes: access.writes });
    const txid = s.txid ?? `\u0000${loose++}`;
    let tx = openTx.get(txid);
    if (!tx) {
      tx = { calls: s.calls, tables: new Set(), writes: new Set(), statements: 0 };
      openTx.set(txid, tx);
    }
    tx.statements += 1;
    for (const t of access.tables) tx.tables.add(t);
    for (const t of access.writes) tx.writes.add(t);
  }
  const shapes = new Map<string, { txid: string; calls: number; tables: string[]; writes: Set<string>; statements: number }>();
  for (const [txid, tx] of openTx) {
    const tables = [...tx.tables].sort();
    const key = tables.join('\u0000');
    const shape = shapes.get(key);
    if (shape) {
      shape.calls += tx.calls;
      for (const w of tx.writes) shape.writes.add(w);
      shape.statements = Math.max(shape.statements, tx.statements);
    } else
      shapes.set(key, {
        txid: txid.startsWith('\u0000') ? `statement ${txid.slice(1)}` : txid,
        calls: tx.calls,
        tables,
        writes: new Set(tx.writes),
        statements: tx.statements,
      });
  }
  const transactions: TransactionAccess[] = [...shapes.values()].map((s) => ({
    txid: s.txid,
    calls: s.calls,
    tables: s.tables,
    writes: [...s.writes].sort(),
    statements: s.statements,
  }));
  return {
    statements: [...statements.values()],
    transactions,
    unparsed: [...unparsed.values()],
    unknownTables: [...reader.unknown].sort(),
    totalCalls,
  };
}

/* ---------- query log formats (text in, samples out; the adapter reads the files) ---------- */

export type LogFormat = 'jsonl' | 'csvlog' | 'mysql-general';

/** JSONL lines `{ "txid"?: string|number, "sql": string, "calls"?: number }`. A bad line throws naming it. */
export function* jsonlSamples(lines: Iterable<string>, source = 'workload'): Generator<StatementSample> {
  let n = 0;
  for (const line of lines) {
    n += 1;
    if (line.trim().length === 0) continue;
    let row: { txid?: unknown; sql?: unknown; calls?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch (e) {
      throw new BoundaryError(`${source}:${n}: not JSON: ${line.slice(0, 80)}`, { line: n }, { cause: e });
    }
    if (typeof row.sql !== 'string')
      throw new BoundaryError(`${source}:${n}: field sql must be a string, got ${JSON.stringify(row.sql)}`, {
        line: n,
        field: 'sql',
        value: row.sql,
      });
    const calls = row.calls === undefined ? 1 : row.calls;
    if (typeof calls !== 'number' || !Number.isFinite(calls) || calls < 0)
      throw new BoundaryError(`${source}:${n}: field calls must be a number >= 0, got ${JSON.stringify(row.calls)}`, {
        line: n,
        field: 'calls',
        value: row.calls,
      });
    yield { sql: row.sql, calls, txid: row.txid === undefined || row.txid === null ? undefined : String(row.txid) };
  }
}

/** RFC 4180 records (quoted fields may hold commas, quotes and newlines), as PostgreSQL's csvlog writes. */
export function* csvRecords(text: string): Generator<string[]> {
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i += 1;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n') {
      record.push(field);
      yield record;
      record = [];
      field = '';
    } else if (c !== '\r') field += c;
    i += 1;
  }
  if (field.length > 0 || record.length > 0) {
    record.push(field);
    yield record;
  }
}

/**
 * PostgreSQL csvlog with `log_statement = 'all'` (or `log_min_duration_statement = 0`). Column 10 is the
 * virtual transaction id, which groups the statements of one transaction; column 14 the message
 * (`statement: ...`, `execute <name>: ...`, `duration: 0.1 ms  statement: ...`).
 */
export function* csvlogSamples(text: string): Generator<StatementSample> {
  for (const r of csvRecords(text)) {
    if (r.length < 14) continue;
    const m = /^(?:duration: [\d.]+ ms\s+)?(?:statement|execute [^:]*): ([\s\S]*)$/.exec(r[13]);
    if (!m) continue;
    const vxid = r[9];
    yield { sql: m[1], calls: 1, txid: vxid && !/\/0$/.test(vxid) ? `${r[5]}:${vxid}` : undefined };
  }
}

/**
 * MySQL/MariaDB general query log. A transaction is what a connection runs between BEGIN / START
 * TRANSACTION (or SET autocommit=0) and COMMIT / ROLLBACK; other statements are their own transaction.
 * Statements may continue on the following lines.
 */
export function* mysqlGeneralLogSamples(text: string): Generator<StatementSample> {
  const head =
    /^(?:(\d{4}-\d\d-\d\dT[\d:.]+Z?|\d{6}\s+[\d:]+)\s+|\t\t|\s+)(\d+)\s+(Query|Execute|Connect|Quit|Init DB|Prepare|Close stmt|Field List|Statistics|Ping)\t?(.*)$/;
  const txOf = new Map<string, { id: string; seq: number }>();
  let seq = 0;
  let current: { thread: string; command: string; sql: string } | undefined;
  const flush = function* (): Generator<StatementSample> {
    if (!current || (current.command !== 'Query' && current.command !== 'Execute')) return;
    const sql = current.sql.trim();
    const thread = current.thread;
    if (/^(BEGIN|START\s+TRANSACTION|SET\s+autocommit\s*=\s*0)/i.test(sql)) {
      txOf.set(thread, { id: `${thread}:${++seq}`, seq });
      return;
    }
    if (/^(COMMIT|ROLLBACK)\b/i.test(sql)) {
      txOf.delete(thread);
      return;
    }
    yield { sql, calls: 1, txid: txOf.get(thread)?.id };
  };
  for (const line of text.split('\n')) {
    const m = head.exec(line);
    if (m) {
      yield* flush();
      current = { thread: m[2], command: m[3], sql: m[4] };
      if (m[3] === 'Quit') txOf.delete(m[2]);
    } else if (current && !/^(\S+, Version:|Tcp port:|Time\s+Id\s+Command)/.test(line)) current.sql += `\n${line}`;
  }
  yield* flush();
}
