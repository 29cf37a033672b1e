import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SQSClient } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiffReport, type DiffReportJson } from '../../core/compare';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { rehearse } from '../../cli/rehearse';
import { AwsContext } from '../../cli/aws-context';
import { captureExportCommand, captureListCommand } from '../../cli/commands/capture';
import { diffReportCommand } from '../../cli/commands/diff';
import { replayControlCommand, replayStartCommand, replayStatusCommand } from '../../cli/commands/replay';
import { parseTimeArg } from '../../cli/replay/support';
import { StderrProgress } from '../../cli/migration/progress';
import { Capturer } from '../../functions/capture/handler';
import { rehearsalHandler } from '../../functions/inventory-candidate/rehearse';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { Logger } from '../../functions/shared/logger';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { ReplayStateStore } from '../../adapters/dynamodb/replay-state-store';
import { busEvent, orderFixture, orderPlaced, stockReserved } from './replay-fixtures';
import { startReplayTables, type ReplayTables } from './replay-dynalite';

/*
 * The capture, replay and diff commands against dynalite, with stack outputs from a fake CloudFormation
 * and the work queue recorded. Also: an export rehearsed offline with the inventory candidate finds the
 * same planted difference the cloud replay finds.
 */
let spec: Spec;
let t: ReplayTables;
let dir: string;
const sent: Array<Record<string, unknown>> = [];
const NOW = Date.parse('2026-11-21T15:00:00.000Z');
const T0 = Date.parse('2026-11-21T14:30:00.000Z');
const quiet = new Logger('test');
(quiet as unknown as { threshold: number }).threshold = 100;

function context(targets = '{"inventory":"cand-fn"}'): AwsContext {
  const outputs = [
    ['CapturedEventsTableName', t.captured],
    ['ReplayStateTableName', t.state],
    ['DiffReportTableName', t.reports],
    ['ReplayQueueUrl', 'http://queue/replay'],
    ['ReplayTargets', targets],
  ].map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
  // A real client (the CLI pages DescribeStacks with the SDK's paginator, which checks the client's class).
  const cfn = new CloudFormationClient({ region: 'us-east-1' });
  cfn.send = (async () => ({ Stacks: [{ StackName: 'Cutover-Replay', StackStatus: 'CREATE_COMPLETE', Outputs: outputs }] })) as never;
  return new AwsContext({}, { cloudFormation: cfn, dynamo: t.db.doc });
}

const sqs = {
  send: async (cmd: { input: { MessageBody: string } }) => void sent.push(JSON.parse(cmd.input.MessageBody)),
} as unknown as SQSClient;

function io(extra: Record<string, unknown> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (s: string) => void out.push(s),
      stderr: (s: string) => void err.push(s),
      context: context(),
      sqs,
      now: () => NOW,
      cwd: dir,
      ...extra,
    },
  };
}

beforeAll(async () => {
  spec = parseSpec(config);
  t = await startReplayTables();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-cli-'));
  const capturer = new Capturer({ spec, store: new CapturedStore({ tableName: t.captured, client: t.db.doc }), logger: quiet });
  for (let n = 0; n < 6; n += 1) {
    const o = orderFixture(n, { prefix: 5 });
    await capturer.handleEvent(busEvent(`in-${n}`, 'ORDER_PLACED', orderPlaced(o)), T0 + n * 20);
    await capturer.handleEvent(busEvent(`out-${n}`, 'STOCK_RESERVED', stockReserved(o)), T0 + n * 20 + 5);
    // An outcome another capability owns: exported only without --target.
    await capturer.handleEvent(
      busEvent(`pay-${n}`, 'PAYMENT_CAPTURED', {
        MSG_ID: `MSG-${o.orderNo}-PAY`,
        ORDER_NO: o.orderNo,
        PAYMENT_ID: 'PAY0000123',
        AMOUNT_CENTS: '100',
        CURRENCY: 'EUR',
        METHOD: 'CARD',
        CAPTURED_DT: '20261121 143012',
      }),
      T0 + n * 20 + 9,
    );
  }
  await new CapturedStore({ tableName: t.captured, client: t.db.doc }).putRaw({
    pk: 'ENTITY#order#5999999',
    sk: '2026-11-21T14:40:00.000Z#000000000000#broken-1',
    gsi1pk: 'HOUR#2026-11-21T14',
    gsi1sk: '2026-11-21T14:40:00.000Z#000000000000#broken-1',
    role: 'input',
    format: 1,
    eventId: 'broken-1',
    correlationId: 'order-5999999',
    capturedAt: '2026-11-21T14:40:00.000Z',
    entityType: 'order',
    entityKey: '5999999',
    eventType: 'ORDER_PLACED',
    sourceType: 'ORDER_PLACED',
    event: '{"type":"ORDER_PLACED","payload":{"ORD',
    expiresAt: 2_000_000_000,
  });
});

afterAll(async () => {
  await t.db.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Function: parseTimeArg', () => {
  it.each([
    ['now', NOW],
    ['90s', NOW - 90_000],
    ['15m', NOW - 900_000],
    ['1h', NOW - 3_600_000],
    ['2d', NOW - 2 * 86_400_000],
    ['2026-11-21T14:00:00Z', Date.parse('2026-11-21T14:00:00Z')],
  ])('reads %s', (text, expected) => {
    expect(parseTimeArg(text, NOW)).toBe(expected);
  });

  it.each(['yesterday', '1y', '-1h', ''])('refuses %j, naming the forms it takes', (text) => {
    expect(() => parseTimeArg(text, NOW)).toThrow(/expected now, a duration back from now .* got/);
  });
});

describe('Command: cutover capture', () => {
  it('list shows inputs and outcomes of the window, and --type narrows it', async () => {
    // Prepare
    const all = io();
    const only = io();

    // Act
    const a = await captureListCommand({ since: '1h' }, all.io);
    const b = await captureListCommand({ since: '1h', type: ['STOCK_RESERVED'] }, only.io);

    // Assess
    expect([a, b]).toEqual([0, 0]);
    expect(all.out.join('')).toContain('19 captured event(s)');
    expect(only.out.join('')).toContain('6 captured event(s)');
    expect(only.out.join('')).toContain('STOCK_RESERVED -> inventory.reserved');
  });

  it('export --target writes the target inputs with only the outcomes it owns, and names what it left out', async () => {
    // Prepare
    const run = io();

    // Act
    const code = await captureExportCommand(
      { since: '1h', target: 'inventory', out: 'export.jsonl', config: path.join(__dirname, '..', '..', 'cutover.config.ts') },
      run.io,
    );

    // Assess
    expect(code).toBe(1);
    const lines = fs
      .readFileSync(path.join(dir, 'export.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => l.id)).toEqual(['in-0', 'in-1', 'in-2', 'in-3', 'in-4', 'in-5']);
    expect(lines.every((l) => l.outcomes.length === 1 && l.outcomes[0].type === 'inventory.reserved')).toBe(true);
    const stderr = run.err.join('');
    expect(stderr).toContain('skipped broken-1: truncated-json');
    expect(stderr).toContain('6 outcome(s) owned by other capabilities left out for inventory');
  });

  it('an export rehearsed offline with the inventory candidate finds exactly the planted difference', async () => {
    // Act
    const report = await rehearse({
      captured: path.join(dir, 'export.jsonl'),
      handler: rehearsalHandler,
      compare: spec.capture!.compare,
      capability: 'inventory',
      target: 'inventory-candidate',
    });

    // Assess: orders 2 and 5 ship to DE
    expect(report.totals).toMatchObject({ read: 6, compared: 6, matched: 4, differed: 2, failed: 0, skippedInvalid: 0 });
    expect(report.fieldsRanked.map((f) => [f.outcomeType, f.field, f.count])).toEqual([['inventory.reserved', 'warehouse', 2]]);
  });
});

describe('Command: cutover replay', () => {
  it('start creates the replay and queues it; status shows it', async () => {
    // Prepare
    const run = io();
    const status = io();
    sent.length = 0;

    // Act
    const code = await replayStartCommand({ target: 'inventory', since: '1h', rate: 50, sample: 50, id: 'r-cli-1' }, run.io);
    const s = await replayStatusCommand('r-cli-1', {}, status.io);

    // Assess
    expect([code, s]).toEqual([0, 0]);
    expect(sent).toEqual([
      {
        kind: 'start',
        request: expect.objectContaining({
          replayId: 'r-cli-1',
          target: 'inventory',
          from: '2026-11-21T14:00:00.000Z',
          to: '2026-11-21T15:00:00.000Z',
          ratePerSecond: 50,
          samplePercent: 50,
        }),
      },
    ]);
    expect(status.out.join('')).toContain('replay r-cli-1 -> inventory: pending (phase send)');
    expect(status.out.join('')).toContain('sample 50%');
  });

  describe('Method: start --wait', () => {
    /** A runner's life, one step per poll: running with a plan, halfway, then completed with nothing different. */
    function runner(replayId: string) {
      const store = new ReplayStateStore({ tableName: t.state, client: t.db.doc });
      const counts = (done: number) => ({ planned: 4, done, skipped: 0, failed: 0, blocked: 0 });
      const steps = [
        async () => {
          await store.acquireLease(replayId, 'runner-1', Date.now() + 600_000);
          await store.markRunning(replayId, 'runner-1');
          await store.update(replayId, 'runner-1', { progress: counts(0) });
        },
        async () => store.update(replayId, 'runner-1', { progress: counts(2) }),
        async () =>
          store.update(replayId, 'runner-1', {
            status: 'completed',
            phase: 'done',
            progress: counts(4),
            totals: { compared: 4, matched: 4, differed: 0, missingOutcome: 0, extraOutcome: 0, skippedInvalid: 0, failed: 0 },
          }),
      ];
      return async () => {
        await steps.shift()?.();
      };
    }

    it('prints one plain line per change when stderr is not a terminal (CI logs), and exits 0 when nothing differed', async () => {
      // Prepare
      const run = io({ sleep: runner('r-cli-w1'), pollMs: 1 });

      // Act
      const code = await replayStartCommand({ target: 'inventory', since: '1h', id: 'r-cli-w1', wait: true }, run.io);

      // Assess
      expect(code).toBe(0);
      expect(run.err.join('')).toBe(['pending send', 'running send 0/4', 'running send 2/4', 'completed done 4/4', ''].join('\n'));
      expect(run.out.join('')).toContain('4 compared: 4 matched, 0 differed');
    });

    it('draws a progress bar on a terminal, restarted when the plan is known, ended with the outcome', async () => {
      // Prepare
      const tty = {
        text: '',
        isTTY: true,
        columns: 200,
        write(t: string) {
          this.text += t;
          return true;
        },
      };
      const run = io({ sleep: runner('r-cli-w2'), pollMs: 1, progress: new StderrProgress(tty, { unit: 'interactions' }) });

      // Act
      const code = await replayStartCommand({ target: 'inventory', since: '1h', id: 'r-cli-w2', wait: true }, run.io);

      // Assess
      expect(code).toBe(0);
      expect(run.err).toEqual([]);
      expect(tty.text).toContain('replay r-cli-w2  0');
      expect(tty.text).toContain('replay r-cli-w2  [------------------------]    0.0%  0/4');
      expect(tty.text).toMatch(/100\.0% {2}4\/4 .*completed done/);
      expect(tty.text.indexOf('completed done')).toBeGreaterThan(tty.text.lastIndexOf('0/4'));
      expect(tty.text.endsWith('\n')).toBe(true);
    });
  });

  it('start refuses a target that is not deployed, naming the deployed ones', async () => {
    // Prepare
    const run = io();

    // Act
    const code = await replayStartCommand({ target: 'payment', since: '1h' }, run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.err.join('')).toMatch(/no replay target payment is deployed \(targets: inventory\)/);
  });

  it('pause, resume and cancel change the status and wake the runner when it must act', async () => {
    // Prepare
    sent.length = 0;
    const runs = [io(), io(), io(), io()];

    // Act
    const codes = [
      await replayControlCommand('pause', 'r-cli-1', runs[0].io),
      await replayControlCommand('resume', 'r-cli-1', runs[1].io),
      await replayControlCommand('cancel', 'r-cli-1', runs[2].io),
      await replayControlCommand('resume', 'r-cli-1', runs[3].io),
    ];

    // Assess
    expect(codes).toEqual([0, 0, 0, 2]);
    expect(sent).toEqual([
      { kind: 'continue', replayId: 'r-cli-1' },
      { kind: 'continue', replayId: 'r-cli-1' },
    ]);
    expect((await new ReplayStateStore({ tableName: t.state, client: t.db.doc }).get('r-cli-1'))!.status).toBe('cancelling');
    expect(runs[3].err.join('')).toMatch(/replay r-cli-1 is cancelling; it can become running only from paused/);
  });
});

describe('Command: cutover diff report', () => {
  it('prints the report, writes the HTML page, and exits 1 when something differed', async () => {
    // Prepare
    const r = new DiffReport({ replayId: 'r-cli-2', target: 'inventory' });
    r.addComparison({
      id: 'i1',
      status: 'differed',
      outcomes: [
        {
          type: 'inventory.reserved',
          occurrence: 0,
          status: 'differed',
          diffs: [{ path: 'warehouse', field: 'warehouse', kind: 'changed', expected: 'BRS1', actual: 'AMS1' }],
          noiseDiffs: [],
          truncated: false,
        },
      ],
    });
    const json: DiffReportJson = r.finish().toJSON();
    await new ReportStore({ tableName: t.reports, client: t.db.doc, chunkChars: 100 }).putReport('r-cli-2', json);
    const run = io();

    // Act
    const code = await diffReportCommand('r-cli-2', { html: 'report.html' }, run.io);

    // Assess
    expect(code).toBe(1);
    expect(run.out.join('')).toContain('Replay report r-cli-2 -> inventory');
    expect(run.out.join('')).toMatch(/inventory\.reserved\s+warehouse\s+1/);
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('<h1>Replay report r-cli-2 - inventory</h1>');
  });

  it('says the replay has no report yet, and where it is', async () => {
    // Prepare
    const run = io();

    // Act
    const code = await diffReportCommand('r-cli-1', {}, run.io);

    // Assess
    expect(code).toBe(2);
    expect(run.err.join('')).toMatch(/replay r-cli-1 has no report yet: it is cancelling \(phase send\)/);
  });
});
