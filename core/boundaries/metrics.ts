import type { TableEdge } from './graph';
import type { Metrics, Relationship, TransactionAccess } from './model';

/*
 * Scores of one decomposition. `of` maps a table to its candidate; tables without one (unattached) are
 * left out of every score. The literature's measures, restated for tables instead of classes:
 *   SM  (structural modularity, Jin et al. 2019): (1/K) sum mu_i / N_i^2  -  (2 / K(K-1)) sum sigma_ij / (2 N_i N_j),
 *        mu_i edges inside i, sigma_ij edges between i and j, N_i its tables (unweighted: structure only).
 *   ICP (inter-call percentage): the share of co-access weight (statements and transactions, by calls)
 *        that crosses a boundary; without a workload, the share of edge weight.
 *   IFN (interface number): mean count of tables per candidate that another candidate reaches.
 *   NED (non-extreme distribution): the share of tables in candidates of extreme size (one table, or more
 *        than `extremeAbove`); lower is better.
 */

export interface MetricsInput {
  readonly of: ReadonlyMap<string, string>;
  readonly edges: readonly TableEdge[];
  readonly relationships: readonly Relationship[];
  readonly transactions: readonly TransactionAccess[];
  readonly extremeAbove: number;
}

export function modularity(of: ReadonlyMap<string, string>, edges: readonly TableEdge[]): number {
  let m = 0;
  const inside = new Map<string, number>();
  const degree = new Map<string, number>();
  for (const e of edges) {
    const ca = of.get(e.a);
    const cb = of.get(e.b);
    if (ca === undefined || cb === undefined) continue;
    m += e.weight;
    degree.set(ca, (degree.get(ca) ?? 0) + e.weight);
    degree.set(cb, (degree.get(cb) ?? 0) + e.weight);
    if (ca === cb) inside.set(ca, (inside.get(ca) ?? 0) + e.weight);
  }
  if (m === 0) return 0;
  let q = 0;
  for (const [c, d] of degree) q += (inside.get(c) ?? 0) / m - (d / (2 * m)) ** 2;
  return q;
}

export function computeMetrics(
  input: MetricsInput,
): Metrics & { perCandidate: Map<string, { cohesion: number; coupling: number; interface: string[] }> } {
  const { of, edges } = input;
  const members = new Map<string, string[]>();
  for (const [t, c] of of) members.set(c, [...(members.get(c) ?? []), t]);
  const names = [...members.keys()].sort();
  const K = names.length;
  const inW = new Map<string, number>();
  const outW = new Map<string, number>();
  const inCount = new Map<string, number>();
  const between = new Map<string, number>();
  const iface = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
  let coAccessTotal = 0;
  let coAccessCross = 0;
  let weightTotal = 0;
  let weightCross = 0;
  for (const e of edges) {
    const ca = of.get(e.a);
    const cb = of.get(e.b);
    if (ca === undefined || cb === undefined) continue;
    const co = e.evidence.statementCalls + e.evidence.transactionCalls;
    coAccessTotal += co;
    weightTotal += e.weight;
    if (ca === cb) {
      inW.set(ca, (inW.get(ca) ?? 0) + e.weight);
      inCount.set(ca, (inCount.get(ca) ?? 0) + 1);
    } else {
      coAccessCross += co;
      weightCross += e.weight;
      outW.set(ca, (outW.get(ca) ?? 0) + e.weight);
      outW.set(cb, (outW.get(cb) ?? 0) + e.weight);
      const key = ca < cb ? `${ca}\u0000${cb}` : `${cb}\u0000${ca}`;
      between.set(key, (between.get(key) ?? 0) + 1);
      // Co-access reaches both sides; a reference reaches the referenced table (below).
      if (co > 0) {
        iface.get(ca)?.add(e.a);
        iface.get(cb)?.add(e.b);
      }
    }
  }
  let crossRel = 0;
  let rels = 0;
  for (const r of input.relationships) {
    const cf = of.get(r.from);
    const ct = of.get(r.to);
    if (cf === undefined || ct === undefined) continue;
    rels += 1;
    if (cf !== ct) {
      crossRel += 1;
      iface.get(ct)?.add(r.to);
    }
  }
  const perCandidate = new Map<string, { cohesion: number; coupling: number; interface: string[] }>();
  let cohSum = 0;
  for (const n of names) {
    const i = inW.get(n) ?? 0;
    const o = outW.get(n) ?? 0;
    const cohesion = i + o > 0 ? i / (i + o) : 1;
    cohSum += cohesion;
    perCandidate.set(n, { cohesion, coupling: o, interface: [...(iface.get(n) ?? [])].sort() });
  }
  let smCoh = 0;
  for (const n of names) {
    const N = members.get(n)?.length ?? 1;
    smCoh += (inCount.get(n) ?? 0) / (N * N);
  }
  let smCoup = 0;
  for (const [key, count] of between) {
    const [a, b] = key.split('\u0000');
    smCoup += count / (2 * (members.get(a)?.length ?? 1) * (members.get(b)?.length ?? 1));
  }
  const sm = K === 0 ? 0 : smCoh / K - (K > 1 ? smCoup / ((K * (K - 1)) / 2) : 0);
  const tableCount = of.size;
  let extreme = 0;
  for (const n of names) {
    const size = members.get(n)?.length ?? 0;
    if (size <= 1 || size > input.extremeAbove) extreme += size;
  }
  let txTotal = 0;
  let txDistributed = 0;
  for (const tx of input.transactions) {
    const cands = new Set(tx.tables.map((t) => of.get(t)).filter((c): c is string => c !== undefined));
    txTotal += tx.calls;
    if (cands.size > 1) txDistributed += tx.calls;
  }
  return {
    candidates: K,
    tables: tableCount,
    modularity: modularity(of, edges),
    meanCohesion: K ? cohSum / K : 0,
    totalCoupling: weightCross,
    sm,
    icp: coAccessTotal > 0 ? coAccessCross / coAccessTotal : weightTotal > 0 ? weightCross / weightTotal : 0,
    ifn: K ? names.reduce((a, n) => a + (perCandidate.get(n)?.interface.length ?? 0), 0) / K : 0,
    ned: tableCount ? extreme / tableCount : 0,
    crossBoundaryRelationships: crossRel,
    relationships: rels,
    distributedTransactionShare: txTotal > 0 ? txDistributed / txTotal : 0,
    transactionCalls: txTotal,
    perCandidate,
  };
}

/**
 * Adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985): 1 for the same
 * partition under any labels, about 0 for chance agreement. Compares a decomposition with a known one.
 */
export function adjustedRandIndex(a: readonly string[], b: readonly string[]): number {
  const n = a.length;
  const comb2 = (x: number): number => (x * (x - 1)) / 2;
  const table = new Map<string, number>();
  const rows = new Map<string, number>();
  const cols = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    table.set(`${a[i]}\u0000${b[i]}`, (table.get(`${a[i]}\u0000${b[i]}`) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  let index = 0;
  for (const v of table.values()) index += comb2(v);
  let sa = 0;
  for (const v of rows.values()) sa += comb2(v);
  let sb = 0;
  for (const v of cols.values()) sb += comb2(v);
  const expected = (sa * sb) / comb2(n);
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
