import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CompensationRefused, StepTransientError, toStepError } from '../../core/saga/errors';
import type { ReferenceRules } from '../../core/saga/reference';
import type { CarrierProvider } from '../../core/providers/carrier';
import { SandboxCarrierProvider } from '../../core/providers/sandbox-carrier';
import type { SagaOrder } from '../../core/saga/input';

/*
 * The reference shipping service: one shipment per order (pk `orderId`). Booking is idempotent on the order;
 * a cancellation before booking leaves a `cancelled` tombstone, and a parcel that already left cannot be
 * cancelled (CompensationRefused: the saga records the order as needing attention).
 * The carrier is a CarrierProvider (core/providers/carrier.ts; the sandbox unless CARRIER_PROVIDER names
 * another), called with `book:<orderId>` / `cancel:<orderId>` as idempotency keys.
 */

export type ShipmentStatus = 'requested' | 'dispatched' | 'cancelled';

export interface Shipment {
  readonly orderId: string;
  readonly shipmentId: string;
  readonly status: ShipmentStatus;
  readonly carrier?: string;
  readonly country?: string;
  readonly requestedAt: string;
  readonly dispatchedAt?: string;
  readonly trackingNumber?: string;
  readonly cancelledAt?: string;
  readonly dispatchedAfterCancel?: boolean;
  /** Which provider booked it, and its booking reference there. */
  readonly provider?: string;
  readonly bookingRef?: string;
}

export interface ShippingDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The sandbox's rules: used to build the default provider. */
  readonly rules: ReferenceRules;
  /** @default - the sandbox carrier over `rules` */
  readonly provider?: CarrierProvider;
  readonly now?: () => Date;
}

const isConditionFailure = (err: unknown) => (err as { name?: string }).name === 'ConditionalCheckFailedException';

export function shipmentIdFor(orderId: string): string {
  return `SHP${orderId.replace(/\D/g, '').padStart(6, '0').slice(-12)}`;
}

export type BookingOutcome =
  | { readonly kind: 'booked'; readonly shipment: Shipment }
  | { readonly kind: 'already-dispatched'; readonly shipment: Shipment }
  | { readonly kind: 'rejected'; readonly error: 'AddressRejected' | 'ShipmentCancelled'; readonly reason: string };

export class ShippingService {
  private readonly now: () => Date;
  public readonly provider: CarrierProvider;
  public constructor(private readonly deps: ShippingDeps) {
    this.now = deps.now ?? (() => new Date());
    this.provider = deps.provider ?? new SandboxCarrierProvider(deps.rules);
  }

  public async get(orderId: string): Promise<Shipment | undefined> {
    const out = await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { orderId }, ConsistentRead: true }));
    return out.Item as Shipment | undefined;
  }

  /** ScheduleShipping: book a carrier for the order (or say why not). */
  public async book(order: SagaOrder): Promise<BookingOutcome> {
    return this.wrap({ orderId: order.orderId, operation: 'book' }, async () => {
      const existing = await this.get(order.orderId);
      if (existing?.status === 'dispatched') return { kind: 'already-dispatched', shipment: existing };
      if (existing?.status === 'cancelled')
        return { kind: 'rejected', error: 'ShipmentCancelled', reason: `order ${order.orderId}: shipment was cancelled` };
      if (existing) return { kind: 'booked', shipment: existing };
      const shipmentId = shipmentIdFor(order.orderId);
      const answer = await this.provider.bookShipment({
        idempotencyKey: `book:${order.orderId}`,
        orderId: order.orderId,
        shipmentId,
        address: order.shippingAddress,
      });
      if (answer.kind === 'rejected')
        return { kind: 'rejected', error: 'AddressRejected', reason: `order ${order.orderId}: ${answer.reason}` };
      if (answer.kind === 'transient')
        throw new StepTransientError(`order ${order.orderId}: carrier ${this.provider.name}: ${answer.reason}`, { orderId: order.orderId });
      const shipment: Shipment = {
        orderId: order.orderId,
        shipmentId,
        status: 'requested',
        carrier: answer.carrier,
        country: order.shippingAddress.country,
        requestedAt: this.now().toISOString(),
        provider: this.provider.name,
        bookingRef: answer.bookingRef,
      };
      try {
        await this.deps.ddb.send(
          new PutCommand({ TableName: this.deps.tableName, Item: shipment, ConditionExpression: 'attribute_not_exists(orderId)' }),
        );
        return { kind: 'booked', shipment };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        return this.book(order);
      }
    });
  }

  /** CancelShipment. Idempotent; refuses once the parcel has left. */
  public async cancel(orderId: string): Promise<Shipment> {
    return this.wrap({ orderId, operation: 'cancel' }, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const s = await this.get(orderId);
        if (s?.status === 'cancelled') return s;
        if (s?.status === 'dispatched')
          throw new CompensationRefused(
            `order ${orderId}: shipment ${s.shipmentId} left with ${s.carrier} at ${s.dispatchedAt}; it cannot be cancelled`,
            { orderId, shipmentId: s.shipmentId },
          );
        const at = this.now().toISOString();
        if (s?.bookingRef) {
          // The carrier first: a shipment we call cancelled must be cancelled there too.
          const answer = await this.provider.cancelShipment({ idempotencyKey: `cancel:${orderId}`, orderId, bookingRef: s.bookingRef });
          if (answer.kind === 'transient')
            throw new StepTransientError(`order ${orderId}: carrier ${this.provider.name}: ${answer.reason}`, { orderId });
          if (answer.kind === 'too-late')
            throw new CompensationRefused(
              `order ${orderId}: carrier ${this.provider.name} cannot cancel ${s.shipmentId}: ${answer.reason}`,
              {
                orderId,
                shipmentId: s.shipmentId,
              },
            );
        }
        try {
          if (!s) {
            const tomb: Shipment = { orderId, shipmentId: shipmentIdFor(orderId), status: 'cancelled', requestedAt: at, cancelledAt: at };
            await this.deps.ddb.send(
              new PutCommand({ TableName: this.deps.tableName, Item: tomb, ConditionExpression: 'attribute_not_exists(orderId)' }),
            );
            return tomb;
          }
          const out = await this.deps.ddb.send(
            new UpdateCommand({
              TableName: this.deps.tableName,
              Key: { orderId },
              UpdateExpression: 'SET #s = :c, cancelledAt = :at',
              ConditionExpression: '#s = :requested',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':c': 'cancelled', ':at': at, ':requested': 'requested' },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return out.Attributes as Shipment;
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      }
      throw new Error(`order ${orderId}: shipment kept changing during cancel`);
    });
  }

  /** The carrier (or warehouse) reports the parcel left. Returns the shipment, flagged when it was cancelled first. */
  public async recordDispatch(orderId: string, details: { trackingNumber?: string; dispatchedAt?: string }): Promise<Shipment | undefined> {
    return this.wrap({ orderId, operation: 'record dispatch' }, async () => {
      try {
        const out = await this.deps.ddb.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { orderId },
            UpdateExpression: 'SET #s = :d, dispatchedAt = :at' + (details.trackingNumber ? ', trackingNumber = :tn' : ''),
            ConditionExpression: '#s = :requested',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: {
              ':d': 'dispatched',
              ':at': details.dispatchedAt ?? this.now().toISOString(),
              ':requested': 'requested',
              ...(details.trackingNumber ? { ':tn': details.trackingNumber } : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return out.Attributes as Shipment;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
      const s = await this.get(orderId);
      if (s?.status !== 'cancelled') return s;
      // The carrier took a parcel we cancelled: keep the fact, an operator must recall it.
      const out = await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { orderId },
          UpdateExpression: 'SET dispatchedAfterCancel = :t',
          ExpressionAttributeValues: { ':t': true },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as Shipment;
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
