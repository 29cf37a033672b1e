import type { SqlRowWrite, SqlRowWriter, SqlWriteResult } from '../../core/sync/change';
import { StreamApplier, isSyncWrite, tableOfStreamArn, type StreamChange } from '../../adapters/dynamodb/sync-stream-applier';
import { SyncStateStore } from '../../adapters/dynamodb/sync-state-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { catalog, createSyncTables, type SyncTables } from './sync-dynalite';

/*
 * Services -> monolith against dynalite (per-key state, ledger) and an in-memory monolith that answers
 * like the SQL writer: applied, or a conflict with the row as it is.
 */
let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

class MemoryMonolith implements SqlRowWriter {
  public readonly rows = new Map<string, Record<string, string | null>>();
  public readonly writes: SqlRowWrite[] = [];
  /** Change ids applied, committed with the row as the SQL writer's cutover_applied table is. */
  public readonly applied = new Set<string>();
  /** Throws on the next write before anything is written (a lost connection). */
  public failNext = false;
  public async write(w: SqlRowWrite): Promise<SqlWriteResult> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('connection lost');
    }
    this.writes.push(w);
    const id = `${w.table}:${JSON.stringify(w.key)}`;
    const current = this.rows.get(id) ?? null;
    if (w.changeId && this.applied.has(w.changeId)) return { status: 'applied', replayed: true };
    if (w.expected && (current === null || Object.entries(w.expected).some(([c, v]) => current[c] !== v)))
      return { status: 'conflict', current };
    if (w.operation === 'delete') this.rows.delete(id);
    else this.rows.set(id, { ...(current ?? {}), ...w.key, ...w.values });
    if (w.changeId) this.applied.add(w.changeId);
    return { status: 'applied' };
  }
}

const ARN = (table: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${table}/stream/2026-12-06T00:00:00.000`;
const stockItem = (onHand: number, extra: Record<string, unknown> = {}) => ({
  sku: { S: 'SKU-1' },
  warehouse: { S: 'W1' },
  onHand: { N: String(onHand) },
  reserved: { N: '0' },
  ...extra,
});
const rowId = 'stock:{"sku":"SKU-1","warehouse_cd":"W1"}';

async function setup() {
  const t: SyncTables = await createSyncTables(db);
  const monolith = new MemoryMonolith();
  monolith.rows.set(rowId, { sku: 'SKU-1', warehouse_cd: 'W1', on_hand: '10', reserved: '0' });
  const applier = new StreamApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, writer: monolith });
  const record = (
    seq: string,
    oldImage: Record<string, unknown> | undefined,
    newImage: Record<string, unknown> | undefined,
  ): StreamChange => ({
    eventName: !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY',
    eventSourceARN: ARN(t.tableNames.inventory),
    dynamodb: {
      Keys: { sku: { S: 'SKU-1' }, warehouse: { S: 'W1' } },
      OldImage: oldImage,
      NewImage: newImage,
      SequenceNumber: seq,
      ApproximateCreationDateTime: 1_765_000_000,
    },
  });
  return { t, monolith, applier, record };
}

describe('Class: StreamApplier', () => {
  describe('Method: apply', () => {
    it('writes a service change to the row, expecting the old image', async () => {
      // Prepare
      const { t, monolith, applier, record } = await setup();

      // Act
      const out = await applier.apply(record('100', stockItem(10), stockItem(8)));

      // Assess
      expect(out).toEqual({ status: 'applied' });
      expect(monolith.writes[0]).toEqual({
        table: 'stock',
        key: { sku: 'SKU-1', warehouse_cd: 'W1' },
        operation: 'update',
        values: { on_hand: '8', reserved: '0' },
        expected: { on_hand: '10', reserved: '0' },
        changeId: `${t.tableNames.inventory}/100`,
      });
      expect(monolith.rows.get(rowId)?.on_hand).toBe('8');
    });

    it('skips the sync its own item writes (no loop) and applies a record once', async () => {
      // Prepare
      const { monolith, applier, record } = await setup();

      // Act
      const own = await applier.apply(
        record('100', stockItem(10, { _syncVersion: { N: '1' } }), stockItem(8, { _syncVersion: { N: '2' } })),
      );
      const first = await applier.apply(
        record('101', stockItem(10, { _syncVersion: { N: '2' } }), stockItem(9, { _syncVersion: { N: '2' } })),
      );
      const again = await applier.apply(
        record('101', stockItem(10, { _syncVersion: { N: '2' } }), stockItem(9, { _syncVersion: { N: '2' } })),
      );

      // Assess
      expect(own.status).toBe('loop');
      expect(first.status).toBe('applied');
      expect(again.status).toBe('duplicate');
      expect(monolith.writes).toHaveLength(1);
    });

    it('keeps both increments when the monolith sold meanwhile, and records the conflict', async () => {
      // Prepare
      const { t, monolith, applier, record } = await setup();
      monolith.rows.set(rowId, { sku: 'SKU-1', warehouse_cd: 'W1', on_hand: '7', reserved: '0' });

      // Act: the service sold 2 from 10 while the monolith sold 3.
      const out = await applier.apply(record('100', stockItem(10), stockItem(8)));

      // Assess
      expect(out.status).toBe('applied');
      expect(monolith.rows.get(rowId)?.on_hand).toBe('5');
      expect(monolith.writes[1].expected).toEqual({ sku: 'SKU-1', warehouse_cd: 'W1', on_hand: '7', reserved: '0' });
      const entry = await t.ledger.get((out as { conflictId: string }).conflictId);
      expect(entry).toMatchObject({
        entity: 'stock',
        detectedBy: 'monolith',
        status: 'resolved',
        incoming: { side: 'service', position: '100' },
      });
    });

    it('does not apply a delta twice when redelivered after a crash between the write and its record', async () => {
      // Prepare
      const { t, monolith, record } = await setup();
      monolith.rows.set(rowId, { sku: 'SKU-1', warehouse_cd: 'W1', on_hand: '7', reserved: '0' });
      const crashing = new StreamApplier({
        catalog,
        tableNames: t.tableNames,
        state: Object.assign(Object.create(SyncStateStore.prototype), t.state, {
          markApplied: async () => {
            throw new Error('process killed');
          },
        }),
        notifier: t.notifier,
        writer: monolith,
      });
      const applier = new StreamApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, writer: monolith });
      await expect(crashing.apply(record('100', stockItem(10), stockItem(8)))).rejects.toThrow('process killed');
      expect(monolith.rows.get(rowId)?.on_hand).toBe('5');

      // Act
      const out = await applier.apply(record('100', stockItem(10), stockItem(8)));

      // Assess
      expect(out.status).toBe('duplicate');
      expect(monolith.rows.get(rowId)?.on_hand).toBe('5');
    });

    it('treats equal values on both sides as a conflict: both sold 3 from 10 leaves 4, not 7', async () => {
      // Prepare: the monolith sold 3 (10 -> 7) while the service sold 3 (10 -> 7).
      const { t, monolith, applier, record } = await setup();
      monolith.rows.set(rowId, { sku: 'SKU-1', warehouse_cd: 'W1', on_hand: '7', reserved: '0' });

      // Act
      const out = await applier.apply(record('100', stockItem(10), stockItem(7)));

      // Assess
      expect(out.status).toBe('applied');
      expect(monolith.rows.get(rowId)?.on_hand).toBe('4');
      expect(await t.ledger.get((out as { conflictId: string }).conflictId)).toMatchObject({ entity: 'stock', status: 'resolved' });
    });

    it('does not take a concurrent equal change for its own write after a crash before the write', async () => {
      // Prepare: the intent (on_hand 7) is recorded, then the write is lost; meanwhile the monolith sells 3.
      const { monolith, applier, record } = await setup();
      monolith.failNext = true;
      await expect(applier.apply(record('100', stockItem(10), stockItem(7)))).rejects.toThrow('connection lost');
      monolith.rows.set(rowId, { sku: 'SKU-1', warehouse_cd: 'W1', on_hand: '7', reserved: '0' });

      // Act: the redelivery meets a row holding exactly the intended values.
      const out = await applier.apply(record('100', stockItem(10), stockItem(7)));

      // Assess: both sales count.
      expect(out.status).toBe('applied');
      expect(monolith.rows.get(rowId)?.on_hand).toBe('4');
    });

    it('records the conflict of a write that committed just before a crash, on redelivery', async () => {
      // Prepare
      const { t, monolith, record } = await setup();
      monolith.rows.set(rowId, { sku: 'SKU-1', warehouse_cd: 'W1', on_hand: '7', reserved: '0' });
      const crashingNotifier = Object.assign(Object.create(Object.getPrototypeOf(t.notifier)), t.notifier, {
        detected: async () => {
          throw new Error('process killed');
        },
      });
      const crashing = new StreamApplier({
        catalog,
        tableNames: t.tableNames,
        state: t.state,
        notifier: crashingNotifier,
        writer: monolith,
      });
      const applier = new StreamApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, writer: monolith });
      await expect(crashing.apply(record('100', stockItem(10), stockItem(8)))).rejects.toThrow('process killed');

      // Act
      const out = await applier.apply(record('100', stockItem(10), stockItem(8)));

      // Assess
      expect(out.status).toBe('duplicate');
      expect(monolith.rows.get(rowId)?.on_hand).toBe('5');
      const resolved = [];
      for await (const e of t.ledger.list('resolved')) resolved.push(e);
      expect(resolved).toEqual([
        expect.objectContaining({ entity: 'stock', status: 'resolved', incoming: expect.objectContaining({ position: '100' }) }),
      ]);
    });

    it('queues a change for a parked key', async () => {
      // Prepare
      const { t, monolith, applier, record } = await setup();
      await t.state.park('stock', '[{"S":"SKU-1"},{"S":"W1"}]', 'c1', '2026-12-06T02:00:00.000Z');

      // Act
      const out = await applier.apply(record('100', stockItem(10), stockItem(8)));

      // Assess
      expect(out).toEqual({ status: 'queued', conflictId: 'c1' });
      expect(monolith.writes).toHaveLength(0);
      expect(await t.state.queued('stock', '[{"S":"SKU-1"},{"S":"W1"}]')).toHaveLength(1);
    });
  });
});

describe('Function: isSyncWrite', () => {
  it.each([
    ['an application update (version untouched)', { _syncVersion: { N: '2' } }, { _syncVersion: { N: '2' } }, false],
    ['an application put that drops the sync attributes', { _syncVersion: { N: '2' } }, {}, false],
    ['the sync its own update (version moved)', { _syncVersion: { N: '2' } }, { _syncVersion: { N: '3' } }, true],
    ['the sync its own insert', undefined, { _syncVersion: { N: '1' } }, true],
    ['the sync its own delete (marked)', { _syncDeleting: { S: '9' } }, undefined, true],
    ['an application delete', { _syncVersion: { N: '2' } }, undefined, false],
  ])('%s', (_name, oldImage, newImage, want) => {
    // Act / Assess
    expect(isSyncWrite(oldImage as never, newImage as never)).toBe(want);
  });

  it('reads the table from a stream ARN', () => {
    // Act / Assess
    expect(tableOfStreamArn(ARN('inventory-x'))).toBe('inventory-x');
    expect(() => tableOfStreamArn('nope')).toThrow('not a DynamoDB stream ARN');
  });
});
