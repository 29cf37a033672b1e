import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CutoverError } from '../../core/errors';
import { isConditionFailure } from '../dynamodb/audit-store';

/*
 * The I/O of the carrier webhook: the signing secret (Secrets Manager), the record of event ids already
 * taken (replays are refused by it), and the quarantine queue for genuine events no saga waits for.
 */

/** The webhook secret is missing or not in a shape we read. */
export class WebhookSecretError extends CutoverError {}

/**
 * Reads the signing secrets: the secret's text, or JSON `{"current": "...", "previous": "..."}` while a
 * rotation is under way (both are accepted until `previous` is removed). Cached for `ttlMs`, so a rotation
 * takes effect within that time without a cold start.
 */
export class WebhookSecrets {
  private cached: { at: number; secrets: string[] } | undefined;
  public constructor(
    private readonly client: Pick<SecretsManagerClient, 'send'>,
    private readonly secretId: string,
    private readonly ttlMs = 300_000,
    private readonly clock: () => number = Date.now,
  ) {}

  public async get(): Promise<string[]> {
    if (this.cached && this.clock() - this.cached.at < this.ttlMs) return this.cached.secrets;
    const res = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    const text = res.SecretString ?? '';
    let secrets: string[];
    if (text.trimStart().startsWith('{')) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch (cause) {
        throw new WebhookSecretError(`secret ${this.secretId} looks like JSON but does not parse`, { secretId: this.secretId }, { cause });
      }
      secrets = [parsed.current, parsed.previous].filter((s): s is string => typeof s === 'string' && s !== '');
      if (typeof parsed.current !== 'string' || parsed.current === '')
        throw new WebhookSecretError(`secret ${this.secretId} is JSON without a "current" value`, {
          secretId: this.secretId,
          fields: Object.keys(parsed),
        });
    } else secrets = text === '' ? [] : [text];
    if (secrets.length === 0) throw new WebhookSecretError(`secret ${this.secretId} is empty`, { secretId: this.secretId });
    this.cached = { at: this.clock(), secrets };
    return secrets;
  }
}

export type ClaimOutcome = 'claimed' | 'replay';

/**
 * One item per webhook event id (`<provider>#<eventId>`): `pending` while it is being handled, then
 * `published` or `quarantined`. A second request with the same id is a replay, unless the first was left
 * `pending` longer than `staleMs` (a handler that died midway): that one may be taken over, so a carrier's
 * retry after our failure is not refused. Items expire (TTL) after `retainSeconds`, well past the signature's
 * five-minute window, beyond which a replay is refused by its timestamp anyway.
 */
export class WebhookEventStore {
  public constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { staleMs?: number; retainSeconds?: number } = {},
  ) {}

  public async claim(id: string, now: Date): Promise<ClaimOutcome> {
    const staleMs = this.options.staleMs ?? 60_000;
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            eventId: id,
            status: 'pending',
            claimedAt: now.getTime(),
            ttl: Math.floor(now.getTime() / 1000) + (this.options.retainSeconds ?? 7 * 86_400),
          },
          ConditionExpression: 'attribute_not_exists(eventId) OR (#s = :pending AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':stale': now.getTime() - staleMs },
        }),
      );
      return 'claimed';
    } catch (err) {
      if (isConditionFailure(err)) return 'replay';
      throw err;
    }
  }

  public async finish(id: string, status: 'published' | 'quarantined', details: Record<string, unknown> = {}): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { eventId: id },
        UpdateExpression: 'SET #s = :s, finishedAt = :at, details = :d',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': status, ':at': new Date().toISOString(), ':d': details },
      }),
    );
  }

  /** Lets go of a claim whose work failed, so the carrier's retry is taken. */
  public async release(id: string): Promise<void> {
    try {
      await this.ddb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { eventId: id },
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

/** What an operator needs to act on a quarantined carrier event (and to put it back). */
export interface QuarantinedCarrierEvent {
  readonly reason: string;
  readonly provider: string;
  readonly eventId: string;
  readonly orderId?: string;
  /** The verified event, in the kit's words. */
  readonly event: unknown;
  /** The raw body as received. */
  readonly body: string;
  readonly receivedAt: string;
}

export class CarrierQuarantine {
  public constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
  ) {}

  public async put(item: QuarantinedCarrierEvent): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(item),
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: item.reason.slice(0, 256) },
          eventId: { DataType: 'String', StringValue: item.eventId },
        },
      }),
    );
  }
}
