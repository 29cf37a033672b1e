import Graph from 'graphology';
import type { EdgeEvidence, Relationship, Schema, Workload } from './model';

/*
 * The weighted table graph. An edge's weight adds up its evidence:
 *   declared key      weights.declared (1)
 *   inferred key      weights.inferred (1) x the inference's confidence
 *   statements        weights.statement (2) x scaled calls of statements touching both tables
 *   transactions      weights.transaction (1) x scaled calls of transactions touching both tables
 * A key that is part of the referencing table's own primary key (order_lines (order_no, line_no) ->
 * orders) is an identifying relationship: the row cannot exist without its parent, the two form one
 * aggregate, so its weight is multiplied by weights.identifying (2).
 * A table that very many tables reference (a language, a shop, a currency: shared reference data) would
 * otherwise pull every table that names it into one community. A reference to such a hub (referenced by
 * more than H = max(5, 5% of the tables) tables) counts H / (its referencing tables): the hub is reported
 * as shared data, to replicate as a read model, rather than made the centre of a service.
 * Calls are scaled as sqrt(calls / the largest pair's calls), in [0, 1], so the workload counts as much
 * as the schema whatever its volume, and one hot path (a million product-page reads) does not flatten
 * everything else. Not a logarithm: log scaling lifts rare cross-cluster pairs (5,000 calls against
 * 300,000) almost to the level of the busy ones, and a digest table is full of such noise; measured on the
 * bench's planted clusters, modularity fell from 0.39 (square root) to 0.13 (log). A statement or transaction over k tables gives each pair 1/(k-1) of its calls: a
 * report query joining twelve tables is weaker evidence for any one pair than a two-table join.
 */

export interface EdgeWeights {
  readonly declared: number;
  readonly inferred: number;
  readonly statement: number;
  readonly transaction: number;
  readonly identifying: number;
}

export const DEFAULT_WEIGHTS: EdgeWeights = { declared: 1, inferred: 1, statement: 2, transaction: 1, identifying: 2 };

/** Whether the reference's columns are part of (not all of) the referencing table's primary key. */
function identifying(r: Relationship, schema: Schema): boolean {
  const t = schema.tables.find((x) => x.name === r.from);
  if (!t || t.primaryKey.length < 2 || r.fromColumns.length === 0) return false;
  const pk = new Set(t.primaryKey.map((c) => c.toLowerCase()));
  return r.fromColumns.length < pk.size && r.fromColumns.every((c) => pk.has(c.toLowerCase()));
}

export interface TableEdge {
  readonly a: string;
  readonly b: string;
  weight: number;
  readonly evidence: EdgeEvidence;
}

export interface TableGraph {
  /** Tables in name order (the order every deterministic step iterates in). */
  readonly tables: string[];
  /** Edges with a < b, sorted. */
  readonly edges: TableEdge[];
  readonly graph: Graph;
  /** Tables referenced by more than `hubThreshold` tables, most referenced first. */
  readonly hubs: Array<{ readonly table: string; readonly referencedBy: number }>;
}

function pairKey(a: string, b: string): [string, string, string] {
  return a < b ? [a, b, `${a}\u0000${b}`] : [b, a, `${b}\u0000${a}`];
}

export function buildTableGraph(
  schema: Schema,
  relationships: readonly Relationship[],
  workload: Workload | undefined,
  weights: EdgeWeights = DEFAULT_WEIGHTS,
): TableGraph {
  const tables = schema.tables.map((t) => t.name).sort();
  const known = new Set(tables);
  const edges = new Map<string, TableEdge>();
  const edge = (x: string, y: string): TableEdge => {
    const [a, b, key] = pairKey(x, y);
    let e = edges.get(key);
    if (!e) {
      e = { a, b, weight: 0, evidence: { declared: 0, inferred: 0, statementCalls: 0, transactionCalls: 0 } };
      edges.set(key, e);
    }
    return e;
  };
  const referencedBy = new Map<string, Set<string>>();
  for (const r of relationships) {
    if (r.from !== r.to && known.has(r.from) && known.has(r.to)) referencedBy.set(r.to, (referencedBy.get(r.to) ?? new Set()).add(r.from));
  }
  const hubThreshold = Math.max(5, Math.ceil(0.05 * tables.length));
  const hubs = [...referencedBy.entries()]
    .filter(([, from]) => from.size > hubThreshold)
    .map(([table, from]) => ({ table, referencedBy: from.size }))
    .sort((a, b) => b.referencedBy - a.referencedBy || a.table.localeCompare(b.table));
  const damping = new Map(hubs.map((h) => [h.table, hubThreshold / h.referencedBy]));
  for (const r of relationships) {
    if (r.from === r.to || !known.has(r.from) || !known.has(r.to)) continue;
    const e = edge(r.from, r.to);
    const factor = (identifying(r, schema) ? weights.identifying : 1) * (damping.get(r.to) ?? 1);
    if (r.kind === 'declared') e.evidence.declared = Math.max(e.evidence.declared, factor);
    else e.evidence.inferred = Math.max(e.evidence.inferred, r.confidence * factor);
  }
  if (workload) {
    const spread = (list: readonly string[], calls: number, field: 'statementCalls' | 'transactionCalls'): void => {
      if (list.length < 2 || calls <= 0) return;
      const share = calls / (list.length - 1);
      for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) edge(list[i], list[j]).evidence[field] += share;
    };
    for (const s of workload.statements) spread(s.tables, s.calls, 'statementCalls');
    for (const t of workload.transactions) spread(t.tables, t.calls, 'transactionCalls');
  }
  const list = [...edges.values()].sort((x, y) => (x.a === y.a ? (x.b < y.b ? -1 : 1) : x.a < y.a ? -1 : 1));
  const maxStatement = Math.max(0, ...list.map((e) => e.evidence.statementCalls));
  const maxTransaction = Math.max(0, ...list.map((e) => e.evidence.transactionCalls));
  const scaled = (calls: number, max: number): number => (max > 0 && calls > 0 ? Math.sqrt(calls / max) : 0);
  const graph = new Graph({ type: 'undirected', multi: false, allowSelfLoops: false });
  for (const t of tables) graph.addNode(t);
  for (const e of list) {
    e.weight =
      weights.declared * e.evidence.declared +
      weights.inferred * e.evidence.inferred +
      weights.statement * scaled(e.evidence.statementCalls, maxStatement) +
      weights.transaction * scaled(e.evidence.transactionCalls, maxTransaction);
    if (e.weight > 0) graph.addEdge(e.a, e.b, { weight: e.weight });
  }
  return { tables, edges: list.filter((e) => e.weight > 0), graph, hubs };
}
