import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SagaBusinessError, toStepError } from '../../core/saga/errors';
import { quantitiesBySku, type OrderLine } from '../../core/saga/input';

/*
 * The reference inventory service. One table, two kinds of item:
 *   SKU#<sku>      { available, holds: { <orderId>: quantity } }   stock that can be sold, and who holds what
 *   RES#<orderId>  { status, items, expiresAt, ttl }                one reservation per order
 * Taking stock and recording who took it is ONE conditional update of the SKU item
 * (`available >= q AND attribute_not_exists(holds.<order>)`), and giving it back is one update guarded by
 * `attribute_exists(holds.<order>)`: each is exactly-once on its own, so every action can be delivered twice
 * and a crash between two SKUs leaves nothing that the saga's ReleaseInventory does not put right.
 *
 * A reservation expires (`reservation.ttlSeconds` of the spec). When stock runs short, expired
 * reservations holding that SKU are reclaimed first; a payment confirmed after its reservation was
 * reclaimed fails ConfirmReservation with ReservationExpired, and the saga refunds instead of overselling.
 */

export type ReservationStatus = 'reserving' | 'reserved' | 'committed' | 'fulfilled' | 'released' | 'expired';

export interface Reservation {
  readonly pk: string;
  readonly orderId: string;
  readonly reservationId: string;
  readonly status: ReservationStatus;
  readonly items: Array<{ sku: string; quantity: number }>;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly ttl: number;
  readonly reason?: string;
}

export interface StockLevel {
  readonly sku: string;
  readonly available: number;
  readonly holds: Record<string, number>;
}

export interface InventoryDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly reservationTtlSeconds: number;
  readonly now?: () => Date;
  /** How long DynamoDB keeps a settled reservation record (for audits). @default 30 days */
  readonly retentionSeconds?: number;
}

const skuKey = (sku: string) => `SKU#${sku}`;
const resKey = (orderId: string) => `RES#${orderId}`;
const isConditionFailure = (err: unknown) => (err as { name?: string }).name === 'ConditionalCheckFailedException';

/** A reservation id the legacy catalog accepts (RSV + digits), derived from the order so retries agree. */
export function reservationIdFor(orderId: string): string {
  const digits = orderId.replace(/\D/g, '').padStart(6, '0').slice(-12);
  return `RSV${digits}`;
}

export class InventoryService {
  private readonly now: () => Date;

  public constructor(private readonly deps: InventoryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Sets a SKU's sellable stock (keeps current holds). For seeding a demo or a test. */
  public async setStock(sku: string, available: number): Promise<void> {
    await this.deps.ddb.send(
      new UpdateCommand({
        TableName: this.deps.tableName,
        Key: { pk: skuKey(sku) },
        UpdateExpression: 'SET sku = :sku, available = :a, holds = if_not_exists(holds, :empty)',
        ExpressionAttributeValues: { ':sku': sku, ':a': available, ':empty': {} },
      }),
    );
  }

  public async stock(sku: string): Promise<StockLevel | undefined> {
    const out = await this.deps.ddb.send(
      new GetCommand({ TableName: this.deps.tableName, Key: { pk: skuKey(sku) }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    return { sku, available: Number(out.Item.available), holds: (out.Item.holds ?? {}) as Record<string, number> };
  }

  public async reservation(orderId: string): Promise<Reservation | undefined> {
    const out = await this.deps.ddb.send(
      new GetCommand({ TableName: this.deps.tableName, Key: { pk: resKey(orderId) }, ConsistentRead: true }),
    );
    return out.Item as Reservation | undefined;
  }

  /** ReserveInventory. Idempotent: a second delivery re-applies the same holds (no-ops) and returns the reservation. */
  public async reserve(
    orderId: string,
    lines: readonly OrderLine[],
  ): Promise<{ reservationId: string; status: 'reserved'; expiresAt: string; items: Array<{ sku: string; quantity: number }> }> {
    return this.wrap({ orderId, operation: 'reserve' }, async () => {
      const items = quantitiesBySku(lines);
      let res = await this.reservation(orderId);
      if (res && (res.status === 'released' || res.status === 'expired')) {
        if (res.reason === 'out-of-stock')
          throw new SagaBusinessError('OutOfStock', `order ${orderId}: not enough stock (decided earlier)`, { orderId });
        throw new SagaBusinessError('ReservationExpired', `order ${orderId}: its reservation was ${res.status}`, {
          orderId,
          status: res.status,
        });
      }
      if (!res) res = await this.createReservation(orderId, items);
      // Re-apply every hold: after a crash between two SKUs, the retry completes the set.
      const held: string[] = [];
      for (const item of res.items) {
        let ok = await this.hold(item.sku, orderId, item.quantity);
        if (!ok && (await this.reclaimExpired(item.sku)) > 0) ok = await this.hold(item.sku, orderId, item.quantity);
        if (!ok) {
          for (const sku of held) await this.unhold(sku, orderId);
          await this.setStatus(orderId, 'released', ['reserving', 'reserved'], 'out-of-stock');
          throw new SagaBusinessError('OutOfStock', `order ${orderId}: not enough ${item.sku} for ${item.quantity}`, {
            orderId,
            sku: item.sku,
            quantity: item.quantity,
          });
        }
        held.push(item.sku);
      }
      if (res.status === 'reserving') await this.setStatus(orderId, 'reserved', ['reserving', 'reserved']);
      return { reservationId: res.reservationId, status: 'reserved', expiresAt: res.expiresAt, items: res.items };
    });
  }

  /**
   * ConfirmReservation, after payment: the reservation becomes a sale, unless it expired meanwhile (then
   * ReservationExpired, and the saga compensates rather than sell stock that may be gone).
   */
  public async commit(orderId: string): Promise<{ reservationId: string; status: 'committed' }> {
    return this.wrap({ orderId, operation: 'commit' }, async () => {
      const now = this.now().toISOString();
      try {
        await this.deps.ddb.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { pk: resKey(orderId) },
            UpdateExpression: 'SET #s = :committed, committedAt = if_not_exists(committedAt, :now)',
            ConditionExpression: '(#s = :reserved AND expiresAt > :now) OR #s = :committed',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':committed': 'committed', ':reserved': 'reserved', ':now': now },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const res = await this.reservation(orderId);
        throw new SagaBusinessError(
          'ReservationExpired',
          res
            ? `order ${orderId}: reservation ${res.reservationId} is ${res.status}${res.status === 'reserved' ? ` and expired at ${res.expiresAt}` : ''}`
            : `order ${orderId}: no reservation`,
          { orderId, status: res?.status, expiresAt: res?.expiresAt },
        );
      }
      return { reservationId: reservationIdFor(orderId), status: 'committed' };
    });
  }

  /**
   * ReleaseInventory. Gives back whatever the order still holds, by the reservation's items or, when the
   * reservation was never written, by the order's lines. A no-op the second time.
   */
  public async release(
    orderId: string,
    lines: readonly OrderLine[],
    reason?: string,
  ): Promise<{ released: Array<{ sku: string; quantity: number }>; status: ReservationStatus | 'none' }> {
    return this.wrap({ orderId, operation: 'release' }, async () => {
      const res = await this.reservation(orderId);
      const items = res?.items ?? quantitiesBySku(lines);
      const released: Array<{ sku: string; quantity: number }> = [];
      for (const item of items) {
        const q = await this.unhold(item.sku, orderId);
        if (q > 0) released.push({ sku: item.sku, quantity: q });
      }
      if (!res) return { released, status: 'none' };
      if (res.status === 'expired' || res.status === 'released' || res.status === 'fulfilled') return { released, status: res.status };
      await this.setStatus(orderId, 'released', ['reserving', 'reserved', 'committed'], reason);
      return { released, status: 'released' };
    });
  }

  /** The goods left the warehouse (shipment.dispatched): the holds of a committed reservation are done with. */
  public async fulfil(orderId: string): Promise<{ status: ReservationStatus | 'none' }> {
    return this.wrap({ orderId, operation: 'fulfil' }, async () => {
      const res = await this.reservation(orderId);
      if (!res || res.status !== 'committed') return { status: res?.status ?? 'none' };
      for (const item of res.items) {
        await this.deps.ddb.send(
          new UpdateCommand({
            TableName: this.deps.tableName,
            Key: { pk: skuKey(item.sku) },
            UpdateExpression: 'REMOVE holds.#o',
            ExpressionAttributeNames: { '#o': orderId },
          }),
        );
      }
      await this.setStatus(orderId, 'fulfilled', ['committed']);
      return { status: 'fulfilled' };
    });
  }

  /**
   * Frees the stock of expired reservations holding `sku` (bounded to 25 holders a call). Also frees holds
   * whose reservation is already settled, which a crash could leave behind. Returns how many were freed.
   */
  public async reclaimExpired(sku: string): Promise<number> {
    const level = await this.stock(sku);
    if (!level) return 0;
    const holders = Object.keys(level.holds).slice(0, 25);
    if (holders.length === 0) return 0;
    const out = await this.deps.ddb.send(
      new BatchGetCommand({
        RequestItems: { [this.deps.tableName]: { Keys: holders.map((o) => ({ pk: resKey(o) })), ConsistentRead: true } },
      }),
    );
    const now = this.now().toISOString();
    let freed = 0;
    for (const res of (out.Responses?.[this.deps.tableName] ?? []) as Reservation[]) {
      let settled = res.status === 'expired' || res.status === 'released';
      if (!settled && (res.status === 'reserved' || res.status === 'reserving') && res.expiresAt <= now) {
        try {
          await this.deps.ddb.send(
            new UpdateCommand({
              TableName: this.deps.tableName,
              Key: { pk: res.pk },
              UpdateExpression: 'SET #s = :expired, updatedAt = :now',
              ConditionExpression: '#s IN (:reserving, :reserved) AND expiresAt <= :now',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':expired': 'expired', ':reserving': 'reserving', ':reserved': 'reserved', ':now': now },
            }),
          );
          settled = true;
        } catch (err) {
          if (!isConditionFailure(err)) throw err; // committed meanwhile: it stays
        }
      }
      if (!settled) continue;
      for (const item of res.items) if ((await this.unhold(item.sku, res.orderId)) > 0 && item.sku === sku) freed++;
    }
    return freed;
  }

  private async createReservation(orderId: string, items: Array<{ sku: string; quantity: number }>): Promise<Reservation> {
    const now = this.now();
    const expires = new Date(now.getTime() + this.deps.reservationTtlSeconds * 1000);
    const res: Reservation = {
      pk: resKey(orderId),
      orderId,
      reservationId: reservationIdFor(orderId),
      status: 'reserving',
      items,
      expiresAt: expires.toISOString(),
      createdAt: now.toISOString(),
      ttl: Math.floor(expires.getTime() / 1000) + (this.deps.retentionSeconds ?? 30 * 86_400),
    };
    try {
      await this.deps.ddb.send(
        new PutCommand({ TableName: this.deps.tableName, Item: res, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return res;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return (await this.reservation(orderId))!;
    }
  }

  /** Takes `quantity` of `sku` for the order; true if it holds it now (taken now or before). */
  private async hold(sku: string, orderId: string, quantity: number): Promise<boolean> {
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: skuKey(sku) },
          UpdateExpression: 'SET available = available - :q, holds.#o = :q',
          ConditionExpression: 'attribute_exists(pk) AND available >= :q AND attribute_not_exists(holds.#o)',
          ExpressionAttributeNames: { '#o': orderId },
          ExpressionAttributeValues: { ':q': quantity },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const level = await this.stock(sku);
      return level?.holds[orderId] !== undefined;
    }
  }

  /** Gives back what the order holds of `sku`; returns the quantity given back (0 if it held none). */
  private async unhold(sku: string, orderId: string): Promise<number> {
    try {
      const out = await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: skuKey(sku) },
          UpdateExpression: 'SET available = available + holds.#o REMOVE holds.#o',
          ConditionExpression: 'attribute_exists(holds.#o)',
          ExpressionAttributeNames: { '#o': orderId },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return Number((out.Attributes?.holds as Record<string, number> | undefined)?.[orderId] ?? 0);
    } catch (err) {
      if (isConditionFailure(err)) return 0;
      throw err;
    }
  }

  private async setStatus(orderId: string, status: ReservationStatus, from: ReservationStatus[], reason?: string): Promise<void> {
    const values: Record<string, unknown> = { ':s': status, ':now': this.now().toISOString() };
    from.forEach((f, i) => (values[`:f${i}`] = f));
    if (reason) values[':r'] = reason;
    try {
      await this.deps.ddb.send(
        new UpdateCommand({
          TableName: this.deps.tableName,
          Key: { pk: resKey(orderId) },
          UpdateExpression: `SET #s = :s, updatedAt = :now${reason ? ', reason = if_not_exists(reason, :r)' : ''}`,
          ConditionExpression: `#s IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err; // already moved on (a redelivery, or a reclaim): keep its status
    }
  }

  private async wrap<T>(context: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStepError(err, context);
    }
  }
}
