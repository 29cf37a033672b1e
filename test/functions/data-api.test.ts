import fc from 'fast-check';
import { validateOpenApi } from '../support/openapi-validate';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { tableKey } from '../../core/api/engine';
import { entitySchemas } from '../../core/api/schemas';
import { matchesCondition, planList } from '../../core/api/query';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { itemOf, model, startApiWorld, valueOf, type ApiWorld } from './data-api-fixtures';

// Response bodies are checked by value below; their static type does not matter here.
type Json = any;
const asJson = (x: unknown): Json => x;

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'PUT',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

/*
 * The generated APIs end to end in-process: hono routes -> engine -> DynamoDB store against dynalite
 * (real key conditions, pagination and conditional writes).
 */
describe('Class: DataApi (dynalite)', () => {
  let db: LocalDynamo;
  let w: ApiWorld;

  beforeAll(async () => {
    db = await startDynalite();
  });
  beforeEach(async () => {
    w = await startApiWorld(db);
  });
  afterAll(async () => {
    await db.stop();
  });

  const putProduct = async (sku: string, extra: Record<string, unknown> = {}) => {
    const res = await w.call(
      'catalog',
      `/v1/products/${sku}`,
      json({ name: `P ${sku}`, price: '9.99', weightKg: 1.5, active: true, ...extra }, { 'if-none-match': '*' }),
    );
    expect(res.status).toBe(201);
    return res;
  };

  describe('Method: GET item', () => {
    it('returns the item with its ETag and a correlation id, and 404 as problem+json naming the key', async () => {
      // Prepare
      await putProduct('SKU-1');

      // Act
      const found = await w.call('catalog', '/v1/products/SKU-1', { headers: { 'x-correlation-id': 'corr-1' } });
      const missing = await w.call('catalog', '/v1/products/SKU-404');

      // Assess
      expect(found.status).toBe(200);
      expect(found.headers.get('etag')).toBe('"v1"');
      expect(found.headers.get('x-correlation-id')).toBe('corr-1');
      expect(await found.json().then(asJson)).toEqual({ sku: 'SKU-1', name: 'P SKU-1', price: '9.99', weightKg: 1.5, active: true });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toBe('application/problem+json');
      expect(await missing.json().then(asJson)).toMatchObject({ status: 404, field: 'sku', value: 'SKU-404' });
    });

    it('serves v2 beside v1 through the spec casts, and selects sparse fields', async () => {
      // Prepare
      await putProduct('SKU-2');

      // Act
      const v2 = await (await w.call('catalog', '/v2/products/SKU-2')).json().then(asJson);
      const sparse = await (await w.call('catalog', '/v1/products/SKU-2?fields=name,price')).json().then(asJson);
      const badField = await w.call('catalog', '/v1/products/SKU-2?fields=name,colour');

      // Assess
      expect(v2).toEqual({ sku: 'SKU-2', name: 'P SKU-2', unitPrice: '9.99', currency: 'EUR', weightKg: 1.5, active: true });
      expect(sparse).toEqual({ name: 'P SKU-2', price: '9.99' });
      expect(badField.status).toBe(400);
      expect(await badField.json().then(asJson)).toMatchObject({ field: 'fields', value: 'colour' });
    });

    it('hides storage keys and serves an order by its id from a shared table', async () => {
      // Prepare
      const orders = model('orders', 'orders');
      await db.doc.send(
        new PutCommand({
          TableName: w.tables.orders,
          Item: {
            ...tableKey(orders, { orderId: '1000001' }),
            orderId: '1000001',
            customerId: 'C1',
            placedAt: '2026-11-21T14:30:00Z',
            lines: [],
          },
        }),
      );
      await db.doc.send(
        new PutCommand({
          TableName: w.tables.orders,
          Item: { pk: 'ORDER#1000001', sk: 'PAYMENT#P1', paymentId: 'P1', orderId: '1000001', amount: '5.00' },
        }),
      );

      // Act
      const order = await (await w.call('orders', '/v1/orders/1000001')).json().then(asJson);
      const payments = await (await w.call('orders', '/v1/payments?orderId=1000001')).json().then(asJson);

      // Assess
      expect(order).toEqual({ orderId: '1000001', customerId: 'C1', placedAt: '2026-11-21T14:30:00Z', lines: [] });
      expect(payments.items).toEqual([{ paymentId: 'P1', orderId: '1000001', amount: '5.00' }]);
    });
  });

  describe('Method: PUT and PATCH', () => {
    it('replaces with the current ETag, refuses a stale one with 412, and requires a precondition (428)', async () => {
      // Prepare
      await putProduct('SKU-3');

      // Act
      const noPrecondition = await w.call('catalog', '/v1/products/SKU-3', json({ name: 'x', price: '1.00' }));
      const replaced = await w.call('catalog', '/v1/products/SKU-3', json({ name: 'Renamed', price: '1.00' }, { 'if-match': '"v1"' }));
      const stale = await w.call('catalog', '/v1/products/SKU-3', json({ name: 'Lost update', price: '2.00' }, { 'if-match': '"v1"' }));
      const again = await w.call('catalog', '/v1/products/SKU-3', json({ name: 'x', price: '1.00' }, { 'if-none-match': '*' }));

      // Assess
      expect(noPrecondition.status).toBe(428);
      expect(replaced.status).toBe(200);
      expect(replaced.headers.get('etag')).toBe('"v2"');
      expect(stale.status).toBe(412);
      expect(await stale.json().then(asJson)).toMatchObject({ field: 'If-Match', value: '"v1"' });
      expect(again.status).toBe(412);
      expect(await (await w.call('catalog', '/v1/products/SKU-3')).json().then(asJson)).toMatchObject({ name: 'Renamed' });
    });

    it('lets exactly one of two concurrent writers with the same ETag win', async () => {
      // Prepare
      await putProduct('SKU-4');

      // Act
      const results = await Promise.all(
        ['a', 'b', 'c'].map((n) =>
          w.call('catalog', '/v1/products/SKU-4', { ...json({ name: n }, { 'if-match': '"v1"' }), method: 'PATCH' }),
        ),
      );

      // Assess
      expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412]);
    });

    it('merges a PATCH, keeps attributes the API does not declare, and rejects an unknown attribute naming it', async () => {
      // Prepare
      await putProduct('SKU-5');
      await db.doc.send(
        new PutCommand({
          TableName: w.tables.catalog,
          Item: { sku: 'SKU-5', name: 'P', price: '1.00', syncOrigin: 'monolith', version: 1 },
        }),
      );

      // Act
      const patched = await w.call('catalog', '/v1/products/SKU-5', {
        ...json({ price: '3.50' }, { 'if-match': '"v1"' }),
        method: 'PATCH',
      });
      const typo = await w.call('catalog', '/v1/products/SKU-5', { ...json({ prise: '3.50' }, { 'if-match': '"v2"' }), method: 'PATCH' });
      const badValue = await w.call('catalog', '/v1/products/SKU-5', {
        ...json({ price: '3.5' }, { 'if-match': '"v2"' }),
        method: 'PATCH',
      });
      const stored = await w.store.get('catalog', { sku: 'SKU-5' });

      // Assess
      expect(patched.status).toBe(200);
      expect(await patched.json().then(asJson)).toEqual({ sku: 'SKU-5', name: 'P', price: '3.50' });
      expect(stored).toMatchObject({ syncOrigin: 'monolith', version: 2, price: '3.50' });
      expect(typo.status).toBe(400);
      expect(await typo.json().then(asJson)).toMatchObject({ field: 'prise', value: '3.50' });
      expect(badValue.status).toBe(400);
      expect(await badValue.json().then(asJson)).toMatchObject({ field: 'price', value: '3.5' });
    });

    it('writes through v2 are cast back to v1', async () => {
      // Act
      const created = await w.call(
        'catalog',
        '/v2/products/SKU-6',
        json({ name: 'V2', unitPrice: '4.00', currency: 'EUR' }, { 'if-none-match': '*' }),
      );
      const v1 = await (await w.call('catalog', '/v1/products/SKU-6')).json().then(asJson);

      // Assess
      expect(created.status).toBe(201);
      expect(v1).toEqual({ sku: 'SKU-6', name: 'V2', price: '4.00' });
    });

    it.each([
      ['a read-only entity', 'orders', '/v1/orders/1', { 'content-type': 'application/json', 'if-none-match': '*' }, '{}', 405, 'method'],
      [
        'a key in the body that differs from the path',
        'catalog',
        '/v1/products/A',
        { 'content-type': 'application/json', 'if-none-match': '*' },
        '{"sku":"B"}',
        400,
        'sku',
      ],
      [
        'a body that is not JSON',
        'catalog',
        '/v1/products/A',
        { 'content-type': 'application/json', 'if-none-match': '*' },
        '{nope',
        400,
        '(body)',
      ],
      [
        'a body of another media type',
        'catalog',
        '/v1/products/A',
        { 'content-type': 'text/plain', 'if-none-match': '*' },
        '{}',
        415,
        'Content-Type',
      ],
      [
        'a malformed If-Match',
        'catalog',
        '/v1/products/A',
        { 'content-type': 'application/json', 'if-match': 'v1' },
        '{}',
        400,
        'If-Match',
      ],
    ])('refuses %s with a problem naming the field', async (_what, service, path, headers, body, status, field) => {
      // Act
      const res = await w.call(service, path, { method: 'PUT', headers, body });

      // Assess
      expect(res.status).toBe(status);
      expect(await res.json().then(asJson)).toMatchObject({ status, field });
    });
  });

  describe('Method: GET list', () => {
    it.each([
      ['an undeclared attribute', '/v1/products?name=x', 'name'],
      ['a range on a partition key', '/v1/products?sku.gt=A', 'sku.gt'],
      ['a sort-key range without its partition', '/v1/stock?warehouse.gte=A', 'warehouse.gte'],
      ['a limit over the bound', '/v1/products?limit=101', 'limit'],
      ['a limit of zero', '/v1/products?limit=0', 'limit'],
      ['a repeated parameter', '/v1/stock?sku=a&sku=b', 'sku'],
    ])('refuses %s with a 400 naming it (never a scan)', async (_what, path, field) => {
      // Act
      const res = await w.call('catalog', path);

      // Assess
      expect(res.status).toBe(400);
      expect(await res.json().then(asJson)).toMatchObject({ status: 400, field });
    });

    it('refuses a cursor that was altered or belongs to other filters', async () => {
      // Prepare
      for (const wh of ['A', 'B', 'C'])
        await db.doc.send(new PutCommand({ TableName: w.tables.inventory, Item: { sku: 'S1', warehouse: wh, onHand: 1, reserved: 0 } }));
      const first = await (await w.call('catalog', '/v1/stock?sku=S1&limit=1')).json().then(asJson);
      const [body, mac] = (first.nextCursor as string).split('.');
      const forged = `${Buffer.from(JSON.stringify({ q: 'x', k: { sku: 'S9', warehouse: 'A' } })).toString('base64url')}.${mac}`;

      // Act
      const tampered = await w.call('catalog', `/v1/stock?sku=S1&cursor=${encodeURIComponent(forged)}`);
      const otherQuery = await w.call('catalog', `/v1/stock?sku=S2&cursor=${encodeURIComponent(`${body}.${mac}`)}`);
      const ok = await w.call('catalog', `/v1/stock?sku=S1&limit=1&cursor=${encodeURIComponent(first.nextCursor)}`);

      // Assess
      expect(tampered.status).toBe(400);
      expect(await tampered.json().then(asJson)).toMatchObject({ field: 'cursor' });
      expect(otherQuery.status).toBe(400);
      expect(ok.status).toBe(200);
      expect((await ok.json().then(asJson)).items).toEqual([{ sku: 'S1', warehouse: 'B', onHand: 1, reserved: 0 }]);
    });

    it('never skips or repeats an item present throughout, whatever the page size and concurrent writes (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 25 }),
          fc.integer({ min: 1, max: 7 }),
          fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 999 })), { maxLength: 12 }),
          async (present, limit, churn) => {
            // Prepare: a fresh partition; `churn` inserts and deletes other items between pages.
            const sku = `P-${Math.random().toString(36).slice(2)}`;
            const stable = new Set(present.map((n) => `W${String(n).padStart(3, '0')}`));
            for (const wh of stable)
              await db.doc.send(new PutCommand({ TableName: w.tables.inventory, Item: { sku, warehouse: wh, onHand: 1, reserved: 0 } }));
            const seen: string[] = [];
            let cursor: string | undefined;
            let step = 0;
            // Act
            do {
              const q = `/v1/stock?sku=${sku}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
              const page = await (await w.call('catalog', q)).json().then(asJson);
              seen.push(...page.items.map((i: { warehouse: string }) => i.warehouse));
              cursor = page.nextCursor;
              const c = churn[step++];
              if (c) {
                const wh = `X${String(c[1]).padStart(3, '0')}`;
                await db.doc.send(
                  new PutCommand({
                    TableName: w.tables.inventory,
                    Item: { sku, warehouse: c[0] ? wh : `W${String(c[1]).padStart(3, '0')}x`, onHand: 2, reserved: 0 },
                  }),
                );
              }
            } while (cursor);
            // Assess
            const stableSeen = seen.filter((s) => stable.has(s));
            expect(new Set(seen).size).toBe(seen.length);
            expect(new Set(stableSeen)).toEqual(stable);
          },
        ),
        { seed: 1313, numRuns: 15 },
      );
    });

    it('returns exactly what a reference filter over the same data returns (property)', async () => {
      // Prepare: orders of a few customers, queried through the byCustomer index and the placedAt range.
      const orders = model('orders', 'orders');
      const all: Record<string, unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        const item = {
          ...tableKey(orders, { orderId: String(2000000 + i) }),
          orderId: String(2000000 + i),
          customerId: `C${i % 3}`,
          placedAt: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
          lines: [],
        };
        all.push(item);
        await db.doc.send(new PutCommand({ TableName: w.tables.orders, Item: item }));
      }
      const ops = ['gt', 'gte', 'lt', 'lte', 'beginsWith'] as const;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('C0', 'C1', 'C2', 'C9'),
          fc.option(fc.tuple(fc.constantFrom(...ops), fc.integer({ min: 1, max: 28 }))),
          async (customer, range) => {
            const day = range ? `2026-11-${String(range[1]).padStart(2, '0')}` : '';
            const query: Record<string, string> = {
              customerId: customer,
              limit: '100',
              ...(range ? { [`placedAt.${range[0]}`]: day } : {}),
            };
            // Act
            const res = await w.call('orders', `/v1/orders?${new URLSearchParams(query)}`);
            const got = (await res.json().then(asJson)).items.map((i: { orderId: string }) => i.orderId).sort();
            // Assess
            const plan = planList(orders, 1, query);
            const expected = all
              .filter((i) => i.customerId === customer && (!plan.range || matchesCondition(i, plan.range)))
              .map((i) => i.orderId as string)
              .sort();
            expect(got).toEqual(expected);
          },
        ),
        { seed: 7, numRuns: 30 },
      );
    });
  });

  describe('Method: examples round trip', () => {
    it.each([
      ['catalog', 'products'],
      ['catalog', 'stock'],
      ['customers', 'customers'],
    ])('%s/%s: any valid item PUT then GET comes back equal and matches the response schema', async (service, entity) => {
      const m = model(service, entity);
      const schema = entitySchemas(m, 1).item;
      await fc.assert(
        fc.asyncProperty(itemOf(m.fields), async (item) => {
          // Prepare
          const path = `/v1/${m.path}/${m.params.map((p) => encodeURIComponent(String(item[p]))).join('/')}`;
          // Act
          const put = await w.call(service, path, json(item, { 'if-none-match': '*' }));
          const got = await w.call(service, path);
          // Assess (a repeated key from the generator meets 412, which is the contract too)
          expect([201, 412]).toContain(put.status);
          const body = await got.json().then(asJson);
          if (put.status === 201) expect(body).toEqual(item);
          expect(schema.safeParse(body).success).toBe(true);
        }),
        { seed: 42, numRuns: 25 },
      );
    });

    it('records a sample per request for the route metrics', async () => {
      // Act
      await w.call('catalog', '/v1/products/none');
      await w.call('catalog', '/health');

      // Assess
      expect(w.samples.map((s) => [s.route, s.status])).toEqual([
        ['GET /v1/products/:sku', 404],
        ['GET /health', 200],
      ]);
      expect(w.errors).toEqual([]);
    });
  });

  describe('Method: GET /openapi.json', () => {
    it('serves a document a maintained OpenAPI 3.1 validator accepts', async () => {
      // Act
      const doc = await (await w.call('catalog', '/openapi.json')).json().then(asJson);
      const [result] = validateOpenApi([doc]);

      // Assess
      expect(result.errors).toBeNull();
      expect(result.valid).toBe(true);
      expect(doc.openapi).toBe('3.1.0');
    });
  });

  it('valueOf is consistent with the schemas (the generators are not vacuous)', () => {
    // Assess
    const m = model('orders', 'orders');
    fc.assert(
      fc.property(itemOf(m.fields), (item) => entitySchemas(m, 1).item.safeParse(item).success),
      { seed: 3, numRuns: 50 },
    );
    fc.assert(
      fc.property(valueOf({ kind: 'string', format: 'decimal' }), (v) => /^\d+\.\d{2}$/.test(String(v))),
      { seed: 3, numRuns: 50 },
    );
  });
});
