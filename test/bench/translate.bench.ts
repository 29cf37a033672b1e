import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSpec } from '../../core/spec';
import type { Direction, IncomingEvent, translateOne as TranslateOne } from '../../core/translate/batch';
import type { Translator as TranslatorClass } from '../../core/translate/translator';
import config from '../../cutover.config';
import { specExamples } from '../../cli/commands/spec';
import type { BenchResult } from './types';

/*
 * Translator throughput against the floor every translator pays anyway: parsing the incoming event and
 * writing the outgoing one (JSON.parse + JSON.stringify of the same events). The translator figure includes
 * that parse and stringify, so ratio = floor rate / translator rate = how many times slower than doing
 * nothing but the JSON. Target: within 3x. Rounds alternate floor and translator and the reported ratio is
 * the median of the per-pair ratios, so a busy moment of the machine slows both sides of a pair alike.
 * The translator is bundled with esbuild first, as the Lambda runs it: under tsx every call across modules
 * goes through an export getter, which the deployed bundle does not have.
 */
const ROUND_MS = 250;
const ROUNDS = 16;

/**
 * Events per second of CPU time (user + system of this process, GC threads included). CPU time rather than
 * wall time: on a shared machine a wall-clock round also counts the time other processes held the cores.
 */
function rate(fn: (raw: string) => unknown, inputs: readonly string[]): number {
  let n = 0;
  let sink = 0;
  const startWall = Date.now();
  const start = process.cpuUsage();
  while (Date.now() - startWall < ROUND_MS) {
    for (let i = 0; i < 200; i++) {
      const r = fn(inputs[n % inputs.length]);
      sink += typeof r === 'string' ? r.length : 1;
      n += 1;
    }
  }
  const used = process.cpuUsage(start);
  if (sink < 0) throw new Error('unreachable');
  return n / ((used.user + used.system) / 1e6);
}

function eventsFor(direction: Direction): string[] {
  const spec = parseSpec(config);
  const lines =
    direction === 'toService'
      ? specExamples(spec, 'legacy', { translatableOnly: true })
      : specExamples(spec, 'services', { translatableOnly: true });
  return lines.map((l, i) =>
    JSON.stringify({
      version: '0',
      id: `bench-${i}`,
      'detail-type': l.detailType,
      source: l.source ?? spec.bridge.legacySource,
      time: '2026-11-21T14:30:00Z',
      detail: l.detail,
    }),
  );
}

interface Bundle {
  readonly Translator: typeof TranslatorClass;
  readonly translateOne: typeof TranslateOne;
}

/** core/translate bundled to one CommonJS file (minified, node target), loaded like the Lambda loads it. */
function bundledTranslator(): Bundle {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-bench-'));
  const entry = path.join(dir, 'entry.ts');
  const root = path.resolve(__dirname, '..', '..');
  fs.writeFileSync(
    entry,
    `export { Translator } from ${JSON.stringify(path.join(root, 'core/translate/translator'))};\nexport { translateOne } from ${JSON.stringify(path.join(root, 'core/translate/batch'))};\n`,
  );
  const outfile = path.join(dir, 'bundle.js');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    outfile,
    logLevel: 'error',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(outfile) as Bundle;
  fs.rmSync(dir, { recursive: true, force: true });
  return mod;
}

function measure(direction: Direction, bundle: Bundle): BenchResult[] {
  const { Translator, translateOne } = bundle;
  const translator = new Translator(parseSpec(config));
  const inputs = eventsFor(direction);
  const floor = (raw: string) => JSON.stringify(JSON.parse(raw));
  const translate = (raw: string) => {
    const e = JSON.parse(raw) as Record<string, unknown>;
    const incoming: IncomingEvent = {
      id: e.id as string,
      source: e.source as string,
      detailType: e['detail-type'] as string,
      time: e.time as string,
      detail: e.detail,
    };
    const out = translateOne(translator, direction, incoming);
    if (out.status !== 'translated') throw new Error(`bench input did not translate: ${JSON.stringify(out)}`);
    return JSON.stringify(out.item.detail);
  };
  // Warm both paths (JIT) before timing.
  rate(floor, inputs);
  rate(translate, inputs);
  const floors: number[] = [];
  const translators: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so neither always gets the warmer (or the quieter) half.
    let f: number;
    let t: number;
    if (r % 2 === 0) {
      f = rate(floor, inputs);
      t = rate(translate, inputs);
    } else {
      t = rate(translate, inputs);
      f = rate(floor, inputs);
    }
    floors.push(f);
    translators.push(t);
    ratios.push(f / t);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const f = median(floors);
  const t = median(translators);
  const ratio = median(ratios);
  const label = direction === 'toService' ? 'legacy -> service' : 'service -> legacy';
  return [
    {
      name: `translate ${label} (parse + translate + stringify, bundled)`,
      figure: t,
      unit: 'events/s',
      baseline: f,
      ratio,
      target: '<= 3x the JSON floor',
      ok: ratio <= 3,
      note: `baseline = JSON.parse + JSON.stringify of the same ${inputs.length} example events; ratio = median over ${ROUNDS} alternating pairs of ${ROUND_MS} ms rounds of (baseline rate / translator rate); rates per CPU second`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const bundle = bundledTranslator();
  return [...measure('toService', bundle), ...measure('toLegacy', bundle)];
}
