/**
 * Data migration on the emulator, through the engine the CLI commands run (runBackfill, runVerify with the
 * same checkpoint, rejects and audit files): seed a PGlite monolith, backfill its orders into the deployed
 * orders table, stop the run after three batches and resume it, verify clean; then change, delete and add
 * items behind the migration's back, verify finds exactly those, repair rewrites what the source has, and
 * verify is clean again once the extra item (which repair never deletes) is removed.
 *
 * PGlite runs in a worker thread (jest's VM cannot load it; see test/functions/migration-pglite-worker.ts).
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JsonlAuditSink } from '../../cli/migration/audit';
import { runBackfill, type BackfillSummary } from '../../cli/migration/backfill';
import { PgliteSource } from '../../adapters/sql/pglite';
import { FileCheckpointStore, RejectsFile } from '../../cli/migration/state';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import type { ItemWriter } from '../../adapters/migration-target/target';
import { runVerify, type VerifyReport } from '../../cli/migration/verify';
import type { CompiledEntity, Item } from '../../core/migration';
import { startPgliteWorker } from '../functions/migration-pglite-worker';
import { createMonolithSchema, dropMonolithSchema, openWriter, seedMonolith } from '../../monolith/database';
import { loadE2eContext, sdkConfig, stackOutput, type E2eContext } from './harness';
import { deployedTable, emptyTable, migrationEntity, seedPgliteMonolith } from './migration-driver';

const ORDERS = 300;
const BAD_ROWS = 2;

describe('e2e: data migration into the deployed orders table', () => {
  let context: E2eContext;
  let dynamo: DynamoDBClient;
  let dir: string;
  let pglite: Awaited<ReturnType<typeof startPgliteWorker>>;
  let table: string;
  let orders: CompiledEntity;
  let target: DynamoTable;

  const source = () => new PgliteSource(pglite.db, 'pglite://memory');

  const backfill = (options: { writer?: ItemWriter; signal?: AbortSignal } = {}): Promise<BackfillSummary> =>
    runBackfill({
      entity: orders,
      source: source(),
      target: options.writer ?? target,
      tableName: table,
      checkpoints: new FileCheckpointStore(path.join(dir, `backfill-orders-${table}.json`)),
      rejects: new RejectsFile(path.join(dir, `rejects-orders-${table}.jsonl`)),
      segments: 2,
      pageSize: 40,
      signal: options.signal,
    });

  const verify = (repair = false): Promise<VerifyReport> =>
    runVerify({
      entity: orders,
      source: source(),
      target,
      tableName: table,
      segments: 2,
      detailLimit: 100,
      lagSeconds: 0,
      workDir: dir,
      repair: repair ? { writer: target, audit: new JsonlAuditSink(path.join(dir, 'audit.jsonl')), limit: 100 } : undefined,
    });

  const orderKey = (orderNo: number): Item => ({ pk: { S: `ORDER#${orderNo}` }, sk: { S: 'ORDER' } });
  const countOrderItems = async () => {
    const out = await dynamo.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: 'sk = :o',
        ExpressionAttributeValues: { ':o': { S: 'ORDER' } },
      }),
    );
    return out.Count ?? 0;
  };

  beforeAll(async () => {
    context = loadE2eContext();
    dynamo = new DynamoDBClient(sdkConfig(context.endpoint));
    table = deployedTable(context, 'orders');
    orders = migrationEntity('orders');
    target = new DynamoTable(dynamo, table, { keyAttributes: orders.keyAttributes });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-e2e-data-'));
    pglite = await startPgliteWorker();
    await seedPgliteMonolith(dir, ORDERS, BAD_ROWS, pglite.db);
    await emptyTable(dynamo, table, orders.keyAttributes);
  }, 120_000);

  afterAll(async () => {
    dynamo?.destroy();
    await pglite?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('backfills, stops after three batches, resumes where it stopped and verifies clean', async () => {
    // Prepare: a writer that asks the run to stop (as Ctrl-C does) once its third batch is written.
    const stop = new AbortController();
    let batches = 0;
    const stopping: ItemWriter = {
      writeBatch: async (items) => {
        const stats = await target.writeBatch(items);
        if (++batches === 3) stop.abort();
        return stats;
      },
      describe: () => target.describe(),
    };

    // Act
    const first = await backfill({ writer: stopping, signal: stop.signal });
    const partial = await countOrderItems();
    const second = await backfill();
    const report = await verify();

    // Assess: the first run stopped resumable with part of the rows; the second finished the rest once.
    expect(first.status).toBe('aborted');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(ORDERS - BAD_ROWS);
    expect(second).toMatchObject({ status: 'complete', resumed: true, rows: ORDERS - BAD_ROWS, rejected: BAD_ROWS });
    expect(second.rows + second.rejected).toBe(ORDERS);
    expect(await countOrderItems()).toBe(ORDERS - BAD_ROWS);
    expect(fs.readFileSync(second.rejectsFile, 'utf8').trim().split('\n')).toHaveLength(BAD_ROWS);
    expect(report.clean).toBe(true);
    expect(report.matched).toBe(ORDERS - BAD_ROWS);
    expect(report.totals).toEqual({ missing: 0, extra: 0, different: 0, duplicates: 0, inFlight: 0 });
  }, 180_000);

  it('finds exactly a changed, a deleted and an extra item; repair rewrites the first two; clean after the extra goes', async () => {
    // Prepare: change one order's status, delete another, add one the monolith never had.
    const changed = (await dynamo.send(new GetItemCommand({ TableName: table, Key: orderKey(1_000_010) as never }))).Item as Item;
    expect(changed).toBeDefined();
    await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...changed, status: { S: 'lost' } } as never }));
    await dynamo.send(new DeleteItemCommand({ TableName: table, Key: orderKey(1_000_020) as never }));
    const extra = { ...changed, pk: { S: 'ORDER#9999999' }, orderId: { S: '9999999' } };
    await dynamo.send(new PutItemCommand({ TableName: table, Item: extra as never }));

    // Act
    const found = await verify();
    const repaired = await verify(true);
    const afterRepair = await verify();
    await dynamo.send(new DeleteItemCommand({ TableName: table, Key: orderKey(9_999_999) as never }));
    const clean = await verify();

    // Assess
    expect(found.clean).toBe(false);
    expect(found.totals).toEqual({ missing: 1, extra: 1, different: 1, duplicates: 0, inFlight: 0 });
    expect(found.missing.map((m) => m.key)).toEqual([orders.keyOf(orderKey(1_000_020))]);
    expect(found.extra.map((m) => m.key)).toEqual([orders.keyOf(extra)]);
    expect(found.different.map((d) => [d.key, d.fields.map((f) => f.path)])).toEqual([[orders.keyOf(changed), ['status']]]);
    expect(repaired.repaired).toEqual({ items: 2, audited: 2, skipped: 0 });
    expect(fs.readFileSync(path.join(dir, 'audit.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(afterRepair.totals).toEqual({ missing: 0, extra: 1, different: 0, duplicates: 0, inFlight: 0 });
    expect(clean.clean).toBe(true);
    expect(clean.matched).toBe(ORDERS - BAD_ROWS);
  }, 180_000);

  it('runs continuous validation in the deployed Lambda against a PostgreSQL monolith and reports the one divergence', async () => {
    // Prepare: the same seed in PostgreSQL (same orders as the table now holds), the function pointed at it.
    const prefix = `e2e_data_${process.pid}_`;
    const pgUrl = 'postgres://postgres@127.0.0.1:5432/test';
    const writer = await openWriter(pgUrl);
    const lambda = new LambdaClient(sdkConfig(context.endpoint));
    const fn = stackOutput(context, 'ConsistencyValidatorFunctionName');
    let item: Item | undefined;
    let original: Record<string, string> | undefined;
    try {
      await dropMonolithSchema(writer, prefix);
      await createMonolithSchema(writer, prefix);
      await seedMonolith(writer, { orders: ORDERS, badRows: BAD_ROWS, prefix });
      const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
      original = current.Environment?.Variables ?? {};
      // The function reads the monolith URL from its secret at every run, as on AWS.
      const sm = new SecretsManagerClient(sdkConfig(context.endpoint));
      await sm.send(
        new PutSecretValueCommand({
          SecretId: original.SOURCE_SECRET_ARN,
          SecretString: JSON.stringify({ url: `${pgUrl}?prefix=${prefix}` }),
        }),
      );
      sm.destroy();
      const variables = {
        ...original,
        VALIDATE_ENTITIES: 'orders',
        SAMPLE_SIZE: String(ORDERS * 2 + 10),
        LAG_SECONDS: '0',
      };
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Environment: { Variables: variables } }));
      item = (await dynamo.send(new GetItemCommand({ TableName: table, Key: orderKey(1_000_030) as never }))).Item as Item;
      await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...item, status: { S: 'lost' } } as never }));

      // Act
      const out = await lambda.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}') }));
      const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as {
        entities?: Array<Record<string, unknown>>;
        eventsPut?: number;
        errorMessage?: string;
      };

      // Assess
      expect({ error: out.FunctionError, message: payload.errorMessage }).toEqual({ error: undefined, message: undefined });
      expect(payload.entities).toEqual([
        expect.objectContaining({
          entity: 'orders',
          table,
          checked: ORDERS - BAD_ROWS,
          matched: ORDERS - BAD_ROWS - 1,
          divergences: 1,
          rejected: BAD_ROWS,
        }),
      ]);
      expect(payload.eventsPut).toBe(1);
    } finally {
      if (item) await dynamo.send(new PutItemCommand({ TableName: table, Item: item as never }));
      // The deployment is shared: leave the function as deployed.
      if (original) await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Environment: { Variables: original } }));
      await dropMonolithSchema(writer, prefix);
      await writer.close();
      lambda.destroy();
    }
  }, 180_000);
});
