import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

/*
 * dynalite with the three tables of the replay stack, keyed as lib/constructs/{capture,replay}.ts declare
 * them (the CapturedEvents table with its byTime index). Each call makes tables with fresh names.
 */
export interface ReplayTables {
  readonly db: LocalDynamo;
  readonly captured: string;
  readonly state: string;
  readonly reports: string;
}

let counter = 0;

export async function startReplayTables(existing?: LocalDynamo): Promise<ReplayTables> {
  const db = existing ?? (await startDynalite());
  counter += 1;
  const suffix = `${process.pid}-${counter}`;
  const captured = `captured-${suffix}`;
  const state = `state-${suffix}`;
  const reports = `reports-${suffix}`;
  await db.client.send(
    new CreateTableCommand({
      TableName: captured,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTime',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await db.client.send(
    new CreateTableCommand({
      TableName: state,
      AttributeDefinitions: [{ AttributeName: 'replayId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'replayId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await db.createTable(reports, 'replayId', 'sk');
  return { db, captured, state, reports };
}
