import { compileEntity, exportRow } from '../../core/migration';
import { migrationSectionSchema } from '../../core/spec/migration';
import { shopMigration } from '../../monolith/mapping';

const section = migrationSectionSchema.parse(shopMigration);
const orders = compileEntity('orders', section.entities.orders);

describe('Function: exportRow', () => {
  it('reads the root columns in mapping order and the child rows under the child name, values as text', () => {
    // Prepare
    const line = JSON.stringify({
      order_no: 1000001,
      status: 'NEW',
      total_cents: 1250,
      coupon_code: null,
      channel: true,
      ship_street: { raw: 'x' },
      lines: [{ order_no: 1000001, line_no: 1, sku: 'S1', qty: 2, unit_price_cents: 625 }],
    });

    // Act
    const out = exportRow(orders, line);

    // Assess
    if ('problem' in out) throw new Error(out.problem);
    const at = (c: string) => out.row[orders.root.columns.indexOf(c)];
    expect([
      at('order_no'),
      at('status'),
      at('total_cents'),
      at('coupon_code'),
      at('channel'),
      at('ship_street'),
      at('updated_at'),
    ]).toEqual(['1000001', 'NEW', '1250', null, 'true', '{"raw":"x"}', null]);
    expect(out.children).toEqual([[['1000001', '1', 'S1', '2', '625']]]);
  });

  it('takes the child rows under the child table name too, and none when absent', () => {
    const byTable = exportRow(orders, JSON.stringify({ order_no: '1', order_lines: [{ line_no: 3 }] }));
    const none = exportRow(orders, JSON.stringify({ order_no: '1' }));
    expect('children' in byTable && byTable.children[0][0][1]).toBe('3');
    expect('children' in none && none.children).toEqual([[]]);
  });

  it.each([
    ['{"order_no": ', /^not JSON/],
    ['[1, 2]', /^not a JSON object$/],
    ['{"status": "NEW"}', /^no value for the key column\(s\) order_no$/],
    ['{"order_no": "1", "lines": "many"}', /^lines must be a list of order_lines rows$/],
    ['{"order_no": "1", "lines": [7]}', /^lines holds something other than a row object$/],
  ])('names the problem of %s', (line, problem) => {
    const out = exportRow(orders, line);
    expect('problem' in out && out.problem).toMatch(problem);
  });
});
