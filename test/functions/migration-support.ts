import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue as SdkValue,
} from '@aws-sdk/client-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { compileEntity, type CompiledEntity, type Item } from '../../core/migration';
import { migrationSectionSchema } from '../../core/spec/migration';
import { shopMigration } from '../../monolith/mapping';
import type { ItemWriter, WriteStats } from '../../adapters/migration-target/target';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo;
  close(cb?: () => void): void;
};

export const section = migrationSectionSchema.parse(shopMigration);
export const entity = (name: keyof typeof section.entities | string): CompiledEntity => compileEntity(name, section.entities[name]);

/** A name prefix unique to this test run, for tables in the shared databases. */
export function uniquePrefix(tag: string): string {
  return `t_${tag}_${process.pid}_${Date.now().toString(36)}_`;
}

export interface Dynalite {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  close(): Promise<void>;
}

/** An in-process DynamoDB (dynalite) on 127.0.0.1 and a random port. */
export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });
  return {
    client,
    endpoint,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Creates the table an entity writes to (once per name). */
export async function createTableFor(client: DynamoDBClient, e: CompiledEntity, name = e.targetTable): Promise<void> {
  const keys = [e.keySchema.partitionKey, ...(e.keySchema.sortKey ? [e.keySchema.sortKey] : [])];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      }),
    );
  } catch (e) {
    if ((e as Error).name !== 'ResourceInUseException') throw e;
  }
}

export async function scanAll(client: DynamoDBClient, table: string): Promise<Item[]> {
  const out: Item[] = [];
  let start: Record<string, SdkValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    out.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export async function getItem(client: DynamoDBClient, table: string, key: Item): Promise<Item | undefined> {
  const out = await client.send(new GetItemCommand({ TableName: table, Key: key as Record<string, SdkValue> }));
  return out.Item as Item | undefined;
}

export async function putItem(client: DynamoDBClient, table: string, item: Item): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: item as Record<string, SdkValue> }));
}

export async function deleteItem(client: DynamoDBClient, table: string, key: Item): Promise<void> {
  await client.send(new DeleteItemCommand({ TableName: table, Key: key as Record<string, SdkValue> }));
}

/** A crash that is not a CutoverError: what a kill looks like from inside the process. */
export class SimulatedCrash extends Error {
  public constructor(public readonly afterBatches: number) {
    super(`simulated crash after ${afterBatches} batches`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * A writer that writes `crashAfter` batches and then crashes: the crashing batch *is* written but never
 * acknowledged, the worst moment for a checkpoint (the next run must write it again, harmlessly).
 */
export class CrashingWriter implements ItemWriter {
  public batches = 0;
  public constructor(
    private readonly inner: ItemWriter,
    private readonly crashAfter: number,
  ) {}
  public async writeBatch(items: readonly Item[]): Promise<WriteStats> {
    const stats = await this.inner.writeBatch(items);
    this.batches++;
    if (this.batches >= this.crashAfter) throw new SimulatedCrash(this.batches);
    return stats;
  }
  public describe(): string {
    return this.inner.describe();
  }
}

/** Counts every item put, to show what a resume writes again. */
export class CountingWriter implements ItemWriter {
  public readonly keys: string[] = [];
  public constructor(
    private readonly inner: ItemWriter,
    private readonly keyOf: (item: Item) => string,
  ) {}
  public async writeBatch(items: readonly Item[]): Promise<WriteStats> {
    const stats = await this.inner.writeBatch(items);
    for (const i of items) this.keys.push(this.keyOf(i));
    return stats;
  }
  public describe(): string {
    return this.inner.describe();
  }
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cutover-${tag}-`));
}
