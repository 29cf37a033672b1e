import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Item } from '../../core/migration/attribute-value';
import { openCaptureDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture } from '../../adapters/sql/capture/install';
import { StreamApplier, type StreamChange } from '../../adapters/dynamodb/sync-stream-applier';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { roundTripWorld, type SyncTables } from './sync-dynalite';
import { createShopSchema, PG_URL, stockRow } from './sync-capture-support';

/*
 * Both directions through the real pieces, in process: the capture triggers and relay on a real PostgreSQL
 * (a schema of its own), the item applier on dynalite, the stream applier through the real SQL writer.
 * dynalite has no Streams: each service write is turned into the stream record DynamoDB would emit (old and
 * new image, a growing sequence number). The deployed wiring (SQS FIFO, the stream mapping) is covered by
 * the infra tier; see README "Two-way sync" for what MiniStack shows.
 */
let dynamo: LocalDynamo;
let db: CaptureDatabase;
const schema = `a11e_sync_${process.pid}_${Date.now().toString(36)}`;

beforeAll(async () => {
  dynamo = await startDynalite();
  const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
  await admin.exec(`CREATE SCHEMA "${schema}"`);
  await admin.close();
  db = await openCaptureDatabase(`${PG_URL}?schema=${schema}`, { connections: 4 });
  await createShopSchema(db);
  await installCapture(db, { tables: ['stock'] });
});
afterAll(async () => {
  await db?.close();
  const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
  await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.close();
  await dynamo.stop();
});

let seq = 1000;
async function serviceWrite(t: SyncTables, stream: StreamApplier, sku: string, onHand: number) {
  const Key = { sku: { S: sku }, warehouse: { S: 'W1' } };
  const old = (await dynamo.client.send(new GetItemCommand({ TableName: t.tableNames.inventory, Key, ConsistentRead: true }))).Item as Item;
  await dynamo.client.send(
    new UpdateItemCommand({
      TableName: t.tableNames.inventory,
      Key,
      UpdateExpression: 'SET onHand = :n',
      ExpressionAttributeValues: { ':n': { N: String(onHand) } },
    }),
  );
  const now = (await dynamo.client.send(new GetItemCommand({ TableName: t.tableNames.inventory, Key, ConsistentRead: true }))).Item as Item;
  const record: StreamChange = {
    eventName: 'MODIFY',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:0:table/${t.tableNames.inventory}/stream/x`,
    dynamodb: { Keys: Key, OldImage: old, NewImage: now, SequenceNumber: String(++seq) },
  };
  return { record, apply: () => stream.apply(record) };
}

async function onHandInSql(sku: string): Promise<string> {
  const rows = await db.query(`SELECT on_hand::text FROM stock WHERE sku = $1 AND warehouse_cd = 'W1'`, [sku]);
  return rows[0][0] as string;
}

async function onHandInItem(t: SyncTables, sku: string): Promise<string | undefined> {
  const res = await dynamo.client.send(
    new GetItemCommand({ TableName: t.tableNames.inventory, Key: { sku: { S: sku }, warehouse: { S: 'W1' } }, ConsistentRead: true }),
  );
  return (res.Item?.onHand as { N: string } | undefined)?.N;
}

const world = () => roundTripWorld(dynamo, db);

describe('Sync round trip: PostgreSQL <-> DynamoDB', () => {
  it('a change in SQL becomes the item; an item change becomes the row and is not shipped back', async () => {
    // Prepare
    const { t, sink, relay, stream } = await world();
    await db.exec(stockRow('RT-1', 10));

    // Act
    await relay.pass();
    const svc = await serviceWrite(t, stream, 'RT-1', 8);
    const applied = await svc.apply();
    const echo = await relay.pass();

    // Assess
    expect(sink.outcomes[0]).toBe('applied');
    expect(applied.status).toBe('applied');
    expect(await onHandInSql('RT-1')).toBe('8');
    expect(echo.skippedSync).toBeGreaterThanOrEqual(1);
    expect(await onHandInItem(t, 'RT-1')).toBe('8');
  });

  it('a concurrent edit on both sides: both converge on the sum (delta), the conflict is in the ledger', async () => {
    // Prepare
    const { t, relay, stream } = await world();
    await db.exec(stockRow('RT-2', 10));
    await relay.pass();
    // Both sides sell from 10: the monolith 3, the service 2, before either sees the other.
    await db.exec(`UPDATE stock SET on_hand = on_hand - 3 WHERE sku = 'RT-2'`);
    const svc = await serviceWrite(t, stream, 'RT-2', 8);

    // Act
    const toMonolith = await svc.apply();
    await relay.pass();

    // Assess
    expect(toMonolith.status).toBe('applied');
    expect(await onHandInSql('RT-2')).toBe('5');
    expect(await onHandInItem(t, 'RT-2')).toBe('5');
    const open = [];
    for await (const c of t.ledger.list('resolved')) open.push(c);
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(open.every((c) => c.entity === 'stock' && c.key === '[{"S":"RT-2"},{"S":"W1"}]')).toBe(true);
  });

  it('both sides sell 3 from 10 at once: both converge on 4, and a redelivered stream record is applied once', async () => {
    // Prepare: the same sale on both sides leaves the same value (7) on each.
    const { t, relay, stream } = await world();
    await db.exec(stockRow('RT-4', 10));
    await relay.pass();
    await db.exec(`UPDATE stock SET on_hand = on_hand - 3 WHERE sku = 'RT-4'`);
    const svc = await serviceWrite(t, stream, 'RT-4', 7);

    // Act
    const toMonolith = await svc.apply();
    const redelivered = await stream.apply(svc.record);
    await relay.pass();

    // Assess
    expect(toMonolith.status).toBe('applied');
    expect(redelivered.status).toBe('duplicate');
    expect(await onHandInSql('RT-4')).toBe('4');
    expect(await onHandInItem(t, 'RT-4')).toBe('4');
  });

  it('rollback: what the candidate wrote while authoritative is already in the monolith', async () => {
    // Prepare: the candidate service is authoritative and takes three reservations.
    const { t, relay, stream } = await world();
    await db.exec(stockRow('RT-3', 50));
    await relay.pass();
    for (const n of [49, 47, 44]) await (await serviceWrite(t, stream, 'RT-3', n)).apply();

    // Act: the capability is rolled back to the monolith; the monolith reads its own table.
    const inMonolith = await onHandInSql('RT-3');
    const shipped = await relay.pass();

    // Assess: nothing the candidate wrote is lost, and none of it comes back as a change.
    expect(inMonolith).toBe('44');
    expect(shipped.shipped).toBe(0);
    expect(await onHandInItem(t, 'RT-3')).toBe('44');
  });
});
