import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CarrierProvider } from '../../core/providers/carrier';
import type { PaymentProvider } from '../../core/providers/payment';
import { SandboxCarrierProvider } from '../../core/providers/sandbox-carrier';
import { SandboxPaymentProvider } from '../../core/providers/sandbox-payment';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import { createPaymentHandler } from '../../functions/payment/handler';
import { PaymentService } from '../../functions/payment/payment';
import { Logger } from '../../functions/shared/logger';
import { ShippingService } from '../../functions/shipping/shipping';
import { createSagaTables, startDynalite, type Dynalite } from '../support/saga/dynalite';

/*
 * The reference payment and shipping services through their provider: what they send it (idempotency keys,
 * amounts) and what each kind of answer becomes for the saga. Tables in dynalite, providers stubbed over
 * the sandbox so each answer can be chosen.
 */

process.env.LOG_LEVEL = 'error';
let db: Dynalite;
let tables: Awaited<ReturnType<typeof createSagaTables>>;
beforeAll(async () => {
  db = await startDynalite();
  tables = await createSagaTables(db);
});
afterAll(async () => {
  await db.close();
});

let seq = 0;
const nextOrder = () => String(1_600_000 + ++seq);

function stubPayment(overrides: Partial<PaymentProvider>): PaymentProvider & { calls: Array<[string, unknown]> } {
  const sandbox = new SandboxPaymentProvider(DEFAULT_REFERENCE_RULES);
  const calls: Array<[string, unknown]> = [];
  const wrap =
    <K extends 'charge' | 'status' | 'refund'>(name: K) =>
    async (req: Parameters<PaymentProvider[K]>[0]) => {
      calls.push([name, req]);
      const f = (overrides[name] ?? sandbox[name].bind(sandbox)) as (r: typeof req) => ReturnType<PaymentProvider[K]>;
      return f(req);
    };
  return { name: 'stub', calls, charge: wrap('charge'), status: wrap('status'), refund: wrap('refund') } as never;
}

describe('Class: PaymentService with a provider', () => {
  const service = (provider: PaymentProvider) =>
    new PaymentService({ ddb: db.doc, tableName: tables.payments, rules: DEFAULT_REFERENCE_RULES, provider });

  it('charges with the key charge:<orderId>, stores the provider and its reference, and asks once for a retried step', async () => {
    // Prepare
    const provider = stubPayment({});
    const orderId = nextOrder();
    // Act
    const first = await service(provider).charge(orderId, 'C00042', '54.97', 'EUR');
    const again = await service(provider).charge(orderId, 'C00042', '54.97', 'EUR');
    // Assess
    expect(again).toEqual(first);
    expect(provider.calls).toEqual([
      ['charge', { idempotencyKey: `charge:${orderId}`, orderId, customerId: 'C00042', amount: '54.97', currency: 'EUR' }],
    ]);
    const item = (await db.doc.send(new GetCommand({ TableName: tables.payments, Key: { orderId } }))).Item;
    expect(item).toMatchObject({ status: 'captured', provider: 'stub', providerRef: expect.stringMatching(/^sbx_pay_/) });
  });

  it('turns a transient answer into TransientError (retried by the saga) and stores nothing', async () => {
    const orderId = nextOrder();
    const provider = stubPayment({ charge: async () => ({ kind: 'transient', reason: 'PSP 503' }) });
    await expect(service(provider).charge(orderId, 'C00042', '54.97', 'EUR')).rejects.toMatchObject({ name: 'TransientError' });
    expect((await db.doc.send(new GetCommand({ TableName: tables.payments, Key: { orderId } }))).Item).toBeUndefined();
  });

  it('turns a decline into CardDeclined with the provider named', async () => {
    const provider = stubPayment({ charge: async () => ({ kind: 'declined', reason: 'insufficient funds' }) });
    await expect(service(provider).charge(nextOrder(), 'C00042', '54.97', 'EUR')).rejects.toMatchObject({
      name: 'CardDeclined',
      message: expect.stringContaining('insufficient funds'),
      context: expect.objectContaining({ provider: 'stub' }),
    });
  });

  it('asks the provider for the status of a held payment with the attempt number', async () => {
    const orderId = nextOrder();
    const provider = stubPayment({});
    await service(provider).charge(orderId, 'C00042', '6000.00', 'EUR');
    const r = await service(provider).review(orderId);
    expect(r.status).toBe('captured');
    expect(provider.calls[1]).toEqual([
      'status',
      expect.objectContaining({ orderId, customerId: 'C00042', attempt: 1, providerRef: expect.any(String) }),
    ]);
  });

  it('refunds what was captured at the provider with the key refund:<orderId>, once', async () => {
    const orderId = nextOrder();
    const provider = stubPayment({});
    const charged = await service(provider).charge(orderId, 'C00042', '54.97', 'EUR');
    await service(provider).refund(orderId, 'InventoryUnavailable');
    const again = await service(provider).refund(orderId, 'InventoryUnavailable');
    expect(again).toMatchObject({ status: 'refunded', refunded: '54.97' });
    const refunds = provider.calls.filter(([n]) => n === 'refund');
    expect(refunds).toEqual([
      ['refund', expect.objectContaining({ idempotencyKey: `refund:${orderId}`, amount: charged.captured, currency: 'EUR' })],
    ]);
  });

  it('refuses the compensation (CompensationRefused) when the provider declines a refund, leaving the payment captured', async () => {
    const orderId = nextOrder();
    const provider = stubPayment({ refund: async () => ({ kind: 'declined', reason: 'charge disputed' }) });
    await service(provider).charge(orderId, 'C00042', '54.97', 'EUR');
    await expect(service(provider).refund(orderId)).rejects.toMatchObject({ name: 'CompensationRefused' });
    expect((await service(provider).get(orderId))?.status).toBe('captured');
  });

  it('the Lambda handler charges through the provider it is given', async () => {
    const provider = stubPayment({});
    const handler = createPaymentHandler({ service: service(provider), logger: new Logger('test') });
    const orderId = nextOrder();
    const out = await handler({
      action: 'charge',
      step: 'ProcessPayment',
      orderId,
      correlationId: `order-${orderId}`,
      sagaId: `${orderId}-run1`,
      order: {
        orderId,
        customerId: 'C00042',
        placedAt: '2026-11-21T14:30:00Z',
        amount: { total: '28.99', currency: 'EUR' },
        channel: 'web',
        lines: [{ lineNo: 1, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' }],
        shippingAddress: { street: '1 A St', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
      },
    });
    expect(out).toMatchObject({ status: 'captured', amount: '28.99' });
    expect(provider.calls.map(([n]) => n)).toEqual(['charge']);
  });
});

describe('Class: ShippingService with a provider', () => {
  const sandbox = new SandboxCarrierProvider(DEFAULT_REFERENCE_RULES);
  const carrier = (overrides: Partial<CarrierProvider>): CarrierProvider => ({
    name: 'stub',
    bookShipment: overrides.bookShipment ?? ((r) => sandbox.bookShipment(r)),
    cancelShipment: overrides.cancelShipment ?? ((r) => sandbox.cancelShipment(r)),
    verifyWebhook: (r) => sandbox.verifyWebhook(r),
  });
  const service = (provider: CarrierProvider) =>
    new ShippingService({ ddb: db.doc, tableName: tables.shipments, rules: DEFAULT_REFERENCE_RULES, provider });
  const order = (orderId: string, country = 'GB') =>
    ({ orderId, shippingAddress: { street: '1 A St', city: 'Bristol', postalCode: 'BS1 4QA', country } }) as never;

  it('books with the key book:<orderId> and our shipment id, storing the booking reference', async () => {
    const orderId = nextOrder();
    const seen: unknown[] = [];
    const out = await service(
      carrier({ bookShipment: async (r) => (seen.push(r), { kind: 'booked', carrier: 'dpd', bookingRef: 'DPD-77' }) }),
    ).book(order(orderId));
    expect(out).toMatchObject({
      kind: 'booked',
      shipment: { carrier: 'dpd', bookingRef: 'DPD-77', provider: 'stub', shipmentId: `SHP${orderId}` },
    });
    expect(seen).toEqual([expect.objectContaining({ idempotencyKey: `book:${orderId}`, shipmentId: `SHP${orderId}` })]);
  });

  it('turns a rejection into AddressRejected and a transient answer into TransientError', async () => {
    expect(await service(carrier({})).book(order(nextOrder(), 'ZZ'))).toMatchObject({ kind: 'rejected', error: 'AddressRejected' });
    await expect(
      service(carrier({ bookShipment: async () => ({ kind: 'transient', reason: 'carrier API 502' }) })).book(order(nextOrder())),
    ).rejects.toMatchObject({
      name: 'TransientError',
    });
  });

  it('cancels at the carrier first, and refuses (CompensationRefused) when the carrier says it is too late', async () => {
    const orderId = nextOrder();
    const late = carrier({ cancelShipment: async () => ({ kind: 'too-late', reason: 'collected 08:10' }) });
    await service(late).book(order(orderId));
    await expect(service(late).cancel(orderId)).rejects.toMatchObject({
      name: 'CompensationRefused',
      message: expect.stringContaining('collected 08:10'),
    });
    expect((await service(late).get(orderId))?.status).toBe('requested');
    expect((await service(carrier({})).cancel(orderId)).status).toBe('cancelled');
  });
});
