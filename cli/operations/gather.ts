import { CutoverError } from '../../core/errors';
import { capabilityEventTypes, effectiveHealth, type Observed, type ReadinessEvidence } from '../../core/readiness';
import type { RouteEntry } from '../../core/routing';
import type { Spec } from '../../core/spec';
import type { CapabilityStatus, DeploymentStatus, SyncFigures } from './status-view';

/*
 * Gathers what `cutover status` shows and what `cutover readiness` judges, from sources the command builds
 * from the stack outputs (tests pass fakes). Every source is optional: a part that is not deployed or cannot
 * be read becomes a visible "missing" with the reason, never a silent zero.
 */

/** The routing table as status and readiness read it. */
export interface RoutingSource {
  load(): Promise<{
    entries: ReadonlyMap<string, RouteEntry>;
    invalid: ReadonlyArray<{ capability: string; problems: readonly string[] }>;
    services: ReadonlyMap<
      string,
      ReadonlyArray<{ target: string; health?: string; healthAt?: string; registeredAt?: string; healthTtlSeconds?: number }>
    >;
  }>;
  seedFor(capability: string): RouteEntry;
}

export interface SideReading {
  readonly deliveries: number;
  readonly comparisons: number;
  readonly errorRate?: number;
  readonly p95LatencyMs?: number;
  readonly mismatchRate?: number;
}

/**
 * Two-way sync's lag and open conflicts per capability (cli/operations/sync-status.ts reads the deployed
 * sync). `undefined` from `status` means the capability is not synced.
 */
export interface SyncStatusSource {
  status(capability: string): Promise<{ lagSeconds: number; openConflicts: number } | undefined>;
}

/** A verify report (`cutover verify --report <file>`) as readiness reads it. */
export interface VerifyEvidence {
  readonly entity: string;
  readonly clean: boolean;
  readonly finishedAt: string;
  readonly file: string;
}

export interface OperationsSources {
  readonly spec: Spec;
  readonly now: () => Date;
  readonly routing?: RoutingSource;
  readonly metrics?: { read(capability: string, side: 'legacy' | 'candidate', windowSeconds: number): Promise<SideReading> };
  /** Quarantined events whose detail type is in `types`, with event time at or after `since`. */
  readonly quarantine?: { count(types: ReadonlySet<string>, since: string): Promise<number> };
  /** Sagas in a state whose row changed at or after `since`. */
  readonly sagas?: { count(state: string, since: string): Promise<number> };
  readonly deadLetterQueues?: { read(): Promise<Record<string, { visible: number; inFlight: number } | Error>> };
  readonly sync?: SyncStatusSource;
  /** Verify reports given on the command line. */
  readonly verifyReports?: readonly VerifyEvidence[];
  /** Stored compare reports (`cutover diff report`), by replay id. */
  readonly compareReports?: { get(replayId: string): Promise<CompareReportTotals | undefined> };
  /** Why a source is absent (e.g. "no Cutover-Routing stack"), by source name, for the evidence text. */
  readonly absent?: Readonly<Partial<Record<'routing' | 'metrics' | 'quarantine' | 'sagas' | 'deadLetterQueues' | 'sync', string>>>;
}

/** What readiness reads of a compare report: its target and totals. */
export interface CompareReportTotals {
  readonly target?: string;
  readonly finishedAt?: string;
  readonly totals: { readonly compared: number; readonly matched: number; readonly failed: number };
}

const SYNC_NOT_DEPLOYED = 'two-way sync is not deployed (no sync status source)';

function why(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

async function observe<T>(read: (() => Promise<T>) | undefined, absent: string, source: string): Promise<Observed<T>> {
  if (read === undefined) return { status: 'missing', why: absent };
  try {
    return { status: 'observed', value: await read(), source };
  } catch (err) {
    if (err instanceof CutoverError || err instanceof Error) return { status: 'missing', why: `${source} could not be read: ${why(err)}` };
    throw err;
  }
}

/** The entry in force for a capability (stored, else the spec seed), or the problems of an invalid row. */
async function entries(src: OperationsSources): Promise<
  Map<
    string,
    {
      entry?: RouteEntry;
      problems?: readonly string[];
      services: ReadonlyArray<{ target: string; health?: string; healthAt?: string; registeredAt?: string; healthTtlSeconds?: number }>;
    }
  >
> {
  const out = new Map<
    string,
    {
      entry?: RouteEntry;
      problems?: readonly string[];
      services: ReadonlyArray<{ target: string; health?: string; healthAt?: string; registeredAt?: string; healthTtlSeconds?: number }>;
    }
  >();
  if (src.routing === undefined) return out;
  const snapshot = await src.routing.load();
  for (const capability of Object.keys(src.spec.routing?.capabilities ?? {})) {
    const invalid = snapshot.invalid.find((i) => i.capability === capability);
    out.set(capability, {
      entry: invalid ? undefined : (snapshot.entries.get(capability) ?? src.routing.seedFor(capability)),
      problems: invalid?.problems,
      services: snapshot.services.get(capability) ?? [],
    });
  }
  return out;
}

function healthOf(
  entry: RouteEntry,
  services: ReadonlyArray<{ target: string; health?: string; healthAt?: string; registeredAt?: string; healthTtlSeconds?: number }>,
  now: Date,
) {
  const reg = services.find((s) => s.target === entry.candidate.target);
  // The route entry's health is what the router acts on; the registration adds the report time and TTL.
  return effectiveHealth(
    { health: entry.health, healthAt: reg?.healthAt, registeredAt: reg?.registeredAt, healthTtlSeconds: reg?.healthTtlSeconds },
    now,
  );
}

async function syncOf(src: OperationsSources, capability: string): Promise<SyncFigures> {
  if (src.sync === undefined) return { missing: src.absent?.sync ?? SYNC_NOT_DEPLOYED };
  try {
    const s = await src.sync.status(capability);
    return s ?? { missing: `${capability} is not synced` };
  } catch (err) {
    return { missing: `sync status could not be read: ${why(err)}` };
  }
}

/** One screen across capabilities: mode, split, health, sync, quarantine count, and every DLQ's depth. */
export async function gatherStatus(src: OperationsSources, windowMinutes: number): Promise<DeploymentStatus> {
  const now = src.now();
  const since = new Date(now.getTime() - windowMinutes * 60_000).toISOString();
  let routed: Awaited<ReturnType<typeof entries>>;
  let routingProblem: string | undefined;
  try {
    routed = await entries(src);
  } catch (err) {
    routed = new Map();
    routingProblem = `the routing table could not be read: ${why(err)}`;
  }
  const capabilities: CapabilityStatus[] = [];
  for (const capability of Object.keys(src.spec.routing?.capabilities ?? {})) {
    const r = routed.get(capability);
    const entry = r?.entry;
    let quarantined: number | string;
    if (src.quarantine === undefined) quarantined = src.absent?.quarantine ?? 'no quarantine table';
    else {
      try {
        quarantined = await src.quarantine.count(capabilityEventTypes(src.spec, capability), since);
      } catch (err) {
        quarantined = why(err);
      }
    }
    capabilities.push({
      capability,
      ...(entry ? { mode: entry.mode, percent: entry.percent, candidate: `${entry.candidate.version} (${entry.candidate.target})` } : {}),
      health: entry
        ? healthOf(entry, r.services, now)
        : {
            missing:
              routingProblem ??
              src.absent?.routing ??
              (r?.problems ? `invalid route entry: ${r.problems.join('; ')}` : 'routing is not deployed'),
          },
      sync: await syncOf(src, capability),
      quarantined,
    });
  }
  let deadLetterQueues: DeploymentStatus['deadLetterQueues'];
  if (src.deadLetterQueues === undefined)
    deadLetterQueues = src.absent?.deadLetterQueues ?? 'no DeadLetterQueueUrls output (is the Operations stack deployed?)';
  else {
    try {
      const depths = await src.deadLetterQueues.read();
      deadLetterQueues = Object.fromEntries(Object.entries(depths).map(([n, d]) => [n, d instanceof Error ? { error: why(d) } : d]));
    } catch (err) {
      deadLetterQueues = why(err);
    }
  }
  return { at: now.toISOString(), windowMinutes, capabilities, deadLetterQueues };
}

/** Everything `cutover readiness` judges for one capability, each piece observed or missing with the reason. */
export async function gatherEvidence(
  src: OperationsSources,
  capability: string,
  options: { windowMinutes: number; entities: readonly string[]; replayId?: string },
): Promise<ReadinessEvidence> {
  const now = src.now();
  const windowSeconds = options.windowMinutes * 60;
  const since = new Date(now.getTime() - windowSeconds * 1000).toISOString();
  const metricsSource = `routing metrics (Cutover/Routing ${capability}.*) over ${options.windowMinutes} min`;
  const readSide = src.metrics ? (side: 'legacy' | 'candidate') => src.metrics!.read(capability, side, windowSeconds) : undefined;
  const noMetrics = src.absent?.metrics ?? 'routing metrics cannot be read';

  const shadow =
    options.replayId !== undefined
      ? await shadowFromReport(src, capability, options.replayId)
      : await observe(
          readSide &&
            (async () => {
              const c = await readSide('candidate');
              return { comparisons: c.comparisons, ...(c.mismatchRate !== undefined ? { mismatchRate: c.mismatchRate } : {}) };
            }),
          noMetrics,
          metricsSource,
        );
  const canary = await observe(
    readSide &&
      (async () => {
        const [legacy, candidate] = await Promise.all([readSide('legacy'), readSide('candidate')]);
        const side = (s: SideReading) => ({
          deliveries: s.deliveries,
          ...(s.errorRate !== undefined ? { errorRate: s.errorRate } : {}),
          ...(s.p95LatencyMs !== undefined ? { p95LatencyMs: s.p95LatencyMs } : {}),
        });
        return { legacy: side(legacy), candidate: side(candidate) };
      }),
    noMetrics,
    metricsSource,
  );

  // Backfill: every owned entity needs a verify report; an entity without one is missing evidence.
  let backfill: ReadinessEvidence['backfill'];
  if (options.entities.length === 0)
    backfill = { status: 'missing', why: `the spec names no entities for ${capability} (readiness.capabilities.${capability}.entities)` };
  else {
    const reports = src.verifyReports ?? [];
    const without = options.entities.filter((e) => !reports.some((r) => r.entity === e));
    if (without.length > 0)
      backfill = {
        status: 'missing',
        why: `no verify report for ${without.join(', ')} (pass --verify-report <file> from \`cutover verify --report\`)`,
      };
    else {
      // The newest report per entity counts.
      const latest = options.entities.map(
        (e) => reports.filter((r) => r.entity === e).sort((a, b) => Date.parse(b.finishedAt) - Date.parse(a.finishedAt))[0],
      );
      backfill = {
        status: 'observed',
        value: latest.map((r) => ({ entity: r.entity, clean: r.clean, finishedAt: r.finishedAt })),
        source: latest.map((r) => r.file).join(', '),
      };
    }
  }

  const syncFigures = await syncOf(src, capability);
  const sync: ReadinessEvidence['sync'] =
    'missing' in syncFigures
      ? { status: 'missing', why: syncFigures.missing }
      : {
          status: 'observed',
          value: syncFigures,
          source: 'two-way sync: the larger of the relay and stream lag, open conflicts of its entities in the ledger',
        };

  const types = capabilityEventTypes(src.spec, capability);
  const quarantine = await observe(
    src.quarantine && (async () => ({ count: await src.quarantine!.count(types, since) })),
    src.absent?.quarantine ?? 'the quarantine table cannot be read',
    `quarantine table, types ${[...types].sort().join(', ')}, since ${since}`,
  );
  const saga = await observe(
    src.sagas && (async () => ({ failures: await src.sagas!.count('compensation-failed', since) })),
    src.absent?.sagas ?? 'the saga is not deployed',
    `saga state table (compensation-failed since ${since})`,
  );

  let health: ReadinessEvidence['health'];
  try {
    const r = (await entries(src)).get(capability);
    if (src.routing === undefined) health = { status: 'missing', why: src.absent?.routing ?? 'routing is not deployed' };
    else if (r?.entry === undefined)
      health = { status: 'missing', why: `invalid route entry: ${(r?.problems ?? ['not routed']).join('; ')}` };
    else {
      const h = healthOf(r.entry, r.services, now);
      const reg = r.services.find((s) => s.target === r.entry!.candidate.target);
      health = {
        status: 'observed',
        value: { health: h.health, stale: h.stale, ...(reg?.healthAt ? { reportedAt: reg.healthAt } : {}) },
        source: `routing table (candidate ${r.entry.candidate.target})`,
      };
    }
  } catch (err) {
    health = { status: 'missing', why: `the routing table could not be read: ${why(err)}` };
  }

  return { capability, at: now.toISOString(), shadow, canary, backfill, sync, quarantine, saga, health };
}

/**
 * Shadow evidence from one stored compare report instead of the live metrics: every compared interaction
 * that did not match, and every one the new service failed on, counts as a mismatch.
 */
async function shadowFromReport(src: OperationsSources, capability: string, replayId: string): Promise<ReadinessEvidence['shadow']> {
  if (src.compareReports === undefined)
    return { status: 'missing', why: src.absent?.metrics ?? 'compare reports cannot be read (no DiffReportTableName output)' };
  let report: CompareReportTotals | undefined;
  try {
    report = await src.compareReports.get(replayId);
  } catch (err) {
    return { status: 'missing', why: `compare report ${replayId} could not be read: ${why(err)}` };
  }
  if (report === undefined)
    return {
      status: 'missing',
      why: `no compare report for replay ${replayId} (is the replay finished? \`cutover diff report ${replayId}\`)`,
    };
  const targets = Object.values(src.spec.routing?.capabilities[capability]?.implementations ?? {}).map((i) => i.target);
  if (report.target !== undefined && !targets.includes(report.target)) {
    return {
      status: 'missing',
      why: `replay ${replayId} compared ${report.target}, not an implementation of ${capability} (${targets.join(', ')})`,
    };
  }
  const comparisons = report.totals.compared + report.totals.failed;
  const mismatches = report.totals.compared - report.totals.matched + report.totals.failed;
  return {
    status: 'observed',
    value: { comparisons, ...(comparisons > 0 ? { mismatchRate: mismatches / comparisons } : {}) },
    source: `compare report of replay ${replayId}${report.finishedAt ? ` (finished ${report.finishedAt})` : ''}`,
  };
}
