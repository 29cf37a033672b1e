import type { PGlite } from '@electric-sql/pglite';
import type { Pool, PoolClient } from 'pg';
import type { Pool as MysqlPool, PoolConnection } from 'mysql2/promise';
import { parseSourceUrl, redact } from '../url';
import { textTypeCast } from '../mysql';
import { CaptureError } from './errors';

export type CaptureDialect = 'postgres' | 'mysql';

/** A row as SQL text, in select order (null = NULL). */
export type TextRow = ReadonlyArray<string | null>;

/** One connection (or transaction) that runs SQL and answers rows of SQL text. */
export interface SqlSession {
  readonly dialect: CaptureDialect;
  /** Runs one statement; PostgreSQL placeholders are $1.., MySQL ones are ?. */
  query(sql: string, params?: readonly (string | number | null)[]): Promise<TextRow[]>;
  /** Rows changed by the last statement (insert/update/delete). */
  exec(sql: string, params?: readonly (string | number | null)[]): Promise<number>;
}

/**
 * A read-write connection to the monolith database for capture: installing triggers, relaying the change
 * table and writing the sync's own rows. Unlike the migration sources it is not read-only; every session
 * is UTC so text renderings of times agree with the triggers' (which pin their own settings).
 */
export interface CaptureDatabase extends SqlSession {
  /** The schema (PostgreSQL) or database (MySQL) the capture objects live in. */
  readonly schema: string;
  /** Where it connects, without credentials. */
  readonly label: string;
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

function pgSession(client: Pick<PoolClient, 'query'>): SqlSession {
  return {
    dialect: 'postgres',
    query: async (sql, params = []) =>
      (await client.query({ text: sql, values: params as unknown[], rowMode: 'array', types: TEXT_TYPES })).rows as TextRow[],
    exec: async (sql, params = []) => (await client.query({ text: sql, values: params as unknown[], types: TEXT_TYPES })).rowCount ?? 0,
  };
}

/** PGlite answers typed values; capture queries cast what they select to text, this only stringifies what is left. */
function pgliteSession(db: Pick<PGlite, 'query'>): SqlSession {
  const text = (v: unknown): string | null =>
    v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return {
    dialect: 'postgres',
    query: async (sql, params = []) =>
      (await db.query<unknown[]>(sql, params as unknown[], { rowMode: 'array' })).rows.map((r) => r.map(text)),
    exec: async (sql, params = []) => (await db.query(sql, params as unknown[])).affectedRows ?? 0,
  };
}

function mysqlSession(conn: Pick<PoolConnection, 'query'>): SqlSession {
  return {
    dialect: 'mysql',
    query: async (sql, params = []) => {
      const [rows] = await conn.query({ sql, values: params as unknown[], rowsAsArray: true, typeCast: textTypeCast as never });
      return Array.isArray(rows) ? (rows as unknown as TextRow[]) : [];
    },
    exec: async (sql, params = []) => {
      const [result] = await conn.query({ sql, values: params as unknown[] });
      return (result as { affectedRows?: number }).affectedRows ?? 0;
    },
  };
}

export interface OpenCaptureOptions {
  /** Connections in the pool. @default 4 */
  readonly connections?: number;
  /** An in-process PGlite to use instead of opening one (tests, the demo). */
  readonly pglite?: PGlite;
}

/**
 * Opens a capture connection for a source URL (postgres://, mysql://, mariadb://, pglite://). For
 * PostgreSQL `?schema=name` (or the connection's search_path) chooses the schema; the MySQL URL's
 * database is the one used.
 */
export async function openCaptureDatabase(url: string, options: OpenCaptureOptions = {}): Promise<CaptureDatabase> {
  const u = parseSourceUrl(url);
  const max = options.connections ?? 4;
  if (u.kind === 'postgres') {
    const parsed = new URL(u.driverUrl);
    const schema = parsed.searchParams.get('schema');
    parsed.searchParams.delete('schema');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Pool: PgPool } = require('pg') as typeof import('pg');
    const searchPath = schema ? ` -c search_path=${schema.replace(/[^A-Za-z0-9_]/g, '')}` : '';
    const pool: Pool = new PgPool({ connectionString: parsed.toString(), max, options: `-c TimeZone=UTC -c DateStyle=ISO${searchPath}` });
    const root = pgSession(pool);
    const [[current]] = await root.query('SELECT current_schema()');
    if (!current)
      throw new CaptureError(`${u.label}: no current schema (does the schema ${JSON.stringify(schema)} exist?)`, { source: u.label });
    return {
      ...root,
      schema: current,
      label: u.label,
      transaction: async (fn) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await fn(pgSession(client));
          await client.query('COMMIT');
          return result;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  if (u.kind === 'mysql') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const pool: MysqlPool = mysql.createPool({
      uri: u.driverUrl,
      connectionLimit: max,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    // READ COMMITTED: the relay's locking reads then take no gap locks, so they never block the
    // application's inserts into the change table.
    pool.pool.on('connection', (conn: { query: (sql: string) => unknown }) => {
      conn.query("SET time_zone = '+00:00'");
      conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    });
    const root = mysqlSession(pool);
    const [[current]] = await root.query('SELECT DATABASE()');
    if (!current) throw new CaptureError(`${u.label}: the URL names no database`, { source: u.label });
    return {
      ...root,
      schema: current,
      label: u.label,
      transaction: async (fn) => {
        const conn = await pool.getConnection();
        try {
          await conn.query('START TRANSACTION');
          const result = await fn(mysqlSession(conn));
          await conn.query('COMMIT');
          return result;
        } catch (e) {
          await conn.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          conn.release();
        }
      },
      close: () => pool.end(),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PGlite: PGliteClass } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const db = options.pglite ?? (u.dataDir ? new PGliteClass(u.dataDir) : new PGliteClass());
  await db.waitReady;
  return pgliteDatabase(db, redact(u.label), !options.pglite);
}

/**
 * PGlite is one connection: a transaction is BEGIN..COMMIT on it, and every other statement waits until
 * the open transaction ends (a queue), so nothing from outside slips into it. Only `query` is used, so a
 * PGlite living in a worker thread (tests) can stand in.
 */
export async function pgliteDatabase(db: Pick<PGlite, 'query' | 'close'>, label: string, owns: boolean): Promise<CaptureDatabase> {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const direct = pgliteSession(db);
  await direct.query("SET TimeZone = 'UTC'");
  await direct.query("SET DateStyle = 'ISO'");
  const [[current]] = await direct.query('SELECT current_schema()');
  return {
    dialect: 'postgres',
    query: (sql, params) => serial(() => direct.query(sql, params)),
    exec: (sql, params) => serial(() => direct.exec(sql, params)),
    schema: current ?? 'public',
    label,
    transaction: (fn) =>
      serial(async () => {
        await direct.exec('BEGIN');
        try {
          const result = await fn(direct);
          await direct.exec('COMMIT');
          return result;
        } catch (e) {
          await direct.exec('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }),
    close: async () => {
      if (owns) await db.close();
    },
  };
}

/** Quotes an identifier for the dialect. */
export function quoteIdent(dialect: CaptureDialect, id: string): string {
  return dialect === 'mysql' ? `\`${id.replace(/`/g, '``')}\`` : `"${id.replace(/"/g, '""')}"`;
}

/** A SQL string literal (for DDL, where parameters cannot be used). */
export function quoteLiteral(dialect: CaptureDialect, value: string): string {
  const body = value.replace(/'/g, "''");
  return dialect === 'mysql' ? `'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}
