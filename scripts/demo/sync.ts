import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseSpec, type SpecInput } from '../../core/spec';
import { groupKeyFunction } from '../../core/capture/groups';
import type { ConflictEntry } from '../../core/sync/ledger';
import { openCaptureDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay } from '../../adapters/sql/capture/relay';
import { SqsFifoSink } from '../../adapters/sql/capture/sqs-sink';
import { SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { conflictsResolveCommand } from '../../cli/commands/sync-conflicts';
import { syncStartCommand, syncStopCommand } from '../../cli/commands/sync-switch';
import { AwsContext } from '../../cli/aws-context';
import { schemaStatements } from '../../monolith/database';
import reference from '../../cutover.config';
import { sdkConfig, waitFor } from '../../test/e2e/harness';
import { deployedTable } from '../../test/e2e/migration-driver';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';
import { Pool } from 'pg';
import { compileEntity, type Item } from '../../core/migration';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import type { ItemSource } from '../../adapters/migration-target/target';
import { PostgresSource } from '../../adapters/sql/postgres';
import { runVerify } from '../../cli/migration/verify';

/**
 * The deployed table as verify reads it, narrowed to this demo's keys: the emulator's tables also hold the
 * items of earlier runs and other scenarios, which this demo's monolith schema never had.
 */
function onlyKeys(table: DynamoTable, attribute: string, keys: ReadonlySet<string>): ItemSource {
  const ours = (item: Item) => {
    const v = item[attribute];
    return v !== undefined && 'S' in v && keys.has(v.S);
  };
  return {
    scanItems: (visit, signal) => table.scanItems((item, locator) => (ours(item) ? visit(item, locator) : undefined), signal),
    fetch: async (wanted) => new Map([...(await table.fetch(wanted))].filter(([, item]) => ours(item))),
    describe: () => `${table.describe()} (the demo's ${attribute}s ${[...keys].join(', ')})`,
  };
}

const PG_URL = process.env.CUTOVER_DEMO_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Two-way sync through the deployed appliers (SQS FIFO -> item applier; DynamoDB Streams -> SQL applier
 * with the URL from Secrets Manager) against a PostgreSQL monolith in a schema of its own (a deployed
 * Lambda cannot reach the embedded PGlite). Stock edited on both sides (delta: both sales count), an
 * order's shipping address edited on both sides (last writer wins), a product's price edited on both sides (manual: parked, resolved with the CLI), each
 * conflict shown from the ledger.
 * Without a PostgreSQL on 127.0.0.1 (CUTOVER_DEMO_POSTGRES_URL) the scenario says so and is skipped.
 */
export const syncScenario: DemoScenario = {
  name: 'sync',
  title: 'Two-way sync: stock, an order and a product edited in the monolith and the service at once',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    let admin: CaptureDatabase;
    try {
      admin = await openCaptureDatabase(PG_URL, { connections: 1 });
    } catch (err) {
      return {
        ok: true,
        summary: [
          `skipped: no PostgreSQL at ${PG_URL} (${err instanceof Error ? err.message : String(err)}); set CUTOVER_DEMO_POSTGRES_URL`,
        ],
      };
    }
    const schema = `demo_sync_${Date.now().toString(36)}`;
    await admin.exec(`CREATE SCHEMA "${schema}"`);
    const config = sdkConfig(ctx.endpoint);
    const dynamo = new DynamoDBClient(config);
    const db = await openCaptureDatabase(`${PG_URL}?schema=${schema}`, { connections: 2 });
    const summary: string[] = [];
    let ok = true;
    try {
      const spec = parseSpec(reference as SpecInput);
      const ledger = new SyncLedgerStore({ tableName: ctx.output('SyncLedgerTableName'), client: DynamoDBDocumentClient.from(dynamo) });
      ctx.log(`1. the monolith: PostgreSQL schema ${schema}; cutover sync install --entity stock,orders,products`);
      for (const s of schemaStatements('postgres')) await db.exec(s);
      await installCapture(db, { tables: ['stock', 'orders', 'products'] });
      await new SecretsManagerClient(config).send(
        new PutSecretValueCommand({
          SecretId: ctx.output('SyncSourceSecretArn'),
          SecretString: JSON.stringify({ url: `${PG_URL}?schema=${schema}` }),
        }),
      );
      // The Sync stack deploys stopped: started once capture is installed and the secret holds the URL.
      ctx.log('   the source secret filled; cutover sync start');
      const startLines: string[] = [];
      const started = await syncStartCommand(
        {},
        { context: new AwsContext(), stdout: (t) => void startLines.push(t), stderr: (t) => void startLines.push(t) },
      );
      for (const l of startLines.join('').trim().split('\n')) ctx.log(`   ${l}`);
      if (started !== 0) return { ok: false, summary: [`cutover sync start failed (exit ${started})`] };
      const sink = new SqsFifoSink({
        client: new SQSClient(config),
        queueUrl: ctx.output('SyncChangesQueueUrl'),
        groupKey: groupKeyFunction(spec.migration!, ['stock', 'orders', 'products']),
      });
      const relay = new ChangeRelay(db, sink, { source: 'shop', name: schema });
      await relay.acquire();
      const ledgerFor = async (fragment: string): Promise<ConflictEntry[]> => {
        const out: ConflictEntry[] = [];
        for await (const c of ledger.list('resolved')) if (c.key.includes(fragment)) out.push(c);
        return out;
      };
      const show = (c: ConflictEntry) =>
        `   ledger ${c.conflictId}: ${c.entity} ${c.key}, fields ${c.fields.join(', ')}, ${c.policy} -> ${c.winner}, detected by the ${c.detectedBy} applier`;

      // Stock: both sides sell from the same 30.
      const inventory = deployedTable(ctx, 'stock');
      const sku = `D${Date.now().toString(36).slice(-6).toUpperCase()}`;
      const key = { sku: { S: sku }, warehouse: { S: 'W1' } };
      const itemOnHand = async () =>
        (
          (await dynamo.send(new GetItemCommand({ TableName: inventory, Key: key, ConsistentRead: true }))).Item?.onHand as
            { N: string } | undefined
        )?.N;
      const rowOnHand = async () => (await db.query(`SELECT on_hand::text FROM stock WHERE sku = $1`, [sku]))[0]?.[0];
      ctx.log(`2. stock ${sku}: 30 on hand in the monolith; the relay ships it, the item applier writes ${inventory}`);
      await db.exec(`INSERT INTO stock (sku, warehouse_cd, on_hand, reserved, updated_at) VALUES ('${sku}', 'W1', 30, 0, now())`);
      await relay.pass();
      await waitFor(async () => (await itemOnHand()) === '30', { what: 'the stock item', timeoutMs: 60_000 });
      ctx.log('   at the same moment the monolith sells 4 and the service sells 5');
      await Promise.all([
        db.exec(`UPDATE stock SET on_hand = on_hand - 4, updated_at = now() WHERE sku = '${sku}'`),
        dynamo.send(
          new UpdateItemCommand({
            TableName: inventory,
            Key: key,
            UpdateExpression: 'SET onHand = :n',
            ExpressionAttributeValues: { ':n': { N: '25' } },
          }),
        ),
      ]);
      await relay.pass();
      await waitFor(async () => (await rowOnHand()) === '21' && (await itemOnHand()) === '21', {
        what: 'stock at 21 on both sides',
        timeoutMs: 90_000,
      });
      const stockConflicts = await ledgerFor(sku);
      ctx.log(`   both sides hold 21 = 30 - 4 - 5 (delta keeps both sales)`);
      for (const c of stockConflicts) ctx.log(show(c));
      summary.push(`stock ${sku}: 30 - 4 (monolith) - 5 (service) = 21 on both sides; ${stockConflicts.length} conflict(s) in the ledger`);
      ok &&= stockConflicts.length > 0;

      // An order's shipping address: the later edit wins (lastWriterWins on updatedAt).
      const orders = deployedTable(ctx, 'orders');
      const orderNo = String(900_000_000 + Math.floor(Math.random() * 99_999_999));
      const okey = { pk: { S: `ORDER#${orderNo}` }, sk: { S: 'ORDER' } };
      const itemCity = async () => {
        const item = (await dynamo.send(new GetItemCommand({ TableName: orders, Key: okey, ConsistentRead: true }))).Item;
        return (item?.shippingAddress as { M: Record<string, { S: string }> } | undefined)?.M.city?.S;
      };
      const rowCity = async () => (await db.query(`SELECT ship_city FROM orders WHERE order_no = $1`, [orderNo]))[0]?.[0];
      ctx.log(`3. order ${orderNo} ships to Lyon; the monolith changes the city to Paris at 10:00:05, the service to Nice at 10:00:09`);
      await db.exec(
        `INSERT INTO orders (order_no, cust_no, order_dt, status, total_cents, currency, channel, coupon_code, ship_street, ship_city, ship_zip, ship_country, updated_at) VALUES (${orderNo}, 'C1', '20261206 100000', 'P', 5497, 'EUR', 'WEB', '', '1 rue A', 'Lyon', '69001', 'FR', '2026-12-06 10:00:00')`,
      );
      await relay.pass();
      await waitFor(async () => (await itemCity()) === 'Lyon', { what: 'the order item', timeoutMs: 60_000 });
      await Promise.all([
        db.exec(`UPDATE orders SET ship_city = 'Paris', updated_at = '2026-12-06 10:00:05' WHERE order_no = ${orderNo}`),
        dynamo.send(
          new UpdateItemCommand({
            TableName: orders,
            Key: okey,
            UpdateExpression: 'SET shippingAddress.city = :c, updatedAt = :t',
            ExpressionAttributeValues: { ':c': { S: 'Nice' }, ':t': { S: '2026-12-06T10:00:09Z' } },
          }),
        ),
      ]);
      await relay.pass();
      await waitFor(async () => (await rowCity()) === 'Nice' && (await itemCity()) === 'Nice', {
        what: 'Nice on both sides',
        timeoutMs: 90_000,
      });
      const orderConflicts = await ledgerFor(`ORDER#${orderNo}`);
      ctx.log("   both sides ship to Nice: the later edit won; the monolith's Paris is kept in the ledger");
      for (const c of orderConflicts) ctx.log(show(c));
      summary.push(
        `order ${orderNo}: Paris (10:00:05, monolith) vs Nice (10:00:09, service) -> Nice on both sides; ${orderConflicts.length} conflict(s) in the ledger`,
      );
      ok &&= orderConflicts.length > 0;

      // A product's price changed on both sides: manual. The key parks; a person resolves with the CLI.
      const catalog = deployedTable(ctx, 'products');
      const psku = `P${Date.now().toString(36).slice(-6).toUpperCase()}`;
      const pkey = { sku: { S: psku } };
      const itemPrice = async () =>
        (
          (await dynamo.send(new GetItemCommand({ TableName: catalog, Key: pkey, ConsistentRead: true }))).Item?.price as
            { S: string } | undefined
        )?.S;
      const rowPrice = async () => (await db.query(`SELECT price_cents::text FROM products WHERE sku = $1`, [psku]))[0]?.[0];
      ctx.log(`4. product ${psku} costs 19.99; the monolith raises it to 21.99 while the service runs a promo at 17.99 (policy: manual)`);
      await db.exec(
        `INSERT INTO products (sku, name, price_cents, weight_kg, active, updated_at) VALUES ('${psku}', 'Kettle', 1999, 1.2, 'Y', now())`,
      );
      await relay.pass();
      await waitFor(async () => (await itemPrice()) === '19.99', { what: 'the product item', timeoutMs: 60_000 });
      await Promise.all([
        db.exec(`UPDATE products SET price_cents = 2199, updated_at = now() WHERE sku = '${psku}'`),
        dynamo.send(
          new UpdateItemCommand({
            TableName: catalog,
            Key: pkey,
            UpdateExpression: 'SET price = :p',
            ExpressionAttributeValues: { ':p': { S: '17.99' } },
          }),
        ),
      ]);
      await relay.pass();
      const open = await waitFor(
        async () => {
          for await (const c of ledger.list('open')) if (c.key.includes(psku)) return c;
          return undefined;
        },
        { what: 'an open conflict for the product', timeoutMs: 90_000 },
      );
      ctx.log(
        `   parked: ${open.conflictId} (${open.policy}, fields ${open.fields.join(', ')}); the monolith has ${await rowPrice()} cents, the service ${await itemPrice()}`,
      );
      ctx.log(
        `   cutover sync conflicts resolve ${open.conflictId} --take service --reason "promo approved by pricing" --source postgres://...`,
      );
      const lines: string[] = [];
      const code = await conflictsResolveCommand(
        open.conflictId,
        { take: 'service', reason: 'promo approved by pricing', actor: 'demo', source: `${PG_URL}?schema=${schema}` },
        { context: new AwsContext(), stdout: (t) => void lines.push(t), stderr: (t) => void lines.push(t) },
      );
      for (const l of lines.join('').trim().split('\n')) ctx.log(`   ${l}`);
      await waitFor(async () => (await rowPrice()) === '1799' && (await itemPrice()) === '17.99', {
        what: 'the promo price on both sides',
        timeoutMs: 60_000,
      });
      summary.push(
        `product ${psku}: 21.99 (monolith) vs 17.99 (service), parked, resolved with the CLI -> 17.99 on both sides (exit ${code})`,
      );
      ok &&= code === 0;

      // Verify: the migration's verify engine over the synced entities, monolith schema against the items.
      ctx.log('5. cutover verify --entity stock / products (the demo keys of the deployed tables; the sync bookkeeping is not data)');
      const pool = new Pool({
        connectionString: PG_URL,
        max: 2,
        options: `-c search_path=${schema} -c default_transaction_read_only=on -c TimeZone=UTC -c DateStyle=ISO`,
      });
      const source = new PostgresSource(pool, `postgres ${schema}`);
      try {
        for (const [entityName, tableName, keys] of [
          ['stock', inventory, new Set([sku])],
          ['products', catalog, new Set([psku])],
        ] as const) {
          const entity = compileEntity(entityName, spec.migration!.entities[entityName]);
          const table = new DynamoTable(dynamo, tableName, { keyAttributes: entity.keyAttributes });
          const report = await runVerify({ entity, source, target: onlyKeys(table, 'sku', keys), tableName });
          const t = report.totals;
          const line = `verify ${entityName}: ${report.clean ? 'clean' : 'NOT CLEAN'}, ${report.matched} matched, ${t.missing} missing, ${t.extra} extra, ${t.different} different`;
          ctx.log(`   ${line}`);
          for (const d of report.different) ctx.log(`   different ${d.key}: ${d.fields.map((f) => `${f.path} ${f.detail}`).join('; ')}`);
          summary.push(line);
          ok &&= report.clean && report.matched === 1;
        }
      } finally {
        await source.close();
      }
      return { ok, summary };
    } finally {
      // Stopped again: the relay would otherwise poll a dropped schema every minute.
      await syncStopCommand(
        {},
        { context: new AwsContext(), stdout: () => undefined, stderr: (t) => ctx.log(`   cutover sync stop: ${t.trim()}`) },
      );
      await db.close();
      await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.close();
      dynamo.destroy();
    }
  },
};
