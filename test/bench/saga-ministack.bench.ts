import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { sdkConfig } from '../e2e/harness';
import { emulatorLabel, outputsFor, percentile } from './emulator';
import { deployBaselineSaga } from './baseline-saga/deploy';
import type { BenchResult } from './types';

interface LoadFigures {
  readonly started: number;
  readonly ended: number;
  readonly counts: Record<string, number>;
  readonly stuck: number;
  readonly latencies: number[];
  readonly throughput: number;
  readonly loadSeconds: number;
  readonly describes: number;
  readonly hops: Map<string, number[]>;
  readonly hopLines: string[];
}

/*
 * The order saga under load on MiniStack: orders started at a fixed rate for a fixed time, the carrier's
 * callback answered as soon as shipping waits for it, the payment answered by the reference monolith
 * through the bridge. Reports completed / compensated / stuck, end-to-end p50/p95, and p50/p95 per hop
 * (time spent in each state, from the execution histories) so it shows where the time goes.
 *
 * Needs a deployed emulator: CUTOVER_ENDPOINT (and .cutover/outputs-<port>.json from the e2e deploy, or
 * CUTOVER_OUTPUTS_FILE). Bounded by SAGA_LOAD_RATE orders/min (default 1000), SAGA_LOAD_SECONDS (default
 * 120), SAGA_LOAD_MAX_IN_FLIGHT sagas running at once (default 8: the start loop waits for sagas to end,
 * so an emulator that cannot keep up slows the load instead of drowning), and a drain of
 * SAGA_LOAD_DRAIN_SECONDS (default 300) after the last start. Completion is learnt by a short poll with
 * backoff (SAGA_LOAD_POLL_MS, default 100; SAGA_LOAD_POLL_MAX_MS, default 1000), not a fixed 1 s sweep, so
 * the measuring loop does not cap the figure. Without CUTOVER_ENDPOINT it is skipped.
 *
 * Then the same load against a baseline deployed beside it on the same emulator (baseline-saga/: five
 * Lambda steps, one DynamoDB write each, no bridge, no audit): the ratio baseline / reference is what the
 * kit's guarantees (translation, audit log, idempotency, callbacks, compensations) cost on this machine.
 */

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Seconds spent in each state of one execution (entered -> next state entered). */
function hopDurations(events: HistoryEvent[]): Array<[string, number]> {
  const entered = events.filter((e) => String(e.type).endsWith('StateEntered') && e.stateEnteredEventDetails?.name);
  const end = events.find((e) => e.type === 'ExecutionSucceeded' || e.type === 'ExecutionFailed');
  return entered.map((e, i) => {
    const next = entered[i + 1] ?? end;
    return [e.stateEnteredEventDetails!.name!, next ? (next.timestamp!.getTime() - e.timestamp!.getTime()) / 1000 : NaN];
  });
}

export async function run(): Promise<BenchResult[]> {
  const endpoint = process.env.CUTOVER_ENDPOINT;
  if (!endpoint) {
    return [{ name: 'MiniStack load: skipped (set CUTOVER_ENDPOINT to a deployed emulator)', figure: NaN, unit: 'orders/min' }];
  }
  const outputs = outputsFor(endpoint);
  const out = (key: string) =>
    Object.values(outputs).find((o) => o[key] !== undefined)?.[key] ??
    (() => {
      throw new Error(`no output ${key}`);
    })();
  const rate = num('SAGA_LOAD_RATE', 1000);
  const seconds = num('SAGA_LOAD_SECONDS', 120);
  const maxInFlight = num('SAGA_LOAD_MAX_IN_FLIGHT', 8);
  const drainSeconds = num('SAGA_LOAD_DRAIN_SECONDS', 300);
  const sfn = new SFNClient({ ...sdkConfig(endpoint), maxAttempts: 5 });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(endpoint)));
  const events = new EventBridgeClient(sdkConfig(endpoint));
  const sagaArn = out('OrderSagaArn');
  const sku = `LDT-${String(Date.now() % 10_000).padStart(4, '0')}`;
  await doc.send(
    new PutCommand({ TableName: out('InventoryTableName'), Item: { pk: `SKU#${sku}`, sku, available: 1_000_000, holds: {} } }),
  );

  // Orders started by either saga, so the carrier answers only ours.
  const startedAt = new Map<string, number>();
  const confirmed = new Set<string>();
  const total = Math.floor((rate * seconds) / 60);
  let base = 70_000_000 + (Date.now() % 10_000_000);
  let stop = false;

  // Sagas that ended (either saga), so the carrier stops looking for them.
  const endedAny = new Set<string>();
  const carrierPollMs = num('SAGA_LOAD_CARRIER_POLL_MS', 100);

  // The carrier: answers every ScheduleShipping wait of ours as soon as it is registered. It looks up the
  // waits of the sagas still running by key (BatchGetItem on (orderId, ScheduleShipping), every
  // SAGA_LOAD_CARRIER_POLL_MS), not by scanning the callback table, whose scan grows with every order and
  // used to run every 500 ms: that delay sat inside the ScheduleShipping hop (p50 0.60 s), though it is the
  // carrier's time, not the kit's.
  const carrier = (async () => {
    while (!stop) {
      const open = [...startedAt.keys()].filter((id) => !confirmed.has(id) && !endedAny.has(id));
      const fresh: string[] = [];
      for (let i = 0; i < open.length; i += 100) {
        const table = out('SagaCallbacksTableName');
        const got = await doc
          .send(
            new BatchGetCommand({
              RequestItems: {
                [table]: { Keys: open.slice(i, i + 100).map((orderId) => ({ orderId, action: 'ScheduleShipping' })), ConsistentRead: true },
              },
            }),
          )
          .catch(() => undefined);
        for (const item of got?.Responses?.[table] ?? []) if (!item.completedAt) fresh.push(String(item.orderId));
      }
      for (let i = 0; i < fresh.length; i += 10) {
        const batch = fresh.slice(i, i + 10);
        batch.forEach((id) => confirmed.add(id));
        await events.send(
          new PutEventsCommand({
            Entries: batch.map((orderId) => ({
              EventBusName: out('ServicesBusName'),
              Source: 'carrier.load',
              DetailType: 'shipment.dispatched',
              Detail: JSON.stringify({
                metadata: {
                  eventId: `carrier-${orderId}`,
                  eventType: 'shipment.dispatched',
                  version: 1,
                  correlationId: `order-${orderId}`,
                  origin: 'service',
                  producer: 'carrier.load',
                  occurredAt: new Date().toISOString(),
                  entity: { type: 'order', key: orderId },
                },
                data: {
                  orderId,
                  shipmentId: `SHP${orderId}`,
                  carrier: 'dpd',
                  parcels: 1,
                  dispatchedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
                },
              }),
            })),
          }),
        );
      }
      await new Promise((r) => setTimeout(r, carrierPollMs));
    }
  })();

  const pollMs = num('SAGA_LOAD_POLL_MS', 100);
  const pollMaxMs = num('SAGA_LOAD_POLL_MAX_MS', 1000);

  /**
   * Starts `maxInFlight` sagas and waits (up to 2 min) for them to end, unmeasured: the first invocation of
   * each function on the emulator starts a runtime, which would otherwise land in the first figures.
   */
  async function warmUp(stateMachineArn: string, inputFor: (orderId: string, i: number) => unknown): Promise<void> {
    const ids = Array.from({ length: maxInFlight }, (_v, i) => String(base + i));
    base += maxInFlight;
    const now = Date.now();
    for (const [i, id] of ids.entries()) {
      startedAt.set(id, now);
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name: id, input: JSON.stringify(inputFor(id, i)) }));
    }
    const executionArn = (id: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
    const deadline = Date.now() + 120_000;
    let running = ids;
    while (running.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const states = await Promise.all(running.map((id) => sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(id) }))));
      states.forEach((d, i) => d.status !== 'RUNNING' && endedAny.add(running[i]));
      running = running.filter((_id, i) => states[i].status === 'RUNNING');
    }
  }

  /** Runs the load against one state machine and measures it (its own started/ended maps). */
  async function drive(stateMachineArn: string, inputFor: (orderId: string, i: number) => unknown): Promise<LoadFigures> {
    const started = new Map<string, number>();
    // Which sagas ended, learnt while the load runs so the start loop can wait for room. Each running saga
    // is described on its own schedule: first after SAGA_LOAD_POLL_MS, then backing off by half again up
    // to SAGA_LOAD_POLL_MAX_MS. A fixed 1 s sweep used to cap what the bench could see (a saga ending in
    // 0.2 s held its in-flight slot for up to a second); the backoff keeps the describe calls bounded
    // (at most maxInFlight / pollMs per second) while a fast saga frees its slot within pollMs. Latency is
    // taken from the execution's own stopDate, so polling never adds to it.
    const ended = new Map<string, { status: string; outcome?: string; stop: number }>();
    const nextCheck = new Map<string, { at: number; interval: number }>();
    const executionArn = (id: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
    let describes = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const now = Date.now();
        const due = [...nextCheck.entries()].filter(([, c]) => c.at <= now).map(([id]) => id);
        for (let i = 0; i < due.length; i += 25) {
          await Promise.all(
            due.slice(i, i + 25).map(async (id) => {
              describes++;
              const d = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(id) })).catch(() => undefined);
              if (d && d.status !== 'RUNNING') {
                ended.set(id, {
                  status: d.status!,
                  outcome: d.output ? (JSON.parse(d.output) as { outcome?: string }).outcome : d.error,
                  stop: d.stopDate!.getTime(),
                });
                endedAny.add(id);
                nextCheck.delete(id);
                return;
              }
              const c = nextCheck.get(id)!;
              const interval = Math.min(pollMaxMs, Math.round(c.interval * 1.5));
              nextCheck.set(id, { at: Date.now() + interval, interval });
            }),
          );
        }
        await new Promise((r) => setTimeout(r, Math.max(10, Math.min(pollMs, 50))));
      }
    })();

    // The load: one start every 60/rate seconds at most, never more than maxInFlight sagas running.
    const t0 = Date.now();
    for (let i = 0; i < total && Date.now() - t0 < seconds * 1000 * 3; i++) {
      const due = t0 + (i * 60_000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (started.size - ended.size >= maxInFlight) await new Promise((r) => setTimeout(r, 10));
      const orderId = String(base + i);
      const before = Date.now();
      await sfn
        .send(new StartExecutionCommand({ stateMachineArn, name: orderId, input: JSON.stringify(inputFor(orderId, i)) }))
        .then(() => {
          started.set(orderId, before);
          startedAt.set(orderId, before);
          nextCheck.set(orderId, { at: Date.now() + pollMs, interval: pollMs });
        })
        .catch((err: Error) => process.stderr.write(`start ${orderId}: ${err.name}\n`));
    }
    const loadSeconds = (Date.now() - t0) / 1000;

    // Drain: wait for every saga to end, bounded.
    const deadline = Date.now() + drainSeconds * 1000;
    while (Date.now() < deadline && ended.size < started.size) await new Promise((r) => setTimeout(r, 50));
    watching = false;
    await watcher;
    base += total + 1;

    const counts: Record<string, number> = {};
    for (const e of ended.values()) counts[e.outcome ?? e.status] = (counts[e.outcome ?? e.status] ?? 0) + 1;
    const stuck = started.size - ended.size;
    const latencies = [...ended.entries()].map(([id, e]) => (e.stop - started.get(id)!) / 1000);
    const firstStart = Math.min(...started.values());
    const lastEnd = Math.max(...[...ended.values()].map((e) => e.stop));
    const throughput = (ended.size / ((lastEnd - firstStart) / 1000)) * 60;

    // Where the time goes: per-state durations over a sample of the completed sagas.
    const hops = new Map<string, number[]>();
    const sample = [...ended.entries()].filter(([, e]) => e.outcome === 'completed' || e.outcome === undefined).slice(0, 60);
    for (const [id] of sample) {
      const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn(id), maxResults: 1000 }));
      for (const [state, s] of hopDurations(h.events ?? [])) hops.set(state, [...(hops.get(state) ?? []), s]);
    }
    const hopLines = [...hops.entries()]
      .map(([state, v]) => ({ state, p50: percentile(v, 50), p95: percentile(v, 95) }))
      .sort((a, b) => b.p95 - a.p95)
      .map((h) => `${h.state}: p50 ${h.p50.toFixed(2)} s, p95 ${h.p95.toFixed(2)} s`);

    return { started: started.size, ended: ended.size, counts, stuck, latencies, throughput, loadSeconds, describes, hops, hopLines };
  }

  const order = (orderId: string, i: number) => ({
    order: {
      orderId,
      customerId: i % 10 === 0 ? 'C99999' : 'C00042',
      placedAt: '2026-11-21T14:30:00Z',
      amount: { total: '12.99', currency: 'EUR' },
      channel: 'web',
      lines: [{ lineNo: 1, sku, quantity: 1, unitPrice: '12.99' }],
      shippingAddress: { street: '1 Load Street', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
    },
  });
  await warmUp(sagaArn, order);
  const reference = await drive(sagaArn, order);
  stop = true;
  await carrier;
  // The baseline, beside it on the same emulator, at the same rate and in-flight bound, after the reference.
  const baselineSaga = await deployBaselineSaga(endpoint);
  const baselineInput = (orderId: string) => ({ orderId });
  await warmUp(baselineSaga.stateMachineArn, baselineInput);
  const baseline = await drive(baselineSaga.stateMachineArn, baselineInput);
  const ratio = baseline.throughput / reference.throughput;
  const { counts, stuck, latencies, throughput, loadSeconds, describes, hops, hopLines } = reference;

  return [
    {
      name: `MiniStack load: ${reference.started} orders at up to ${rate}/min, ${maxInFlight} in flight (${loadSeconds.toFixed(0)} s)`,
      figure: throughput,
      unit: 'sagas/min',
      target: `>= ${rate}/min, 0 stuck`,
      ok: throughput >= rate && stuck === 0,
      note: `ended ${JSON.stringify(counts)}, stuck ${stuck}; end-to-end p50 ${percentile(latencies, 50).toFixed(1)} s, p95 ${percentile(latencies, 95).toFixed(1)} s; completion learnt by DescribeExecution every ${pollMs}-${pollMaxMs} ms with backoff (${describes} calls, ${(describes / Math.max(1, reference.ended)).toFixed(1)} per saga); ${emulatorLabel(endpoint)}`,
    },
    {
      name: 'MiniStack load: p95 per hop (slowest first)',
      figure: percentile(hops.get(hopLines[0]?.split(':')[0] ?? '') ?? [], 95),
      unit: 's',
      target: 'p95 < 0.5 s per hop',
      ok: [...hops.values()].every((v) => percentile(v, 95) < 0.5),
      note: hopLines.join('\n           '),
    },
    {
      name: `MiniStack baseline saga (five Lambda steps, one write each; no bridge, no audit): ${baseline.started} orders`,
      figure: baseline.throughput,
      unit: 'sagas/min',
      baseline: baseline.throughput,
      ratio,
      target: 'reference within 1.5x of the baseline (ratio = baseline / reference <= 1.5)',
      ok: ratio <= 1.5 && baseline.stuck === 0,
      note: `reference ${reference.throughput.toFixed(1)}/min vs baseline ${baseline.throughput.toFixed(1)}/min: the kit's guarantees cost ${ratio.toFixed(2)}x; baseline ended ${JSON.stringify(baseline.counts)}, stuck ${baseline.stuck}, end-to-end p50 ${percentile(baseline.latencies, 50).toFixed(2)} s, p95 ${percentile(baseline.latencies, 95).toFixed(2)} s; per hop: ${baseline.hopLines.join('; ')}`,
    },
  ];
}
