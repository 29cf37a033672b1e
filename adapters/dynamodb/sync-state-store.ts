import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SyncSide } from '../../core/sync/change';
import type { SyncRecord } from '../../core/sync/record';
import type { ConflictFinding } from '../../core/sync/engine';
import { documentClient } from '../aws/clients';
import { isConditionFailure } from './audit-store';

/** A change waiting behind a parked key, in the form its applier takes it back. */
export interface QueuedChange {
  /** The side the change goes to. */
  readonly target: SyncSide;
  /** Its position on the side it came from (orders the queue). */
  readonly position: string;
  /** The message as the applier received it (a RowChange or a stream record), JSON. */
  readonly body: string;
}

/** What the services -> monolith applier keeps per key: the last stream position applied, and one in flight. */
export interface StreamKeyState {
  readonly position?: string;
  readonly inflight?: {
    readonly position: string;
    readonly result: SyncRecord | null;
    readonly conflict?: ConflictFinding;
    /** Conflicts of the same write on embedded child elements. */
    readonly conflicts?: readonly ConflictFinding[];
  };
}

const pad = (position: string) => position.padStart(40, '0');

/**
 * The sync's per-key state (partition `pk`, sort key `sk`):
 * - `park#<entity>#<key>` / `head`: the key is parked behind an open manual conflict; `q#<side>#<position>`:
 *   the changes queued behind it, in order, until the conflict is resolved.
 * - `svc#<entity>#<key>` / `state`: the last stream position the monolith applier applied and the write it
 *   has in flight, so a redelivered stream record is applied once even across a crash (see the applier).
 * The monolith -> services applier needs no entry here: its position lives on the item itself, written in
 * the same conditional update as the data.
 */
export class SyncStateStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  public constructor(options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
  }

  /** Parks a key behind a conflict. Returns the conflict it is parked behind (an earlier one wins). */
  public async park(entity: string, key: string, conflictId: string, at: string): Promise<string> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `park#${entity}#${key}`, sk: 'head', entity, key, conflictId, parkedAt: at },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return conflictId;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return (await this.parkedBy(entity, key)) ?? conflictId;
    }
  }

  /** The conflict a key is parked behind, if any. */
  public async parkedBy(entity: string, key: string): Promise<string | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `park#${entity}#${key}`, sk: 'head' }, ConsistentRead: true }),
    );
    return res.Item?.conflictId as string | undefined;
  }

  /** Queues a change behind a parked key. A redelivered change is queued once. */
  public async enqueue(entity: string, key: string, change: QueuedChange): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `park#${entity}#${key}`, sk: `q#${change.target}#${pad(change.position)}`, ...change },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** The changes queued behind a key, per target side in position order. */
  public async queued(entity: string, key: string): Promise<QueuedChange[]> {
    const out: QueuedChange[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :q)',
          ExpressionAttributeValues: { ':pk': `park#${entity}#${key}`, ':q': 'q#' },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const i of res.Items ?? []) out.push({ target: i.target as SyncSide, position: i.position as string, body: i.body as string });
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }

  /** Drops one queued change once it has been applied. */
  public async dequeue(entity: string, key: string, change: QueuedChange): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `park#${entity}#${key}`, sk: `q#${change.target}#${pad(change.position)}` },
      }),
    );
  }

  /** Unparks a key (after its conflict is resolved and its queue drained). */
  public async unpark(entity: string, key: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `park#${entity}#${key}`, sk: 'head' } }));
  }

  /** The services -> monolith applier's state for a key. */
  public async streamState(entity: string, key: string): Promise<StreamKeyState> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `svc#${entity}#${key}`, sk: 'state' }, ConsistentRead: true }),
    );
    if (!res.Item) return {};
    return {
      ...(res.Item.position ? { position: res.Item.position as string } : {}),
      ...(res.Item.inflight ? { inflight: JSON.parse(res.Item.inflight as string) } : {}),
    };
  }

  /** Marks a write in flight before it is sent to the monolith, with the conflict it settles if any. */
  public async markInflight(
    entity: string,
    key: string,
    position: string,
    result: SyncRecord | null,
    conflict?: ConflictFinding,
    conflicts: readonly ConflictFinding[] = [],
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `svc#${entity}#${key}`, sk: 'state' },
        UpdateExpression: 'SET inflight = :i',
        ExpressionAttributeValues: {
          ':i': JSON.stringify({ position, result, ...(conflict ? { conflict } : {}), ...(conflicts.length ? { conflicts } : {}) }),
        },
      }),
    );
  }

  /** Records a stream position as applied (monotonic: an older one never overwrites a newer one). */
  public async markApplied(entity: string, key: string, position: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `svc#${entity}#${key}`, sk: 'state' },
          UpdateExpression: 'SET #p = :p, padded = :pp REMOVE inflight',
          ConditionExpression: 'attribute_not_exists(padded) OR padded < :pp',
          ExpressionAttributeNames: { '#p': 'position' },
          ExpressionAttributeValues: { ':p': position, ':pp': pad(position) },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

/** Whether stream position `a` is at or before `b` (decimal text of any length). */
export function positionAtOrBefore(a: string, b: string | undefined): boolean {
  return b !== undefined && pad(a) <= pad(b);
}
