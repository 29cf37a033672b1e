import spec from '../../cutover.config';
import { parseSpec, type SpecInput } from '../../core/spec';
import { SpecError } from '../../core/errors';
import { migrationSectionSchema } from '../../core/spec/migration';
import { syncRules } from '../../core/spec/sync';
import { compileSyncEntity } from '../../core/sync/mapping';
import { shopMigration } from '../../monolith/mapping';

const reference = spec as SpecInput;
const withSync = (sync: unknown): SpecInput => ({ ...reference, sync }) as SpecInput;
const entities = migrationSectionSchema.parse(shopMigration).entities;

describe('Section: sync', () => {
  describe('Method: parseSpec', () => {
    it('accepts the reference spec and compiles its rules', () => {
      // Act
      const parsed = parseSpec(reference);

      // Assess
      expect(syncRules(parsed.sync!.entities.stock)).toEqual({
        policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'monolith' } },
        fields: { onHand: { kind: 'delta' }, reserved: { kind: 'delta' } },
      });
      expect(syncRules(parsed.sync!.entities.orders)).toEqual({ policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' });
    });

    it.each([
      [{ stock: { policy: 'lastWriterWins' } }, 'sync.entities.stock.clock: lastWriterWins needs a clock'],
      [
        { stock: { policy: 'manual', fields: { onhand: 'delta' } } },
        'sync.entities.stock.fields.onhand: "onhand" is not an attribute of stock',
      ],
      [{ basket: { policy: 'manual' } }, 'sync.entities.basket: "basket" is not an entity of the migration section'],
      [
        { orders: { policy: 'lastWriterWins', clock: 'updatedAt', fields: { 'lines[].qty': 'delta' } } },
        `sync.entities.orders.fields.lines[].qty: "qty" is not an attribute of orders's lines: one of lineNo, sku, quantity, unitPrice`,
      ],
      [
        { orders: { policy: 'lastWriterWins', clock: 'updatedAt', fields: { 'items[].quantity': 'delta' } } },
        'sync.entities.orders.fields.items[].quantity: "items" is not an embedded list of orders',
      ],
      [
        { orders: { policy: { mergeFields: { fallback: 'lastWriterWins' } }, clock: 'updatedAt' } },
        'a field merge cannot fall back to lastWriterWins',
      ],
      [{ orders: { policy: { prefer: 'server' } } }, 'sync.entities.orders.policy'],
    ])('refuses %j naming the field', (entitiesIn, message) => {
      // Act / Assess
      expect(() => parseSpec(withSync({ source: 'shop', entities: entitiesIn }))).toThrow(SpecError);
      expect(() => parseSpec(withSync({ source: 'shop', entities: entitiesIn }))).toThrow(message);
    });

    it('takes a field policy for the elements of an embedded list (`lines[].quantity`)', () => {
      // Act
      const parsed = parseSpec(
        withSync({
          source: 'shop',
          entities: { orders: { policy: 'lastWriterWins', clock: 'updatedAt', fields: { 'lines[].quantity': 'delta' } } },
        }),
      );

      // Assess
      expect(syncRules(parsed.sync!.entities.orders).fields).toEqual({ 'lines[].quantity': { kind: 'delta' } });
    });

    it('asks for an irreversible attribute to be declared one-way', () => {
      // Prepare
      const migration = {
        entities: {
          ...shopMigration.entities,
          stock: {
            ...shopMigration.entities.stock,
            fields: [...shopMigration.entities.stock.fields, { attribute: 'kind', constant: 'STOCK' }],
          },
        },
      };
      const input = { ...reference, migration, sync: { source: 'shop', entities: { stock: { policy: 'manual' } } } } as SpecInput;

      // Act / Assess
      expect(() => parseSpec(input)).toThrow('attribute kind of stock cannot be turned back into a column');
      expect(() =>
        parseSpec({ ...input, sync: { source: 'shop', entities: { stock: { policy: 'manual', oneWay: ['kind'] } } } } as SpecInput),
      ).not.toThrow();
    });

    it('refuses a child that cannot sync until the spec accepts it in unsyncedChildren, and names an unknown child', () => {
      // Prepare: the lines are ordered by line_no, read through a transform with no inverse, so an element
      // edited in the item could not be put back into its row.
      const orders = shopMigration.entities.orders;
      const lines = orders.children![0];
      const migration = {
        entities: {
          ...shopMigration.entities,
          orders: {
            ...orders,
            children: [{ ...lines, fields: lines.fields.map((f) => (f.attribute === 'lineNo' ? { ...f, transform: 'nullIfEmpty' } : f)) }],
          },
        },
      };
      const ordersSync = { policy: 'lastWriterWins', clock: 'updatedAt' };
      const input = (extra: object) =>
        ({ ...reference, migration, sync: { source: 'shop', entities: { orders: { ...ordersSync, ...extra } } } }) as SpecInput;

      // Act / Assess
      expect(() => parseSpec(input({}))).toThrow(
        'sync.entities.orders.unsyncedChildren: child lines (table order_lines) of orders cannot sync: order column line_no is not mapped to an attribute that can be written back',
      );
      expect(() => parseSpec(input({ unsyncedChildren: ['lines'] }))).not.toThrow();
      expect(() => parseSpec(input({ unsyncedChildren: ['lines', 'parcels'] }))).toThrow(
        'sync.entities.orders.unsyncedChildren.1: "parcels" is not a child of orders: one of lines',
      );
      expect(compileSyncEntity('orders', migrationSectionSchema.parse(migration).entities.orders).unsynced.map((u) => u.name)).toEqual([
        'lines',
      ]);
    });
  });
});

describe('Function: compileSyncEntity', () => {
  const orders = compileSyncEntity('orders', entities.orders);
  const customers = compileSyncEntity('customers', entities.customers);
  const row = {
    order_no: '1000001',
    cust_no: 'C00042',
    order_dt: '20261121 143000',
    status: 'P',
    total_cents: '5497',
    currency: 'EUR',
    channel: 'WEB',
    coupon_code: '',
    ship_street: '1 Main St',
    ship_city: 'Lyon',
    ship_zip: '69001',
    ship_country: 'FR',
    updated_at: '2026-11-21 14:31:00.5',
  };

  it('maps a row to a record and back to the same columns', () => {
    // Act
    const { record } = orders.rowToRecord(row);
    const back = orders.recordToRow(record!);

    // Assess
    expect(record!['amount.total']).toEqual({ S: '54.97' });
    expect(record!.updatedAt).toEqual({ S: '2026-11-21T14:31:00.5Z' });
    const { order_no: _key, ...columns } = row;
    expect(back).toEqual(columns);
  });

  it('rebuilds nested attributes for the item update and reads them back', () => {
    // Prepare
    const { record } = orders.rowToRecord(row);

    // Act
    const { set, remove } = orders.recordToItem(record!);

    // Assess
    expect(set.amount).toEqual({ M: { total: { S: '54.97' }, currency: { S: 'EUR' } } });
    expect(set.pk).toBeUndefined();
    expect(remove).toEqual(['couponCode']);
    expect(orders.itemToRecord({ ...set, pk: { S: 'ORDER#1000001' }, sk: { S: 'ORDER' } })).toEqual(record);
  });

  it('finds the row key of an item from a column field or a key template', () => {
    // Act / Assess
    expect(orders.rowKeyOfItem({ pk: { S: 'ORDER#1000001' }, sk: { S: 'ORDER' } })).toEqual({ order_no: '1000001' });
    expect(customers.rowKeyOfItem({ customerId: { S: 'C9' } })).toEqual({ cust_no: 'C9' });
    expect(orders.itemKeyOfRow({ order_no: '7' })).toEqual({ pk: { S: 'ORDER#7' }, sk: { S: 'ORDER' } });
  });

  it('rejects an unmappable row with the column and the value', () => {
    // Act
    const { reject } = orders.rowToRecord({ ...row, status: 'Q' });

    // Assess
    expect(reject).toMatchObject({ table: 'orders', column: 'status', value: 'Q' });
  });

  it('names the attribute when a value cannot go back into its column', () => {
    // Act / Assess
    expect(() => orders.recordToRow({ 'amount.total': { S: '12.3' } })).toThrow(
      'orders.amount.total: expected a decimal amount with two places',
    );
  });
});
