import * as os from 'node:os';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SyncSwitch } from '../../adapters/aws/sync-switch';
import { groupKeyFunction } from '../../core/capture/groups';
import { parseSpec } from '../../core/spec';
import { openCaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay } from '../../adapters/sql/capture/relay';
import { SqsFifoSink } from '../../adapters/sql/capture/sqs-sink';
import config from '../../cutover.config';
import { sdkConfig } from '../e2e/harness';
import { emulatorLabel, outputsFor, percentile } from './emulator';
import { createShopSchema, PG_URL, stockRow } from '../functions/sync-capture-support';
import type { BenchResult } from './types';

/*
 * Two-way sync end to end on a deployed MiniStack with PostgreSQL (127.0.0.1) as the monolith, as the e2e
 * suite sets it up (test/e2e/sync.test.ts): capture installed in a schema of its own, the source secret
 * filled, `cutover sync start`; the relay runs in this process with the production SQS FIFO sink (the
 * deployed one polls 50 s per invocation), the deployed item applier (SQS FIFO -> Lambda) and stream
 * applier (DynamoDB Streams -> Lambda -> SQL writer) do the rest.
 *
 * - commit -> item applied: SYNC_MINISTACK_CHANGES inserts (default 30), one at a time; from the commit
 *   returning to a GetItem seeing the item (polled every 25 ms).
 * - item write -> row applied: the same number of service writes on those items; from UpdateItem returning
 *   to the row holding the value (polled every 25 ms).
 * Each change waits at most 30 s, the whole bench at most SYNC_MINISTACK_SECONDS (default 300). Needs
 * CUTOVER_ENDPOINT and the outputs of the e2e deploy (.cutover/outputs-<port>.json or
 * CUTOVER_OUTPUTS_FILE); skipped without CUTOVER_ENDPOINT. The schema is dropped and sync stopped after.
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Polls until `done` or the deadline; returns when it became true (ms since epoch) or undefined. */
async function until(done: () => Promise<boolean>, deadline: number): Promise<number | undefined> {
  while (Date.now() < deadline) {
    if (await done()) return Date.now();
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

export async function run(): Promise<BenchResult[]> {
  const endpoint = process.env.CUTOVER_ENDPOINT;
  if (!endpoint) return [{ name: 'sync on MiniStack: skipped (set CUTOVER_ENDPOINT to a deployed emulator)', figure: NaN, unit: 'ms' }];
  const outputs = outputsFor(endpoint);
  const out = (key: string): string =>
    Object.values(outputs).find((o) => o[key] !== undefined)?.[key] ??
    (() => {
      throw new Error(`no stack output ${key}`);
    })();
  const spec = parseSpec(config);
  const tables = JSON.parse(out('MigrationTables')) as Record<string, string>;
  const inventory = tables.stock;
  const n = num('SYNC_MINISTACK_CHANGES', 30);
  const benchDeadline = Date.now() + num('SYNC_MINISTACK_SECONDS', 300) * 1000;
  const cfg = sdkConfig(endpoint);
  const dynamo = new DynamoDBClient(cfg);
  const syncSwitch = new SyncSwitch({
    relayRuleName: out('SyncRelayRuleName'),
    streamFunctionName: out('SyncStreamFunctionName'),
    sourceSecretArn: out('SyncSourceSecretArn'),
    lambda: new LambdaClient(cfg),
    eventBridge: new EventBridgeClient(cfg),
    secrets: new SecretsManagerClient(cfg),
  });
  const schema = `a11e_bench_${process.pid}_${Date.now().toString(36)}`;
  const tag = Date.now().toString(36).toUpperCase().slice(-4); // sku is VARCHAR(8)
  const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
  await admin.exec(`CREATE SCHEMA "${schema}"`);
  const url = `${PG_URL}?schema=${schema}`;
  const db = await openCaptureDatabase(url, { connections: 2 });
  const stop = new AbortController();
  let relayRun: Promise<unknown> | undefined;
  const loadStart = os.loadavg()[0];
  try {
    await createShopSchema(db);
    await installCapture(db, { tables: ['stock'] });
    await new SecretsManagerClient(cfg).send(
      new PutSecretValueCommand({ SecretId: out('SyncSourceSecretArn'), SecretString: JSON.stringify({ url }) }),
    );
    await syncSwitch.start();
    const relay = new ChangeRelay(
      db,
      new SqsFifoSink({
        client: new SQSClient(cfg),
        queueUrl: out('SyncChangesQueueUrl'),
        groupKey: groupKeyFunction(spec.migration!, ['stock']),
      }),
      { source: 'shop', name: `shop-${schema}` },
    );
    relayRun = relay.run({ maxDurationMs: benchDeadline - Date.now(), pollIntervalMs: 20, signal: stop.signal });

    const key = (sku: string) => ({ sku: { S: sku }, warehouse: { S: 'W1' } });
    const itemOnHand = async (sku: string) =>
      (
        (await dynamo.send(new GetItemCommand({ TableName: inventory, Key: key(sku), ConsistentRead: true }))).Item?.onHand as
          { N: string } | undefined
      )?.N;
    const rowOnHand = async (sku: string) => (await db.query(`SELECT on_hand::text FROM stock WHERE sku = $1`, [sku]))[0]?.[0];

    const toItem: number[] = [];
    const toRow: number[] = [];
    let lostToItem = 0;
    let lostToRow = 0;
    const skus = Array.from({ length: n }, (_, i) => `B${tag}${i}`);
    // A first change warms the applier (a cold Lambda start is not the steady-state latency).
    await db.exec(stockRow(`W${tag}`, 1));
    await until(async () => (await itemOnHand(`W${tag}`)) === '1', Math.min(benchDeadline, Date.now() + 60_000));
    for (const sku of skus) {
      await db.exec(stockRow(sku, 10));
      const committed = Date.now();
      const seen = await until(async () => (await itemOnHand(sku)) === '10', Math.min(benchDeadline, committed + 30_000));
      if (seen === undefined) lostToItem++;
      else toItem.push(seen - committed);
    }
    await dynamo.send(
      new UpdateItemCommand({
        TableName: inventory,
        Key: key(`W${tag}`),
        UpdateExpression: 'SET onHand = :n',
        ExpressionAttributeValues: { ':n': { N: '2' } },
      }),
    );
    await until(async () => (await rowOnHand(`W${tag}`)) === '2', Math.min(benchDeadline, Date.now() + 60_000));
    for (const sku of skus) {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: inventory,
          Key: key(sku),
          UpdateExpression: 'SET onHand = :n',
          ExpressionAttributeValues: { ':n': { N: '7' } },
        }),
      );
      const written = Date.now();
      const seen = await until(async () => (await rowOnHand(sku)) === '7', Math.min(benchDeadline, written + 30_000));
      if (seen === undefined) lostToRow++;
      else toRow.push(seen - written);
    }
    const load = `load average ${loadStart.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`;
    const note = (count: number, missed: number) =>
      `${count} of ${n} changes, one at a time, polled every 25 ms; ${missed} not seen within 30 s; ${load}; ${emulatorLabel(endpoint)}`;
    return [
      {
        name: 'commit -> item applied p50 (MiniStack, PostgreSQL)',
        figure: percentile(toItem, 50),
        unit: 'ms',
        note: note(toItem.length, lostToItem),
      },
      {
        name: 'commit -> item applied p95 (MiniStack, PostgreSQL)',
        figure: percentile(toItem, 95),
        unit: 'ms',
        target: 'reported (AWS seed target p95 < 100 ms)',
        note: note(toItem.length, lostToItem),
      },
      { name: 'item write -> row applied p50 (MiniStack)', figure: percentile(toRow, 50), unit: 'ms', note: note(toRow.length, lostToRow) },
      {
        name: 'item write -> row applied p95 (MiniStack)',
        figure: percentile(toRow, 95),
        unit: 'ms',
        target: 'reported',
        note: note(toRow.length, lostToRow),
      },
      {
        name: 'changes not applied within 30 s (both directions)',
        figure: lostToItem + lostToRow,
        unit: 'changes',
        target: '0',
        ok: lostToItem + lostToRow === 0,
      },
    ];
  } finally {
    stop.abort();
    await relayRun?.catch(() => undefined);
    await syncSwitch.stop().catch(() => undefined);
    await db.close();
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
    dynamo.destroy();
  }
}
