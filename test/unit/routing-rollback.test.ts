import { RoutingError, shouldRollback } from '../../core/routing';
import type { CandidateMetrics, RollbackLimits } from '../../core/routing';

const limits: RollbackLimits = { maxErrorRate: 0.05, maxP95LatencyMs: 1500, maxMismatchRate: 0.01, minSamples: 50 };

describe('Function: shouldRollback', () => {
  it.each<[string, CandidateMetrics, boolean, string]>([
    [
      'all within thresholds',
      { errorRate: 0.01, p95LatencyMs: 400, mismatchRate: 0, samples: 500 },
      false,
      'within thresholds over 500 events',
    ],
    ['exactly at every threshold', { errorRate: 0.05, p95LatencyMs: 1500, mismatchRate: 0.01, samples: 500 }, false, 'within thresholds'],
    ['error rate above', { errorRate: 0.072, p95LatencyMs: 400, mismatchRate: 0, samples: 500 }, true, 'error rate 7.2% > 5%'],
    ['latency above', { errorRate: 0, p95LatencyMs: 1800, mismatchRate: 0, samples: 500 }, true, 'p95 latency 1800 ms > 1500 ms'],
    ['mismatch rate above', { errorRate: 0, p95LatencyMs: 100, mismatchRate: 0.02, samples: 500 }, true, 'mismatch rate 2% > 1%'],
    [
      'several above, all named',
      { errorRate: 0.5, p95LatencyMs: 9000, mismatchRate: 0.5, samples: 60 },
      true,
      'error rate 50% > 5%; p95 latency 9000 ms > 1500 ms; mismatch rate 50% > 1%',
    ],
    [
      'too few samples, however bad',
      { errorRate: 1, p95LatencyMs: 9000, mismatchRate: 1, samples: 49 },
      false,
      'not enough samples to judge: 49 < 50',
    ],
    ['a metric with no data is not judged', { p95LatencyMs: 100, samples: 500 }, false, 'within thresholds'],
  ])('%s', (_name, metrics, rollback, reason) => {
    const verdict = shouldRollback(metrics, limits);
    expect(verdict.rollback).toBe(rollback);
    expect(verdict.reason).toContain(reason);
  });

  it('lists the breached checks', () => {
    expect(shouldRollback({ errorRate: 0.5, mismatchRate: 0.5, samples: 100 }, limits).breaches).toEqual(['errorRate', 'mismatchRate']);
  });

  it('ignores a metric with no threshold', () => {
    expect(shouldRollback({ errorRate: 0.9, samples: 100 }, { maxMismatchRate: 0.01 }).rollback).toBe(false);
  });

  it('judges from the first sample when minSamples is not given', () => {
    expect(shouldRollback({ errorRate: 1, samples: 1 }, { maxErrorRate: 0.5 }).rollback).toBe(true);
    expect(shouldRollback({ errorRate: 1, samples: 0 }, { maxErrorRate: 0.5 }).rollback).toBe(false);
  });

  it.each<[CandidateMetrics, string]>([
    [{ errorRate: Number.NaN, samples: 10 }, 'metrics.errorRate: must be a number 0..1, got NaN'],
    [{ errorRate: 1.5, samples: 10 }, 'metrics.errorRate: must be a number 0..1, got 1.5'],
    [{ mismatchRate: -0.1, samples: 10 }, 'metrics.mismatchRate: must be a number 0..1, got -0.1'],
    [{ p95LatencyMs: -3, samples: 10 }, 'metrics.p95LatencyMs: must be a number >= 0, got -3'],
    [{ samples: 2.5 }, 'metrics.samples: must be a whole number >= 0, got 2.5'],
    [{ samples: undefined as unknown as number }, 'metrics.samples: must be a whole number >= 0, got nothing'],
  ])('throws on invalid metrics %j, naming the field and value', (metrics, message) => {
    expect(() => shouldRollback(metrics, limits)).toThrow(RoutingError);
    expect(() => shouldRollback(metrics, limits)).toThrow(message);
  });
});
