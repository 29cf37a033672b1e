import { buildTransactionMap, HopObserver, renderHtml, renderMermaid, type ObservedEntry } from '../../core/map';
import '../../core/saga';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import type { BenchResult } from './types';

/*
 * `cutover map` costs: building the map of the reference spec (with its renderings) against parsing the
 * spec alone, which every command pays; and reading audit entries for `--observed` against the floor of
 * JSON.parse of the same payloads, which any reader of the log pays. Ratios are figure / baseline of CPU
 * time, medians over alternating rounds so a busy moment of the shared machine slows both sides alike.
 */
const ROUNDS = 9;

function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A log of `runs` saga runs, 4 steps each, started and succeeded: 8 entries per run. */
function auditLog(runs: number): ObservedEntry[] {
  const out: ObservedEntry[] = [];
  const t0 = Date.UTC(2026, 10, 21);
  for (let i = 0; i < runs; i++) {
    let t = t0 + i * 1000;
    for (const step of ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ScheduleShipping']) {
      for (const type of ['saga.step-started', 'saga.step-succeeded']) {
        t += 37 + (i % 50);
        out.push({
          stream: `order-${1000000 + i}`,
          detailType: type,
          payload: JSON.stringify({
            metadata: { eventType: type, occurredAt: new Date(t).toISOString(), correlationId: `order-${i}` },
            data: { step, owner: 'service' },
          }),
        });
      }
    }
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const spec = parseSpec(config);
  const buildRatios: number[] = [];
  const buildMs: number[] = [];
  const parseMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const p = cpuMs(() => {
      for (let i = 0; i < 20; i++) parseSpec(config);
    });
    const b = cpuMs(() => {
      for (let i = 0; i < 20; i++) {
        const map = buildTransactionMap(spec);
        renderMermaid(map);
        renderHtml(map);
      }
    });
    parseMs.push(p / 20);
    buildMs.push(b / 20);
    buildRatios.push(b / p);
  }
  const log = auditLog(25_000); // 200,000 entries
  const observeRatios: number[] = [];
  const observeRates: number[] = [];
  const floorRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let sink = 0;
    const f = cpuMs(() => {
      for (const e of log) sink += (JSON.parse(e.payload) as { data: { step: string } }).data.step.length;
    });
    const o = cpuMs(() => {
      const obs = new HopObserver();
      for (const e of log) obs.add(e);
      const map = buildTransactionMap(spec, { observed: obs.result() });
      sink += map.criticalPaths.length;
    });
    if (sink < 0) throw new Error('unreachable');
    floorRates.push(log.length / (f / 1000));
    observeRates.push(log.length / (o / 1000));
    observeRatios.push(o / f);
  }
  return [
    {
      name: 'build + Mermaid + HTML of the reference map (ms CPU per map)',
      figure: median(buildMs),
      unit: 'ms',
      baseline: median(parseMs),
      ratio: median(buildRatios),
      note: 'baseline: parseSpec of the same spec (ms); ratio = map / parse, median of per-round ratios',
    },
    {
      name: '--observed: audit entries folded into the checkout overlay',
      figure: median(observeRates),
      unit: 'entries/s',
      baseline: median(floorRates),
      ratio: median(observeRatios),
      note: `${log.length} entries (25,000 saga runs); baseline: JSON.parse of the payloads alone; ratio = observe time / parse time`,
    },
  ];
}
