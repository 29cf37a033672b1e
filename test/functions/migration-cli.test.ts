import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointTotals, parseCheckpoint } from '../../core/migration';
import { backfillCommand } from '../../cli/commands/backfill';
import { verifyCommand } from '../../cli/commands/verify';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { openAuditSink } from '../../cli/migration/audit';
import { AwsContext } from '../../cli/aws-context';
import { auditVerifyCommand } from '../../cli/commands/audit';
import { entrySortKey, type AuditEntry } from '../../core/audit';
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
  const AUDIT = 'audit-log';
  const doc = () => DynamoDBDocumentClient.from(dynamo.client);
  const auditEntries = async (): Promise<AuditEntry[]> => {
    const out: AuditEntry[] = [];
    for await (const e of new AuditStore({ tableName: AUDIT, client: doc() }).readStream('migration-orders')) out.push(e);
    return out;
  };
  const auditVerify = async () => {
    const out = new Sink();
    const code = await auditVerifyCommand(
      { table: AUDIT },
      { stdout: (t) => out.write(t), stderr: () => undefined, context: new AwsContext({}, { dynamo: doc() }) },
    );
    return { code, out: out.text };
  };

  beforeAll(async () => {
    writer = await openWriter(PG);
    await createMonolithSchema(writer, prefix);
    await seedMonolith(writer, { orders: ORDERS, badRows: 2, prefix });
    dynamo = await startDynalite();
    await createTableFor(dynamo.client, entity('orders'), 'shop-orders');
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: AUDIT,
        AttributeDefinitions: [
          { AttributeName: 'stream', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'stream', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
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
    '--audit-table',
    AUDIT,
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
      {
        source,
        entity: 'orders',
        table: 'shop-orders',
        stateDir: state,
        segments: 3,
        pageSize: 200,
        config: common.config,
        json: true,
        auditTable: AUDIT,
      },
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

    // Assess: each run is in the audit log's chain: three starts, and an end for the stopped and the last
    // run (the killed one never got to write its end).
    const entries = await auditEntries();
    expect(entries.map((e) => e.kind)).toEqual([
      'migration.backfill.started',
      'migration.backfill.finished',
      'migration.backfill.started',
      'migration.backfill.started',
      'migration.backfill.finished',
    ]);
    const stopped = JSON.parse(entries[1].payload) as { status: string };
    const last = JSON.parse(entries[4].payload) as { status: string; totals: { rows: number; rejected: number }; rejects: unknown[] };
    expect(stopped.status).toBe('aborted');
    expect(last).toMatchObject({ status: 'complete', entity: 'orders', table: 'shop-orders', totals: { rows: ORDERS - 2 } });
    expect(last.totals.rejected).toBe(2);
    for (const r of last.rejects) expect(r).toMatchObject({ table: expect.stringContaining('orders'), reason: expect.any(String) });
    expect(entries.every((e) => e.source === 'cutover.cli')).toBe(true);
    expect(await auditVerify()).toMatchObject({ code: 0 });
  }, 180_000);

  it('verify exits 1 with the differences, --repair fixes them with audit entries, and a report file holds everything', async () => {
    await deleteItem(dynamo.client, 'shop-orders', { pk: { S: 'ORDER#1000100' }, sk: { S: 'ORDER' } });
    const out = new Sink();
    const report = path.join(state, 'verify-report.json');
    const localCopy = path.join(state, 'audit-copy.jsonl');
    const before = (await auditEntries()).length;
    const opts = {
      source,
      entity: 'orders',
      table: 'shop-orders',
      segments: 2,
      workers: 0,
      repairLimit: 100,
      auditTable: AUDIT,
      audit: localCopy,
      lag: 0,
      limit: 50,
      report,
      ...common,
    };
    expect(await verifyCommand({ ...opts, repair: true }, { dynamo: dynamo.client, stdout: out, stderr: new Sink() })).toBe(1);
    expect(out.text).toContain('missing in target:\n    [{"S":"ORDER#1000100"},{"S":"ORDER"}]  (order_no=1000100)');
    expect(out.text).toContain('repaired 1 items (1 audit entries); verify again to confirm');
    expect(JSON.parse(fs.readFileSync(report, 'utf8'))).toMatchObject({ totals: { missing: 1 }, repaired: { items: 1 } });
    expect(await verifyCommand(opts, { dynamo: dynamo.client, stdout: new Sink(), stderr: new Sink() })).toBe(0);

    // Assess: the repair is the next link of the entity's chain, and the local copy holds the same entry.
    const entries = await auditEntries();
    expect(entries).toHaveLength(before + 1);
    const repair = entries[entries.length - 1];
    expect(repair.kind).toBe('migration.repair');
    expect(JSON.parse(repair.payload)).toMatchObject({
      kind: 'missing',
      key: '[{"S":"ORDER#1000100"},{"S":"ORDER"}]',
      table: 'shop-orders',
    });
    const copy = fs.readFileSync(localCopy, 'utf8').trim().split('\n');
    expect(copy).toHaveLength(1);
    expect(JSON.parse(copy[0])).toMatchObject({ stream: 'migration-orders', entry: { action: 'migration.repair' } });
    expect(await auditVerify()).toMatchObject({ code: 0 });

    // Assess: rewriting the repair's entry in place is caught by `cutover audit verify`.
    await doc().send(
      new PutCommand({
        TableName: AUDIT,
        Item: { ...repair, payload: repair.payload.replace('missing', 'different'), sk: entrySortKey(repair.sequence) },
      }),
    );
    const tampered = await auditVerify();
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain(`BROKEN "migration-orders"\n  at sequence ${repair.sequence} (hash)`);
  }, 120_000);

  it('refuses to start a backfill or a repair whose audit table cannot be found, naming the fix', async () => {
    const context = {
      output: async () => {
        throw new Error('no stack output AuditTableName in the 0 stack(s) named Cutover-*');
      },
    } as unknown as AwsContext;
    const err = new Sink();
    const base = { source, entity: 'orders', table: 'shop-orders', stateDir: state, segments: 1, pageSize: 10, config: common.config };
    expect(await backfillCommand(base, { dynamo: dynamo.client, context, stdout: new Sink(), stderr: err })).toBe(2);
    expect(err.text).toContain('cannot find the audit table, where this command records what it writes (no stack output AuditTableName');
    expect(err.text).toContain('fix: pass --audit-table <name> (the AuditTableName output), or --no-audit-log');
  });

  it('names the problem and exits 2 for an unknown entity or an unreachable source', async () => {
    const err = new Sink();
    const base = { source, table: 'shop-orders', stateDir: state, segments: 1, pageSize: 10, config: common.config, auditLog: false };
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

describe('Function: openAuditSink', () => {
  it.each([
    [{ auditLog: false }, 'nowhere (--no-audit-log)', false],
    [{ auditLog: false, audit: 'copy.jsonl' }, 'copy.jsonl only (--no-audit-log)', true],
  ])('with %j writes %s', async (opts, describe, writesFile) => {
    // Prepare
    const dir = tempDir('audit-sink');

    // Act
    const opened = await openAuditSink(opts, { cwd: dir });
    await opened.sink.append('migration-orders', { action: 'migration.repair', key: 'k1' });

    // Assess
    expect(opened.describe.endsWith(describe)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'copy.jsonl'))).toBe(writesFile);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
