import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deterministicId } from '../../core/events/envelope';
import type { ReferenceRules } from '../../core/saga/reference';

/*
 * The reference monolith: what the real one does when the saga's commands reach it through the bridge. It
 * speaks legacy (UPPER_CASE, cents in strings, "YYYYMMDD HHMMSS"), de-duplicates commands by MSG_ID (a
 * redelivered command gets the same reply again, with the same MSG_ID), and keeps its own state in one
 * table (pk `pk`). Its decisions come from configuration (REFERENCE_RULES.monolith): who is declined, what
 * is out of stock, who never gets an answer, how slow it is. Only for demos and tests.
 */

export interface LegacyReply {
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

export interface MonolithDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly rules: ReferenceRules;
  readonly now?: () => Date;
}

export const HANDLED_COMMANDS = [
  'CAPTURE_PAYMENT_REQUESTED',
  'REFUND_PAYMENT_REQUESTED',
  'RESERVE_STOCK_REQUESTED',
  'RELEASE_STOCK_REQUESTED',
] as const;

export function legacyTimestamp(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

const digits = (orderNo: string) => orderNo.replace(/\D/g, '').padStart(6, '0').slice(-12);
const isConditionFailure = (err: unknown) => (err as { name?: string }).name === 'ConditionalCheckFailedException';

export class ReferenceMonolith {
  private readonly now: () => Date;
  public constructor(private readonly deps: MonolithDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Handles one command; returns the reply to put on the legacy bus, or undefined when the monolith stays
   * silent (configured) or does not know the command.
   */
  public async handle(type: string, command: Record<string, unknown>): Promise<LegacyReply | undefined> {
    const msgId = String(command.MSG_ID ?? '');
    const orderNo = String(command.ORDER_NO ?? '');
    if (!msgId || !orderNo)
      throw new Error(
        `${type}: MSG_ID and ORDER_NO are required, got ${JSON.stringify({ MSG_ID: command.MSG_ID, ORDER_NO: command.ORDER_NO })}`,
      );
    const seen = await this.deps.ddb.send(
      new GetCommand({ TableName: this.deps.tableName, Key: { pk: `MSG#${msgId}` }, ConsistentRead: true }),
    );
    if (seen.Item) return seen.Item.reply as LegacyReply | undefined;
    const reply = await this.decide(type, command, msgId, orderNo);
    try {
      await this.deps.ddb.send(
        new PutCommand({
          TableName: this.deps.tableName,
          Item: { pk: `MSG#${msgId}`, type, orderNo, reply, at: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return reply;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const again = await this.deps.ddb.send(
        new GetCommand({ TableName: this.deps.tableName, Key: { pk: `MSG#${msgId}` }, ConsistentRead: true }),
      );
      return again.Item?.reply as LegacyReply | undefined;
    }
  }

  private async decide(type: string, c: Record<string, unknown>, msgId: string, orderNo: string): Promise<LegacyReply | undefined> {
    const rules = this.deps.rules.monolith;
    const at = legacyTimestamp(this.now());
    const replyId = deterministicId('reference-monolith', msgId).toUpperCase();
    switch (type) {
      case 'CAPTURE_PAYMENT_REQUESTED': {
        const cust = String(c.CUST_NO ?? '');
        if (rules.silentCustomers.includes(cust)) return undefined;
        if (rules.declineCustomers.includes(cust)) {
          return {
            detailType: 'PAYMENT_DECLINED',
            detail: {
              MSG_ID: replyId,
              ORDER_NO: orderNo,
              AMOUNT_CENTS: c.AMOUNT_CENTS,
              CURRENCY: c.CURRENCY,
              DECLINE_CD: 'CARD',
              DECLINED_DT: at,
            },
          };
        }
        const payment = await this.payment(orderNo);
        if (!payment) {
          await this.deps.ddb
            .send(
              new PutCommand({
                TableName: this.deps.tableName,
                Item: {
                  pk: `PAY#${orderNo}`,
                  status: 'captured',
                  amountCents: String(c.AMOUNT_CENTS),
                  currency: c.CURRENCY,
                  customer: cust,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            )
            .catch((err) => {
              if (!isConditionFailure(err)) throw err;
            });
        }
        const p = (await this.payment(orderNo))!;
        return {
          detailType: 'PAYMENT_CAPTURED',
          detail: {
            MSG_ID: replyId,
            ORDER_NO: orderNo,
            PAYMENT_ID: `PAY${digits(orderNo)}`,
            AMOUNT_CENTS: p.amountCents,
            CURRENCY: p.currency,
            METHOD: 'CARD',
            CAPTURED_DT: at,
          },
        };
      }
      case 'REFUND_PAYMENT_REQUESTED': {
        const p = await this.payment(orderNo);
        let refunded = '0';
        if (p?.status === 'captured') {
          await this.deps.ddb
            .send(
              new UpdateCommand({
                TableName: this.deps.tableName,
                Key: { pk: `PAY#${orderNo}` },
                UpdateExpression: 'SET #s = :r',
                ConditionExpression: '#s = :c',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':r': 'refunded', ':c': 'captured' },
              }),
            )
            .catch((err) => {
              if (!isConditionFailure(err)) throw err;
            });
          refunded = p.amountCents;
        }
        return {
          detailType: 'PAYMENT_REFUNDED',
          detail: {
            MSG_ID: replyId,
            ORDER_NO: orderNo,
            PAYMENT_ID: `PAY${digits(orderNo)}`,
            REFUND_ID: `REF${digits(orderNo)}`,
            AMOUNT_CENTS: refunded,
            CURRENCY: p?.currency ?? 'EUR',
            REFUNDED_DT: at,
          },
        };
      }
      case 'RESERVE_STOCK_REQUESTED': {
        const lines = (Array.isArray(c.LINES) ? c.LINES : []) as Array<{ SKU: string; QTY: string }>;
        const missing = lines.find((l) => rules.outOfStockSkus.includes(l.SKU));
        if (missing)
          return {
            detailType: 'STOCK_REJECTED',
            detail: { MSG_ID: replyId, ORDER_NO: orderNo, SKU: missing.SKU, REASON_CD: 'NO_STOCK', REJECTED_DT: at },
          };
        return {
          detailType: 'STOCK_RESERVED',
          detail: {
            MSG_ID: replyId,
            ORDER_NO: orderNo,
            RESERVATION_ID: `RSV${digits(orderNo)}`,
            WAREHOUSE_CD: 'BRS1',
            EXPIRES_DT: legacyTimestamp(new Date(this.now().getTime() + 15 * 60_000)),
            LINES: lines.map((l) => ({ SKU: l.SKU, QTY: l.QTY })),
          },
        };
      }
      case 'RELEASE_STOCK_REQUESTED':
        return {
          detailType: 'STOCK_RELEASED',
          detail: { MSG_ID: replyId, ORDER_NO: orderNo, RESERVATION_ID: `RSV${digits(orderNo)}`, RELEASED_DT: at, REASON_CD: 'CANCEL' },
        };
      default:
        return undefined;
    }
  }

  private async payment(orderNo: string): Promise<{ status: string; amountCents: string; currency: string } | undefined> {
    const out = await this.deps.ddb.send(
      new GetCommand({ TableName: this.deps.tableName, Key: { pk: `PAY#${orderNo}` }, ConsistentRead: true }),
    );
    return out.Item as { status: string; amountCents: string; currency: string } | undefined;
  }
}
