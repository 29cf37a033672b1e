import { Client } from 'pg';
import { createConnection } from 'mysql2/promise';
import { openCatalog, readSchema, readStatementStats } from '../../adapters/sql/schema-reader';
import { boundariesCommand } from '../../cli/commands/boundaries';
import { relationships } from '../../core/boundaries';
import { startPgliteWorker } from './migration-pglite-worker';

/*
 * The schema of a live database, read through information_schema / pg_catalog: PGlite in process, and
 * the shared PostgreSQL and MariaDB of this machine, each in a schema / database of its own.
 */

const PG_URL = process.env.CUTOVER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.CUTOVER_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const NAME = `a12b_bnd_${process.pid}`;

const PG_DDL = [
  'CREATE TABLE customers (id bigint PRIMARY KEY, email text)',
  'CREATE TABLE stock (sku text, warehouse text, on_hand int, PRIMARY KEY (sku, warehouse))',
  'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id))',
  'CREATE TABLE reservations (id bigint PRIMARY KEY, order_id bigint, sku text, warehouse text, CONSTRAINT res_stock FOREIGN KEY (sku, warehouse) REFERENCES stock (sku, warehouse))',
];

function expectShopSchema(schema: Awaited<ReturnType<typeof readSchema>>): void {
  expect(schema.tables.map((t) => t.name).sort()).toEqual(['customers', 'orders', 'reservations', 'stock']);
  const byName = new Map(schema.tables.map((t) => [t.name, t]));
  expect(byName.get('stock')?.primaryKey).toEqual(['sku', 'warehouse']);
  expect(byName.get('orders')?.foreignKeys).toEqual([{ columns: ['customer_id'], refTable: 'customers', refColumns: ['id'] }]);
  // A composite key keeps its column pairs in order.
  expect(byName.get('reservations')?.foreignKeys).toEqual([
    { columns: ['sku', 'warehouse'], refTable: 'stock', refColumns: ['sku', 'warehouse'] },
  ]);
  // reservations.order_id has no constraint: inferred, with its reason.
  expect(relationships(schema).inferred).toEqual([
    expect.objectContaining({
      from: 'reservations',
      fromColumns: ['order_id'],
      to: 'orders',
      kind: 'inferred',
      reason: expect.stringContaining('<entity>_id names orders'),
    }),
  ]);
}

describe('Function: readSchema', () => {
  it('reads PGlite: columns, primary keys, single and composite foreign keys', async () => {
    // Prepare
    // PGlite runs in a worker thread under jest (see migration-pglite-worker.ts).
    const { db, close } = await startPgliteWorker();
    for (const s of PG_DDL) await db.exec(s);
    const catalog = await openCatalog('pglite://memory', { pglite: db });
    try {
      // Act
      const schema = await readSchema(catalog);
      // Assess
      expectShopSchema(schema);
    } finally {
      await catalog.close();
      await close();
    }
  }, 60_000);

  it('reads PostgreSQL in its own schema, read-only, and says how to get pg_stat_statements when it is absent', async () => {
    // Prepare
    const admin = new Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${NAME}`);
    try {
      for (const s of PG_DDL)
        await admin.query(s.replace(/CREATE TABLE (\w+)/, `CREATE TABLE ${NAME}.$1`).replace(/REFERENCES (\w+)/, `REFERENCES ${NAME}.$1`));
      const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${NAME}`;
      const catalog = await openCatalog(url);
      try {
        // Act
        const schema = await readSchema(catalog);
        // Assess
        expectShopSchema(schema);
        const hasStats = (await admin.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`)).rowCount;
        if (!hasStats)
          await expect(readStatementStats(catalog)).rejects.toThrow(/pg_stat_statements is not installed.*shared_preload_libraries.*--log/);
        await expect(catalog.query('CREATE TABLE should_not_exist (x int)')).rejects.toThrow(/read-only/);
      } finally {
        await catalog.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA ${NAME} CASCADE`);
      await admin.end();
    }
  });

  it('reads MariaDB/MySQL in its own database through information_schema, and the command runs on it', async () => {
    // Prepare
    const admin = await createConnection({ uri: MYSQL_URL, multipleStatements: true });
    await admin.query(`CREATE DATABASE ${NAME}`);
    try {
      await admin.query(`USE ${NAME}`);
      for (const s of PG_DDL)
        await admin.query(
          s
            .replace('bigint REFERENCES customers (id)', 'bigint, FOREIGN KEY (customer_id) REFERENCES customers (id)')
            .replace(/ text/g, ' varchar(20)'),
        );
      const url = MYSQL_URL.replace(/\/[^/]*$/, `/${NAME}`);
      const catalog = await openCatalog(url);
      const out: string[] = [];
      try {
        // Act
        const schema = await readSchema(catalog);
        const code = await boundariesCommand({ source: url, format: 'json' }, { stdout: (t) => out.push(t), stderr: () => undefined });
        // Assess
        expectShopSchema(schema);
        expect(code).toBe(0);
        const json = JSON.parse(out.join('')) as { candidates: Array<{ tables: string[] }>; inferred: unknown[] };
        expect(json.candidates.flatMap((c) => c.tables).sort()).toEqual(['customers', 'orders', 'reservations', 'stock']);
        expect(json.inferred).toHaveLength(1);
      } finally {
        await catalog.close();
      }
    } finally {
      await admin.query(`DROP DATABASE ${NAME}`);
      await admin.end();
    }
  });
});
