import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { RowChange, SqlRowWrite, SqlRowWriter, SqlWriteResult } from '../../core/sync/change';
import type { Item } from '../../core/migration/attribute-value';
import { ItemApplier, SYNC_POSITION_ATTR } from '../../adapters/dynamodb/sync-item-applier';
import { StreamApplier } from '../../adapters/dynamodb/sync-stream-applier';
import { SyncError } from '../../core/sync/errors';
import { SyncCatalog } from '../../core/sync/catalog';
import type { MigrationEntity } from '../../core/spec/migration';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { catalog, createSyncTables, type SyncTables } from './sync-dynalite';

/*
 * The appliers' paths for embedded child rows (order lines) that the round trip does not reach: an order
 * the service does not have, an unmappable line, a parked order, the item changing between read and
 * write, a list too long for leaf conditions, and a SQL writer that can only write one row at a time.
 */
let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

let ids = 1000;
function lineChange(
  orderNo: string,
  lineNo: number,
  before: Record<string, string> | null,
  after: Record<string, string> | null,
): RowChange {
  ids += 1;
  const row = (v: Record<string, string> | null) =>
    v && { order_no: orderNo, line_no: String(lineNo), sku: 'A', unit_price_cents: '100', ...v };
  return {
    source: 'shop',
    changeId: String(ids),
    table: 'order_lines',
    key: { order_no: orderNo, line_no: String(lineNo) },
    operation: before === null ? 'insert' : after === null ? 'delete' : 'update',
    changedColumns: ['qty'],
    before: row(before),
    after: row(after),
    txId: `tx${ids}`,
    origin: 'app',
    committedAt: '2026-12-06T06:00:00.000Z',
  };
}

const key = (orderNo: string) => ({ pk: { S: `ORDER#${orderNo}` }, sk: { S: 'ORDER' } });
const line = (lineNo: number, qty: number) => ({
  M: { lineNo: { N: String(lineNo) }, sku: { S: 'A' }, quantity: { N: String(qty) }, unitPrice: { S: '1.00' } },
});

async function putOrder(t: SyncTables, orderNo: string, lines: ReturnType<typeof line>[]) {
  await db.client.send(
    new PutItemCommand({
      TableName: t.tableNames.orders,
      Item: { ...key(orderNo), orderId: { S: orderNo }, status: { S: 'placed' }, lines: { L: lines } } as never,
    }),
  );
}

async function item(t: SyncTables, orderNo: string): Promise<Item | undefined> {
  return (await db.client.send(new GetItemCommand({ TableName: t.tableNames.orders, Key: key(orderNo), ConsistentRead: true }))).Item as
    Item | undefined;
}

const quantities = (it: Item | undefined) =>
  ((it?.lines as { L: { M: Item }[] } | undefined)?.L ?? []).map((e) => (e.M.quantity as { N: string }).N).join(',');

async function setup(client: DynamoDBClient = db.client, maxAttempts?: number) {
  const t = await createSyncTables(db);
  const applier = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client, maxAttempts });
  return { t, applier };
}

describe('ItemApplier: embedded child rows', () => {
  it('drops a line of an order the service does not have', async () => {
    const { t, applier } = await setup();
    expect(await applier.apply(lineChange('1', 1, null, { qty: '2' }))).toEqual({ status: 'noop' });
    expect(await item(t, '1')).toBeUndefined();
  });

  it('rejects a line whose value a transform refuses, naming the column', async () => {
    const { applier } = await setup();
    const outcome = await applier.apply(lineChange('2', 1, null, { qty: 'two' }));
    expect(outcome).toEqual({ status: 'rejected', reject: expect.objectContaining({ table: 'order_lines', column: 'qty', value: 'two' }) });
  });

  it('queues a line behind a parked order', async () => {
    // Prepare
    const { t, applier } = await setup();
    await putOrder(t, '3', [line(1, 1)]);
    await t.state.park('orders', '[{"S":"ORDER#3"},{"S":"ORDER"}]', 'c-1', '2026-12-06T06:00:00.000Z');

    // Act
    const outcome = await applier.apply(lineChange('3', 1, { qty: '1' }, { qty: '2' }));

    // Assess
    expect(outcome).toEqual({ status: 'queued', conflictId: 'c-1' });
    expect(quantities(await item(t, '3'))).toBe('1');
  });

  it('decides again when the service writes the list between its read and its write', async () => {
    // Prepare: the service adds line 2 just before the applier's first write.
    const { t } = await setup();
    await putOrder(t, '4', [line(1, 1)]);
    let raced = false;
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof UpdateItemCommand && !raced) {
          raced = true;
          await putOrder(t, '4', [line(1, 1), line(2, 5)]);
        }
        return db.client.send(command as never);
      },
    } as unknown as DynamoDBClient;
    const applier = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client: racing });

    // Act
    const outcome = await applier.apply(lineChange('4', 1, { qty: '1' }, { qty: '3' }));

    // Assess: both the service's line and the monolith's edit are there.
    expect(outcome).toEqual({ status: 'applied' });
    expect(quantities(await item(t, '4'))).toBe('3,5');
    expect((await item(t, '4'))?.[SYNC_POSITION_ATTR]).toEqual({ N: String(ids) });
  });

  it('gives up with the reason when the list keeps changing', async () => {
    // Prepare
    const { t } = await setup();
    await putOrder(t, '5', [line(1, 1)]);
    let n = 0;
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof UpdateItemCommand) await putOrder(t, '5', [line(1, 1), line(2, ++n)]);
        return db.client.send(command as never);
      },
    } as unknown as DynamoDBClient;
    const applier = new ItemApplier({
      catalog,
      tableNames: t.tableNames,
      state: t.state,
      notifier: t.notifier,
      client: racing,
      maxAttempts: 2,
    });

    // Act / Assess
    await expect(applier.apply(lineChange('5', 1, { qty: '1' }, { qty: '3' }))).rejects.toThrow(/lines kept changing during 2 tries/);
  });

  it('compares a long list whole when leaf conditions would not fit in one expression', async () => {
    // Prepare: 80 lines would need some 320 leaf conditions. dynalite does not compare lists with `=` (DynamoDB
    // does), so the spy checks the condition and sends the update without it.
    const { t } = await setup();
    await putOrder(
      t,
      '6',
      Array.from({ length: 80 }, (_, i) => line(i + 1, 1)),
    );
    const conditions: string[] = [];
    let whole: unknown;
    const spy = {
      send: async (command: unknown) => {
        if (command instanceof UpdateItemCommand) {
          const input = command.input;
          conditions.push(input.ConditionExpression ?? '');
          whole = input.ExpressionAttributeValues?.[':whole'];
          const values = Object.fromEntries(Object.entries(input.ExpressionAttributeValues ?? {}).filter(([k]) => k !== ':whole'));
          return db.client.send(
            new UpdateItemCommand({
              ...input,
              ConditionExpression: input.ConditionExpression?.replace(' AND #l = :whole', ''),
              ExpressionAttributeValues: values,
              ExpressionAttributeNames: { ...input.ExpressionAttributeNames },
            }),
          );
        }
        return db.client.send(command as never);
      },
    } as unknown as DynamoDBClient;
    const applier = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client: spy });

    // Act
    const outcome = await applier.apply(lineChange('6', 80, { qty: '1' }, { qty: '9' }));

    // Assess
    expect(outcome).toEqual({ status: 'applied' });
    expect(conditions).toEqual(['attribute_exists(#k) AND attribute_not_exists(#pos) AND #l = :whole']);
    expect((whole as { L: unknown[] }).L).toHaveLength(80);
    expect(
      quantities(await item(t, '6'))
        .split(',')
        .slice(-2),
    ).toEqual(['1', '9']);
  });
});

class OneRowWriter implements SqlRowWriter {
  public readonly writes: SqlRowWrite[] = [];
  public async write(change: SqlRowWrite): Promise<SqlWriteResult> {
    this.writes.push(change);
    return { status: 'applied' };
  }
}

describe('StreamApplier: embedded child rows', () => {
  const record = (t: SyncTables, oldLines: ReturnType<typeof line>[], newLines: ReturnType<typeof line>[], seq: string) => ({
    eventName: 'MODIFY',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:0:table/${t.tableNames.orders}/stream/x`,
    dynamodb: {
      Keys: key('7'),
      OldImage: { ...key('7'), orderId: { S: '7' }, lines: { L: oldLines } },
      NewImage: { ...key('7'), orderId: { S: '7' }, lines: { L: newLines } },
      SequenceNumber: seq,
    },
  });

  it('writes a one-line change through a writer that writes one row at a time, and refuses several', async () => {
    // Prepare
    const { t } = await setup();
    const writer = new OneRowWriter();
    const stream = new StreamApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, writer });

    // Act
    const one = await stream.apply(record(t, [line(1, 1)], [line(1, 2)], '100'));
    const several = stream.apply(record(t, [line(1, 2)], [line(1, 3), line(2, 1)], '101'));

    // Assess
    expect(one).toEqual({ status: 'applied' });
    expect(writer.writes).toEqual([
      {
        table: 'order_lines',
        key: { order_no: '7', line_no: '1' },
        operation: 'update',
        values: { sku: 'A', qty: '2', unit_price_cents: '100' },
        expected: { sku: 'A', qty: '1', unit_price_cents: '100' },
        changeId: `${t.tableNames.orders}/100`,
      },
    ]);
    await expect(several).rejects.toThrow(SyncError);
    await expect(several).rejects.toThrow(/cannot write 2 rows in one transaction/);
  });

  /** Answers every first write of a line with a conflict: the monolith's row as given. */
  class ConflictingWriter implements SqlRowWriter {
    public calls = 0;
    public constructor(private readonly row: Record<string, string | null>) {}
    public async write(): Promise<SqlWriteResult> {
      throw new Error('writeAll expected');
    }
    public async writeAll(changes: readonly SqlRowWrite[]): Promise<SqlWriteResult[]> {
      this.calls += 1;
      return changes.map(() => ({ status: 'conflict', current: this.row }));
    }
  }

  it('writes nothing when the line changed on both sides and the monolith keeps it, recording the conflict', async () => {
    // Prepare: the service sets line 1 to 2 while the monolith set it to 5 (no clock on a line: the monolith wins).
    const { t } = await setup();
    const writer = new ConflictingWriter({ order_no: '7', line_no: '1', sku: 'A', qty: '5', unit_price_cents: '100' });
    const stream = new StreamApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, writer });

    // Act
    const outcome = await stream.apply(record(t, [line(1, 1)], [line(1, 2)], '200'));

    // Assess
    expect(outcome).toEqual({ status: 'noop', conflictId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(writer.calls).toBe(1);
    const entries = [];
    for await (const c of t.ledger.list('resolved')) entries.push(c);
    expect(entries.map((c) => [c.key, c.winner])).toEqual([['[{"S":"ORDER#7"},{"S":"ORDER"}]/lines[1]', 'monolith']]);
  });

  it('names the monolith row when a conflicting line cannot be mapped', async () => {
    const { t } = await setup();
    const writer = new ConflictingWriter({ order_no: '7', line_no: '1', sku: 'A', qty: 'many', unit_price_cents: '100' });
    const stream = new StreamApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, writer });
    await expect(stream.apply(record(t, [line(1, 1)], [line(1, 2)], '201'))).rejects.toThrow(
      /orders\.lines: the monolith row .* cannot be mapped/,
    );
  });

  it('leaves an item of a collection child alone: it is not the root row, and collections do not sync yet', async () => {
    // Prepare: orders whose payments are a collection in the order's partition.
    const { t } = await setup();
    const orders: MigrationEntity = {
      source: { table: 'orders', key: ['order_no'] },
      target: { table: 'orders', partitionKey: 'pk', sortKey: 'sk' },
      fields: [
        { attribute: 'pk', template: 'ORDER#{order_no}' },
        { attribute: 'sk', constant: 'ORDER' },
        { attribute: 'status', column: 'status' },
      ],
      children: [
        {
          name: 'payments',
          table: 'payments',
          foreignKey: ['order_no'],
          orderBy: ['payment_id'],
          shape: 'collection',
          fields: [
            { attribute: 'pk', template: 'ORDER#{order_no}' },
            { attribute: 'sk', template: 'PAY#{payment_id}' },
            { attribute: 'amount', column: 'amount' },
          ],
        },
      ],
    } as MigrationEntity;
    const withCollection = new SyncCatalog({ source: 'shop', entities: { orders: { policy: { prefer: 'monolith' } } } } as never, {
      orders,
    });
    const writer = new OneRowWriter();
    const stream = new StreamApplier({ catalog: withCollection, tableNames: t.tableNames, state: t.state, notifier: t.notifier, writer });
    const arn = `arn:aws:dynamodb:us-east-1:0:table/${t.tableNames.orders}/stream/x`;
    const image = (sk: string, v: string) => ({ pk: { S: 'ORDER#8' }, sk: { S: sk }, amount: { S: v }, status: { S: v } });

    // Act
    const payment = await stream.apply({
      eventName: 'MODIFY',
      eventSourceARN: arn,
      dynamodb: { OldImage: image('PAY#1', '1'), NewImage: image('PAY#1', '2'), SequenceNumber: '300' },
    });
    const root = await stream.apply({
      eventName: 'MODIFY',
      eventSourceARN: arn,
      dynamodb: { OldImage: image('ORDER', 'P'), NewImage: image('ORDER', 'S'), SequenceNumber: '301' },
    });

    // Assess
    expect(payment).toEqual({ status: 'unmapped' });
    expect(root).toEqual({ status: 'applied' });
    expect(writer.writes.map((w) => [w.table, w.key, w.values])).toEqual([['orders', { order_no: '8' }, { status: 'S' }]]);
  });
});
