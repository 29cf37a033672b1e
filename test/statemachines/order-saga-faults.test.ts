import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { buildSagaDefinition } from '../../core/saga/asl';
import { TRANSIENT_ERRORS } from '../../core/saga/errors';
import { buildSagaPlan } from '../../core/saga/plan';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';
import { makeOrder, referenceSpecWith, SagaWorld, type SagaRunResult } from '../support/saga/world';

/*
 * The order saga under faults: transient vs business errors, every step delivered twice, timeouts of the
 * callback waits, the oversell race, and steps moved between the monolith and the services.
 */

const STOCK = { 'MUG-0001': 10, 'TEA-0042': 5 };

const retriesOf = (run: SagaRunResult, state: string) =>
  run.log.filter((e) => e.type === 'StateRetried' && (e.state as { name: string }).name === state).length;
const callsOf = (run: SagaRunResult, state: string) => run.tasks.filter((t) => t.state === state).length;

describe('State machine: order saga under faults', () => {
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

  describe('business vs transient errors', () => {
    it('retries a transient failure with backoff and completes', async () => {
      // Prepare
      const w = await world({ faults: { ReserveInventory: { failTimes: 2 } } });

      // Act
      const run = await w.run(makeOrder());

      // Assess
      expect(run.outcome).toBe('completed');
      expect(callsOf(run, 'ReserveInventory')).toBe(3);
      expect(retriesOf(run, 'ReserveInventory')).toBe(2);
      expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 8, held: 0, holders: [] });
    });

    it('never retries a business error', async () => {
      // Prepare
      const w = await world();
      await w.stock({ 'TEA-0042': 0 });

      // Act
      const run = await w.run(makeOrder());

      // Assess
      expect(run.output).toMatchObject({ outcome: 'compensated', failedStep: 'ReserveInventory', failure: { Error: 'OutOfStock' } });
      expect(callsOf(run, 'ReserveInventory')).toBe(1);
      expect(retriesOf(run, 'ReserveInventory')).toBe(0);
      // The mugs it held before finding no tea went back at once.
      expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 10, held: 0, holders: [] });
    });

    it("treats a transient failure that outlasts its retries as ambiguous: the step's own compensation runs", async () => {
      // Prepare: the charge lands every time, but the answer never gets back.
      const w = await world({ owners: { ProcessPayment: 'service' }, faults: { ProcessPayment: { failTimes: 99, phase: 'after' } } });

      // Act
      const run = await w.run(makeOrder());

      // Assess
      expect(callsOf(run, 'ProcessPayment')).toBe(1 + w.plan.retry.step.maxAttempts);
      expect(run.output).toMatchObject({ outcome: 'compensated', failedStep: 'ProcessPayment', failure: { Error: 'TransientError' } });
      const payment = await w.payment.get(run.orderId);
      expect(payment).toMatchObject({ status: 'refunded', capturedCents: 5497, refundedCents: 5497 });
      expect(await w.netChargedCents(run.orderId)).toBe(0);
    });

    it('lists exactly the transient errors in every step retrier, with full jitter', () => {
      // Prepare
      const def = SagaWorldDefinition();

      // Assess
      for (const id of ['ReserveInventory', 'ConfirmReservation', 'NotifyCustomer']) {
        expect(def.States[id].Retry).toEqual([expect.objectContaining({ ErrorEquals: [...TRANSIENT_ERRORS], JitterStrategy: 'FULL' })]);
      }
      // A carrier that does not answer is not retried: its timeout compensates.
      expect((def.States.ScheduleShipping.Retry as Array<{ ErrorEquals: string[] }>)[0].ErrorEquals).not.toContain('States.Timeout');
    });
  });

  describe('duplicate delivery: every step can land twice without a second effect', () => {
    it.each(['ReserveInventory', 'ProcessPayment', 'ConfirmReservation', 'ScheduleShipping', 'NotifyCustomer'])(
      '%s succeeds, then its answer is lost and it runs again',
      async (action) => {
        // Prepare
        const w = await world({ faults: { [action]: { failTimes: 1, phase: 'after' } } });
        const order = makeOrder();

        // Act
        const run = await w.run(order);

        // Assess
        expect(run.outcome).toBe('completed');
        expect(callsOf(run, action)).toBe(2);
        expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 8, held: 0, holders: [] });
        expect(await w.netChargedCents(run.orderId)).toBe(5497);
        const captures = w.events.filter(
          (e) => e.bus === 'legacy' && e.detailType === 'PAYMENT_CAPTURED' && e.detail.ORDER_NO === order.orderId,
        );
        // A resent command keeps its MSG_ID, so the monolith answers the same message again, never charges twice.
        expect(new Set(captures.map((e) => e.detail.MSG_ID)).size).toBe(1);
        expect((await w.shipping.get(run.orderId))?.status).toBe('dispatched');
        expect((await w.notification.get(run.orderId, 'confirmation'))?.kind).toBe('confirmation');
      },
    );

    it('CreateOrder finds the order it wrote on a first delivery and goes on', async () => {
      // Prepare
      const w = await world();
      const order = makeOrder();
      await db.doc.send(new PutCommand({ TableName: w.tables.orders, Item: { orderId: order.orderId, status: 'pending' } }));

      // Act
      const run = await w.run(order);

      // Assess
      expect(run.outcome).toBe('completed');
      expect(run.output?.results).toMatchObject({ CreateOrder: { existing: true } });
    });

    it('compensations delivered twice give stock and money back once', async () => {
      // Prepare
      const w = await world({
        carrier: 'silent',
        tokenTimeoutMs: 200,
        faults: {
          RefundPayment: { failTimes: 1, phase: 'after' },
          ReleaseInventory: { failTimes: 1, phase: 'after' },
          CancelShipment: { failTimes: 1, phase: 'after' },
        },
      });

      // Act: the carrier never answers, so shipping times out and everything is undone.
      const run = await w.run(makeOrder());

      // Assess
      expect(run.output).toMatchObject({ outcome: 'compensated', failedStep: 'ScheduleShipping', failure: { Error: 'States.Timeout' } });
      for (const c of ['CancelShipment', 'RefundPayment', 'ReleaseInventory']) expect(callsOf(run, c)).toBe(2);
      expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 10, held: 0, holders: [] });
      expect(await w.stockAccountedFor('TEA-0042')).toEqual({ available: 5, held: 0, holders: [] });
      expect(await w.netChargedCents(run.orderId)).toBe(0);
      expect((await w.shipping.get(run.orderId))?.status).toBe('cancelled');
    });
  });

  describe('waits that end in a timeout', () => {
    it('a carrier that never confirms: ScheduleShipping times out and the order is undone', async () => {
      // Prepare
      const w = await world({ carrier: 'silent', tokenTimeoutMs: 200 });

      // Act
      const run = await w.run(makeOrder());

      // Assess
      expect(run.output).toMatchObject({ outcome: 'compensated', failedStep: 'ScheduleShipping', failure: { Error: 'States.Timeout' } });
      expect(callsOf(run, 'ScheduleShipping')).toBe(1);
      expect(run.audit.filter((a) => a.type === 'saga.compensation-succeeded').map((a) => a.data.compensation)).toEqual([
        'CancelShipment',
        'RefundPayment',
        'ReleaseInventory',
        'CancelOrder',
      ]);
      expect((await w.shipping.get(run.orderId))?.status).toBe('cancelled');
      expect(await w.netChargedCents(run.orderId)).toBe(0);
    });

    it('a monolith that never answers: the command is resent (same message id), then the step fails and compensates', async () => {
      // Prepare
      const w = await world({
        tokenTimeoutMs: 150,
        rules: {
          ...DEFAULT_REFERENCE_RULES,
          monolith: { declineCustomers: [], outOfStockSkus: [], silentCustomers: ['C00077'], replyDelayMs: 0 },
        },
      });
      const order = makeOrder({ customerId: 'C00077' });

      // Act
      const run = await w.run(order);

      // Assess
      const exchange = w.spec.saga!.steps.ProcessPayment.monolith!.forward;
      expect(callsOf(run, 'ProcessPayment')).toBe(exchange.maxAttempts);
      const sent = w.events.filter(
        (e) => e.bus === 'legacy' && e.detailType === 'CAPTURE_PAYMENT_REQUESTED' && e.detail.ORDER_NO === order.orderId,
      );
      expect(sent).toHaveLength(exchange.maxAttempts);
      expect(new Set(sent.map((e) => e.detail.MSG_ID)).size).toBe(1);
      expect(run.output).toMatchObject({ outcome: 'compensated', failedStep: 'ProcessPayment', failure: { Error: 'States.Timeout' } });
      expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 10, held: 0, holders: [] });
    });
  });

  describe('the oversell case', () => {
    it('a payment approved after its reservation expired does not sell stock that is gone: the saga refunds', async () => {
      // Prepare: 2 mugs in stock. Order A takes them, then its payment sits in fraud review past the
      // reservation's expiry; meanwhile order B needs 2 mugs, reclaims A's expired reservation and completes.
      let clock = Date.parse('2026-11-21T14:30:00Z');
      const w = await world({ owners: { ProcessPayment: 'service' }, now: () => new Date(clock) });
      await w.stock({ 'MUG-0001': 2, 'TEA-0042': 5 });
      const a = makeOrder({
        amount: { total: '6000.00', currency: 'EUR' },
        lines: [{ lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '3000.00' }],
      });
      const b = makeOrder({ customerId: 'C00077', lines: [{ lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' }] });
      let runB: SagaRunResult | undefined;
      w.beforeTask.set('Check Fraud Review', async () => {
        if (runB) return;
        clock += (w.plan.reservationTtlSeconds + 1) * 1000;
        w.beforeTask.delete('Check Fraud Review');
        runB = await w.run(b);
      });

      // Act
      const runA = await w.run(a);

      // Assess
      expect(runB?.outcome).toBe('completed');
      expect(runA.output).toMatchObject({
        outcome: 'compensated',
        failedStep: 'ConfirmReservation',
        failure: { Error: 'ReservationExpired' },
      });
      expect(await w.payment.get(a.orderId as string)).toMatchObject({ status: 'refunded', capturedCents: 600000, refundedCents: 600000 });
      expect(await w.netChargedCents(a.orderId as string)).toBe(0);
      expect(await w.netChargedCents(b.orderId as string)).toBe(5497);
      // Two mugs existed, two were sold (to B): none negative, none leaked, nobody else holds any.
      expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 0, held: 0, holders: [] });
      expect(await w.inventory.reservation(a.orderId as string)).toMatchObject({ status: 'expired' });
    });
  });

  describe('owners from the spec', () => {
    it('ReserveInventory moved back to the monolith: the step goes through the bridge, and no ConfirmReservation', async () => {
      // Prepare
      const w = await world({ owners: { ReserveInventory: 'monolith' } });
      const order = makeOrder();

      // Act
      const run = await w.run(order);

      // Assess
      expect(run.outcome).toBe('completed');
      expect(run.tasks.map((t) => t.state)).not.toContain('ConfirmReservation');
      const legacy = w.events.filter((e) => e.bus === 'legacy' && e.detail.ORDER_NO === order.orderId).map((e) => e.detailType);
      expect(legacy.slice(0, 4)).toEqual(['RESERVE_STOCK_REQUESTED', 'STOCK_RESERVED', 'CAPTURE_PAYMENT_REQUESTED', 'PAYMENT_CAPTURED']);
      expect(run.output?.results).toMatchObject({
        ReserveInventory: { reservationId: expect.stringMatching(/^RSV/), replyType: 'inventory.reserved' },
      });
      // The inventory service was not asked.
      expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 10, held: 0, holders: [] });
    });

    it("the monolith's STOCK_REJECTED is the business error OutOfStock", async () => {
      // Prepare
      const w = await world({ owners: { ReserveInventory: 'monolith' } });

      // Act
      const run = await w.run(makeOrder({ lines: [{ lineNo: 1, sku: 'OUT-0000', quantity: 1, unitPrice: '1.00' }] }));

      // Assess
      expect(run.output).toMatchObject({ outcome: 'compensated', failedStep: 'ReserveInventory', failure: { Error: 'OutOfStock' } });
      expect(run.audit.filter((a) => a.type === 'saga.compensation-succeeded').map((a) => a.data.compensation)).toEqual(['CancelOrder']);
    });

    it('every step owned by a service: the whole saga runs without the bridge', async () => {
      // Prepare
      const w = await world({ owners: { ProcessPayment: 'service' } });
      const order = makeOrder();

      // Act
      const run = await w.run(order);

      // Assess
      expect(run.outcome).toBe('completed');
      expect(w.events.filter((e) => e.bus === 'legacy' && e.detail.ORDER_NO === order.orderId).map((e) => e.detailType)).toEqual([
        'SHIPMENT_DISPATCHED',
      ]);
      expect(await w.payment.get(run.orderId)).toMatchObject({ status: 'captured', capturedCents: 5497 });
    });
  });
});

function SagaWorldDefinition(): { States: Record<string, Record<string, unknown>> } {
  return buildSagaDefinition(buildSagaPlan(referenceSpecWith().saga!)) as unknown as { States: Record<string, Record<string, unknown>> };
}
