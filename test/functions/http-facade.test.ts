import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpFacade, runShadow, type FacadeRequest, type ShadowJob, type ShadowVerdict } from '../../adapters/http/facade';
import { compileCompareRules } from '../../core/compare';
import { RouteTable } from '../../core/facade';
import { bucketOf, type RouteEntry } from '../../core/routing';
import { facadeSectionSchema } from '../../core/spec/facade';
import { toFacadeRequest, toResult } from '../../functions/http-facade/handler';
import { shopFacade } from '../../monolith/facade';
import { startFacadeFixture, type FacadeFixture } from '../support/facade-fixture';
import { routeEntry } from '../unit/routing-fixtures';

/*
 * The façade's pipeline with real HTTP on 127.0.0.1: the reference monolith's API over PGlite, a candidate,
 * and small servers that misbehave on purpose (slow, flaky, huge, hop-by-hop headers). The routing table is
 * an in-memory map the tests change between requests, as `cutover route` changes the DynamoDB one.
 */
const section = facadeSectionSchema.parse({
  ...shopFacade,
  timeoutMs: 400,
  retries: 1,
  maxResponseBytes: 64 * 1024,
  maxRequestBytes: 2048,
});
const routes = new RouteTable(section);

async function server(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () => {
      s.closeAllConnections();
      return new Promise<void>((r) => s.close(() => r()));
    },
  };
}

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
const entry = (mode: RouteEntry['mode'], extra: Partial<Record<keyof RouteEntry, unknown>> = {}): RouteEntry =>
  routeEntry({
    capability: 'customers',
    candidate: { version: 'v1', target: 'customers-v1' },
    stickyKey: 'customerId',
    mode,
    mirrorInCanary: false,
    ...extra,
  });

describe('Class: HttpFacade', () => {
  let fx: FacadeFixture;
  const table = new Map<string, RouteEntry>();
  const jobs: ShadowJob[] = [];
  const samples: Array<{ capability: string; side: string; failed: boolean }> = [];
  let facade: HttpFacade;
  let monolithBase: string;

  beforeAll(async () => {
    fx = await startFacadeFixture({ drift: (path, body) => (path.includes('C000002') ? { ...body, email: 'changed@example.com' } : body) });
    monolithBase = fx.monolithUrl;
    facade = new HttpFacade({
      section,
      routes,
      table: async () => table,
      urls: (side, capability) => (side === 'legacy' ? monolithBase : capability === 'customers' ? fx.candidateUrl : undefined),
      mirror: async (job) => {
        jobs.push(job);
      },
      record: (s) => samples.push(s),
    });
  }, 60_000);
  afterAll(async () => fx.close());
  beforeEach(() => {
    table.clear();
    jobs.length = 0;
    samples.length = 0;
    fx.candidate.requests.length = 0;
  });

  const get = (path: string, headers: Record<string, string> = {}): Promise<Awaited<ReturnType<HttpFacade['handle']>>> =>
    facade.handle({ method: 'GET', path, headers });

  describe('Method: handle', () => {
    it('proxies an unrouted storefront route to the monolith, whatever the table says', async () => {
      // Prepare
      table.set('customers', entry('primary'));
      // Act
      const res = await get('/products', {});
      const withQuery = await facade.handle({ method: 'GET', path: '/products', rawQuery: 'limit=2', headers: {} });
      // Assess
      expect(res.status).toBe(200);
      expect(res.headers['x-served-by']).toBe('monolith');
      expect((JSON.parse(decode(withQuery.bodyBase64)) as { items: unknown[] }).items).toHaveLength(2);
      expect(res.served).toMatchObject({ side: 'legacy', reason: 'no-route' });
    });

    it('legacy: serves the monolith and mirrors nothing', async () => {
      // Prepare
      table.set('customers', entry('legacy'));
      // Act
      const res = await get('/customers/C000001');
      // Assess
      expect(res.headers['x-served-by']).toBe('monolith');
      expect(JSON.parse(decode(res.bodyBase64))).toMatchObject({ customerId: 'C000001' });
      expect(jobs).toHaveLength(0);
      expect(samples).toEqual([expect.objectContaining({ capability: 'customers', side: 'legacy', failed: false })]);
    });

    it("shadow: serves the monolith and hands the candidate a copy with the monolith's answer", async () => {
      // Prepare
      table.set('customers', entry('shadow'));
      // Act
      const res = await get('/customers/C000001', { 'x-customer-id': 'C000001' });
      // Assess
      expect(res.headers['x-served-by']).toBe('monolith');
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({
        capability: 'customers',
        side: 'candidate',
        route: 'GET /customers/{customerId}',
        url: `${fx.candidateUrl}/customers/C000001`,
        authoritative: { side: 'legacy', status: 200 },
      });
      expect(jobs[0].headers['x-cutover-shadow']).toBe('1');
      expect(fx.candidate.requests).toHaveLength(0);
    });

    it('canary: each customer is served by the side its bucket says, every time', async () => {
      // Prepare
      table.set('customers', entry('canary', { percent: 50 }));
      const ids = ['C000001', 'C000002', 'C000003', 'C000004', 'C000005', 'C000006', 'C000007', 'C000008'];
      // Act
      const sides: Array<[string, string, string]> = [];
      for (const id of ids)
        for (let i = 0; i < 2; i++)
          sides.push([
            id,
            (await get(`/customers/${id}`, { 'x-customer-id': id })).headers['x-served-by'],
            bucketOf(id) < 50 ? 'candidate' : 'monolith',
          ]);
      // Assess
      for (const [, got, expected] of sides) expect(got).toBe(expected);
      expect(new Set(sides.map((s) => s[1]))).toEqual(new Set(['candidate', 'monolith']));
    });

    it('primary: serves the candidate; a rollback in the table is honoured by the next request', async () => {
      // Prepare
      table.set('customers', entry('primary'));
      // Act
      const before = await get('/customers/C000003');
      table.set('customers', entry('legacy', { revision: 8 }));
      const after = await get('/customers/C000003');
      // Assess
      expect(before.headers['x-served-by']).toBe('candidate');
      expect(after.headers['x-served-by']).toBe('monolith');
    });

    it('removes hop-by-hop headers both ways and adds X-Forwarded-*', async () => {
      // Prepare
      let seen: http.IncomingHttpHeaders = {};
      const echo = await server((req, res) => {
        seen = req.headers;
        res.writeHead(200, {
          'content-type': 'text/plain',
          Connection: 'x-up-hop',
          'x-up-hop': '1',
          'keep-alive': 'timeout=1',
          'x-kept': 'yes',
        });
        res.end('ok');
      });
      monolithBase = echo.url;
      try {
        // Act
        const res = await facade.handle({
          method: 'GET',
          path: '/products',
          headers: {
            connection: 'x-down-hop',
            'x-down-hop': 'secret',
            'proxy-authorization': 'Basic eA==',
            te: 'trailers',
            upgrade: 'h2c',
            'x-forwarded-for': '198.51.100.7',
            host: 'shop.example.com',
            accept: 'text/plain',
          },
          sourceIp: '203.0.113.1',
        });
        // Assess
        expect(seen['x-down-hop']).toBeUndefined();
        expect(seen['proxy-authorization']).toBeUndefined();
        expect(seen.upgrade).toBeUndefined();
        expect(seen['x-forwarded-for']).toBe('198.51.100.7, 203.0.113.1');
        expect(seen['x-forwarded-host']).toBe('shop.example.com');
        expect(seen['x-forwarded-proto']).toBe('https');
        expect(seen.accept).toBe('text/plain');
        expect(res.headers['x-up-hop']).toBeUndefined();
        expect(res.headers['keep-alive']).toBeUndefined();
        expect(res.headers['x-kept']).toBe('yes');
      } finally {
        monolithBase = fx.monolithUrl;
        await echo.close();
      }
    });

    it('passes every Set-Cookie through one by one', async () => {
      // Prepare
      const s = await server((_req, res) => {
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT']);
        res.end('{}');
      });
      monolithBase = s.url;
      try {
        // Act
        const res = await get('/products');
        // Assess
        expect(res.setCookies).toEqual(['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT']);
      } finally {
        monolithBase = fx.monolithUrl;
        await s.close();
      }
    });

    it('retries an idempotent request after a 503 and never retries a POST', async () => {
      // Prepare
      let calls = 0;
      const flaky = await server((_req, res) => {
        calls++;
        res.writeHead(calls % 2 === 1 ? 503 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ call: calls }));
      });
      monolithBase = flaky.url;
      try {
        // Act
        const g = await get('/products');
        const gCalls = calls;
        calls = 0;
        const p = await facade.handle({ method: 'POST', path: '/orders', headers: {}, body: '{}' });
        // Assess
        expect(g.status).toBe(200);
        expect(g.served.attempts).toBe(2);
        expect(gCalls).toBe(2);
        expect(p.status).toBe(503);
        expect(calls).toBe(1);
      } finally {
        monolithBase = fx.monolithUrl;
        await flaky.close();
      }
    });

    it('answers a 504 problem naming the side after the timeout, retried once for a GET only', async () => {
      // Prepare
      let calls = 0;
      const slow = await server((_req, res) => {
        calls++;
        setTimeout(() => res.end('late'), 2000).unref();
      });
      monolithBase = slow.url;
      try {
        // Act
        const g = await get('/products');
        const gCalls = calls;
        calls = 0;
        const p = await facade.handle({ method: 'POST', path: '/cart/items', headers: {}, body: '{}' });
        // Assess
        expect(g.status).toBe(504);
        expect(g.headers['content-type']).toBe('application/problem+json');
        expect(JSON.parse(decode(g.bodyBase64))).toMatchObject({
          status: 504,
          side: 'legacy',
          attempts: 2,
          detail: expect.stringContaining('monolith (legacy side) did not answer within 400 ms'),
        });
        expect(gCalls).toBe(2);
        expect(p.status).toBe(504);
        expect(calls).toBe(1);
      } finally {
        monolithBase = fx.monolithUrl;
        await slow.close();
      }
    });

    it('refuses a request body over the limit with 413 before sending anything, and a response over the limit with 502', async () => {
      // Prepare
      let calls = 0;
      const huge = await server((_req, res) => {
        calls++;
        res.end('x'.repeat(100 * 1024));
      });
      monolithBase = huge.url;
      try {
        // Act
        const big = await facade.handle({ method: 'POST', path: '/cart/items', headers: {}, body: 'y'.repeat(3000) });
        const callsAfterBig = calls;
        const large = await get('/products');
        // Assess
        expect(big.status).toBe(413);
        expect(JSON.parse(decode(big.bodyBase64))).toMatchObject({ field: 'body', value: 3000, limit: 2048 });
        expect(callsAfterBig).toBe(0);
        expect(large.status).toBe(502);
        expect(JSON.parse(decode(large.bodyBase64)).detail).toContain('larger than 65536 bytes');
      } finally {
        monolithBase = fx.monolithUrl;
        await huge.close();
      }
    });

    it('answers 502 naming the candidate when it is down, and counts it against the candidate', async () => {
      // Prepare
      const down = await server((_req, res) => res.end());
      const downUrl = down.url;
      await down.close();
      const f = new HttpFacade({
        section,
        routes,
        table: async () => new Map([['customers', entry('primary')]]),
        urls: (side) => (side === 'legacy' ? fx.monolithUrl : downUrl),
        record: (s) => samples.push(s),
      });
      // Act
      const res = await f.handle({ method: 'GET', path: '/customers/C000001', headers: {} });
      // Assess
      expect(res.status).toBe(502);
      expect(JSON.parse(decode(res.bodyBase64))).toMatchObject({ side: 'candidate', route: 'GET /customers/{customerId}' });
      expect(samples).toEqual([expect.objectContaining({ side: 'candidate', failed: true })]);
    });

    it('fails closed with 503 for a routed route when the table cannot be read, and still serves unrouted ones', async () => {
      // Prepare
      const f = new HttpFacade({
        section,
        routes,
        table: () => Promise.reject(new Error('ProvisionedThroughputExceeded')),
        urls: () => fx.monolithUrl,
      });
      // Act
      const routed = await f.handle({ method: 'GET', path: '/customers/C000001', headers: {} });
      const unrouted = await f.handle({ method: 'GET', path: '/products/BAG-0001', headers: {} });
      // Assess
      expect(routed.status).toBe(503);
      expect(JSON.parse(decode(routed.bodyBase64)).detail).toContain('ProvisionedThroughputExceeded');
      expect(unrouted.status).toBe(200);
    });
  });
});

describe('Function: runShadow', () => {
  let fx: FacadeFixture;
  beforeAll(async () => {
    fx = await startFacadeFixture({
      orders: 5,
      drift: (path, body) =>
        path.includes('C000002') ? { ...body, email: 'changed@example.com', createdAt: 'noise' } : { ...body, createdAt: 'noise' },
    });
  }, 60_000);
  afterAll(async () => fx.close());

  async function shadowOf(id: string, recorded: Array<[ShadowVerdict, string]>): Promise<ShadowVerdict> {
    const f = new HttpFacade({
      section,
      routes,
      table: async () => new Map([['customers', entry('shadow')]]),
      urls: (side) => (side === 'legacy' ? fx.monolithUrl : fx.candidateUrl),
      mirror: async (job) => void jobs.push(job),
    });
    const jobs: ShadowJob[] = [];
    await f.handle({ method: 'GET', path: `/customers/${id}`, headers: {} } satisfies FacadeRequest);
    return runShadow(jobs[0], {
      section,
      comparatorFor: () => compileCompareRules({ ignore: ['createdAt'] }),
      record: async (v, side) => void recorded.push([v, side]),
    });
  }

  it('records a match when the candidate differs only where the compare rules say to ignore', async () => {
    // Prepare
    const recorded: Array<[ShadowVerdict, string]> = [];
    // Act
    const v = await shadowOf('C000001', recorded);
    // Assess
    expect(v.status).toBe('match');
    expect(recorded).toEqual([[expect.objectContaining({ status: 'match', capability: 'customers' }), 'candidate']]);
    expect(fx.candidate.requests.at(-1)).toMatchObject({ shadow: true, path: '/customers/C000001' });
  });

  it("records a mismatch naming the field, the monolith's value and the candidate's", async () => {
    // Prepare
    const recorded: Array<[ShadowVerdict, string]> = [];
    // Act
    const v = await shadowOf('C000002', recorded);
    // Assess
    expect(v.status).toBe('mismatch');
    expect(v.diffs).toEqual([expect.objectContaining({ path: 'email', kind: 'changed', actual: 'changed@example.com' })]);
    expect(recorded[0][0].status).toBe('mismatch');
  });

  it('records a failed shadow (not a mismatch) when the candidate is unreachable', async () => {
    // Prepare
    const job: ShadowJob = {
      capability: 'customers',
      route: 'GET /customers/{customerId}',
      side: 'candidate',
      url: 'http://127.0.0.1:1/customers/C1',
      method: 'GET',
      headers: {},
      authoritative: { side: 'legacy', status: 200, headers: {}, bodyBase64: '' },
      correlationId: 'c',
    };
    const recorded: ShadowVerdict[] = [];
    // Act
    const v = await runShadow(job, { section, comparatorFor: () => compileCompareRules({}), record: async (r) => void recorded.push(r) });
    // Assess
    expect(v.status).toBe('shadow-failed');
    expect(v.error).toContain('127.0.0.1:1');
    expect(recorded).toHaveLength(1);
  });
});

describe('Function: toFacadeRequest / toResult', () => {
  const event = (rawPath: string, stage: string): APIGatewayProxyEventV2 =>
    ({
      version: '2.0',
      routeKey: '$default',
      rawPath,
      rawQueryString: 'a=1&a=2&b=%20',
      cookies: ['customer=C1', 'theme=dark'],
      headers: { 'x-customer-id': 'C9', host: 'shop.example.com' },
      requestContext: {
        stage,
        requestId: 'req-1',
        http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.5', userAgent: 'jest' },
      },
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEventV2;

  it.each([
    ['/customers/C1', '$default', '/customers/C1'],
    ['/prod/customers/C1', 'prod', '/customers/C1'],
    ['/prod', 'prod', '/'],
    ['/production/x', 'prod', '/production/x'],
  ])('reads %s on stage %s as %s, with the raw query and the cookies back in a Cookie header', (rawPath, stage, path) => {
    // Act
    const req = toFacadeRequest(event(rawPath, stage));
    // Assess
    expect(req).toMatchObject({ method: 'GET', path, rawQuery: 'a=1&a=2&b=%20', sourceIp: '203.0.113.5', correlationId: 'req-1' });
    expect(req.headers.cookie).toBe('customer=C1; theme=dark');
  });

  it('returns the body as base64, Set-Cookie as cookies, and no body for HEAD', () => {
    // Prepare
    const res = {
      status: 201,
      headers: { 'content-type': 'application/json' },
      setCookies: ['a=1'],
      bodyBase64: Buffer.from('{"ok":true}').toString('base64'),
      served: { side: 'legacy' as const, reason: 'no-route', bucket: null, attempts: 1, upstreamMs: 1 },
    };
    // Act / Assess
    expect(toResult(res, 'GET')).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      cookies: ['a=1'],
      body: res.bodyBase64,
      isBase64Encoded: true,
    });
    expect(toResult(res, 'HEAD')).toMatchObject({ body: '', isBase64Encoded: false });
  });
});
