import type { ReadinessCheckId, ReadinessThresholds } from '../spec/readiness';

/*
 * `cutover readiness <capability>`: GO only when every check passes or is waived in the spec with a reason.
 * Evidence that could not be gathered (a part not deployed, no data in the window) is `missing`, and a
 * missing check is NO-GO: "we could not look" must never read as "we looked and it was fine".
 */

/** A piece of evidence as gathered by an adapter: observed with where it came from, or missing with why. */
export type Observed<T> =
  { readonly status: 'observed'; readonly value: T; readonly source: string } | { readonly status: 'missing'; readonly why: string };

export interface SideFigures {
  readonly deliveries: number;
  readonly errorRate?: number;
  readonly p95LatencyMs?: number;
}

export interface ReadinessEvidence {
  readonly capability: string;
  /** When the evidence was gathered (ISO). */
  readonly at: string;
  /** Compared shadow outcomes and the share that differed (routing metrics or a compare report). */
  readonly shadow: Observed<{ readonly comparisons: number; readonly mismatchRate?: number }>;
  /** The monolith's and the new service's figures over the same window. */
  readonly canary: Observed<{ readonly legacy: SideFigures; readonly candidate: SideFigures }>;
  /** The latest verify of each owned entity: clean or not, and when it finished. */
  readonly backfill: Observed<ReadonlyArray<{ readonly entity: string; readonly clean: boolean; readonly finishedAt: string }>>;
  readonly sync: Observed<{ readonly lagSeconds: number; readonly openConflicts: number }>;
  /** Events of the capability's types quarantined within the window. */
  readonly quarantine: Observed<{ readonly count: number }>;
  /** Sagas ended in CompensationFailed within the window. */
  readonly saga: Observed<{ readonly failures: number }>;
  /** The candidate's health as the routing table holds it, with the report time when known. */
  readonly health: Observed<{ readonly health: string; readonly reportedAt?: string; readonly stale?: boolean }>;
}

export type CheckOutcome = 'pass' | 'fail' | 'missing' | 'waived';

export interface CheckResult {
  readonly id: ReadinessCheckId;
  readonly outcome: CheckOutcome;
  /** What was seen, in words and figures. */
  readonly observed: string;
  /** The threshold it was judged against. */
  readonly threshold: string;
  /** Where the figure came from (or why it could not be read, or the waiver's reason). */
  readonly evidence: string;
}

export interface ReadinessVerdict {
  readonly capability: string;
  readonly at: string;
  readonly verdict: 'GO' | 'NO-GO';
  readonly checks: readonly CheckResult[];
  /** One line per check that holds the capability back. */
  readonly blockers: readonly string[];
}

const pct = (r: number): string => `${Number((r * 100).toFixed(2))}%`;

type Judged = { outcome: 'pass' | 'fail'; observed: string; threshold: string };

/** Judges every check and combines them: GO iff each passes or is waived. Pure: the same evidence, the same verdict. */
export function judgeReadiness(
  evidence: ReadinessEvidence,
  thresholds: ReadinessThresholds,
  waivers: Partial<Record<ReadinessCheckId, string>> = {},
): ReadinessVerdict {
  const t = thresholds;
  const checks: CheckResult[] = [];
  const check = <T>(id: ReadinessCheckId, obs: Observed<T>, threshold: string, judge: (v: T) => Judged): void => {
    const waiver = waivers[id];
    if (waiver !== undefined) {
      const seen = obs.status === 'observed' ? judge(obs.value).observed : `not read (${obs.why})`;
      checks.push({ id, outcome: 'waived', observed: seen, threshold, evidence: `waived in the spec: ${waiver}` });
      return;
    }
    if (obs.status === 'missing') {
      checks.push({ id, outcome: 'missing', observed: 'no evidence', threshold, evidence: obs.why });
      return;
    }
    const j = judge(obs.value);
    checks.push({ id, outcome: j.outcome, observed: j.observed, threshold: j.threshold, evidence: obs.source });
  };

  const shadowThreshold = `mismatch rate <= ${pct(t.maxMismatchRate)} over >= ${t.minComparisons} comparisons`;
  check('shadow', evidence.shadow, shadowThreshold, (v) => {
    if (v.comparisons < t.minComparisons || v.mismatchRate === undefined) {
      return { outcome: 'fail', observed: `${v.comparisons} comparison(s): too few to judge`, threshold: shadowThreshold };
    }
    return {
      outcome: v.mismatchRate <= t.maxMismatchRate ? 'pass' : 'fail',
      observed: `mismatch rate ${pct(v.mismatchRate)} over ${v.comparisons} comparisons`,
      threshold: shadowThreshold,
    };
  });

  const errorsThreshold = `new error rate <= ${pct(t.maxErrorRate)} and <= old + ${pct(t.maxErrorRateIncrease)}, >= ${t.minDeliveries} deliveries each`;
  check('canary-errors', evidence.canary, errorsThreshold, ({ legacy, candidate }) => {
    const seen = `error rate old ${rateOf(legacy)} vs new ${rateOf(candidate)}`;
    if (
      legacy.deliveries < t.minDeliveries ||
      candidate.deliveries < t.minDeliveries ||
      legacy.errorRate === undefined ||
      candidate.errorRate === undefined
    ) {
      return { outcome: 'fail', observed: `${seen}: too few deliveries to judge`, threshold: errorsThreshold };
    }
    const ok = candidate.errorRate <= t.maxErrorRate && candidate.errorRate - legacy.errorRate <= t.maxErrorRateIncrease + 1e-12;
    return { outcome: ok ? 'pass' : 'fail', observed: seen, threshold: errorsThreshold };
  });

  const latencyThreshold = `new p95 <= ${t.maxP95Ratio} x old p95, >= ${t.minDeliveries} deliveries each`;
  check('canary-latency', evidence.canary, latencyThreshold, ({ legacy, candidate }) => {
    const seen = `p95 old ${ms(legacy.p95LatencyMs)} vs new ${ms(candidate.p95LatencyMs)}`;
    if (
      legacy.deliveries < t.minDeliveries ||
      candidate.deliveries < t.minDeliveries ||
      legacy.p95LatencyMs === undefined ||
      candidate.p95LatencyMs === undefined
    ) {
      return { outcome: 'fail', observed: `${seen}: too few deliveries to judge`, threshold: latencyThreshold };
    }
    const ok = candidate.p95LatencyMs <= legacy.p95LatencyMs * t.maxP95Ratio;
    const ratio = legacy.p95LatencyMs > 0 ? ` (x${(candidate.p95LatencyMs / legacy.p95LatencyMs).toFixed(2)})` : '';
    return { outcome: ok ? 'pass' : 'fail', observed: `${seen}${ratio}`, threshold: latencyThreshold };
  });

  const backfillThreshold = `every owned entity verified clean within ${t.maxBackfillAgeHours} h`;
  check('backfill', evidence.backfill, backfillThreshold, (reports) => {
    if (reports.length === 0) return { outcome: 'fail', observed: 'no verify report', threshold: backfillThreshold };
    const now = Date.parse(evidence.at);
    const parts = reports.map((r) => {
      const ageHours = (now - Date.parse(r.finishedAt)) / 3_600_000;
      const fresh = Number.isFinite(ageHours) && ageHours <= t.maxBackfillAgeHours;
      return {
        ok: r.clean && fresh,
        text: `${r.entity} ${r.clean ? 'clean' : 'NOT clean'} ${Number.isFinite(ageHours) ? `${ageHours.toFixed(1)} h ago` : `at ${JSON.stringify(r.finishedAt)} (unreadable time)`}`,
      };
    });
    return {
      outcome: parts.every((p) => p.ok) ? 'pass' : 'fail',
      observed: parts.map((p) => p.text).join('; '),
      threshold: backfillThreshold,
    };
  });

  const syncThreshold = `lag <= ${t.maxSyncLagSeconds} s and open conflicts <= ${t.maxOpenConflicts}`;
  check('sync', evidence.sync, syncThreshold, (v) => ({
    outcome: v.lagSeconds <= t.maxSyncLagSeconds && v.openConflicts <= t.maxOpenConflicts ? 'pass' : 'fail',
    observed: `lag ${v.lagSeconds} s, ${v.openConflicts} open conflict(s)`,
    threshold: syncThreshold,
  }));

  const quarantineThreshold = `<= ${t.maxOpenQuarantines} of its event types quarantined in ${t.windowMinutes} min`;
  check('quarantine', evidence.quarantine, quarantineThreshold, (v) => ({
    outcome: v.count <= t.maxOpenQuarantines ? 'pass' : 'fail',
    observed: `${v.count} quarantined`,
    threshold: quarantineThreshold,
  }));

  const sagaThreshold = `<= ${t.maxSagaFailures} saga(s) in CompensationFailed in ${t.windowMinutes} min`;
  check('saga', evidence.saga, sagaThreshold, (v) => ({
    outcome: v.failures <= t.maxSagaFailures ? 'pass' : 'fail',
    observed: `${v.failures} failed`,
    threshold: sagaThreshold,
  }));

  const healthThreshold = 'candidate healthy or unknown, report within its TTL';
  check('health', evidence.health, healthThreshold, (v) => ({
    outcome: v.health !== 'unhealthy' && v.stale !== true ? 'pass' : 'fail',
    observed: `${v.health}${v.stale ? ' (report older than its TTL: counts as unhealthy)' : ''}${v.reportedAt ? `, reported ${v.reportedAt}` : ''}`,
    threshold: healthThreshold,
  }));

  const blockers = checks
    .filter((c) => c.outcome === 'fail' || c.outcome === 'missing')
    .map((c) => `${c.id}: ${c.outcome === 'missing' ? `no evidence (${c.evidence})` : `${c.observed}; needs ${c.threshold}`}`);
  return { capability: evidence.capability, at: evidence.at, verdict: blockers.length === 0 ? 'GO' : 'NO-GO', checks, blockers };
}

function rateOf(s: SideFigures): string {
  return s.errorRate === undefined ? `- (${s.deliveries})` : `${pct(s.errorRate)} (${s.deliveries})`;
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : `${Math.round(v)} ms`;
}

/** The verdict as aligned text for a terminal. */
export function renderVerdict(v: ReadinessVerdict): string {
  const rows = v.checks.map((c) => [
    c.outcome === 'pass' ? 'ok' : c.outcome === 'waived' ? 'waived' : c.outcome === 'missing' ? 'MISSING' : 'FAIL',
    c.id,
    c.observed,
    c.threshold,
    c.evidence,
  ]);
  const head = ['', 'check', 'observed', 'threshold', 'evidence'];
  const widths = head.map((_, i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    `${v.capability}: ${v.verdict}  (evidence gathered ${v.at})`,
    '',
    line(head),
    ...rows.map(line),
    ...(v.blockers.length > 0 ? ['', 'held back by:', ...v.blockers.map((b) => `  - ${b}`)] : []),
  ].join('\n');
}
