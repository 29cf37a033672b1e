import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBackfill } from '../../cli/migration/backfill';
import { PgliteSource } from '../../adapters/sql/pglite';
import { FileCheckpointStore, RejectsFile } from '../../cli/migration/state';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { DIVERGENCE_DETAIL_TYPE, DIVERGENCE_EVENT_SOURCE, type Item } from '../../core/migration';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { runValidation } from '../../functions/consistency-validator/handler';
import { resetSpecCache } from '../../functions/shared/spec';
import { createMonolithSchema, openWriter, seedMonolith } from '../../monolith/database';
import { sqlTimestamp } from '../../monolith/seed';
import { createTableFor, entity, startDynalite, tempDir, type Dynalite } from './migration-support';
import { startPgliteWorker } from './migration-pglite-worker';

/*
 * The continuous validation handler against a PGlite monolith and dynalite: the orders table is backfilled,
 * then changed behind the migration's back; a pass must raise exactly the real divergences as
 * consistency.divergence events, and leave a change within the lag alone.
 */
const ORDERS = 60;
const orders = entity('orders');
const events = mockClient(EventBridgeClient);
const secrets = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:monolith-AbCdEf';

describe('Function: consistency-validator handler', () => {
  let dynamo: Dynalite;
  let dir: string;
  let url: string;
  let pglite: Awaited<ReturnType<typeof startPgliteWorker>>;
  let opened: string[];
  const open = async (u: string) => {
    opened.push(u);
    return new PgliteSource(pglite.db, u);
  };
  const handler = () => runValidation(open);
  const saved = { ...process.env };
  const key = (n: number) => ({ pk: { S: `ORDER#${n}` }, sk: { S: 'ORDER' } });

  beforeAll(async () => {
    dir = tempDir('validator');
    url = 'pglite://memory';
    opened = [];
    pglite = await startPgliteWorker();
    const writer = await openWriter(url, { pglite: pglite.db });
    await createMonolithSchema(writer);
    await seedMonolith(writer, { orders: ORDERS });

    dynamo = await startDynalite();
    await createTableFor(dynamo.client, orders, 'svc-orders');
    await createTableFor(dynamo.client, { ...orders, keySchema: { partitionKey: { name: 'entity', type: 'S' } } } as never, 'sweep');
    const source = new PgliteSource(pglite.db, url);
    try {
      const summary = await runBackfill({
        entity: orders,
        source,
        target: new DynamoTable(dynamo.client, 'svc-orders', { keyAttributes: orders.keyAttributes }),
        tableName: 'svc-orders',
        checkpoints: new FileCheckpointStore(path.join(dir, 'cp.json')),
        rejects: new RejectsFile(path.join(dir, 'rejects.jsonl')),
        segments: 1,
      });
      expect(summary.rows).toBe(ORDERS);
    } finally {
      await source.close();
    }

    Object.assign(process.env, {
      CUTOVER_SPEC_JSON: JSON.stringify(parseSpec(config)),
      AWS_ENDPOINT_URL: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      SOURCE_SECRET_ARN: SECRET_ARN,
      MIGRATION_TABLES: JSON.stringify({ orders: 'svc-orders' }),
      SWEEP_TABLE_NAME: 'sweep',
      SERVICES_BUS_NAME: 'services-bus',
      VALIDATE_ENTITIES: 'orders',
      SAMPLE_SIZE: String(ORDERS * 2 + 10),
      LAG_SECONDS: '60',
    });
    resetSpecCache();
  }, 120_000);

  beforeEach(() => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ url }) });
  });
  afterEach(() => events.reset());

  afterAll(async () => {
    process.env = saved;
    resetSpecCache();
    await dynamo?.close();
    await pglite?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const putDetails = () =>
    events
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => ({
        bus: e.EventBusName,
        source: e.Source,
        type: e.DetailType,
        detail: JSON.parse(e.Detail!) as Record<string, unknown>,
      }));

  it('puts nothing when the table agrees with the monolith, and records the finished lap', async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });

    // Act
    const run = await handler();

    // Assess
    expect(run.entities).toEqual([
      { entity: 'orders', table: 'svc-orders', checked: ORDERS, matched: ORDERS, divergences: 0, inFlight: 0, rejected: 0, lap: 1 },
    ]);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(opened).toEqual([url]);
    const sweep = await dynamo.client.send(new GetItemCommand({ TableName: 'sweep', Key: { entity: { S: 'orders' } } }));
    expect(sweep.Item?.lap).toEqual({ N: '1' });
  }, 60_000);

  it('raises one consistency.divergence per changed or missing item, and none for a change within the lag', async () => {
    // Prepare: one status changed, one item deleted, and one order just updated in the monolith (in flight).
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const changed = (await dynamo.client.send(new GetItemCommand({ TableName: 'svc-orders', Key: key(1_000_005) }))).Item!;
    await dynamo.client.send(new PutItemCommand({ TableName: 'svc-orders', Item: { ...changed, status: { S: 'lost' } } }));
    await dynamo.client.send(new DeleteItemCommand({ TableName: 'svc-orders', Key: key(1_000_007) }));
    await pglite.db.exec(`UPDATE orders SET status = 'X', updated_at = '${sqlTimestamp(Date.now())}' WHERE order_no = 1000009`);

    // Act
    const run = await handler();

    // Assess
    expect(run.entities[0]).toMatchObject({ checked: ORDERS, matched: ORDERS - 3, divergences: 2, inFlight: 1 });
    expect(run.eventsPut).toBe(2);
    const details = putDetails();
    expect(details.map((d) => [d.bus, d.source, d.type])).toEqual([
      ['services-bus', DIVERGENCE_EVENT_SOURCE, DIVERGENCE_DETAIL_TYPE],
      ['services-bus', DIVERGENCE_EVENT_SOURCE, DIVERGENCE_DETAIL_TYPE],
    ]);
    expect(details.map((d) => [d.detail.kind, d.detail.itemKey, d.detail.table]).sort()).toEqual(
      [
        ['different', orders.keyOf(key(1_000_005) as Item), 'svc-orders'],
        ['missing', orders.keyOf(key(1_000_007) as Item), 'svc-orders'],
      ].sort(),
    );
    expect(details.find((d) => d.detail.kind === 'different')!.detail.fields).toEqual([expect.objectContaining({ path: 'status' })]);
  }, 60_000);

  it('fails the pass when the bus refuses an event, so the schedule retries it', async () => {
    // Prepare
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }, {}] });

    // Act / Assess
    await expect(handler()).rejects.toThrow(
      /1 of 2 consistency.divergence event\(s\) were refused by bus services-bus: InternalFailure: try again/,
    );
  }, 60_000);

  it('reads the monolith URL from the secret at every run, so a rotated secret takes effect', async () => {
    // Prepare: the secret now points at another database (the same in-process one, under another name).
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    opened = [];
    await handler();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'pglite://rotated' });

    // Act
    await handler();

    // Assess
    expect(opened).toEqual([url, 'pglite://rotated']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  }, 60_000);

  it('names a missing SOURCE_SECRET_ARN, and a secret without a URL', async () => {
    // Prepare
    delete process.env.SOURCE_SECRET_ARN;

    // Act / Assess
    await expect(handler()).rejects.toThrow('environment variable SOURCE_SECRET_ARN is not set');
    process.env.SOURCE_SECRET_ARN = SECRET_ARN;
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify({ user: 'reader' }) });
    await expect(handler()).rejects.toThrow(`secret ${SECRET_ARN} is JSON without a "url" field`);
  });
});
