/**
 * Two-way sync on the emulator: the deployed item applier (SQS FIFO -> Lambda -> service table) and the
 * deployed stream applier (DynamoDB Streams -> Lambda -> the monolith through the SQL writer, the URL read
 * from Secrets Manager), against a real PostgreSQL on 127.0.0.1 (a schema of its own; a deployed Lambda
 * cannot reach the embedded PGlite). The relay runs here, in process, with the production SQS FIFO sink:
 * the deployed relay polls for 50 s per invocation, too long for a test.
 *
 * The Sync stack deploys stopped (relay schedule and stream mappings off); the suite starts it as an
 * operator does, after installing capture and filling the secret, and stops it at the end.
 *
 * Order lines (an embedded child) go both ways too: a line edited in SQL reaches the order item's list, a
 * line edited in the item reaches its row.
 *
 * Needs the stacks Cutover-Bridge, Cutover-Data, Cutover-Sync (CUTOVER_E2E_STACKS) and PostgreSQL.
 */
import { DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SyncSwitch, type SyncSwitchStatus } from '../../adapters/aws/sync-switch';
import { parseSpec, type SpecInput } from '../../core/spec';
import { groupKeyFunction } from '../../core/capture/groups';
import { openCaptureDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay } from '../../adapters/sql/capture/relay';
import { SqsFifoSink } from '../../adapters/sql/capture/sqs-sink';
import { SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { createShopSchema, PG_URL, stockRow } from '../functions/sync-capture-support';
import reference from '../../cutover.config';
import { loadE2eContext, sdkConfig, stackOutput, waitFor, type E2eContext } from './harness';
import { deployedTable } from './migration-driver';

const spec = parseSpec(reference as SpecInput);

describe('e2e: two-way sync between PostgreSQL and the deployed service tables', () => {
  let context: E2eContext;
  let dynamo: DynamoDBClient;
  let db: CaptureDatabase;
  let relay: ChangeRelay;
  let inventory: string;
  let orders: string;
  let ledger: SyncLedgerStore;
  let syncSwitch: SyncSwitch;
  let atDeploy: SyncSwitchStatus;
  const schema = `a11e_e2e_${process.pid}_${Date.now().toString(36)}`;
  const run = Date.now().toString(36).toUpperCase().slice(-5);

  beforeAll(async () => {
    context = loadE2eContext();
    const config = sdkConfig(context.endpoint);
    dynamo = new DynamoDBClient(config);
    inventory = deployedTable(context, 'stock');
    orders = deployedTable(context, 'orders');
    ledger = new SyncLedgerStore({ tableName: stackOutput(context, 'SyncLedgerTableName'), client: DynamoDBDocumentClient.from(dynamo) });
    syncSwitch = new SyncSwitch({
      relayRuleName: stackOutput(context, 'SyncRelayRuleName'),
      streamFunctionName: stackOutput(context, 'SyncStreamFunctionName'),
      sourceSecretArn: stackOutput(context, 'SyncSourceSecretArn'),
      lambda: new LambdaClient(config),
      eventBridge: new EventBridgeClient(config),
      secrets: new SecretsManagerClient(config),
    });
    atDeploy = await syncSwitch.status();
    const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
    await admin.exec(`CREATE SCHEMA "${schema}"`);
    await admin.close();
    const url = `${PG_URL}?schema=${schema}`;
    db = await openCaptureDatabase(url, { connections: 2 });
    await createShopSchema(db);
    await installCapture(db, { tables: ['stock', 'orders', 'order_lines'] });
    await new SecretsManagerClient(config).send(
      new PutSecretValueCommand({ SecretId: stackOutput(context, 'SyncSourceSecretArn'), SecretString: JSON.stringify({ url }) }),
    );
    const sink = new SqsFifoSink({
      client: new SQSClient(config),
      queueUrl: stackOutput(context, 'SyncChangesQueueUrl'),
      groupKey: groupKeyFunction(spec.migration!, ['stock', 'orders']),
    });
    relay = new ChangeRelay(db, sink, { source: 'shop', name: `shop-${schema}` });
    if (!(await relay.acquire())) throw new Error('relay lease not taken');
  }, 120_000);

  afterAll(async () => {
    // Stopped again, so the relay does not poll a dropped schema for the rest of the emulator's life.
    await syncSwitch?.stop().catch(() => undefined);
    await db?.close();
    const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
    dynamo?.destroy();
  });

  const key = (sku: string) => ({ sku: { S: sku }, warehouse: { S: 'W1' } });
  const itemOnHand = async (sku: string) =>
    (
      (await dynamo.send(new GetItemCommand({ TableName: inventory, Key: key(sku), ConsistentRead: true }))).Item?.onHand as
        { N: string } | undefined
    )?.N;
  const rowOnHand = async (sku: string) => (await db.query(`SELECT on_hand::text FROM stock WHERE sku = $1`, [sku]))[0]?.[0];
  const serviceSets = (sku: string, onHand: number) =>
    dynamo.send(
      new UpdateItemCommand({
        TableName: inventory,
        Key: key(sku),
        UpdateExpression: 'SET onHand = :n',
        ExpressionAttributeValues: { ':n': { N: String(onHand) } },
      }),
    );

  it('deploys stopped: a service write waits in the stream until cutover sync start, then reaches the row', async () => {
    // Prepare: the item exists (the items applier reads the relay its queue, stopped or not).
    const sku = `E0${run}`;
    await db.exec(stockRow(sku, 10));
    await relay.pass();
    await waitFor(async () => (await itemOnHand(sku)) === '10', { what: 'the item', timeoutMs: 60_000 });
    await serviceSets(sku, 8);
    await new Promise((r) => setTimeout(r, 8_000));
    const whileStopped = await rowOnHand(sku);

    // Act: the operator step, capture installed and the secret filled.
    const started = await syncSwitch.start();

    // Assess
    expect(atDeploy.relaySchedule).toBe('DISABLED');
    expect(atDeploy.streams.length).toBeGreaterThanOrEqual(1);
    expect(whileStopped).toBe('10');
    expect(['running', 'changing']).toContain(started.state);
    expect(
      await waitFor(async () => (await rowOnHand(sku)) === '8', { what: 'the row from the write made while stopped', timeoutMs: 60_000 }),
    ).toBe(true);
  }, 150_000);

  it('a change in SQL becomes the item', async () => {
    // Act
    await db.exec(stockRow(`E1${run}`, 10));
    await relay.pass();

    // Assess
    expect(
      await waitFor(async () => (await itemOnHand(`E1${run}`)) === '10', { what: 'the item from the SQL insert', timeoutMs: 60_000 }),
    ).toBe(true);
  }, 90_000);

  it('an item change becomes the row, and the sync its own write is not shipped back', async () => {
    // Prepare
    const sku = `E2${run}`;
    await db.exec(stockRow(sku, 20));
    await relay.pass();
    await waitFor(async () => (await itemOnHand(sku)) === '20', { what: 'the item', timeoutMs: 60_000 });

    // Act
    await serviceSets(sku, 17);

    // Assess
    expect(await waitFor(async () => (await rowOnHand(sku)) === '17', { what: 'the row from the item change', timeoutMs: 60_000 })).toBe(
      true,
    );
    const echo = await relay.pass();
    expect(echo.shipped).toBe(0);
  }, 150_000);

  it('a concurrent edit on both sides converges on the sum, with a ledger entry and an audit entry', async () => {
    // Prepare
    const sku = `E3${run}`;
    await db.exec(stockRow(sku, 30));
    await relay.pass();
    await waitFor(async () => (await itemOnHand(sku)) === '30', { what: 'the item', timeoutMs: 60_000 });

    // Act: the monolith sells 4 and the service 5, from the same 30, before either sees the other.
    await Promise.all([db.exec(`UPDATE stock SET on_hand = on_hand - 4 WHERE sku = '${sku}'`), serviceSets(sku, 25)]);
    await relay.pass();

    // Assess
    await waitFor(async () => (await rowOnHand(sku)) === '21' && (await itemOnHand(sku)) === '21', {
      what: 'both sides at 21',
      timeoutMs: 90_000,
    });
    const entries = [];
    for await (const c of ledger.list('resolved')) if (c.key.includes(sku)) entries.push(c);
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries[0]).toMatchObject({ entity: 'stock', status: 'resolved', fields: expect.arrayContaining(['onHand']) });
    const audit = await dynamo.send(
      new QueryCommand({
        TableName: stackOutput(context, 'AuditTableName'),
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'stream' },
        ExpressionAttributeValues: { ':s': { S: `sync-stock-${entries[0].key}` } },
      }),
    );
    expect((audit.Items ?? []).some((i) => i.detailType?.S === 'sync.conflict-detected')).toBe(true);
  }, 200_000);

  it('order lines: a line edited in SQL reaches the item list; a line edited in the item reaches the SQL row', async () => {
    // Prepare: an order with two lines, inserted in one transaction.
    const orderNo = String(Date.now() % 1_000_000_000);
    const orderKey = { pk: { S: `ORDER#${orderNo}` }, sk: { S: 'ORDER' } };
    const itemLines = async () => {
      const item = (await dynamo.send(new GetItemCommand({ TableName: orders, Key: orderKey, ConsistentRead: true }))).Item;
      const list = (item?.lines as { L: { M: Record<string, { N?: string; S?: string }> }[] } | undefined)?.L ?? [];
      return list.map((e) => `${e.M.lineNo?.N}:${e.M.sku?.S}:${e.M.quantity?.N}`).join(',');
    };
    const rowLines = async () =>
      (await db.query(`SELECT line_no, sku, qty FROM order_lines WHERE order_no = $1 ORDER BY line_no`, [orderNo]))
        .map((r) => r.join(':'))
        .join(',');
    await db.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO orders (order_no, cust_no, order_dt, status, total_cents, currency, channel, coupon_code, ship_street, ship_city, ship_zip, ship_country, updated_at)
         VALUES ($1, 'C1', '20260101 100000', 'P', 300, 'EUR', 'WEB', '', 'Main St', 'Lyon', '69001', 'FR', '2026-01-01 10:00:00')`,
        [orderNo],
      );
      await tx.exec(
        `INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price_cents) VALUES ($1, 1, 'A', 1, 100), ($1, 2, 'B', 1, 200)`,
        [orderNo],
      );
    });
    await relay.pass();
    await waitFor(async () => (await itemLines()) === '1:A:1,2:B:1', { what: 'the order item with its lines', timeoutMs: 60_000 });

    // Act: the monolith changes line 1; then the service changes line 2 in the item.
    await db.exec(`UPDATE order_lines SET qty = 3 WHERE order_no = $1 AND line_no = 1`, [orderNo]);
    await relay.pass();
    const inItem = await waitFor(async () => (await itemLines()) === '1:A:3,2:B:1', { what: 'line 1 in the item', timeoutMs: 60_000 });
    await dynamo.send(
      new UpdateItemCommand({
        TableName: orders,
        Key: orderKey,
        UpdateExpression: 'SET #l[1].quantity = :q',
        ExpressionAttributeNames: { '#l': 'lines' },
        ExpressionAttributeValues: { ':q': { N: '6' } },
      }),
    );
    const inRow = await waitFor(async () => (await rowLines()) === '1:A:3,2:B:6', { what: 'line 2 in the SQL row', timeoutMs: 60_000 });
    const echo = await relay.pass();

    // Assess
    expect(inItem).toBe(true);
    expect(inRow).toBe(true);
    expect(echo.shipped).toBe(0);
    expect(await itemLines()).toBe('1:A:3,2:B:6');
  }, 200_000);

  it('rollback: what the candidate wrote while authoritative is already in the monolith', async () => {
    // Prepare
    const sku = `E4${run}`;
    await db.exec(stockRow(sku, 50));
    await relay.pass();
    await waitFor(async () => (await itemOnHand(sku)) === '50', { what: 'the item', timeoutMs: 60_000 });

    // Act: the candidate takes three reservations; then the capability is rolled back.
    for (const n of [49, 47, 44]) {
      await serviceSets(sku, n);
      await waitFor(async () => (await rowOnHand(sku)) === String(n), { what: `the row at ${n}`, timeoutMs: 60_000 });
    }

    // Assess
    expect(await rowOnHand(sku)).toBe('44');
  }, 250_000);
});
