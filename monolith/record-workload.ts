import * as fs from 'node:fs';
import * as path from 'node:path';
import { schemaStatements } from './database';
import { shopSetup, shopTransactions } from './workload';

/*
 * Records the shop monolith's workload on a real PostgreSQL, as `cutover boundaries --log` reads it:
 *   npx tsx monolith/record-workload.ts --source postgres://postgres@127.0.0.1:5432/test --orders 300 \
 *     --out test/fixtures/boundaries/shop-workload.jsonl
 * It creates a schema of its own (dropped at the end), runs the shop's transactions in it, and writes one
 * JSONL line per statement of each distinct transaction: the server's transaction id (txid_current()) of
 * its first run, the SQL as the application sent it, and `calls` = how many times that transaction ran.
 * pg_stat_statements would give the same statements, but not which ones share a transaction, and loading
 * it needs a server restart (shared_preload_libraries).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const source = opt('source', 'postgres://postgres@127.0.0.1:5432/test');
  const orders = Number(opt('orders', '300'));
  const out = opt('out', path.join(__dirname, '..', 'test', 'fixtures', 'boundaries', 'shop-workload.jsonl'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: source });
  await client.connect();
  const schema = `boundaries_rec_${process.pid}`;
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    for (const s of schemaStatements('postgres')) await client.query(s);
    for (const s of shopSetup({ orders })) await client.query(s.sql, [...s.params]);
    const shapes = new Map<string, { txid: string; sql: string[]; calls: number }>();
    for (const tx of shopTransactions({ orders })) {
      await client.query('BEGIN');
      const txid = String((await client.query<{ txid: string }>('SELECT txid_current()::text AS txid')).rows[0].txid);
      for (const s of tx.statements) await client.query(s.sql, [...s.params]);
      await client.query('COMMIT');
      const key = `${tx.name}\u0000${tx.statements.map((s) => s.sql).join('\u0000')}`;
      const shape = shapes.get(key);
      if (shape) shape.calls += 1;
      else shapes.set(key, { txid, sql: tx.statements.map((s) => s.sql), calls: 1 });
    }
    const lines: string[] = [];
    for (const s of shapes.values()) for (const sql of s.sql) lines.push(JSON.stringify({ txid: s.txid, sql, calls: s.calls }));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${lines.join('\n')}\n`);
    console.log(
      `recorded ${shapes.size} distinct transactions (${[...shapes.values()].reduce((a, s) => a + s.calls, 0)} runs), ${lines.length} lines -> ${out}`,
    );
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
