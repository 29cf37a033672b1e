import '../../scripts/quiet-node20';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendRun, formatRun, type RunContext } from './results-file';
import type { BenchModule, BenchResult } from './types';

/*
 * `npm run bench [name...]`: runs every test/bench/*.bench.ts (or the named ones), prints each figure
 * with its baseline and ratio, and writes bench-results/latest.json. Targets are reported, never asserted
 * in tests: these machines are noisy, so a ratio against a baseline from the same process is the figure
 * to trust. Exit code 1 if a benchmark throws; a missed target is printed, not fatal. With `--save`, the
 * run is also appended to bench/RESULTS.md (results-file.ts: machine, load, commit, every figure).
 */
function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(4)).toString();
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function runContext(at: Date, loadStart: number[], args: string[]): RunContext {
  const cpus = os.cpus();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && /^(BENCH_|SAGA_LOAD_|BRIDGE_LOAD_)/.test(k)) env[k] = v;
  return {
    at,
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: os.totalmem() / 2 ** 30,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadStart,
    loadEnd: os.loadavg(),
    args: args.join(' '),
    env,
  };
}

async function main(): Promise<void> {
  const dir = __dirname;
  const args = process.argv.slice(2);
  const save = args.includes('--save');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const loadStart = os.loadavg();
  const at = new Date();
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
    .sort();
  if (files.length === 0) {
    console.error(`no benchmark matches ${wanted.join(', ') || '(any)'} in ${dir}`);
    process.exit(1);
  }
  const all: Array<BenchResult & { bench: string }> = [];
  let failed = false;
  const failures: string[] = [];
  for (const file of files) {
    const bench = file.replace(/\.bench\.ts$/, '');
    process.stderr.write(`\n== ${bench}\n`);
    try {
      const mod = (await import(path.join(dir, file))) as BenchModule;
      const results = await mod.run();
      for (const r of results) {
        all.push({ bench, ...r });
        const verdict = r.ok === undefined ? '' : r.ok ? '  OK' : '  MISSED';
        console.log(
          `${bench.padEnd(10)} ${r.name.padEnd(58)} ${fmt(r.figure).padStart(14)} ${r.unit.padEnd(12)}` +
            ` baseline ${fmt(r.baseline).padStart(12)}  ratio ${fmt(r.ratio).padStart(7)}  target ${r.target ?? '-'}${verdict}` +
            (r.note ? `\n${' '.repeat(11)}${r.note}` : ''),
        );
      }
    } catch (err) {
      failed = true;
      failures.push(bench);
      console.error(`${bench}: failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
  const outDir = path.join(dir, '..', '..', 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, 'latest.json'),
    JSON.stringify({ at: new Date().toISOString(), node: process.version, results: all }, null, 2),
  );
  if (save) {
    const file = path.join(dir, '..', '..', 'bench', 'RESULTS.md');
    const section = formatRun(runContext(at, loadStart, args), all, failures);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, appendRun(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined, section));
    console.error(`\nappended this run to ${path.relative(process.cwd(), file)}`);
  }
  process.exit(failed ? 1 : 0);
}

void main();
