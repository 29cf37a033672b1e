import { RoutingError, show } from './errors';

/** The candidate's metrics over one evaluation window. A rate left out means "no data", not zero. */
export interface CandidateMetrics {
  /** Failed deliveries / deliveries, 0..1. */
  readonly errorRate?: number;
  readonly p95LatencyMs?: number;
  /** Compared outcomes that differ / compared outcomes, 0..1. */
  readonly mismatchRate?: number;
  /** Events in the window. */
  readonly samples: number;
}

/** The thresholds (see `rollbackThresholdsSchema`); a threshold left out is not checked. */
export interface RollbackLimits {
  readonly maxErrorRate?: number;
  readonly maxP95LatencyMs?: number;
  readonly maxMismatchRate?: number;
  readonly minSamples?: number;
}

export interface RollbackVerdict {
  readonly rollback: boolean;
  /** Every breached threshold with its figure, or why nothing was judged; written into the history record. */
  readonly reason: string;
  /** The breached checks, for metrics and alarms. */
  readonly breaches: readonly ('errorRate' | 'p95LatencyMs' | 'mismatchRate')[];
}

/**
 * Judge one window of the candidate's metrics against the thresholds. A figure exactly at its threshold
 * passes; any figure above it rolls back. Fewer than `minSamples` (default 1) events judges nothing.
 * Invalid figures (negative, NaN, a rate above 1) throw a `RoutingError` naming the field and the value:
 * a broken metric must be seen, not read as "healthy".
 */
export function shouldRollback(metrics: CandidateMetrics, thresholds: RollbackLimits): RollbackVerdict {
  check('samples', metrics.samples, { integer: true });
  check('errorRate', metrics.errorRate, { max: 1 });
  check('p95LatencyMs', metrics.p95LatencyMs, {});
  check('mismatchRate', metrics.mismatchRate, { max: 1 });
  const minSamples = thresholds.minSamples ?? 1;
  if (metrics.samples < minSamples) {
    return { rollback: false, reason: `not enough samples to judge: ${metrics.samples} < ${minSamples}`, breaches: [] };
  }
  const breaches: ('errorRate' | 'p95LatencyMs' | 'mismatchRate')[] = [];
  const notes: string[] = [];
  const judge = (
    name: 'errorRate' | 'p95LatencyMs' | 'mismatchRate',
    label: string,
    value: number | undefined,
    limit: number | undefined,
    format: (n: number) => string,
  ): void => {
    if (limit === undefined || value === undefined) return;
    if (value > limit) {
      breaches.push(name);
      notes.push(`${label} ${format(value)} > ${format(limit)}`);
    }
  };
  judge('errorRate', 'error rate', metrics.errorRate, thresholds.maxErrorRate, pct);
  judge('p95LatencyMs', 'p95 latency', metrics.p95LatencyMs, thresholds.maxP95LatencyMs, ms);
  judge('mismatchRate', 'mismatch rate', metrics.mismatchRate, thresholds.maxMismatchRate, pct);
  if (breaches.length > 0) {
    return { rollback: true, reason: `automatic rollback over ${metrics.samples} events: ${notes.join('; ')}`, breaches };
  }
  return { rollback: false, reason: `within thresholds over ${metrics.samples} events`, breaches };
}

function check(field: string, value: number | undefined, rule: { max?: number; integer?: boolean }): void {
  if (value === undefined && field !== 'samples') return;
  const bad =
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (rule.max !== undefined && value > rule.max) ||
    (rule.integer === true && !Number.isInteger(value));
  if (bad) {
    const expected = rule.integer ? 'a whole number >= 0' : rule.max !== undefined ? `a number 0..${rule.max}` : 'a number >= 0';
    throw new RoutingError(`metrics.${field}: must be ${expected}, got ${show(value)}`, { field, value });
  }
}

const pct = (n: number): string => `${Number((n * 100).toFixed(2))}%`;
const ms = (n: number): string => `${Number(n.toFixed(1))} ms`;
