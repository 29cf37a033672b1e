import fc from 'fast-check';
import { entityTables, groupKeyFunction, tablesOfEntities } from '../../core/capture/groups';
import { outboxChange, OutboxMappingError, type OutboxMapping } from '../../core/capture/outbox';
import { migrationSectionSchema } from '../../core/spec/migration';
import type { RowChange } from '../../core/sync/change';
import { shopMigration } from '../../monolith/mapping';

const section = migrationSectionSchema.parse(shopMigration);

const captured = (after: Record<string, string | null>): RowChange => ({
  source: 'shop',
  changeId: '42',
  table: 'outbox',
  key: { id: '1' },
  operation: 'insert',
  changedColumns: Object.keys(after),
  before: null,
  after,
  txId: '900',
  origin: 'app',
  committedAt: '2026-12-06T10:00:00.000Z',
});

const mapping: OutboxMapping = {
  table: 'outbox',
  rowTable: { column: 'aggregate_type', map: { Order: 'orders', Stock: 'stock' } },
  keyColumn: 'aggregate_id',
  operationColumn: 'event_type',
  operations: { OrderPlaced: 'insert', OrderChanged: 'update', OrderCancelled: 'delete', StockMoved: 'update' },
  payloadColumn: 'payload',
  beforeColumn: 'previous',
};

describe('Function: outboxChange', () => {
  it('turns an outbox row into the change of the row it describes, keeping the captured position', () => {
    // Act
    const change = outboxChange(
      mapping,
      captured({
        aggregate_type: 'Stock',
        aggregate_id: '{"sku":"A1","warehouse_cd":"W1"}',
        event_type: 'StockMoved',
        payload: '{"on_hand":7,"reserved":0,"note":null}',
        previous: '{"on_hand":9,"reserved":0}',
      }),
    );

    // Assess
    expect(change).toMatchObject({
      source: 'shop',
      changeId: '42',
      txId: '900',
      table: 'stock',
      key: { sku: 'A1', warehouse_cd: 'W1' },
      operation: 'update',
      after: { on_hand: '7', reserved: '0', note: null },
      before: { on_hand: '9', reserved: '0' },
    });
    expect(change.changedColumns).toEqual(['on_hand', 'note']);
  });

  it('takes a single key value when the mapping names the key column', () => {
    const change = outboxChange(
      { table: 'outbox', rowTable: { constant: 'customers' }, keyColumn: 'id_col', keyName: 'cust_no', payloadColumn: 'p' },
      captured({ id_col: 'C1', p: '{"email":"x@y"}' }),
    );
    expect(change).toMatchObject({ table: 'customers', key: { cust_no: 'C1' }, operation: 'update', after: { email: 'x@y' } });
  });

  it('maps a delete without a payload', () => {
    const change = outboxChange(
      mapping,
      captured({ aggregate_type: 'Order', aggregate_id: '{"order_no":"7"}', event_type: 'OrderCancelled', payload: null, previous: null }),
    );
    expect(change).toMatchObject({ operation: 'delete', after: null, key: { order_no: '7' } });
  });

  it.each([
    [
      { aggregate_type: 'Invoice', aggregate_id: '{"a":"1"}', event_type: 'OrderPlaced', payload: '{}', previous: null },
      /aggregate_type = "Invoice" names no table \(known: Order, Stock\)/,
    ],
    [
      { aggregate_type: 'Order', aggregate_id: 'not json', event_type: 'OrderPlaced', payload: '{}', previous: null },
      /aggregate_id = "not json" is not JSON/,
    ],
    [
      { aggregate_type: 'Order', aggregate_id: '{}', event_type: 'OrderPlaced', payload: '{}', previous: null },
      /aggregate_id = "\{\}" is not a key/,
    ],
    [
      { aggregate_type: 'Order', aggregate_id: '{"order_no":"1"}', event_type: 'OrderShipped', payload: '{}', previous: null },
      /event_type = "OrderShipped" is not an operation/,
    ],
    [
      { aggregate_type: 'Order', aggregate_id: '{"order_no":"1"}', event_type: 'OrderPlaced', payload: '[1,2]', previous: null },
      /payload = "\[1,2\]" is not a JSON object/,
    ],
    [
      { aggregate_type: 'Order', aggregate_id: '{"order_no":"1"}', event_type: 'OrderPlaced', payload: null, previous: null },
      /payload is empty for a\(n\) insert/,
    ],
    [{ aggregate_type: 'Order', aggregate_id: '{"order_no":"1"}', event_type: 'OrderPlaced', previous: null }, /has no column "payload"/],
  ])('refuses a bad outbox row, naming the column and the value (%#)', (row, message) => {
    // Act
    const act = () => outboxChange(mapping, captured(row as Record<string, string | null>));

    // Assess
    expect(act).toThrow(OutboxMappingError);
    expect(act).toThrow(message);
  });

  it('renders any JSON payload value as SQL text and never loses a column (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))),
        (payload) => {
          const change = outboxChange(
            mapping,
            captured({
              aggregate_type: 'Order',
              aggregate_id: '{"order_no":"1"}',
              event_type: 'OrderChanged',
              payload: JSON.stringify(payload),
              previous: null,
            }),
          );
          expect(Object.keys(change.after ?? {}).sort()).toEqual(Object.keys(payload).sort());
          for (const [k, v] of Object.entries(payload)) expect(change.after?.[k]).toBe(v === null ? null : String(v));
        },
      ),
      { seed: 1106, numRuns: 200 },
    );
  });
});

describe('Function: groupKeyFunction', () => {
  const group = groupKeyFunction(section);
  const change = (
    table: string,
    key: Record<string, string>,
    after: Record<string, string> | null,
    before: Record<string, string> | null = null,
  ): RowChange => ({
    ...captured(after ?? {}),
    table,
    key,
    after,
    before,
  });

  it.each([
    ['an order row by its key', change('orders', { order_no: '1000001' }, { order_no: '1000001' }), 'orders#1000001'],
    [
      'an order line under its order',
      change('order_lines', { order_no: '1000001', line_no: '2' }, { order_no: '1000001', line_no: '2' }),
      'orders#1000001',
    ],
    [
      'a deleted order line, from its before image',
      change('order_lines', { order_no: '1000009', line_no: '1' }, null, { order_no: '1000009', line_no: '1' }),
      'orders#1000009',
    ],
    ['a stock row by both key columns', change('stock', { sku: 'A1', warehouse_cd: 'W1' }, null), 'stock#A1|W1'],
    ['a table no entity maps, by table and key', change('audit_trail', { id: '5' }, null), 'audit_trail#5'],
  ])('groups %s', (_label, c, expected) => {
    expect(group(c)).toBe(expected);
  });
});

describe('Function: tablesOfEntities', () => {
  it('lists root and child tables once', () => {
    expect(tablesOfEntities(section, ['orders', 'stock', 'orders'])).toEqual(['orders', 'order_lines', 'stock']);
  });

  it('names the entities there are when one is unknown', () => {
    expect(() => entityTables(section, 'inventory')).toThrow(/"inventory" is not in the migration section \(there are: orders, payments/);
  });
});
