import { SpecError } from '../../core/errors';
import { compileEntity, type CompiledEntity, type SqlRow } from '../../core/migration';
import { migrationSectionSchema, type MigrationEntity, type MigrationSectionInput } from '../../core/spec/migration';
import { shopMigration } from '../../monolith/mapping';
import { MONOLITH_COLUMNS, orderRows } from '../../monolith/seed';

const section = migrationSectionSchema.parse(shopMigration);

/** A monolith row (in MONOLITH_COLUMNS order) re-ordered to the columns the compiled entity reads. */
function project(columns: readonly string[], table: readonly string[], row: readonly (string | null)[]): SqlRow {
  return columns.map((c) => {
    const i = table.indexOf(c);
    if (i < 0) throw new Error(`no column ${c}`);
    return row[i];
  });
}

function orderInput(entity: CompiledEntity, index: number, patch: Record<string, string | null> = {}) {
  const rows = orderRows({ orders: 100 }, index);
  const order = [...rows.order];
  for (const [c, v] of Object.entries(patch)) order[(MONOLITH_COLUMNS.orders as readonly string[]).indexOf(c)] = v;
  return {
    row: project(entity.root.columns, MONOLITH_COLUMNS.orders, order),
    lines: rows.lines.map((l) => project(entity.children[0].columns, MONOLITH_COLUMNS.order_lines, l)),
  };
}

describe('Function: compileEntity', () => {
  const orders = compileEntity('orders', section.entities.orders);

  describe('Method: mapRow', () => {
    it('maps an order and its lines into one item in the service shape', () => {
      // Prepare
      const { row, lines } = orderInput(orders, 0, {
        order_no: '1000001',
        cust_no: 'C00042',
        order_dt: '20261121 143000',
        status: 'P',
        total_cents: '5497',
        currency: 'EUR',
        channel: 'WEB',
        coupon_code: '',
        updated_at: '2026-11-21 14:31:00',
      });

      // Act
      const result = orders.mapRow(row, [lines.slice(0, 1)]);

      // Assess
      expect(result.reject).toBeUndefined();
      const [item] = result.items!;
      expect(item.pk).toEqual({ S: 'ORDER#1000001' });
      expect(item.sk).toEqual({ S: 'ORDER' });
      expect(item.orderId).toEqual({ S: '1000001' });
      expect(item.placedAt).toEqual({ S: '2026-11-21T14:30:00Z' });
      expect(item.status).toEqual({ S: 'placed' });
      expect(item.amount).toEqual({ M: { total: { S: '54.97' }, currency: { S: 'EUR' } } });
      expect(item.channel).toEqual({ S: 'web' });
      expect(item.couponCode).toBeUndefined();
      expect(item.updatedAt).toEqual({ S: '2026-11-21T14:31:00Z' });
      const line = (item.lines as { L: { M: Record<string, unknown> }[] }).L[0].M;
      expect(line.lineNo).toEqual({ N: '1' });
      expect(Object.keys(line).sort()).toEqual(['lineNo', 'quantity', 'sku', 'unitPrice']);
    });

    it.each([
      ['status', 'Q', 'status', '"Q" is not one of "P", "S", "D", "X"'],
      ['order_dt', '20250231 120000', 'order_dt', 'expected a timestamp such as "20261121 143000", got "20250231 120000"'],
      ['total_cents', '12.5', 'total_cents', 'expected integer cents such as "1999", got "12.5"'],
      ['cust_no', null, 'cust_no', 'customerId is required but cust_no is NULL'],
    ])('rejects a row whose %s is %j, naming the column and the value', (column, value, rejectedColumn, reason) => {
      const { row, lines } = orderInput(orders, 3, { [column]: value });
      const result = orders.mapRow(row, [lines]);
      expect(result.items).toBeUndefined();
      expect(result.reject).toMatchObject({ entity: 'orders', table: 'orders', column: rejectedColumn, reason });
      expect(result.reject!.key).toEqual({ order_no: String(1_000_004) });
      if (value !== null) expect(result.reject!.value).toBe(value);
    });

    it('rejects the whole order when one of its lines is bad, naming the child table', () => {
      const { row, lines } = orderInput(orders, 5);
      const bad = [...lines[0]];
      bad[orders.children[0].columns.indexOf('qty')] = 'two';
      const result = orders.mapRow(row, [[bad]]);
      expect(result.reject).toMatchObject({ table: 'order_lines', column: 'qty', value: 'two' });
    });

    it('rejects a row whose key template column is NULL', () => {
      const { row } = orderInput(orders, 1, { order_no: null });
      expect(orders.mapRow(row, [[]]).reject?.reason).toContain('order_no is NULL');
    });

    it('gives an empty lines list to an order without lines', () => {
      const { row } = orderInput(orders, 2);
      expect(orders.mapRow(row, [[]]).items![0].lines).toEqual({ L: [] });
    });

    it("rejects an item over DynamoDB's 400 KB limit with its size", () => {
      const { row, lines } = orderInput(orders, 2);
      const huge = Array.from({ length: 5000 }, (_, i) => {
        const l = [...lines[0]];
        l[orders.children[0].columns.indexOf('sku')] = 'X'.repeat(100);
        l[orders.children[0].columns.indexOf('line_no')] = String(i + 1);
        return l;
      });
      expect(orders.mapRow(row, [huge]).reject?.reason).toMatch(/about \d+ KB, over DynamoDB's 400 KB limit/);
    });
  });

  describe('Method: owns', () => {
    it('tells the items of entities sharing a table apart by their key templates', () => {
      const payments = compileEntity('payments', section.entities.payments);
      const order = { pk: { S: 'ORDER#1' }, sk: { S: 'ORDER' } };
      const payment = { pk: { S: 'ORDER#1' }, sk: { S: 'PAYMENT#PAY0000000001' } };
      expect(orders.owns(order)).toBe(true);
      expect(orders.owns(payment)).toBe(false);
      expect(payments.owns(payment)).toBe(true);
      expect(payments.owns(order)).toBe(false);
    });
  });

  it('declares the key schema the table needs', () => {
    expect(orders.keySchema).toEqual({ partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } });
    expect(compileEntity('stock', section.entities.stock).keySchema).toEqual({
      partitionKey: { name: 'sku', type: 'S' },
      sortKey: { name: 'warehouse', type: 'S' },
    });
  });

  it("maps a collection-shaped child to its own items in the root item's partition", () => {
    const def: MigrationEntity = {
      ...section.entities.orders,
      children: [
        {
          name: 'lines',
          table: 'order_lines',
          foreignKey: ['order_no'],
          orderBy: ['line_no'],
          shape: 'collection',
          fields: [
            { attribute: 'pk', template: 'ORDER#{order_no}' },
            { attribute: 'sk', template: 'LINE#{line_no}' },
            { attribute: 'quantity', column: 'qty', transform: 'intString' },
          ],
        },
      ],
    };
    const e = compileEntity('orders', def);
    const { row, lines } = orderInput(e, 7);
    const items = e.mapRow(row, [lines]).items!;
    expect(items).toHaveLength(1 + lines.length);
    expect(items[1]).toEqual({ pk: items[0].pk, sk: { S: 'LINE#1' }, quantity: { N: lines[0][e.children[0].columns.indexOf('qty')] } });
    expect(items.every((i) => e.owns(i))).toBe(true);
  });

  it('throws a SpecError naming the field when the definition is wrong', () => {
    const bad = { ...section.entities.orders, fields: section.entities.orders.fields.filter((f) => f.attribute !== 'sk') };
    expect(() => compileEntity('orders', bad)).toThrow(SpecError);
    expect(() => compileEntity('orders', bad)).toThrow(
      'migration.entities.orders.fields: the root item gives no attribute "sk", the table\'s key',
    );
  });
});

describe('Schema: migrationSectionSchema', () => {
  const issues = (input: unknown) => {
    const r = migrationSectionSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the reference mapping', () => {
    expect(issues(shopMigration)).toEqual([]);
  });

  it.each<[string, (s: MigrationSectionInput) => void, string]>([
    [
      'two entities in one table whose keys cannot be told apart',
      (s) => {
        (s.entities.payments.fields[1] as { template?: string }).template = 'ORDER{payment_id}';
      },
      'entities.payments: items of orders and payments share table orders and their keys cannot be told apart',
    ],
    [
      'a field with both a column and a template',
      (s) => {
        (s.entities.customers.fields[1] as { template?: string }).template = 'x{email}';
      },
      'entities.customers.fields.1: attribute email: give exactly one of column, template or constant',
    ],
    [
      'a transform on a template',
      (s) => {
        (s.entities.orders.fields[0] as { transform?: string }).transform = 'trim';
      },
      'entities.orders.fields.0.transform: transforms apply to column values only',
    ],
    [
      'an unknown transform',
      (s) => {
        (s.entities.customers.fields[1] as { transform?: string }).transform = 'upperCase';
      },
      'entities.customers.fields.1.transform',
    ],
    [
      'a child foreign key of the wrong length',
      (s) => {
        s.entities.orders.children![0].foreignKey = ['order_no', 'line_no'];
      },
      'entities.orders.children.0.foreignKey: has 2 column(s) but source.key has 1',
    ],
    [
      'an embedded list over a root attribute',
      (s) => {
        (s.entities.orders.children![0] as { attribute?: string }).attribute = 'status';
      },
      'entities.orders.children.0.attribute: "status" is already an attribute of the root item',
    ],
    [
      'a template without a placeholder',
      (s) => {
        (s.entities.orders.fields[0] as { template?: string }).template = 'ORDER';
      },
      'entities.orders.fields.0.template: "ORDER" has no {column} placeholder',
    ],
  ])('refuses %s, naming the field', (_, change, message) => {
    const s = JSON.parse(JSON.stringify(shopMigration)) as MigrationSectionInput;
    change(s);
    expect(issues(s).some((i) => i.startsWith(message))).toBe(true);
  });
});
