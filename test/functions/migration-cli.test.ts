import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointTotals, parseCheckpoint } from '../../core/migration';
import { backfillCommand } from '../../cli/commands/backfill';
import { verifyCommand } from '../../cli/commands/verify';
import { MemoryAuditSink } from '../../cli/migration/audit';
import { createMonolithSchema, dropMonolithSchema, openWriter, seedMonolith, type MonolithWriter } from '../../monolith/database';
import { createTableFor, deleteItem, entity, scanAll, startDynalite, tempDir, uniquePrefix, type Dynalite } from './migration-support';

const PG = process.env.CUTOVER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = path.resolve(__dirname, '..', '..');
const ORDERS = 3000;

class Sink {
  public text = '';
  public write(t: string): boolean {
    this.text += t;
    return true;
  }
}

describe('Commands: cutover backfill / cutover verify', () => {
  const prefix = uniquePrefix('cli');
  const source = `${PG}?prefix=${prefix}`;
  let writer: MonolithWriter;
  let dynamo: Dynalite;
  let state: string;
  const common = { config: path.join(ROOT, 'cutover.config.ts') };

  beforeAll(async () => {
    writer = await openWriter(PG);
    await createMonolithSchema(writer, prefix);
    await seedMonolith(writer, { orders: ORDERS, badRows: 2, prefix });
    dynamo = await startDynalite();
    await createTableFor(dynamo.client, entity('orders'), 'shop-orders');
    state = tempDir('cli-state');
  }, 120_000);

  afterAll(async () => {
    await dropMonolithSchema(writer, prefix);
    await writer.close();
    await dynamo.close();
    fs.rmSync(state, { recursive: true, force: true });
  }, 60_000);

  const checkpointFile = () => path.join(state, 'backfill-orders-shop-orders.json');
  const rowsDone = () => {
    try {
      return checkpointTotals(parseCheckpoint(JSON.parse(fs.readFileSync(checkpointFile(), 'utf8')), 'checkpoint')).rows;
    } catch {
      return 0;
    }
  };

  /** Runs the CLI in a child process (tsx), as a user would. */
  let lastStderr = '';
  const cli = (args: string[]): { child: ChildProcess; exit: Promise<number | null>; stdout: () => string } => {
    let out = '';
    lastStderr = '';
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'migration-cli-runner.ts'), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: dynamo.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (lastStderr = (lastStderr + d.toString()).slice(-2000)));
    return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))), stdout: () => out };
  };

  const waitForRows = async (rows: number, exit: Promise<unknown>) => {
    let exited = false;
    void exit.then(() => (exited = true));
    for (let i = 0; i < 600 && !exited; i++) {
      if (rowsDone() >= rows) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the backfill did not reach ${rows} rows (at ${rowsDone()}, exited: ${exited}): ${lastStderr}`);
  };

  const backfillArgs = () => [
    'backfill',
    '--source',
    source,
    '--entity',
    'orders',
    '--table',
    'shop-orders',
    '--state-dir',
    state,
    '--segments',
    '3',
    '--page-size',
    '200',
    '--config',
    common.config,
  ];

  it('stops cleanly on SIGINT, survives SIGKILL, and the same command resumes to a clean verify', async () => {
    // Act 1: SIGINT part way: the run stops after the batch in flight, exit 130, checkpoint saved.
    const first = cli(backfillArgs());
    await waitForRows(300, first.exit);
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(130);
    expect(first.stdout()).toContain('stopped, run the same command to resume');
    const afterStop = rowsDone();
    expect(afterStop).toBeGreaterThan(0);

    // Act 2: resume in a new process and kill it hard part way.
    const second = cli(backfillArgs());
    await waitForRows(afterStop + 300, second.exit);
    second.child.kill('SIGKILL');
    await second.exit;
    const afterKill = rowsDone();
    expect(afterKill).toBeLessThan(ORDERS - 2);

    // Act 3: the same command again, in process, finishes the job.
    const out = new Sink();
    const code = await backfillCommand(
      { source, entity: 'orders', table: 'shop-orders', stateDir: state, segments: 3, pageSize: 200, config: common.config, json: true },
      { dynamo: dynamo.client, stdout: out, stderr: new Sink() },
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.text)).toMatchObject({ status: 'complete', resumed: true, rows: ORDERS - 2, rejected: 2 });
    expect(await scanAll(dynamo.client, 'shop-orders')).toHaveLength(ORDERS - 2);
    expect(fs.readFileSync(path.join(state, 'rejects-orders-shop-orders.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);

    // Assess: verify (in a child process, through the CLI) is clean.
    const check = cli(['verify', '--source', source, '--entity', 'orders', '--table', 'shop-orders', '--config', common.config]);
    expect(await check.exit).toBe(0);
    expect(check.stdout()).toMatch(/matched 2,998 {3}missing 0 {3}extra 0 {3}different 0/);
  }, 180_000);

  it('verify exits 1 with the differences, --repair fixes them with audit entries, and a report file holds everything', async () => {
    await deleteItem(dynamo.client, 'shop-orders', { pk: { S: 'ORDER#1000100' }, sk: { S: 'ORDER' } });
    const out = new Sink();
    const audit = new MemoryAuditSink();
    const report = path.join(state, 'verify-report.json');
    const opts = {
      source,
      entity: 'orders',
      table: 'shop-orders',
      segments: 2,
      workers: 0,
      repairLimit: 100,
      audit: 'unused',
      lag: 0,
      limit: 50,
      report,
      ...common,
    };
    expect(await verifyCommand({ ...opts, repair: true }, { dynamo: dynamo.client, stdout: out, stderr: new Sink(), audit })).toBe(1);
    expect(out.text).toContain('missing in target:\n    [{"S":"ORDER#1000100"},{"S":"ORDER"}]  (order_no=1000100)');
    expect(out.text).toContain('repaired 1 items (1 audit entries); verify again to confirm');
    expect(JSON.parse(fs.readFileSync(report, 'utf8'))).toMatchObject({ totals: { missing: 1 }, repaired: { items: 1 } });
    expect(audit.entries).toHaveLength(1);
    expect(await verifyCommand(opts, { dynamo: dynamo.client, stdout: new Sink(), stderr: new Sink() })).toBe(0);
  }, 120_000);

  it('names the problem and exits 2 for an unknown entity or an unreachable source', async () => {
    const err = new Sink();
    const base = { source, table: 'shop-orders', stateDir: state, segments: 1, pageSize: 10, config: common.config };
    expect(await backfillCommand({ ...base, entity: 'invoices' }, { dynamo: dynamo.client, stdout: new Sink(), stderr: err })).toBe(2);
    expect(err.text).toContain(
      '--entity: "invoices" is not an entity of the migration section (there are: orders, payments, shipments, customers, products, stock)',
    );
    const err2 = new Sink();
    expect(
      await backfillCommand(
        { ...base, entity: 'orders', restart: true, source: 'postgres://postgres@127.0.0.1:1/none' },
        { dynamo: dynamo.client, stdout: new Sink(), stderr: err2 },
      ),
    ).toBe(2);
    expect(err2.text).toMatch(/^error: postgres:\/\/postgres@127.0.0.1:1\/none: .* failed: /);
  }, 60_000);
});
