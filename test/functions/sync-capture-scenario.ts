import type { RowChange, SqlRowWrite } from '../../core/sync/change';
import type { CaptureDatabase } from '../../adapters/sql/capture/database';
import { CaptureError } from '../../adapters/sql/capture/errors';
import { installCapture, planCapture, uninstallCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay, purgeShipped, relayStatus } from '../../adapters/sql/capture/relay';
import { purgeApplied, SqlChangeWriter } from '../../adapters/sql/capture/sql-writer';
import { schemaStatements } from '../../monolith/database';
import { createShopSchema, deferred, RecordingSink, stockRow, type CaptureFixture } from './sync-capture-support';
import { applyAndVerify } from './sync-verify-support';

const TABLES = ['stock', 'customers', 'orders', 'order_lines'];

/**
 * The change-capture scenario every dialect must pass against a real server (or PGlite): install,
 * triggers, origin tagging, the relay's commit order, crash and resume, lease, partition then heal, the
 * outbox, and the SQL writer.
 */
export function describeCapture(label: string, makeFixture: () => Promise<CaptureFixture>): void {
  describe(`${label}: change capture`, () => {
    let fixture: CaptureFixture;
    let db: CaptureDatabase;

    const count = async (sql: string): Promise<number> => Number((await db.query(sql))[0][0]);
    const changes = async (): Promise<
      Array<{
        op: string;
        table: string;
        key: string;
        changed: string[];
        before: Record<string, string | null> | null;
        after: Record<string, string | null> | null;
        tx: string;
        origin: string;
      }>
    > => {
      const cast = db.dialect === 'postgres' ? '::text' : '';
      const rows = await db.query(
        `SELECT operation, table_name, key_values${cast}, changed_columns${cast}, before_image${cast}, after_image${cast}, tx_id, origin FROM cutover_changes ORDER BY id`,
      );
      return rows.map((r) => ({
        op: String(r[0]),
        table: String(r[1]),
        key: JSON.stringify(Object.entries(JSON.parse(String(r[2]))).sort()),
        changed: JSON.parse(String(r[3])) as string[],
        before: r[4] === null ? null : JSON.parse(r[4]),
        after: r[5] === null ? null : JSON.parse(r[5]),
        tx: String(r[6]),
        origin: String(r[7]),
      }));
    };
    const relay = (sink: RecordingSink, extra: Partial<ConstructorParameters<typeof ChangeRelay>[2]> = {}, on = db) =>
      new ChangeRelay(on, sink, { source: 'shop', owner: 'relay-a', batchSize: 50, ...extra });
    const reset = async () => {
      await db.exec('DELETE FROM stock');
      await db.exec('DELETE FROM cutover_changes');
      await db.exec('DELETE FROM cutover_relay');
      await db.exec('DELETE FROM cutover_applied');
    };

    beforeAll(async () => {
      fixture = await makeFixture();
      db = await fixture.open();
      await createShopSchema(db);
      await db.exec('CREATE TABLE no_key_log (at_text VARCHAR(40), message VARCHAR(200))');
    }, 60_000);

    afterAll(async () => {
      await db?.close();
      await fixture?.drop();
    }, 60_000);

    describe('Function: installCapture', () => {
      it('plans without changing anything: the dry-run script names the change table and the triggers', async () => {
        // Act
        const plan = await planCapture(db, { tables: TABLES });

        // Assess
        expect(plan.script).toMatch(/CREATE TABLE IF NOT EXISTS .*cutover_changes/);
        expect(plan.script).toMatch(
          db.dialect === 'mysql'
            ? /CREATE TRIGGER .*cutover_stock_au/
            : /CREATE TRIGGER cutover_capture AFTER INSERT OR UPDATE OR DELETE ON .*"stock"/,
        );
        expect(plan.objects.every((o) => o.state === 'create')).toBe(true);
        const tables = await count(
          `SELECT ${db.dialect === 'postgres' ? 'count(*)::text' : 'count(*)'} FROM information_schema.tables WHERE table_schema = '${db.schema}' AND table_name = 'cutover_changes'`,
        );
        expect(tables).toBe(0);
      });

      it('installs, and installing twice is a no-op', async () => {
        // Act
        const first = await installCapture(db, { tables: TABLES });
        const second = await installCapture(db, { tables: TABLES });

        // Assess
        expect(first.executed).toBeGreaterThan(0);
        expect(second.executed).toBe(0);
        expect(second.plan.objects.map((o) => o.state)).toEqual(second.plan.objects.map(() => 'unchanged'));
      });

      it('refuses a table without a primary key, naming it', async () => {
        // Act
        const attempt = installCapture(db, { tables: ['no_key_log'] });

        // Assess
        await expect(attempt).rejects.toThrow(CaptureError);
        await expect(installCapture(db, { tables: ['no_key_log'] })).rejects.toThrow(/"no_key_log" has no primary key/);
      });

      it('refuses a table that does not exist, naming it', async () => {
        await expect(installCapture(db, { tables: ['nope'] })).rejects.toThrow(/table "nope" does not exist/);
      });
    });

    describe('Triggers', () => {
      beforeAll(() => installCapture(db, { tables: TABLES }));
      beforeEach(reset);

      it('record insert, update and delete with key, changed columns and before/after images as SQL text', async () => {
        // Act
        await db.exec(stockRow('A1', 5));
        await db.exec(`UPDATE stock SET on_hand = 7, updated_at = '2026-01-02 03:04:05' WHERE sku = 'A1'`);
        await db.exec(`UPDATE stock SET on_hand = 7 WHERE sku = 'A1'`); // no change: nothing to sync
        await db.exec(`DELETE FROM stock WHERE sku = 'A1'`);

        // Assess
        const got = await changes();
        expect(got.map((c) => c.op)).toEqual(['insert', 'update', 'delete']);
        expect(got[0].key).toBe(
          JSON.stringify([
            ['sku', 'A1'],
            ['warehouse_cd', 'W1'],
          ]),
        );
        expect(got[0].after).toEqual({ sku: 'A1', warehouse_cd: 'W1', on_hand: '5', reserved: '0', updated_at: '2026-01-01 10:00:00' });
        expect(got[0].before).toBeNull();
        expect(got[1].changed.sort()).toEqual(['on_hand', 'updated_at']);
        expect(got[1].before).toMatchObject({ on_hand: '5', updated_at: '2026-01-01 10:00:00' });
        expect(got[1].after).toMatchObject({ on_hand: '7', updated_at: '2026-01-02 03:04:05' });
        expect(got[2].before).toMatchObject({ on_hand: '7' });
        expect(got[2].after).toBeNull();
        expect(got.every((c) => c.origin === 'app')).toBe(true);
      });

      it('records a primary-key change as the old row deleted and the new one inserted', async () => {
        // Prepare
        await db.exec(stockRow('K1', 1));
        await db.exec('DELETE FROM cutover_changes');

        // Act
        await db.exec(`UPDATE stock SET sku = 'K2' WHERE sku = 'K1'`);

        // Assess
        const got = await changes();
        expect(got.map((c) => [c.op, c.key])).toEqual([
          [
            'delete',
            JSON.stringify([
              ['sku', 'K1'],
              ['warehouse_cd', 'W1'],
            ]),
          ],
          [
            'insert',
            JSON.stringify([
              ['sku', 'K2'],
              ['warehouse_cd', 'W1'],
            ]),
          ],
        ]);
      });

      it('gives the rows of one statement one transaction id, and separate transactions different ones', async () => {
        // Act
        await db.exec(`${stockRow('T1', 1)}, ('T2', 'W1', 2, 0, '2026-01-01 10:00:00')`);
        await db.exec(stockRow('T3', 3));

        // Assess
        const got = await changes();
        expect(got).toHaveLength(3);
        expect(got[0].tx).toBe(got[1].tx);
        expect(got[2].tx).not.toBe(got[0].tx);
      });

      if (label !== 'MariaDB') {
        it('gives all changes of a multi-statement transaction the same transaction id', async () => {
          // Act
          await db.transaction(async (tx) => {
            await tx.exec(stockRow('M1', 1));
            await tx.exec(`UPDATE stock SET on_hand = 9 WHERE sku = 'M1'`);
          });

          // Assess
          const got = await changes();
          expect(new Set(got.map((c) => c.tx)).size).toBe(1);
        });
      }

      if (label !== 'MariaDB') {
        it('refuses TRUNCATE of a captured table (it would not be captured)', async () => {
          await expect(db.exec('TRUNCATE stock')).rejects.toThrow(/TRUNCATE is not captured/);
        });
      }

      it('captures a column added after install once install is run again (the trigger is replaced)', async () => {
        // Prepare
        await db.exec(`CREATE TABLE extra_t (id INTEGER NOT NULL PRIMARY KEY, a VARCHAR(10))`);
        await installCapture(db, { tables: ['extra_t'] });
        await db.exec(`ALTER TABLE extra_t ADD COLUMN b VARCHAR(10)`);

        // Act
        const report = await installCapture(db, { tables: ['extra_t'] });
        await db.exec(`INSERT INTO extra_t (id, a, b) VALUES (1, 'x', 'y')`);

        // Assess
        expect(report.plan.objects.some((o) => o.state === 'replace')).toBe(true);
        const got = await changes();
        expect(got.at(-1)?.after).toEqual({ id: '1', a: 'x', b: 'y' });
        await uninstallCapture(db, { tables: ['extra_t'] });
      });
    });

    describe('Class: SqlChangeWriter', () => {
      beforeAll(() => installCapture(db, { tables: TABLES }));
      beforeEach(reset);

      it("tags its writes with origin 'sync', and the relay never ships them back", async () => {
        // Prepare
        const writer = new SqlChangeWriter(db);
        const sink = new RecordingSink();

        // Act
        const result = await writer.write({
          table: 'stock',
          key: { sku: 'S1', warehouse_cd: 'W1' },
          operation: 'insert',
          values: { on_hand: '4', reserved: '0', updated_at: '2026-01-01 10:00:00' },
        });
        await db.exec(`UPDATE stock SET on_hand = 5 WHERE sku = 'S1'`); // the application, maybe on the same pooled connection
        const pass = await relay(sink).pass();

        // Assess
        expect(result).toEqual({ status: 'applied' });
        expect((await changes()).map((c) => [c.op, c.origin])).toEqual([
          ['insert', 'sync'],
          ['update', 'app'],
        ]);
        expect(pass.skippedSync).toBe(1);
        expect(sink.received.map((c) => [c.operation, c.origin, c.after?.on_hand])).toEqual([['update', 'app', '5']]);
      });

      it('answers a conflict with the current row when the row moved on since the service saw it, writing nothing', async () => {
        // Prepare
        await db.exec(stockRow('C1', 10));
        const writer = new SqlChangeWriter(db);

        // Act
        const result = await writer.write({
          table: 'stock',
          key: { sku: 'C1', warehouse_cd: 'W1' },
          operation: 'update',
          values: { on_hand: '3' },
          expected: { on_hand: '8' },
        });

        // Assess
        expect(result).toEqual({ status: 'conflict', current: expect.objectContaining({ on_hand: '10' }) });
        expect(await count(`SELECT on_hand FROM stock WHERE sku = 'C1'`)).toBe(10);
      });

      it('applies with a matching version check, and a redelivery is applied without a second write', async () => {
        // Prepare
        await db.exec(stockRow('R1', 10));
        await db.exec('DELETE FROM cutover_changes');
        const writer = new SqlChangeWriter(db);
        const write = {
          table: 'stock',
          key: { sku: 'R1', warehouse_cd: 'W1' },
          operation: 'update' as const,
          values: { on_hand: '12' },
          expected: { on_hand: '10' },
          changeId: 'inventory/100',
        };
        const remove = {
          table: 'stock',
          key: { sku: 'R1', warehouse_cd: 'W1' },
          operation: 'delete' as const,
          values: {},
          expected: { on_hand: '12' },
          changeId: 'inventory/101',
        };

        // Act
        const first = await writer.write(write);
        const again = await writer.write(write);
        const gone = await writer.write(remove);
        const goneAgain = await writer.write(remove);

        // Assess
        expect([first.status, again.status, gone.status, goneAgain.status]).toEqual(['applied', 'applied', 'applied', 'applied']);
        expect([first, again, gone, goneAgain].map((r) => r.status === 'applied' && r.replayed === true)).toEqual([
          false,
          true,
          false,
          true,
        ]);
        expect((await changes()).map((c) => [c.op, c.origin])).toEqual([
          ['update', 'sync'],
          ['delete', 'sync'],
        ]);
      });

      it('compares in the column type: a value spelled differently but equal is no conflict', async () => {
        // Prepare
        await db.exec(stockRow('V1', 10));
        const writer = new SqlChangeWriter(db);

        // Act
        const result = await writer.write({
          table: 'stock',
          key: { sku: 'V1', warehouse_cd: 'W1' },
          operation: 'update',
          values: { on_hand: '11', updated_at: '2026-01-02T00:00:00' },
          expected: { on_hand: '010', updated_at: '2026-01-01T10:00:00' },
        });

        // Assess
        expect(result).toEqual({ status: 'applied' });
        expect(await count(`SELECT on_hand FROM stock WHERE sku = 'V1'`)).toBe(11);
      });

      it('answers a conflict when the row already holds the new values but not the expected ones (both sides sold 3 from 10)', async () => {
        // Prepare: the monolith sold 3 (10 -> 7); the service sold 3 too and ships 10 -> 7.
        await db.exec(stockRow('D1', 7));
        const writer = new SqlChangeWriter(db);

        // Act
        const result = await writer.write({
          table: 'stock',
          key: { sku: 'D1', warehouse_cd: 'W1' },
          operation: 'update',
          values: { on_hand: '7' },
          expected: { on_hand: '10' },
          changeId: 'inventory/200',
        });
        const settled = await writer.write({
          table: 'stock',
          key: { sku: 'D1', warehouse_cd: 'W1' },
          operation: 'update',
          values: { on_hand: '4' },
          expected: { on_hand: '7' },
          changeId: 'inventory/200',
        });

        // Assess: the conflict lets the engine apply both sales.
        expect(result).toEqual({ status: 'conflict', current: expect.objectContaining({ on_hand: '7' }) });
        expect(settled).toEqual({ status: 'applied' });
        expect(await count(`SELECT on_hand FROM stock WHERE sku = 'D1'`)).toBe(4);
      });

      it('writes nothing for a change id already applied, even when the row moved on since', async () => {
        // Prepare
        await db.exec(stockRow('K1', 10));
        const writer = new SqlChangeWriter(db);
        const sale = {
          table: 'stock',
          key: { sku: 'K1', warehouse_cd: 'W1' },
          operation: 'update' as const,
          values: { on_hand: '7' },
          expected: { on_hand: '10' },
          changeId: 'inventory/300',
        };
        await writer.write(sale);
        await db.exec(`UPDATE stock SET on_hand = 6 WHERE sku = 'K1'`);
        await db.exec('DELETE FROM cutover_changes');

        // Act
        const again = await writer.write(sale);
        const other = await writer.write({ ...sale, changeId: 'inventory/301' });

        // Assess
        expect(again).toEqual({ status: 'applied', replayed: true });
        expect(other).toEqual({ status: 'conflict', current: expect.objectContaining({ on_hand: '6' }) });
        expect(await count(`SELECT on_hand FROM stock WHERE sku = 'K1'`)).toBe(6);
        expect(await count('SELECT count(*) FROM cutover_changes')).toBe(0);
        expect(await count(`SELECT count(*) FROM cutover_applied WHERE change_key = 'inventory/300'`)).toBe(1);
      });

      it('purges applied-change keys past the stream retention, and only those', async () => {
        // Prepare
        await db.exec(stockRow('P1', 10));
        await new SqlChangeWriter(db).write({
          table: 'stock',
          key: { sku: 'P1', warehouse_cd: 'W1' },
          operation: 'update',
          values: { on_hand: '9' },
          expected: { on_hand: '10' },
          changeId: 'inventory/400',
        });

        // Act
        const kept = await purgeApplied(db);
        await new Promise((r) => setTimeout(r, 20));
        const purged = await purgeApplied(db, { olderThanMs: 1 });

        // Assess
        expect([kept, purged]).toEqual([0, 1]);
        expect(await count('SELECT count(*) FROM cutover_applied')).toBe(0);
      });

      const orderWithLines = async (orderNo: number) => {
        await db.exec(
          `INSERT INTO orders (order_no, cust_no, order_dt, status, total_cents, currency, channel, coupon_code, ship_street, ship_city, ship_zip, ship_country, updated_at) VALUES (${orderNo}, 'C1', '20260101 100000', 'P', 300, 'EUR', 'WEB', '', 'Main St', 'Lyon', '69001', 'FR', '2026-01-01 10:00:00')`,
        );
        await db.exec(
          `INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price_cents) VALUES (${orderNo}, 1, 'A', 1, 100), (${orderNo}, 2, 'B', 1, 200)`,
        );
        await db.exec('DELETE FROM cutover_changes');
      };
      const lines = async (orderNo: number) =>
        (await db.query(`SELECT line_no, sku, qty FROM order_lines WHERE order_no = ${orderNo} ORDER BY line_no`)).map((r) =>
          r.map(String).join(':'),
        );

      it('writes a root row and its child rows in one tagged transaction, recorded once: a redelivery writes nothing', async () => {
        // Prepare
        await orderWithLines(900);
        const writer = new SqlChangeWriter(db);
        const sink = new RecordingSink();
        const changeId = 'orders/700';
        const writes: SqlRowWrite[] = [
          {
            table: 'orders',
            key: { order_no: '900' },
            operation: 'update' as const,
            values: { status: 'S' },
            expected: { status: 'P' },
            changeId,
          },
          {
            table: 'order_lines',
            key: { order_no: '900', line_no: '1' },
            operation: 'update' as const,
            values: { qty: '4' },
            expected: { qty: '1' },
            changeId,
          },
          {
            table: 'order_lines',
            key: { order_no: '900', line_no: '2' },
            operation: 'delete' as const,
            values: {},
            expected: { qty: '1' },
            changeId,
          },
          {
            table: 'order_lines',
            key: { order_no: '900', line_no: '3' },
            operation: 'insert' as const,
            values: { sku: 'C', qty: '2', unit_price_cents: '50' },
            changeId,
          },
        ];

        // Act
        const first = await writer.writeAll(writes);
        const again = await writer.writeAll(writes);
        const pass = await relay(sink).pass();

        // Assess
        expect(first).toEqual(writes.map(() => ({ status: 'applied' })));
        expect(again).toEqual(writes.map(() => ({ status: 'applied', replayed: true })));
        expect(await lines(900)).toEqual(['1:A:4', '3:C:2']);
        const captured = await changes();
        expect(captured.map((c) => [c.table, c.op, c.origin])).toEqual([
          ['orders', 'update', 'sync'],
          ['order_lines', 'update', 'sync'],
          ['order_lines', 'delete', 'sync'],
          ['order_lines', 'insert', 'sync'],
        ]);
        expect(new Set(captured.map((c) => c.tx)).size).toBe(1);
        expect(pass.skippedSync).toBe(4);
        expect(sink.received).toEqual([]);
        expect(await count('SELECT count(*) FROM cutover_applied')).toBe(1);
      });

      it('rolls the whole transaction back when one child row is a conflict, answering every row', async () => {
        // Prepare: the monolith changed line 2 since the service saw it.
        await orderWithLines(901);
        await db.exec('UPDATE order_lines SET qty = 7 WHERE order_no = 901 AND line_no = 2');
        const writer = new SqlChangeWriter(db);
        const changeId = 'orders/701';

        // Act
        const result = await writer.writeAll([
          { table: 'orders', key: { order_no: '901' }, operation: 'update', values: { status: 'S' }, expected: { status: 'P' }, changeId },
          {
            table: 'order_lines',
            key: { order_no: '901', line_no: '1' },
            operation: 'update',
            values: { qty: '4' },
            expected: { qty: '1' },
            changeId,
          },
          {
            table: 'order_lines',
            key: { order_no: '901', line_no: '2' },
            operation: 'update',
            values: { qty: '5' },
            expected: { qty: '1' },
            changeId,
          },
        ]);

        // Assess
        expect(result.map((r) => r.status)).toEqual(['applied', 'applied', 'conflict']);
        expect(result[2]).toEqual({ status: 'conflict', current: expect.objectContaining({ qty: '7' }) });
        expect(await lines(901)).toEqual(['1:A:1', '2:B:7']);
        expect((await db.query('SELECT status FROM orders WHERE order_no = 901'))[0][0]).toBe('P');
        expect(await count('SELECT count(*) FROM cutover_applied')).toBe(0);
      });

      it('answers a conflict for an update of a row that is gone', async () => {
        const result = await new SqlChangeWriter(db).write({
          table: 'stock',
          key: { sku: 'none', warehouse_cd: 'W1' },
          operation: 'update',
          values: { on_hand: '1' },
        });
        expect(result).toEqual({ status: 'conflict', current: null });
      });
    });

    describe('Class: ChangeRelay', () => {
      beforeAll(() => installCapture(db, { tables: TABLES }));
      beforeEach(reset);

      it('ships changes in commit order with increasing change ids and resumes after its watermark', async () => {
        // Prepare
        for (let i = 0; i < 120; i++) await db.exec(stockRow(`P${String(i).padStart(3, '0')}`, i));
        const sink = new RecordingSink();

        // Act
        const report = await relay(sink).run({ stopWhenIdle: true, maxDurationMs: 30_000 });
        await db.exec(`UPDATE stock SET on_hand = 999 WHERE sku = 'P007'`);
        const next = await relay(sink).run({ stopWhenIdle: true, maxDurationMs: 30_000 });

        // Assess
        expect(report.shipped).toBe(120);
        expect(next.shipped).toBe(1);
        const ids = sink.ids().map(BigInt);
        expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
        expect(sink.received.at(-1)).toMatchObject({
          source: 'shop',
          table: 'stock',
          operation: 'update',
          key: { sku: 'P007', warehouse_cd: 'W1' },
          changedColumns: ['on_hand'],
        });
        expect(sink.received[0].committedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      });

      it('keeps going when the stamped backlog runs out before the unstamped one (stamp batches larger than read batches)', async () => {
        // Prepare
        for (let i = 0; i < 30; i++) await db.exec(stockRow(`B${String(i).padStart(3, '0')}`, i));
        const sink = new RecordingSink();

        // Act
        const report = await relay(sink, { batchSize: 4, stampBatch: 8 }).run({ stopWhenIdle: true, maxDurationMs: 30_000 });

        // Assess
        expect(report.shipped).toBe(30);
        expect(new Set(sink.received.map((c) => c.key.sku)).size).toBe(30);
      });

      it('resumes exactly after a crash: the batch whose shipping failed is shipped again, nothing is lost', async () => {
        // Prepare
        for (let i = 0; i < 100; i++) await db.exec(stockRow(`X${String(i).padStart(3, '0')}`, i));
        const sink = new RecordingSink();
        const first = relay(sink, { owner: 'crashing' });
        await first.pass();
        sink.failing = true;
        await expect(first.pass()).rejects.toThrow(/shipping changes .* failed/);
        await db.exec('UPDATE cutover_relay SET lease_until = NULL, owner = NULL'); // the process died; its lease is gone

        // Act
        sink.failing = false;
        await relay(sink, { owner: 'successor' }).run({ stopWhenIdle: true, maxDurationMs: 30_000 });

        // Assess
        const skus = sink.received.map((c) => c.key.sku);
        expect(new Set(skus).size).toBe(100);
        expect(skus).toHaveLength(100);
        const status = await relayStatus(db, { name: 'shop' });
        expect(status.backlog).toBe(0);
        expect(status.watermark).toBe(sink.received.at(-1)?.changeId);
      });

      it('hands the lease on when its bounded run ends, so the next run starts at once', async () => {
        // Prepare
        await db.exec(stockRow('H1', 1));
        await relay(new RecordingSink(), { owner: 'first-invocation' }).run({ stopWhenIdle: true, maxDurationMs: 10_000 });
        await db.exec(stockRow('H2', 2));
        const next = new RecordingSink();

        // Act
        await relay(next, { owner: 'second-invocation' }).pass();

        // Assess
        expect(next.received.map((c) => c.key.sku)).toEqual(['H2']);
      });

      it('lets only one relay hold the lease; a standby takes over from the watermark once it is released', async () => {
        // Prepare
        await db.exec(stockRow('L1', 1));
        const sinkA = new RecordingSink();
        const sinkB = new RecordingSink();
        const a = relay(sinkA, { owner: 'relay-a' });
        const b = relay(sinkB, { owner: 'relay-b' });
        await a.pass();
        await db.exec(stockRow('L2', 2));

        // Act
        const blocked = b.pass();
        await expect(blocked).rejects.toThrow(/another relay holds the lease/);
        await a.release();
        await b.pass();

        // Assess
        expect(sinkA.received.map((c) => c.key.sku)).toEqual(['L1']);
        expect(sinkB.received.map((c) => c.key.sku)).toEqual(['L2']);
      });

      if (label !== 'PGlite') {
        it('never skips a change whose transaction commits after a later one (two concurrent transactions, out of order)', async () => {
          // Prepare: T1 writes first (the smaller id) but commits last.
          const sink = new RecordingSink();
          const r = relay(sink);
          const t1Wrote = deferred();
          const t1Commit = deferred();
          const t1 = db.transaction(async (tx) => {
            await tx.exec(stockRow('EARLY', 1));
            t1Wrote.resolve();
            await t1Commit.promise;
          });
          await t1Wrote.promise;
          await db.exec(stockRow('LATE', 2)); // T2: a larger id, committed first

          // Act
          const before = await r.pass();
          t1Commit.resolve();
          await t1;
          const after = await r.pass();

          // Assess
          expect(before.shipped).toBe(1);
          expect(after.shipped).toBe(1);
          expect(sink.received.map((c) => c.key.sku)).toEqual(['LATE', 'EARLY']);
          expect(BigInt(sink.received[1].changeId)).toBeGreaterThan(BigInt(sink.received[0].changeId));
        });
      }

      it('converges after a partition: the target unreachable while the monolith keeps writing, then healed', async () => {
        // Prepare
        const sink = new RecordingSink();
        const r = relay(sink, { batchSize: 7 });
        const writes = (async () => {
          for (let i = 0; i < 40; i++) {
            await db.exec(i % 4 === 0 ? stockRow(`N${i}`, i) : `UPDATE stock SET on_hand = on_hand + 1 WHERE sku = 'N${i - (i % 4)}'`);
          }
        })();
        sink.failing = true;
        setTimeout(() => (sink.failing = false), 400);

        // Act
        const running = r.run({ maxDurationMs: 4_000, pollIntervalMs: 20, retryBaseMs: 50 });
        await writes;
        const report = await running;

        // Assess
        expect(report.sinkFailures).toBeGreaterThan(0);
        const unique = new Map(sink.received.map((c) => [c.changeId, c]));
        expect(unique.size).toBe(40);
        const last = new Map<string, string>();
        for (const c of unique.values()) last.set(c.key.sku, c.after?.on_hand ?? '');
        const rows = await db.query(`SELECT sku, ${db.dialect === 'postgres' ? 'on_hand::text' : 'on_hand'} FROM stock`);
        expect(Object.fromEntries(last)).toEqual(Object.fromEntries(rows.map((row) => [row[0], row[1]])));
        expect((await relayStatus(db, { name: 'shop' })).backlog).toBe(0);

        // Past the relay: what it shipped, applied to the service table, verifies clean against the monolith.
        if (fixture.kind === 'pglite') return; // an in-memory PGlite has no URL a second reader could open
        const ordered = [...unique.values()].sort((a, b) => (BigInt(a.changeId) < BigInt(b.changeId) ? -1 : 1));
        const { outcomes, report: verified } = await applyAndVerify(fixture, ordered);
        expect(outcomes.filter((o) => o !== 'applied')).toEqual([]);
        expect(verified.counts.sourceRows).toBe(10);
        expect({ clean: verified.clean, matched: verified.matched, ...verified.totals }).toEqual({
          clean: true,
          matched: 10,
          missing: 0,
          extra: 0,
          different: 0,
          duplicates: 0,
          inFlight: 0,
        });
      }, 60_000);

      it('relays an application outbox: each outbox row becomes the change it describes; a bad one goes to rejects', async () => {
        // Prepare
        await db.exec(
          `CREATE TABLE app_outbox (id INTEGER NOT NULL PRIMARY KEY, aggregate_type VARCHAR(20) NOT NULL, aggregate_id VARCHAR(40) NOT NULL, event_type VARCHAR(20) NOT NULL, payload TEXT)`,
        );
        await installCapture(db, { tables: ['app_outbox'] });
        const sink = new RecordingSink();
        const rejected: Array<[RowChange, string]> = [];
        const r = relay(sink, {
          outbox: [
            {
              table: 'app_outbox',
              rowTable: { column: 'aggregate_type', map: { Customer: 'customers' } },
              keyColumn: 'aggregate_id',
              keyName: 'cust_no',
              operationColumn: 'event_type',
              operations: { CustomerCreated: 'insert', CustomerUpdated: 'update', CustomerDeleted: 'delete' },
              payloadColumn: 'payload',
            },
          ],
          rejects: { reject: async (c, reason) => void rejected.push([c, reason]) },
        });

        // Act
        await db.exec(
          `INSERT INTO app_outbox VALUES (1, 'Customer', 'C0000001', 'CustomerUpdated', '{"cust_no":"C0000001","email":"a@example.com","tier":"GOLD"}')`,
        );
        await db.exec(`INSERT INTO app_outbox VALUES (2, 'Customer', 'C0000002', 'CustomerRenamed', '{}')`);
        await db.exec(`DELETE FROM app_outbox WHERE id = 1`); // housekeeping of sent rows is not a change
        await r.run({ stopWhenIdle: true, maxDurationMs: 10_000 });

        // Assess
        expect(sink.received).toHaveLength(1);
        expect(sink.received[0]).toMatchObject({
          table: 'customers',
          key: { cust_no: 'C0000001' },
          operation: 'update',
          after: { email: 'a@example.com', tier: 'GOLD' },
        });
        expect(rejected).toHaveLength(1);
        expect(rejected[0][1]).toMatch(/event_type = "CustomerRenamed" is not an operation/);
        await uninstallCapture(db, { tables: ['app_outbox'] });
      });

      it('purges shipped rows during a run when told how long to keep them', async () => {
        // Prepare
        for (let i = 0; i < 5; i++) await db.exec(stockRow(`RT${i}`, i));
        const sink = new RecordingSink();
        await relay(sink).run({ stopWhenIdle: true, maxDurationMs: 10_000 });

        // Act
        await relay(sink, { retainMs: 0 }).run({ stopWhenIdle: true, maxDurationMs: 10_000 });

        // Assess
        expect(sink.received).toHaveLength(5);
        expect(await count(`SELECT ${db.dialect === 'postgres' ? 'count(*)::text' : 'count(*)'} FROM cutover_changes`)).toBe(0);
      });

      it('purges applied-change keys older than the horizon during a run, keeps fresh ones, and waits the purge interval', async () => {
        // Prepare
        await db.exec(stockRow('AP1', 10));
        const writer = new SqlChangeWriter(db);
        for (const [id, onHand] of [
          ['inventory/old', '9'],
          ['inventory/fresh', '8'],
        ])
          await writer.write({
            table: 'stock',
            key: { sku: 'AP1', warehouse_cd: 'W1' },
            operation: 'update',
            values: { on_hand: onHand },
            expected: { on_hand: String(Number(onHand) + 1) },
            changeId: id,
          });
        const threeDaysAgo = db.dialect === 'postgres' ? `now() - interval '3 days'` : 'CURRENT_TIMESTAMP(3) - INTERVAL 3 DAY';
        await db.exec(`UPDATE cutover_applied SET applied_at = ${threeDaysAgo} WHERE change_key = 'inventory/old'`);
        const keys = async () => (await db.query('SELECT change_key FROM cutover_applied ORDER BY change_key')).map((r) => String(r[0]));
        const twoDays = 48 * 3_600_000;

        // Act
        const first = await relay(new RecordingSink(), { appliedRetainMs: twoDays, purgeIntervalMs: 600_000 }).run({
          stopWhenIdle: true,
          maxDurationMs: 10_000,
        });
        const afterFirst = await keys();
        await db.exec(`UPDATE cutover_applied SET applied_at = ${threeDaysAgo}`);
        const second = await relay(new RecordingSink(), { appliedRetainMs: twoDays, purgeIntervalMs: 600_000 }).run({
          stopWhenIdle: true,
          maxDurationMs: 10_000,
          lastPurgeAt: first.lastPurgeAt,
        });

        // Assess
        expect(first.purged).toEqual({ changes: 0, applied: 1 });
        expect(afterFirst).toEqual(['inventory/fresh']);
        // Within the interval of the first purge nothing is purged, even though the key is now old.
        expect(second.purged).toEqual({ changes: 0, applied: 0 });
        expect(second.lastPurgeAt).toBe(first.lastPurgeAt);
        expect(await keys()).toEqual(['inventory/fresh']);
      });

      it('reports a failed purge and goes on shipping', async () => {
        // Prepare
        await db.exec(stockRow('PF1', 1));
        const sink = new RecordingSink();
        const errors: string[] = [];
        // A monolith installed before cutover_applied existed has no such table.
        await db.exec('ALTER TABLE cutover_applied RENAME TO cutover_applied_away');

        // Act
        let report;
        try {
          report = await relay(sink, { appliedRetainMs: 0 }).run({
            stopWhenIdle: true,
            maxDurationMs: 5_000,
            onError: (e) => errors.push(e.message),
          });
        } finally {
          await db.exec('ALTER TABLE cutover_applied_away RENAME TO cutover_applied');
        }

        // Assess
        expect(errors.some((m) => /purging applied-change keys failed/.test(m))).toBe(true);
        expect(report.purged.applied).toBe(0);
        expect(sink.received.map((c) => c.key.sku)).toContain('PF1');
      });

      it('purges only what every relay shipped', async () => {
        // Prepare
        for (let i = 0; i < 10; i++) await db.exec(stockRow(`G${i}`, i));
        const sink = new RecordingSink();
        await relay(sink, { batchSize: 4 }).pass();

        // Act
        const purged = await purgeShipped(db, { olderThanMs: 0 });

        // Assess
        expect(purged).toBe(4);
        expect((await relayStatus(db, { name: 'shop' })).backlog).toBe(6);
      });
    });

    describe('Table prefix', () => {
      it('captures prefixed tables under their spec names, in prefixed capture tables, and writes back through the prefix', async () => {
        // Prepare
        for (const st of schemaStatements(db.dialect, 'px_')) await db.exec(st);
        await installCapture(db, { tables: ['stock'], prefix: 'px_' });
        const sink = new RecordingSink();

        // Act
        await db.exec(stockRow('PX1', 1).replace('INSERT INTO stock', 'INSERT INTO px_stock'));
        await new SqlChangeWriter(db, { prefix: 'px_' }).write({
          table: 'stock',
          key: { sku: 'PX1', warehouse_cd: 'W1' },
          operation: 'update',
          values: { on_hand: '2' },
        });
        const pass = await new ChangeRelay(db, sink, { source: 'shop', prefix: 'px_' }).pass();

        // Assess
        expect(sink.received.map((c) => [c.table, c.operation, c.key.sku])).toEqual([['stock', 'insert', 'PX1']]);
        expect(pass.skippedSync).toBe(1);
        expect(await count(`SELECT on_hand FROM px_stock WHERE sku = 'PX1'`)).toBe(2);
        await uninstallCapture(db, { prefix: 'px_', dropTables: true, force: true });
        const named = (t: string) =>
          count(
            `SELECT ${db.dialect === 'postgres' ? 'count(*)::text' : 'count(*)'} FROM information_schema.tables WHERE table_schema = '${db.schema}' AND table_name = '${t}'`,
          );
        expect([await named('px_cutover_changes'), await named('cutover_changes')]).toEqual([0, 1]);
      });
    });

    describe('Function: uninstallCapture', () => {
      it('removes the triggers (writes are no longer captured) and refuses to drop unshipped changes', async () => {
        // Prepare
        await reset();
        await db.exec(stockRow('U1', 1));

        // Act
        await uninstallCapture(db);
        await db.exec(stockRow('U2', 2));
        const refused = uninstallCapture(db, { dropTables: true });

        // Assess
        await expect(refused).rejects.toThrow(/1 captured change\(s\) .* are not shipped yet/);
        expect(await count(`SELECT ${db.dialect === 'postgres' ? 'count(*)::text' : 'count(*)'} FROM cutover_changes`)).toBe(1);
        await uninstallCapture(db, { dropTables: true, force: true });
        const left = await count(
          `SELECT ${db.dialect === 'postgres' ? 'count(*)::text' : 'count(*)'} FROM information_schema.tables WHERE table_schema = '${db.schema}' AND table_name LIKE 'cutover%'`,
        );
        expect(left).toBe(0);
        await installCapture(db, { tables: TABLES });
      });
    });
  });
}
