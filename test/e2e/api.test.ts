/**
 * The generated REST APIs on the emulator with real HTTP: API Gateway REST (Lambda proxy) -> the data API
 * Lambda (run by MiniStack as a node process) -> the deployed service tables. List, get, filter, paginate,
 * a write and its ETag conflict, problem+json from the deployed handler.
 *
 * MiniStack serves a REST API at /_aws/execute-api/<apiId>/<stage>/<path> (the stack's URL output does not
 * resolve there). It deploys the request validator and enforces nothing, which the infra tier covers.
 * It does verify Cognito user pool tokens, so each call carries an ID token of a user made here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { apiBase, signIn } from './api-driver';
import { loadE2eContext, sdkConfig, stackOutput, type E2eContext } from './harness';
import type { OutputKey } from '../../core/contract';

describe('e2e: generated REST APIs', () => {
  let context: E2eContext;
  let doc: DynamoDBDocumentClient;
  let base: (service: string) => string;
  const run = Date.now().toString(36);

  const tokens = new Map<string, string>();

  beforeAll(async () => {
    context = loadE2eContext();
    doc = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(context.endpoint)));
    const output = (key: OutputKey) => stackOutput(context, key);
    base = (service) => apiBase(context.endpoint, output, service);
    for (const service of ['Catalog', 'Orders']) tokens.set(service, await signIn(context.endpoint, output, service, `e2e-${run}`));
  });
  afterAll(() => doc.destroy());

  /** fetch with the service's token: the URL names the service through `base`. */
  const fetch = (url: string, init: RequestInit = {}): Promise<Response> => {
    const service = [...tokens.keys()].find((s) => url.startsWith(base(s)));
    return globalThis.fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...(service ? { authorization: tokens.get(service)! } : {}) },
    });
  };

  it('refuses a data route without a token (401) but serves /health without one', async () => {
    // Act
    const anonymous = await globalThis.fetch(`${base('Catalog')}/v1/products/none`);
    const health = await globalThis.fetch(`${base('Catalog')}/health`);

    // Assess
    expect(anonymous.status).toBe(401);
    expect(health.status).toBe(200);
  });

  const table = (name: string) => JSON.parse(stackOutput(context, 'MigrationTables'))[name] as string;

  it('serves health and its OpenAPI document', async () => {
    // Act
    const health = await fetch(`${base('Catalog')}/health`);
    const openapi = await fetch(`${base('Catalog')}/openapi.json`);

    // Assess
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', service: 'catalog' });
    expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('creates, reads, replaces and refuses a stale ETag', async () => {
    // Prepare
    const url = `${base('Catalog')}/v1/products/E2E-${run}`;
    const put = (body: unknown, headers: Record<string, string>) =>
      fetch(url, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

    // Act
    const created = await put({ name: 'e2e', price: '1.00', active: true }, { 'if-none-match': '*' });
    const read = await fetch(url);
    const replaced = await put({ name: 'e2e 2', price: '2.00' }, { 'if-match': read.headers.get('etag') ?? '' });
    const stale = await put({ name: 'lost', price: '3.00' }, { 'if-match': '"v1"' });
    const v2 = await fetch(`${base('Catalog')}/v2/products/E2E-${run}`);

    // Assess
    expect(created.status).toBe(201);
    expect(read.headers.get('etag')).toBe('"v1"');
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toBe('"v2"');
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    expect(await stale.json()).toMatchObject({ status: 412, field: 'If-Match', value: '"v1"' });
    expect(await v2.json()).toEqual({ sku: `E2E-${run}`, name: 'e2e 2', unitPrice: '2.00', currency: 'EUR' });
  });

  it('filters through an index, paginates with cursors without repeats, and refuses an undeclared filter', async () => {
    // Prepare: seven orders of one customer, straight into the deployed table (as backfill writes them).
    const customer = `C-${run}`;
    for (let i = 0; i < 7; i++) {
      const orderId = `${run}${i}`;
      await doc.send(
        new PutCommand({
          TableName: table('orders'),
          Item: { pk: `ORDER#${orderId}`, sk: 'ORDER', orderId, customerId: customer, placedAt: `2026-11-0${i + 1}T10:00:00Z`, lines: [] },
        }),
      );
    }

    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await fetch(
        `${base('Orders')}/v1/orders?customerId=${customer}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { orderId: string }[]; nextCursor?: string };
      seen.push(...page.items.map((o) => o.orderId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    const ranged = (await (await fetch(`${base('Orders')}/v1/orders?customerId=${customer}&placedAt.gte=2026-11-05`)).json()) as {
      items: unknown[];
    };
    const one = await fetch(`${base('Orders')}/v1/orders/${run}3`);
    const undeclared = await fetch(`${base('Orders')}/v1/orders?status=placed`);

    // Assess
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `${run}${i}`));
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(ranged.items).toHaveLength(3);
    expect(await one.json()).toMatchObject({ orderId: `${run}3`, customerId: customer });
    expect(undeclared.status).toBe(400);
    expect(await undeclared.json()).toMatchObject({ field: 'status', value: 'placed' });
  });
});
