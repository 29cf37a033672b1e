import { Command } from 'commander';
import type { CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCommand, register, relayCommand, uninstallCommand } from '../../cli/commands/sync-capture';
import { createShopSchema, postgresFixture, stockRow, type CaptureFixture } from './sync-capture-support';

class Capture {
  public text = '';
  public write(t: string): boolean {
    this.text += t;
    return true;
  }
}

describe('Command: cutover sync install|uninstall|relay', () => {
  let fixture: CaptureFixture;
  let db: CaptureDatabase;
  const config = 'cutover.config.ts';

  beforeAll(async () => {
    fixture = await postgresFixture();
    db = await fixture.open();
    await createShopSchema(db);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await fixture?.drop();
  }, 60_000);

  const tablesNamed = async (pattern: string) =>
    (
      await db.query(`SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE $2`, [
        db.schema,
        pattern,
      ])
    ).length;

  it('--dry-run prints the DDL for the entities (children included, service table names resolved) and creates nothing', async () => {
    // Prepare
    const stdout = new Capture();

    // Act
    const code = await installCommand(
      { source: fixture.url, entity: ['orders', 'inventory'], config, dryRun: true },
      { stdout, stderr: new Capture() },
    );

    // Assess
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/trigger order_lines\.cutover_capture: would be created/);
    expect(stdout.text).toMatch(/trigger stock\.cutover_capture: would be created/);
    expect(stdout.text).toMatch(/CREATE TRIGGER cutover_capture AFTER INSERT OR UPDATE OR DELETE ON "[^"]+"\."orders"/);
    expect(await tablesNamed('cutover%')).toBe(0);
  });

  it('installs, says so, and says there is nothing to do the second time', async () => {
    const first = new Capture();
    const second = new Capture();
    expect(await installCommand({ source: fixture.url, entity: ['stock'], config }, { stdout: first })).toBe(0);
    expect(await installCommand({ source: fixture.url, entity: ['stock'], config }, { stdout: second })).toBe(0);
    expect(first.text).toMatch(/created {2}\s*trigger stock\.cutover_capture/);
    expect(second.text).toMatch(/capture already installed .*: nothing to do/);
  });

  it('relays to stdout as JSON lines with --once, then reports the watermark', async () => {
    // Prepare
    await db.exec(stockRow('CLI1', 3));
    const stdout = new Capture();
    const stderr = new Capture();

    // Act
    const code = await relayCommand(
      {
        source: fixture.url,
        config,
        stdout: true,
        once: true,
        sourceName: 'shop',
        batchSize: 100,
        pollMs: 10,
        leaseMs: 5000,
        rejects: '/tmp/a11c-rejects.jsonl',
        retainMinutes: 1440,
      },
      { stdout, stderr, signal: new AbortController().signal },
    );

    // Assess
    expect(code).toBe(0);
    const lines = stdout.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ source: 'shop', table: 'stock', operation: 'insert', key: { sku: 'CLI1', warehouse_cd: 'W1' } }),
    ]);
    expect(stderr.text).toMatch(/relay stopped: 1 shipped.*watermark 1, backlog 0/);
  });

  it('exits 2 with the reason when told nothing about where changes go, or an entity is unknown', async () => {
    const stderr = new Capture();
    expect(
      await relayCommand(
        { source: fixture.url, config, sourceName: 'shop', batchSize: 1, pollMs: 1, leaseMs: 1, rejects: 'x', retainMinutes: 0 },
        { stderr },
      ),
    ).toBe(2);
    expect(await installCommand({ source: fixture.url, entity: ['warehouses'], config }, { stderr })).toBe(2);
    expect(stderr.text).toMatch(/--queue-url <SQS FIFO queue URL> or --stdout/);
    expect(stderr.text).toMatch(/"warehouses" is neither an entity nor the target table/);
  });

  it('uninstalls (dry run first: the statements only)', async () => {
    const dry = new Capture();
    await uninstallCommand({ source: fixture.url, config, dryRun: true, dropTables: true }, { stdout: dry });
    expect(dry.text).toMatch(/DROP TRIGGER IF EXISTS cutover_capture ON .*"stock"/);
    expect(await tablesNamed('cutover%')).toBe(4); // changes, relay, capture state, applied keys
    expect(await uninstallCommand({ source: fixture.url, config, dropTables: true }, { stdout: new Capture() })).toBe(0);
    expect(await tablesNamed('cutover%')).toBe(0);
  });

  it('registers under one sync group, whoever registers first', () => {
    // Prepare
    const program = new Command();
    program.command('sync').description('created elsewhere');

    // Act
    register(program);

    // Assess
    const sync = program.commands.filter((c) => c.name() === 'sync');
    expect(sync).toHaveLength(1);
    expect(sync[0].commands.map((c) => c.name())).toEqual(['install', 'uninstall', 'relay']);
  });
});
