import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { keyText, TargetError, type Item } from '../../core/migration';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { ExportFileSource, ExportFileWriter } from '../../adapters/migration-target/export-file';
import { createTableFor, entity, scanAll, startDynalite, tempDir, type Dynalite } from './migration-support';

const orders = entity('orders');
const item = (n: number, extra: Item = {}): Item => ({ pk: { S: `ORDER#${n}` }, sk: { S: 'ORDER' }, total: { N: `${n}.5` }, ...extra });

describe('Class: DynamoTable (dynalite)', () => {
  let dynamo: Dynalite;
  let table: DynamoTable;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createTableFor(dynamo.client, orders, 'orders-adapter');
    table = new DynamoTable(dynamo.client, 'orders-adapter', { keyAttributes: orders.keyAttributes, scanSegments: 3 });
  });
  afterAll(() => dynamo.close());

  describe('Method: writeBatch', () => {
    it('writes a batch, and writing it again leaves the same items (idempotent)', async () => {
      const batch = Array.from({ length: 25 }, (_, i) => item(i + 1));
      await table.writeBatch(batch);
      await table.writeBatch(batch);
      const stored = await scanAll(dynamo.client, 'orders-adapter');
      expect(stored).toHaveLength(25);
      expect(stored.find((i) => (i.pk as { S: string }).S === 'ORDER#7')).toEqual(item(7));
    });

    it('refuses more than 25 items', async () => {
      await expect(table.writeBatch(Array.from({ length: 26 }, (_, i) => item(i)))).rejects.toThrow('at most 25 items, got 26');
    });
  });

  describe('Method: scanItems', () => {
    it('visits every item exactly once across parallel segments', async () => {
      await table.writeBatch(Array.from({ length: 25 }, (_, i) => item(100 + i)));
      const seen: string[] = [];
      await table.scanItems((i) => seen.push(keyText(i, orders.keyAttributes)));
      expect(seen).toHaveLength(50);
      expect(new Set(seen).size).toBe(50);
    });
  });

  describe('Method: fetch', () => {
    it('reads items back by key text and leaves out keys that are not there', async () => {
      const wanted = [item(3), item(104), item(999)].map((i) => ({ key: keyText(i, orders.keyAttributes), locator: '' }));
      const found = await table.fetch(wanted);
      expect([...found.keys()].sort()).toEqual([wanted[0].key, wanted[1].key].sort());
      expect(found.get(wanted[1].key)).toEqual(item(104));
    });
  });
});

describe('Class: DynamoTable (retries)', () => {
  // Mock this one client, not the class: the dynalite tests above use real clients.
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const ddb = mockClient(client);
  afterEach(() => ddb.reset());
  afterAll(() => ddb.restore());
  const delays: number[] = [];
  const make = (maxAttempts = 5) =>
    new DynamoTable(client, 'orders', {
      keyAttributes: ['pk', 'sk'],
      maxAttempts,
      backoff: { baseMs: 100, capMs: 1000 },
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
  beforeEach(() => delays.splice(0));

  it('retries unprocessed items with growing backoff until all are written', async () => {
    // Prepare
    const left = { orders: [{ PutRequest: { Item: item(2) } }] } as never;
    ddb.on(BatchWriteItemCommand).resolvesOnce({ UnprocessedItems: left }).resolvesOnce({ UnprocessedItems: left }).resolves({});

    // Act
    const stats = await make().writeBatch([item(1), item(2)]);

    // Assess
    expect(stats).toEqual({ requests: 3, retries: 2 });
    expect(delays).toEqual([50, 100]);
    const calls = ddb.commandCalls(BatchWriteItemCommand);
    expect(calls[1].args[0].input.RequestItems?.orders).toEqual([{ PutRequest: { Item: item(2) } }]);
  });

  it('retries throttling, then succeeds', async () => {
    ddb
      .on(BatchWriteItemCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }))
      .resolves({});
    expect(await make().writeBatch([item(1)])).toEqual({ requests: 2, retries: 1 });
  });

  it('gives up after the last attempt with a TargetError naming the table and what is left', async () => {
    ddb.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { orders: [{ PutRequest: { Item: item(1) } }] } as never });
    const error = await make(3)
      .writeBatch([item(1)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).message).toBe(
      'dynamodb://orders: BatchWriteItem failed after 3 attempt(s): Error: 1 item(s) still unprocessed',
    );
    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
  });

  it('does not retry an error that is not transient', async () => {
    ddb.on(BatchWriteItemCommand).rejects(
      Object.assign(new Error('One or more parameter values were invalid'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(make().writeBatch([item(1)])).rejects.toThrow(
      'dynamodb://orders: BatchWriteItem failed after 1 attempt(s): ValidationException: One or more parameter values were invalid',
    );
    expect(ddb.commandCalls(BatchWriteItemCommand)).toHaveLength(1);
  });
});

describe('Class: ExportFileSource', () => {
  const dir = tempDir('export');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads plain and gzipped export files, and finds items again by locator', async () => {
    // Prepare: an export directory as S3 export lays it out (data files plus a manifest to skip).
    const plain = new ExportFileWriter(path.join(dir, 'data', 'a.json'));
    for (let i = 1; i <= 3; i++) plain.write(item(i, { note: { S: `line ${i} ü` } }));
    plain.close();
    const gz = Array.from({ length: 3 }, (_, i) => `{"Item":${JSON.stringify(item(10 + i))}}`).join('\n');
    fs.writeFileSync(path.join(dir, 'data', 'b.json.gz'), zlib.gzipSync(gz));
    fs.writeFileSync(path.join(dir, 'manifest-summary.json'), '{"not":"data"}\n');
    const source = new ExportFileSource(dir, orders.keyAttributes);

    // Act
    const seen: { key: string; locator: string }[] = [];
    await source.scanItems((i, locator) => seen.push({ key: keyText(i, orders.keyAttributes), locator }));
    const found = await source.fetch([seen[1], seen[4]]);

    // Assess
    expect(seen).toHaveLength(6);
    expect(found.get(seen[1].key)).toEqual(item(2, { note: { S: 'line 2 ü' } }));
    expect(found.get(seen[4].key)).toEqual(item(11));
  });

  it('names the file and the line of a line that is not JSON', async () => {
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, `{"Item":${JSON.stringify(item(1))}}\n{"Item": {oops\n`);
    await expect(new ExportFileSource(file, orders.keyAttributes).scanItems(() => undefined)).rejects.toThrow(
      `${file}: line 2 is not JSON`,
    );
  });

  it('says so when the export holds no data files', () => {
    const empty = tempDir('empty-export');
    expect(() => new ExportFileSource(empty, ['pk'])).toThrow('holds no .json, .jsonl or .json.gz data files');
    fs.rmSync(empty, { recursive: true });
  });
});
