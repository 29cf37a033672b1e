import { adjustedRandIndex, analyseBoundaries, jsonlSamples, parseDdl, readWorkload, seededRandom } from '../../core/boundaries';
import type { BenchResult } from './types';

/*
 * `cutover boundaries` on a 100-table monolith with 1,000,000 weighted statement digest rows.
 *
 * What is counted: 1,000,000 JSONL rows {txid, sql, calls} (250,000 transactions of 4 statements), each
 * row a digest with its own call count (1-50, about 25M calls in all). The SQL texts are drawn from 5,000
 * distinct digests, which is pg_stat_statements' default `max` (performance_schema keeps 10,000): a real
 * digest source never holds more distinct texts than that, so each distinct text is parsed once and the
 * other rows reuse it. The run times reading every row (JSON.parse), parsing the DDL and the 5,000 texts
 * with node-sql-parser, folding transactions, building the graph, Louvain, the scores, cycles and the
 * suggestions. Baseline: JSON.parse of the same 1M rows and nothing else (the floor any reader pays).
 * Target: the whole analysis in < 10 s.
 */

const TABLES = 100;
const CLUSTERS = 10;
const ROWS = 1_000_000;
const STATEMENTS_PER_TX = 4;
const DISTINCT = 5_000;

function ddl(): string {
  const out: string[] = [];
  for (let i = 0; i < TABLES; i++) {
    const c = Math.floor(i / (TABLES / CLUSTERS));
    const cols = ['id bigint PRIMARY KEY', 'name text'];
    // Each table references the first table of its cluster (an aggregate root) and, sometimes, another cluster's root.
    const root = c * (TABLES / CLUSTERS);
    if (i !== root) cols.push(`t${String(root).padStart(3, '0')}_id bigint`);
    if (i % 7 === 3) cols.push(`t${String(((c + 1) % CLUSTERS) * (TABLES / CLUSTERS)).padStart(3, '0')}_id bigint`);
    out.push(`CREATE TABLE t${String(i).padStart(3, '0')} (${cols.join(', ')});`);
  }
  return out.join('\n');
}

/** DISTINCT digest texts, each belonging to one cluster (90% of them touch only their cluster's tables). */
function digests(rnd: () => number): string[][] {
  const out: string[][] = Array.from({ length: CLUSTERS }, () => []);
  const table = (c: number): string => `t${String(c * (TABLES / CLUSTERS) + Math.floor(rnd() * (TABLES / CLUSTERS))).padStart(3, '0')}`;
  for (let d = 0; d < DISTINCT; d++) {
    const c = d % CLUSTERS;
    const a = table(c);
    const b = rnd() < 0.1 ? table(Math.floor(rnd() * CLUSTERS)) : table(c);
    const p = 2 + (d % 50);
    const kind = d % 4;
    out[c].push(
      kind === 0
        ? `SELECT a.id, b.name FROM ${a} a JOIN ${b} b ON b.id = a.id WHERE a.id = $1 AND a.name <> $${p}`
        : kind === 1
          ? `UPDATE ${a} SET name = $1 WHERE id = $${p}`
          : kind === 2
            ? `INSERT INTO ${a} (id, name) VALUES ($1, $${p})`
            : `SELECT id FROM ${a} WHERE name = $1 LIMIT ${1 + (d % 100)}`,
    );
  }
  return out;
}

function rows(): string[] {
  const rnd = seededRandom(2026);
  const texts = digests(rnd);
  // A transaction runs digests of one cluster, one statement in ten from another cluster.
  const out: string[] = new Array(ROWS);
  let cluster = 0;
  for (let i = 0; i < ROWS; i++) {
    const tx = Math.floor(i / STATEMENTS_PER_TX);
    if (i % STATEMENTS_PER_TX === 0) cluster = Math.floor(rnd() * CLUSTERS);
    const c = rnd() < 0.1 ? Math.floor(rnd() * CLUSTERS) : cluster;
    const sql = texts[c][Math.floor(rnd() * texts[c].length)];
    out[i] = JSON.stringify({ txid: tx, sql, calls: 1 + Math.floor(rnd() * 50) });
  }
  return out;
}

function cpuSeconds<T>(fn: () => T): { value: T; seconds: number; wall: number } {
  const wallStart = Date.now();
  const start = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(start);
  return { value, seconds: (used.user + used.system) / 1e6, wall: (Date.now() - wallStart) / 1000 };
}

export async function run(): Promise<BenchResult[]> {
  const lines = rows();
  const schemaText = ddl();
  const baseline = cpuSeconds(() => {
    let n = 0;
    for (const l of lines) n += (JSON.parse(l) as { calls: number }).calls;
    return n;
  });
  let readSeconds = 0;
  const full = cpuSeconds(() => {
    const schema = parseDdl(schemaText, { dialect: 'postgres' });
    const read = cpuSeconds(() => readWorkload(jsonlSamples(lines), schema));
    readSeconds = read.seconds;
    return { workload: read.value, report: analyseBoundaries(schema, read.value, { seed: 1 }) };
  });
  const { workload, report } = full.value;
  // How close the candidates are to the planted clusters (t000-t009 one cluster, t010-t019 the next...).
  const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
  const names = [...of.keys()].sort();
  const ari = adjustedRandIndex(
    names.map((t) => String(Math.floor(Number(t.slice(1)) / (TABLES / CLUSTERS)))),
    names.map((t) => of.get(t) as string),
  );
  const note =
    `${ROWS.toLocaleString('en-US')} digest rows (${DISTINCT.toLocaleString('en-US')} distinct texts, ${workload.totalCalls.toLocaleString('en-US')} calls), ${workload.transactions.length.toLocaleString('en-US')} transaction shapes; ` +
    `${report.candidates.length} candidates (modularity ${report.metrics.modularity.toFixed(3)}, adjusted Rand index ${ari.toFixed(3)} against the ${CLUSTERS} planted clusters), ${report.inferred.length} inferred relationships; reading the rows and parsing the texts ${readSeconds.toFixed(2)} s, graph + Louvain + scores ${(full.seconds - readSeconds).toFixed(2)} s; wall ${full.wall.toFixed(1)} s. Baseline: JSON.parse of the rows only (${baseline.seconds.toFixed(2)} s); ratio = analysis / baseline, CPU seconds`;
  return [
    {
      name: '100 tables + 1M weighted digest rows, full analysis',
      figure: full.seconds,
      unit: 's (CPU)',
      baseline: baseline.seconds,
      ratio: full.seconds / baseline.seconds,
      target: '< 10 s',
      // CPU time: on this shared machine wall time also counts other processes holding the cores (the note prints it).
      ok: full.seconds < 10,
      note,
    },
  ];
}
