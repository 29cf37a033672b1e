import { compensationsAfter } from '../../core/saga/plan';
import { SAGA_COMPENSATIONS } from '../../core/saga/steps';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';
import { makeOrder, SagaWorld, type SagaRunResult } from '../support/saga/world';

/*
 * The synthesized order saga, run by aws-local-stepfunctions with the real handlers in-process against
 * dynalite, the real translator on in-memory buses, and the reference monolith answering through them.
 * Reference owners: ProcessPayment by the monolith, every other step by the new services.
 */

const STOCK = { 'MUG-0001': 10, 'TEA-0042': 5 };

/** Compensations in the order they ran (a retried one counted once). */
function compensationsRun(run: SagaRunResult): string[] {
  const names = run.tasks.map((t) => t.state).filter((s) => (SAGA_COMPENSATIONS as readonly string[]).includes(s));
  return names.filter((n, i) => n !== names[i - 1]);
}

describe('State machine: order saga', () => {
  let db: Dynalite;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });

  async function world(options: Partial<Parameters<typeof SagaWorld.create>[0]> = {}): Promise<SagaWorld> {
    const w = await SagaWorld.create({ db, ...options });
    await w.stock(STOCK);
    return w;
  }

  async function expectFullyCompensated(w: SagaWorld, run: SagaRunResult): Promise<void> {
    expect(run.outcome).toBe('compensated');
    for (const [sku, initial] of Object.entries(STOCK)) {
      expect({ sku, ...(await w.stockAccountedFor(sku)) }).toEqual({ sku, available: initial, held: 0, holders: [] });
    }
    expect(await w.netChargedCents(run.orderId)).toBe(0);
    expect((await w.item('orders', { orderId: run.orderId }))?.status ?? 'cancelled').toBe('cancelled');
    expect((await w.item('sagaState', { orderId: run.orderId }))?.sagaState).toBe('compensated');
    const shipment = await w.shipping.get(run.orderId);
    expect(shipment?.status ?? 'none').toMatch(/^(none|cancelled)$/);
  }

  describe('happy path', () => {
    it('runs every step once, in order, with payment captured by the monolith through the bridge', async () => {
      // Prepare
      const w = await world();
      const order = makeOrder();

      // Act
      const run = await w.run(order);

      // Assess
      expect(run.outcome).toBe('completed');
      const steps = ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ConfirmReservation', 'ScheduleShipping', 'NotifyCustomer'];
      expect(run.tasks.map((t) => t.state).filter((s) => steps.includes(s))).toEqual(steps);
      expect(run.audit.map((a) => a.type)).toEqual([
        'saga.started',
        ...steps.flatMap(() => ['saga.step-started', 'saga.step-succeeded']),
        'saga.completed',
      ]);
      // The monolith got the legacy command and its reply came back translated.
      const legacy = w.events.filter((e) => e.bus === 'legacy' && e.detail.ORDER_NO === order.orderId).map((e) => e.detailType);
      // The carrier's dispatch goes back to the monolith too (it still runs the warehouse screens).
      expect(legacy).toEqual(['CAPTURE_PAYMENT_REQUESTED', 'PAYMENT_CAPTURED', 'SHIPMENT_DISPATCHED']);
      expect(await w.netChargedCents(run.orderId)).toBe(5497);
      // Stock left with the parcel: 2 mugs and 1 tea gone, nothing still held.
      expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 8, held: 0, holders: [] });
      expect(await w.stockAccountedFor('TEA-0042')).toEqual({ available: 4, held: 0, holders: [] });
      expect((await w.item('orders', { orderId: run.orderId }))?.status).toBe('confirmed');
      expect((await w.item('sagaState', { orderId: run.orderId }))?.sagaState).toBe('completed');
      expect((await w.shipping.get(run.orderId))?.status).toBe('dispatched');
      expect((await w.notification.get(run.orderId, 'confirmation'))?.customerId).toBe('C00042');
      expect(run.output?.results).toMatchObject({
        ProcessPayment: { paymentId: expect.stringMatching(/^PAY/), replyType: 'payment.captured' },
      });
    });

    it('writes every step, its input, its result, under the order correlation id, to the services bus', async () => {
      // Prepare
      const w = await world();
      const order = makeOrder();

      // Act
      const run = await w.run(order);

      // Assess
      const events = w.events.filter(
        (e) => e.detailType.startsWith('saga.') && (e.detail.metadata as { entity: { key: string } }).entity.key === run.orderId,
      );
      expect(events.length).toBeGreaterThan(10);
      for (const e of events) {
        expect(e.source).toBe('cutover.saga');
        expect(e.detail.metadata).toMatchObject({
          correlationId: `order-${order.orderId}`,
          origin: 'service',
          entity: { type: 'order', key: order.orderId },
        });
      }
      const ids = events.map((e) => (e.detail.metadata as { eventId: string }).eventId);
      expect(new Set(ids).size).toBe(ids.length);
      const started = run.audit.find((a) => a.type === 'saga.step-started' && a.data.step === 'ReserveInventory')!;
      expect(started.data).toMatchObject({
        owner: 'service',
        input: { action: 'reserve', orderId: order.orderId, order: { lines: order.lines } },
      });
      expect(JSON.stringify(run.audit)).not.toContain('taskToken');
      const reserved = run.audit.find((a) => a.type === 'saga.step-succeeded' && a.data.step === 'ReserveInventory')!;
      expect(reserved.data.result).toMatchObject({ status: 'reserved', reservationId: expect.stringMatching(/^RSV/) });
    });

    it('holds a large payment for fraud review in a Wait state, then captures it (payment owned by the service)', async () => {
      // Prepare
      const w = await world({ owners: { ProcessPayment: 'service' } });
      const order = makeOrder({ amount: { total: '6000.00', currency: 'EUR' } });

      // Act
      const run = await w.run(order);

      // Assess
      expect(run.outcome).toBe('completed');
      const states = run.log.filter((e) => e.type === 'StateEntered').map((e) => (e.state as { name: string }).name);
      expect(states).toEqual(expect.arrayContaining(['Payment Held For Review?', 'Fraud Review Hold', 'Check Fraud Review']));
      expect(await w.payment.get(run.orderId)).toMatchObject({ status: 'captured', capturedCents: 600000, reviewChecks: 1 });
    });
  });

  describe('a failure at every step compensates the completed steps in reverse order', () => {
    // Not in the retry list, not a business error: ambiguous, so the failed step's own compensation runs too.
    const ambiguous: Array<[string, string[]]> = [
      ['CreateOrder', ['CancelOrder']],
      ['ReserveInventory', ['ReleaseInventory', 'CancelOrder']],
      ['ProcessPayment', ['RefundPayment', 'ReleaseInventory', 'CancelOrder']],
      ['ConfirmReservation', ['RefundPayment', 'ReleaseInventory', 'CancelOrder']],
      ['ScheduleShipping', ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder']],
    ];
    it.each(ambiguous)('%s fails with an unknown error: compensations %j', async (action, expected) => {
      // Prepare
      const w = await world({ faults: { [action]: { failAlways: 'Boom' } } });
      if (action === 'CreateOrder') w.integrationFaults.set('CreateOrder', { error: 'Boom', times: 1 });

      // Act
      const run = await w.run(makeOrder());

      // Assess
      expect(compensationsRun(run)).toEqual(expected);
      expect(compensationsAfter(w.plan, action, false)).toEqual(expected);
      expect(run.audit.filter((a) => a.type === 'saga.compensation-succeeded').map((a) => a.data.compensation)).toEqual(expected);
      expect(run.audit.find((a) => a.type === 'saga.step-failed')?.data).toMatchObject({
        step: action,
        kind: 'error',
        error: { Error: 'Boom' },
      });
      await expectFullyCompensated(w, run);
    });

    const rejected: Array<[string, string, string[]]> = [
      ['ReserveInventory', 'OutOfStock', ['CancelOrder']],
      ['ProcessPayment', 'CardDeclined', ['ReleaseInventory', 'CancelOrder']],
      ['ConfirmReservation', 'ReservationExpired', ['RefundPayment', 'ReleaseInventory', 'CancelOrder']],
      ['ScheduleShipping', 'AddressRejected', ['RefundPayment', 'ReleaseInventory', 'CancelOrder']],
    ];
    it.each(rejected)('%s says %s (a business error): it did nothing, compensations %j', async (action, error, expected) => {
      // Prepare
      const w = await world({ faults: { [action]: { failAlways: error } } });

      // Act
      const run = await w.run(makeOrder());

      // Assess
      expect(compensationsRun(run)).toEqual(expected);
      expect(compensationsAfter(w.plan, action, true)).toEqual(expected);
      expect(run.tasks.filter((t) => t.state === action)).toHaveLength(1);
      expect(run.output?.failure).toMatchObject({ Error: error });
      await expectFullyCompensated(w, run);
    });

    it('NotifyCustomer failing after the parcel left cannot be undone: CancelShipment is refused and the order needs attention', async () => {
      // Prepare
      const w = await world({ faults: { NotifyCustomer: { failAlways: 'Boom' } } });

      // Act
      const run = await w.run(makeOrder());

      // Assess
      expect(compensationsRun(run)).toEqual(['SendCancellationNotice', 'CancelShipment']);
      expect(run.outcome).toBe('compensation-failed');
      expect(await w.item('needsAttention', { orderId: run.orderId })).toMatchObject({
        failedCompensation: 'CancelShipment',
        error: 'CompensationRefused',
        failedStep: 'NotifyCustomer',
      });
      // Refused at once: retrying cannot bring a parcel back.
      expect(run.tasks.filter((t) => t.state === 'CancelShipment')).toHaveLength(1);
    });

    it.each([
      ['out of stock', { 'MUG-0001': 1 }, {}, 'ReserveInventory', 'OutOfStock'],
      ['a card the monolith declines', {}, { customerId: 'C99999' }, 'ProcessPayment', 'CardDeclined'],
      [
        'an address no carrier serves',
        {},
        { shippingAddress: { street: '1 Ice Road', city: 'Nowhere', postalCode: '00000', country: 'ZZ' } },
        'ScheduleShipping',
        'AddressRejected',
      ],
    ])('real business failure: %s', async (_what, stock, orderOverrides, step, error) => {
      // Prepare
      const w = await world();
      await w.stock(stock as Record<string, number>);
      const before = { mug: await w.stockAccountedFor('MUG-0001'), tea: await w.stockAccountedFor('TEA-0042') };

      // Act
      const run = await w.run(makeOrder(orderOverrides));

      // Assess
      expect(run.outcome).toBe('compensated');
      expect(run.output).toMatchObject({ failedStep: step, failure: { Error: error } });
      expect(await w.stockAccountedFor('MUG-0001')).toEqual(before.mug);
      expect(await w.stockAccountedFor('TEA-0042')).toEqual(before.tea);
      expect(await w.netChargedCents(run.orderId)).toBe(0);
    });
  });

  describe('a compensation that fails', () => {
    it('goes to CompensationFailed: needs-attention row, saga.compensation-failed event, the execution fails', async () => {
      // Prepare: shipping refuses the address, then the monolith refuses the refund for good.
      const w = await world({ faults: { RefundPayment: { failAlways: 'CompensationRefused' } } });
      const order = makeOrder({ shippingAddress: { street: '1 Ice Road', city: 'Nowhere', postalCode: '00000', country: 'ZZ' } });

      // Act
      const run = await w.run(order);

      // Assess
      expect(run.outcome).toBe('compensation-failed');
      expect(run.error?.name).toBe('Saga.CompensationFailed');
      expect(compensationsRun(run)).toEqual(['RefundPayment']);
      expect(await w.item('needsAttention', { orderId: run.orderId })).toMatchObject({
        failedCompensation: 'RefundPayment',
        error: 'CompensationRefused',
        failedStep: 'ScheduleShipping',
        stepError: 'AddressRejected',
      });
      expect((await w.item('sagaState', { orderId: run.orderId }))?.sagaState).toBe('compensation-failed');
      expect(run.audit.at(-1)).toMatchObject({
        type: 'saga.compensation-failed',
        data: { compensation: 'RefundPayment', failedStep: 'ScheduleShipping' },
      });
    });

    it('retries a failing compensation with backoff before giving up', async () => {
      // Prepare
      const w = await world({ faults: { ReleaseInventory: { failAlways: 'TransientError' } } });

      // Act
      const run = await w.run(makeOrder({ customerId: 'C99999' }));

      // Assess
      expect(run.outcome).toBe('compensation-failed');
      expect(run.tasks.filter((t) => t.state === 'ReleaseInventory')).toHaveLength(1 + w.plan.retry.compensation.maxAttempts);
      expect(await w.item('needsAttention', { orderId: run.orderId })).toMatchObject({
        failedCompensation: 'ReleaseInventory',
        error: 'TransientError',
      });
    });

    it('completes the compensation when a retry succeeds', async () => {
      // Prepare
      const w = await world({ faults: { ReleaseInventory: { failTimes: 2 } } });

      // Act
      const run = await w.run(makeOrder({ customerId: 'C99999' }));

      // Assess
      expect(run.tasks.filter((t) => t.state === 'ReleaseInventory')).toHaveLength(3);
      await expectFullyCompensated(w, run);
    });
  });
});
