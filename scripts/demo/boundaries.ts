import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBoundaries } from '../../cli/commands/boundaries';
import { renderHtml, renderText, type BoundaryReport } from '../../core/boundaries';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

const ROOT = path.join(__dirname, '..', '..');
const HTML = path.join(ROOT, '.cutover', 'demo-boundaries.html');

/** The table at the heart of each stateful capability of the reference spec (notification keeps none). */
const CAPABILITY_TABLE: Record<string, string> = {
  orders: 'orders',
  inventory: 'stock',
  payment: 'payments',
  shipping: 'shipments',
  customers: 'customers',
};

/**
 * The boundary analysis of the reference monolith: its schema (no foreign keys: they are inferred) and
 * the workload of its own transactions recorded on PostgreSQL, asked for five services. Prints the
 * summary and writes the HTML page. Needs no emulator: the lead can call it on its own.
 */
export async function printBoundaryAnalysis(
  log: (line: string) => void = (l) => console.log(`  ${l}`),
): Promise<{ report: BoundaryReport; ok: boolean; summary: string[] }> {
  log('cutover boundaries --ddl monolith/schema/postgres.sql --log test/fixtures/boundaries/shop-workload.jsonl --services 5');
  const report = await runBoundaries(
    { ddl: ['monolith/schema/postgres.sql'], dialect: 'postgres', log: ['test/fixtures/boundaries/shop-workload.jsonl'], services: 5 },
    ROOT,
  );
  for (const line of renderText(report).trimEnd().split('\n')) log(`  ${line}`);
  fs.mkdirSync(path.dirname(HTML), { recursive: true });
  fs.writeFileSync(HTML, renderHtml(report, 'cutover boundaries: the reference monolith'));
  log(`  graph: ${path.relative(process.cwd(), HTML)}`);
  const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
  const homes = Object.entries(CAPABILITY_TABLE).map(([cap, table]) => `${cap} -> ${of.get(table) ?? '?'}`);
  const ok = new Set(Object.values(CAPABILITY_TABLE).map((t) => of.get(t))).size === Object.keys(CAPABILITY_TABLE).length;
  const summary = [
    `${report.candidates.length} candidates from ${report.inferred.length} inferred relationships and ${report.workload.calls.toLocaleString('en-US')} recorded calls; spec capabilities: ${homes.join(', ')}`,
    `modularity ${report.metrics.modularity.toFixed(3)}; ${(report.metrics.distributedTransactionShare * 100).toFixed(1)}% of transactions become distributed; ${report.suggestions.map((s) => s.kind).join(', ')}`,
  ];
  return { report, ok, summary };
}

export const boundariesScenario: DemoScenario = {
  name: 'boundaries',
  title: "Boundaries: services proposed from the monolith's schema and recorded workload",
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const { ok, summary } = await printBoundaryAnalysis((line) => ctx.log(line));
    return { ok, summary: ok ? summary : [...summary, 'the candidates do not separate the capabilities the spec uses'] };
  },
};
