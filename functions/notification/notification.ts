import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toStepError } from '../../core/saga/errors';
import type { SagaOrder } from '../../core/saga/input';

/*
 * The reference notification service. It does not send e-mail: it writes each message to its outbox table,
 * once per (order, kind) under a condition, so a redelivered step never tells the customer twice.
 * Table: pk `id` = `<orderId>#<kind>`.
 */

export type NotificationKind = 'confirmation' | 'cancellation';

export interface Notification {
  readonly id: string;
  readonly orderId: string;
  readonly kind: NotificationKind;
  readonly customerId: string;
  readonly subject: string;
  readonly sentAt: string;
}

export interface NotificationDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

export class NotificationService {
  private readonly now: () => Date;
  public constructor(private readonly deps: NotificationDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  public async get(orderId: string, kind: NotificationKind): Promise<Notification | undefined> {
    const out = await this.deps.ddb.send(
      new GetCommand({ TableName: this.deps.tableName, Key: { id: `${orderId}#${kind}` }, ConsistentRead: true }),
    );
    return out.Item as Notification | undefined;
  }

  /** NotifyCustomer: the order confirmation. */
  public async confirm(order: SagaOrder): Promise<{ notificationId: string; sent: boolean }> {
    return this.send(order.orderId, order.customerId, 'confirmation', `Your order ${order.orderId} is on its way`);
  }

  /** SendCancellationNotice: only when the customer was told the order was confirmed. */
  public async cancellation(order: SagaOrder, reason?: string): Promise<{ notificationId?: string; sent: boolean }> {
    return this.wrap({ orderId: order.orderId, operation: 'cancellation' }, async () => {
      if (!(await this.get(order.orderId, 'confirmation'))) return { sent: false };
      return this.send(
        order.orderId,
        order.customerId,
        'cancellation',
        `Your order ${order.orderId} was cancelled${reason ? ` (${reason})` : ''}`,
      );
    });
  }

  private async send(
    orderId: string,
    customerId: string,
    kind: NotificationKind,
    subject: string,
  ): Promise<{ notificationId: string; sent: boolean }> {
    return this.wrap({ orderId, operation: kind }, async () => {
      const id = `${orderId}#${kind}`;
      try {
        await this.deps.ddb.send(
          new PutCommand({
            TableName: this.deps.tableName,
            Item: { id, orderId, kind, customerId, subject, sentAt: this.now().toISOString() } satisfies Notification,
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
        return { notificationId: id, sent: true };
      } catch (err) {
        if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return { notificationId: id, sent: false };
        throw err;
      }
    });
  }

  private async wrap<T>(context: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStepError(err, context);
    }
  }
}
