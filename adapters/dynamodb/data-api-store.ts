import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VERSION_ATTRIBUTE } from '../../core/api/model';
import { WriteConflictError, type DataStore, type StoredItem } from '../../core/api/engine';
import type { KeyCondition, ListPlan } from '../../core/api/query';

/**
 * The generated APIs' DynamoDB store: GetItem, one Query or Scan page per list request (never a loop of
 * them: a page costs one call however selective the filter), and PutItem conditional on the version.
 * Spec table names are mapped to deployed ones (`<stack>-<table>`).
 */
export class DynamoDbDataStore implements DataStore {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    /** Spec table name -> deployed table name. */
    private readonly tables: Readonly<Record<string, string>>,
  ) {}

  private name(table: string): string {
    const n = this.tables[table];
    if (!n)
      throw new Error(`no deployed table for spec table ${table} (DATA_API_TABLES lists ${Object.keys(this.tables).join(', ') || 'none'})`);
    return n;
  }

  public async get(table: string, key: StoredItem): Promise<StoredItem | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.name(table), Key: key, ConsistentRead: true }));
    return out.Item;
  }

  public async page(plan: ListPlan, startKey?: StoredItem): Promise<{ items: StoredItem[]; lastKey?: StoredItem }> {
    const common = { TableName: this.name(plan.table), Limit: plan.limit, ExclusiveStartKey: startKey };
    if (plan.kind === 'scan') {
      const out = await this.doc.send(new ScanCommand(common));
      return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
    }
    const names: Record<string, string> = { '#p': plan.partition!.attribute };
    const values: Record<string, unknown> = { ':p': plan.partition!.value };
    let expression = '#p = :p';
    if (plan.range) expression += ` AND ${rangeExpression(plan.range, names, values)}`;
    const out = await this.doc.send(
      new QueryCommand({
        ...common,
        IndexName: plan.index,
        KeyConditionExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
  }

  public async put(table: string, item: StoredItem, keyAttributes: readonly string[], expected: number | 'absent'): Promise<void> {
    const names: Record<string, string> = { '#v': VERSION_ATTRIBUTE };
    let condition: string;
    const values: Record<string, unknown> = {};
    if (expected === 'absent') {
      names['#k'] = keyAttributes[0];
      condition = 'attribute_not_exists(#k)';
      delete names['#v'];
    } else if (expected === 0) {
      // Backfilled and synced items carry no version until the API first writes them.
      names['#k'] = keyAttributes[0];
      condition = 'attribute_exists(#k) AND (attribute_not_exists(#v) OR #v = :v)';
      values[':v'] = 0;
    } else {
      condition = '#v = :v';
      values[':v'] = expected;
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.name(table),
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        throw new WriteConflictError(
          `conditional write to ${table} failed (expected version ${expected})`,
          { table, expected },
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function rangeExpression(c: KeyCondition, names: Record<string, string>, values: Record<string, unknown>): string {
  names['#r'] = c.attribute;
  values[':r0'] = c.values[0];
  switch (c.op) {
    case 'eq':
      return '#r = :r0';
    case 'gt':
      return '#r > :r0';
    case 'gte':
      return '#r >= :r0';
    case 'lt':
      return '#r < :r0';
    case 'lte':
      return '#r <= :r0';
    case 'beginsWith':
      return 'begins_with(#r, :r0)';
    case 'between':
      values[':r1'] = c.values[1];
      return '#r BETWEEN :r0 AND :r1';
  }
}
