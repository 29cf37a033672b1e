import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  analyseBoundaries,
  circularLayout,
  jsonlSamples,
  parseDdl,
  readWorkload,
  renderHtml,
  renderJson,
  renderMermaid,
  renderText,
  sagaSpecSkeleton,
  type BoundaryReport,
  type Dialect,
} from '../../../core/boundaries';
import { parseSpec } from '../../../core/spec';
import { migrationSectionSchema } from '../../../core/spec/migration';
import { sagaStepConfigSchema } from '../../../core/spec/saga';
import { SERVICE_OF } from '../../../core/saga/steps';
import config from '../../../cutover.config';
import { shopTransactions } from '../../../monolith/workload';

/*
 * The reference monolith: its schema (both dialects, no foreign keys) and the workload of its own
 * transactions recorded on PostgreSQL (test/fixtures/boundaries/shop-workload.jsonl, made by
 * monolith/record-workload.ts). Asked for as many services as the spec has stateful capabilities, the
 * analysis must give the capabilities the spec uses.
 */

const ROOT = path.join(__dirname, '..', '..', '..');
const WORKLOAD = path.join(ROOT, 'test', 'fixtures', 'boundaries', 'shop-workload.jsonl');

/** The table at the heart of each stateful capability of the spec (notification keeps no state). */
const CAPABILITY_TABLE: Record<string, string> = {
  orders: 'orders',
  inventory: 'stock',
  payment: 'payments',
  shipping: 'shipments',
  customers: 'customers',
};

function analyse(dialect: Dialect, services?: number): BoundaryReport {
  const schema = parseDdl(fs.readFileSync(path.join(ROOT, 'monolith', 'schema', `${dialect}.sql`), 'utf8'), { dialect });
  const workload = readWorkload(jsonlSamples(fs.readFileSync(WORKLOAD, 'utf8').split('\n')), schema);
  return analyseBoundaries(schema, workload, { services });
}

describe('Function: analyseBoundaries (the reference monolith)', () => {
  it('covers every capability of the spec that keeps state', () => {
    // Prepare: the spec's capabilities (routing) and saga services; notification has no table of its own.
    const spec = parseSpec(config);
    const used = new Set([...Object.keys(spec.routing?.capabilities ?? {}), ...Object.values(SERVICE_OF)]);
    // Assess
    expect([...used].filter((c) => c !== 'notification').sort()).toEqual(Object.keys(CAPABILITY_TABLE).sort());
  });

  it("holds the shop's own transactions: the fixture is what monolith/workload.ts runs for 300 orders", () => {
    // Prepare: the fixture, grouped by transaction, against the generator's distinct transactions.
    const byTx = new Map<string, { sql: string[]; calls: number }>();
    for (const line of fs.readFileSync(WORKLOAD, 'utf8').trim().split('\n')) {
      const row = JSON.parse(line) as { txid: string; sql: string; calls: number };
      const tx = byTx.get(row.txid) ?? { sql: [], calls: row.calls };
      tx.sql.push(row.sql);
      byTx.set(row.txid, tx);
    }
    const generated = new Map<string, number>();
    for (const tx of shopTransactions({ orders: 300 })) {
      const key = tx.statements.map((st) => st.sql).join('\u0000');
      generated.set(key, (generated.get(key) ?? 0) + 1);
    }
    // Act
    const recorded = [...byTx.values()].map((t) => `${t.calls} ${t.sql.join('\u0000')}`).sort();
    const expected = [...generated.entries()].map(([k, n]) => `${n} ${k}`).sort();
    // Assess
    expect(recorded).toEqual(expected);
  });

  it.each<Dialect>(['postgres', 'mysql'])(
    'with --services 5 gives one candidate per stateful capability of the spec (%s DDL)',
    (dialect) => {
      // Act
      const report = analyse(dialect, 5);
      // Assess
      const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
      const homes = Object.values(CAPABILITY_TABLE).map((t) => of.get(t));
      expect(new Set(homes).size).toBe(5);
      expect(of.get('order_lines')).toBe(of.get('orders'));
      expect(of.get('products')).toBe(of.get('stock'));
      expect(report.candidates.map((c) => c.name).sort()).toEqual(['customers', 'orders', 'payments', 'products', 'shipments']);
    },
  );

  it('names what crosses the new boundaries: the workload share that becomes distributed and a suggestion per transaction', () => {
    // Act
    const report = analyse('postgres', 5);
    // Assess
    expect(report.workload.unparsed).toBe(0);
    expect(report.metrics.distributedTransactionShare).toBeGreaterThan(0.2);
    expect(report.metrics.distributedTransactionShare).toBeLessThan(0.5);
    const byTx = (tables: string[]) => report.suggestions.find((s) => s.tables.join() === tables.join());
    // Shipping writes the shipment and moves the order's status: a saga with a compensation per step.
    expect(byTx(['orders', 'shipments'])).toEqual(
      expect.objectContaining({
        kind: 'saga',
        saga: expect.objectContaining({
          steps: [
            expect.objectContaining({ owner: 'orders', tables: ['orders'] }),
            expect.objectContaining({ owner: 'shipments', tables: ['shipments'] }),
          ],
        }),
      }),
    );
    // Capturing a payment only reads the order: a read model of orders in payments.
    expect(byTx(['orders', 'payments'])).toEqual(
      expect.objectContaining({
        kind: 'replicate-read-model',
        readModel: expect.objectContaining({ owner: 'payments', replicates: ['orders'] }),
      }),
    );
    // A declined card cancels the order and releases its stock: a saga across orders and products.
    expect(byTx(['orders', 'stock'])?.kind).toBe('saga');
    expect(report.cycles).toEqual([]);
  });

  it('drafts migration entities in the spec format (they validate), with child tables embedded and keys templated', () => {
    // Act
    const report = analyse('postgres', 5);
    // Assess
    const parsed = migrationSectionSchema.safeParse(report.draft.migration);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    const orders = report.draft.migration.entities.orders;
    expect(orders.source).toEqual({ table: 'orders', key: ['order_no'] });
    expect(orders.fields.slice(0, 3)).toEqual([
      { attribute: 'pk', template: 'ORDERS#{order_no}' },
      { attribute: 'sk', constant: 'ORDERS' },
      { attribute: 'orderNo', column: 'order_no' },
    ]);
    expect(orders.children).toEqual([
      expect.objectContaining({
        name: 'orderLines',
        table: 'order_lines',
        foreignKey: ['order_no'],
        orderBy: ['order_no', 'line_no'],
        shape: 'embed',
      }),
    ]);
    expect(report.draft.capabilities.map((c) => c.name).sort()).toEqual(['customers', 'orders', 'payments', 'products', 'shipments']);
    expect(report.draft.capabilities.find((c) => c.name === 'orders')?.events).toEqual(['order.created', 'order.updated']);
  });

  it('drafts saga skeletons that validate as the spec saga steps', () => {
    // Act
    const report = analyse('postgres', 5);
    // Assess
    const sagas = report.suggestions.filter((s) => s.saga);
    expect(sagas.length).toBeGreaterThan(0);
    for (const s of sagas) {
      for (const [name, step] of Object.entries(sagaSpecSkeleton(s.saga?.steps ?? []))) {
        const parsed = sagaStepConfigSchema.safeParse(step);
        expect({ name, issues: parsed.success ? [] : parsed.error.issues }).toEqual({ name, issues: [] });
      }
    }
  });

  it('renders JSON with the table names of the schema, Mermaid with every table, and HTML that needs no network', () => {
    // Prepare
    const report = analyse('postgres', 5);
    // Act
    const json = JSON.parse(renderJson(report)) as {
      candidates: Array<{ name: string; tables: string[] }>;
      metrics: Record<string, number>;
      cycles: unknown[];
      inferred: unknown[];
      suggestions: Array<{ sagaSpec?: Record<string, unknown> }>;
    };
    const mermaid = renderMermaid(report);
    const html = renderHtml(report);
    const text = renderText(report);
    // Assess
    expect(json.candidates.flatMap((c) => c.tables).sort()).toEqual([
      'customers',
      'order_lines',
      'orders',
      'payments',
      'products',
      'shipments',
      'stock',
    ]);
    expect(Object.keys(json.metrics)).toEqual(
      expect.arrayContaining(['modularity', 'sm', 'icp', 'ifn', 'ned', 'crossBoundaryRelationships', 'distributedTransactionShare']),
    );
    expect(json.inferred).toHaveLength(6);
    expect(json.suggestions.find((s) => s.sagaSpec)?.sagaSpec).toEqual(
      expect.objectContaining({
        WriteOrders: expect.objectContaining({
          owner: 'monolith',
          monolith: expect.objectContaining({
            forward: expect.objectContaining({ command: 'orders.write-requested', success: ['orders.written'] }),
          }),
        }),
      }),
    );
    expect(mermaid.split('\n')[0]).toBe('flowchart LR');
    for (const t of ['customers', 'order_lines', 'orders', 'payments', 'products', 'shipments', 'stock'])
      expect(mermaid).toContain(`t_${t}["${t}"]`);
    expect(mermaid).toContain('t_payments -.-> t_orders');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(text).toContain('transactions that become distributed');
  });
});

describe('Function: renderMermaid (the README picture)', () => {
  it('is the picture in the README: regenerate it with `npx cutover boundaries ... --services 5 --format mermaid` when the analysis changes', () => {
    // Prepare
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // Act
    const mermaid = renderMermaid(analyse('postgres', 5));
    // Assess
    expect(readme).toContain(`\`\`\`mermaid\n${mermaid}\`\`\``);
  });
});

describe('Function: circularLayout', () => {
  it('places every table once, inside the picture, no two on the same spot', () => {
    // Prepare
    const groups = Array.from({ length: 12 }, (_, g) => ({
      name: `g${g}`,
      tables: Array.from({ length: 1 + ((g * 7) % 30) }, (_, i) => `g${g}_t${i}`),
    }));
    // Act
    const { tables } = circularLayout(groups, 900);
    // Assess
    const all = groups.flatMap((g) => g.tables);
    expect(tables.size).toBe(all.length);
    const spots = new Set<string>();
    for (const t of all) {
      const p = tables.get(t) as { x: number; y: number };
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.x).toBeLessThanOrEqual(900);
      expect(p.y).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeLessThanOrEqual(900);
      spots.add(`${p.x.toFixed(1)},${p.y.toFixed(1)}`);
    }
    expect(spots.size).toBe(all.length);
  });
});

/*
 * A real open-source e-commerce schema: PrestaShop's install-dev/data/db_structure.sql (231 tables, no
 * foreign keys, PREFIX_ placeholders, ENGINE=ENGINE_TYPE). Not committed: point CUTOVER_PRESTASHOP_DDL at
 * a copy to run this.
 */
const PRESTASHOP = process.env.CUTOVER_PRESTASHOP_DDL ?? '/tmp/a12b-ext/prestashop_db_structure.sql';
(fs.existsSync(PRESTASHOP) ? describe : describe.skip)('Function: analyseBoundaries (PrestaShop db_structure.sql)', () => {
  it('reads every table, infers hundreds of relationships and keeps orders apart from the product catalogue', () => {
    // Prepare
    const schema = parseDdl(fs.readFileSync(PRESTASHOP, 'utf8'), { dialect: 'mysql' });
    // Act
    const report = analyseBoundaries(schema, undefined, {});
    // Assess
    expect(schema.tables.length).toBeGreaterThan(200);
    expect(schema.skipped).toEqual([]);
    expect(report.inferred.length).toBeGreaterThan(300);
    const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
    expect(of.get('PREFIX_orders')).not.toBe(of.get('PREFIX_product'));
    expect(of.get('PREFIX_order_detail')).toBeDefined();
    expect(report.metrics.modularity).toBeGreaterThan(0.3);
    const parsed = migrationSectionSchema.safeParse(report.draft.migration);
    expect(parsed.success ? [] : parsed.error.issues.slice(0, 3)).toEqual([]);
  });
});
