/**
 * Capture, replay and compare on a deployed emulator, driven like a user: monolith traffic (ORDER_PLACED
 * and the STOCK_RESERVED it caused) is put on the legacy bus and captured; a replay to the inventory
 * candidate (deliberately different: orders shipping outside GB go to warehouse AMS1) is started by the CLI
 * and by a `replay.requested` event; the report shows exactly the planted differences and nothing else; a
 * damaged captured record is reported with its reason and skipped; the audit log records the replay; the
 * candidate's outcomes never reach the services bus. The same capture, exported and rehearsed offline,
 * gives the same answer. Each run uses its own order numbers.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DiffReportJson } from '../../core/compare';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { AwsContext } from '../../cli/aws-context';
import { captureExportCommand } from '../../cli/commands/capture';
import { diffReportCommand } from '../../cli/commands/diff';
import { replayStartCommand } from '../../cli/commands/replay';
import { rehearse } from '../../cli/rehearse';
import { rehearsalHandler } from '../../functions/inventory-candidate/rehearse';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { CapturedStore, type CapturedItem } from '../../adapters/dynamodb/captured-store';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { FINAL_STATUSES } from '../../core/replay/request';
import { ReplayStateStore, type ReplayState } from '../../adapters/dynamodb/replay-state-store';
import { orderFixture, orderPlaced, stockReserved, type OrderFixture } from '../functions/replay-fixtures';
import { loadE2eContext, sdkConfig, stackOutput, waitFor, type E2eContext } from './harness';

jest.setTimeout(300_000);

const spec = parseSpec(config);
const ORDERS = 6;
let ctx: E2eContext;
let events: EventBridgeClient;
let doc: DynamoDBDocumentClient;
let sqs: SQSClient;
let cli: AwsContext;
let captured: CapturedStore;
let state: ReplayStateStore;
let reports: ReportStore;
let audit: AuditStore;
let orders: OrderFixture[];
let damagedKey: string;
let windowFrom: number;
let dir: string;

/** A three-digit prefix from the clock: this run's order numbers (9 digits) are its own (the bridge tests use 8). */
const runPrefix = 100 + (Math.floor(Date.now() / 1000) % 900);

beforeAll(async () => {
  ctx = loadE2eContext();
  const cfg = sdkConfig(ctx.endpoint);
  events = new EventBridgeClient(cfg);
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(cfg), { marshallOptions: { removeUndefinedValues: true } });
  sqs = new SQSClient(cfg);
  const replayStack = Object.keys(ctx.outputs).find((s) => ctx.outputs[s].CapturedEventsTableName !== undefined);
  if (!replayStack) throw new Error('no deployed stack has a CapturedEventsTableName output: is the replay stack deployed?');
  cli = new AwsContext(
    { prefix: replayStack.replace(/-Replay$/, '') },
    { cloudFormation: new CloudFormationClient(cfg), eventBridge: events, dynamo: doc },
  );
  captured = new CapturedStore({ tableName: stackOutput(ctx, 'CapturedEventsTableName'), client: doc });
  state = new ReplayStateStore({ tableName: stackOutput(ctx, 'ReplayStateTableName'), client: doc });
  reports = new ReportStore({ tableName: stackOutput(ctx, 'DiffReportTableName'), client: doc });
  audit = new AuditStore({ tableName: stackOutput(ctx, 'AuditTableName'), client: doc });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-e2e-'));
  // Every third order ships to DE: two planted differences among six.
  orders = Array.from({ length: ORDERS }, (_, n) => orderFixture(n, { prefix: runPrefix, foreignEvery: 3, at: new Date() }));
  damagedKey = `${runPrefix}999999`;
  windowFrom = Date.now() - 5_000;
});

afterAll(() => {
  events?.destroy();
  doc?.destroy();
  sqs?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function putLegacy(detailType: string, detail: unknown): Promise<void> {
  const res = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: stackOutput(ctx, 'LegacyBusName'),
          Source: spec.bridge.legacySource,
          DetailType: detailType,
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  expect(res.FailedEntryCount ?? 0).toBe(0);
}

async function capturedOfRun(): Promise<CapturedItem[]> {
  const mine = new Set(orders.map((o) => o.orderNo));
  const out: CapturedItem[] = [];
  for await (const item of captured.itemsInWindow({ fromMs: windowFrom, toMs: Date.now() + 60_000 })) {
    const key = item.entityKey ?? item.correlationId.replace(/^order-/, '');
    if (mine.has(key)) out.push(item);
  }
  return out;
}

function waitForFinal(replayId: string): Promise<ReplayState> {
  return waitFor(
    async () => {
      const st = await state.get(replayId);
      return st && FINAL_STATUSES.includes(st.status) ? st : undefined;
    },
    { what: `replay ${replayId} to finish`, timeoutMs: 180_000, intervalMs: 1_000 },
  );
}

/** The report must hold exactly the planted differences and the damaged record, nothing else. */
function expectPlanted(report: DiffReportJson): void {
  const foreign = orders.filter((o) => o.country !== 'GB').length;
  expect(report.totals).toEqual({
    read: ORDERS + 1,
    compared: ORDERS,
    matched: ORDERS - foreign,
    differed: foreign,
    missingOutcome: 0,
    extraOutcome: 0,
    skippedInvalid: 1,
    failed: 0,
    matchedWithNoise: 0,
  });
  expect(report.fieldsRanked.map((f) => [f.outcomeType, f.field, f.count, f.kinds.changed])).toEqual([
    ['inventory.reserved', 'warehouse', foreign, foreign],
  ]);
  for (const e of report.fieldsRanked[0].examples) expect([e.expected, e.actual]).toEqual(['BRS1', 'AMS1']);
  expect(report.outcomeTypesRanked).toEqual([]);
  expect(report.skipped.examples.map((s) => [s.id, s.code])).toEqual([[`damaged-${runPrefix}`, 'truncated-json']]);
}

const entityFilter = () => [...orders.map((o) => `order#${o.orderNo}`), `order#${damagedKey}`];

describe('Capture', () => {
  it('captures monolith inputs and their outcomes off the legacy bus: keyed, linked, translated, masked', async () => {
    // Act: the monolith's traffic, input first, then the outcome it caused
    for (const o of orders) await putLegacy('ORDER_PLACED', orderPlaced(o));
    await new Promise((r) => setTimeout(r, 1_500));
    for (const o of orders) await putLegacy('STOCK_RESERVED', stockReserved(o));

    // Assess
    const items = await waitFor(
      async () => {
        const got = await capturedOfRun();
        return got.filter((i) => i.role === 'input').length === ORDERS &&
          got.filter((i) => i.role === 'outcome' && i.sourceType === 'STOCK_RESERVED').length === ORDERS
          ? got
          : undefined;
      },
      { what: `${ORDERS} inputs and ${ORDERS} STOCK_RESERVED outcomes captured`, timeoutMs: 90_000, intervalMs: 1_000 },
    );
    const input = items.find((i) => i.role === 'input' && i.entityKey === orders[0].orderNo)!;
    expect(input.pk).toBe(`ENTITY#order#${orders[0].orderNo}`);
    expect(input.correlationId).toBe(`order-${orders[0].orderNo}`);
    expect(input.expiresAt).toBeGreaterThan(Date.now() / 1000 + 29 * 86400);
    expect(JSON.parse(input.event!).payload.SHIP_ADDR.STREET).toMatch(/^masked:[0-9a-f]{16}$/);
    const outcome = items.find(
      (i) => i.role === 'outcome' && i.correlationId === `order-${orders[0].orderNo}` && i.sourceType === 'STOCK_RESERVED',
    )!;
    expect(JSON.parse(outcome.event!)).toMatchObject({
      type: 'inventory.reserved',
      version: 1,
      payload: { orderId: orders[0].orderNo, warehouse: 'BRS1' },
    });

    // A damaged record in the window (a write cut off half way), for the replays below.
    const at = new Date(Date.now() - 1_000).toISOString();
    const sk = `${at}#000000000000#damaged-${runPrefix}`;
    await captured.putRaw({
      pk: `ENTITY#order#${damagedKey}`,
      sk,
      gsi1pk: `HOUR#${at.slice(0, 13)}`,
      gsi1sk: sk,
      role: 'input',
      format: 1,
      eventId: `damaged-${runPrefix}`,
      correlationId: `order-${damagedKey}`,
      capturedAt: at,
      sequence: 0,
      entityType: 'order',
      entityKey: damagedKey,
      eventType: 'ORDER_PLACED',
      sourceType: 'ORDER_PLACED',
      event: '{"type":"ORDER_PLACED","payload":{"MSG_ID":"MSG-DAMAGED","ORDER_NO":"1',
      expiresAt: Math.floor(Date.now() / 1000) + 86400,
    });
  });
});

describe('Replay and compare', () => {
  it('replays to the candidate from the CLI and reports exactly the planted differences and the damaged record', async () => {
    // Prepare
    const out: string[] = [];
    const io = { context: cli, sqs, stdout: (s: string) => void out.push(s), stderr: (s: string) => void out.push(s), cwd: dir };
    const replayId = `r-e2e-cli-${runPrefix}-${Date.now() % 100000}`;

    // Act
    const code = await replayStartCommand(
      {
        target: 'inventory',
        since: new Date(windowFrom).toISOString(),
        until: new Date(Date.now() + 1_000).toISOString(),
        entity: entityFilter(),
        rate: 50,
        settle: 5,
        id: replayId,
      },
      io,
    );
    const final = await waitForFinal(replayId);
    const report = (await reports.getReport(replayId))!;
    const printed: string[] = [];
    const diffCode = await diffReportCommand(
      replayId,
      { html: 'report.html' },
      { context: cli, stdout: (s) => void printed.push(s), stderr: () => undefined, cwd: dir },
    );

    // Assess
    expect(code).toBe(0);
    expect(final.status).toBe('completed');
    expectPlanted(report);
    expect(diffCode).toBe(1);
    expect(printed.join('')).toMatch(/inventory\.reserved\s+warehouse\s+2/);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('AMS1');

    // The audit log records the replay (its lifecycle events went over the services bus).
    const stream = await waitFor(
      async () => {
        const types: string[] = [];
        for await (const e of audit.readStream(`replay-${replayId}`)) types.push(String(e.detailType));
        return types.includes('replay.completed') ? types : undefined;
      },
      { what: `replay.started and replay.completed in the audit log of ${replayId}`, timeoutMs: 60_000 },
    );
    expect(stream).toEqual(expect.arrayContaining(['replay.started', 'replay.completed']));

    // Shadow mode: nothing the candidate emitted reached the services bus (its audit stream of the order).
    const sources: string[] = [];
    for await (const e of audit.readStream(`order-${orders[2].orderNo}`)) sources.push(String(e.source));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources).not.toContain('inventory-candidate');
  });

  it('starts from a replay.requested event on the services bus with the same result', async () => {
    // Prepare
    const replayId = `r-e2e-bus-${runPrefix}-${Date.now() % 100000}`;

    // Act
    const res = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: stackOutput(ctx, 'ServicesBusName'),
            Source: 'e2e.operator',
            DetailType: 'replay.requested',
            Detail: JSON.stringify({
              replayId,
              target: 'inventory',
              from: new Date(windowFrom).toISOString(),
              to: new Date(Date.now() + 1_000).toISOString(),
              entityIds: entityFilter(),
              ratePerSecond: 50,
              settleSeconds: 5,
            }),
          },
        ],
      }),
    );
    const final = await waitForFinal(replayId);

    // Assess
    expect(res.FailedEntryCount ?? 0).toBe(0);
    expect(final.status).toBe('completed');
    expectPlanted((await reports.getReport(replayId))!);
  });

  it('rehearses the exported capture offline with the same answer', async () => {
    // Prepare
    const err: string[] = [];
    const file = 'capture.jsonl';

    // Act
    const code = await captureExportCommand(
      {
        since: new Date(windowFrom).toISOString(),
        until: new Date(Date.now() + 1_000).toISOString(),
        target: 'inventory',
        entity: entityFilter(),
        out: file,
        config: path.join(__dirname, '..', '..', 'cutover.config.ts'),
      },
      { context: cli, stdout: () => undefined, stderr: (s) => void err.push(s), cwd: dir },
    );
    const report = await rehearse({
      captured: path.join(dir, file),
      handler: rehearsalHandler,
      compare: spec.capture!.compare,
      capability: 'inventory',
    });

    // Assess: the damaged record is named on export (exit 1) instead of being written
    expect(code).toBe(1);
    expect(err.join('')).toContain(`skipped damaged-${runPrefix}: truncated-json`);
    expect(report.totals).toMatchObject({
      read: ORDERS,
      compared: ORDERS,
      differed: orders.filter((o) => o.country !== 'GB').length,
      failed: 0,
    });
    expect(report.fieldsRanked.map((f) => f.field)).toEqual(['warehouse']);
  });
});
