import fc from 'fast-check';
import { effectiveHealth, judgeReadiness, renderVerdict, type ReadinessEvidence } from '../../core/readiness';
import { DEFAULT_READINESS_THRESHOLDS, parseSpec, readinessFor, type ReadinessCheckId } from '../../core/spec';
import spec from '../../cutover.config';

const T = DEFAULT_READINESS_THRESHOLDS;
const AT = '2026-12-06T12:00:00.000Z';

/** Evidence on which every check passes under the default thresholds. */
function good(): ReadinessEvidence {
  return {
    capability: 'inventory',
    at: AT,
    shadow: {
      status: 'observed',
      value: { comparisons: 500, mismatchRate: 0.002 },
      source: 'Cutover/Routing inventory.candidate.MismatchRate',
    },
    canary: {
      status: 'observed',
      value: {
        legacy: { deliveries: 400, errorRate: 0.004, p95LatencyMs: 200 },
        candidate: { deliveries: 300, errorRate: 0.006, p95LatencyMs: 220 },
      },
      source: 'Cutover/Routing',
    },
    backfill: {
      status: 'observed',
      value: [{ entity: 'stock', clean: true, finishedAt: '2026-12-06T02:00:00.000Z' }],
      source: 'verify report',
    },
    sync: { status: 'observed', value: { lagSeconds: 3, openConflicts: 0 }, source: 'sync metrics' },
    quarantine: { status: 'observed', value: { count: 0 }, source: 'quarantine table' },
    saga: { status: 'observed', value: { failures: 0 }, source: 'saga table' },
    health: { status: 'observed', value: { health: 'healthy', reportedAt: '2026-12-06T11:59:00.000Z' }, source: 'routing table' },
  };
}

const outcome = (e: ReadinessEvidence, id: ReadinessCheckId, waivers = {}) =>
  judgeReadiness(e, T, waivers).checks.find((c) => c.id === id)!.outcome;

describe('Function: judgeReadiness', () => {
  it('says GO when every check passes, and lists no blockers', () => {
    // Act
    const v = judgeReadiness(good(), T);
    // Assess
    expect(v.verdict).toBe('GO');
    expect(v.blockers).toEqual([]);
    expect(v.checks.map((c) => c.outcome)).toEqual(Array(8).fill('pass'));
  });

  // Each row: one change to the good evidence, the check it must fail, and the outcome.
  it.each<[string, (e: ReadinessEvidence) => ReadinessEvidence, ReadinessCheckId, string]>([
    [
      'mismatch rate above the threshold',
      (e) => ({ ...e, shadow: { status: 'observed', value: { comparisons: 500, mismatchRate: 0.011 }, source: 's' } }),
      'shadow',
      'fail',
    ],
    [
      'too few comparisons',
      (e) => ({ ...e, shadow: { status: 'observed', value: { comparisons: 99, mismatchRate: 0 }, source: 's' } }),
      'shadow',
      'fail',
    ],
    ['no shadow evidence', (e) => ({ ...e, shadow: { status: 'missing', why: 'routing not deployed' } }), 'shadow', 'missing'],
    [
      'new error rate above the absolute threshold',
      (e) => ({ ...e, canary: canary({ errorRate: 0.011 }, { errorRate: 0.01 }) }),
      'canary-errors',
      'fail',
    ],
    [
      'new error rate more than old + increase',
      (e) => ({ ...e, canary: canary({ errorRate: 0.0071 }, { errorRate: 0.002 }) }),
      'canary-errors',
      'fail',
    ],
    ['too few candidate deliveries', (e) => ({ ...e, canary: canary({ deliveries: 99 }, {}) }), 'canary-errors', 'fail'],
    ['new p95 above 1.2 x old', (e) => ({ ...e, canary: canary({ p95LatencyMs: 241 }, { p95LatencyMs: 200 }) }), 'canary-latency', 'fail'],
    ['no latency figure for the monolith', (e) => ({ ...e, canary: canary({}, { p95LatencyMs: undefined }) }), 'canary-latency', 'fail'],
    [
      'a verify report that is not clean',
      (e) => ({ ...e, backfill: { status: 'observed', value: [{ entity: 'stock', clean: false, finishedAt: AT }], source: 'v' } }),
      'backfill',
      'fail',
    ],
    [
      'a clean verify older than 24 h',
      (e) => ({
        ...e,
        backfill: { status: 'observed', value: [{ entity: 'stock', clean: true, finishedAt: '2026-12-05T11:59:00.000Z' }], source: 'v' },
      }),
      'backfill',
      'fail',
    ],
    ['no verify report at all', (e) => ({ ...e, backfill: { status: 'observed', value: [], source: 'v' } }), 'backfill', 'fail'],
    [
      'sync lag above the threshold',
      (e) => ({ ...e, sync: { status: 'observed', value: { lagSeconds: 61, openConflicts: 0 }, source: 's' } }),
      'sync',
      'fail',
    ],
    [
      'an open conflict',
      (e) => ({ ...e, sync: { status: 'observed', value: { lagSeconds: 0, openConflicts: 1 }, source: 's' } }),
      'sync',
      'fail',
    ],
    ['sync not deployed', (e) => ({ ...e, sync: { status: 'missing', why: 'not deployed' } }), 'sync', 'missing'],
    [
      'a quarantined event of its types',
      (e) => ({ ...e, quarantine: { status: 'observed', value: { count: 1 }, source: 'q' } }),
      'quarantine',
      'fail',
    ],
    ['a saga in CompensationFailed', (e) => ({ ...e, saga: { status: 'observed', value: { failures: 1 }, source: 's' } }), 'saga', 'fail'],
    [
      'an unhealthy candidate',
      (e) => ({ ...e, health: { status: 'observed', value: { health: 'unhealthy' }, source: 'r' } }),
      'health',
      'fail',
    ],
    [
      'a stale health report',
      (e) => ({ ...e, health: { status: 'observed', value: { health: 'healthy', stale: true }, source: 'r' } }),
      'health',
      'fail',
    ],
  ])('says NO-GO on %s', (_name, change, id, expected) => {
    // Prepare
    const e = change(good());
    // Act
    const v = judgeReadiness(e, T);
    // Assess
    expect(v.verdict).toBe('NO-GO');
    expect(outcome(e, id)).toBe(expected);
    // Only the changed evidence holds it back (both canary checks read the same delivery counts).
    const allowed = id.startsWith('canary') ? ['canary-errors', 'canary-latency'] : [id];
    expect(v.blockers.some((b) => b.startsWith(`${id}:`))).toBe(true);
    expect(v.blockers.every((b) => allowed.includes(b.split(':')[0]))).toBe(true);
  });

  it.each<[string, number, number, 'pass' | 'fail']>([
    ['exactly at the threshold', 0.01, 500, 'pass'],
    ['just above it', 0.0101, 500, 'fail'],
    ['at the minimum number of comparisons', 0, 100, 'pass'],
  ])('judges the mismatch rate %s', (_name, mismatchRate, comparisons, expected) => {
    // Prepare
    const e = { ...good(), shadow: { status: 'observed' as const, value: { comparisons, mismatchRate }, source: 's' } };
    // Act / Assess
    expect(outcome(e, 'shadow')).toBe(expected);
  });

  it('turns a missing check into GO only through a waiver, and shows the waiver reason as evidence', () => {
    // Prepare
    const e = { ...good(), sync: { status: 'missing' as const, why: 'the sync stack is not deployed' } };
    // Act
    const unwaived = judgeReadiness(e, T);
    const waived = judgeReadiness(e, T, { sync: 'inventory has no two-way sync' });
    // Assess
    expect(unwaived.verdict).toBe('NO-GO');
    expect(unwaived.blockers).toEqual(['sync: no evidence (the sync stack is not deployed)']);
    expect(waived.verdict).toBe('GO');
    expect(waived.checks.find((c) => c.id === 'sync')).toMatchObject({
      outcome: 'waived',
      evidence: 'waived in the spec: inventory has no two-way sync',
    });
  });

  it('never says GO while any check is missing or failing (property)', () => {
    const ids: ReadinessCheckId[] = ['shadow', 'canary-errors', 'backfill', 'sync', 'quarantine', 'saga', 'health'];
    fc.assert(
      fc.property(fc.subarray(ids, { minLength: 1 }), (broken) => {
        // Prepare: every chosen source of evidence goes missing
        const e = { ...good() } as Record<string, unknown>;
        const key = (id: ReadinessCheckId) => (id === 'canary-errors' ? 'canary' : id);
        for (const id of broken) e[key(id)] = { status: 'missing', why: 'gone' };
        // Act
        const v = judgeReadiness(e as unknown as ReadinessEvidence, T);
        // Assess
        return v.verdict === 'NO-GO' && broken.every((id) => v.checks.find((c) => c.id === id)!.outcome === 'missing');
      }),
      { seed: 14, numRuns: 100 },
    );
  });

  it('renders the verdict, each check and the blockers', () => {
    // Prepare
    const v = judgeReadiness({ ...good(), quarantine: { status: 'observed', value: { count: 3 }, source: 'quarantine table' } }, T);
    // Act
    const text = renderVerdict(v);
    // Assess
    expect(text.split('\n')[0]).toBe(`inventory: NO-GO  (evidence gathered ${AT})`);
    expect(text).toMatch(/^FAIL\s+quarantine\s+3 quarantined/m);
    expect(text).toMatch(/^ok\s+shadow\s+mismatch rate 0.2% over 500 comparisons/m);
    expect(text).toContain('  - quarantine: 3 quarantined; needs <= 0 of its event types quarantined in 60 min');
  });
});

function canary(
  c: Partial<{ deliveries: number; errorRate: number; p95LatencyMs: number }>,
  l: Partial<{ deliveries: number; errorRate: number; p95LatencyMs: number | undefined }>,
): ReadinessEvidence['canary'] {
  return {
    status: 'observed',
    value: {
      legacy: { deliveries: 400, errorRate: 0.004, p95LatencyMs: 200, ...l },
      candidate: { deliveries: 300, errorRate: 0.006, p95LatencyMs: 220, ...c },
    },
    source: 'c',
  };
}

describe('Function: readinessFor', () => {
  it('layers the capability over the section defaults over the built-in defaults', () => {
    // Act
    const r = readinessFor(
      {
        defaults: { maxMismatchRate: 0.02, windowMinutes: 30 },
        capabilities: { payment: { maxMismatchRate: 0.001, entities: ['payments'], waive: { sync: 'no sync for payments yet' } } },
      },
      'payment',
    );
    // Assess
    expect(r.thresholds).toEqual({ ...T, maxMismatchRate: 0.001, windowMinutes: 30 });
    expect(r.entities).toEqual(['payments']);
    expect(r.waivers).toEqual({ sync: 'no sync for payments yet' });
  });

  it('gives the built-in defaults when the spec has no readiness section', () => {
    expect(readinessFor(undefined, 'inventory')).toEqual({ thresholds: T, entities: [], waivers: {} });
  });
});

describe('Function: parseSpec (readiness section)', () => {
  it.each<[string, unknown, string]>([
    ['an unknown capability', { capabilities: { billing: {} } }, 'readiness.capabilities.billing: not a routed capability'],
    [
      'an unknown entity',
      { capabilities: { inventory: { entities: ['stocks'] } } },
      'readiness.capabilities.inventory.entities[0]: "stocks" is not an entity of migration',
    ],
    [
      'a waiver without a reason',
      { capabilities: { inventory: { waive: { sync: 'no' } } } },
      'readiness.capabilities.inventory.waive.sync: a waiver needs a reason',
    ],
    ['a rate above 1', { defaults: { maxErrorRate: 2 } }, 'readiness.defaults.maxErrorRate: maxErrorRate is a fraction between 0 and 1'],
  ])('names the field of %s', (_name, readiness, message) => {
    // Act / Assess
    expect(() => parseSpec({ ...spec, readiness })).toThrow(message);
  });
});

describe('Function: effectiveHealth', () => {
  const now = new Date('2026-12-06T12:00:00.000Z');
  it.each<[string, Parameters<typeof effectiveHealth>[0], { health: string; stale: boolean }]>([
    [
      'no TTL: a day-old report still counts',
      { health: 'healthy', healthAt: '2026-12-05T12:00:00.000Z' },
      { health: 'healthy', stale: false },
    ],
    [
      'a report within the TTL',
      { health: 'healthy', healthAt: '2026-12-06T11:59:30.000Z', healthTtlSeconds: 60 },
      { health: 'healthy', stale: false },
    ],
    [
      'a report older than the TTL',
      { health: 'healthy', healthAt: '2026-12-06T11:58:59.000Z', healthTtlSeconds: 60 },
      { health: 'unhealthy', stale: true },
    ],
    [
      'registered, never reported, within the TTL',
      { registeredAt: '2026-12-06T11:59:30.000Z', healthTtlSeconds: 60 },
      { health: 'unknown', stale: false },
    ],
    [
      'registered, never reported, past the TTL',
      { registeredAt: '2026-12-06T11:00:00.000Z', healthTtlSeconds: 60 },
      { health: 'unhealthy', stale: true },
    ],
    [
      'an unreadable report time with a TTL',
      { health: 'healthy', healthAt: 'yesterday', healthTtlSeconds: 60 },
      { health: 'unhealthy', stale: true },
    ],
    [
      'already unhealthy and old: unhealthy, not stale',
      { health: 'unhealthy', healthAt: '2026-12-06T10:00:00.000Z', healthTtlSeconds: 60 },
      { health: 'unhealthy', stale: false },
    ],
  ])('%s', (_name, record, expected) => {
    // Act
    const h = effectiveHealth(record, now);
    // Assess
    expect({ health: h.health, stale: h.stale }).toEqual(expected);
  });
});
