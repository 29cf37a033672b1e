import fc from 'fast-check';
import { compileCompareRules } from '../../core/compare';
import {
  compareResponses,
  connectionTokens,
  cookieValue,
  facadeProblem,
  isHopByHop,
  isIdempotent,
  jwtClaim,
  normaliseHeaders,
  planRequest,
  requestHeadersFor,
  resolveSides,
  responseHeadersFor,
  retryDelayMs,
  RouteTable,
  shouldRetry,
  stickyKeyOfRequest,
  upstreamUrl,
} from '../../core/facade';
import { bucketOf, type RoutingTable } from '../../core/routing';
import { facadeSectionSchema } from '../../core/spec/facade';
import { shopFacade } from '../../monolith/facade';
import { randomKeys, routeEntry } from './routing-fixtures';

const section = facadeSectionSchema.parse(shopFacade);
const routes = new RouteTable(section);
const jwt = (payload: unknown): string =>
  `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
const customersTable = (overrides: Parameters<typeof routeEntry>[0]): RoutingTable =>
  new Map([
    [
      'customers',
      routeEntry({ capability: 'customers', candidate: { version: 'v1', target: 'customers-v1' }, stickyKey: 'customerId', ...overrides }),
    ],
  ]);

describe('Class: RouteTable', () => {
  describe('Method: match', () => {
    it.each([
      ['GET', '/customers/C000001', 'GET /customers/{customerId}', { customerId: 'C000001' }],
      ['PUT', '/customers/C000001', 'PUT /customers/{customerId}', { customerId: 'C000001' }],
      ['GET', '/customers/C000001/orders', 'GET /customers/{customerId}/orders', { customerId: 'C000001' }],
      ['GET', '/customers/C%20001', 'GET /customers/{customerId}', { customerId: 'C 001' }],
      ['HEAD', '/products/BAG-0001', 'GET /products/{sku}', { sku: 'BAG-0001' }],
      ['get', '/products', 'GET /products', {}],
      ['DELETE', '/cart/items/BAG-1', 'DELETE /cart/items/{sku}', { sku: 'BAG-1' }],
    ])('matches %s %s to %s', (method, path, id, params) => {
      // Act
      const m = routes.match(method, path);
      // Assess
      expect(m?.route.id).toBe(id);
      expect(m?.params).toEqual(params);
    });

    it.each([
      ['POST', '/customers/C1'],
      ['GET', '/customers'],
      ['GET', '/customers/'],
      ['GET', '/customers/C1/orders/extra'],
      ['GET', '/nothing'],
      ['GET', '/customers/%E0%A4%A'],
    ])('leaves %s %s unmatched (the monolith serves it unrouted)', (method, path) => {
      // Act / Assess
      expect(routes.match(method, path)).toBeUndefined();
    });

    it('prefers a literal segment over a parameter, and a parameter over a greedy tail, whatever the order declared', () => {
      // Prepare
      const t = new RouteTable({
        stickyKey: { header: 'x-k' },
        routes: [
          { method: 'GET', path: '/a/{rest+}' },
          { method: 'GET', path: '/a/{id}' },
          { method: 'GET', path: '/a/special' },
        ],
      });
      // Act / Assess
      expect(t.match('GET', '/a/special')?.route.pattern).toBe('/a/special');
      expect(t.match('GET', '/a/x')?.route.pattern).toBe('/a/{id}');
      expect(t.match('GET', '/a/x/y/z')).toMatchObject({ route: { pattern: '/a/{rest+}' }, params: { rest: 'x/y/z' } });
    });
  });
});

describe('Function: facadeSectionSchema', () => {
  it.each([
    [{ stickyKey: {}, routes: [{ method: 'GET', path: '/a' }] }, 'stickyKey: name at least one'],
    [{ stickyKey: { header: 'x' }, routes: [{ method: 'GET', path: 'a' }] }, 'routes.0.path'],
    [{ stickyKey: { header: 'x' }, routes: [{ method: 'GET', path: '/a/{rest+}/b' }] }, 'greedy'],
    [
      {
        stickyKey: { header: 'x' },
        routes: [
          { method: 'GET', path: '/a/{x}' },
          { method: 'GET', path: '/a/{y}' },
        ],
      },
      'matches the same requests as routes[0]',
    ],
    [{ stickyKey: { header: 'x' }, routes: [{ method: 'GET', path: '/a' }], cacheTtlMs: 5000 }, 'cacheTtlMs'],
  ])('refuses %j naming the field', (input, message) => {
    // Act
    const r = facadeSectionSchema.safeParse(input);
    // Assess
    expect(r.success).toBe(false);
    const text = r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(text).toContain(message.split(':')[0]);
  });
});

describe('Function: stickyKeyOfRequest', () => {
  const source = { header: 'X-Customer-Id', cookie: 'customer', jwtClaim: 'sub', pathParam: 'customerId' };
  it.each([
    [
      { 'x-customer-id': 'H1', cookie: 'customer=K1', authorization: jwt({ sub: 'J1' }) },
      { customerId: 'P1' },
      { key: 'H1', from: 'header' },
    ],
    [{ cookie: 'a=b; customer=K%201' }, { customerId: 'P1' }, { key: 'K 1', from: 'cookie' }],
    [{ cookie: 'customer="Q1"' }, {}, { key: 'Q1', from: 'cookie' }],
    [{ authorization: jwt({ sub: 'J1' }) }, { customerId: 'P1' }, { key: 'J1', from: 'jwt' }],
    [{ authorization: jwt({ sub: 42 }) }, {}, { key: '42', from: 'jwt' }],
    [{ authorization: 'Bearer not-a-jwt' }, { customerId: 'P1' }, { key: 'P1', from: 'path' }],
    [{ 'x-customer-id': '  ' }, {}, undefined],
    [{ authorization: jwt({ sub: { nested: 1 } }) }, {}, undefined],
  ])('reads %j (params %j) as %j', (headers, params, expected) => {
    // Act / Assess
    expect(stickyKeyOfRequest(source, { headers, params })).toEqual(expected);
  });

  it('reads the same key from a header, a cookie and a JWT claim carrying it, so all three land in one bucket', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/), (id) => {
        const viaHeader = stickyKeyOfRequest({ header: 'x-c' }, { headers: { 'x-c': id }, params: {} });
        const viaCookie = stickyKeyOfRequest({ cookie: 'c' }, { headers: { cookie: `c=${encodeURIComponent(id)}` }, params: {} });
        const viaJwt = stickyKeyOfRequest({ jwtClaim: 'sub' }, { headers: { authorization: jwt({ sub: id }) }, params: {} });
        expect(viaHeader?.key).toBe(id);
        expect(viaCookie?.key).toBe(id);
        expect(viaJwt?.key).toBe(id);
      }),
      { seed: 13, numRuns: 200 },
    );
  });

  it('never throws on a malformed cookie or token', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (cookie, auth) => {
        expect(() => cookieValue(cookie, 'customer')).not.toThrow();
        expect(() => jwtClaim(auth, 'sub')).not.toThrow();
      }),
      { seed: 14, numRuns: 300 },
    );
  });
});

describe('Function: planRequest', () => {
  it.each([
    ['legacy', {}, 'legacy', undefined, 'mode-legacy'],
    ['shadow', {}, 'legacy', 'candidate', 'mode-shadow'],
    ['primary', {}, 'candidate', undefined, 'mode-primary'],
    ['primary', { legacyShadowInPrimary: true }, 'candidate', 'legacy', 'mode-primary'],
    ['retired', {}, 'candidate', undefined, 'mode-retired'],
    ['shadow', { health: 'unhealthy' }, 'legacy', undefined, 'candidate-unhealthy'],
  ] as const)('in %s mode %j serves %s with shadow %s (%s)', (mode, extra, authoritative, shadow, reason) => {
    // Prepare
    const table = customersTable({ mode, ...extra });
    // Act
    const plan = planRequest(routes, table, 'GET', '/customers/C000001', {});
    // Assess
    expect(plan.capability).toBe('customers');
    expect(plan.decision).toMatchObject({ authoritative, shadow, reason });
    expect(plan.key).toBe('C000001');
  });

  it('routes an unrouted path and a path without a capability to the monolith, whatever the table says', () => {
    // Prepare
    const table = customersTable({ mode: 'primary' });
    // Act / Assess
    expect(planRequest(routes, table, 'GET', '/products/BAG-1', {}).decision).toMatchObject({
      authoritative: 'legacy',
      reason: 'no-route',
    });
    expect(planRequest(routes, table, 'GET', '/unknown', {}).decision).toMatchObject({ authoritative: 'legacy', reason: 'no-route' });
  });

  it('routes a capability with no table entry to the monolith', () => {
    // Act / Assess
    expect(planRequest(routes, new Map(), 'GET', '/customers/C1', {}).decision).toMatchObject({
      authoritative: 'legacy',
      reason: 'no-route',
    });
  });

  it('is sticky: one key gets one side at a percent, and raising the percent only moves keys to the candidate', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{1,16}$/),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (key, p1, p2) => {
          const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
          const at = (p: number) =>
            planRequest(routes, customersTable({ mode: 'canary', percent: p }), 'GET', `/customers/${key}`, { 'x-customer-id': key })
              .decision.authoritative;
          expect(at(lo)).toBe(at(lo));
          if (at(lo) === 'candidate') expect(at(hi)).toBe('candidate');
          expect(
            planRequest(routes, customersTable({ mode: 'canary', percent: lo }), 'GET', `/customers/${key}`, { 'x-customer-id': key })
              .decision.bucket,
          ).toBe(bucketOf(key));
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });

  it.each([5, 20, 50, 90])('sends about %i%% of 20 000 customers to the candidate in canary', (percent) => {
    // Prepare
    const table = customersTable({ mode: 'canary', percent });
    const keys = randomKeys(20_000, percent);
    // Act
    const share =
      keys.filter(
        (k) =>
          planRequest(routes, table, 'GET', '/cart', { 'x-customer-id': k, cookie: 'customer=other' }).decision.authoritative ===
          'candidate',
      ).length / keys.length;
    // Assess: /cart has no capability, so nothing moves; the customer route does
    expect(share).toBe(0);
    const moved =
      keys.filter(
        (k) => planRequest(routes, table, 'GET', `/customers/${k}`, { 'x-customer-id': k }).decision.authoritative === 'candidate',
      ).length / keys.length;
    expect(Math.abs(moved - percent / 100)).toBeLessThan(0.015);
  });

  it('serves a canary request without any key from the monolith', () => {
    // Prepare
    const custom = new RouteTable({
      stickyKey: { header: 'x-customer-id' },
      routes: [{ method: 'GET', path: '/me', capability: 'customers' }],
    });
    // Act
    const plan = planRequest(custom, customersTable({ mode: 'canary', percent: 100 }), 'GET', '/me', {});
    // Assess
    expect(plan.decision).toMatchObject({ authoritative: 'legacy', reason: 'canary-no-key', bucket: null });
  });
});

describe('Function: resolveSides', () => {
  it('falls back to the monolith, without a shadow, when the candidate has no URL in this deployment', () => {
    // Prepare
    const plan = planRequest(routes, customersTable({ mode: 'primary' }), 'GET', '/customers/C1', {});
    // Act / Assess
    expect(resolveSides(plan, (side) => (side === 'legacy' ? 'http://m' : undefined))).toEqual({
      authoritative: 'legacy',
      shadow: undefined,
      fallback: true,
    });
    expect(resolveSides(plan, () => 'http://x')).toEqual({ authoritative: 'candidate', shadow: undefined, fallback: false });
  });

  it('drops a shadow whose side has no URL', () => {
    // Prepare
    const plan = planRequest(routes, customersTable({ mode: 'shadow' }), 'GET', '/customers/C1', {});
    // Act / Assess
    expect(resolveSides(plan, (side) => (side === 'legacy' ? 'http://m' : undefined))).toEqual({
      authoritative: 'legacy',
      shadow: undefined,
      fallback: false,
    });
  });
});

describe('Function: upstreamUrl', () => {
  it.each([
    ['http://m:8080', '/customers/C1', undefined, 'http://m:8080/customers/C1'],
    ['http://m:8080/', '/customers/C1', 'a=1&b=%20', 'http://m:8080/customers/C1?a=1&b=%20'],
    ['https://api.example.com/shop', '/products', 'limit=2', 'https://api.example.com/shop/products?limit=2'],
  ])('joins %s + %s + %s', (base, path, q, expected) => {
    expect(upstreamUrl(base, path, q)).toBe(expected);
  });
});

describe('Header rules', () => {
  it.each([
    'Connection',
    'Keep-Alive',
    'TE',
    'Trailer',
    'Transfer-Encoding',
    'Upgrade',
    'Proxy-Authorization',
    'Proxy-Authenticate',
    'Proxy-Connection',
    'Proxy-Anything',
  ])('treats %s as hop-by-hop', (name) => {
    expect(isHopByHop(name)).toBe(true);
  });

  it('removes hop-by-hop headers and those the Connection header names, in both directions', () => {
    // Prepare
    const incoming = normaliseHeaders({
      Connection: 'keep-alive, X-Session-Hop , close',
      'Keep-Alive': 'timeout=5',
      'X-Session-Hop': 'secret',
      TE: 'trailers',
      Upgrade: 'h2c',
      'Proxy-Authorization': 'Basic x',
      'Transfer-Encoding': 'chunked',
      Host: 'shop.example.com',
      'Content-Length': '12',
      Accept: 'application/json',
      'X-Keep': 'yes',
    });
    // Act
    const up = requestHeadersFor(incoming, { sourceIp: '203.0.113.9' });
    const down = responseHeadersFor(
      normaliseHeaders({
        Connection: 'X-Down',
        'X-Down': '1',
        'Content-Encoding': 'gzip',
        'Content-Length': '10',
        'Set-Cookie-Like': 'a',
        'Content-Type': 'text/plain',
      }),
    );
    // Assess
    expect(Object.keys(up).sort()).toEqual(['accept', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-keep']);
    expect(Object.keys(down).sort()).toEqual(['content-type', 'set-cookie-like']);
    expect(connectionTokens('a, B ,,c')).toEqual(['a', 'b', 'c']);
  });

  it('appends to X-Forwarded-For and keeps the Host the client asked for', () => {
    // Act
    const up = requestHeadersFor(normaliseHeaders({ 'x-forwarded-for': '198.51.100.1', host: 'shop.example.com' }), {
      sourceIp: '203.0.113.9',
    });
    // Assess
    expect(up).toMatchObject({
      'x-forwarded-for': '198.51.100.1, 203.0.113.9',
      'x-forwarded-host': 'shop.example.com',
      'x-forwarded-proto': 'https',
    });
  });

  it('never forwards a hop-by-hop header, whatever the mix (property)', () => {
    const hop = fc.constantFrom('connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-x', 'x-named');
    const other = fc.stringMatching(/^x-[a-z]{1,8}$/).filter((n) => n !== 'x-named' && !n.startsWith('x-forwarded'));
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(hop, other), fc.stringMatching(/^[a-z0-9]{0,8}$/), { maxKeys: 12 }), (h) => {
        const headers: Record<string, string> = { ...h, connection: 'x-named' };
        const named = connectionTokens(headers.connection);
        for (const out of [requestHeadersFor(headers, {}), responseHeadersFor(headers)]) {
          for (const k of Object.keys(out)) expect(isHopByHop(k, named)).toBe(false);
          for (const k of Object.keys(headers)) if (!isHopByHop(k, named)) expect(out[k]).toBe(headers[k]);
        }
      }),
      { seed: 16, numRuns: 200 },
    );
  });
});

describe('Retry policy', () => {
  it.each([
    ['GET', 1, 1, { kind: 'timeout' }, true],
    ['GET', 2, 1, { kind: 'timeout' }, false],
    ['PUT', 1, 1, { kind: 'network' }, true],
    ['DELETE', 1, 2, { kind: 'status', status: 503 }, true],
    ['GET', 1, 1, { kind: 'status', status: 500 }, false],
    ['GET', 1, 1, { kind: 'status', status: 404 }, false],
    ['GET', 1, 1, { kind: 'too-large' }, false],
    ['POST', 1, 3, { kind: 'timeout' }, false],
    ['PATCH', 1, 3, { kind: 'status', status: 502 }, false],
    ['GET', 1, 0, { kind: 'timeout' }, false],
  ] as const)('%s attempt %i of retries %i after %j: retry %s', (method, attempt, retries, outcome, expected) => {
    expect(shouldRetry(method, attempt, retries, outcome)).toBe(expected);
  });

  it('never retries a non-idempotent method and never exceeds the retries (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'POST', 'PATCH'),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom({ kind: 'timeout' } as const, { kind: 'network' } as const, { kind: 'status', status: 503 } as const),
        (m, attempt, retries, outcome) => {
          const r = shouldRetry(m, attempt, retries, outcome);
          if (!isIdempotent(m) || attempt > retries) expect(r).toBe(false);
          else expect(r).toBe(true);
        },
      ),
      { seed: 17, numRuns: 300 },
    );
  });

  it('waits a bounded, growing backoff', () => {
    expect(retryDelayMs(1, 0)).toBe(13);
    expect(retryDelayMs(1, 1)).toBe(25);
    expect(retryDelayMs(10, 1)).toBe(200);
  });
});

describe('Function: facadeProblem', () => {
  it.each([
    [{ kind: 'request-too-large', bytes: 2_000_000, limit: 1_048_576 }, 413, 'the request body is 2000000 bytes'],
    [
      { kind: 'upstream-timeout', side: 'legacy', timeoutMs: 5000, attempts: 2 },
      504,
      'monolith (legacy side) did not answer within 5000 ms (2 attempts)',
    ],
    [
      { kind: 'upstream-unreachable', side: 'candidate', attempts: 1, message: 'ECONNREFUSED' },
      502,
      'new implementation (candidate side) could not be reached: ECONNREFUSED',
    ],
    [{ kind: 'response-too-large', side: 'legacy', limit: 10 }, 502, 'larger than 10 bytes'],
    [{ kind: 'routing-unavailable', message: 'throttled' }, 503, 'the routing table could not be read: throttled'],
  ] as const)('%j is a %i naming what failed', (failure, status, detail) => {
    // Act
    const p = facadeProblem(failure, 'GET /customers/{customerId}', 'corr-1');
    // Assess
    expect(p.status).toBe(status);
    expect(p.detail).toContain(detail);
    expect(p).toMatchObject({
      route: 'GET /customers/{customerId}',
      correlationId: 'corr-1',
      type: `https://cutover.dev/problems/facade/${failure.kind}`,
    });
  });
});

describe('Function: compareResponses', () => {
  const comparator = compileCompareRules({ ignore: ['**.updatedAt'], normalise: [{ path: 'lines', op: 'sortArray', by: 'sku' }] });
  const json = (status: number, body: unknown) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  it.each([
    [json(200, { a: 1, updatedAt: 'x' }), json(200, { a: 1, updatedAt: 'y' }), true, []],
    [json(200, { lines: [{ sku: 'B' }, { sku: 'A' }] }), json(200, { lines: [{ sku: 'A' }, { sku: 'B' }] }), true, []],
    [json(200, { a: 1 }), json(200, { a: 2 }), false, ['a']],
    [json(200, { a: 1 }), json(404, { a: 1 }), false, ['status']],
    [{ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' }, { status: 200, headers: {}, body: 'hello!' }, false, ['$']],
  ])('compares %j with %j: equal %s', (legacy, candidate, equal, paths) => {
    // Act
    const r = compareResponses(comparator, legacy, candidate);
    // Assess
    expect(r.equal).toBe(equal);
    expect(r.diffs.map((d) => d.path)).toEqual(paths);
  });
});
