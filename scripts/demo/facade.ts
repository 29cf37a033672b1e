import { RuleBook } from '../../core/compare';
import { bucketOf, type RouteChange } from '../../core/routing';
import { RouteTable } from '../../core/facade';
import { HttpFacade, runShadow, type ShadowVerdict } from '../../adapters/http/facade';
import { routingTableCache } from '../../adapters/http/routing-view';
import { RoutingDriver } from '../../test/e2e/routing-driver';
import { startFacadeFixture } from '../../test/support/facade-fixture';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

const CAPABILITY = 'customers';
const ACTOR = 'demo:facade';
const ROUTE = '/customers/{customerId}';

/**
 * The HTTP strangler façade moving one storefront route, GET /customers/{customerId}, legacy -> shadow ->
 * canary 30% -> rollback, with the SAME routing table and commands as the events (the `customers`
 * capability on the deployed routing table). The monolith's HTTP API (PGlite) and a candidate that differs
 * on purpose for some customers run on 127.0.0.1; the façade's pipeline runs in this process over real
 * HTTP (the API Gateway + Lambda hop is the e2e test's and the README says where each part is covered).
 */
export const facadeScenario: DemoScenario = {
  name: 'facade',
  title: 'HTTP façade: GET /customers/{id} from legacy to shadow to a 30% canary, and a rollback under a second',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const driver = new RoutingDriver(ctx.endpoint, ctx.outputs);
    const spec = driver.spec;
    const section = spec.facade!;
    // The candidate renders the tier in upper case for a few customers: shadow comparison must find it.
    const fx = await startFacadeFixture({
      orders: 100,
      drift: (path, body) => (/C00000[37]$/.test(path) ? { ...body, tier: String(body.tier).toUpperCase() } : body),
    });
    const summary: string[] = [];
    let ok = true;
    try {
      const verdicts: ShadowVerdict[] = [];
      const pending: Array<Promise<unknown>> = [];
      const comparator = new RuleBook(spec.capture?.compare, { capability: CAPABILITY }).comparatorFor('');
      const cache = routingTableCache(driver.store, section.cacheTtlMs);
      const facade = new HttpFacade({
        section,
        routes: new RouteTable(section),
        table: () => cache.get(),
        urls: (side, capability) => (side === 'legacy' ? fx.monolithUrl : capability === CAPABILITY ? fx.candidateUrl : undefined),
        mirror: async (job) => {
          pending.push(
            runShadow(job, {
              section,
              comparatorFor: () => comparator,
              record: async (v, side) => {
                verdicts.push(v);
                await driver.metrics.publish(
                  [{ capability: v.capability, side, failed: v.status === 'shadow-failed', latencyMs: v.latencyMs }],
                  v.status === 'shadow-failed' ? [] : [{ capability: v.capability, mismatched: v.status === 'mismatch' }],
                );
              },
            }),
          );
        },
      });
      const ids = Array.from({ length: 20 }, (_, i) => `C${String(i + 1).padStart(6, '0')}`);
      const move = async (changes: RouteChange[], reason: string) => {
        for (const change of changes) await driver.control.change(CAPABILITY, change, ACTOR, reason);
        await new Promise((r) => setTimeout(r, section.cacheTtlMs + 100));
      };
      const traffic = async (label: string, expected: (id: string) => 'monolith' | 'candidate') => {
        verdicts.length = 0;
        const served = new Map<string, string>();
        for (const id of ids)
          served.set(
            id,
            (await facade.handle({ method: 'GET', path: `/customers/${id}`, headers: { 'x-customer-id': id } })).headers['x-served-by'] ??
              '?',
          );
        await Promise.all(pending.splice(0));
        const wrong = ids.filter((id) => served.get(id) !== expected(id));
        const count = (s: string) => [...served.values()].filter((v) => v === s).length;
        const mismatches = verdicts.filter((v) => v.status === 'mismatch');
        ctx.log(
          `${label}: ${ids.length} GET ${ROUTE} -> monolith ${count('monolith')}, candidate ${count('candidate')}; shadows ${verdicts.length}, mismatches ${mismatches.length}${
            mismatches.length
              ? ` (${mismatches
                  .map((m) => m.diffs.map((d) => `${d.path}: ${JSON.stringify(d.expected)} vs ${JSON.stringify(d.actual)}`).join(', '))
                  .slice(0, 2)
                  .join('; ')})`
              : ''
          }`,
        );
        if (wrong.length > 0) {
          ok = false;
          ctx.log(`  WRONG SIDE for ${wrong.join(', ')}`);
        }
        summary.push(
          `${label}: monolith ${count('monolith')}, candidate ${count('candidate')}, mismatches ${mismatches.length}/${verdicts.length}${wrong.length ? `, ${wrong.length} on the wrong side` : ''}`,
        );
        return { mismatches: mismatches.length, shadows: verdicts.length };
      };

      await move([{ kind: 'rollback' }, { kind: 'setHealth', health: 'healthy' }], 'demo: start the façade route from legacy');
      await traffic('legacy', () => 'monolith');
      await move([{ kind: 'setMode', mode: 'shadow' }], 'demo: mirror the customer page to the new service');
      const sh = await traffic('shadow', () => 'monolith');
      if (sh.shadows !== ids.length || sh.mismatches < 1) {
        ok = false;
        ctx.log(`  expected ${ids.length} shadows and the planted mismatches, got ${sh.shadows} / ${sh.mismatches}`);
      }
      await move([{ kind: 'setMode', mode: 'canary', percent: 30 }], 'demo: 30% of customers on the new service');
      await traffic('canary 30%', (id) => (bucketOf(id) < 30 ? 'candidate' : 'monolith'));

      // Rollback under traffic: the time from the committed change to the first monolith answer.
      await move([{ kind: 'setMode', mode: 'canary', percent: 100 }], 'demo: everyone on the new service before the rollback');
      const started = performance.now();
      await driver.control.change(CAPABILITY, { kind: 'rollback' }, ACTOR, 'demo: roll the customer page back');
      const committed = performance.now();
      let honoured = 0;
      while (performance.now() - committed < 5000) {
        const res = await facade.handle({ method: 'GET', path: '/customers/C000001', headers: { 'x-customer-id': 'C000001' } });
        if (res.headers['x-served-by'] === 'monolith') {
          honoured = performance.now() - committed;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      ctx.log(
        `rollback: committed in ${(committed - started).toFixed(0)} ms, honoured by the façade ${honoured.toFixed(0)} ms later (cache TTL ${section.cacheTtlMs} ms)`,
      );
      summary.push(`rollback honoured ${honoured.toFixed(0)} ms after the commit`);
      if (honoured <= 0 || honoured >= 1000) ok = false;
      return { summary, ok };
    } finally {
      await fx.close();
    }
  },
};
