import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { AwsContext } from '../../cli/aws-context';
import { replayStartCommand } from '../../cli/commands/replay';
import { rehearse } from '../../cli/rehearse';
import { Capturer } from '../../functions/capture/handler';
import { rehearsalHandler } from '../../functions/inventory-candidate/rehearse';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { Logger } from '../../functions/shared/logger';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { FINAL_STATUSES } from '../../core/replay/request';
import { ReplayStateStore, type ReplayState } from '../../adapters/dynamodb/replay-state-store';
import { busEvent, orderFixture, orderPlaced, stockReserved } from '../functions/replay-fixtures';
import { sdkConfig } from '../e2e/harness';
import { candidateInteractions } from './candidate-rehearsal';
import type { BenchResult } from './types';

/*
 * Replay of 10,000 captured interactions on MiniStack, to the inventory candidate, with compare: every
 * interaction must be accounted for (compared, skipped as invalid, or failed), and the report must hold
 * exactly the planted differences. Needs CUTOVER_ENDPOINT pointing at a MiniStack with the stacks deployed
 * (`npm run e2e` deploys them; CUTOVER_E2E_KEEP=1 keeps the emulator); without it the bench says so and
 * reports nothing.
 *
 * The captured traffic is prepared by the capture code in this process (the Capturer the capture Lambda
 * runs: same masking, TTL and translation) and bulk-loaded into the emulator's table, rather than put
 * through the legacy bus: 10,000 orders on
 * the bus would also run the bridge, the audit writers and 10,000 sagas on a 2-core machine, which
 * measures them, not the replay. Times are in a window two days back that no other run uses.
 * Baseline: the same interactions rehearsed offline in this process with the same candidate logic.
 */
const N = Number(process.env.REPLAY_BENCH_N ?? 10_000);
const DAMAGED = 3;

async function pool<T>(items: readonly T[], workers: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) {
        const i = next;
        next += 1;
        await fn(items[i]);
      }
    }),
  );
}

function skipped(note: string): BenchResult[] {
  return [
    {
      name: `replay ${N.toLocaleString('en-US')} interactions on MiniStack`,
      figure: Number.NaN,
      unit: 'unaccounted',
      note: `skipped: ${note}`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const endpoint = process.env.CUTOVER_ENDPOINT;
  if (!endpoint)
    return skipped(
      'set CUTOVER_ENDPOINT to a MiniStack with the cutover stacks deployed (e.g. CUTOVER_E2E_KEEP=1 npm run e2e, then CUTOVER_ENDPOINT=http://127.0.0.1:<port> npm run bench replay)',
    );
  const spec = parseSpec(config);
  const cfg = { ...sdkConfig(endpoint), maxAttempts: 8 };
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(cfg), { marshallOptions: { removeUndefinedValues: true } });
  const context = new AwsContext(
    { prefix: process.env.CUTOVER_PREFIX ?? 'Cutover' },
    { cloudFormation: new CloudFormationClient(cfg), eventBridge: new EventBridgeClient(cfg), dynamo: doc },
  );
  let tables: { captured: string; state: string; reports: string };
  try {
    tables = {
      captured: await context.output('CapturedEventsTableName'),
      state: await context.output('ReplayStateTableName'),
      reports: await context.output('DiffReportTableName'),
    };
  } catch (err) {
    return skipped(`no replay stack at ${endpoint} (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  const quiet = new Logger('bench');
  (quiet as unknown as { threshold: number }).threshold = 100;
  const store = new CapturedStore({ tableName: tables.captured, client: doc });
  const capturer = new Capturer({ spec, store, logger: quiet });
  const state = new ReplayStateStore({ tableName: tables.state, client: doc });
  const reports = new ReportStore({ tableName: tables.reports, client: doc });

  // 1. Seed: N orders (input + the monolith's STOCK_RESERVED) and a few damaged records, in a fresh window.
  const minute = 60_000;
  const base = Math.floor((Date.now() - 2 * 86_400_000 - Math.floor(Math.random() * 1_400) * minute) / minute) * minute;
  const prefix = 100 + Math.floor(Math.random() * 900);
  const orders = Array.from({ length: N }, (_, n) => ({ n, o: orderFixture(n, { prefix, foreignEvery: 3 }) }));
  const seedStart = Date.now();
  // What the capture Lambda would write for each event (same masking, TTL, translation), loaded in batches.
  const writes = orders.flatMap(({ n, o }) => [
    ...capturer.writesFor(busEvent(`bench-${prefix}-${n}`, 'ORDER_PLACED', orderPlaced(o)), base + n * 5),
    ...capturer.writesFor(busEvent(`bench-${prefix}-${n}-r`, 'STOCK_RESERVED', stockReserved(o)), base + n * 5 + 2),
  ]);
  const chunks = Array.from({ length: Math.ceil(writes.length / 100) }, (_, i) => writes.slice(i * 100, (i + 1) * 100));
  await pool(chunks, 4, async (chunk) => void (await store.putBatch(chunk)));
  const seedMs = Date.now() - seedStart;
  for (let d = 0; d < DAMAGED; d += 1) {
    const at = new Date(base + d * 1_000 + 1).toISOString();
    const sk = `${at}#000000000000#damaged-${prefix}-${d}`;
    const item: Record<string, unknown> = {
      pk: `ENTITY#order#${prefix}99999${d}`,
      sk,
      gsi1pk: `HOUR#${at.slice(0, 13)}`,
      gsi1sk: sk,
      role: 'input',
      format: 1,
      eventId: `damaged-${prefix}-${d}`,
      correlationId: `order-${prefix}99999${d}`,
      capturedAt: at,
      entityType: 'order',
      entityKey: `${prefix}99999${d}`,
      eventType: 'ORDER_PLACED',
      sourceType: 'ORDER_PLACED',
      event: '{"type":"ORDER_PLACED","payload":{"ORDER_NO":"1',
      expiresAt: Math.floor(Date.now() / 1000) + 86_400,
    };
    if (d === 1) item.format = 2;
    if (d === 2) delete item.entityKey;
    await store.putRaw(item);
  }
  process.stderr.write(`replay bench: seeded ${N} interactions (${3 * N} items) in ${(seedMs / 1000).toFixed(1)} s\n`);

  // 2. Replay through the CLI, as a user would, and watch it to the end.
  const replayId = `r-bench-${prefix}-${Date.now() % 1_000_000}`;
  const from = new Date(base).toISOString();
  const to = new Date(base + N * 5 + 10_000).toISOString();
  const errors: string[] = [];
  const code = await replayStartCommand(
    { target: 'inventory', since: from, until: to, rate: 1_000, concurrency: 8, settle: 20, id: replayId },
    { context, sqs: new SQSClient(cfg), stdout: () => undefined, stderr: (s) => void errors.push(s) },
  );
  if (code !== 0) throw new Error(`replay start failed: ${errors.join('')}`);
  const started = Date.now();
  let sendDoneAt: number | undefined;
  let final: ReplayState | undefined;
  let lastLog = 0;
  while (Date.now() - started < 45 * minute) {
    const st = await state.get(replayId);
    if (st && !sendDoneAt && st.phase !== 'send') sendDoneAt = Date.now();
    if (st && Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      process.stderr.write(
        `replay bench: ${st.status}/${st.phase} ${st.progress?.done ?? 0}/${st.progress?.planned ?? '?'} after ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
      );
    }
    if (st && FINAL_STATUSES.includes(st.status)) {
      final = st;
      break;
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
  if (!final) throw new Error(`replay ${replayId} did not finish within 45 minutes`);
  const totalMs = Date.now() - started;
  const sendMs = (sendDoneAt ?? Date.now()) - started;
  const report = await reports.getReport(replayId);
  if (!report) throw new Error(`replay ${replayId} is ${final.status} but has no report`);
  const t = report.totals;
  const expectedRead = N + DAMAGED;
  const accounted = t.compared + t.skippedInvalid + t.failed;
  const unaccounted = expectedRead - accounted;
  const foreign = orders.filter(({ o }) => o.country !== 'GB').length;
  const planted =
    t.differed === foreign &&
    t.matched === N - foreign &&
    t.missingOutcome === 0 &&
    t.extraOutcome === 0 &&
    report.fieldsRanked.length === 1 &&
    report.fieldsRanked[0].field === 'warehouse';

  // 3. Baseline: the same interactions rehearsed offline with the same candidate logic.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-replay-bench-'));
  let offlineMs: number;
  try {
    const file = path.join(dir, 'capture.jsonl');
    fs.writeFileSync(
      file,
      `${candidateInteractions(N)
        .map((i) => JSON.stringify(i))
        .join('\n')}\n`,
    );
    const o0 = Date.now();
    await rehearse({ captured: file, handler: rehearsalHandler, compare: spec.capture!.compare, capability: 'inventory' });
    offlineMs = Date.now() - o0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const cloudRate = (N / sendMs) * 1000;
  const offlineRate = (N / offlineMs) * 1000;
  return [
    {
      name: `replay ${N.toLocaleString('en-US')} interactions on MiniStack: unaccounted`,
      figure: unaccounted,
      unit: 'interactions',
      target: '0, and exactly the planted differences',
      ok: unaccounted === 0 && t.read === expectedRead && planted && final.status === 'completed',
      note:
        `${replayId}: read ${t.read} = compared ${t.compared} (matched ${t.matched}, differed ${t.differed}, missing ${t.missingOutcome}, extra ${t.extraOutcome}) ` +
        `+ skipped ${t.skippedInvalid} + failed ${t.failed}; planted ${foreign} warehouse differences ${planted ? 'found, nothing else' : 'NOT matched'}; ` +
        `${final.slices ?? '?'} slice(s), status ${final.status}, ${(totalMs / 1000).toFixed(0)} s end to end incl. 20 s settle`,
    },
    {
      name: 'replay send rate on MiniStack (direct shadow invoke, outcomes via shadow bus)',
      figure: cloudRate,
      unit: 'interactions/s',
      baseline: offlineRate,
      ratio: cloudRate / offlineRate,
      note: `send phase ${(sendMs / 1000).toFixed(1)} s at concurrency 8, rate cap 1000/s; baseline = offline rehearsal of the same ${N} interactions with the same candidate logic (${(offlineMs / 1000).toFixed(1)} s)`,
    },
    {
      name: 'seeding captured interactions (Capturer.writesFor + BatchWrite)',
      figure: (N / seedMs) * 1000,
      unit: 'interactions/s',
      note: `${3 * N} items (input, input ref, translated outcome) in ${(seedMs / 1000).toFixed(1)} s`,
    },
  ];
}
