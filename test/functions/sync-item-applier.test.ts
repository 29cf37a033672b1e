import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RowChange } from '../../core/sync/change';
import { ItemApplier, SYNC_POSITION_ATTR, SYNC_VERSION_ATTR } from '../../adapters/dynamodb/sync-item-applier';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { catalog, createSyncTables, type SyncTables } from './sync-dynalite';

/*
 * Monolith -> services against dynalite: the conditional write on the item (every mapped attribute as read,
 * the sync position), the engine's decision on the item, redelivery, parking, the ledger.
 */
let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

let ids = 100;
function stockChange(
  before: Record<string, string> | null,
  after: Record<string, string> | null,
  extra: Partial<RowChange> = {},
): RowChange {
  ids += 1;
  return {
    source: 'shop',
    changeId: String(ids),
    table: 'stock',
    key: { sku: 'SKU-1', warehouse_cd: 'W1' },
    operation: before === null ? 'insert' : after === null ? 'delete' : 'update',
    changedColumns: Object.keys(after ?? before ?? {}),
    before: before && { sku: 'SKU-1', warehouse_cd: 'W1', ...before },
    after: after && { sku: 'SKU-1', warehouse_cd: 'W1', ...after },
    txId: `tx${ids}`,
    origin: 'app',
    committedAt: '2026-12-06T02:00:00.000Z',
    ...extra,
  };
}

async function item(t: SyncTables) {
  const res = await db.client.send(
    new GetItemCommand({ TableName: t.tableNames.inventory, Key: { sku: { S: 'SKU-1' }, warehouse: { S: 'W1' } }, ConsistentRead: true }),
  );
  return res.Item;
}

async function setup() {
  const t = await createSyncTables(db);
  const applier = new ItemApplier({
    catalog,
    tableNames: t.tableNames,
    state: t.state,
    notifier: t.notifier,
    client: db.client,
    now: () => new Date('2026-12-06T02:00:01.000Z'),
  });
  return { t, applier };
}

describe('Class: ItemApplier', () => {
  describe('Method: apply', () => {
    it('creates the item from an insert, with the sync position and version', async () => {
      // Prepare
      const { t, applier } = await setup();

      // Act
      const out = await applier.apply(stockChange(null, { on_hand: '10', reserved: '0' }));

      // Assess
      expect(out).toEqual({ status: 'applied' });
      expect(await item(t)).toEqual({
        sku: { S: 'SKU-1' },
        warehouse: { S: 'W1' },
        onHand: { N: '10' },
        reserved: { N: '0' },
        [SYNC_POSITION_ATTR]: { N: String(ids) },
        [SYNC_VERSION_ATTR]: { N: '1' },
        _syncOrigin: { S: 'sync' },
      });
    });

    it('applies a change once when it is delivered twice', async () => {
      // Prepare
      const { t, applier } = await setup();
      await applier.apply(stockChange(null, { on_hand: '10', reserved: '0' }));
      const sell = stockChange({ on_hand: '10', reserved: '0' }, { on_hand: '7', reserved: '0' });

      // Act
      const first = await applier.apply(sell);
      const again = await applier.apply(sell);

      // Assess
      expect(first.status).toBe('applied');
      expect(again.status).toBe('duplicate');
      expect((await item(t))?.onHand).toEqual({ N: '7' });
    });

    it('never applies a change the sync itself made (origin sync)', async () => {
      // Prepare
      const { t, applier } = await setup();

      // Act
      const out = await applier.apply(stockChange(null, { on_hand: '10', reserved: '0' }, { origin: 'sync' }));

      // Assess
      expect(out.status).toBe('loop');
      expect(await item(t)).toBeUndefined();
    });

    it('keeps both increments when the service sold stock meanwhile (delta), and records the conflict', async () => {
      // Prepare
      const { t, applier } = await setup();
      await applier.apply(stockChange(null, { on_hand: '10', reserved: '0' }));
      // The service sells 2 directly on its table (an application write: the sync attributes untouched).
      await db.client.send(
        new UpdateItemCommand({
          TableName: t.tableNames.inventory,
          Key: { sku: { S: 'SKU-1' }, warehouse: { S: 'W1' } },
          UpdateExpression: 'SET onHand = :n',
          ExpressionAttributeValues: { ':n': { N: '8' } },
        }),
      );

      // Act: the monolith sold 3 on the same base.
      const out = await applier.apply(stockChange({ on_hand: '10', reserved: '0' }, { on_hand: '7', reserved: '0' }));

      // Assess
      expect(out.status).toBe('applied');
      expect((await item(t))?.onHand).toEqual({ N: '5' });
      const entry = await t.ledger.get((out as { conflictId: string }).conflictId);
      expect(entry).toMatchObject({
        entity: 'stock',
        status: 'resolved',
        fields: ['onHand'],
        winner: 'merged',
        resolvedBy: expect.stringContaining('policy:mergeFields'),
      });
      expect(entry?.base).toMatchObject({ onHand: { N: '10' } });
      expect(entry?.monolith).toMatchObject({ onHand: { N: '7' } });
      expect(entry?.service).toMatchObject({ onHand: { N: '8' } });
      expect(entry?.result).toMatchObject({ onHand: { N: '5' } });
    });

    it('decides again when the service writes between the read and the write', async () => {
      // Prepare
      const { t, applier } = await setup();
      await applier.apply(stockChange(null, { on_hand: '10', reserved: '0' }));
      let interfered = false;
      const racing = new ItemApplier({
        catalog,
        tableNames: t.tableNames,
        state: t.state,
        notifier: t.notifier,
        client: {
          send: async (cmd: unknown) => {
            // The first conditional write meets a service write that landed just before it.
            if (cmd instanceof UpdateItemCommand && !interfered) {
              interfered = true;
              await db.client.send(
                new UpdateItemCommand({
                  TableName: t.tableNames.inventory,
                  Key: { sku: { S: 'SKU-1' }, warehouse: { S: 'W1' } },
                  UpdateExpression: 'SET onHand = :n',
                  ExpressionAttributeValues: { ':n': { N: '9' } },
                }),
              );
            }
            return db.client.send(cmd as never);
          },
        } as never,
      });

      // Act
      const out = await racing.apply(stockChange({ on_hand: '10', reserved: '0' }, { on_hand: '7', reserved: '0' }));

      // Assess: 10 -3 (monolith) -1 (service) = 6, not the monolith's 7 over the service's write.
      expect(interfered).toBe(true);
      expect(out.status).toBe('applied');
      expect((await item(t))?.onHand).toEqual({ N: '6' });
    });

    it('compares nested attributes exactly in its write condition', async () => {
      // Prepare
      const { t, applier } = await setup();
      const order = (status: string, updated: string, id: number): RowChange => ({
        source: 'shop',
        changeId: String(id),
        table: 'orders',
        key: { order_no: '1000001' },
        operation: 'update',
        changedColumns: ['status'],
        before: null,
        after: {
          order_no: '1000001',
          cust_no: 'C1',
          order_dt: '20261121 143000',
          status,
          total_cents: '5497',
          currency: 'EUR',
          channel: 'WEB',
          coupon_code: '',
          ship_street: 's',
          ship_city: 'c',
          ship_zip: 'z',
          ship_country: 'FR',
          updated_at: updated,
        },
        txId: 'tx',
        origin: 'app',
        committedAt: '2026-12-06T02:00:00.000Z',
      });
      await applier.apply(order('P', '2026-12-06 02:00:00', 1));

      // Act
      const out = await applier.apply({ ...order('S', '2026-12-06 02:00:05', 2), before: order('P', '2026-12-06 02:00:00', 1).after });

      // Assess
      expect(out.status).toBe('applied');
      const res = await db.client.send(
        new GetItemCommand({ TableName: t.tableNames.orders, Key: { pk: { S: 'ORDER#1000001' }, sk: { S: 'ORDER' } } }),
      );
      expect(res.Item?.status).toEqual({ S: 'shipped' });
      expect(res.Item?.amount).toEqual({ M: { total: { S: '54.97' }, currency: { S: 'EUR' } } });
    });

    it('parks a key under a manual policy and queues its later changes', async () => {
      // Prepare
      const { t } = await setup();
      const manual = {
        ...catalog,
        bySourceTable: (table: string) => {
          const e = catalog.bySourceTable(table)!;
          return { ...e, rules: { policy: { kind: 'manual' as const } } };
        },
      } as unknown as typeof catalog;
      const applier = new ItemApplier({
        catalog: manual,
        tableNames: t.tableNames,
        state: t.state,
        notifier: t.notifier,
        client: db.client,
      });
      await applier.apply(stockChange(null, { on_hand: '10', reserved: '0' }));
      await db.client.send(
        new PutItemCommand({
          TableName: t.tableNames.inventory,
          Item: { sku: { S: 'SKU-1' }, warehouse: { S: 'W1' }, onHand: { N: '4' }, reserved: { N: '0' } },
        }),
      );

      // Act
      const parked = await applier.apply(stockChange({ on_hand: '10', reserved: '0' }, { on_hand: '7', reserved: '0' }));
      const queued = await applier.apply(stockChange({ on_hand: '7', reserved: '0' }, { on_hand: '6', reserved: '0' }));

      // Assess
      expect(parked.status).toBe('parked');
      expect(queued).toEqual({ status: 'queued', conflictId: (parked as { conflictId: string }).conflictId });
      expect((await item(t))?.onHand).toEqual({ N: '4' });
      expect((await t.ledger.get((parked as { conflictId: string }).conflictId))?.status).toBe('open');
      expect((await t.state.queued('stock', '[{"S":"SKU-1"},{"S":"W1"}]')).map((q) => q.position)).toEqual([String(ids - 1), String(ids)]);
      const open = [];
      for await (const c of t.ledger.list('open')) open.push(c.conflictId);
      expect(open).toEqual([(parked as { conflictId: string }).conflictId]);
    });

    it('rejects an unmappable row naming the column and the value', async () => {
      // Prepare
      const { applier } = await setup();

      // Act
      const out = await applier.apply(stockChange(null, { on_hand: 'lots', reserved: '0' }));

      // Assess
      expect(out).toMatchObject({ status: 'rejected', reject: { table: 'stock', column: 'on_hand', value: 'lots' } });
    });
  });
});
