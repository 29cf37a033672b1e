import fc from 'fast-check';
import type { FaultPlan } from '../../core/saga/faults';
import { ModelSaga, ModelServices, type CompensationFault, type ForwardFault, type ModelOrder } from '../../core/saga/model';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import { SAGA_COMPENSATIONS, type SagaStep, type StepOwner } from '../../core/saga/steps';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';
import { makeOrder, SagaWorld } from '../support/saga/world';

/*
 * The model (core/saga/model.ts, property-tested in the unit tier with thousands of schedules) and the real
 * thing agree: random fault scripts run through the synthesized definition with the real handlers end the
 * same way as in the model: same outcome, same failed step and error, same compensations in the same
 * order, same money and stock. A bounded sample: each run is a full in-process saga.
 */

const STOCK = { 'MUG-0001': 10, 'TEA-0042': 5 };
const FORWARD = [
  'CreateOrder',
  'ReserveInventory',
  'ProcessPayment',
  'ConfirmReservation',
  'ScheduleShipping',
  'NotifyCustomer',
  'CheckFraudReview',
];
const toScript: Record<ForwardFault | CompensationFault, string> = {
  ok: 'ok',
  'transient-before': 'before',
  'transient-after': 'after',
  'unknown-error': 'Boom',
  refused: 'CompensationRefused',
};

const scenario = fc.record({
  owners: fc.constantFrom<Partial<Record<SagaStep, StepOwner>>>({}, { ProcessPayment: 'service' }),
  customerId: fc.constantFrom('C00042', 'C00042', 'C99999', 'C66666'),
  amount: fc.constantFrom('54.97', '54.97', '6000.00', '25000.00'),
  country: fc.constantFrom('GB', 'GB', 'ZZ'),
  carrier: fc.constantFrom<'confirm' | 'silent'>('confirm', 'confirm', 'confirm', 'silent'),
  forward: fc.dictionary(
    fc.constantFrom(...FORWARD),
    fc.array(fc.constantFrom<ForwardFault>('ok', 'transient-before', 'transient-after', 'unknown-error'), { maxLength: 5 }),
    { maxKeys: 2 },
  ),
  compensation: fc.dictionary(
    fc.constantFrom(...SAGA_COMPENSATIONS),
    fc.array(fc.constantFrom<CompensationFault>('ok', 'transient-before', 'transient-after', 'refused'), { maxLength: 7 }),
    { maxKeys: 2 },
  ),
});

describe('State machine: the real saga agrees with the model', () => {
  let db: Dynalite;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });

  it('ends the same way for random fault scripts', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        // Prepare
        const faults: FaultPlan = {};
        for (const [action, list] of Object.entries({ ...s.forward, ...s.compensation })) {
          faults[action] = { sequence: (list as Array<ForwardFault | CompensationFault>).map((f) => toScript[f]) };
        }
        // A confirming carrier answers at once, but on a loaded machine "at once" took over 150 ms and ended
        // as States.Timeout; a silent one waits the full bound, so it stays short but with room.
        const world = await SagaWorld.create({ db, owners: s.owners, faults, carrier: s.carrier, tokenTimeoutMs: 1000 });
        await world.stock(STOCK);
        const order = makeOrder({
          customerId: s.customerId,
          amount: { total: s.amount, currency: 'EUR' },
          shippingAddress: { street: '1 Road', city: 'Town', postalCode: '12345', country: s.country },
        });
        const modelOrder: ModelOrder = {
          orderId: String(order.orderId),
          customerId: s.customerId,
          amount: s.amount,
          country: s.country,
          carrier: s.carrier,
          lines: order.lines as ModelOrder['lines'],
          faults: { ...s.forward, ...s.compensation },
        };
        const services = new ModelServices(STOCK, DEFAULT_REFERENCE_RULES, world.plan.reservationTtlSeconds * 1000);

        // Act
        const expected = new ModelSaga(world.plan, services, modelOrder).runToEnd();
        const run = await world.run(order);

        // Assess
        const names = run.tasks.map((t) => t.state).filter((n) => (SAGA_COMPENSATIONS as readonly string[]).includes(n));
        const compensations = names.filter((n, i) => n !== names[i - 1]);
        const failedStep =
          (run.output?.failedStep as string | undefined) ?? (await world.item('needsAttention', { orderId: run.orderId }))?.failedStep;
        const error =
          (run.output?.failure as { Error?: string } | undefined)?.Error ??
          (await world.item('needsAttention', { orderId: run.orderId }))?.stepError;
        expect({ outcome: run.outcome, failedStep, error, compensations }).toEqual({
          outcome: expected.outcome,
          failedStep: expected.failedAction,
          error: expected.error,
          compensations: expected.compensations,
        });
        expect(await world.netChargedCents(run.orderId)).toBe(services.netChargedCents(modelOrder.orderId));
        for (const sku of Object.keys(STOCK)) {
          const real = await world.stockAccountedFor(sku);
          const model = services.stock.get(sku)!;
          expect({ sku, available: real.available, held: real.held }).toEqual({
            sku,
            available: model.available,
            held: [...model.holds.values()].reduce((a, b) => a + b, 0),
          });
        }
      }),
      { numRuns: Number(process.env.SAGA_CONFORMANCE_RUNS ?? 15), seed: Number(process.env.SAGA_CONFORMANCE_SEED ?? 4242) },
    );
  }, 120_000);
});
