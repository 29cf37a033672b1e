import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { Capturer } from '../../functions/capture/handler';
import { candidateOutcomes, outcomeEventId } from '../../functions/inventory-candidate/candidate';
import { createReplayHandler } from '../../functions/replay/handler';
import { ReplayRunner, TargetFailedError, type SliceOutcome } from '../../functions/replay/runner';
import type { ShadowInvocationEvent } from '../../core/replay/shadow-event';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { Logger } from '../../functions/shared/logger';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { ReplayStateStore } from '../../adapters/dynamodb/replay-state-store';
import { busEvent, orderFixture, orderPlaced, sqsMessage, stockReserved } from './replay-fixtures';
import { startReplayTables, type ReplayTables } from './replay-dynalite';

/*
 * The replay runner against dynalite, with the target replaced by the candidate's logic in process (its
 * outcomes are stored as the outcome collector would store them), and the work queue and lifecycle sink
 * recorded. Twelve orders are captured, four of them shipping to DE where the candidate differs, plus two
 * damaged records: every replay must find exactly the planted differences and report the damaged records.
 */
// dynalite on a shared 2-core machine: a replay of a dozen interactions can take a few seconds.
jest.setTimeout(30_000);

let spec: Spec;
let t: ReplayTables;
let captured: CapturedStore;
let reports: ReportStore;
let state: ReplayStateStore;

const T0 = Date.parse('2026-11-21T14:30:00.000Z');
const WINDOW = { from: '2026-11-21T14:00:00.000Z', to: '2026-11-21T15:00:00.000Z' };
const ORDERS = 12;
const quiet = new Logger('test');
(quiet as unknown as { threshold: number }).threshold = 100;

interface Harness {
  runner: ReplayRunner;
  invocations: ShadowInvocationEvent[];
  queue: Array<{ replayId: string; delay: number }>;
  lifecycle: Array<{ type: string; replayId: string; data: Record<string, unknown> }>;
  offset: { ms: number };
}

function harness(options: { beforeInvoke?: (e: ShadowInvocationEvent, n: number) => Promise<void> | void } = {}): Harness {
  const invocations: ShadowInvocationEvent[] = [];
  const queue: Harness['queue'] = [];
  const lifecycle: Harness['lifecycle'] = [];
  const offset = { ms: 0 };
  const runner = new ReplayRunner({
    spec,
    captured,
    reports,
    state,
    targets: { inventory: 'inventory-candidate-fn' },
    invoker: {
      invoke: async (_fn, event) => {
        invocations.push(event);
        await options.beforeInvoke?.(event, invocations.length);
        // A little real time per call, so the runner's pause/cancel poll gets its turn.
        await new Promise((r) => setTimeout(r, 3));
        const mark = event.detail.metadata.replay;
        const outs = candidateOutcomes({ type: event['detail-type'], data: event.detail.data, now: new Date(T0) });
        for (const [i, o] of outs.entries()) {
          await reports.putActual(mark.replayId, {
            interactionId: mark.interactionId,
            eventId: outcomeEventId(event.detail.metadata.eventId, o.type, i),
            event: o,
            receivedAt: new Date().toISOString(),
          });
        }
      },
    },
    queue: { continueLater: async (replayId, delay) => void queue.push({ replayId, delay }) },
    lifecycle: { emit: async (type, replayId, data) => void lifecycle.push({ type, replayId, data }) },
    logger: quiet,
    now: () => Date.now() + offset.ms,
    pollMs: 2,
    saveEvery: 1,
  });
  return { runner, invocations, queue, lifecycle, offset };
}

let ownerSeq = 0;
const ctx = (ms = 60_000) => ({ owner: `test-${(ownerSeq += 1)}`, deadline: Date.now() + ms });

/** Run queued continue messages until none is left (bounded). */
async function drain(h: Harness): Promise<SliceOutcome[]> {
  const outcomes: SliceOutcome[] = [];
  for (let i = 0; i < 20 && h.queue.length > 0; i += 1) {
    const next = h.queue.shift()!;
    outcomes.push(await h.runner.handleMessage({ kind: 'continue', replayId: next.replayId }, ctx()));
  }
  return outcomes;
}

const request = (replayId: string, extra: Record<string, unknown> = {}) => ({
  replayId,
  target: 'inventory',
  ...WINDOW,
  ratePerSecond: 5000,
  concurrency: 2,
  settleSeconds: 0,
  ...extra,
});

beforeAll(async () => {
  spec = parseSpec(config);
  t = await startReplayTables();
  captured = new CapturedStore({ tableName: t.captured, client: t.db.doc });
  reports = new ReportStore({ tableName: t.reports, client: t.db.doc });
  state = new ReplayStateStore({ tableName: t.state, client: t.db.doc });
  const capturer = new Capturer({ spec, store: captured, logger: quiet });
  for (let n = 0; n < ORDERS; n += 1) {
    const o = orderFixture(n, { prefix: 4 });
    await capturer.handleEvent(busEvent(`in-${n}`, 'ORDER_PLACED', orderPlaced(o)), T0 + n * 20);
    await capturer.handleEvent(busEvent(`out-${n}`, 'STOCK_RESERVED', stockReserved(o)), T0 + n * 20 + 7);
  }
  // Two damaged records in the window: one cut off mid-write, one of a format nobody knows.
  const damaged = {
    pk: 'ENTITY#order#4999999',
    sk: '2026-11-21T14:31:00.000Z#000000000000#damaged-1',
    gsi1pk: 'HOUR#2026-11-21T14',
    gsi1sk: '2026-11-21T14:31:00.000Z#000000000000#damaged-1',
    role: 'input',
    format: 1,
    eventId: 'damaged-1',
    correlationId: 'order-4999999',
    capturedAt: '2026-11-21T14:31:00.000Z',
    sequence: 0,
    entityType: 'order',
    entityKey: '4999999',
    eventType: 'ORDER_PLACED',
    sourceType: 'ORDER_PLACED',
    event: '{"type":"ORDER_PLACED","payload":{"MSG_ID":"MSG-4999999-P","ORDER_NO":"49',
    expiresAt: 2_000_000_000,
  };
  await captured.putRaw(damaged);
  await captured.putRaw({
    ...damaged,
    pk: 'ENTITY#order#4999998',
    sk: damaged.sk.replace('damaged-1', 'future-1'),
    gsi1sk: damaged.gsi1sk.replace('damaged-1', 'future-1'),
    eventId: 'future-1',
    format: 2,
    event: '{}',
  });
});

afterAll(async () => {
  await t.db.stop();
});

function expectPlantedReport(report: Awaited<ReturnType<ReportStore['getReport']>>): void {
  expect(report).toBeDefined();
  const r = report!;
  expect(r.totals).toEqual({
    read: 14,
    compared: 12,
    matched: 8,
    differed: 4,
    missingOutcome: 0,
    extraOutcome: 0,
    skippedInvalid: 2,
    failed: 0,
    matchedWithNoise: 0,
  });
  // Exactly one differing field: the planted warehouse, on the four DE orders; nothing else.
  expect(r.fieldsRanked.map((f) => [f.outcomeType, f.field, f.count, f.interactions])).toEqual([['inventory.reserved', 'warehouse', 4, 4]]);
  expect(r.fieldsRanked[0].examples.every((e) => e.expected === 'BRS1' && e.actual === 'AMS1')).toBe(true);
  expect(r.outcomeTypesRanked).toEqual([]);
  expect(r.skipped.byCode).toEqual([
    { code: 'truncated-json', count: 1 },
    { code: 'unknown-version', count: 1 },
  ]);
  expect(r.skipped.examples.map((s) => s.id).sort()).toEqual(['damaged-1', 'future-1']);
}

describe('Class: ReplayRunner', () => {
  describe('Method: handleMessage', () => {
    it('replays the window to the target in shadow mode and reports exactly the planted differences and the damaged records', async () => {
      // Prepare
      const h = harness();

      // Act
      const first = await h.runner.handleMessage({ kind: 'start', request: request('r-full') }, ctx());
      const rest = await drain(h);

      // Assess
      expect([first, ...rest]).toEqual(['completed']);
      expect(h.queue).toEqual([]);
      expectPlantedReport(await reports.getReport('r-full'));
      const st = await state.get('r-full');
      expect(st).toMatchObject({ status: 'completed', phase: 'done', totals: { compared: 12, differed: 4 } });
      expect(h.lifecycle.map((e) => e.type)).toEqual(['replay.started', 'replay.completed']);
      // Shadow events: translated to the service model, marked, one per interaction.
      expect(h.invocations).toHaveLength(ORDERS);
      expect(new Set(h.invocations.map((e) => e.detail.metadata.replay.interactionId)).size).toBe(ORDERS);
      for (const e of h.invocations) {
        expect(e['detail-type']).toBe('order.created');
        expect(e.source).toBe('cutover.replay');
        expect(e.detail.metadata.replay).toMatchObject({ replayId: 'r-full', mode: 'shadow' });
        expect(e.detail.metadata.version).toBe(2);
      }
    });

    it('sends in capture order (per entity always; with one lane, globally too)', async () => {
      // Prepare: one lane, so the global plan order is visible
      const h = harness();

      // Act
      await h.runner.handleMessage({ kind: 'start', request: request('r-order', { concurrency: 1 }) }, ctx());

      // Assess
      expect(h.invocations.map((e) => e.detail.metadata.replay.interactionId)).toEqual(Array.from({ length: ORDERS }, (_, n) => `in-${n}`));
    });

    it('resumes from its checkpoint in the next slice without sending anything twice', async () => {
      // Prepare: the third call pushes the clock past the slice deadline
      const h = harness({
        beforeInvoke: (_e, n) => {
          if (n === 3) h.offset.ms = 3_600_000;
        },
      });

      // Act
      const first = await h.runner.handleMessage({ kind: 'start', request: request('r-resume', { concurrency: 1 }) }, ctx());
      const afterFirst = await state.get('r-resume');
      h.offset.ms = 0;
      const rest = await drain(h);

      // Assess
      expect(first).toBe('yielded');
      expect(afterFirst!.checkpoint!.done).toBeGreaterThanOrEqual(3);
      expect(afterFirst!.checkpoint!.done).toBeLessThan(ORDERS);
      expect(rest[rest.length - 1]).toBe('completed');
      const ids = h.invocations.map((e) => e.detail.metadata.replay.interactionId);
      expect(ids).toHaveLength(ORDERS);
      expect(new Set(ids).size).toBe(ORDERS);
      expect((await state.get('r-resume'))!.slices).toBeGreaterThanOrEqual(2);
      expectPlantedReport(await reports.getReport('r-resume'));
    });

    it('sends the plan frozen by its first slice: a capture landing in the window later is not sent', async () => {
      // Prepare: three orders in a window of their own; the first call ends the slice
      const capturer = new Capturer({ spec, store: captured, logger: quiet });
      const t2 = Date.parse('2026-11-21T18:10:00.000Z');
      for (let n = 0; n < 3; n += 1) {
        const o = orderFixture(n, { prefix: 6 });
        await capturer.handleEvent(busEvent(`z-in-${n}`, 'ORDER_PLACED', orderPlaced(o)), t2 + n * 10);
        await capturer.handleEvent(busEvent(`z-out-${n}`, 'STOCK_RESERVED', stockReserved(o)), t2 + n * 10 + 5);
      }
      const h = harness({
        beforeInvoke: (_e, n) => {
          if (n === 1) h.offset.ms = 3_600_000;
        },
      });
      const window = { from: '2026-11-21T18:00:00.000Z', to: '2026-11-21T19:00:00.000Z' };

      // Act
      const first = await h.runner.handleMessage(
        { kind: 'start', request: { ...request('r-frozen', { concurrency: 1 }), ...window } },
        ctx(),
      );
      h.offset.ms = 0;
      await capturer.handleEvent(busEvent('z-late', 'ORDER_PLACED', orderPlaced(orderFixture(9, { prefix: 6 }))), t2 + 1_000);
      await drain(h);

      // Assess
      expect(first).toBe('yielded');
      expect(h.invocations.map((e) => e.detail.metadata.replay.interactionId)).toEqual(['z-in-0', 'z-in-1', 'z-in-2']);
      expect((await reports.getReport('r-frozen'))!.totals).toMatchObject({ read: 3, compared: 3 });
      expect((await reports.getPlan('r-frozen'))!.map((k) => k.id)).toEqual(['z-in-0', 'z-in-1', 'z-in-2']);
    });

    it('stops on pause without queuing more work, and finishes after resume', async () => {
      // Prepare
      const h = harness({
        beforeInvoke: async (_e, n) => {
          if (n === 2) await state.transition('r-pause', ['running'], 'paused');
        },
      });

      // Act
      const first = await h.runner.handleMessage({ kind: 'start', request: request('r-pause', { concurrency: 1 }) }, ctx());
      const queuedWhilePaused = h.queue.length;
      const whilePaused = await h.runner.handleMessage({ kind: 'continue', replayId: 'r-pause' }, ctx());
      await state.transition('r-pause', ['paused'], 'running');
      const resumed = await h.runner.handleMessage({ kind: 'continue', replayId: 'r-pause' }, ctx());

      // Assess
      expect(first).toBe('paused');
      expect(queuedWhilePaused).toBe(0);
      expect(whilePaused).toBe('paused');
      expect(resumed).toBe('completed');
      expect(h.lifecycle.map((e) => e.type)).toEqual(['replay.started', 'replay.paused', 'replay.completed']);
      expect(new Set(h.invocations.map((e) => e.detail.metadata.replay.interactionId)).size).toBe(ORDERS);
      expectPlantedReport(await reports.getReport('r-pause'));
    });

    it('on cancel, stops sending and reports what it did send', async () => {
      // Prepare
      const h = harness({
        beforeInvoke: async (_e, n) => {
          if (n === 4) await state.transition('r-cancel', ['running', 'paused'], 'cancelling');
        },
      });

      // Act
      const first = await h.runner.handleMessage({ kind: 'start', request: request('r-cancel', { concurrency: 1 }) }, ctx());
      await drain(h);

      // Assess
      expect(first).toBe('cancelled');
      const st = await state.get('r-cancel');
      expect(st).toMatchObject({ status: 'cancelled', phase: 'done' });
      const report = (await reports.getReport('r-cancel'))!;
      expect(report.totals.compared).toBe(h.invocations.length);
      expect(report.totals.compared).toBeLessThan(ORDERS);
      expect(h.lifecycle.map((e) => e.type)).toEqual(['replay.started', 'replay.cancelled']);
    });

    it('counts a target failure, holds back the rest of that entity, and goes on with the others', async () => {
      // Prepare: the first order gets a second input (its cancellation), and the target fails on the first
      const o = orderFixture(0, { prefix: 4 });
      const capturer = new Capturer({ spec, store: captured, logger: quiet });
      const cancelled = { MSG_ID: 'MSG-4000000-C', ORDER_NO: o.orderNo, CANCEL_DT: '20261121 143100', REASON_CD: 'CUST', NOTE: '' };
      const window = { from: '2026-11-21T16:00:00.000Z', to: '2026-11-21T17:00:00.000Z' };
      const t1 = Date.parse('2026-11-21T16:10:00.000Z');
      await capturer.handleEvent(busEvent('f-in-0', 'ORDER_PLACED', orderPlaced(o)), t1);
      await capturer.handleEvent(busEvent('f-cancel-0', 'ORDER_CANCELLED', cancelled), t1 + 100);
      const other = orderFixture(1, { prefix: 4 });
      await capturer.handleEvent(busEvent('f-in-1', 'ORDER_PLACED', orderPlaced(other)), t1 + 50);
      await capturer.handleEvent(busEvent('f-out-1', 'STOCK_RESERVED', stockReserved(other)), t1 + 60);
      const h = harness({
        beforeInvoke: (e) => {
          if (e.detail.metadata.replay.interactionId === 'f-in-0') throw new TargetFailedError('OutOfStock', 'no MUG-0001 left');
        },
      });

      // Act
      const outcome = await h.runner.handleMessage({ kind: 'start', request: { ...request('r-fail'), ...window } }, ctx());

      // Assess
      expect(outcome).toBe('completed');
      const report = (await reports.getReport('r-fail'))!;
      expect(report.totals).toMatchObject({ read: 3, compared: 1, matched: 1, failed: 2 });
      expect(report.failures.byName).toEqual([
        { name: 'BlockedBehindFailure', count: 1 },
        { name: 'OutOfStock', count: 1 },
      ]);
      expect(h.invocations.map((e) => e.detail.metadata.replay.interactionId)).toEqual(expect.not.arrayContaining(['f-cancel-0']));
    });

    it('stops the slice on an infrastructure error (not the target failing), so SQS retries it from the checkpoint', async () => {
      // Prepare: the Lambda API itself fails on the third call
      const h = harness({
        beforeInvoke: (_e, n) => {
          if (n === 3) throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
        },
      });

      // Act
      const first = h.runner.handleMessage({ kind: 'start', request: request('r-infra', { concurrency: 1 }) }, ctx());

      // Assess
      await expect(first).rejects.toThrow('Rate exceeded');
      const st = (await state.get('r-infra'))!;
      expect(st.checkpoint!.done).toBe(2);
      expect(st.phase).toBe('send');
      // The retry (SQS redelivers the message) resumes and finishes with nothing counted against the target.
      const retry = await h.runner.handleMessage({ kind: 'continue', replayId: 'r-infra' }, ctx());
      expect(retry).toBe('completed');
      expectPlantedReport(await reports.getReport('r-infra'));
    });

    it('does not run a slice while another invocation holds the lease', async () => {
      // Prepare
      const h = harness();
      await h.runner.create(request('r-busy'), 'unused');
      await state.acquireLease('r-busy', 'someone-else', Date.now() + 60_000);

      // Act
      const outcome = await h.runner.handleMessage({ kind: 'continue', replayId: 'r-busy' }, ctx());

      // Assess
      expect(outcome).toBe('busy');
      expect(h.invocations).toEqual([]);
      expect((await state.get('r-busy'))!.status).toBe('pending');
    });

    it.each([
      ['an unknown target', { target: 'warehouse' }, /target "warehouse" has no replay function; known targets: inventory/],
      ['a window that ends before it starts', { from: WINDOW.to, to: WINDOW.from }, /from: from must be before to/],
      ['a sample of 0 %', { samplePercent: 0 }, /samplePercent: .* \(got 0\)/],
    ])('rejects %s without retrying, and says why in a replay.rejected event', async (_what, extra, message) => {
      // Prepare
      const h = harness();

      // Act
      const outcome = await h.runner.handleMessage({ kind: 'start', request: request('r-bad', extra) }, ctx());

      // Assess
      expect(outcome).toBe('rejected');
      expect(h.lifecycle).toHaveLength(1);
      expect(h.lifecycle[0].type).toBe('replay.rejected');
      expect(String(h.lifecycle[0].data.reason)).toMatch(message);
    });

    it('starts from a replay.requested event as the bus delivers it, once per event id', async () => {
      // Prepare
      const h = harness();
      const event = {
        'detail-type': 'replay.requested' as const,
        id: 'eb-req-1',
        time: '2026-11-21T15:00:00Z',
        detail: { target: 'inventory', ...WINDOW, settleSeconds: 0, ratePerSecond: 5000 },
      };

      // Act
      const first = await h.runner.handleMessage(event, ctx());
      const again = await h.runner.handleMessage(event, ctx());

      // Assess
      expect(first).toBe('completed');
      expect(again).toBe('final');
      expect(h.lifecycle.filter((e) => e.type === 'replay.started')).toHaveLength(1);
      expectPlantedReport(await reports.getReport(h.lifecycle[0].replayId));
    });
  });
});

describe('Function: createReplayHandler', () => {
  it('fails a message that is not JSON (kept in the DLQ) and marks a replay failed on its last attempt', async () => {
    // Prepare
    const failed: string[] = [];
    const runner = {
      handleMessage: async () => {
        throw new Error('table unreachable');
      },
      fail: async (replayId: string) => void failed.push(replayId),
    } as unknown as ReplayRunner;
    const handler = createReplayHandler({ runner, sliceMs: 1_000, maxReceives: 3, logger: quiet });

    // Act
    const out = (await handler({
      Records: [
        sqsMessage('m-garbage', 'not json'),
        sqsMessage('m-early', JSON.stringify({ kind: 'continue', replayId: 'r-x' }), { ApproximateReceiveCount: '1' }),
        sqsMessage('m-last', JSON.stringify({ kind: 'continue', replayId: 'r-y' }), { ApproximateReceiveCount: '3' }),
      ],
    })) as { batchItemFailures: Array<{ itemIdentifier: string }> };

    // Assess
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-garbage', 'm-early', 'm-last']);
    expect(failed).toEqual(['r-y']);
  });

  it('reports only the failed message of a batch; the others are acknowledged with their outcomes', async () => {
    // Prepare
    const runner = {
      handleMessage: async (m: { replayId: string }) => {
        if (m.replayId === 'r-bad') throw new Error('table unreachable');
        return 'completed';
      },
      fail: async () => undefined,
    } as unknown as ReplayRunner;
    const handler = createReplayHandler({ runner, sliceMs: 1_000, maxReceives: 3, logger: quiet });

    // Act
    const out = (await handler({
      Records: [
        sqsMessage('m-1', JSON.stringify({ kind: 'continue', replayId: 'r-1' })),
        sqsMessage('m-bad', JSON.stringify({ kind: 'continue', replayId: 'r-bad' })),
        sqsMessage('m-2', JSON.stringify({ kind: 'continue', replayId: 'r-2' })),
      ],
    })) as { batchItemFailures: Array<{ itemIdentifier: string }>; outcomes: string[] };

    // Assess
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(out.outcomes).toEqual(['completed', 'completed']);
  });
});
