import { validateFaultPlan } from '../../core/saga/faults';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';
import { makeOrder, SagaWorld, type SagaRunResult } from '../support/saga/world';

/*
 * The chaos profiles' faults on the order saga as AWS runs it (the interpreter honours error names, so a
 * TransientError is retried; MiniStack reports every Lambda error as Runtime.HandlerError and does not):
 * a partitioned carrier is retried and then compensated, a throttled step is retried, and a partition
 * that is over costs nothing. The world runs every service with one injector, so keys here name actions
 * only (`<service>.<action>` keys are covered in test/unit/saga-faults.test.ts).
 */

const STOCK = { 'MUG-0001': 10, 'TEA-0042': 5 };
const retriesOf = (run: SagaRunResult, state: string) =>
  run.log.filter((e) => e.type === 'StateRetried' && (e.state as { name: string }).name === state).length;
const callsOf = (run: SagaRunResult, state: string) => run.tasks.filter((t) => t.state === state).length;

describe('State machine: order saga under chaos profiles', () => {
  let db: Dynalite;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });

  async function world(faults: unknown): Promise<SagaWorld> {
    const w = await SagaWorld.create({ db, faults: validateFaultPlan(faults) });
    await w.stock(STOCK);
    return w;
  }

  it('a carrier partition longer than the retries: ScheduleShipping retried, then the order compensated and refunded', async () => {
    // Prepare
    const w = await world({ ScheduleShipping: { partition: { afterSeconds: 0, forSeconds: 3600 } } });

    // Act
    const run = await w.run(makeOrder());

    // Assess
    expect(callsOf(run, 'ScheduleShipping')).toBe(1 + w.plan.retry.step.maxAttempts);
    expect(retriesOf(run, 'ScheduleShipping')).toBe(w.plan.retry.step.maxAttempts);
    expect(run.output).toMatchObject({ outcome: 'compensated', failedStep: 'ScheduleShipping', failure: { Error: 'TransientError' } });
    expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 10, held: 0, holders: [] });
  });

  it('a partition that is over: the order completes without a retry', async () => {
    // Prepare
    const w = await world({ ScheduleShipping: { partition: { from: '2020-01-01T00:00:00Z', until: '2020-01-01T00:01:00Z' } } });

    // Act
    const run = await w.run(makeOrder());

    // Assess
    expect(run.outcome).toBe('completed');
    expect(retriesOf(run, 'ScheduleShipping')).toBe(0);
  });

  it('a throttled step is retried: the second order, out of tokens, is compensated after its retries', async () => {
    // Prepare: one call, then a token every 1000 s.
    const w = await world({ ConfirmReservation: { throttle: { ratePerSecond: 0.001, burst: 1 } } });

    // Act
    const first = await w.run(makeOrder({ orderId: '1000101' }));
    const second = await w.run(makeOrder({ orderId: '1000102' }));

    // Assess
    expect(first.outcome).toBe('completed');
    expect(callsOf(second, 'ConfirmReservation')).toBe(1 + w.plan.retry.step.maxAttempts);
    expect(second.output).toMatchObject({ outcome: 'compensated', failedStep: 'ConfirmReservation', failure: { Error: 'TransientError' } });
    // The first order's two mugs left with its parcel; the second's went back.
    expect(await w.stockAccountedFor('MUG-0001')).toEqual({ available: 8, held: 0, holders: [] });
  });
});
