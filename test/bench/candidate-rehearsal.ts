import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { CapturedInteraction, RecordedEvent } from '../../core/replay';
import { parseSpec } from '../../core/spec';
import { Translator } from '../../core/translate/translator';
import config from '../../cutover.config';
import { rehearse } from '../../cli/rehearse';
import { rehearsalHandler } from '../../functions/inventory-candidate/rehearse';
import { orderFixture, orderPlaced, stockReserved } from '../functions/replay-fixtures';
import type { BenchResult } from './types';

/*
 * Offline rehearsal with a REAL service handler: the inventory candidate's rehearsal adapter (which
 * translates each captured ORDER_PLACED through the spec's translator and runs the candidate's logic),
 * over interactions shaped exactly like what capture stores (the monolith's STOCK_RESERVED translated to
 * inventory.reserved). Baseline: a naive loop over the same file calling the same handler and comparing
 * with util.isDeepStrictEqual. Used by rehearse.bench.ts.
 */
export function candidateInteractions(n: number): CapturedInteraction[] {
  const spec = parseSpec(config);
  const translator = new Translator(spec);
  const t0 = Date.parse('2026-11-21T14:30:00.000Z');
  const out: CapturedInteraction[] = new Array(n);
  for (let i = 0; i < n; i += 1) {
    const o = orderFixture(i, { prefix: 3 });
    const reserved = translator.toService('STOCK_RESERVED', stockReserved(o), { now: new Date(t0) });
    if (reserved.status !== 'translated') throw new Error(`fixture ${i}: STOCK_RESERVED does not translate: ${JSON.stringify(reserved)}`);
    const outcome: RecordedEvent = { type: reserved.detailType, version: reserved.detail.metadata.version, payload: reserved.detail.data };
    out[i] = {
      format: 1,
      id: `bench-${i}`,
      capturedAt: new Date(t0 + i).toISOString(),
      correlationId: `order-${o.orderNo}`,
      entity: { type: 'order', key: o.orderNo },
      input: { type: 'ORDER_PLACED', payload: orderPlaced(o) },
      outcomes: [outcome],
    };
  }
  return out;
}

export async function realHandlerRehearsal(n = 20_000): Promise<BenchResult[]> {
  const interactions = candidateInteractions(n);
  const spec = parseSpec(config);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-candidate-'));
  const file = path.join(dir, 'capture.jsonl');
  try {
    fs.writeFileSync(file, `${interactions.map((i) => JSON.stringify(i)).join('\n')}\n`);
    // Warm the adapter (spec load, translator compile) outside both timings.
    await rehearsalHandler({
      ...interactions[0].input,
      entity: interactions[0].entity,
      capturedAt: interactions[0].capturedAt,
      replay: { replayId: 'w', interactionId: 'w', replayEventId: 'w:w', mode: 'shadow' },
    });

    const naiveStart = process.hrtime.bigint();
    let naiveEqual = 0;
    for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!text) continue;
      const rec = JSON.parse(text) as CapturedInteraction;
      const actual = await rehearsalHandler({
        ...rec.input,
        entity: rec.entity,
        capturedAt: rec.capturedAt,
        replay: { replayId: 'n', interactionId: rec.id, replayEventId: `n:${rec.id}`, mode: 'shadow' },
      });
      if (isDeepStrictEqual(rec.outcomes, actual)) naiveEqual += 1;
    }
    const naiveMs = Number(process.hrtime.bigint() - naiveStart) / 1e6;

    const t = process.hrtime.bigint();
    const report = await rehearse({
      captured: file,
      handler: rehearsalHandler,
      compare: spec.capture!.compare,
      capability: 'inventory',
      target: 'inventory-candidate',
    });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const tt = report.totals;
    const foreign = interactions.filter((i) => (i.input.payload as { SHIP_ADDR: { COUNTRY: string } }).SHIP_ADDR.COUNTRY !== 'GB').length;
    // The figures only mean something if the rehearsal found exactly the planted differences.
    if (
      tt.differed !== foreign ||
      tt.matched !== n - foreign ||
      report.fieldsRanked.length !== 1 ||
      report.fieldsRanked[0].field !== 'warehouse'
    ) {
      throw new Error(
        `candidate rehearsal found ${JSON.stringify(tt)} / ${report.fieldsRanked.map((f) => f.field).join(',')}; expected ${foreign} warehouse differences`,
      );
    }
    return [
      {
        name: `rehearsal, real handler (inventory candidate), ${n / 1000}k`,
        figure: ms / 1000,
        unit: 's',
        baseline: naiveMs / 1000,
        ratio: ms / naiveMs,
        note: `ratio = rehearse() / naive loop calling the same handler + isDeepStrictEqual. ${(n / (ms / 1000)).toFixed(0)} interactions/s; found ${tt.differed} planted warehouse differences, ${tt.matched} matched (deep-equal matched ${naiveEqual}: clocks and item order defeat it).`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
