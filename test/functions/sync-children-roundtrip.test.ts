import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { RowChange } from '../../core/sync/change';
import type { AttributeValue, Item } from '../../core/migration/attribute-value';
import { openCaptureDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay } from '../../adapters/sql/capture/relay';
import { ItemApplier } from '../../adapters/dynamodb/sync-item-applier';
import { StreamApplier, type StreamChange } from '../../adapters/dynamodb/sync-stream-applier';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { catalog, roundTripWorld, type SyncTables } from './sync-dynalite';
import { createShopSchema, PG_URL } from './sync-capture-support';

/*
 * Embedded child rows (the reference spec's order lines, `lines` in the order item) both ways through the
 * real pieces: capture triggers and relay on PostgreSQL, the item applier on dynalite, the stream applier
 * through the real SQL writer. dynalite has no Streams: each service write is turned into the record
 * DynamoDB would emit. Orders sync with lastWriterWins on `updatedAt`; a line has no clock of its own, so
 * a line changed on both sides goes to the monolith (core/sync/children.ts).
 */
let dynamo: LocalDynamo;
let db: CaptureDatabase;
const schema = `a11c_h11a_${process.pid}_${Date.now().toString(36)}`;

beforeAll(async () => {
  dynamo = await startDynalite();
  const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
  await admin.exec(`CREATE SCHEMA "${schema}"`);
  await admin.close();
  db = await openCaptureDatabase(`${PG_URL}?schema=${schema}`, { connections: 4 });
  await createShopSchema(db);
  await installCapture(db, { tables: ['orders', 'order_lines'] });
});
afterAll(async () => {
  await db?.close();
  const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
  await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.close();
  await dynamo.stop();
});

const world = () => roundTripWorld(dynamo, db, (c, status) => `${c.table}:${status}`);

async function insertOrder(orderNo: number, lines: [number, string, number, number][]) {
  await db.transaction(async (tx) => {
    await tx.exec(
      `INSERT INTO orders (order_no, cust_no, order_dt, status, total_cents, currency, channel, coupon_code, ship_street, ship_city, ship_zip, ship_country, updated_at)
       VALUES ($1, 'C1', '20260101 100000', 'P', 1000, 'EUR', 'WEB', '', '1 Main St', 'Lyon', '69001', 'FR', '2026-01-01 10:00:00')`,
      [String(orderNo)],
    );
    for (const [lineNo, sku, qty, cents] of lines)
      await tx.exec(`INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price_cents) VALUES ($1, $2, $3, $4, $5)`, [
        String(orderNo),
        String(lineNo),
        sku,
        String(qty),
        String(cents),
      ]);
  });
}

const keyOf = (orderNo: number) => ({ pk: { S: `ORDER#${orderNo}` }, sk: { S: 'ORDER' } });

async function item(t: SyncTables, orderNo: number): Promise<Item | undefined> {
  const res = await dynamo.client.send(new GetItemCommand({ TableName: t.tableNames.orders, Key: keyOf(orderNo), ConsistentRead: true }));
  return res.Item as Item | undefined;
}

/** The item's lines as [lineNo, sku, quantity, unitPrice]. */
async function linesInItem(t: SyncTables, orderNo: number): Promise<[string, string, string, string][]> {
  const list = ((await item(t, orderNo))?.lines as { L: { M: Record<string, AttributeValue> }[] } | undefined)?.L ?? [];
  const text = (v: AttributeValue | undefined) => (v ? ('S' in v ? v.S : 'N' in v ? v.N : '?') : '-');
  return list.map((e) => [text(e.M.lineNo), text(e.M.sku), text(e.M.quantity), text(e.M.unitPrice)]);
}

async function linesInSql(orderNo: number): Promise<string[][]> {
  const rows = await db.query(
    `SELECT line_no::text, sku, qty::text, unit_price_cents::text FROM order_lines WHERE order_no = $1 ORDER BY line_no`,
    [String(orderNo)],
  );
  return rows.map((r) => r.map((v) => v ?? '-'));
}

let seq = 5000;
/** A service write of the item (edit its lines), and the stream record DynamoDB would emit for it. */
async function serviceEdit(t: SyncTables, stream: StreamApplier, orderNo: number, edit: (lines: Item[]) => Item[], remove = false) {
  const old = (await item(t, orderNo)) as Item;
  const lines = ((old.lines as { L: { M: Item }[] }).L ?? []).map((e) => ({ ...e.M }));
  const now: Item = { ...old, lines: { L: edit(lines).map((m) => ({ M: m })) } };
  if (!remove) await dynamo.client.send(new PutItemCommand({ TableName: t.tableNames.orders, Item: now as never }));
  const record: StreamChange = {
    eventName: remove ? 'REMOVE' : 'MODIFY',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:0:table/${t.tableNames.orders}/stream/x`,
    dynamodb: { Keys: keyOf(orderNo), OldImage: old, ...(remove ? {} : { NewImage: now }), SequenceNumber: String(++seq) },
  };
  return { record, apply: () => stream.apply(record) };
}

const line = (lineNo: number, sku: string, qty: number, price: string): Item => ({
  lineNo: { N: String(lineNo) },
  sku: { S: sku },
  quantity: { N: String(qty) },
  unitPrice: { N: price },
});

describe('Sync of embedded child rows: order lines, PostgreSQL <-> DynamoDB', () => {
  it('an order with lines inserted in SQL becomes one item with its lines in line order', async () => {
    // Prepare
    const { t, sink, relay } = await world();
    await insertOrder(101, [
      [2, 'SKU-B', 1, 250],
      [1, 'SKU-A', 3, 1990],
    ]);

    // Act
    await relay.pass();

    // Assess
    expect(sink.outcomes).toEqual(['orders:applied', 'order_lines:applied', 'order_lines:applied']);
    expect(await linesInItem(t, 101)).toEqual([
      ['1', 'SKU-A', '3', '19.90'],
      ['2', 'SKU-B', '1', '2.50'],
    ]);
  });

  it('a line edited, added and deleted in SQL reaches the list; a redelivery changes nothing', async () => {
    // Prepare
    const { t, sink, relay } = await world();
    await insertOrder(102, [
      [1, 'SKU-A', 1, 100],
      [2, 'SKU-B', 1, 200],
    ]);
    await relay.pass();
    await db.exec(`UPDATE order_lines SET qty = 5 WHERE order_no = 102 AND line_no = 1`);
    await db.exec(`DELETE FROM order_lines WHERE order_no = 102 AND line_no = 2`);
    await db.exec(`INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price_cents) VALUES (102, 3, 'SKU-C', 2, 300)`);

    // Act
    const seen = sink.outcomes.length;
    const capture: RowChange[] = [];
    const keep = new ChangeRelay(db, { send: async (c) => void capture.push(...c) }, { source: 'shop', name: `peek-${t.suffix}` });
    await keep.acquire();
    await keep.pass();
    await relay.pass();
    const items = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client: dynamo.client });
    const again = await items.apply(capture.filter((c) => c.table === 'order_lines').at(-1) as RowChange);

    // Assess
    expect(sink.outcomes.slice(seen)).toEqual(['order_lines:applied', 'order_lines:applied', 'order_lines:applied']);
    expect(await linesInItem(t, 102)).toEqual([
      ['1', 'SKU-A', '5', '1.00'],
      ['3', 'SKU-C', '2', '3.00'],
    ]);
    expect(again.status).toBe('duplicate');
  });

  it('a line edited in the item reaches the SQL row, tagged so the relay does not ship it back', async () => {
    // Prepare
    const { t, relay, stream } = await world();
    await insertOrder(103, [
      [1, 'SKU-A', 1, 100],
      [2, 'SKU-B', 1, 200],
    ]);
    await relay.pass();
    const edit = await serviceEdit(t, stream, 103, (lines) => [
      { ...lines[0], quantity: { N: '4' } },
      lines[1],
      line(3, 'SKU-N', 7, '0.50'),
    ]);

    // Act
    const applied = await edit.apply();
    const echo = await relay.pass();
    const redelivered = await stream.apply(edit.record);

    // Assess
    expect(applied.status).toBe('applied');
    expect(await linesInSql(103)).toEqual([
      ['1', 'SKU-A', '4', '100'],
      ['2', 'SKU-B', '1', '200'],
      ['3', 'SKU-N', '7', '50'],
    ]);
    expect(echo.shipped).toBe(0);
    expect(echo.skippedSync).toBe(2);
    expect(redelivered.status).toBe('duplicate');
  });

  it('different lines changed on each side are both kept; the same line changed on both is a conflict in the ledger', async () => {
    // Prepare
    const { t, relay, stream } = await world();
    await insertOrder(104, [
      [1, 'SKU-A', 1, 100],
      [2, 'SKU-B', 1, 200],
    ]);
    await relay.pass();
    await db.exec(`UPDATE order_lines SET qty = 9 WHERE order_no = 104 AND line_no = 1`);
    const edit = await serviceEdit(t, stream, 104, (lines) => [
      { ...lines[0], quantity: { N: '6' } },
      { ...lines[1], sku: { S: 'SKU-Z' } },
    ]);

    // Act
    const toMonolith = await edit.apply();
    await relay.pass();

    // Assess: line 2 is the service's, line 1 was changed on both: the monolith's 9 on both sides.
    expect(toMonolith.status).toBe('applied');
    expect(await linesInSql(104)).toEqual([
      ['1', 'SKU-A', '9', '100'],
      ['2', 'SKU-Z', '1', '200'],
    ]);
    expect(await linesInItem(t, 104)).toEqual([
      ['1', 'SKU-A', '9', '1.00'],
      ['2', 'SKU-Z', '1', '2.00'],
    ]);
    const resolved = [];
    for await (const c of t.ledger.list('resolved')) resolved.push(c);
    // Each applier may meet the other's write: one conflict or two, all on line 1, all won by the monolith.
    expect(resolved.length).toBeGreaterThanOrEqual(1);
    expect(new Set(resolved.map((c) => c.key))).toEqual(new Set(['[{"S":"ORDER#104"},{"S":"ORDER"}]/lines[1]']));
    expect(resolved.every((c) => c.winner === 'monolith' && c.policy === 'lastWriterWins')).toBe(true);
  });

  it('an order deleted in the service deletes its lines and the row in one transaction', async () => {
    // Prepare
    const { t, relay, stream } = await world();
    await insertOrder(105, [[1, 'SKU-A', 1, 100]]);
    await relay.pass();
    const gone = await serviceEdit(t, stream, 105, (lines) => lines, true);

    // Act
    const applied = await gone.apply();

    // Assess
    expect(applied.status).toBe('applied');
    expect(await linesInSql(105)).toEqual([]);
    expect(await db.query(`SELECT 1 FROM orders WHERE order_no = 105`)).toEqual([]);
  });
});
