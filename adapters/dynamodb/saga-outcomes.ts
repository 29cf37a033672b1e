import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Counts sagas by outcome from the saga-state table's `bySagaState` index (partition sagaState, sort
 * updatedAt): readiness asks how many ended in CompensationFailed within its window.
 */
export class SagaOutcomes {
  public constructor(private readonly options: { tableName: string; client: DynamoDBDocumentClient }) {}

  /** Sagas in `state` whose row changed at or after `since` (ISO), counted across every page. */
  public async count(state: string, since: string): Promise<number> {
    let total = 0;
    const pages = paginateQuery(
      { client: this.options.client },
      {
        TableName: this.options.tableName,
        IndexName: 'bySagaState',
        KeyConditionExpression: 'sagaState = :s AND updatedAt >= :since',
        ExpressionAttributeValues: { ':s': state, ':since': since },
        Select: 'COUNT',
      },
    );
    for await (const page of pages) total += page.Count ?? 0;
    return total;
  }
}
