import { SagaBusinessError } from '../../core/saga/errors';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import type { SagaOrder } from '../../core/saga/input';
import { InventoryService } from '../../functions/inventory/inventory';
import { NotificationService } from '../../functions/notification/notification';
import { PaymentService } from '../../functions/payment/payment';
import { ShippingService } from '../../functions/shipping/shipping';
import { createSagaTables, startDynalite, type Dynalite } from '../support/saga/dynalite';

/*
 * The reference services against dynalite, where the conditional writes are the point: every operation
 * delivered twice has one effect, a compensation before its step leaves a tombstone, stock never goes below
 * zero, expired reservations are reclaimed.
 */

let db: Dynalite;
let tables: Awaited<ReturnType<typeof createSagaTables>>;
let clock = Date.parse('2026-11-21T14:30:00Z');
const now = () => new Date(clock);

beforeAll(async () => {
  db = await startDynalite();
  tables = await createSagaTables(db);
});
afterAll(async () => {
  await db.close();
});

const lines = (...l: Array<[string, number]>) => l.map(([sku, quantity], i) => ({ lineNo: i + 1, sku, quantity }));
let seq = 0;
const orderId = () => String(1_100_000 + ++seq);

describe('Class: InventoryService', () => {
  const inventory = () => new InventoryService({ ddb: db.doc, tableName: tables.inventory, reservationTtlSeconds: 60, now });

  describe('Method: reserve', () => {
    it('takes the stock once however often it is delivered', async () => {
      // Prepare
      const inv = inventory();
      await inv.setStock('RSV-0001', 5);
      const id = orderId();

      // Act
      const first = await inv.reserve(id, lines(['RSV-0001', 2]));
      const second = await inv.reserve(id, lines(['RSV-0001', 2]));

      // Assess
      expect(second).toEqual(first);
      expect(await inv.stock('RSV-0001')).toEqual({ sku: 'RSV-0001', available: 3, holds: { [id]: 2 } });
    });

    it('adds up lines of one SKU, and gives back what it took when another SKU is short (OutOfStock)', async () => {
      // Prepare
      const inv = inventory();
      await inv.setStock('RSV-0002', 5);
      await inv.setStock('RSV-0003', 1);
      const id = orderId();

      // Act
      const err = await inv.reserve(id, lines(['RSV-0002', 1], ['RSV-0003', 2], ['RSV-0002', 1])).catch((e: Error) => e);

      // Assess
      expect(err).toBeInstanceOf(SagaBusinessError);
      expect((err as Error).name).toBe('OutOfStock');
      expect(await inv.stock('RSV-0002')).toEqual({ sku: 'RSV-0002', available: 5, holds: {} });
      expect(await inv.reservation(id)).toMatchObject({ status: 'released', reason: 'out-of-stock' });
      // A redelivery says the same, and takes nothing.
      await expect(inv.reserve(id, lines(['RSV-0002', 1]))).rejects.toMatchObject({ name: 'OutOfStock' });
      expect((await inv.stock('RSV-0002'))!.available).toBe(5);
    });

    it('refuses a SKU it has never stocked', async () => {
      await expect(inventory().reserve(orderId(), lines(['NON-0000', 1]))).rejects.toMatchObject({ name: 'OutOfStock' });
    });

    it('reclaims an expired reservation when stock runs short', async () => {
      // Prepare
      const inv = inventory();
      await inv.setStock('RSV-0004', 2);
      const a = orderId();
      const b = orderId();
      await inv.reserve(a, lines(['RSV-0004', 2]));
      clock += 61_000;

      // Act
      await inv.reserve(b, lines(['RSV-0004', 2]));

      // Assess
      expect(await inv.stock('RSV-0004')).toEqual({ sku: 'RSV-0004', available: 0, holds: { [b]: 2 } });
      expect(await inv.reservation(a)).toMatchObject({ status: 'expired' });
      await expect(inv.commit(a)).rejects.toMatchObject({ name: 'ReservationExpired' });
    });
  });

  describe('Method: commit', () => {
    it('commits a live reservation, twice without complaint, and refuses an expired one', async () => {
      // Prepare
      const inv = inventory();
      await inv.setStock('RSV-0005', 3);
      const live = orderId();
      const late = orderId();
      await inv.reserve(live, lines(['RSV-0005', 1]));
      await inv.reserve(late, lines(['RSV-0005', 1]));

      // Act
      await inv.commit(live);
      await inv.commit(live);
      clock += 61_000;

      // Assess
      expect(await inv.reservation(live)).toMatchObject({ status: 'committed' });
      await expect(inv.commit(late)).rejects.toThrow(/expired at/);
      await expect(inv.commit(orderId())).rejects.toThrow(/no reservation/);
    });
  });

  describe('Method: release', () => {
    it('gives the stock back once, even after a commit, and is a no-op for an order it never saw', async () => {
      // Prepare
      const inv = inventory();
      await inv.setStock('RSV-0006', 4);
      const id = orderId();
      await inv.reserve(id, lines(['RSV-0006', 3]));
      await inv.commit(id);

      // Act
      const first = await inv.release(id, lines(['RSV-0006', 3]));
      const second = await inv.release(id, lines(['RSV-0006', 3]));
      const never = await inv.release(orderId(), lines(['RSV-0006', 3]));

      // Assess
      expect(first).toEqual({ released: [{ sku: 'RSV-0006', quantity: 3 }], status: 'released' });
      expect(second).toEqual({ released: [], status: 'released' });
      expect(never).toEqual({ released: [], status: 'none' });
      expect(await inv.stock('RSV-0006')).toEqual({ sku: 'RSV-0006', available: 4, holds: {} });
    });

    it('after the goods left (fulfil), holds are gone and a release returns nothing', async () => {
      // Prepare
      const inv = inventory();
      await inv.setStock('RSV-0007', 4);
      const id = orderId();
      await inv.reserve(id, lines(['RSV-0007', 1]));
      await inv.commit(id);

      // Act
      await inv.fulfil(id);
      const released = await inv.release(id, lines(['RSV-0007', 1]));

      // Assess
      expect(released.released).toEqual([]);
      expect(await inv.stock('RSV-0007')).toEqual({ sku: 'RSV-0007', available: 3, holds: {} });
    });
  });
});

describe('Class: PaymentService', () => {
  const payment = () => new PaymentService({ ddb: db.doc, tableName: tables.payments, rules: DEFAULT_REFERENCE_RULES, now });

  it('charges once per order', async () => {
    const p = payment();
    const id = orderId();
    await p.charge(id, 'C00042', '54.97', 'EUR');
    await p.charge(id, 'C00042', '54.97', 'EUR');
    expect(await p.get(id)).toMatchObject({ status: 'captured', capturedCents: 5497, refundedCents: 0 });
  });

  it('declines with CardDeclined and records nothing', async () => {
    const p = payment();
    const id = orderId();
    await expect(p.charge(id, 'C99999', '1.00', 'EUR')).rejects.toMatchObject({ name: 'CardDeclined' });
    expect(await p.get(id)).toBeUndefined();
  });

  it('holds a large payment for review, captures it at the approving check, or rejects a fraud', async () => {
    const p = payment();
    const ok = orderId();
    const fraud = orderId();
    expect((await p.charge(ok, 'C00042', '6000.00', 'EUR')).status).toBe('review');
    expect(await p.review(ok)).toMatchObject({ status: 'captured', captured: '6000.00', reviewChecks: 1 });
    await p.charge(fraud, 'C66666', '6000.00', 'EUR');
    await expect(p.review(fraud)).rejects.toMatchObject({ name: 'FraudRejected' });
    // The held money is released by the refund, not taken.
    expect(await p.refund(fraud)).toMatchObject({ status: 'voided', captured: '0.00', refunded: '0.00' });
  });

  it('refunds once, and a refund before any charge leaves a tombstone a late charge cannot pass', async () => {
    const p = payment();
    const id = orderId();
    await p.charge(id, 'C00042', '10.00', 'EUR');
    await p.refund(id);
    await p.refund(id);
    expect(await p.get(id)).toMatchObject({ status: 'refunded', capturedCents: 1000, refundedCents: 1000 });
    const early = orderId();
    await p.refund(early);
    expect(await p.charge(early, 'C00042', '10.00', 'EUR')).toMatchObject({ status: 'voided', captured: '0.00' });
  });
});

describe('Class: ShippingService', () => {
  const shipping = () => new ShippingService({ ddb: db.doc, tableName: tables.shipments, rules: DEFAULT_REFERENCE_RULES, now });
  const order = (id: string, country = 'GB') =>
    ({
      orderId: id,
      customerId: 'C00042',
      amount: { total: '1.00', currency: 'EUR' },
      lines: [],
      shippingAddress: { street: 's', city: 'c', postalCode: '123', country },
    }) as SagaOrder;

  it('books once, refuses an unserved country, and cancels only before dispatch', async () => {
    const s = shipping();
    const id = orderId();
    const a = await s.book(order(id));
    const b = await s.book(order(id));
    expect(b).toEqual(a);
    expect(await s.book(order(orderId(), 'ZZ'))).toMatchObject({ kind: 'rejected', error: 'AddressRejected' });
    await s.recordDispatch(id, { trackingNumber: 'T1' });
    await expect(s.cancel(id)).rejects.toMatchObject({ name: 'CompensationRefused' });
  });

  it('a cancel before booking leaves a tombstone; a dispatch after a cancel is flagged for an operator', async () => {
    const s = shipping();
    const id = orderId();
    expect((await s.cancel(id)).status).toBe('cancelled');
    expect(await s.book(order(id))).toMatchObject({ kind: 'rejected', error: 'ShipmentCancelled' });
    const flagged = await s.recordDispatch(id, {});
    expect(flagged).toMatchObject({ status: 'cancelled', dispatchedAfterCancel: true });
  });
});

describe('Class: NotificationService', () => {
  it('tells the customer once, and sends a cancellation only after a confirmation', async () => {
    const n = new NotificationService({ ddb: db.doc, tableName: tables.notifications, now });
    const id = orderId();
    const o = { orderId: id, customerId: 'C00042' } as SagaOrder;
    expect(await n.cancellation(o)).toEqual({ sent: false });
    expect((await n.confirm(o)).sent).toBe(true);
    expect((await n.confirm(o)).sent).toBe(false);
    expect((await n.cancellation(o, 'Boom')).sent).toBe(true);
    expect((await n.get(id, 'cancellation'))?.subject).toContain('(Boom)');
  });
});
