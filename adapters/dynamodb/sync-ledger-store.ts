import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEDGER_STATUS_INDEX, type ConflictEntry, type ConflictStatus } from '../../core/sync/ledger';

export { LEDGER_STATUS_INDEX };
import type { SyncRecord } from '../../core/sync/record';
import { SyncError } from '../../core/sync/errors';
import { documentClient } from '../aws/clients';
import { isConditionFailure } from './audit-store';

/** What a manual resolution records. */
export interface ManualResolution {
  readonly take: 'monolith' | 'service' | 'merged';
  readonly result: SyncRecord | null;
  readonly actor: string;
  readonly reason: string;
  readonly at: string;
}

const RECORD_FIELDS = ['base', 'monolith', 'service', 'result'] as const;

/**
 * The conflict ledger: partition `conflictId`, one item per conflict, never deleted. The records (base and
 * both versions) are stored as JSON text so any attribute shape round-trips exactly. The conflict id is
 * derived from the change and the state it met, so a redelivered change records nothing twice.
 */
export class SyncLedgerStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  public constructor(options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
  }

  public async record(entry: ConflictEntry): Promise<'stored' | 'duplicate'> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: toItem(entry), ConditionExpression: 'attribute_not_exists(conflictId)' }),
      );
      return 'stored';
    } catch (err) {
      if (isConditionFailure(err)) return 'duplicate';
      throw err;
    }
  }

  public async get(conflictId: string): Promise<ConflictEntry | undefined> {
    const res = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { conflictId }, ConsistentRead: true }));
    return res.Item ? fromItem(res.Item) : undefined;
  }

  /** A status's conflicts, oldest first, page by page. */
  public async *list(status: ConflictStatus, pageSize = 100): AsyncGenerator<ConflictEntry> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: LEDGER_STATUS_INDEX,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status },
          Limit: pageSize,
          ExclusiveStartKey,
        }),
      );
      for (const item of res.Items ?? []) yield fromItem(item);
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /** Settles an open conflict. Refuses one that is already resolved (two people resolving at once). */
  public async resolve(conflictId: string, r: ManualResolution): Promise<ConflictEntry> {
    try {
      const res = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { conflictId },
          UpdateExpression: 'SET #s = :resolved, #r = :result, winner = :take, resolvedBy = :by, resolvedAt = :at, reason = :reason',
          ConditionExpression: '#s = :open',
          ExpressionAttributeNames: { '#s': 'status', '#r': 'result' },
          ExpressionAttributeValues: {
            ':resolved': 'resolved',
            ':open': 'open',
            ':result': JSON.stringify(r.result),
            ':take': r.take,
            ':by': `user:${r.actor}`,
            ':at': r.at,
            ':reason': r.reason,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(res.Attributes!);
    } catch (err) {
      if (isConditionFailure(err)) {
        const now = await this.get(conflictId);
        throw new SyncError(
          now
            ? `conflict ${conflictId} is already resolved (by ${now.resolvedBy ?? 'unknown'})`
            : `no conflict ${conflictId} in the ledger`,
          { conflictId },
          { cause: err },
        );
      }
      throw err;
    }
  }
}

function toItem(entry: ConflictEntry): Record<string, unknown> {
  const item: Record<string, unknown> = { ...entry, fields: [...entry.fields] };
  for (const f of RECORD_FIELDS) if (f in entry) item[f] = JSON.stringify(entry[f]);
  return item;
}

function fromItem(item: Record<string, unknown>): ConflictEntry {
  const out: Record<string, unknown> = { ...item };
  for (const f of RECORD_FIELDS) if (typeof item[f] === 'string') out[f] = JSON.parse(item[f] as string);
  return out as unknown as ConflictEntry;
}
