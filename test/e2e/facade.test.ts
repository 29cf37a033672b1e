/**
 * The HTTP façade on the emulator with real HTTP: API Gateway HTTP API ($default route, payload 2.0) ->
 * the façade Lambda (a node process MiniStack runs on this machine) -> the reference monolith's HTTP API
 * and a candidate this test starts on 127.0.0.1 (the ports the stack was deployed with, facade-driver.ts).
 * Routing changes go through the same RoutingControl as `cutover route`, on the deployed routing table.
 */
import { bucketOf, type RouteChange } from '../../core/routing';
import { FACADE_OUTPUTS } from '../../lib/stacks/facade-stack';
import { startFacadeFixture, type FacadeFixture } from '../support/facade-fixture';
import { FACADE_E2E_CANDIDATE_PORT, FACADE_E2E_MONOLITH_PORT, facadeBase } from './facade-driver';
import { awsEnv, loadE2eContext, stackOutput, type E2eContext } from './harness';
import { RoutingDriver } from './routing-driver';

const CAPABILITY = 'customers';
const ACTOR = 'e2e:facade';

describe('e2e: HTTP strangler façade', () => {
  let context: E2eContext;
  let fx: FacadeFixture;
  let driver: RoutingDriver;
  let base: string;

  beforeAll(async () => {
    context = loadE2eContext();
    Object.assign(process.env, awsEnv(context.endpoint));
    driver = new RoutingDriver(context.endpoint, context.outputs);
    base = facadeBase(context.endpoint, stackOutput(context, FACADE_OUTPUTS.apiId), stackOutput(context, FACADE_OUTPUTS.stage));
    fx = await startFacadeFixture({
      orders: 60,
      monolithPort: FACADE_E2E_MONOLITH_PORT,
      candidatePort: FACADE_E2E_CANDIDATE_PORT,
      drift: (path, body) => (/C000004$/.test(path) ? { ...body, lastName: 'Different' } : body),
    });
  }, 120_000);
  afterAll(async () => {
    await driver?.control.change(CAPABILITY, { kind: 'rollback' }, ACTOR, 'e2e: leave the route on legacy').catch(() => undefined);
    await fx?.close();
  });

  const move = async (changes: RouteChange[]): Promise<void> => {
    for (const change of changes) await driver.control.change(CAPABILITY, change, ACTOR, 'e2e facade');
    await new Promise((r) => setTimeout(r, 1100)); // the Lambda's cache TTL (500 ms) plus a margin
  };
  const get = (path: string, id?: string): Promise<Response> => fetch(`${base}${path}`, { headers: id ? { 'x-customer-id': id } : {} });

  it('legacy: proxies storefront routes to the monolith through API Gateway and the Lambda', async () => {
    // Prepare
    await move([{ kind: 'rollback' }, { kind: 'setHealth', health: 'healthy' }]);
    // Act
    const product = await get('/products?limit=2');
    const customer = await get('/customers/C000001', 'C000001');
    const missing = await get('/products/NOPE');
    // Assess
    expect(product.status).toBe(200);
    expect(((await product.json()) as { items: unknown[] }).items).toHaveLength(2);
    expect(customer.headers.get('x-served-by')).toBe('monolith');
    expect(await customer.json()).toMatchObject({ customerId: 'C000001' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('problem+json');
  }, 60_000);

  it("shadow: serves the monolith and records the candidate's mismatch as MismatchRate", async () => {
    // Prepare
    await move([{ kind: 'setMode', mode: 'shadow' }]);
    const before = fx.candidate.requests.length;
    // Act
    const res = await get('/customers/C000004', 'C000004');
    const same = await get('/customers/C000005', 'C000005');
    // Assess: both served by the monolith; the shadow Lambda's copies reach the candidate
    expect(res.headers.get('x-served-by')).toBe('monolith');
    expect(same.headers.get('x-served-by')).toBe('monolith');
    const deadline = Date.now() + 30_000;
    while (fx.candidate.requests.filter((r, i) => i >= before && r.shadow).length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(
      fx.candidate.requests
        .slice(before)
        .filter((r) => r.shadow)
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/customers/C000004', '/customers/C000005']);
    let metrics = await driver.metrics.read(CAPABILITY, 'candidate', 300);
    while ((metrics.comparisons ?? 0) < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      metrics = await driver.metrics.read(CAPABILITY, 'candidate', 300);
    }
    expect(metrics.comparisons).toBeGreaterThanOrEqual(2);
    expect(metrics.mismatchRate).toBeGreaterThan(0);
  }, 90_000);

  it('canary: each customer is served by the side its bucket says', async () => {
    // Prepare
    await move([{ kind: 'setMode', mode: 'canary', percent: 50 }]);
    const ids = Array.from({ length: 12 }, (_, i) => `C${String(i + 1).padStart(6, '0')}`);
    // Act
    const served: Array<[string, string | null]> = [];
    for (const id of ids) served.push([id, (await get(`/customers/${id}`, id)).headers.get('x-served-by')]);
    // Assess
    for (const [id, side] of served) expect({ id, side }).toEqual({ id, side: bucketOf(id) < 50 ? 'candidate' : 'monolith' });
  }, 90_000);

  it('rollback: honoured by the deployed façade within a second of the commit', async () => {
    // Prepare
    await move([{ kind: 'setMode', mode: 'canary', percent: 100 }]);
    expect((await get('/customers/C000001', 'C000001')).headers.get('x-served-by')).toBe('candidate');
    // Act
    await driver.control.change(CAPABILITY, { kind: 'rollback' }, ACTOR, 'e2e: rollback');
    const committed = Date.now();
    let honouredAfter = -1;
    while (Date.now() - committed < 5000) {
      const t = Date.now();
      const res = await get('/customers/C000001', 'C000001');
      if (res.headers.get('x-served-by') === 'monolith') {
        honouredAfter = t - committed;
        break;
      }
    }
    // Assess: the first request sent 1 s after the commit at the latest is served by the monolith
    expect(honouredAfter).toBeGreaterThanOrEqual(0);
    expect(honouredAfter).toBeLessThan(1000);
  }, 60_000);
});
