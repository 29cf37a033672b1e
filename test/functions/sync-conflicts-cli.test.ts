import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { RowChange, SqlRowWrite, SqlRowWriter, SqlWriteResult } from '../../core/sync/change';
import { SyncCatalog } from '../../core/sync/catalog';
import { ItemApplier } from '../../adapters/dynamodb/sync-item-applier';
import { ConflictResolution } from '../../adapters/dynamodb/sync-resolve';
import {
  conflictsListCommand,
  conflictsResolveCommand,
  conflictsShowCommand,
  syncStatusCommand,
  type SyncCliDeps,
} from '../../cli/commands/sync-conflicts';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { createSyncTables, spec } from './sync-dynalite';

/* `cutover sync conflicts list|show|resolve` and `sync status` against dynalite: a manual conflict end to end. */
let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

class Monolith implements SqlRowWriter {
  public readonly writes: SqlRowWrite[] = [];
  public async write(w: SqlRowWrite): Promise<SqlWriteResult> {
    this.writes.push(w);
    return { status: 'applied' };
  }
}

// The customers entity under a manual policy.
const manualSpec = { ...spec, sync: { ...spec.sync!, entities: { ...spec.sync!.entities, customers: { policy: 'manual' as const } } } };
const catalog = new SyncCatalog(manualSpec.sync, manualSpec.migration!.entities);
const row = (email: string) => ({
  cust_no: 'C1',
  email,
  first_name: 'Ada',
  last_name: 'L',
  phone: '',
  marketing_opt_in: 'Y',
  tier: 'GOLD',
  created_dt: '20261121 143000',
});
let id = 0;
const change = (before: ReturnType<typeof row> | null, after: ReturnType<typeof row>): RowChange => ({
  source: 'shop',
  changeId: String(++id),
  table: 'customers',
  key: { cust_no: 'C1' },
  operation: before ? 'update' : 'insert',
  changedColumns: ['email'],
  before,
  after,
  txId: 't',
  origin: 'app',
  committedAt: '2026-12-06T02:00:00.000Z',
});

async function parkedWorld() {
  const t = await createSyncTables(db);
  const items = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client: db.client });
  await items.apply(change(null, row('a@x')));
  // The service changes the e-mail; the monolith changes it too, from the same base.
  await db.client.send(
    new PutItemCommand({
      TableName: t.tableNames.customers,
      Item: {
        customerId: { S: 'C1' },
        email: { S: 's@x' },
        firstName: { S: 'Ada' },
        lastName: { S: 'L' },
        marketingOptIn: { BOOL: true },
        tier: { S: 'gold' },
        createdAt: { S: '2026-11-21T14:30:00Z' },
      },
    }),
  );
  const parked = await items.apply(change(row('a@x'), row('m@x')));
  const queued = await items.apply(change(row('m@x'), row('m2@x')));
  const monolith = new Monolith();
  const deps: SyncCliDeps = {
    spec: manualSpec as never,
    ledger: t.ledger,
    state: t.state,
    resolution: async (writer) =>
      new ConflictResolution({
        catalog,
        ledger: t.ledger,
        state: t.state,
        items,
        writer,
        notifier: t.notifier,
        now: () => new Date('2026-12-06T03:00:00.000Z'),
      }),
    openWriter: async () => ({ writer: monolith, close: async () => undefined }),
    relayStatus: async () => ({
      name: 'shop',
      watermark: '9',
      owner: null,
      leaseUntil: null,
      shippedTotal: 9,
      lastError: null,
      backlog: 3,
      oldestUnshippedAt: '2026-12-06T02:58:00.000Z',
    }),
    now: () => new Date('2026-12-06T03:00:00.000Z'),
  };
  return { t, deps, monolith, conflictId: (parked as { conflictId: string }).conflictId, parked, queued };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) }, out, err };
}

describe('Command: sync conflicts', () => {
  it('lists and shows an open manual conflict with both versions and the base', async () => {
    // Prepare
    const { deps, conflictId, parked, queued } = await parkedWorld();
    const list = capture();
    const show = capture();

    // Act
    const listed = await conflictsListCommand({}, list.io, deps);
    const shown = await conflictsShowCommand(conflictId, {}, show.io, deps);

    // Assess
    expect(parked.status).toBe('parked');
    expect(queued.status).toBe('queued');
    expect(listed).toBe(0);
    expect(list.out.join('')).toContain(conflictId);
    expect(list.out.join('')).toContain('1 open conflict(s)');
    expect(shown).toBe(0);
    const text = show.out.join('');
    expect(text).toContain('base     customerId="C1", email="a@x"');
    expect(text).toContain('monolith customerId="C1", email="m@x"');
    expect(text).toContain('service  customerId="C1", email="s@x"');
    expect(text).toContain('policy   manual');
  });

  it('resolves by taking the service version: both sides written, ledger settled with the reason, the queue replayed', async () => {
    // Prepare
    const { t, deps, monolith, conflictId } = await parkedWorld();
    const res = capture();

    // Act
    const code = await conflictsResolveCommand(
      conflictId,
      { take: 'service', reason: 'the customer changed it in the app', actor: 'ana', source: 'postgres://x' },
      res.io,
      deps,
    );

    // Assess
    expect(code).toBe(0);
    const entry = await t.ledger.get(conflictId);
    expect(entry).toMatchObject({
      status: 'resolved',
      winner: 'service',
      resolvedBy: 'user:ana',
      reason: 'the customer changed it in the app',
      resolvedAt: '2026-12-06T03:00:00.000Z',
    });
    expect(monolith.writes[0]).toMatchObject({ table: 'customers', key: { cust_no: 'C1' }, operation: 'update', values: { email: 's@x' } });
    expect(res.out.join('')).toContain('replayed 1 queued change(s), dropped 1 settled by this choice');
    const item = await db.client.send(new GetItemCommand({ TableName: t.tableNames.customers, Key: { customerId: { S: 'C1' } } }));
    expect(item.Item?.email).toEqual({ S: 's@x' });
    // The later monolith change (m@x -> m2@x) was made on the losing version: it conflicts with the
    // resolution and parks the key again behind a new conflict, still queued, not lost.
    const again = await t.state.parkedBy('customers', '[{"S":"C1"}]');
    expect(again).toBeDefined();
    expect(again).not.toBe(conflictId);
    expect((await t.state.queued('customers', '[{"S":"C1"}]')).map((q) => q.position)).toEqual([String(id)]);
  });

  it('refuses to resolve twice and names who settled it', async () => {
    // Prepare
    const { deps, conflictId } = await parkedWorld();
    await conflictsResolveCommand(conflictId, { take: 'monolith', reason: 'ops', actor: 'bo' }, capture().io, deps);
    const again = capture();

    // Act
    const code = await conflictsResolveCommand(conflictId, { take: 'service', reason: 'late', actor: 'cy' }, again.io, deps);

    // Assess
    expect(code).toBe(2);
    expect(again.err.join('')).toContain(`conflict ${conflictId} is already resolved (by user:bo)`);
  });

  it('asks for the merged record with --take merged', async () => {
    // Prepare
    const { deps, conflictId } = await parkedWorld();
    const res = capture();

    // Act
    const code = await conflictsResolveCommand(conflictId, { take: 'merged', reason: 'x' }, res.io, deps);

    // Assess
    expect(code).toBe(2);
    expect(res.err.join('')).toContain('--take merged needs the merged record');
  });
});

describe('Command: sync status', () => {
  it('exits 1 when the relay lags more than the spec tolerance, with open conflicts per entity', async () => {
    // Prepare
    const { deps } = await parkedWorld();
    const res = capture();

    // Act
    const code = await syncStatusCommand({ source: 'postgres://x' }, res.io, deps);

    // Assess: the oldest unshipped change is 120 s old, the tolerance 60 s.
    expect(code).toBe(1);
    expect(res.out.join('')).toContain('customers    open conflicts: 1');
    expect(res.out.join('')).toContain('lag 120.0 s (tolerance 60 s), backlog 3');
  });

  it.each([
    [
      'stopped, no stream data',
      'stopped',
      undefined,
      0,
      'sync: stopped (cutover sync start',
      'services -> monolith: no IteratorAge data in the last 5 min (stopped, or no service writes)',
    ],
    [
      'running, the stream applier within tolerance',
      'running',
      12_500,
      0,
      'sync: running\n',
      'services -> monolith: lag 12.5 s (stream IteratorAge',
    ],
    ['running, the stream applier over tolerance', 'running', 95_000, 1, 'sync: running\n', 'services -> monolith: lag 95.0 s'],
  ] as const)('reports the run state and the services -> monolith lag: %s', async (_name, state, ageMs, exit, runLine, lagLine) => {
    // Prepare
    const { deps } = await parkedWorld();
    const res = capture();
    const withSwitch = {
      ...deps,
      switchStatus: async () => ({ state, relaySchedule: state === 'running' ? 'ENABLED' : 'DISABLED', streams: [] }),
      streamLagMs: async () => ageMs,
    };

    // Act
    const code = await syncStatusCommand({}, res.io, withSwitch);

    // Assess
    expect(code).toBe(exit);
    expect(res.out.join('')).toContain(runLine);
    expect(res.out.join('')).toContain(lagLine);
    if (exit) expect(res.err.join('')).toContain('the stream applier lags 95.0 s');
  });
});
