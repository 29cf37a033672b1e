import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { RuleBook, compareInteraction, DiffReport, type CompareSection } from '../../core/compare';
import type { CapturedInteraction, RecordedEvent } from '../../core/replay';
import { rehearse, type RehearsalInput } from '../../cli/rehearse';
import type { BenchResult } from './types';
import { realHandlerRehearsal } from './candidate-rehearsal';

/*
 * Offline rehearsal at volume. 100,000 synthetic captured interactions (seeded, so every run sees the
 * same data) shaped like the reference shop: ORDER_PLACED in, order.created / inventory.reserved /
 * payment.captured out. A synthetic "new service" answers each input the way a faithful rewrite would -
 * other generated ids and clocks, lines in another order, prices as numbers instead of strings - plus a
 * small share of real regressions, missing and extra outcomes, failures, and corrupt export lines.
 *
 * 1. compare only: the compiled rules over every (recorded, produced) outcome list, against node's
 *    util.isDeepStrictEqual over the same pairs (which cannot excuse anything, so it is a floor).
 * 2. full rehearsal: `rehearse()` on a JSONL file (two passes, planning, handler, compare, report) against
 *    a naive loop in the same process (read the file, parse each line, call the handler, deep-equal).
 */
const N = 100_000;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SKUS = Array.from({ length: 200 }, (_, i) => `SKU-${String(1000 + i)}`);
const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

interface Line {
  LINE_NO: string;
  SKU: string;
  QTY: string;
  UNIT_PRICE_CENTS: string;
}

/** What the monolith did for an order, in the service model: the recorded outcomes. */
function monolithOutcomes(input: Record<string, unknown>, rnd: () => number, at: number): RecordedEvent[] {
  const lines = input.LINES as Line[];
  const totalCents = lines.reduce((s, l) => s + Number(l.QTY) * Number(l.UNIT_PRICE_CENTS), 0);
  const orderId = input.ORDER_NO as string;
  const out: RecordedEvent[] = [
    {
      type: 'order.created',
      version: 1,
      payload: {
        orderId,
        customerId: input.CUST_NO,
        currency: 'EUR',
        lines: lines.map((l) => ({
          lineNo: Number(l.LINE_NO),
          sku: l.SKU,
          quantity: Number(l.QTY),
          unitPrice: cents(Number(l.UNIT_PRICE_CENTS)),
        })),
        total: cents(totalCents),
        createdAt: new Date(at).toISOString(),
        metadata: { traceId: `t-${Math.floor(rnd() * 1e9)}`, node: 'mono-1' },
      },
    },
    {
      type: 'inventory.reserved',
      version: 1,
      payload: {
        orderId,
        reservationId: `R${Math.floor(rnd() * 1e9)}`,
        items: lines.map((l) => ({ sku: l.SKU, quantity: Number(l.QTY) })),
      },
    },
  ];
  if (input.PAY_METHOD === 'CARD') {
    out.push({
      type: 'payment.captured',
      version: 1,
      payload: {
        orderId,
        paymentId: `P${Math.floor(rnd() * 1e9)}`,
        amount: cents(totalCents),
        currency: 'EUR',
        capturedAt: new Date(at + 40).toISOString(),
      },
    });
  }
  return out;
}

export function generate(n: number, seed: number): CapturedInteraction[] {
  const rnd = mulberry32(seed);
  const out: CapturedInteraction[] = new Array(n);
  for (let i = 0; i < n; i += 1) {
    const at = T0 + i * 37;
    const orderNo = String(1_000_000 + ((i * 7919) % 25_000));
    const lines: Line[] = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, j) => ({
      LINE_NO: String(j + 1),
      SKU: SKUS[Math.floor(rnd() * SKUS.length)],
      QTY: String(1 + Math.floor(rnd() * 4)),
      UNIT_PRICE_CENTS: String(99 + Math.floor(rnd() * 9900)),
    }));
    const input = {
      MSG_ID: `MSG-${i}`,
      ORDER_NO: orderNo,
      CUST_NO: `C${10000 + (i % 5000)}`,
      PAY_METHOD: rnd() < 0.6 ? 'CARD' : 'INVOICE',
      LINES: lines,
      CREATED_DT: '20260301 120000',
    };
    out[i] = {
      id: `i-${String(i).padStart(6, '0')}`,
      capturedAt: new Date(at).toISOString(),
      sequence: i % 3,
      correlationId: `c-${i}`,
      entity: { type: 'order', key: orderNo },
      input: { type: 'ORDER_PLACED', version: 1, payload: input },
      outcomes: monolithOutcomes(input, rnd, at),
    };
  }
  return out;
}

/**
 * The new service: faithful except for deliberate, seeded faults. Deterministic per input (hash of the
 * message id), so both measurements see the same answers.
 */
export function newService(input: RehearsalInput | { payload: unknown }): RecordedEvent[] {
  const p = input.payload as Record<string, unknown>;
  const msg = String(p.MSG_ID);
  let h = 2166136261;
  for (let i = 0; i < msg.length; i += 1) h = Math.imul(h ^ msg.charCodeAt(i), 16777619);
  const roll = ((h >>> 0) % 10000) / 10000;
  if (roll < 0.002) throw new Error('service crashed');
  const lines = p.LINES as Line[];
  const totalCents = lines.reduce((s, l) => s + Number(l.QTY) * Number(l.UNIT_PRICE_CENTS), 0) + (roll < 0.012 ? 100 : 0);
  const orderId = p.ORDER_NO as string;
  const out: RecordedEvent[] = [
    {
      type: 'order.created',
      version: 1,
      payload: {
        orderId,
        customerId: p.CUST_NO,
        currency: 'EUR',
        lines: [...lines]
          .reverse()
          .map((l) => ({ lineNo: Number(l.LINE_NO), sku: l.SKU, quantity: Number(l.QTY), unitPrice: Number(l.UNIT_PRICE_CENTS) / 100 })),
        total: cents(totalCents),
        createdAt: new Date().toISOString(),
        metadata: { traceId: `svc-${h}`, node: 'orders-svc' },
      },
    },
    {
      type: 'inventory.reserved',
      version: 1,
      payload: { orderId, reservationId: `X${h >>> 0}`, items: lines.map((l) => ({ sku: l.SKU, quantity: Number(l.QTY) })) },
    },
  ];
  if (p.PAY_METHOD === 'CARD' && !(roll >= 0.012 && roll < 0.017)) {
    out.push({
      type: 'payment.captured',
      version: 1,
      payload: { orderId, paymentId: `Q${h >>> 0}`, amount: cents(totalCents), currency: 'EUR', capturedAt: new Date().toISOString() },
    });
  }
  if (roll >= 0.017 && roll < 0.02) out.push({ type: 'order.flagged', version: 1, payload: { orderId } });
  return out;
}

const RULES: CompareSection = {
  default: { ignore: ['**.createdAt', '**.capturedAt', 'metadata', 'reservationId', 'paymentId'] },
  events: {
    'order.created': {
      normalise: [
        { path: 'lines', op: 'sortArray', by: 'lineNo' },
        { path: 'lines[*].unitPrice', op: 'number' },
      ],
      tolerance: [{ path: 'total', abs: 0.005 }],
    },
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const genStart = Date.now();
  const interactions = generate(N, 20260301);
  const produced: Array<RecordedEvent[] | undefined> = interactions.map((i) => {
    try {
      return newService({ payload: i.input.payload });
    } catch {
      return undefined;
    }
  });
  process.stderr.write(`rehearse bench: generated ${N} interactions in ${Date.now() - genStart} ms\n`);

  // 1. Compare only, same pairs for both.
  const rules = new RuleBook(RULES);
  let matched = 0;
  let deepEqual = 0;
  const ours = () => {
    matched = 0;
    for (let i = 0; i < N; i += 1) {
      const actual = produced[i];
      if (actual && compareInteraction(interactions[i].id, interactions[i].outcomes, actual, { rules }).status === 'matched') matched += 1;
    }
  };
  const baseline = () => {
    deepEqual = 0;
    for (let i = 0; i < N; i += 1) {
      const actual = produced[i];
      if (actual && isDeepStrictEqual(interactions[i].outcomes, actual)) deepEqual += 1;
    }
  };
  ours();
  baseline();
  const oursMs: number[] = [];
  const baseMs: number[] = [];
  for (let r = 0; r < 3; r += 1) {
    oursMs.push(time(ours));
    baseMs.push(time(baseline));
  }
  const oMs = median(oursMs);
  const bMs = median(baseMs);
  results.push({
    name: `compare 100k interactions (rules) [ms]`,
    figure: oMs,
    unit: 'ms',
    baseline: bMs,
    ratio: oMs / bMs,
    note: `ratio = rules / util.isDeepStrictEqual over the same outcome lists (median of 3). Rules matched ${matched}; deep-equal matched ${deepEqual} (it can excuse nothing).`,
  });
  results.push({
    name: 'compare throughput (rules)',
    figure: (N / oMs) * 1000,
    unit: 'interactions/s',
    baseline: (N / bMs) * 1000,
    ratio: bMs / oMs,
  });

  // 2. Full offline rehearsal from a JSONL file, against a naive in-process loop over the same file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-rehearse-'));
  const file = path.join(dir, 'export.jsonl');
  try {
    const fd = fs.openSync(file, 'w');
    const corruptEvery = 1000;
    let lines: string[] = [];
    for (let i = 0; i < N; i += 1) {
      let line = JSON.stringify(interactions[i]);
      if (i % corruptEvery === 17) line = line.slice(0, Math.floor(line.length / 2));
      lines.push(line);
      if (lines.length === 5000) {
        fs.writeSync(fd, `${lines.join('\n')}\n`);
        lines = [];
      }
    }
    if (lines.length) fs.writeSync(fd, `${lines.join('\n')}\n`);
    fs.closeSync(fd);
    const sizeMb = fs.statSync(file).size / 1e6;

    const naive = () => {
      let eq = 0;
      for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!text) continue;
        let rec: CapturedInteraction;
        try {
          rec = JSON.parse(text) as CapturedInteraction;
        } catch {
          continue;
        }
        try {
          if (isDeepStrictEqual(rec.outcomes, newService({ payload: rec.input.payload }))) eq += 1;
        } catch {
          // a failing service call
        }
      }
      return eq;
    };
    const naiveMs = time(() => void naive());

    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    const t = process.hrtime.bigint();
    const report = await rehearse({
      captured: file,
      handler: (input) => newService(input),
      target: 'synthetic-orders',
      compare: RULES,
      progressEveryMs: 250,
      onProgress: () => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      },
    });
    const rehearseMs = Number(process.hrtime.bigint() - t) / 1e6;
    const tt = report.totals;
    results.push({
      name: `offline rehearsal 100k interactions (${sizeMb.toFixed(0)} MB JSONL)`,
      figure: rehearseMs / 1000,
      unit: 's',
      baseline: naiveMs / 1000,
      ratio: rehearseMs / naiveMs,
      target: '< 20 s',
      ok: rehearseMs < 20_000,
      note:
        `ratio = rehearse() / naive loop (read, parse, call, isDeepStrictEqual) over the same file. ` +
        `read ${tt.read}: matched ${tt.matched}, differed ${tt.differed}, missing ${tt.missingOutcome}, extra ${tt.extraOutcome}, failed ${tt.failed}, skipped ${tt.skippedInvalid}; ` +
        `heap growth ~${((peakHeap - heapBefore) / 1e6).toFixed(0)} MB`,
    });
    results.push({
      name: 'offline rehearsal throughput',
      figure: (N / rehearseMs) * 1000,
      unit: 'interactions/s',
      baseline: (N / naiveMs) * 1000,
      ratio: naiveMs / rehearseMs,
    });
    // Sanity: the report must agree with a direct computation over the lines left intact, or the
    // figures mean nothing.
    const direct = new DiffReport();
    for (let i = 0; i < N; i += 1) {
      if (i % corruptEvery === 17) continue;
      const actual = produced[i];
      if (actual) direct.addComparison(compareInteraction(interactions[i].id, interactions[i].outcomes, actual, { rules }));
      else direct.addFailure(interactions[i].id, { name: 'Error', message: 'service crashed' });
    }
    const d = direct.totals;
    if (
      d.matched !== tt.matched ||
      d.differed !== tt.differed ||
      d.missingOutcome !== tt.missingOutcome ||
      d.extraOutcome !== tt.extraOutcome ||
      d.failed !== tt.failed ||
      tt.skippedInvalid !== N / corruptEvery
    ) {
      throw new Error(`rehearsal totals ${JSON.stringify(tt)} disagree with the direct comparison ${JSON.stringify(d)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // 3. The same, with a real service handler (the inventory candidate's rehearsal adapter).
  results.push(...(await realHandlerRehearsal()));
  return results;
}
