import '../support/setup';
import { StateMachine } from 'aws-local-stepfunctions';
import { buildSagaDefinition, substitute, SUBSTITUTION_KEYS, type AslDefinition } from '../../core/saga/asl';
import { ModelSaga, ModelServices, type ModelOrder } from '../../core/saga/model';
import { buildSagaPlan, type SagaPlan } from '../../core/saga/plan';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import { toCents } from '../../core/saga/input';
import { parseSpec } from '../../core/spec';
import '../../core/saga';
import config from '../../cutover.config';
import { startDynalite } from '../support/saga/dynalite';
import { makeOrder, SagaWorld } from '../support/saga/world';
import type { BenchResult } from './types';

/*
 * The order saga in one process, bounded:
 *  1. 10,000 sagas through the real definition (aws-local-stepfunctions), every Task mapped to the model
 *     services (core/saga/model.ts) with injected failures: ~5 % transient failures per call, and business
 *     failures from the orders themselves (declined cards, missing stock, unserved countries). Reported as
 *     sagas/s against the baseline of the same 10,000 sagas run through the pure model (no interpreter).
 *  2. 300 sagas with the real handlers on dynalite and the real translator (the statemachine test world),
 *     20 in flight: what a saga costs with real I/O semantics.
 * The invariants (stock never negative, none leaked, money charged = captured - refunded) are checked at
 * the end of run 1; a broken one fails the benchmark.
 */

const SAGAS = 10_000;
const IN_FLIGHT = 100;
const WORLD_SAGAS = 300;
const WORLD_IN_FLIGHT = 20;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function makeOrders(n: number, random: () => number): ModelOrder[] {
  const skus = ['MUG-0001', 'TEA-0042', 'PEN-0007', 'CUP-0003'];
  return Array.from({ length: n }, (_, i) => {
    const r = random();
    return {
      orderId: String(5_000_000 + i),
      customerId: r < 0.08 ? 'C99999' : 'C00042',
      amount: random() < 0.05 ? '6000.00' : '54.97',
      country: random() < 0.04 ? 'ZZ' : 'GB',
      carrier: random() < 0.03 ? 'silent' : 'confirm',
      lines: [{ sku: skus[Math.floor(random() * skus.length)], quantity: 1 + Math.floor(random() * 3) }],
      faults: {},
    };
  });
}

function named(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** Local handlers: every Task state of the definition, backed by the model services, with transient faults. */
function handlersFor(
  definition: AslDefinition,
  plan: SagaPlan,
  services: ModelServices,
  order: ModelOrder,
  random: () => number,
): Record<string, (input: unknown) => Promise<unknown>> {
  const flaky = () => {
    if (random() < 0.05) throw named('TransientError');
  };
  const business = (err: unknown) => {
    const e = err as { errorName?: string; message?: string };
    if (e.errorName) throw named(e.errorName);
    throw named('Boom', e.message);
  };
  const call = (fn: () => unknown) => async () => {
    flaky();
    try {
      return (fn() as object) ?? {};
    } catch (err) {
      return business(err);
    }
  };
  const o = order;
  const s = services;
  const viaMonolith = plan.owners.ProcessPayment === 'monolith';
  const map: Record<string, () => Promise<unknown>> = {
    CreateOrder: call(() => {
      if (!s.orders.has(o.orderId)) s.orders.set(o.orderId, 'pending');
      return { status: 'pending' };
    }),
    ReserveInventory: call(() => s.reserve(o.orderId, o.lines)),
    ProcessPayment: call(() => ({ status: s.charge(o, viaMonolith) })),
    'Check Fraud Review': call(() => s.review(o.orderId)),
    ConfirmReservation: call(() => s.commit(o.orderId)),
    ScheduleShipping: async () => {
      flaky();
      try {
        if (s.book(o) === 'booked') {
          if (o.carrier === 'silent') throw named('States.Timeout');
          s.dispatch(o.orderId);
        }
        return { status: 'dispatched' };
      } catch (err) {
        if ((err as Error).name === 'States.Timeout') throw err;
        return business(err);
      }
    },
    NotifyCustomer: call(() => s.notifications.add(`${o.orderId}#confirmation`)),
    CancelOrder: call(() => s.orders.set(o.orderId, 'cancelled')),
    ReleaseInventory: call(() => s.release(o.orderId, o.lines)),
    RefundPayment: call(() => s.refund(o.orderId)),
    CancelShipment: call(() => s.cancelShipment(o.orderId)),
    SendCancellationNotice: call(() => undefined),
    'Confirm Order': async () => s.orders.set(o.orderId, 'confirmed') && {},
  };
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    handlers[name] = map[name] ?? (async () => ({}));
  }
  return handlers;
}

async function runInterpreter(
  plan: SagaPlan,
  orders: ModelOrder[],
  stock: Record<string, number>,
): Promise<{ ms: number; services: ModelServices; outcomes: Record<string, number> }> {
  const definition = substitute(
    buildSagaDefinition(plan),
    Object.fromEntries(SUBSTITUTION_KEYS.map((k) => [k, `arn:aws:lambda:us-east-1:000000000000:function:${k}`])),
  );
  new StateMachine(definition as never, { validationOptions: { checkArn: false } }); // validate once
  const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
  const retry = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Retry)
      .map(([n]) => [n, 0]),
  );
  const services = new ModelServices(stock, DEFAULT_REFERENCE_RULES, plan.reservationTtlSeconds * 1000);
  const random = rng(7);
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  for (let i = 0; i < orders.length; i += IN_FLIGHT) {
    await Promise.all(
      orders.slice(i, i + IN_FLIGHT).map(async (o) => {
        const execution = machine.run({ order: { orderId: o.orderId, customerId: o.customerId } } as never, {
          overrides: {
            taskResourceLocalHandlers: handlersFor(definition, plan, services, o, random) as never,
            retryIntervalOverrides: retry,
            waitTimeOverrides: { 'Fraud Review Hold': 0 },
          },
          context: {
            Execution: { Name: o.orderId, Id: `exec-${o.orderId}` },
            State: { EnteredTime: '2026-11-21T14:30:00.000Z' },
            Task: { Token: 't' },
          } as never,
        });
        let outcome: string;
        try {
          outcome = String(((await execution.result) as { outcome: string }).outcome);
        } catch (err) {
          outcome =
            ((err as { cause?: Error }).cause ?? (err as Error)).name === 'Saga.CompensationFailed' ? 'compensation-failed' : 'failed';
        }
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (outcome === 'completed' && services.netChargedCents(o.orderId) !== toCents(o.amount))
          throw new Error(`order ${o.orderId} completed but charged ${services.netChargedCents(o.orderId)}`);
        if (outcome === 'compensated' && services.netChargedCents(o.orderId) !== 0)
          throw new Error(`order ${o.orderId} compensated but charged ${services.netChargedCents(o.orderId)}`);
      }),
    );
  }
  return { ms: performance.now() - started, services, outcomes };
}

function runModel(plan: SagaPlan, orders: ModelOrder[], stock: Record<string, number>): number {
  const random = rng(7);
  const started = performance.now();
  const services = new ModelServices(stock, DEFAULT_REFERENCE_RULES, plan.reservationTtlSeconds * 1000);
  for (const o of orders) {
    // The same transient rate, as scripted faults for the model.
    const faults: Record<string, Array<'ok' | 'transient-before'>> = {};
    for (const a of ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ConfirmReservation', 'ScheduleShipping', 'NotifyCustomer']) {
      faults[a] = [random() < 0.05 ? 'transient-before' : 'ok'];
    }
    new ModelSaga(plan, services, { ...o, faults }).runToEnd();
  }
  return performance.now() - started;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const spec = parseSpec(config);
  const plan = buildSagaPlan(spec.saga!);
  const orders = makeOrders(SAGAS, rng(42));
  const stock = { 'MUG-0001': 6_000, 'TEA-0042': 6_000, 'PEN-0007': 6_000, 'CUP-0003': 400 };

  const model = runModel(plan, orders, stock);
  const interp = await runInterpreter(plan, orders, stock);
  const { services } = interp;
  if (services.negativeStockSeen) throw new Error('stock went negative');
  for (const [sku, initial] of Object.entries(stock)) {
    const st = services.stock.get(sku)!;
    const sold = [...services.reservations.values()]
      .filter((r) => r.status === 'fulfilled')
      .flatMap((r) => r.items)
      .filter((it) => it.sku === sku)
      .reduce((a, b) => a + b.quantity, 0);
    const held = [...st.holds.values()].reduce((a, b) => a + b, 0);
    if (st.available + held + sold !== initial) throw new Error(`${sku}: ${st.available} + ${held} + ${sold} != ${initial} (stock leaked)`);
  }
  const rate = (SAGAS / interp.ms) * 1000;
  const baseline = (SAGAS / model) * 1000;
  results.push({
    name: `in-process: ${SAGAS} sagas, real definition, injected failures`,
    figure: rate,
    unit: 'sagas/s',
    baseline,
    ratio: rate / baseline,
    note: `outcomes ${JSON.stringify(interp.outcomes)}; baseline = the same orders through the pure model; ratio = interpreter / model; invariants held (stock, money)`,
  });

  // Real handlers, dynalite, the real translator and the reference monolith: a bounded sample.
  const db = await startDynalite();
  try {
    const world = await SagaWorld.create({ db });
    await world.stock({ 'MUG-0001': 100_000, 'TEA-0042': 100_000 });
    const worldOrders = Array.from({ length: WORLD_SAGAS }, (_, i) => makeOrder(i % 10 === 0 ? { customerId: 'C99999' } : {}));
    await world.run(makeOrder()); // warm the interpreter's validation cache and the SDK
    const started = performance.now();
    const counts: Record<string, number> = {};
    for (let i = 0; i < worldOrders.length; i += WORLD_IN_FLIGHT) {
      const runs = await Promise.all(worldOrders.slice(i, i + WORLD_IN_FLIGHT).map((o) => world.run(o)));
      for (const r of runs) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    }
    const ms = performance.now() - started;
    results.push({
      name: `in-process: ${WORLD_SAGAS} sagas, real handlers on dynalite, ${WORLD_IN_FLIGHT} in flight`,
      figure: (WORLD_SAGAS / ms) * 1000,
      unit: 'sagas/s',
      baseline: rate,
      ratio: ((WORLD_SAGAS / ms) * 1000) / rate,
      note: `outcomes ${JSON.stringify(counts)}; baseline = run 1 (model services); every call is an HTTP round trip to dynalite`,
    });
  } finally {
    await db.close();
  }
  return results;
}
