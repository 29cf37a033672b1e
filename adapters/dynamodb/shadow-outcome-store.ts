import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../aws/clients';
import { isConditionFailure } from './routing-store';

/** One emitted outcome event, as kept for comparison. */
export interface OutcomeEvent {
  readonly type: string;
  readonly version?: number;
  readonly payload: Record<string, unknown>;
}

/** What one side did with one routed event. */
export interface SideOutcome {
  readonly capability: string;
  readonly eventId: string;
  readonly role: 'authoritative' | 'shadow';
  readonly target: string;
  readonly failed: boolean;
  readonly error?: string;
  readonly outcomes: readonly OutcomeEvent[];
  readonly recordedAt: string;
}

/** How long outcome pairs are kept (DynamoDB TTL on `expiresAt`). */
export const OUTCOME_TTL_SECONDS = 7 * 86_400;

/**
 * The shadow outcomes table: partition `pair` (`<capability>#<eventId>`), sort `role` (`authoritative`,
 * `shadow`, and `compared`, the claim that makes one comparison per pair). Each side records what it did;
 * whichever records second finds the other and compares. Puts are conditional on the key not existing, so a
 * redelivered copy never overwrites the first outcome and only one comparison is ever claimed.
 */
export class ShadowOutcomeStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  public constructor(options: { tableName: string; client?: DynamoDBDocumentClient }) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
  }

  /** Record one side's outcome; `duplicate` when that side already recorded this event. */
  public async record(outcome: SideOutcome): Promise<'stored' | 'duplicate'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...outcome,
            outcomes: outcome.outcomes.map((o) => ({ ...o })),
            pair: pairKey(outcome.capability, outcome.eventId),
            expiresAt: expiry(outcome.recordedAt),
          },
          ConditionExpression: 'attribute_not_exists(#role)',
          ExpressionAttributeNames: { '#role': 'role' },
        }),
      );
      return 'stored';
    } catch (err) {
      if (isConditionFailure(err)) return 'duplicate';
      throw err;
    }
  }

  /** One side's recorded outcome (consistent read), if any. */
  public async get(capability: string, eventId: string, role: 'authoritative' | 'shadow'): Promise<SideOutcome | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pair: pairKey(capability, eventId), role }, ConsistentRead: true }),
    );
    if (res.Item === undefined) return undefined;
    const { pair: _pair, expiresAt: _exp, ...rest } = res.Item;
    return rest as SideOutcome;
  }

  /** Claim the comparison of a pair: true for exactly one caller, whatever the races and redeliveries. */
  public async claimComparison(
    capability: string,
    eventId: string,
    result: { mismatched: boolean; summary: string },
    at: string,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pair: pairKey(capability, eventId),
            role: 'compared',
            capability,
            eventId,
            ...result,
            comparedAt: at,
            expiresAt: expiry(at),
          },
          ConditionExpression: 'attribute_not_exists(#role)',
          ExpressionAttributeNames: { '#role': 'role' },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}

export function pairKey(capability: string, eventId: string): string {
  return `${capability}#${eventId}`;
}

function expiry(iso: string): number {
  const t = Date.parse(iso);
  return Math.floor((Number.isNaN(t) ? Date.now() : t) / 1000) + OUTCOME_TTL_SECONDS;
}
