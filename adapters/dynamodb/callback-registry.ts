import { GetCommand, PutCommand, QueryCommand, UpdateCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { toStepError } from '../../core/saga/errors';

/*
 * The saga's callback registry: the task token of every action that waits for an answer, keyed by
 * (orderId, action). A monolith never echoes a task token, so its reply is matched by order and action;
 * the carrier's confirmation and an operator's `cutover saga callback <orderId>` use the same keys.
 * Table: pk `orderId` (S), sk `action` (S); `ttl` (epoch seconds) lets DynamoDB drop old entries.
 */

export interface AwaitingCallback {
  readonly orderId: string;
  readonly action: string;
  readonly taskToken: string;
  readonly registeredAt: string;
  readonly ttl: number;
  readonly commandEventId?: string;
  readonly completedAt?: string;
  readonly outcome?: string;
}

export interface CallbackRegistryDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

export class CallbackRegistry {
  private readonly now: () => Date;
  public constructor(private readonly deps: CallbackRegistryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Records the token of the current attempt. A retried attempt has a new token and replaces the old one:
   * whatever reply arrives completes the attempt that is waiting now.
   */
  public async register(
    orderId: string,
    action: string,
    taskToken: string,
    options: { timeoutSeconds: number; commandEventId?: string },
  ): Promise<void> {
    const now = this.now();
    try {
      await this.deps.ddb.send(
        new PutCommand({
          TableName: this.deps.tableName,
          Item: {
            orderId,
            action,
            taskToken,
            registeredAt: now.toISOString(),
            // Keep the entry a day past the wait, for late replies to be recognised as late.
            ttl: Math.floor(now.getTime() / 1000) + options.timeoutSeconds + 86_400,
            ...(options.commandEventId ? { commandEventId: options.commandEventId } : {}),
          },
        }),
      );
    } catch (err) {
      throw toStepError(err, { orderId, action, operation: 'register callback' });
    }
  }

  public async find(orderId: string, action: string): Promise<AwaitingCallback | undefined> {
    try {
      const out = await this.deps.ddb.send(
        new GetCommand({ TableName: this.deps.tableName, Key: { orderId, action }, ConsistentRead: true }),
      );
      return out.Item as AwaitingCallback | undefined;
    } catch (err) {
      throw toStepError(err, { orderId, action, operation: 'find callback' });
    }
  }

  /** Every registered action of an order, open ones first. */
  public async forOrder(orderId: string): Promise<AwaitingCallback[]> {
    const out = await this.deps.ddb.send(
      new QueryCommand({
        TableName: this.deps.tableName,
        KeyConditionExpression: 'orderId = :o',
        ExpressionAttributeValues: { ':o': orderId },
        ConsistentRead: true,
      }),
    );
    const items = (out.Items ?? []) as AwaitingCallback[];
    return items.sort((a, b) => Number(!!a.completedAt) - Number(!!b.completedAt) || b.registeredAt.localeCompare(a.registeredAt));
  }

  /** Every open wait for one action across orders (a paged Scan: for periodic sweeps, not per request). */
  public async *openWaits(action: string): AsyncGenerator<AwaitingCallback> {
    for await (const page of paginateScan(
      { client: this.deps.ddb },
      {
        TableName: this.deps.tableName,
        FilterExpression: '#a = :a AND attribute_not_exists(completedAt)',
        ExpressionAttributeNames: { '#a': 'action' },
        ExpressionAttributeValues: { ':a': action },
      },
    )) {
      for (const item of page.Items ?? []) yield item as AwaitingCallback;
    }
  }

  /** Marks the entry settled, unless a newer attempt replaced the token meanwhile. */
  public async markCompleted(orderId: string, action: string, taskToken: string, outcome: string, replyEventId?: string): Promise<boolean> {
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { orderId, action },
          UpdateExpression: 'SET completedAt = :at, outcome = :o' + (replyEventId ? ', replyEventId = :r' : ''),
          ConditionExpression: 'taskToken = :t',
          ExpressionAttributeValues: {
            ':at': this.now().toISOString(),
            ':o': outcome,
            ':t': taskToken,
            ...(replyEventId ? { ':r': replyEventId } : {}),
          },
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw toStepError(err, { orderId, action, operation: 'mark callback completed' });
    }
  }
}

/** What happened to a callback: delivered, or the task was already closed (a duplicate or late reply). */
export type CallbackDelivery = 'sent' | 'stale';

const STALE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, with "the task is gone" told apart from real errors. */
export class TaskCallbacks {
  public constructor(private readonly sfn: SFNClient) {}

  public async succeed(taskToken: string, output: unknown): Promise<CallbackDelivery> {
    return this.send(() => this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) })));
  }

  public async fail(taskToken: string, error: string, cause: string): Promise<CallbackDelivery> {
    // Step Functions caps error at 256 and cause at 32768 characters.
    return this.send(() =>
      this.sfn.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) })),
    );
  }

  public async heartbeat(taskToken: string): Promise<CallbackDelivery> {
    return this.send(() => this.sfn.send(new SendTaskHeartbeatCommand({ taskToken })));
  }

  private async send(call: () => Promise<unknown>): Promise<CallbackDelivery> {
    try {
      await call();
      return 'sent';
    } catch (err) {
      if (STALE.has((err as { name?: string }).name ?? '')) return 'stale';
      throw toStepError(err, { operation: 'task callback' });
    }
  }
}
