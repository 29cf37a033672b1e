/**
 * The S3 export backfill's worker (functions/backfill-worker, DataStackProps.exportBackfill) on the emulator:
 * a seeded monolith's orders exported as JSON lines (one file gzipped, with a line that is not a row)
 * uploaded to the deployed export bucket, the deployed worker invoked with one batch exactly as the
 * Distributed Map hands it (the S3 listing entries of the files), and the orders table and the rejects
 * report checked against what the mapping makes of the monolith's rows.
 *
 * The map itself does not run here: MiniStack has no Distributed Map ItemReader/ResultWriter (README
 * "Emulator gaps"); its definition and grants are checked in the infra tier.
 */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { PgliteSource } from '../../adapters/sql/pglite';
import type { BatchResult } from '../../functions/backfill-worker/worker';
import { keyText, type CompiledEntity, type Item } from '../../core/migration';
import { createMonolithSchema, openWriter, seedMonolith } from '../../monolith/database';
import { startPgliteWorker } from '../functions/migration-pglite-worker';
import { loadE2eContext, sdkConfig, stackOutput, type E2eContext } from './harness';
import { deployedTable, emptyTable, migrationEntity } from './migration-driver';

const ORDERS = 30;
const BAD_ROWS = 2;

describe('e2e: the export backfill worker on the deployed data stack', () => {
  let context: E2eContext;
  let dynamo: DynamoDBClient;
  let s3: S3Client;
  let lambda: LambdaClient;
  let orders: CompiledEntity;
  let table: string;
  let bucket: string;
  const prefix = `exports/orders/e2e-${Date.now()}/`;
  const lines: string[] = [];
  const expected = new Map<string, Item>();

  beforeAll(async () => {
    context = loadE2eContext();
    dynamo = new DynamoDBClient(sdkConfig(context.endpoint));
    s3 = new S3Client({ ...sdkConfig(context.endpoint), forcePathStyle: true });
    lambda = new LambdaClient(sdkConfig(context.endpoint));
    orders = migrationEntity('orders');
    table = deployedTable(context, 'orders');
    bucket = process.env.CUTOVER_EXPORT_BUCKET ?? `cutover-e2e-exports-${context.port}`;

    // The export: each root row as an object by column name, its order lines under the child's name.
    const pglite = await startPgliteWorker();
    try {
      const writer = await openWriter('pglite://memory', { pglite: pglite.db });
      await createMonolithSchema(writer);
      await seedMonolith(writer, { orders: ORDERS, badRows: BAD_ROWS });
      const source = new PgliteSource(pglite.db, 'pglite://memory');
      for await (const page of source.scanEntity(orders, null, null, 1000)) {
        for (const { row, children } of page.rows) {
          const line: Record<string, unknown> = Object.fromEntries(orders.root.columns.map((c, i) => [c, row[i]]));
          orders.children.forEach((child, i) => {
            line[child.name] = children[i].map((r) => Object.fromEntries(child.columns.map((c, j) => [c, r[j]])));
          });
          lines.push(JSON.stringify(line));
          for (const item of orders.mapRow(row, children).items ?? []) expected.set(keyText(item, orders.keyAttributes), item);
        }
      }
    } finally {
      await pglite.close();
    }
    await emptyTable(dynamo, table, orders.keyAttributes);
  }, 180_000);

  afterAll(async () => {
    // Leave the orders table as the other suites expect it: empty (data.test.ts empties it before it starts too).
    await emptyTable(dynamo, table, orders.keyAttributes).catch(() => undefined);
    dynamo.destroy();
    s3.destroy();
    lambda.destroy();
  });

  it('copies a batch of files (plain and gzipped) into the orders table and reports every reject with its file, line and key', async () => {
    // Prepare: two data files under the export prefix, the second gzipped and ending in a line that is not a row.
    const half = Math.floor(lines.length / 2);
    const plainKey = `${prefix}part-00000.json`;
    const gzKey = `${prefix}part-00001.json.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: plainKey, Body: `${lines.slice(0, half).join('\n')}\n` }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: gzKey, Body: gzipSync(`${lines.slice(half).join('\n')}\n{"order_no": \n`) }));
    // The map's item: the S3 listing entries of the files (ItemReader), batched (ItemBatcher) under `files`.
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const files = (listing.Contents ?? []).map((o) => ({
      Key: o.Key!,
      Size: o.Size,
      ETag: o.ETag,
      LastModified: o.LastModified?.toISOString(),
      StorageClass: o.StorageClass,
    }));
    expect(files.map((f) => f.Key).sort()).toEqual([plainKey, gzKey]);

    // Act
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: stackOutput(context, 'ExportBackfillWorkerName'),
        Payload: Buffer.from(JSON.stringify({ entity: 'orders', table, files })),
      }),
    );
    const payload = Buffer.from(response.Payload ?? []).toString();
    expect(response.FunctionError).toBeUndefined();
    const result = JSON.parse(payload) as BatchResult;

    // Assess: counts, then the rejects report, then the table item by item.
    expect(result).toMatchObject({ entity: 'orders', table, files: 2, rows: ORDERS - BAD_ROWS, rejected: BAD_ROWS + 1 });
    expect(result.items).toBe(expected.size);
    const refused = result.rejects.filter((r) => r.key !== undefined);
    expect(refused).toHaveLength(BAD_ROWS);
    for (const r of refused) {
      expect([plainKey, gzKey]).toContain(r.file);
      expect(r.line).toBeGreaterThan(0);
      // The line named is the row the key names.
      const inFile = r.file === plainKey ? lines.slice(0, half) : lines.slice(half);
      const row = JSON.parse(inFile[r.line - 1]) as Record<string, unknown>;
      expect(Object.values(r.key!).map(String)).toEqual(Object.keys(r.key!).map((k) => String(row[k])));
      expect(r.reason).not.toBe('');
    }
    expect(result.rejects.find((r) => r.key === undefined)).toEqual({
      file: gzKey,
      line: lines.length - half + 1,
      reason: expect.stringMatching(/^not JSON/),
    });
    const written = new Map<string, Item>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of (page.Items ?? []) as Item[]) written.set(keyText(item, orders.keyAttributes), item);
      start = page.LastEvaluatedKey;
    } while (start);
    expect(written).toEqual(expected);
  }, 120_000);
});
