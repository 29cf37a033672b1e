import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointTotals, judgeSample, recentQuery, type Item } from '../../core/migration';
import { MemoryAuditSink } from '../../cli/migration/audit';
import { runBackfill, type BackfillSummary } from '../../cli/migration/backfill';
import type { SqlSource } from '../../adapters/sql/sql-source';
import { FileCheckpointStore, RejectsFile } from '../../cli/migration/state';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { ExportFileSource, ExportFileWriter } from '../../adapters/migration-target/export-file';
import type { ItemWriter } from '../../adapters/migration-target/target';
import { runVerify } from '../../cli/migration/verify';
import { createMonolithSchema, dropMonolithSchema, seedMonolith, type MonolithWriter } from '../../monolith/database';
import { sqlTimestamp } from '../../monolith/seed';
import {
  CountingWriter,
  CrashingWriter,
  createTableFor,
  deleteItem,
  entity,
  getItem,
  putItem,
  scanAll,
  SimulatedCrash,
  startDynalite,
  tempDir,
  type Dynalite,
} from './migration-support';

/** One database under test: a writer to build and change the monolith, and fresh read-only sources. */
export interface SqlFixture {
  readonly writer: MonolithWriter;
  /** A new source, as a new CLI process would open. */
  openSource(): Promise<SqlSource>;
  /** The table name with the run's prefix, quoted for the dialect. */
  table(name: string): string;
  close(): Promise<void>;
}

const ORDERS = 800;
const BAD = 3;

/**
 * The integration scenario every SQL source must pass: backfill into DynamoDB (dynalite), crash and abort
 * mid-run, resume, verify clean; plant every kind of difference and find exactly those; repair them.
 */
export function describeSqlMigration(label: string, open: (prefix: string) => Promise<SqlFixture>, prefix: string): void {
  describe(`${label}: backfill and verify`, () => {
    let db: SqlFixture;
    let dynamo: Dynalite;
    let state: string;
    const orders = entity('orders');
    const payments = entity('payments');
    const products = entity('products');
    const stock = entity('stock');

    const backfill = async (
      e = orders,
      target?: ItemWriter,
      extra: { signal?: AbortSignal; segments?: number } = {},
    ): Promise<BackfillSummary> => {
      const source = await db.openSource();
      try {
        return await runBackfill({
          entity: e,
          source,
          target: target ?? new DynamoTable(dynamo.client, e.targetTable, { keyAttributes: e.keyAttributes }),
          tableName: e.targetTable,
          checkpoints: new FileCheckpointStore(path.join(state, `backfill-${e.name}.json`)),
          rejects: new RejectsFile(path.join(state, `rejects-${e.name}.jsonl`)),
          segments: extra.segments ?? 4,
          pageSize: 100,
          signal: extra.signal,
        });
      } finally {
        await source.close();
      }
    };

    const verify = async (e = orders, options: { repair?: MemoryAuditSink; lagSeconds?: number; exportFile?: string } = {}) => {
      const source = await db.openSource();
      const table = new DynamoTable(dynamo.client, e.targetTable, { keyAttributes: e.keyAttributes });
      try {
        return await runVerify({
          entity: e,
          source,
          target: options.exportFile ? new ExportFileSource(options.exportFile, e.keyAttributes) : table,
          tableName: e.targetTable,
          pageSize: 150,
          lagSeconds: options.lagSeconds,
          repair: options.repair ? { writer: table, audit: options.repair } : undefined,
        });
      } finally {
        await source.close();
      }
    };

    beforeAll(async () => {
      db = await open(prefix);
      await dropMonolithSchema(db.writer, prefix);
      await createMonolithSchema(db.writer, prefix);
      await seedMonolith(db.writer, { orders: ORDERS, badRows: BAD, prefix, chunk: 500 });
      dynamo = await startDynalite();
      for (const e of [orders, products, stock]) await createTableFor(dynamo.client, e);
      state = tempDir('migration-state');
    }, 120_000);

    afterAll(async () => {
      await dropMonolithSchema(db.writer, prefix).catch(() => undefined);
      await db.close();
      await dynamo.close();
      fs.rmSync(state, { recursive: true, force: true });
    }, 60_000);

    it('backfills through a crash and an abort, resuming each time with nothing lost and nothing duplicated', async () => {
      // Act 1: a crash right after the 9th batch is written, before it is checkpointed.
      const table = new DynamoTable(dynamo.client, 'orders', { keyAttributes: orders.keyAttributes });
      await expect(backfill(orders, new CrashingWriter(table, 9))).rejects.toThrow(SimulatedCrash);
      const store = new FileCheckpointStore(path.join(state, 'backfill-orders.json'));
      const afterCrash = checkpointTotals((await store.load())!);
      expect(afterCrash.rows).toBeGreaterThan(0);
      expect(afterCrash.rows).toBeLessThan(ORDERS - BAD);

      // Act 2: resume, and stop on an abort signal after a few more batches.
      const stop = new AbortController();
      const aborting: ItemWriter = {
        batches: 0,
        async writeBatch(items) {
          const s = await table.writeBatch(items);
          if (++(this as { batches: number }).batches === 5) stop.abort();
          return s;
        },
        describe: () => table.describe(),
      } as ItemWriter & { batches: number };
      const stopped = await backfill(orders, aborting, { signal: stop.signal });
      expect(stopped.status).toBe('aborted');
      expect(stopped.resumed).toBe(true);
      expect(stopped.rows).toBeGreaterThan(afterCrash.rows);

      // Act 3: resume to the end.
      const counting = new CountingWriter(table, (i) => orders.keyOf(i));
      const done = await backfill(orders, counting);

      // Assess: every good row once, the bad ones in the rejects file once each, and the resume did not start over.
      expect(done).toMatchObject({
        status: 'complete',
        resumed: true,
        rows: ORDERS - BAD,
        items: ORDERS - BAD,
        rejected: BAD,
        segments: 4,
      });
      expect(counting.keys.length).toBeLessThan(ORDERS - stopped.rows + 4 * 25);
      const items = await scanAll(dynamo.client, 'orders');
      expect(items.filter((i) => orders.owns(i))).toHaveLength(ORDERS - BAD);
      const rejects = fs
        .readFileSync(path.join(state, 'rejects-orders.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: { order_no: string }; column: string; value: string; reason: string });
      expect(rejects).toHaveLength(BAD);
      expect(new Set(rejects.map((r) => r.key.order_no)).size).toBe(BAD);
      expect(rejects.map((r) => r.column).sort()).toEqual(['order_dt', 'status', 'status']);
      expect(rejects.find((r) => r.column === 'status')).toMatchObject({ value: 'Q', reason: '"Q" is not one of "P", "S", "D", "X"' });

      // A finished backfill has nothing left to do.
      expect((await backfill(orders)).status).toBe('alreadyComplete');
    }, 120_000);

    it('verifies clean, leaving out the rejected rows and the items of other entities in the same table', async () => {
      const paid = await backfill(payments);
      expect(paid.status).toBe('complete');
      const report = await verify(orders);
      expect(report).toMatchObject({
        clean: true,
        matched: ORDERS - BAD,
        totals: { missing: 0, extra: 0, different: 0, duplicates: 0, inFlight: 0 },
        counts: { sourceRows: ORDERS, sourceItems: ORDERS - BAD, targetItems: ORDERS - BAD, rejected: BAD, foreign: paid.items },
        buckets: { differing: 0 },
      });
      expect((await verify(payments)).clean).toBe(true);
    }, 120_000);

    it('finds exactly the planted differences, repairs them with an audit entry each, and leaves extra items alone', async () => {
      // Prepare: one difference of each kind.
      const key = (n: number) => ({ pk: { S: `ORDER#${1_000_000 + n}` }, sk: { S: 'ORDER' } });
      const at = async (n: number) => (await getItem(dynamo.client, 'orders', key(n))) as Item;
      await deleteItem(dynamo.client, 'orders', key(10));
      await putItem(dynamo.client, 'orders', { ...(await at(11)), pk: { S: 'ORDER#9999999' } });
      await putItem(dynamo.client, 'orders', { ...(await at(12)), customerId: { S: 'C999999' } });
      const typed = await at(13);
      const line = (typed.lines as { L: { M: Item }[] }).L[0].M;
      await putItem(dynamo.client, 'orders', {
        ...typed,
        lines: {
          L: [{ M: { ...line, quantity: { S: (line.quantity as { N: string }).N } } }, ...(typed.lines as { L: { M: Item }[] }).L.slice(1)],
        },
      });
      const cut = await at(14);
      const street = ((cut.shippingAddress as { M: Item }).M.street as { S: string }).S;
      await putItem(dynamo.client, 'orders', {
        ...cut,
        shippingAddress: { M: { ...(cut.shippingAddress as { M: Item }).M, street: { S: street.slice(0, 5) } } },
      });
      await putItem(dynamo.client, 'orders', { ...(await at(15)), version: { N: '3' } }); // ignored by the spec: not a difference

      // Act
      const report = await verify(orders);

      // Assess
      const k = (n: number) => JSON.stringify([{ S: `ORDER#${1_000_000 + n}` }, { S: 'ORDER' }]);
      expect(report.clean).toBe(false);
      expect(report.totals).toEqual({ missing: 1, extra: 1, different: 3, duplicates: 0, inFlight: 0 });
      expect(report.missing).toEqual([{ key: k(10), rowKey: { order_no: '1000010' } }]);
      expect(report.extra).toEqual([{ key: JSON.stringify([{ S: 'ORDER#9999999' }, { S: 'ORDER' }]) }]);
      expect(report.different.map((d) => [d.key, d.fields.map((f) => [f.path, f.kind])])).toEqual([
        [k(12), [['customerId', 'value']]],
        [k(13), [['lines[0].quantity', 'type']]],
        [k(14), [['shippingAddress.street', 'truncated']]],
      ]);
      expect(report.matched).toBe(ORDERS - BAD - 4);

      // Act: repair.
      const audit = new MemoryAuditSink();
      const repaired = await verify(orders, { repair: audit });
      expect(repaired.repaired).toEqual({ items: 4, audited: 4, skipped: 0 });
      expect(audit.entries.map((e) => [e.stream, e.entry.kind, e.entry.key]).sort()).toEqual(
        [
          ['migration-orders', 'different', k(12)],
          ['migration-orders', 'different', k(13)],
          ['migration-orders', 'different', k(14)],
          ['migration-orders', 'missing', k(10)],
        ].sort(),
      );
      const after = await verify(orders);
      expect(after.totals).toEqual({ missing: 0, extra: 1, different: 0, duplicates: 0, inFlight: 0 });
      await deleteItem(dynamo.client, 'orders', { pk: { S: 'ORDER#9999999' }, sk: { S: 'ORDER' } });
    }, 120_000);

    it('treats a difference on a row changed within the lag as in flight, not divergent', async () => {
      await db.writer.exec(`UPDATE ${db.table('orders')} SET updated_at = '${sqlTimestamp(Date.now())}' WHERE order_no = 1000020`);
      const key = { pk: { S: 'ORDER#1000020' }, sk: { S: 'ORDER' } };
      const item = (await getItem(dynamo.client, 'orders', key)) as Item;
      await putItem(dynamo.client, 'orders', { ...item, status: { S: 'lost' } });
      const lagged = await verify(orders, { lagSeconds: 3600 });
      // The updated_at change itself differs too; both sit on the same row, which is in flight.
      expect(lagged.totals).toEqual({ missing: 0, extra: 0, different: 0, duplicates: 0, inFlight: 1 });
      const strict = await verify(orders);
      expect(strict.totals.different).toBe(1);
      expect(strict.different[0].fields.map((f) => f.path).sort()).toEqual(['status', 'updatedAt']);
    }, 120_000);

    it('samples recent changes for continuous validation and raises only what is past the lag', async () => {
      // Prepare: two orders changed a minute ago (past a 30 s lag), one changed now; the target has the old versions.
      const now = Date.now();
      await db.writer.exec(
        `UPDATE ${db.table('orders')} SET updated_at = '${sqlTimestamp(now - 60_000)}', status = 'D' WHERE order_no IN (1000031, 1000032)`,
      );
      await db.writer.exec(
        `UPDATE ${db.table('orders')} SET updated_at = '${sqlTimestamp(now - 5_000)}', status = 'D' WHERE order_no = 1000033`,
      );
      const query = recentQuery(new Date(now), 0, 120, 50);
      const source = await db.openSource();
      try {
        // Act
        const sampled = await source.readEntityUpdatedBetween(
          orders,
          query.kind === 'recent' ? query.from : '',
          query.kind === 'recent' ? query.to : '',
          50,
        );
        // (The lag test above changed order 1000020 a moment ago too; this test looks at its own three.)
        const rows = sampled.filter((r) => ['1000031', '1000032', '1000033'].includes(r.row[0] as string));
        const table = new DynamoTable(dynamo.client, 'orders', { keyAttributes: orders.keyAttributes });
        const keys = rows.map((r) => orders.keyOf(orders.mapRow(r.row, r.children).items![0]));
        const items = [...(await table.fetch(keys.map((key) => ({ key, locator: '' })))).values()];
        const verdict = judgeSample(orders, rows, items, { now: new Date(now), lagSeconds: 30, ...orders.def.verify });

        // Assess: the newest first; two divergent, one in flight.
        expect(rows.map((r) => r.row[0])).toEqual(['1000033', '1000031', '1000032']);
        expect(rows.every((r) => r.children[0].length > 0)).toBe(true);
        expect(verdict.divergences.map((d) => d.rowKey).sort((a, b) => String(a?.order_no).localeCompare(String(b?.order_no)))).toEqual([
          { order_no: '1000031' },
          { order_no: '1000032' },
        ]);
        expect(verdict.inFlight.map((d) => d.rowKey)).toEqual([{ order_no: '1000033' }]);
      } finally {
        await source.close();
      }
    }, 60_000);

    it('checks floats with the tolerance, reads composite string keys, and gives the same answer from an export file', async () => {
      expect((await backfill(products, undefined, { segments: 3 })).status).toBe('complete');
      expect((await backfill(stock, undefined, { segments: 3 })).status).toBe('complete');
      expect((await verify(stock)).clean).toBe(true);

      const items = await scanAll(dynamo.client, 'catalog');
      const weighed = items.filter((i) => i.weightKg !== undefined).slice(0, 2);
      const w = (i: Item) => Number((i.weightKg as { N: string }).N);
      await putItem(dynamo.client, 'catalog', { ...weighed[0], weightKg: { N: String(w(weighed[0]) + 0.0001) } }); // float noise: fine
      await putItem(dynamo.client, 'catalog', { ...weighed[1], weightKg: { N: String(w(weighed[1]) + 0.01) } }); // beyond 0.0005

      const live = await verify(products);
      expect(live.totals).toEqual({ missing: 0, extra: 0, different: 1, duplicates: 0, inFlight: 0 });
      expect(live.different[0]).toMatchObject({ key: products.keyOf(weighed[1]), fields: [{ path: 'weightKg', kind: 'numeric' }] });

      const file = path.join(state, 'export', 'catalog.json');
      const writer = new ExportFileWriter(file);
      for (const i of await scanAll(dynamo.client, 'catalog')) writer.write(i);
      writer.close();
      const fromExport = await verify(products, { exportFile: file });
      expect(fromExport.totals).toEqual(live.totals);
      expect(fromExport.different).toEqual(live.different);
      expect(fromExport.target).toBe(`export://${file}`);
    }, 120_000);
  });
}
