import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CompensationRefused, SagaBusinessError, StepTransientError, toStepError } from '../../core/saga/errors';
import { fromCents, toCents } from '../../core/saga/input';
import type { PaymentProvider } from '../../core/providers/payment';
import { SandboxPaymentProvider } from '../../core/providers/sandbox-payment';
import type { ReferenceRules } from '../../core/saga/reference';

/*
 * The reference payment service: one item per order (pk `orderId`), so every operation is idempotent on the
 * order. A charge is written with `attribute_not_exists(orderId)`: a second delivery finds the first and
 * charges nothing. A refund moves `captured -> refunded` under a condition; a refund for an order never
 * charged writes a `voided` tombstone so a late charge cannot land afterwards.
 * Money is kept in integer cents: charged = capturedCents - refundedCents.
 * The money itself moves at a PaymentProvider (core/providers/payment.ts; the sandbox unless PAYMENT_PROVIDER
 * names another), called with `charge:<orderId>` / `refund:<orderId>` as idempotency keys, so a retry that
 * lands after the provider answered is answered the same, never charged twice. The record is written after
 * the provider's answer: a crash between the two is repaired by the retry (same key, same answer).
 */

export type PaymentStatus = 'captured' | 'review' | 'refunded' | 'voided' | 'rejected';

export interface PaymentRecord {
  readonly orderId: string;
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly customerId: string;
  readonly currency: string;
  readonly amountCents: number;
  readonly capturedCents: number;
  readonly refundedCents: number;
  readonly reviewChecks: number;
  readonly createdAt: string;
  readonly refundId?: string;
  /** Which provider holds the payment, and its reference there (absent on records older than providers). */
  readonly provider?: string;
  readonly providerRef?: string;
}

export interface PaymentResult {
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly amount: string;
  readonly currency: string;
  readonly reviewChecks: number;
  readonly captured: string;
  readonly refunded: string;
}

export interface PaymentDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The sandbox's rules: used to build the default provider. */
  readonly rules: ReferenceRules;
  /** @default - the sandbox provider over `rules` */
  readonly provider?: PaymentProvider;
  readonly now?: () => Date;
}

const isConditionFailure = (err: unknown) => (err as { name?: string }).name === 'ConditionalCheckFailedException';

export function paymentIdFor(orderId: string): string {
  return `PAY${orderId.replace(/\D/g, '').padStart(6, '0').slice(-12)}`;
}

function view(r: PaymentRecord): PaymentResult {
  return {
    paymentId: r.paymentId,
    status: r.status,
    amount: fromCents(r.amountCents),
    currency: r.currency,
    reviewChecks: r.reviewChecks,
    captured: fromCents(r.capturedCents),
    refunded: fromCents(r.refundedCents),
  };
}

export class PaymentService {
  private readonly now: () => Date;
  public readonly provider: PaymentProvider;
  public constructor(private readonly deps: PaymentDeps) {
    this.now = deps.now ?? (() => new Date());
    this.provider = deps.provider ?? new SandboxPaymentProvider(deps.rules);
  }

  public async get(orderId: string): Promise<PaymentRecord | undefined> {
    const out = await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { orderId }, ConsistentRead: true }));
    return out.Item as PaymentRecord | undefined;
  }

  /** ProcessPayment: capture, hold for review, or CardDeclined (which charges nothing). */
  public async charge(orderId: string, customerId: string, amount: string, currency: string): Promise<PaymentResult> {
    return this.wrap({ orderId, operation: 'charge' }, async () => {
      const existing = await this.get(orderId);
      if (existing) return view(existing);
      const answer = await this.provider.charge({ idempotencyKey: `charge:${orderId}`, orderId, customerId, amount, currency });
      if (answer.kind === 'transient')
        throw new StepTransientError(`order ${orderId}: payment provider ${this.provider.name}: ${answer.reason}`, { orderId });
      if (answer.kind === 'declined')
        throw new SagaBusinessError('CardDeclined', `order ${orderId}: ${answer.reason}`, {
          orderId,
          customerId,
          amount,
          provider: this.provider.name,
        });
      const decision = answer.kind;
      const cents = toCents(amount);
      const record: PaymentRecord = {
        orderId,
        paymentId: paymentIdFor(orderId),
        status: decision,
        customerId,
        currency,
        amountCents: cents,
        capturedCents: decision === 'captured' ? cents : 0,
        refundedCents: 0,
        reviewChecks: 0,
        createdAt: this.now().toISOString(),
        provider: this.provider.name,
        providerRef: answer.providerRef,
      };
      try {
        await this.deps.ddb.send(
          new PutCommand({ TableName: this.deps.tableName, Item: record, ConditionExpression: 'attribute_not_exists(orderId)' }),
        );
        return view(record);
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        return view((await this.get(orderId))!);
      }
    });
  }

  /** Check Fraud Review: counts the check, then captures, keeps waiting, or FraudRejected. */
  public async review(orderId: string): Promise<PaymentResult> {
    return this.wrap({ orderId, operation: 'review' }, async () => {
      const r = await this.get(orderId);
      if (!r) throw new SagaBusinessError('FraudRejected', `order ${orderId}: no payment under review`, { orderId });
      if (r.status === 'captured') return view(r);
      if (r.status !== 'review')
        throw new SagaBusinessError('FraudRejected', `order ${orderId}: payment is ${r.status}`, { orderId, status: r.status });
      const checks = r.reviewChecks + 1;
      const answer = await this.provider.status({
        providerRef: r.providerRef ?? r.paymentId,
        orderId,
        customerId: r.customerId,
        attempt: checks,
      });
      if (answer.kind === 'transient')
        throw new StepTransientError(`order ${orderId}: payment provider ${this.provider.name}: ${answer.reason}`, { orderId });
      const status: PaymentStatus = answer.kind;
      try {
        const out = await this.deps.ddb.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { orderId },
            UpdateExpression: 'SET #s = :s, reviewChecks = :c, capturedCents = :cap',
            ConditionExpression: '#s = :review AND reviewChecks = :prev',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: {
              ':s': status,
              ':c': checks,
              ':cap': status === 'captured' ? r.amountCents : 0,
              ':review': 'review',
              ':prev': r.reviewChecks,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const updated = out.Attributes as PaymentRecord;
        if (updated.status === 'rejected')
          throw new SagaBusinessError('FraudRejected', `order ${orderId}: fraud review rejected the payment`, { orderId });
        return view(updated);
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        // A concurrent or repeated check got there first: report what it decided.
        const now = (await this.get(orderId))!;
        if (now.status === 'rejected')
          throw new SagaBusinessError('FraudRejected', `order ${orderId}: fraud review rejected the payment`, { orderId });
        return view(now);
      }
    });
  }

  /** RefundPayment: refund what was captured, void a held payment, or leave a tombstone. Idempotent. */
  public async refund(orderId: string, reason?: string): Promise<PaymentResult> {
    return this.wrap({ orderId, operation: 'refund' }, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await this.get(orderId);
        try {
          if (!r) {
            const tomb: PaymentRecord = {
              orderId,
              paymentId: paymentIdFor(orderId),
              status: 'voided',
              customerId: 'unknown',
              currency: 'EUR',
              amountCents: 0,
              capturedCents: 0,
              refundedCents: 0,
              reviewChecks: 0,
              createdAt: this.now().toISOString(),
            };
            await this.deps.ddb.send(
              new PutCommand({
                TableName: this.deps.tableName,
                Item: { ...tomb, reason },
                ConditionExpression: 'attribute_not_exists(orderId)',
              }),
            );
            return view(tomb);
          }
          if (r.status === 'refunded' || r.status === 'voided') return view(r);
          const refund = r.status === 'captured';
          // The provider first (same key on every attempt), then the record: a retry repeats a refund, never skips one.
          if (refund && r.capturedCents > 0) {
            const answer = await this.provider.refund({
              idempotencyKey: `refund:${orderId}`,
              providerRef: r.providerRef ?? r.paymentId,
              orderId,
              amount: fromCents(r.capturedCents),
              currency: r.currency,
              reason,
            });
            if (answer.kind === 'transient')
              throw new StepTransientError(`order ${orderId}: payment provider ${this.provider.name}: ${answer.reason}`, { orderId });
            if (answer.kind === 'declined')
              throw new CompensationRefused(
                `order ${orderId}: payment provider ${this.provider.name} refused the refund: ${answer.reason}`,
                {
                  orderId,
                  provider: this.provider.name,
                },
              );
          }
          const out = await this.deps.ddb.send(
            new UpdateCommand({
              TableName: this.deps.tableName,
              Key: { orderId },
              UpdateExpression:
                'SET #s = :s, refundedCents = :ref, refundId = :rid, refundedAt = :now' + (reason ? ', refundReason = :reason' : ''),
              ConditionExpression: '#s = :from',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: {
                ':s': refund ? 'refunded' : 'voided',
                ':ref': refund ? r.capturedCents : 0,
                ':rid': `REF${r.paymentId.slice(3)}`,
                ':now': this.now().toISOString(),
                ':from': r.status,
                ...(reason ? { ':reason': reason } : {}),
              },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return view(out.Attributes as PaymentRecord);
        } catch (err) {
          if (!isConditionFailure(err)) throw err; // the record changed under us: read it again
        }
      }
      throw new StepTransientError(`order ${orderId}: payment record kept changing during refund`, { orderId });
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
