import { PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { boundedKey, boundedProblems, boundedText, originalKey, utf8Head } from '../../core/audit/bounds';
import type { QuarantineReason } from '../../core/translate/translator';
import { documentClient } from '../aws/clients';
import { isConditionFailure } from './audit-store';

/** One quarantined event: enough to understand the problem and to put the original back on its bus. */
export interface QuarantineRecord {
  readonly reason: QuarantineReason;
  /** The event's own time (EventBridge `time`), ISO 8601: the sort key starts with it. */
  readonly eventTime: string;
  /** The EventBridge id of the quarantined event: with eventTime, the idempotency key. */
  readonly eventBridgeId: string;
  /** `legacy` or `services`: where the event was seen. */
  readonly bus: string;
  readonly detailType?: string;
  readonly source?: string;
  /** The original detail as JSON text, byte for byte what the bus delivered. */
  readonly payload: string;
  /** Each problem names the field and the value. */
  readonly problems: readonly string[];
  /** The audit stream the decision was logged to. */
  readonly stream: string;
  readonly quarantinedAt: string;
}

export interface QuarantineItem extends QuarantineRecord {
  readonly sk: string;
}

export interface QuarantineQuery {
  readonly reason: QuarantineReason;
  /** Inclusive lower bound on the event time (ISO 8601). */
  readonly since?: string;
  /** Exclusive upper bound on the event time (ISO 8601). */
  readonly until?: string;
  /** Newest first. @default false */
  readonly newestFirst?: boolean;
  readonly pageSize?: number;
}

/** The sort key: event time first so a reason's records read in time order, then the id for uniqueness. */
export function quarantineSortKey(eventTime: string, eventBridgeId: string): string {
  // Both parts come from the event: bounded so the key stays under DynamoDB's 1,024 bytes.
  return `${boundedKey(eventTime, 64)}#${boundedKey(eventBridgeId)}`;
}

/**
 * The record as it can be stored whatever the event held: keys bounded, at most 100 problems, the payload
 * cut at 300 KB with its size and hash (`payloadCut`) so the item stays under DynamoDB's 400 KB. An event
 * delivered by EventBridge is at most 256 KiB, so only a direct invocation can ever be cut.
 */
export function storableQuarantine(record: QuarantineRecord): Record<string, unknown> {
  const payload = boundedText(record.payload);
  const attr = (v: string | undefined) => (v === undefined ? undefined : utf8Head(v, 2048));
  const eventBridgeId = boundedKey(record.eventBridgeId);
  return {
    ...record,
    eventBridgeId,
    ...(eventBridgeId !== record.eventBridgeId ? { originalEventBridgeId: originalKey(record.eventBridgeId) } : {}),
    detailType: attr(record.detailType),
    source: attr(record.source),
    stream: attr(record.stream),
    eventTime: attr(record.eventTime),
    payload: payload.text,
    ...(payload.cut ? { payloadCut: payload.cut } : {}),
    problems: boundedProblems(record.problems),
    sk: quarantineSortKey(record.eventTime, record.eventBridgeId),
  };
}

/**
 * The quarantine table: partition `reason`, sort key `<event time>#<EventBridge id>`. A redelivered event
 * has the same key, so the conditional put makes recording idempotent and never overwrites.
 */
export class QuarantineStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  public constructor(options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
  }

  public async put(record: QuarantineRecord): Promise<'stored' | 'duplicate'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: storableQuarantine(record),
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return 'stored';
    } catch (err) {
      if (isConditionFailure(err)) return 'duplicate';
      throw err;
    }
  }

  /** A reason's records in event-time order (or newest first), page by page. */
  public async *query(q: QuarantineQuery): AsyncGenerator<QuarantineItem> {
    // '0' sorts before any ISO time and '~' after every '#<id>' suffix: open bounds stay inside the key space.
    const from = q.since ?? '0';
    const to = q.until ?? '~';
    for await (const page of paginateQuery(
      { client: this.client, pageSize: q.pageSize },
      {
        TableName: this.tableName,
        KeyConditionExpression: '#reason = :reason AND sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#reason': 'reason' },
        ExpressionAttributeValues: { ':reason': q.reason, ':from': from, ':to': to },
        ScanIndexForward: !q.newestFirst,
      },
    )) {
      for (const item of page.Items ?? []) {
        // BETWEEN is inclusive; `until` is exclusive on the time part.
        if (q.until !== undefined && String(item.sk) >= q.until) continue;
        yield item as QuarantineItem;
      }
    }
  }
}
