import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';
import { parseSourceUrl } from '../adapters/sql/url';
import {
  MONOLITH_COLUMNS,
  MONOLITH_TABLES,
  orderBatches,
  referenceBatches,
  type MonolithTable,
  type SeedOptions,
  type SeedRow,
} from './seed';

/**
 * Creating, filling and dropping the reference monolith in PostgreSQL, MySQL/MariaDB or PGlite. This is
 * the only code here that writes to a monolith database, and it exists for demos, tests and benchmarks.
 * Bulk loads use each engine's fast path: COPY for PostgreSQL and PGlite, multi-row INSERT for MySQL.
 */
export type WriterDialect = 'postgres' | 'mysql';

export interface MonolithWriter {
  readonly dialect: WriterDialect;
  exec(sql: string): Promise<void>;
  load(table: string, columns: readonly string[], rows: readonly SeedRow[]): Promise<void>;
  close(): Promise<void>;
}

/** The schema SQL of a dialect with the table prefix filled in, as separate statements. */
export function schemaStatements(dialect: WriterDialect, prefix = ''): string[] {
  if (!/^[A-Za-z0-9_]*$/.test(prefix)) throw new RangeError(`table prefix ${JSON.stringify(prefix)} may hold only letters, digits and _`);
  const file = path.join(__dirname, 'schema', dialect === 'postgres' ? 'postgres.sql' : 'mysql.sql');
  const sql = fs.readFileSync(file, 'utf8').replace(/\{\{prefix\}\}/g, prefix);
  return sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

/** COPY text format: tab separated, \N for NULL, backslash escapes. */
export function copyText(rows: readonly SeedRow[]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) out += '\t';
      const v = row[i];
      out +=
        v === null
          ? '\\N'
          : /[\\\t\n\r]/.test(v)
            ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
            : v;
    }
    out += '\n';
  }
  return out;
}

function quoted(dialect: WriterDialect, id: string): string {
  return dialect === 'mysql' ? `\`${id}\`` : `"${id}"`;
}

/** Opens a writer for a URL; pass `pglite` to write into an existing in-process PGlite instance. */
export async function openWriter(url: string, options: { pglite?: PGlite } = {}): Promise<MonolithWriter> {
  const u = parseSourceUrl(url);
  if (u.kind === 'postgres') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require('pg') as typeof import('pg');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { from: copyFrom } = require('pg-copy-streams') as typeof import('pg-copy-streams');
    const client = new Client({ connectionString: u.driverUrl });
    await client.connect();
    return {
      dialect: 'postgres',
      exec: async (sql) => {
        await client.query(sql);
      },
      load: async (table, columns, rows) => {
        if (rows.length === 0) return;
        const stream = client.query(
          copyFrom(`COPY ${quoted('postgres', table)} (${columns.map((c) => quoted('postgres', c)).join(', ')}) FROM STDIN`),
        );
        const done = new Promise<void>((resolve, reject) => {
          stream.on('finish', resolve);
          stream.on('error', reject);
        });
        const text = copyText(rows);
        if (!stream.write(text)) await once(stream, 'drain');
        stream.end();
        await done;
      },
      close: () => client.end(),
    };
  }
  if (u.kind === 'mysql') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const conn = await mysql.createConnection({ uri: u.driverUrl });
    return {
      dialect: 'mysql',
      exec: async (sql) => {
        await conn.query(sql);
      },
      load: async (table, columns, rows) => {
        const per = Math.max(1, Math.floor(20_000 / columns.length));
        for (let i = 0; i < rows.length; i += per) {
          await conn.query(`INSERT INTO ${quoted('mysql', table)} (${columns.map((c) => quoted('mysql', c)).join(', ')}) VALUES ?`, [
            rows.slice(i, i + per),
          ]);
        }
      },
      close: () => conn.end(),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PGlite: PGliteClass } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const db = options.pglite ?? (u.dataDir ? new PGliteClass(u.dataDir) : new PGliteClass());
  const owned = !options.pglite;
  await db.waitReady;
  return {
    dialect: 'postgres',
    exec: async (sql) => {
      await db.exec(sql);
    },
    load: async (table, columns, rows) => {
      if (rows.length === 0) return;
      await db.query(`COPY ${quoted('postgres', table)} (${columns.map((c) => quoted('postgres', c)).join(', ')}) FROM '/dev/blob'`, [], {
        blob: new Blob([copyText(rows)]),
      });
    },
    close: async () => {
      if (owned) await db.close();
    },
  };
}

export async function createMonolithSchema(writer: MonolithWriter, prefix = ''): Promise<void> {
  for (const statement of schemaStatements(writer.dialect, prefix)) await writer.exec(statement);
}

export async function dropMonolithSchema(writer: MonolithWriter, prefix = ''): Promise<void> {
  for (const table of [...MONOLITH_TABLES].reverse()) await writer.exec(`DROP TABLE IF EXISTS ${quoted(writer.dialect, prefix + table)}`);
}

export type SeedCounts = Record<MonolithTable, number>;

/** Fills the (empty) monolith tables. Returns the row count per table. */
export async function seedMonolith(
  writer: MonolithWriter,
  options: SeedOptions & { readonly prefix?: string; readonly chunk?: number; readonly onProgress?: (ordersDone: number) => void },
): Promise<SeedCounts> {
  const prefix = options.prefix ?? '';
  const counts = Object.fromEntries(MONOLITH_TABLES.map((t) => [t, 0])) as SeedCounts;
  const load = async (table: MonolithTable, rows: SeedRow[]) => {
    await writer.load(prefix + table, MONOLITH_COLUMNS[table], rows);
    counts[table] += rows.length;
  };
  for (const { table, rows } of referenceBatches(options)) await load(table, rows);
  let done = 0;
  for (const batch of orderBatches(options, options.chunk ?? 10_000)) {
    await load('orders', batch.orders);
    await load('order_lines', batch.order_lines);
    await load('payments', batch.payments);
    await load('shipments', batch.shipments);
    done += batch.orders.length;
    options.onProgress?.(done);
  }
  // Fresh statistics, as a live database has: without them the planner guesses key ranges wrong and a
  // keyset page with both bounds is read with a bitmap scan and a sort instead of an index range scan.
  for (const table of MONOLITH_TABLES)
    await writer.exec(
      writer.dialect === 'mysql' ? `ANALYZE TABLE ${quoted('mysql', prefix + table)}` : `ANALYZE ${quoted('postgres', prefix + table)}`,
    );
  return counts;
}
