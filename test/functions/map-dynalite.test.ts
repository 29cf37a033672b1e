import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AwsContext } from '../../cli/aws-context';
import { mapCommand } from '../../cli/commands/map';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import '../../core/saga';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { createRoutingTables } from './routing-fixtures';
import { observeHops } from '../../adapters/dynamodb/audit-observations';
import type { TransactionMap } from '../../core/map';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

/*
 * `cutover map` against dynalite. `--observed`: saga step events filed in the audit table (as the audit
 * writer files them: one stream per order, the event detail as the payload) give p50/p95 per hop of the
 * checkout. `--routing-table`: the live modes replace the spec's seeds.
 */
let db: LocalDynamo;
let store: AuditStore;
let context: AwsContext;
const RUNS = 20;
const CONFIG = path.join(__dirname, '..', '..', 'cutover.config.ts');

/** ProcessPayment of run i takes 1000 + 100 i ms; every other hop 50 ms; 10 ms between hops. */
const paymentMs = (i: number) => 1000 + 100 * i;

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable('audit', 'stream', 'sk');
  store = new AuditStore({ tableName: 'audit', client: db.doc, sleep: async () => undefined });
  context = new AwsContext({}, { dynamo: db.doc });
  const put = (stream: string, id: string, type: string, step: string, atMs: number) =>
    store.append(stream, {
      kind: 'event',
      eventId: id,
      bus: 'services',
      source: 'cutover.saga',
      detailType: type,
      eventTime: new Date(Math.floor(atMs / 1000) * 1000).toISOString(),
      payload: JSON.stringify({
        metadata: { eventType: type, occurredAt: new Date(atMs).toISOString() },
        data: { step, owner: 'service' },
      }),
    });
  // Streams in parallel (as orders run), each stream's events in order.
  await Promise.all(
    Array.from({ length: RUNS }, async (_, i) => {
      const stream = `order-${1000000 + i}`;
      let t = Date.UTC(2026, 10, 21, 14, 0, i);
      for (const step of ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ScheduleShipping']) {
        await put(stream, `${stream}-${step}-s`, 'saga.step-started', step, t);
        t += step === 'ProcessPayment' ? paymentMs(i) : 50;
        // Run 0 never finishes its shipping step (the carrier has not answered yet).
        if (!(i === 0 && step === 'ScheduleShipping')) await put(stream, `${stream}-${step}-ok`, 'saga.step-succeeded', step, t);
        t += 10;
      }
    }),
  );
  // Not a saga run: another stream, and an event that is not a step.
  await store.append('uncorrelated', {
    kind: 'event',
    eventId: 'u1',
    detailType: 'saga.step-started',
    payload: JSON.stringify({ data: { step: 'CreateOrder' } }),
  });
  await store.append('order-1000000', { kind: 'event', eventId: 'x1', detailType: 'order.created', payload: '{}' });
}, 60_000);
afterAll(async () => {
  await db.stop();
});

describe('Function: observeHops', () => {
  it("reads every order stream through the audit store and times each step from the events' occurredAt", async () => {
    // Act
    const hops = await observeHops(store);

    // Assess
    expect(hops.streams).toBe(RUNS);
    expect(hops.runs).toHaveLength(RUNS);
    const run3 = hops.runs.find((r) => r.stream === 'order-1000003')!;
    expect(run3.actions.ProcessPayment.endMs! - run3.actions.ProcessPayment.startMs!).toBe(paymentMs(3));
    expect(hops.runs.find((r) => r.stream === 'order-1000000')!.actions.ScheduleShipping.endMs).toBeUndefined();
  });

  it('stops after maxStreams order streams', async () => {
    // Act
    const hops = await observeHops(store, { maxStreams: 5 });

    // Assess
    expect([hops.streams, hops.runs.length]).toEqual([5, 5]);
  });
});

describe('Command: map --observed', () => {
  it('overlays p50/p95 per hop and end to end on the checkout', async () => {
    // Prepare
    const out: string[] = [];
    const err: string[] = [];

    // Act
    const code = await mapCommand(
      { config: CONFIG, observed: true, auditTable: 'audit', format: 'json' },
      { stdout: (t) => out.push(t), stderr: (t) => err.push(t), context },
    );

    // Assess
    expect(code).toBe(0);
    const map = JSON.parse(out.join('')) as TransactionMap;
    const checkout = map.criticalPaths.find((p) => p.name === 'checkout')!;
    const payments = Array.from({ length: RUNS }, (_, i) => paymentMs(i));
    const hop = (id: string) => checkout.hops.find((h) => h.action === id)!;
    // Nearest rank over 20 samples: p50 is the 10th, p95 the 19th.
    expect(hop('ProcessPayment').observed).toEqual({ p50Ms: payments[9], p95Ms: payments[18], samples: RUNS });
    expect(hop('CreateOrder').observed).toEqual({ p50Ms: 50, p95Ms: 50, samples: RUNS });
    expect(hop('ScheduleShipping').observed?.samples).toBe(RUNS - 1);
    // End to end: 4 hops of which one is the payment, plus 3 gaps of 10 ms; run 0 is incomplete.
    const e2e = payments.slice(1).map((p) => p + 3 * 50 + 3 * 10);
    // 19 samples: p50 is the 10th (rank ceil(9.5)), p95 the 19th (rank ceil(18.05)).
    expect(checkout.observed).toEqual({ p50Ms: e2e[9], p95Ms: e2e[18], samples: RUNS - 1 });
    expect(err.join('')).toMatch(/observed: 20 saga run\(s\) from 20 stream\(s\) of audit/);
  });

  it('writes the HTML page with the observed figures beside the declared ones', async () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'a12m-map-'));
    const file = path.join(dir, 'map.html');

    // Act
    const code = await mapCommand(
      { config: CONFIG, observed: true, auditTable: 'audit', html: file },
      { stdout: () => undefined, stderr: () => undefined, context },
    );

    // Assess
    expect(code).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toMatch(/Observed end to end: p50 <b>[0-9.]+ s<\/b>/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('Command: map --routing-table', () => {
  it("uses the table's live mode: a capability moved to canary becomes split, and its unsynced data a risk", async () => {
    // Prepare: the spec's seeds, then customers moved to a 30% canary (as `cutover route set` leaves the row).
    const spec = parseSpec(config);
    await createRoutingTables(db, { table: 'routing', history: 'routing-history' });
    const routing = new RoutingStore({ tableName: 'routing', historyTableName: 'routing-history', routing: spec.routing!, client: db.doc });
    await routing.seed('test');
    const row = (await db.doc.send(new GetCommand({ TableName: 'routing', Key: { capability: 'customers', sk: 'ROUTE' } }))).Item!;
    await db.doc.send(
      new PutCommand({ TableName: 'routing', Item: { ...row, mode: 'canary', percent: 30, revision: Number(row.revision) + 1 } }),
    );
    const out: string[] = [];

    // Act
    const code = await mapCommand(
      { config: CONFIG, routingTable: 'routing', format: 'json' },
      { stdout: (t) => out.push(t), stderr: () => undefined, context },
    );

    // Assess
    expect(code).toBe(0);
    const map = JSON.parse(out.join('')) as TransactionMap;
    expect(map.services.find((s) => s.name === 'customers')).toMatchObject({
      owner: 'split',
      routing: { mode: 'canary', percent: 30, source: 'routing-table' },
    });
    expect(map.services.find((s) => s.name === 'inventory')).toMatchObject({ routing: { mode: 'legacy', source: 'routing-table' } });
    const customersSynced = map.syncLinks?.some((l) => l.entity === 'customers' && l.policy !== undefined) ?? false;
    expect(map.risks.filter((r) => r.rule === 'canary-without-sync').map((r) => r.where)).toEqual(
      customersSynced ? [] : ['routing.capabilities.customers (entity customers)'],
    );
  });
});
