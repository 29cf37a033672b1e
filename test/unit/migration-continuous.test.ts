import {
  advanceSweep,
  compileEntity,
  DIVERGENCE_DETAIL_TYPE,
  divergenceEvent,
  judgeSample,
  parseUtc,
  recentQuery,
  startSweep,
  sweepQuery,
  type Item,
  type SampledRow,
} from '../../core/migration';
import { migrationSectionSchema } from '../../core/spec/migration';
import { shopMigration } from '../../monolith/mapping';
import { MONOLITH_COLUMNS, orderRows } from '../../monolith/seed';

const section = migrationSectionSchema.parse(shopMigration);
const orders = compileEntity('orders', section.entities.orders);
const now = new Date('2026-11-21T12:00:00Z');

function sampled(index: number, updatedAt: string): SampledRow {
  const rows = orderRows({ orders: 50 }, index);
  const order = [...rows.order];
  order[MONOLITH_COLUMNS.orders.indexOf('updated_at')] = updatedAt;
  const pick = (cols: readonly string[], table: readonly string[], row: readonly (string | null)[]) =>
    cols.map((c) => row[table.indexOf(c)]);
  return {
    row: pick(orders.root.columns, MONOLITH_COLUMNS.orders, order),
    children: [rows.lines.map((l) => pick(orders.children[0].columns, MONOLITH_COLUMNS.order_lines, l))],
  };
}

const itemOf = (s: SampledRow) => orders.mapRow(s.row, s.children).items![0];

describe('Function: judgeSample', () => {
  it('reports a changed item as divergent when its row is older than the lag, in flight when newer', () => {
    // Prepare: three rows; two items changed in the target, one of them on a row updated 10 s ago.
    const old = sampled(0, '2026-11-21 11:00:00');
    const fresh = sampled(1, '2026-11-21 11:59:50');
    const same = sampled(2, '2026-11-21 10:00:00');
    const changed = (s: SampledRow): Item => ({ ...itemOf(s), customerId: { S: 'C99999' } });

    // Act
    const verdict = judgeSample(orders, [old, fresh, same], [changed(old), changed(fresh), itemOf(same)], { now, lagSeconds: 60 });

    // Assess
    expect(verdict.checked).toBe(3);
    expect(verdict.matched).toBe(1);
    expect(verdict.divergences.map((d) => [d.kind, d.rowKey])).toEqual([['different', { order_no: '1000001' }]]);
    expect(verdict.divergences[0].fields?.map((f) => f.path)).toEqual(['customerId']);
    expect(verdict.inFlight.map((d) => d.rowKey)).toEqual([{ order_no: '1000002' }]);
  });

  it('reports missing items and items left behind in a sampled partition, and ignores other entities', () => {
    const a = sampled(3, '2026-11-20 00:00:00');
    const b = sampled(4, '2026-11-20 00:00:00');
    const leftover: Item = { ...itemOf(a), sk: { S: 'ORDER' }, pk: itemOf(a).pk };
    const payment: Item = { pk: itemOf(a).pk, sk: { S: 'PAYMENT#PAY1' } };
    const stray: Item = { pk: { S: 'ORDER#1000999' }, sk: { S: 'ORDER' } };
    const verdict = judgeSample(orders, [a, b], [leftover, payment, stray], { now });
    expect(verdict.divergences.map((d) => d.kind)).toEqual(['missing']);
    expect(verdict.divergences[0].rowKey).toEqual({ order_no: '1000005' });
  });

  it('counts rows the mapping rejects instead of alarming on them', () => {
    const s = sampled(5, '2026-11-20 00:00:00');
    const row = [...s.row];
    row[orders.root.columns.indexOf('status')] = 'Q';
    const bad = { row, children: s.children };
    const verdict = judgeSample(orders, [bad], [], { now });
    expect(verdict.rejected).toHaveLength(1);
    expect(verdict.divergences).toEqual([]);
  });
});

describe('Function: sweep', () => {
  it('walks the key space window by window and starts a new lap at the end', () => {
    let state = startSweep();
    expect(sweepQuery(state, 100)).toEqual({ kind: 'sweep', after: null, limit: 100 });
    state = advanceSweep(state, ['1000100'], 100, 100);
    expect(sweepQuery(state, 100)).toEqual({ kind: 'sweep', after: ['1000100'], limit: 100 });
    state = advanceSweep(state, ['1000150'], 50, 100);
    expect(state).toEqual({ cursor: null, lap: 1 });
    expect(() => sweepQuery(state, 0)).toThrow('sample size must be a whole number >= 1, got 0');
  });

  it('samples recent changes from before the lag window', () => {
    expect(recentQuery(now, 60, 600, 200)).toEqual({
      kind: 'recent',
      from: '2026-11-21T11:49:00.000Z',
      to: '2026-11-21T11:59:00.000Z',
      limit: 200,
    });
  });
});

describe('Function: divergenceEvent', () => {
  it('shapes one consistency.divergence event per divergent item', () => {
    const s = sampled(0, '2026-11-21 11:00:00');
    const verdict = judgeSample(orders, [s], [{ ...itemOf(s), status: { S: 'lost' } }], { now });
    const event = divergenceEvent(verdict.divergences[0], {
      table: 'shop-orders',
      detectedAt: now,
      lagSeconds: 60,
      sample: sweepQuery(startSweep(), 100),
    });
    expect(event.detailType).toBe(DIVERGENCE_DETAIL_TYPE);
    expect(event.source).toBe('cutover.migration');
    expect(event.detail).toMatchObject({
      entity: 'orders',
      table: 'shop-orders',
      kind: 'different',
      itemKey: '[{"S":"ORDER#1000001"},{"S":"ORDER"}]',
      rowKey: { order_no: '1000001' },
      sourceUpdatedAt: '2026-11-21 11:00:00',
      detectedAt: '2026-11-21T12:00:00.000Z',
      lagSeconds: 60,
    });
    expect(event.detail.fields).toEqual([{ path: 'status', kind: 'value', detail: expect.stringContaining('found "lost"') }]);
  });

  it('reads SQL and ISO timestamps as UTC', () => {
    expect(parseUtc('2026-11-21 11:00:00')).toBe(Date.UTC(2026, 10, 21, 11));
    expect(parseUtc('2026-11-21 11:00:00+00')).toBe(Date.UTC(2026, 10, 21, 11));
    expect(parseUtc('2026-11-21T11:00:00Z')).toBe(Date.UTC(2026, 10, 21, 11));
  });
});
