import { candidateCycles } from './cycles';
import { detectCommunities } from './detect';
import { buildTableGraph, DEFAULT_WEIGHTS, type EdgeWeights } from './graph';
import { relationships as findRelationships, tablePrefix } from './infer';
import { computeMetrics } from './metrics';
import type { BoundaryReport, Candidate, Schema, Workload } from './model';
import { draftSpec, suggestForTransactions } from './suggest';

export interface AnalyseOptions {
  /** Seeds Louvain: the same seed and input give the same candidates. @default 42 */
  readonly seed?: number;
  readonly resolution?: number;
  readonly services?: number;
  readonly maxSize?: number;
  readonly pins?: Readonly<Record<string, string>>;
  readonly weights?: Partial<EdgeWeights>;
  /** Candidates above this many tables count as extreme in NED. @default max(maxSize, 20) */
  readonly extremeAbove?: number;
}

export const UNATTACHED = 'unattached';

/** Schema (+ workload) -> candidates, scores, cycles, suggestions and a draft spec. Pure and deterministic. */
export function analyseBoundaries(schema: Schema, workload: Workload | undefined, options: AnalyseOptions = {}): BoundaryReport {
  const seed = options.seed ?? 42;
  const { declared, inferred } = findRelationships(schema);
  const rels = [...declared, ...inferred];
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const tg = buildTableGraph(schema, rels, workload, weights);
  const partition = detectCommunities(tg, {
    seed,
    resolution: options.resolution,
    services: options.services,
    maxSize: options.maxSize,
    pins: options.pins,
  });

  // Names: the pinned service's, else the table at the community's centre (most weight inside) without
  // the schema's table prefix; unique.
  const prefix = tablePrefix(tg.tables);
  const members = new Map<number, string[]>();
  for (const t of tg.tables) {
    const c = partition.community.get(t);
    if (c !== undefined) members.set(c, [...(members.get(c) ?? []), t]);
  }
  const insideDegree = new Map<string, number>();
  for (const e of tg.edges) {
    if (partition.community.get(e.a) !== undefined && partition.community.get(e.a) === partition.community.get(e.b)) {
      insideDegree.set(e.a, (insideDegree.get(e.a) ?? 0) + e.weight);
      insideDegree.set(e.b, (insideDegree.get(e.b) ?? 0) + e.weight);
    }
  }
  const totalDegree = new Map<string, number>();
  for (const e of tg.edges) {
    totalDegree.set(e.a, (totalDegree.get(e.a) ?? 0) + e.weight);
    totalDegree.set(e.b, (totalDegree.get(e.b) ?? 0) + e.weight);
  }
  const used = new Set<string>([UNATTACHED]);
  const nameOf = new Map<number, string>();
  const ids = [...members.keys()].sort((a, b) => (members.get(b)?.length ?? 0) - (members.get(a)?.length ?? 0) || a - b);
  for (const id of ids) {
    const pinned = partition.pinnedName.get(id);
    let name = pinned;
    if (!name) {
      const hub = [...(members.get(id) ?? [])].sort(
        (a, b) =>
          (insideDegree.get(b) ?? 0) - (insideDegree.get(a) ?? 0) ||
          (totalDegree.get(b) ?? 0) - (totalDegree.get(a) ?? 0) ||
          a.localeCompare(b),
      )[0];
      name = prefix && hub.startsWith(prefix) ? hub.slice(prefix.length) : hub;
    }
    let unique = name;
    for (let i = 2; used.has(unique); i++) unique = `${name}-${i}`;
    used.add(unique);
    nameOf.set(id, unique);
  }
  const of = new Map<string, string>();
  for (const [t, c] of partition.community) of.set(t, nameOf.get(c) as string);

  const metrics = computeMetrics({
    of,
    edges: tg.edges,
    relationships: rels,
    transactions: workload?.transactions ?? [],
    extremeAbove: options.extremeAbove ?? Math.max(options.maxSize ?? 0, 20),
  });
  const pins = options.pins ?? {};
  const candidates: Candidate[] = ids.map((id) => {
    const name = nameOf.get(id) as string;
    const per = metrics.perCandidate.get(name);
    const tables = [...(members.get(id) ?? [])].sort();
    return {
      name,
      tables,
      pinned: tables.filter((t) => pins[t] !== undefined),
      cohesion: per?.cohesion ?? 1,
      coupling: per?.coupling ?? 0,
      interface: per?.interface ?? [],
    };
  });
  if (partition.isolated.length > 0)
    candidates.push({
      name: UNATTACHED,
      tables: [...partition.isolated],
      pinned: [],
      cohesion: 0,
      coupling: 0,
      interface: [],
      unattached: true,
    });

  const between = new Map<string, number>();
  const internal = new Map<string, number>();
  for (const e of tg.edges) {
    const a = of.get(e.a);
    const b = of.get(e.b);
    if (!a || !b) continue;
    if (a === b) internal.set(a, (internal.get(a) ?? 0) + e.weight);
    else {
      const k = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
      between.set(k, (between.get(k) ?? 0) + e.weight);
    }
  }
  const suggestions = suggestForTransactions({
    of,
    transactions: workload?.transactions ?? [],
    relationships: rels,
    between: (a, b) => between.get(a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`) ?? 0,
    internal: (a) => internal.get(a) ?? 0,
  });
  const { perCandidate: _per, ...scores } = metrics;
  const hubTables = new Set(tg.hubs.map((h) => h.table));
  return {
    candidates,
    metrics: scores,
    // References to shared reference data are read-only copies once replicated: they close no real cycle.
    cycles: candidateCycles(
      rels.filter((r) => !hubTables.has(r.to)),
      of,
    ),
    inferred,
    declared,
    shared: tg.hubs,
    suggestions,
    draft: draftSpec(schema, candidates, rels),
    edges: tg.edges.map((e) => ({ a: e.a, b: e.b, weight: round(e.weight), evidence: { ...e.evidence } })),
    workload: {
      statements: workload?.statements.length ?? 0,
      transactions: workload?.transactions.length ?? 0,
      calls: workload?.totalCalls ?? 0,
      unparsed: workload?.unparsed.length ?? 0,
      unparsedCalls: workload?.unparsed.reduce((a, u) => a + u.calls, 0) ?? 0,
      unknownTables: workload?.unknownTables ?? [],
    },
    skipped: schema.skipped,
    options: { seed, resolution: partition.resolution, services: options.services, maxSize: options.maxSize, pins: { ...pins } },
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
