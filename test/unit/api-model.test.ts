import fc from 'fast-check';
import specInput from '../../cutover.config';
import { decodeCursor, encodeCursor } from '../../core/api/cursor';
import { castDown, castUp, mergePatch } from '../../core/api/engine';
import { apiModelsOf, buildApiModels } from '../../core/api/model';
import { generateOpenApi } from '../../core/api/openapi';
import { ApiProblem } from '../../core/api/problem';
import { planList } from '../../core/api/query';
import { SpecError } from '../../core/errors';
import { parseSpec } from '../../core/spec';
import type { ApiSectionInput } from '../../core/spec/api';
import { validateOpenApi } from '../support/openapi-validate';

const spec = parseSpec(specInput);
const models = apiModelsOf(spec);
const entity = (service: string, name: string) => models.find((s) => s.service === service)!.entities.find((e) => e.entity === name)!;

describe('Function: buildApiModels', () => {
  it('derives path parameters from the key templates and hides storage keys', () => {
    // Act
    const orders = entity('orders', 'orders');
    const payments = entity('orders', 'payments');
    const stock = entity('catalog', 'stock');

    // Assess
    expect(orders.params).toEqual(['orderId']);
    expect(orders.fields.pk).toBeUndefined();
    expect(orders.fields.lines.type.kind).toBe('array');
    expect(payments.params).toEqual(['orderId', 'paymentId']);
    expect(stock.params).toEqual(['sku', 'warehouse']);
    expect(stock.fields.onHand.type).toEqual({ kind: 'integer' });
  });

  it.each<[string, ApiSectionInput, RegExp]>([
    [
      'an entity the migration does not have',
      { services: { s: { entities: { nope: {} } } } },
      /entities\.nope: not an entity of the migration section/,
    ],
    [
      'a filter on an attribute that is not a key',
      { services: { s: { entities: { products: { filters: ['name'] } } } } },
      /filters: "name" is neither a key .* would scan the whole table/,
    ],
    [
      'an index on an unknown attribute',
      { services: { s: { entities: { orders: { indexes: { byX: { partitionKey: 'nope' } } } } } } },
      /indexes\.byX: "nope" is not a top-level/,
    ],
    [
      'an irreversible version of a writable entity',
      { services: { s: { entities: { products: { writes: true, versions: { '2': { ops: [{ op: 'remove', path: 'name' }] } } } } } } },
      /reversible/,
    ],
    [
      'a version op on an unknown attribute',
      { services: { s: { entities: { products: { versions: { '2': { ops: [{ op: 'rename', from: 'colour', to: 'color' }] } } } } } } },
      /"colour" is not an attribute/,
    ],
  ])('refuses %s, naming the field', (_what, api, message) => {
    // Act
    const act = () => buildApiModels(api as never, spec.migration);

    // Assess
    expect(act).toThrow(SpecError);
    expect(act).toThrow(message);
  });
});

describe('Function: generateOpenApi', () => {
  it('renders an OpenAPI 3.1 document per service that the validator accepts, for each auth mode', () => {
    // Prepare
    const docs = models.flatMap((s) =>
      (['jwt', 'iam', 'none'] as const).map((auth) => generateOpenApi(s, { auth, serverUrl: 'https://api.example.com' })),
    );

    // Act
    const results = validateOpenApi(docs);

    // Assess
    expect(results).toHaveLength(models.length * 3);
    for (const r of results) expect(r).toMatchObject({ valid: true, errors: null });
    const catalog = docs[0];
    expect(Object.keys(catalog.paths ?? {})).toEqual(
      expect.arrayContaining(['/v1/products/{sku}', '/v2/products/{sku}', '/v1/stock/{sku}/{warehouse}', '/health', '/openapi.json']),
    );
    expect(catalog.paths?.['/v1/products/{sku}']?.put).toBeDefined();
    expect(docs[3].paths?.['/v1/orders/{orderId}']?.put).toBeUndefined();
  });
});

describe('Function: encodeCursor / decodeCursor', () => {
  it('round-trips any key for the same query and refuses any single-character change (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.oneof(fc.string(), fc.integer())),
        fc.string(),
        fc.nat(),
        (key, query, at) => {
          // Act
          const cursor = encodeCursor('secret-key-123456', { query, lastKey: key });
          const i = at % cursor.length;
          const changed = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);

          // Assess
          expect(decodeCursor('secret-key-123456', cursor, query)).toEqual(key);
          expect(() => decodeCursor('secret-key-123456', changed, query)).toThrow(ApiProblem);
          expect(() => decodeCursor('another-secret-12345', cursor, query)).toThrow(/altered or was issued by another deployment/);
          expect(() => decodeCursor('secret-key-123456', cursor, `${query}x`)).toThrow(/different query/);
        },
      ),
      { seed: 13, numRuns: 200 },
    );
  });
});

describe('Function: planList', () => {
  it.each([
    ['a partition key', 'catalog', 'stock', { sku: 'S1' }, { kind: 'query', partition: { attribute: 'sku', value: 'S1' } }],
    [
      'a sort-key range',
      'catalog',
      'stock',
      { sku: 'S1', 'warehouse.gte': 'B' },
      { kind: 'query', range: { attribute: 'warehouse', op: 'gte', values: ['B'] } },
    ],
    [
      'a between from gte and lte',
      'catalog',
      'stock',
      { sku: 'S1', 'warehouse.gte': 'B', 'warehouse.lte': 'D' },
      { range: { attribute: 'warehouse', op: 'between', values: ['B', 'D'] } },
    ],
    [
      'an index',
      'orders',
      'orders',
      { customerId: 'C1' },
      { kind: 'query', index: 'byCustomer', partition: { attribute: 'customerId', value: 'C1' } },
    ],
    [
      'a templated key',
      'orders',
      'payments',
      { orderId: '1', 'paymentId.gt': 'P5' },
      { partition: { attribute: 'pk', value: 'ORDER#1' }, range: { attribute: 'sk', op: 'gt', values: ['PAYMENT#P5'] } },
    ],
    ['no filter (a bounded page of a scan)', 'catalog', 'products', { limit: '10' }, { kind: 'scan', limit: 10 }],
  ])('plans %s', (_what, service, name, query, expected) => {
    // Act
    const plan = planList(entity(service, name), 1, query);

    // Assess
    expect(plan).toMatchObject(expected);
  });
});

describe('Function: castUp / castDown', () => {
  it('v1 -> v2 -> v1 is the identity on any product (property)', () => {
    const products = entity('catalog', 'products');
    fc.assert(
      fc.property(
        fc.record(
          { sku: fc.string({ minLength: 1 }), name: fc.string(), price: fc.constantFrom('1.00', '9.99') },
          { requiredKeys: ['sku'] },
        ),
        (item) => {
          // Act
          const v2 = castUp(products, 2, item);

          // Assess
          expect(v2.unitPrice).toBe(item.price);
          expect(castDown(products, 2, v2)).toEqual(item);
        },
      ),
      { seed: 5, numRuns: 100 },
    );
  });
});

describe('Function: mergePatch', () => {
  it.each([
    [{ a: 1, b: { c: 2, d: 3 } }, { b: { c: null } }, { a: 1, b: { d: 3 } }],
    [{ a: 1 }, { a: null, e: [1] }, { e: [1] }],
    [{ a: { b: 1 } }, { a: 'x' }, { a: 'x' }],
  ])('merges %j with %j (RFC 7386)', (target, patch, expected) => {
    // Assess
    expect(mergePatch(target, patch)).toEqual(expected);
  });
});

describe('Function: parseSpec (api section)', () => {
  it('refuses a spec whose api section filters on a non-key attribute, naming the field', () => {
    // Prepare
    const input = { ...(specInput as object), api: { services: { catalog: { entities: { products: { filters: ['name'] } } } } } };

    // Act
    const act = () => parseSpec(input);

    // Assess
    expect(act).toThrow(SpecError);
    expect(act).toThrow(/api\.services\.catalog\.entities\.products\.filters: "name" is neither a key/);
  });
});
