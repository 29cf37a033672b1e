import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

/*
 * One step of the baseline saga: one DynamoDB write, nothing else (no bridge, no audit, no events, no
 * idempotency table). Bundled and deployed by the saga-ministack bench only.
 */
const client = new DynamoDBClient({});

export async function handler(input: { orderId: string; steps?: string[] }): Promise<{ orderId: string; steps: string[] }> {
  const step = process.env.BASELINE_STEP ?? 'step';
  await client.send(
    new PutItemCommand({
      TableName: process.env.BASELINE_TABLE_NAME,
      Item: { pk: { S: input.orderId }, sk: { S: step }, at: { S: new Date().toISOString() } },
    }),
  );
  return { orderId: input.orderId, steps: [...(input.steps ?? []), step] };
}
