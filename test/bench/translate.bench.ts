import { parseSpec } from '../../core/spec';
import { translateOne, type Direction, type IncomingEvent } from '../../core/translate/batch';
import { Translator } from '../../core/translate/translator';
import config from '../../cutover.config';
import { specExamples } from '../../cli/commands/spec';
import type { BenchResult } from './types';

/*
 * Translator throughput against the floor every translator pays anyway: parsing the incoming event and
 * writing the outgoing one (JSON.parse + JSON.stringify of the same events). The translator figure includes
 * that parse and stringify, so ratio = floor rate / translator rate = how many times slower than doing
 * nothing but the JSON. Target: within 3x. Rounds alternate floor and translator and the reported ratio is
 * the median of the per-pair ratios, so a busy moment of the machine slows both sides of a pair alike.
 */
const ROUND_MS = 250;
const ROUNDS = 16;

function rate(fn: (raw: string) => unknown, inputs: readonly string[]): number {
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ROUND_MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 200; i++) {
      const r = fn(inputs[n % inputs.length]);
      sink += typeof r === 'string' ? r.length : 1;
      n += 1;
    }
    now = process.hrtime.bigint();
  }
  if (sink < 0) throw new Error('unreachable');
  return n / (Number(now - start) / 1e9);
}

function eventsFor(direction: Direction): string[] {
  const spec = parseSpec(config);
  const lines = direction === 'toService' ? specExamples(spec, 'legacy', { translatableOnly: true }) : specExamples(spec, 'services', { translatableOnly: true });
  return lines.map((l, i) =>
    JSON.stringify({ version: '0', id: `bench-${i}`, 'detail-type': l.detailType, source: l.source ?? spec.bridge.legacySource, time: '2026-11-21T14:30:00Z', detail: l.detail }),
  );
}

function measure(direction: Direction): BenchResult[] {
  const translator = new Translator(parseSpec(config));
  const inputs = eventsFor(direction);
  const floor = (raw: string) => JSON.stringify(JSON.parse(raw));
  const translate = (raw: string) => {
    const e = JSON.parse(raw) as Record<string, unknown>;
    const incoming: IncomingEvent = { id: e.id as string, source: e.source as string, detailType: e['detail-type'] as string, time: e.time as string, detail: e.detail };
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
      name: `translate ${label} (parse + translate + stringify)`,
      figure: t,
      unit: 'events/s',
      baseline: f,
      ratio,
      target: '<= 3x the JSON floor',
      ok: ratio <= 3,
      note: `baseline = JSON.parse + JSON.stringify of the same ${inputs.length} example events; ratio = median over ${ROUNDS} alternating pairs of ${ROUND_MS} ms rounds of (baseline rate / translator rate)`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  return [...measure('toService'), ...measure('toLegacy')];
}
