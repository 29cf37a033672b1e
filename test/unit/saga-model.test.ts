import fc from 'fast-check';
import {
  ModelSaga,
  ModelServices,
  type CompensationFault,
  type ForwardFault,
  type ModelOrder,
  type ModelSagaResult,
} from '../../core/saga/model';
import { buildSagaPlan, compensationsAfter, type SagaPlan } from '../../core/saga/plan';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import { toCents } from '../../core/saga/input';
import { SAGA_COMPENSATIONS, type SagaStep, type StepOwner } from '../../core/saga/steps';
import { parseSpec, type Spec } from '../../core/spec';
import '../../core/saga';
import referenceSpec from '../../cutover.config';

/*
 * Property: over thousands of random failure injections, with several sagas interleaved on one stock and
 * one clock (reservations expiring while payments wait in review), every order ends completed or fully
 * compensated (or, only when a compensation was made to fail for good, recorded as needing attention);
 * stock is never negative and never leaked; money charged = captured - refunded, all of it for a completed
 * order and none of it for a compensated one.
 */

const SKUS = ['MUG-0001', 'TEA-0042', 'PEN-0007'] as const;
const BASE: Spec = parseSpec(referenceSpec);

function planWith(owners: Partial<Record<SagaStep, StepOwner>>): SagaPlan {
  const spec = structuredClone(BASE);
  for (const [s, o] of Object.entries(owners)) spec.saga!.steps[s as SagaStep].owner = o;
  // Short waits so expiry races happen within a run.
  spec.saga!.reservation.ttlSeconds = 120;
  spec.saga!.fraudReview.waitSeconds = 60;
  spec.saga!.fraudReview.maxChecks = 3;
  return buildSagaPlan(parseSpec(spec).saga!);
}

const PLANS: Record<string, SagaPlan> = {
  reference: planWith({}),
  services: planWith({ ProcessPayment: 'service' }),
  inventoryInMonolith: planWith({ ProcessPayment: 'service', ReserveInventory: 'monolith' }),
};

const forwardFault = fc.constantFrom<ForwardFault>('ok', 'ok', 'transient-before', 'transient-after', 'unknown-error');
const compensationFault = fc.constantFrom<CompensationFault>('ok', 'ok', 'ok', 'transient-before', 'transient-after', 'refused');
const FORWARD_IDS = [
  'CreateOrder',
  'ReserveInventory',
  'ProcessPayment',
  'ConfirmReservation',
  'ScheduleShipping',
  'NotifyCustomer',
  'CheckFraudReview',
];

const order = (id: number) =>
  fc
    .record({
      lines: fc
        .uniqueArray(fc.constantFrom(...SKUS), { minLength: 1, maxLength: 3 })
        .chain((skus) => fc.tuple(...skus.map((sku) => fc.integer({ min: 1, max: 3 }).map((quantity) => ({ sku, quantity }))))),
      customerId: fc.constantFrom('C00042', 'C00042', 'C00077', 'C99999', 'C66666'),
      amount: fc.constantFrom('54.97', '54.97', '6000.00', '25000.00'),
      country: fc.constantFrom('GB', 'GB', 'DE', 'ZZ'),
      carrier: fc.constantFrom<'confirm' | 'silent'>('confirm', 'confirm', 'confirm', 'silent'),
      forward: fc.dictionary(fc.constantFrom(...FORWARD_IDS), fc.array(forwardFault, { maxLength: 6 }), { maxKeys: 3 }),
      compensation: fc.dictionary(fc.constantFrom(...SAGA_COMPENSATIONS), fc.array(compensationFault, { maxLength: 8 }), { maxKeys: 2 }),
    })
    .map((o): ModelOrder => ({
      orderId: String(3_000_000 + id),
      customerId: o.customerId,
      amount: o.amount,
      country: o.country,
      carrier: o.carrier,
      lines: o.lines.map((l, i) => ({ lineNo: i + 1, ...l })),
      faults: { ...o.forward, ...o.compensation },
    }));

const scenario = fc.record({
  plan: fc.constantFrom(...Object.keys(PLANS)),
  stock: fc.record(
    Object.fromEntries(SKUS.map((s) => [s, fc.integer({ min: 0, max: 6 })])) as Record<(typeof SKUS)[number], fc.Arbitrary<number>>,
  ),
  orders: fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => order(i)))),
  // Which saga moves next, and whether the clock jumps past a reservation's lifetime first.
  schedule: fc.array(fc.record({ pick: fc.nat(), jump: fc.boolean() }), { minLength: 1, maxLength: 200 }),
});

interface Outcome {
  readonly services: ModelServices;
  readonly results: ModelSagaResult[];
  readonly plan: SagaPlan;
  readonly stock: Record<string, number>;
  readonly orders: ModelOrder[];
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function simulate(s: Scenario): Outcome {
  const plan = PLANS[s.plan];
  const services = new ModelServices(s.stock, DEFAULT_REFERENCE_RULES, plan.reservationTtlSeconds * 1000);
  const sagas = s.orders.map((o) => new ModelSaga(plan, services, o));
  let i = 0;
  // Bounded: every saga ends within a few hundred steps even with every fault list exhausted.
  for (let steps = 0; steps < 5_000 && sagas.some((g) => !g.done); steps++) {
    const { pick, jump } = s.schedule[i++ % s.schedule.length];
    const live = sagas.filter((g) => !g.done);
    if (jump) services.now += (plan.reservationTtlSeconds + 1) * 1000;
    live[pick % live.length].step();
    for (const st of services.stock.values()) if (st.available < 0) services.negativeStockSeen = true;
  }
  return {
    services,
    results: sagas.map((g) => (g.done ? g.result() : ({ orderId: g.order.orderId } as ModelSagaResult))),
    plan,
    stock: s.stock,
    orders: s.orders,
  };
}

/** Why a compensation could fail for good: the injected faults for it, or a parcel that already left. */
function compensationFailureIsExplained(o: ModelOrder, r: ModelSagaResult, out: Outcome): boolean {
  const comp = r.failedCompensation!;
  const faults = (o.faults[comp] ?? []) as CompensationFault[];
  if (faults.includes('refused')) return true;
  if (faults.filter((f) => f !== 'ok').length > out.plan.retry.compensation.maxAttempts) return true;
  return comp === 'CancelShipment' && out.services.shipments.get(o.orderId) === 'dispatched';
}

describe('Property: the order saga model', () => {
  it('every order ends completed or fully compensated; stock never negative nor leaked; money adds up', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const out = simulate(s);
        const { services } = out;
        expect(services.negativeStockSeen).toBe(false);
        const byId = new Map(out.orders.map((o) => [o.orderId, o]));
        for (const r of out.results) {
          const o = byId.get(r.orderId)!;
          expect(['completed', 'compensated', 'compensation-failed']).toContain(r.outcome);
          const net = services.netChargedCents(o.orderId);
          const p = services.payments.get(o.orderId);
          expect(p ? p.refundedCents <= p.capturedCents : true).toBe(true);
          if (r.outcome === 'completed') {
            expect(net).toBe(toCents(o.amount));
            expect(services.shipments.get(o.orderId)).toBe('dispatched');
            expect(services.notifications.has(`${o.orderId}#confirmation`)).toBe(true);
            expect(services.orders.get(o.orderId)).toBe('confirmed');
            if (out.plan.owners.ReserveInventory === 'service') expect(services.reservations.get(o.orderId)?.status).toBe('fulfilled');
          } else if (r.outcome === 'compensated') {
            expect(net).toBe(0);
            expect(services.orders.get(o.orderId)).toBe('cancelled');
            expect(services.shipments.get(o.orderId) ?? 'none').toMatch(/^(none|cancelled)$/);
            // Reverse order, from where the failure says compensation starts.
            const failed = out.plan.forward.find((a) => a.id === r.failedAction);
            const rejected = failed?.rejections.includes(r.error ?? '') ?? false;
            expect(r.compensations).toEqual(compensationsAfter(out.plan, r.failedAction!, rejected));
          } else {
            expect(compensationFailureIsExplained(o, r, out)).toBe(true);
          }
        }
        // Not leaked: what is still held belongs to orders an operator must finish; the rest is sold or back.
        const stuck = new Set(out.results.filter((r) => r.outcome === 'compensation-failed').map((r) => r.orderId));
        for (const [sku, initial] of Object.entries(out.stock)) {
          const st = services.stock.get(sku)!;
          for (const holder of st.holds.keys()) expect(stuck.has(holder)).toBe(true);
          const sold = out.results
            .filter((r) => r.outcome === 'completed' || stuck.has(r.orderId))
            .map((r) => services.reservations.get(r.orderId))
            .filter((res) => res?.status === 'fulfilled')
            .flatMap((res) => res!.items.filter((it) => it.sku === sku).map((it) => it.quantity))
            .reduce((a, b) => a + b, 0);
          const held = [...st.holds.values()].reduce((a, b) => a + b, 0);
          expect(st.available + held + sold).toBe(initial);
        }
      }),
      { numRuns: 1_200, seed: 20261121 },
    );
  });

  it('completes every order when nothing fails and stock suffices', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(PLANS)), fc.integer({ min: 1, max: 5 }), (planName, n) => {
        const plan = PLANS[planName];
        const services = new ModelServices({ 'MUG-0001': 100 }, DEFAULT_REFERENCE_RULES, plan.reservationTtlSeconds * 1000);
        const results = Array.from({ length: n }, (_, i) =>
          new ModelSaga(plan, services, {
            orderId: String(4_000_000 + i),
            customerId: 'C00042',
            amount: '54.97',
            country: 'GB',
            carrier: 'confirm',
            lines: [{ sku: 'MUG-0001', quantity: 2 }],
            faults: {},
          }).runToEnd(),
        );
        expect(results.map((r) => r.outcome)).toEqual(results.map(() => 'completed'));
        // The monolith keeps its own stock: the services' is untouched when it owns ReserveInventory.
        expect(services.stock.get('MUG-0001')!.available).toBe(plan.owners.ReserveInventory === 'service' ? 100 - 2 * n : 100);
      }),
      { numRuns: 50 },
    );
  });

  it('a business error is never retried and compensates only what came before', () => {
    // Prepare
    const plan = PLANS.services;
    const services = new ModelServices({ 'MUG-0001': 5 }, DEFAULT_REFERENCE_RULES, 60_000);
    const saga = new ModelSaga(plan, services, {
      orderId: '5000001',
      customerId: 'C99999',
      amount: '54.97',
      country: 'GB',
      carrier: 'confirm',
      lines: [{ sku: 'MUG-0001', quantity: 1 }],
      faults: {},
    });

    // Act
    const r = saga.runToEnd();

    // Assess
    expect(r).toMatchObject({
      outcome: 'compensated',
      failedAction: 'ProcessPayment',
      error: 'CardDeclined',
      compensations: ['ReleaseInventory', 'CancelOrder'],
    });
    expect(services.stock.get('MUG-0001')!.available).toBe(5);
  });
});
