// The world first: it quiets the handlers' loggers before any is built.
import { makeOrder, referenceSpecWith, SagaWorld, type SagaRunResult } from '../support/saga/world';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';
import { orderIdsOn, RoutingTableStub } from '../support/saga/routing-table';
import { bucketOf } from '../../core/routing/bucket';
import { STATE } from '../../core/saga/asl';
import type { FaultPlan } from '../../core/saga/faults';
import { createSagaRouteHandler } from '../../functions/saga-route/handler';
import { Logger } from '../../functions/shared/logger';

/*
 * A routed ReserveInventory (owner "routed", capability inventory, keyed on orderId) run by
 * aws-local-stepfunctions with the real handlers in-process, the decision task being functions/saga-route's
 * handler over a routing table the test edits between steps (no cache). ReserveInventory is the only
 * decision: ConfirmReservation (after payment) and ReleaseInventory read its stamp. An order reserved by the
 * inventory service is confirmed and released there; one reserved by the monolith is released by the
 * monolith and has no ConfirmReservation call at all; a route change between reserve and confirm moves
 * nothing; a failed decision is the monolith.
 */

const STOCK = { 'MUG-0001': 50, 'TEA-0042': 50 };
const SIDE = {
  reserve: { service: 'ReserveInventory', monolith: STATE.viaMonolith('ReserveInventory') },
  confirm: { service: 'ConfirmReservation', monolith: STATE.skippedOnMonolith('ConfirmReservation') },
  release: { service: 'ReleaseInventory', monolith: STATE.viaMonolith('ReleaseInventory') },
} as const;
type Side = 'service' | 'monolith';
const other = (side: Side): Side => (side === 'service' ? 'monolith' : 'service');

const orderIdOn = orderIdsOn(6_000_000, 17);

/** Task states that ran, and Pass/Choice states entered (the monolith side of ConfirmReservation is a Pass). */
const entered = (run: SagaRunResult, state: string) =>
  run.tasks.some((t) => t.state === state) ||
  run.log.some((e) => e.type === 'StateEntered' && (e.state as { name: string }).name === state);
const auditOf = (run: SagaRunResult, type: string, field: string, value: string) =>
  run.audit.find((e) => e.type === type && e.data[field] === value)?.data;

describe('State machine: order saga with a routed ReserveInventory', () => {
  let db: Dynalite;
  const spec = referenceSpecWith({ ReserveInventory: 'routed' });
  const quiet = new Logger('test', {});

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });

  async function world(
    table: RoutingTableStub,
    faults?: FaultPlan,
  ): Promise<{ w: SagaWorld; decide: (event: unknown) => Promise<unknown> }> {
    const decide = createSagaRouteHandler({ spec, store: table, cacheTtlMs: 0, logger: quiet });
    const w = await SagaWorld.create({ db, spec, sagaRoute: decide, faults });
    await w.stock(STOCK);
    return { w, decide };
  }

  /** The monolith's stock commands for one order, as they reached the legacy bus. */
  const legacyCommands = (w: SagaWorld, orderId: string) =>
    w.events
      .filter((e) => e.bus === 'legacy' && String(e.detail.ORDER_NO) === orderId)
      .map((e) => e.detailType)
      .filter((t) => t === 'RESERVE_STOCK_REQUESTED' || t === 'RELEASE_STOCK_REQUESTED');

  /** Where the order's stock went: the inventory service's reservation and the monolith's commands. */
  async function stockOf(w: SagaWorld, orderId: string): Promise<{ service: string; monolith: string[]; mugAvailable: number }> {
    const reservation = await w.inventory.reservation(orderId);
    const mug = await w.stockAccountedFor('MUG-0001');
    return { service: reservation?.status ?? 'none', monolith: legacyCommands(w, orderId), mugAvailable: mug.available };
  }

  describe('canary at 50%', () => {
    it.each(['service', 'monolith'] as const)(
      'reserves and confirms an order whose bucket sends it to the %s on that side only, and completes',
      async (side) => {
        // Prepare
        const table = new RoutingTableStub(spec);
        table.set('inventory', 'canary', 50);
        const { w } = await world(table);

        // Act
        const run = await w.run(makeOrder({ orderId: orderIdOn(side) }));

        // Assess
        expect(run.outcome).toBe('completed');
        for (const s of [SIDE.reserve, SIDE.confirm]) {
          expect(entered(run, s[side])).toBe(true);
          expect(entered(run, s[other(side)])).toBe(false);
        }
        expect(await stockOf(w, run.orderId)).toEqual(
          side === 'service'
            ? { service: 'fulfilled', monolith: [], mugAvailable: 48 }
            : { service: 'none', monolith: ['RESERVE_STOCK_REQUESTED'], mugAvailable: 50 },
        );
        const stamp = {
          capability: 'inventory',
          side,
          bucket: bucketOf(run.orderId),
          reason: side === 'service' ? 'canary-in' : 'canary-out',
        };
        expect(auditOf(run, 'saga.step-routed', 'step', 'ReserveInventory')?.route).toMatchObject({ ...stamp, mode: 'canary' });
        expect(auditOf(run, 'saga.step-succeeded', 'step', 'ConfirmReservation')?.route).toMatchObject(stamp);
        const confirmed = (run.output?.results as Record<string, Record<string, unknown>>).ConfirmReservation;
        if (side === 'service') expect(confirmed).toMatchObject({ status: 'committed' });
        else expect(confirmed).toMatchObject({ skipped: true, side: 'monolith', route: stamp });
        // One decision for the whole saga.
        expect(run.tasks.filter((t) => t.state === STATE.routeDecision('ReserveInventory'))).toHaveLength(1);
        expect(run.audit.filter((e) => e.type === 'saga.step-routed')).toHaveLength(1);
      },
    );

    it.each(['service', 'monolith'] as const)(
      'releases on the %s, the side of the reservation, when a step after payment fails',
      async (side) => {
        // Prepare
        const table = new RoutingTableStub(spec);
        table.set('inventory', 'canary', 50);
        const { w } = await world(table, { ScheduleShipping: { failAlways: 'Boom' } });

        // Act
        const run = await w.run(makeOrder({ orderId: orderIdOn(side) }));

        // Assess
        expect(run.outcome).toBe('compensated');
        expect(entered(run, SIDE.release[side])).toBe(true);
        expect(entered(run, SIDE.release[other(side)])).toBe(false);
        expect(auditOf(run, 'saga.compensation-succeeded', 'compensation', 'ReleaseInventory')?.route).toMatchObject({ side });
        expect(await stockOf(w, run.orderId)).toEqual(
          side === 'service'
            ? { service: 'released', monolith: [], mugAvailable: 50 }
            : { service: 'none', monolith: ['RESERVE_STOCK_REQUESTED', 'RELEASE_STOCK_REQUESTED'], mugAvailable: 50 },
        );
        expect(await w.netChargedCents(run.orderId)).toBe(0);
        expect(run.tasks.filter((t) => t.state === STATE.routeDecision('ReserveInventory'))).toHaveLength(1);
      },
    );

    it('refunds and releases on the service when the service’s reservation expired before confirmation', async () => {
      // Prepare
      const table = new RoutingTableStub(spec);
      table.set('inventory', 'canary', 50);
      const { w } = await world(table, { ConfirmReservation: { failAlways: 'ReservationExpired' } });

      // Act
      const run = await w.run(makeOrder({ orderId: orderIdOn('service') }));

      // Assess
      expect(run.outcome).toBe('compensated');
      expect(auditOf(run, 'saga.step-failed', 'step', 'ConfirmReservation')).toMatchObject({ kind: 'rejected' });
      expect(run.audit.filter((e) => e.type === 'saga.compensation-succeeded').map((e) => e.data.compensation)).toEqual([
        'RefundPayment',
        'ReleaseInventory',
        'CancelOrder',
      ]);
      expect(entered(run, SIDE.release.service)).toBe(true);
      expect(await stockOf(w, run.orderId)).toEqual({ service: 'released', monolith: [], mugAvailable: 50 });
      expect(await w.netChargedCents(run.orderId)).toBe(0);
    });

    it('never calls the inventory service to confirm an order the monolith reserved', async () => {
      // Prepare: the inventory service would refuse any confirmation.
      const table = new RoutingTableStub(spec);
      table.set('inventory', 'canary', 50);
      const { w } = await world(table, { ConfirmReservation: { failAlways: 'ReservationExpired' } });

      // Act
      const run = await w.run(makeOrder({ orderId: orderIdOn('monolith') }));

      // Assess
      expect(run.outcome).toBe('completed');
      expect(run.tasks.map((t) => t.state)).not.toContain('ConfirmReservation');
      expect(await stockOf(w, run.orderId)).toEqual({ service: 'none', monolith: ['RESERVE_STOCK_REQUESTED'], mugAvailable: 50 });
    });
  });

  describe('a routing change between reserve and confirm', () => {
    it.each([
      ['service', 'rolled back to legacy', 'completes', ['legacy', 0]],
      ['monolith', 'promoted to primary', 'completes', ['primary', 100]],
      ['service', 'rolled back to legacy', 'fails after payment', ['legacy', 0]],
      ['monolith', 'promoted to primary', 'fails after payment', ['primary', 100]],
    ] as const)(
      'keeps an order reserved on the %s there when the route is %s before payment (the saga %s)',
      async (side, _what, ending, [mode, percent]) => {
        // Prepare
        const table = new RoutingTableStub(spec);
        table.set('inventory', 'canary', 50);
        const failing = ending === 'fails after payment';
        const { w, decide } = await world(table, failing ? { ScheduleShipping: { failAlways: 'Boom' } } : undefined);
        const order = makeOrder({ orderId: orderIdOn(side) });
        // After the reservation, before payment and ConfirmReservation: the operator changes the route.
        w.beforeTask.set('ProcessPayment', async () => table.set('inventory', mode, percent));

        // Act
        const run = await w.run(order);
        const now = (await decide({
          step: 'ReserveInventory',
          capability: 'inventory',
          keyField: 'orderId',
          orderId: order.orderId,
          order,
        })) as {
          side: string;
        };

        // Assess
        expect(now.side).toBe(other(side)); // a new order would go the other way now
        expect(run.outcome).toBe(failing ? 'compensated' : 'completed');
        for (const s of failing ? [SIDE.reserve, SIDE.confirm, SIDE.release] : [SIDE.reserve, SIDE.confirm]) {
          expect(entered(run, s[side])).toBe(true);
          expect(entered(run, s[other(side)])).toBe(false);
        }
        const expected = {
          service: { completes: 'fulfilled', 'fails after payment': 'released' },
          monolith: { completes: 'none', 'fails after payment': 'none' },
        }[side][ending];
        const stock = await stockOf(w, run.orderId);
        expect(stock.service).toBe(expected);
        expect(stock.monolith).toEqual(
          side === 'service' ? [] : failing ? ['RESERVE_STOCK_REQUESTED', 'RELEASE_STOCK_REQUESTED'] : ['RESERVE_STOCK_REQUESTED'],
        );
        expect(run.tasks.filter((t) => t.state === STATE.routeDecision('ReserveInventory'))).toHaveLength(1);
      },
    );
  });

  describe('a failed decision', () => {
    const broken = async () => {
      throw Object.assign(new Error('routing table unreachable'), { name: 'ResourceNotFoundException' });
    };

    it('reserves through the monolith, the safe side, skips ConfirmReservation and says why in the stamp', async () => {
      // Prepare
      const w = await SagaWorld.create({ db, spec, sagaRoute: broken });
      await w.stock(STOCK);

      // Act
      const run = await w.run(makeOrder({ orderId: orderIdOn('service') }));

      // Assess
      expect(run.outcome).toBe('completed');
      expect(entered(run, STATE.routeFallback('ReserveInventory'))).toBe(true);
      expect([entered(run, SIDE.reserve.monolith), entered(run, SIDE.reserve.service)]).toEqual([true, false]);
      expect([entered(run, SIDE.confirm.monolith), entered(run, SIDE.confirm.service)]).toEqual([true, false]);
      expect(auditOf(run, 'saga.step-routed', 'step', 'ReserveInventory')?.route).toMatchObject({
        side: 'monolith',
        reason: 'decision-failed',
        error: 'ResourceNotFoundException',
      });
      expect(await stockOf(w, run.orderId)).toEqual({ service: 'none', monolith: ['RESERVE_STOCK_REQUESTED'], mugAvailable: 50 });
    });

    it('releases through the monolith too when a step after payment fails', async () => {
      // Prepare
      const w = await SagaWorld.create({ db, spec, sagaRoute: broken, faults: { ScheduleShipping: { failAlways: 'Boom' } } });
      await w.stock(STOCK);

      // Act
      const run = await w.run(makeOrder({ orderId: orderIdOn('service') }));

      // Assess
      expect(run.outcome).toBe('compensated');
      expect([entered(run, SIDE.release.monolith), entered(run, SIDE.release.service)]).toEqual([true, false]);
      expect(await stockOf(w, run.orderId)).toEqual({
        service: 'none',
        monolith: ['RESERVE_STOCK_REQUESTED', 'RELEASE_STOCK_REQUESTED'],
        mugAvailable: 50,
      });
    });
  });
});
