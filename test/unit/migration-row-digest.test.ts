import fc from 'fast-check';
import {
  compileEntity,
  digestHex,
  makeDigester,
  parseDigestHex,
  type CanonicalOptions,
  type CompiledEntity,
  type SqlRow,
} from '../../core/migration';
import { migrationSectionSchema, type MigrationEntity } from '../../core/spec/migration';
import { shopMigration } from '../../monolith/mapping';
import { customerRow, MONOLITH_COLUMNS, orderRows, productRow, stockRows, type MonolithTable } from '../../monolith/seed';

/*
 * The row digester is verification's hot path: it keys and digests a row's items without building them.
 * Its definition is the slow path it replaces: mapRow, then keyOf and makeDigester(rules) over each item.
 * These properties hold it to that definition for every reference entity, for shapes the reference does
 * not use (collection children, NULLs kept, an absent empty list, colliding paths), and for every kind of
 * verify rule, over rows drawn from the seed's own values with random NULLs, junk and edits.
 */

const section = migrationSectionSchema.parse(shopMigration);
const seedOptions = { orders: 50 };

/** Values seen per column of each monolith table, from the seed generator. */
function columnPools(): Map<string, string[]> {
  const rows: Record<MonolithTable, (string | null)[][]> = {
    customers: [],
    products: [],
    stock: [],
    orders: [],
    order_lines: [],
    payments: [],
    shipments: [],
  };
  for (let i = 0; i < 40; i++) {
    const o = orderRows(seedOptions, i);
    rows.orders.push(o.order);
    rows.order_lines.push(...o.lines);
    if (o.payment) rows.payments.push(o.payment);
    if (o.shipment) rows.shipments.push(o.shipment);
    rows.customers.push(customerRow(seedOptions, i));
    rows.products.push(productRow(seedOptions, i));
    rows.stock.push(...stockRows(seedOptions, i));
  }
  const pools = new Map<string, string[]>();
  for (const table of Object.keys(rows) as MonolithTable[]) {
    (MONOLITH_COLUMNS[table] as readonly string[]).forEach((column, c) => {
      pools.set(`${table}.${column}`, [...new Set(rows[table].map((r) => r[c]).filter((v): v is string => v !== null))]);
    });
  }
  return pools;
}
const pools = columnPools();

/** A column's value: mostly one the seed gives that column, sometimes NULL, junk, padding or a number. */
function arbColumn(table: string, column: string): fc.Arbitrary<string | null> {
  const pool = pools.get(`${table}.${column}`) ?? ['1', 'x'];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...pool), weight: 12 },
    { arbitrary: fc.constant(null), weight: 1 },
    { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
    { arbitrary: fc.constantFrom(...pool).map((v) => ` ${v} `), weight: 1 },
    { arbitrary: fc.integer({ min: -1000, max: 100000 }).map(String), weight: 1 },
    { arbitrary: fc.constantFrom('', '0', '007', '1.50', '-0', '1e3', 'true', 'Y'), weight: 1 },
  );
}

function arbRow(table: string, columns: readonly string[]): fc.Arbitrary<SqlRow> {
  return fc.tuple(...columns.map((c) => arbColumn(table, c)));
}

function arbInput(entity: CompiledEntity): fc.Arbitrary<{ row: SqlRow; children: SqlRow[][] }> {
  return fc.record({
    row: arbRow(entity.root.table, entity.root.columns),
    children: fc.tuple(...entity.children.map((c) => fc.array(arbRow(c.table, c.columns), { maxLength: 4 }))),
  });
}

/** The definition: build the items, key and digest each. */
function reference(entity: CompiledEntity, rules: CanonicalOptions, row: SqlRow, children: SqlRow[][]) {
  const result = entity.mapRow(row, children);
  if (result.reject) return { reject: result.reject, items: [] as string[] };
  const digest = makeDigester(rules);
  return { reject: undefined, items: result.items.map((i) => `${entity.keyOf(i)} ${digestHex(digest(i))}`) };
}

function fast(entity: CompiledEntity, rules: CanonicalOptions, row: SqlRow, children: SqlRow[][]) {
  const items: string[] = [];
  const reject = entity.rowDigester(rules)(row, children, (key, d) => items.push(`${key} ${digestHex(d)}`));
  return { reject, items };
}

const orders = section.entities.orders;
const variants: Record<string, MigrationEntity> = {
  'orders, lines as a collection': {
    ...orders,
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
          { attribute: 'price.unit', column: 'unit_price_cents', transform: 'centsToDecimal' },
          { attribute: 'price.currency', constant: 'EUR' },
        ],
      },
    ],
  },
  'orders, NULLs kept and no list when there are no lines': {
    ...orders,
    nulls: 'null',
    children: [{ ...orders.children![0], whenNone: 'absent', attribute: 'items' }],
  },
  'orders, typed fields and a deeper path': {
    ...orders,
    fields: [
      ...orders.fields,
      { attribute: 'totals.gross.cents', column: 'total_cents', type: 'N' },
      { attribute: 'totals.gross.text', column: 'total_cents', type: 'S' },
      { attribute: 'flags.web', constant: true },
      { attribute: 'flags.coupon', column: 'coupon_code' },
    ],
  },
};

const ruleSets: Record<string, CanonicalOptions> = {
  'no rules': {},
  'top-level ignores': { ignore: ['version', 'couponCode', 'lines', 'shippingAddress'] },
  'top-level tolerances': { tolerances: { weightKg: 0.0005, quantity: 1, totals: 0.5 } },
  'a default tolerance': { numericTolerance: 0.01 },
  'nested rules (the items are built)': { ignore: ['shippingAddress.city'], tolerances: { 'lines[].unitPrice': 0.02 } },
};

const entities: [string, CompiledEntity][] = [
  ...Object.entries(section.entities).map(([n, e]) => [`${n} (reference)`, compileEntity(n, e)] as [string, CompiledEntity]),
  ...Object.entries(variants).map(([n, e]) => [n, compileEntity('orders', e)] as [string, CompiledEntity]),
];

describe('Class: CompiledEntity', () => {
  describe('Method: rowDigester', () => {
    describe.each(entities)('%s', (_name, entity) => {
      it.each(Object.entries(ruleSets))('gives the keys, digests and reject of mapRow + keyOf + makeDigester under %s', (_rules, rules) => {
        // Prepare
        const digestRow = entity.rowDigester(rules);

        fc.assert(
          fc.property(arbInput(entity), ({ row, children }) => {
            // Act
            const items: string[] = [];
            const reject = digestRow(row, children, (key, d) => items.push(`${key} ${digestHex(d)}`));

            // Assess
            expect({ reject, items }).toEqual(reference(entity, rules, row, children));
          }),
          { seed: 1515, numRuns: 150 },
        );
      });
    });

    it.each(entities)('draws rows of %s that map, not only rejects', (_name, entity) => {
      // Prepare
      const inputs = fc.sample(arbInput(entity), { seed: 1515, numRuns: 300 });

      // Act
      const mapped = inputs.filter(({ row, children }) => !entity.mapRow(row, children).reject).length;

      // Assess
      expect(mapped).toBeGreaterThan(30);
      expect(mapped).toBeLessThan(300);
    });

    it('sees a changed value, an added line and a reordered line', () => {
      // Prepare
      const entity = compileEntity('orders', orders);
      const o = [...Array(40).keys()].map((i) => orderRows(seedOptions, i)).find((x) => x.lines.length >= 2)!;
      const rootIdx = entity.root.columns.map((c) => (MONOLITH_COLUMNS.orders as readonly string[]).indexOf(c));
      const lineIdx = entity.children[0].columns.map((c) => (MONOLITH_COLUMNS.order_lines as readonly string[]).indexOf(c));
      const row = rootIdx.map((i) => o.order[i]);
      const lines = o.lines.map((l) => lineIdx.map((i) => l[i]));
      const extra = [...lines, lines[0]];
      const swapped = [lines[1], lines[0], ...lines.slice(2)];
      const city = [...row];
      city[entity.root.columns.indexOf('ship_city')] = 'Elsewhere';

      // Act
      const digests = [
        [row, lines],
        [row, extra],
        [row, swapped],
        [city, lines],
      ].map(([r, l]) => fast(entity, {}, r as SqlRow, [l as SqlRow[]]).items[0]);

      // Assess
      expect(new Set(digests).size).toBe(4);
      expect(digests[0]).toBe(reference(entity, {}, row, [lines]).items[0]);
    });
  });
});

describe('Function: digestHex', () => {
  it('spells a digest as the definition did (each half toString(16), zero-padded to 8) and parses back', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (hi, lo) => {
        // Act
        const hex = digestHex({ hi, lo });

        // Assess
        expect(hex).toBe(hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0'));
        expect(parseDigestHex(hex)).toEqual({ hi, lo });
      }),
      { seed: 1515, numRuns: 2000 },
    );
  });

  it.each([
    [0, 0, '0000000000000000'],
    [0xffffffff, 1, 'ffffffff00000001'],
    [0x0a0b0c0d, 0x80000000, '0a0b0c0d80000000'],
  ])('spells %d, %d as %s', (hi, lo, want) => {
    expect(digestHex({ hi, lo })).toBe(want);
  });
});
