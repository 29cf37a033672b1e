import type { PGlite } from '@electric-sql/pglite';
import { parseSourceUrl } from '../adapters/sql/url';

/**
 * The reference monolith's database as its HTTP API uses it: parameterised queries and transactions, over
 * PGlite (in-process, the default) or PostgreSQL (by URL). `$1` placeholders, as both speak them.
 */
export type Row = Record<string, unknown>;

export interface MonolithDb {
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  transaction<T>(work: (q: (sql: string, params?: readonly unknown[]) => Promise<Row[]>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openMonolithDb(url: string, options: { pglite?: PGlite } = {}): Promise<MonolithDb> {
  const u = parseSourceUrl(url);
  if (u.kind === 'mysql') throw new RangeError(`the reference monolith's HTTP API runs on PGlite or PostgreSQL, not ${u.label}`);
  if (u.kind === 'postgres') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({ connectionString: u.driverUrl, max: 4 });
    return {
      query: async (sql, params = []) => (await pool.query(sql, [...params])).rows as Row[],
      transaction: async (work) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const out = await work(async (sql, params = []) => (await client.query(sql, [...params])).rows as Row[]);
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PGlite: PGliteClass } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const db = options.pglite ?? (u.dataDir ? new PGliteClass(u.dataDir) : new PGliteClass());
  const owned = !options.pglite;
  await db.waitReady;
  return {
    query: async (sql, params = []) => (await db.query<Row>(sql, [...params])).rows,
    transaction: (work) => db.transaction((tx) => work(async (sql, params = []) => (await tx.query<Row>(sql, [...params])).rows)),
    close: async () => {
      if (owned) await db.close();
    },
  };
}
