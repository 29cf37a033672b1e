import type { BenchResult } from './types';

/*
 * bench/RESULTS.md: the kept record of `npm run bench -- --save`. Every saved run is APPENDED as its own
 * section (never replaced), so a figure's trend stays visible across performance changes: to see how a
 * bench moved, read its rows down the file. Each section names the machine, its load average when the run
 * started and ended, the date, the commit, and every figure with the baseline measured in the same run
 * and the ratio. On a shared, loaded machine the absolute figures are noisy; the ratio is the figure to
 * compare between sections.
 */

export interface RunContext {
  readonly at: Date;
  readonly commit: string;
  /** `git status --porcelain` was not empty: the figures belong to uncommitted code on top of `commit`. */
  readonly dirty: boolean;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly platform: string;
  /** 1, 5 and 15 minute load averages at the start and the end of the run. */
  readonly loadStart: readonly number[];
  readonly loadEnd: readonly number[];
  /** The command line after `npm run bench`, e.g. `translate --save`. */
  readonly args: string;
  /** Environment settings a bench reads (BENCH_*, SAGA_LOAD_*), which change what is measured. */
  readonly env: Readonly<Record<string, string>>;
}

export type SavedResult = BenchResult & { readonly bench: string };

export const RESULTS_HEADER = `# Benchmark results

Written by \`npm run bench -- --save\` (or \`npm run bench <name> -- --save\`); one section per saved run,
appended, newest last, so each figure's trend stays visible. Each figure sits beside a baseline measured in
the same run and their ratio (what the ratio means is in the row's note). The machines these run on are
shared and often loaded: compare ratios between runs, and read the load average before trusting an
absolute figure.
`;

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(4)).toString();
}

/** Table cells: a pipe or a line break would end the cell or the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' / ');

/** One run's section of bench/RESULTS.md. */
export function formatRun(ctx: RunContext, results: readonly SavedResult[], failures: readonly string[] = []): string {
  const lines: string[] = [];
  const benches = [...new Set(results.map((r) => r.bench).concat(failures))];
  lines.push(`## ${ctx.at.toISOString().replace(/\.\d{3}Z$/, 'Z')} — ${benches.join(', ') || '(nothing ran)'}`);
  lines.push('');
  lines.push(`- commit: \`${ctx.commit}\`${ctx.dirty ? ' (with uncommitted changes)' : ''}`);
  lines.push(`- machine: ${ctx.cpus} × ${ctx.cpuModel}, ${ctx.memoryGb.toFixed(0)} GB memory, ${ctx.platform}, node ${ctx.node}`);
  lines.push(`- load average (1/5/15 min): ${load(ctx.loadStart)} at start, ${load(ctx.loadEnd)} at end`);
  lines.push(`- command: \`npm run bench -- ${ctx.args}\``);
  const env = Object.entries(ctx.env).sort(([a], [b]) => (a < b ? -1 : 1));
  if (env.length > 0) lines.push(`- settings: ${env.map(([k, v]) => `\`${k}=${v}\``).join(', ')}`);
  if (failures.length > 0) lines.push(`- failed (no figures): ${failures.join(', ')}`);
  lines.push('');
  lines.push('| bench | figure | value | unit | baseline | ratio | target | met | note |');
  lines.push('|---|---|---:|---|---:|---:|---|---|---|');
  for (const r of results) {
    const met = r.ok === undefined ? '' : r.ok ? 'yes' : 'MISSED';
    lines.push(
      `| ${cell(r.bench)} | ${cell(r.name)} | ${fmt(r.figure)} | ${cell(r.unit)} | ${fmt(r.baseline)} | ${fmt(r.ratio)} | ${cell(r.target ?? '')} | ${met} | ${cell(r.note ?? '')} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** The file's new text: the existing runs (or the header for a new file) with this run appended. */
export function appendRun(existing: string | undefined, section: string): string {
  const base = existing && existing.trim().length > 0 ? existing.replace(/\s*$/, '\n') : RESULTS_HEADER;
  return `${base}\n${section}`;
}
