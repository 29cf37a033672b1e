import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { PgliteSource } from '../../adapters/sql/pglite';
import { keyText, type Item } from '../../core/migration';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { handler } from '../../functions/backfill-worker/handler';
import { resetSpecCache } from '../../functions/shared/spec';
import { createMonolithSchema, openWriter, seedMonolith } from '../../monolith/database';
import { createTableFor, entity, scanAll, startDynalite, type Dynalite } from './migration-support';
import { startPgliteWorker } from './migration-pglite-worker';

/*
 * The Distributed Map backfill's worker, invoked directly with a batch as the map would: export files of
 * a seeded monolith (JSON lines, one gzipped) in a mocked S3, the service table in dynalite. The items it
 * writes must be exactly what the mapping makes of the monolith's rows, and every bad row a reject.
 */
/** Rows seeded, the bad ones among them (the mapping refuses those). */
const ORDERS = 40;
const BAD = 2;
const orders = entity('orders');
const s3 = mockClient(S3Client);

describe('Function: backfill-worker handler', () => {
  let dynamo: Dynalite;
  let pglite: Awaited<ReturnType<typeof startPgliteWorker>>;
  const lines: string[] = [];
  const expected = new Map<string, Item>();
  const saved = { ...process.env };

  beforeAll(async () => {
    pglite = await startPgliteWorker();
    const writer = await openWriter('pglite://memory', { pglite: pglite.db });
    await createMonolithSchema(writer);
    await seedMonolith(writer, { orders: ORDERS, badRows: BAD });
    // The export: each root row as an object by column name, its order lines under the child's name.
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
    dynamo = await startDynalite();
    await createTableFor(dynamo.client, orders, 'svc-orders');
    Object.assign(process.env, {
      CUTOVER_SPEC_JSON: JSON.stringify(parseSpec(config)),
      AWS_ENDPOINT_URL: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      EXPORT_BUCKET: 'exports',
    });
    resetSpecCache();
  }, 120_000);

  afterAll(async () => {
    process.env = saved;
    resetSpecCache();
    await dynamo?.close();
    await pglite?.close();
  });

  // The SDK hands the worker a Node stream; a plain one stands in for it.
  const body = (data: Buffer | string) => Readable.from([Buffer.from(data)]) as never;

  it('copies a batch of files (plain and gzipped) into the table, and reports the rejects', async () => {
    // Prepare: two files, the second gzipped and with one line that is not a row.
    const half = Math.floor(lines.length / 2);
    s3.on(GetObjectCommand, { Bucket: 'exports', Key: 'orders/part-0.json' }).resolves({ Body: body(lines.slice(0, half).join('\n')) });
    s3.on(GetObjectCommand, { Bucket: 'exports', Key: 'orders/part-1.json.gz' }).resolves({
      Body: body(gzipSync(`${lines.slice(half).join('\n')}\n{"order_no": \n\n`)),
    });

    // Act
    const result = await handler({
      entity: 'orders',
      table: 'svc-orders',
      files: [{ Key: 'orders/part-0.json', Size: 1 }, { Key: 'orders/part-1.json.gz' }],
    });

    // Assess
    expect(result).toMatchObject({ entity: 'orders', table: 'svc-orders', files: 2, rows: ORDERS - BAD, rejected: BAD + 1 });
    expect(result.items).toBe(expected.size);
    expect(result.rejects.filter((r) => r.key !== undefined)).toHaveLength(BAD);
    expect(result.rejects.find((r) => r.key === undefined)).toMatchObject({
      file: 'orders/part-1.json.gz',
      reason: expect.stringMatching(/^not JSON/),
    });
    const written = await scanAll(dynamo.client, 'svc-orders');
    expect(new Map(written.map((i) => [keyText(i, orders.keyAttributes), i]))).toEqual(expected);
  }, 60_000);

  it('refuses a batch for an entity the spec does not have, or without files', async () => {
    await expect(handler({ entity: 'invoices', table: 't', files: [] })).rejects.toThrow('"invoices" is not an entity');
    await expect(handler({ entity: 'orders', table: 't' })).rejects.toThrow('files must be a list of { Key }');
    await expect(handler(null)).rejects.toThrow('expected { entity, table, files }');
  });
});
