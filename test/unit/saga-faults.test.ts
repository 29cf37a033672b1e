import { seededRandom } from '../../core/boundaries';
import { ConfigurationError } from '../../core/errors';
import {
  FaultInjector,
  InjectedFault,
  MAX_LATENCY_MS,
  TokenBucket,
  faultSpecFor,
  inPartition,
  parseFaultPlan,
  resolveFaultPlan,
  sampleLatency,
  validateFaultPlan,
  type LatencySpec,
} from '../../core/saga/faults';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function samples(latency: LatencySpec, n: number, seed = 7): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => sampleLatency(latency, random)).sort((a, b) => a - b);
}

describe('Function: validateFaultPlan', () => {
  it('accepts the older fields and every new one', () => {
    // Act
    const plan = validateFaultPlan({
      ProcessPayment: { failTimes: 1, phase: 'after', latencyMs: 20 },
      'payment.ProcessPayment': { latency: { dist: 'lognormal', p50: 500, p95: 1500 }, failRate: 0.03 },
      'shipping.*': { partition: { afterSeconds: 5, forSeconds: 20 } },
      ReserveInventory: { throttle: { ratePerSecond: 5, burst: 10 } },
      ConfirmReservation: { partition: { from: '2026-11-21T14:00:00Z', until: '2026-11-21T14:05:00Z' } },
      '*': { latency: { dist: 'uniform', min: 10, max: 30 } },
    });

    // Assess
    expect(Object.keys(plan)).toHaveLength(6);
    expect(plan['payment.ProcessPayment'].latency).toEqual({ dist: 'lognormal', p50: 500, p95: 1500 });
  });

  it.each([
    [
      'an unknown distribution',
      { ProcessPayment: { latency: { dist: 'pareto', p50: 1 } } },
      /ProcessPayment\.latency\.dist: dist must be one of fixed, uniform, normal, lognormal/,
    ],
    [
      'a field of another distribution',
      { ProcessPayment: { latency: { dist: 'uniform', min: 1, max: 2, p50: 3 } } },
      /ProcessPayment\.latency: .*p50/,
    ],
    [
      'p95 under p50',
      { ProcessPayment: { latency: { dist: 'lognormal', p50: 500, p95: 100 } } },
      /ProcessPayment\.latency\.p95: p95 must be >= p50/,
    ],
    [
      'max under min',
      { ProcessPayment: { latency: { dist: 'uniform', min: 50, max: 10 } } },
      /ProcessPayment\.latency\.max: max must be >= min/,
    ],
    ['a negative latency', { ProcessPayment: { latency: { dist: 'fixed', ms: -1 } } }, /ProcessPayment\.latency\.ms: ms must be >= 0/],
    ['a rate above 1', { ProcessPayment: { failRate: 3 } }, /ProcessPayment\.failRate: failRate is a fraction between 0 and 1/],
    [
      'a zero throttle rate',
      { ProcessPayment: { throttle: { ratePerSecond: 0, burst: 1 } } },
      /ProcessPayment\.throttle\.ratePerSecond: ratePerSecond must be > 0/,
    ],
    [
      'a fractional burst',
      { ProcessPayment: { throttle: { ratePerSecond: 1, burst: 1.5 } } },
      /ProcessPayment\.throttle\.burst: burst must be a whole number/,
    ],
    [
      'a window ending before it starts',
      { ScheduleShipping: { partition: { from: '2026-11-21T14:05:00Z', until: '2026-11-21T14:00:00Z' } } },
      /ScheduleShipping\.partition\.until: until \(2026-11-21T14:00:00Z\) must be after from/,
    ],
    [
      'a window with only from',
      { ScheduleShipping: { partition: { from: '2026-11-21T14:05:00Z' } } },
      /ScheduleShipping\.partition\.until: an absolute window needs both from and until/,
    ],
    [
      'both kinds of window',
      { ScheduleShipping: { partition: { from: '2026-11-21T14:05:00Z', until: '2026-11-21T14:06:00Z', forSeconds: 3 } } },
      /ScheduleShipping\.partition\.forSeconds: give from\/until or afterSeconds\/forSeconds, not both/,
    ],
    [
      'a window that is not a time',
      { ScheduleShipping: { partition: { from: 'tomorrow', until: '2026-11-21T14:06:00Z' } } },
      /ScheduleShipping\.partition\.from: from must be an ISO date-time/,
    ],
    [
      'latency twice',
      { ProcessPayment: { latencyMs: 5, latency: { dist: 'fixed', ms: 5 } } },
      /ProcessPayment\.latency: give latency or latencyMs, not both/,
    ],
    ['an unknown field', { ProcessPayment: { latencyMS: 5 } }, /ProcessPayment: .*latencyMS/],
    [
      'an unknown service',
      { 'billing.ProcessPayment': { failRate: 0.1 } },
      /billing\.ProcessPayment: .*service one of inventory, payment, shipping, notification, monolith/,
    ],
    ['an unknown action', { ProcessPaymnet: { failRate: 0.1 } }, /ProcessPaymnet: key "ProcessPaymnet": unknown action ProcessPaymnet/],
  ])('refuses %s, naming the field', (_what, plan, message) => {
    // Act
    const act = () => validateFaultPlan(plan, 'faults profile p.json');

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(message);
    expect(act).toThrow(/^faults profile p\.json: /);
  });

  it('parses CUTOVER_FAULTS text and names the setting when it is not JSON', () => {
    // Assess
    expect(parseFaultPlan('{"*":{"failRate":0.5}}')).toEqual({ '*': { failRate: 0.5 } });
    expect(() => parseFaultPlan('{', 'faults profile x.json')).toThrow(/^faults profile x\.json is not JSON/);
  });
});

describe('Function: sampleLatency', () => {
  it('lognormal: p50 and p95 within 10% of the profile over 20 000 seeded draws', () => {
    // Act
    const s = samples({ dist: 'lognormal', p50: 500, p95: 1500 }, 20_000);

    // Assess
    expect(percentile(s, 0.5)).toBeGreaterThan(450);
    expect(percentile(s, 0.5)).toBeLessThan(550);
    expect(percentile(s, 0.95)).toBeGreaterThan(1350);
    expect(percentile(s, 0.95)).toBeLessThan(1650);
    expect(s[0]).toBeGreaterThan(0);
  });

  it('normal: p50 and p95 within 5% of the profile, never negative', () => {
    // Act
    const s = samples({ dist: 'normal', p50: 1000, p95: 1400 }, 20_000, 11);
    const wide = samples({ dist: 'normal', p50: 10, p95: 400 }, 2_000, 3);

    // Assess
    expect(Math.abs(percentile(s, 0.5) - 1000)).toBeLessThan(50);
    expect(Math.abs(percentile(s, 0.95) - 1400)).toBeLessThan(70);
    expect(wide[0]).toBe(0);
  });

  it('uniform: every draw between min and max, the median near the middle', () => {
    // Act
    const s = samples({ dist: 'uniform', min: 100, max: 300 }, 10_000, 5);

    // Assess
    expect(s[0]).toBeGreaterThanOrEqual(100);
    expect(s[s.length - 1]).toBeLessThanOrEqual(300);
    expect(Math.abs(percentile(s, 0.5) - 200)).toBeLessThan(10);
  });

  it('fixed: the value itself; every distribution capped at MAX_LATENCY_MS', () => {
    // Assess
    expect(samples({ dist: 'fixed', ms: 250 }, 5)).toEqual([250, 250, 250, 250, 250]);
    expect(Math.max(...samples({ dist: 'lognormal', p50: 50_000, p95: 60_000 }, 1000))).toBe(MAX_LATENCY_MS);
  });

  it('gives the same draws for the same seed', () => {
    // Assess
    expect(samples({ dist: 'lognormal', p50: 500, p95: 1500 }, 50, 42)).toEqual(
      samples({ dist: 'lognormal', p50: 500, p95: 1500 }, 50, 42),
    );
    expect(samples({ dist: 'lognormal', p50: 500, p95: 1500 }, 50, 42)).not.toEqual(
      samples({ dist: 'lognormal', p50: 500, p95: 1500 }, 50, 43),
    );
  });
});

describe('Class: TokenBucket', () => {
  it('lets a burst through, then refills at the rate', () => {
    // Prepare
    const bucket = new TokenBucket(2, 3, 0);

    // Act
    const burst = [0, 0, 0, 0].map(() => bucket.take(0));
    const afterHalfSecond = bucket.take(500);
    const again = bucket.take(500);
    const afterTenSeconds = [1, 2, 3, 4].map(() => bucket.take(10_500));

    // Assess
    expect(burst).toEqual([true, true, true, false]);
    expect(afterHalfSecond).toBe(true);
    expect(again).toBe(false);
    expect(afterTenSeconds).toEqual([true, true, true, false]);
  });
});

describe('Function: resolveFaultPlan / inPartition', () => {
  it('turns a relative window into an absolute one from the given time, and keeps absolute ones', () => {
    // Prepare
    const now = new Date('2026-11-21T14:00:00.000Z');
    const plan = validateFaultPlan({
      ScheduleShipping: { partition: { afterSeconds: 10, forSeconds: 30 } },
      CancelShipment: { partition: { from: '2026-11-21T15:00:00Z', until: '2026-11-21T15:01:00Z' } },
    });

    // Act
    const resolved = resolveFaultPlan(plan, now);

    // Assess
    expect(resolved.ScheduleShipping.partition).toEqual({ from: '2026-11-21T14:00:10.000Z', until: '2026-11-21T14:00:40.000Z' });
    expect(resolved.CancelShipment).toBe(plan.CancelShipment);
    const p = resolved.ScheduleShipping.partition!;
    expect(inPartition(p, new Date('2026-11-21T14:00:09.999Z'))).toBe(false);
    expect(inPartition(p, new Date('2026-11-21T14:00:10.000Z'))).toBe(true);
    expect(inPartition(p, new Date('2026-11-21T14:00:39.999Z'))).toBe(true);
    expect(inPartition(p, new Date('2026-11-21T14:00:40.000Z'))).toBe(false);
  });
});

describe('Function: faultSpecFor', () => {
  it('takes <service>.<action>, then <action>, then <service>.*, then *', () => {
    // Prepare
    const plan = validateFaultPlan({
      'payment.ProcessPayment': { failTimes: 1 },
      ProcessPayment: { failTimes: 2 },
      'payment.*': { failTimes: 3 },
      '*': { failTimes: 4 },
    });

    // Assess
    expect(faultSpecFor(plan, 'ProcessPayment', 'payment')?.failTimes).toBe(1);
    expect(faultSpecFor(plan, 'ProcessPayment', 'monolith')?.failTimes).toBe(2);
    expect(faultSpecFor(plan, 'RefundPayment', 'payment')?.failTimes).toBe(3);
    expect(faultSpecFor(plan, 'RefundPayment', 'shipping')?.failTimes).toBe(4);
    expect(faultSpecFor({}, 'RefundPayment', 'shipping')).toBeUndefined();
  });
});

describe('Class: FaultInjector', () => {
  const ok = () => Promise.resolve('done');

  it('sleeps a latency drawn from the distribution with the injected random source', async () => {
    // Prepare
    const slept: number[] = [];
    const faults = new FaultInjector(
      validateFaultPlan({ ProcessPayment: { latency: { dist: 'uniform', min: 100, max: 200 } } }),
      seededRandom(1),
      async (ms) => void slept.push(ms),
    );

    // Act
    for (let i = 0; i < 20; i++) await faults.around('ProcessPayment', 'o1', ok);

    // Assess
    expect(slept).toHaveLength(20);
    expect(slept.every((ms) => ms >= 100 && ms <= 200)).toBe(true);
    expect(new Set(slept).size).toBeGreaterThan(10);
  });

  it('keeps latencyMs as a constant latency', async () => {
    // Prepare
    const slept: number[] = [];
    const faults = new FaultInjector(
      validateFaultPlan({ ProcessPayment: { latencyMs: 40 } }),
      () => 0.5,
      async (ms) => void slept.push(ms),
    );

    // Act
    await faults.around('ProcessPayment', 'o1', ok);

    // Assess
    expect(slept).toEqual([40]);
  });

  it('fails as unreachable inside the partition window, before the effect, and not outside it', async () => {
    // Prepare
    let now = new Date('2026-11-21T14:00:00Z');
    const effect = jest.fn(ok);
    const faults = new FaultInjector(
      validateFaultPlan({ 'shipping.ScheduleShipping': { partition: { afterSeconds: 5, forSeconds: 10 } } }),
      undefined,
      undefined,
      {
        service: 'shipping',
        now: () => now,
      },
    );

    // Act
    const before = await faults.around('ScheduleShipping', 'o1', effect);
    now = new Date('2026-11-21T14:00:06Z');
    const inside = await faults.around('ScheduleShipping', 'o1', effect).catch((e: Error) => e);
    now = new Date('2026-11-21T14:00:15Z');
    const after = await faults.around('ScheduleShipping', 'o1', effect);

    // Assess
    expect(before).toBe('done');
    expect(inside).toMatchObject({ name: 'TransientError', message: expect.stringMatching(/unreachable until 2026-11-21T14:00:15.000Z/) });
    expect(after).toBe('done');
    expect(effect).toHaveBeenCalledTimes(2);
  });

  it('throttles calls beyond the bucket with a TransientError the saga retries', async () => {
    // Prepare
    let t = 0;
    const effect = jest.fn(ok);
    const faults = new FaultInjector(
      validateFaultPlan({ ReserveInventory: { throttle: { ratePerSecond: 1, burst: 2 } } }),
      undefined,
      undefined,
      {
        now: () => new Date(t),
      },
    );

    // Act
    const results = [];
    for (const order of ['a', 'b', 'c']) results.push(await faults.around('ReserveInventory', order, effect).catch((e: Error) => e.name));
    t = 1_000;
    results.push(await faults.around('ReserveInventory', 'c', effect).catch((e: Error) => e.name));

    // Assess
    expect(results).toEqual(['done', 'done', 'TransientError', 'done']);
    expect(effect).toHaveBeenCalledTimes(3);
  });

  it('applies a spec with orderIds only to those orders', async () => {
    // Prepare
    const faults = new FaultInjector(validateFaultPlan({ ConfirmReservation: { failAlways: 'ReservationExpired', orderIds: ['o1'] } }));

    // Act
    const first = await faults.around('ConfirmReservation', 'o1', ok).catch((e: Error) => e);
    const second = await faults.around('ConfirmReservation', 'o2', ok);

    // Assess
    expect(first).toBeInstanceOf(InjectedFault);
    expect((first as Error).name).toBe('ReservationExpired');
    expect(second).toBe('done');
  });

  it('fails about failRate of the calls with a seeded random source', async () => {
    // Prepare
    const faults = new FaultInjector(validateFaultPlan({ ProcessPayment: { failRate: 0.03 } }), seededRandom(9));

    // Act
    let failed = 0;
    for (let i = 0; i < 5_000; i++) await faults.around('ProcessPayment', `o${i}`, ok).catch(() => failed++);

    // Assess
    expect(failed / 5_000).toBeGreaterThan(0.02);
    expect(failed / 5_000).toBeLessThan(0.04);
  });

  it('uses the <service>.<action> key only in that service', async () => {
    // Prepare
    const plan = validateFaultPlan({ 'payment.ProcessPayment': { failAlways: 'CardDeclined' } });

    // Act
    const inPayment = await new FaultInjector(plan, undefined, undefined, { service: 'payment' })
      .around('ProcessPayment', 'o1', ok)
      .catch((e: Error) => e.name);
    const inMonolith = await new FaultInjector(plan, undefined, undefined, { service: 'monolith' }).around('ProcessPayment', 'o1', ok);

    // Assess
    expect(inPayment).toBe('CardDeclined');
    expect(inMonolith).toBe('done');
  });
});
