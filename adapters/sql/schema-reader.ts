import type { PGlite } from '@electric-sql/pglite';
import { BoundaryError } from '../../core/errors';
import type { Column, Dialect, ForeignKey, Schema, StatementSample, Table } from '../../core/boundaries';
import { parseSourceUrl, redact } from './url';

/*
 * The schema and the statement statistics of a live database, for `cutover boundaries --source URL`:
 * PostgreSQL, MySQL/MariaDB or PGlite. Columns come from information_schema; primary and foreign keys
 * from information_schema on MySQL and from pg_catalog on PostgreSQL (information_schema there cannot
 * pair the columns of a composite foreign key with the ones they reference). Sessions are read-only.
 */

type Row = Record<string, unknown>;

export interface Catalog {
  readonly dialect: Dialect;
  readonly label: string;
  readonly tablePrefix: string;
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Opens a read-only catalog connection; pass `pglite` to read an in-process PGlite instance. */
export async function openCatalog(url: string, options: { pglite?: PGlite } = {}): Promise<Catalog> {
  const u = parseSourceUrl(url);
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw new BoundaryError(
        `${u.label}: ${what} failed: ${e instanceof Error ? e.message : String(e)}`,
        { source: redact(url) },
        { cause: e },
      );
    }
  };
  if (u.kind === 'postgres') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require('pg') as typeof import('pg');
    const client = new Client({ connectionString: u.driverUrl });
    await wrap('connect', () => client.connect());
    // Set after connecting: a URL's own `options=` (a search_path, say) would replace connection options.
    await wrap('set read only', () => client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY'));
    return {
      dialect: 'postgres',
      label: u.label,
      tablePrefix: u.tablePrefix,
      query: (sql, params = []) => wrap('query', async () => (await client.query(sql, [...params])).rows as Row[]),
      close: () => client.end(),
    };
  }
  if (u.kind === 'mysql') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const conn = await wrap('connect', () => mysql.createConnection({ uri: u.driverUrl }));
    await conn.query('SET SESSION TRANSACTION READ ONLY');
    return {
      dialect: 'mysql',
      label: u.label,
      tablePrefix: u.tablePrefix,
      query: (sql, params = []) => wrap('query', async () => (await conn.query(sql, [...params]))[0] as Row[]),
      close: () => conn.end(),
    };
  }
  let db = options.pglite;
  const owned = !db;
  if (!db) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PGlite: Ctor } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
    db = u.dataDir ? new Ctor(u.dataDir) : new Ctor();
    await db.waitReady;
  }
  const pg = db;
  return {
    dialect: 'postgres',
    label: u.label,
    tablePrefix: u.tablePrefix,
    query: (sql, params = []) => wrap('query', async () => (await pg.query<Row>(sql, [...params])).rows),
    close: async () => {
      if (owned) await pg.close();
    },
  };
}

const PG_COLUMNS = `SELECT table_name, column_name, data_type FROM information_schema.columns
  WHERE table_schema = current_schema() AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
  ORDER BY table_name, ordinal_position`;
const PG_KEYS = `SELECT c.conname AS name, c.contype AS kind, rel.relname AS table_name, frel.relname AS ref_table, a.attname AS column_name, fa.attname AS ref_column, k.ord AS ord
  FROM pg_constraint c
  JOIN pg_class rel ON rel.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = rel.relnamespace
  LEFT JOIN pg_class frel ON frel.oid = c.confrelid
  CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
  LEFT JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[k.ord]
  WHERE n.nspname = current_schema() AND c.contype IN ('p', 'f')
  ORDER BY rel.relname, c.conname, k.ord`;
const MY_COLUMNS = `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, DATA_TYPE AS data_type FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE')
  ORDER BY TABLE_NAME, ORDINAL_POSITION`;
const MY_KEYS = `SELECT CONSTRAINT_NAME AS name, IF(CONSTRAINT_NAME = 'PRIMARY', 'p', 'f') AS kind, TABLE_NAME AS table_name, REFERENCED_TABLE_NAME AS ref_table,
    COLUMN_NAME AS column_name, REFERENCED_COLUMN_NAME AS ref_column, ORDINAL_POSITION AS ord
  FROM information_schema.KEY_COLUMN_USAGE
  WHERE TABLE_SCHEMA = DATABASE() AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL)
  ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`;

/** The tables of the connection's current schema (database), with the URL's `?prefix=` as a filter. */
export async function readSchema(catalog: Catalog): Promise<Schema> {
  const mysql = catalog.dialect === 'mysql';
  const columns = await catalog.query(mysql ? MY_COLUMNS : PG_COLUMNS);
  const keys = await catalog.query(mysql ? MY_KEYS : PG_KEYS);
  const keep = (t: string): boolean => t.startsWith(catalog.tablePrefix);
  const tables = new Map<string, { name: string; columns: Column[]; primaryKey: string[]; foreignKeys: ForeignKey[] }>();
  for (const r of columns) {
    const t = String(r.table_name);
    if (!keep(t)) continue;
    const table = tables.get(t) ?? { name: t, columns: [], primaryKey: [], foreignKeys: [] };
    table.columns.push({ name: String(r.column_name), type: String(r.data_type).toLowerCase() });
    tables.set(t, table);
  }
  const fks = new Map<string, ForeignKey>();
  for (const r of keys) {
    const t = tables.get(String(r.table_name));
    if (!t) continue;
    if (r.kind === 'p') t.primaryKey.push(String(r.column_name));
    else {
      const id = `${t.name}\u0000${String(r.name)}`;
      let fk = fks.get(id);
      if (!fk) {
        fk = { columns: [], refTable: String(r.ref_table), refColumns: [] };
        fks.set(id, fk);
        t.foreignKeys.push(fk);
      }
      fk.columns.push(String(r.column_name));
      fk.refColumns.push(String(r.ref_column));
    }
  }
  return { dialect: catalog.dialect, tables: [...tables.values()] as Table[], skipped: [] };
}

/**
 * Statement digests with their calls: pg_stat_statements (PostgreSQL; needs the extension loaded through
 * shared_preload_libraries and created in the database) or performance_schema's digest summary (MySQL).
 * Neither knows which statements shared a transaction: each digest counts as its own transaction.
 */
export async function readStatementStats(catalog: Catalog): Promise<StatementSample[]> {
  if (catalog.dialect === 'mysql') {
    const rows = await catalog.query(
      `SELECT DIGEST_TEXT AS sql_text, COUNT_STAR AS calls FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = DATABASE() AND DIGEST_TEXT IS NOT NULL`,
    );
    return rows.map((r) => ({ sql: String(r.sql_text), calls: Number(r.calls) }));
  }
  const present = await catalog.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`);
  if (present.length === 0) {
    throw new BoundaryError(
      `${catalog.label}: pg_stat_statements is not installed in this database (shared_preload_libraries = 'pg_stat_statements', a restart, then CREATE EXTENSION pg_stat_statements); or pass a query log with --log`,
      { source: catalog.label },
    );
  }
  const rows = await catalog.query(
    `SELECT query AS sql_text, calls::text AS calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows.map((r) => ({ sql: String(r.sql_text), calls: Number(r.calls) }));
}
