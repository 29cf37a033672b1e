import { CreateTableCommand, DynamoDBClient, type AttributeDefinition, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AddressInfo } from 'node:net';
import { SAGA_TABLES, type SagaTableName, type TableShape } from '../../../core/saga/tables';

/*
 * An in-process DynamoDB (dynalite) on 127.0.0.1 with the saga's tables, for tests where the conditions
 * matter. Each `createSagaTables` call makes a fresh set under its own prefix, so tests do not share rows.
 */

// dynalite has no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;

export interface Dynalite {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    client,
    doc,
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
      }),
  };
}

let counter = 0;

/** Creates every saga table under a fresh prefix; returns logical name -> table name. */
export async function createSagaTables(db: Dynalite): Promise<Record<SagaTableName, string>> {
  const prefix = `t${++counter}-${process.pid}`;
  const names = {} as Record<SagaTableName, string>;
  for (const [logical, shape] of Object.entries(SAGA_TABLES) as Array<[SagaTableName, TableShape]>) {
    const name = `${prefix}-${logical}`;
    const attrs = new Map<string, AttributeDefinition>();
    const key = (n: string) => attrs.set(n, { AttributeName: n, AttributeType: 'S' });
    key(shape.partitionKey);
    if (shape.sortKey) key(shape.sortKey);
    const keySchema: KeySchemaElement[] = [{ AttributeName: shape.partitionKey, KeyType: 'HASH' }];
    if (shape.sortKey) keySchema.push({ AttributeName: shape.sortKey, KeyType: 'RANGE' });
    for (const idx of shape.indexes ?? []) {
      key(idx.partitionKey);
      if (idx.sortKey) key(idx.sortKey);
    }
    await db.client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [...attrs.values()],
        KeySchema: keySchema,
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: shape.indexes?.map((idx) => ({
          IndexName: idx.name,
          KeySchema: [
            { AttributeName: idx.partitionKey, KeyType: 'HASH' },
            ...(idx.sortKey ? [{ AttributeName: idx.sortKey, KeyType: 'RANGE' as const }] : []),
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
    names[logical] = name;
  }
  return names;
}
