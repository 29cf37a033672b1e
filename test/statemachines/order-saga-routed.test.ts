// The world first: it quiets the handlers' loggers before any is built.
import { makeOrder, referenceSpecWith, SagaWorld, type SagaRunResult } from '../support/saga/world';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';
import { orderIdsOn, RoutingTableStub } from '../support/saga/routing-table';
import { bucketOf } from '../../core/routing/bucket';
import { STATE } from '../../core/saga/asl';
import { createSagaRouteHandler } from '../../functions/saga-route/handler';
import { Logger } from '../../functions/shared/logger';

/*
 * A routed ProcessPayment (owner "routed", capability payment, keyed on orderId) run by aws-local-stepfunctions
 * with the real handlers in-process: the decision task is functions/saga-route's handler over a routing
 * table the test edits between steps (no cache, so an edit is seen at once). Orders whose bucket is below
 * the canary percent pay through the payment service, the others through the monolith; a compensation goes
 * to the side of the forward step even when the table changed since; a failed decision is the monolith.
 */

const STOCK = { 'MUG-0001': 50, 'TEA-0042': 50 };
const PAYMENT_SIDE = { service: 'ProcessPayment', monolith: STATE.viaMonolith('ProcessPayment') };
const REFUND_SIDE = { service: 'RefundPayment', monolith: STATE.viaMonolith('RefundPayment') };

const orderIdOn = orderIdsOn(4_000_000, 13);

const ran = (run: SagaRunResult, state: string) => run.tasks.some((t) => t.state === state);
const auditOf = (run: SagaRunResult, type: string, field: string, value: string) =>
  run.audit.find((e) => e.type === type && e.data[field] === value)?.data;

describe('State machine: order saga with a routed ProcessPayment', () => {
  let db: Dynalite;
  const spec = referenceSpecWith({ ProcessPayment: 'routed' });
  const quiet = new Logger('test', {});

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });

  async function world(
    table: RoutingTableStub,
    options: Partial<Parameters<typeof SagaWorld.create>[0]> = {},
  ): Promise<{ w: SagaWorld; decide: (event: unknown) => Promise<unknown> }> {
    const decide = createSagaRouteHandler({ spec, store: table, cacheTtlMs: 0, logger: quiet });
    const w = await SagaWorld.create({ db, spec, sagaRoute: decide, ...options });
    await w.stock(STOCK);
    return { w, decide };
  }

  describe('canary at 50%', () => {
    it.each(['service', 'monolith'] as const)(
      'charges an order whose bucket sends it to the %s there, and stamps the decision',
      async (side) => {
        // Prepare
        const table = new RoutingTableStub(spec);
        table.set('payment', 'canary', 50);
        const { w } = await world(table);
        const order = makeOrder({ orderId: orderIdOn(side) });

        // Act
        const run = await w.run(order);

        // Assess
        expect(run.outcome).toBe('completed');
        expect(ran(run, PAYMENT_SIDE[side])).toBe(true);
        expect(ran(run, PAYMENT_SIDE[side === 'service' ? 'monolith' : 'service'])).toBe(false);
        const stamp = {
          capability: 'payment',
          side,
          bucket: bucketOf(run.orderId),
          reason: side === 'service' ? 'canary-in' : 'canary-out',
        };
        expect(run.output?.results).toBeDefined();
        expect(auditOf(run, 'saga.step-routed', 'step', 'ProcessPayment')?.route).toMatchObject({
          ...stamp,
          version: 'v1',
          mode: 'canary',
        });
        expect(auditOf(run, 'saga.step-succeeded', 'step', 'ProcessPayment')?.route).toMatchObject(stamp);
        // The money was taken once, by the side the decision named.
        const service = await w.payment.get(run.orderId);
        const monolith = await w.item('monolith', { pk: `PAY#${run.orderId}` });
        expect({ service: service?.status ?? 'none', monolith: monolith?.status ?? 'none' }).toEqual(
          side === 'service' ? { service: 'captured', monolith: 'none' } : { service: 'none', monolith: 'captured' },
        );
        expect(await w.netChargedCents(run.orderId)).toBe(5497);
      },
    );

    it.each(['service', 'monolith'] as const)('refunds on the %s, the side of the charge, when a later step fails', async (side) => {
      // Prepare
      const table = new RoutingTableStub(spec);
      table.set('payment', 'canary', 50);
      const { w } = await world(table, { faults: { ScheduleShipping: { failAlways: 'Boom' } } });

      // Act
      const run = await w.run(makeOrder({ orderId: orderIdOn(side) }));

      // Assess
      expect(run.outcome).toBe('compensated');
      expect(ran(run, REFUND_SIDE[side])).toBe(true);
      expect(ran(run, REFUND_SIDE[side === 'service' ? 'monolith' : 'service'])).toBe(false);
      expect(auditOf(run, 'saga.compensation-succeeded', 'compensation', 'RefundPayment')?.route).toMatchObject({ side });
      expect(await w.netChargedCents(run.orderId)).toBe(0);
      // One decision for the whole saga: the compensation read the stamp.
      expect(run.tasks.filter((t) => t.state === STATE.routeDecision('ProcessPayment'))).toHaveLength(1);
    });
  });

  describe('a routing change while the order is in flight', () => {
    it.each([
      ['service', 'rolled back to legacy', ['legacy', 0]],
      ['monolith', 'promoted to primary', ['primary', 100]],
    ] as const)(
      'refunds an order charged on the %s there, though the route was %s before the refund',
      async (side, _what, [mode, percent]) => {
        // Prepare
        const table = new RoutingTableStub(spec);
        table.set('payment', 'canary', 50);
        const { w, decide } = await world(table, { faults: { ScheduleShipping: { failAlways: 'Boom' } } });
        const order = makeOrder({ orderId: orderIdOn(side) });
        // After the charge, before the step that fails: the operator changes the route.
        w.beforeTask.set('ScheduleShipping', async () => table.set('payment', mode, percent));

        // Act
        const run = await w.run(order);
        const now = (await decide({
          step: 'ProcessPayment',
          capability: 'payment',
          keyField: 'orderId',
          orderId: order.orderId,
          order,
        })) as {
          side: string;
        };

        // Assess
        expect(now.side).toBe(side === 'service' ? 'monolith' : 'service'); // a new order would go the other way now
        expect(run.outcome).toBe('compensated');
        expect(ran(run, PAYMENT_SIDE[side])).toBe(true);
        expect(ran(run, REFUND_SIDE[side])).toBe(true);
        expect(ran(run, REFUND_SIDE[side === 'service' ? 'monolith' : 'service'])).toBe(false);
        expect(await w.netChargedCents(run.orderId)).toBe(0);
      },
    );
  });

  describe('a failed decision', () => {
    it('charges through the monolith, the safe side, and says why in the stamp', async () => {
      // Prepare
      const table = new RoutingTableStub(spec);
      table.set('payment', 'primary', 100);
      const broken = async () => {
        const e = new Error('routing table unreachable');
        e.name = 'Boom';
        throw e;
      };
      const w = await SagaWorld.create({ db, spec, sagaRoute: broken });
      await w.stock(STOCK);

      // Act
      const run = await w.run(makeOrder({ orderId: orderIdOn('service') }));

      // Assess
      expect(run.outcome).toBe('completed');
      expect(ran(run, PAYMENT_SIDE.monolith)).toBe(true);
      expect(ran(run, PAYMENT_SIDE.service)).toBe(false);
      expect(auditOf(run, 'saga.step-routed', 'step', 'ProcessPayment')?.route).toMatchObject({
        side: 'monolith',
        reason: 'decision-failed',
        error: 'Boom',
      });
      expect(
        run.log.some((e) => e.type === 'StateEntered' && (e.state as { name: string }).name === STATE.routeFallback('ProcessPayment')),
      ).toBe(true);
    });

    it('refunds through the monolith too when a later step fails', async () => {
      // Prepare
      const failing = async () => {
        throw Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' });
      };
      const w = await SagaWorld.create({ db, spec, sagaRoute: failing, faults: { ScheduleShipping: { failAlways: 'Boom' } } });
      await w.stock(STOCK);

      // Act
      const run = await w.run(makeOrder({ orderId: orderIdOn('service') }));

      // Assess
      expect(run.outcome).toBe('compensated');
      expect([ran(run, REFUND_SIDE.monolith), ran(run, REFUND_SIDE.service)]).toEqual([true, false]);
      expect(await w.netChargedCents(run.orderId)).toBe(0);
    });
  });
});
