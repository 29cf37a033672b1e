/**
 * The façade's added latency, in-process: the same storefront request (GET /customers/{id}, a real SQL
 * read behind the monolith's HTTP API on PGlite) sent directly to the monolith (baseline) and through
 * HttpFacade (route match, routing table from a RoutingCache, sticky key, decide, header rules, a proxied
 * fetch over a kept-alive connection). Interleaved rounds so drift hits both alike. Also: how long a
 * rollback written to the table takes to be honoured with the spec's cache TTL (500 ms), requests every
 * 5 ms. With CUTOVER_ENDPOINT (the façade deployed as the e2e tier deploys it), also the API Gateway + Lambda
 * hop on MiniStack.
 */
import { HttpFacade } from '../../adapters/http/facade';
import { RouteTable } from '../../core/facade';
import { RoutingCache, parseRouteEntry, type RouteEntry, type RoutingTable } from '../../core/routing';
import { facadeSectionSchema } from '../../core/spec/facade';
import { shopFacade } from '../../monolith/facade';
import { startFacadeFixture } from '../support/facade-fixture';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { sdkConfig } from '../e2e/harness';
import { FACADE_E2E_CANDIDATE_PORT, FACADE_E2E_MONOLITH_PORT, facadeBase } from '../e2e/facade-driver';
import type { BenchResult } from './types';

/** On MiniStack (CUTOVER_ENDPOINT, stacks deployed as the e2e tier does): API Gateway + the façade Lambda vs direct. */
async function onMiniStack(endpoint: string): Promise<BenchResult[]> {
  const cfn = new CloudFormationClient(sdkConfig(endpoint));
  const res = await cfn.send(new DescribeStacksCommand({ StackName: `${process.env.CUTOVER_PREFIX ?? 'Cutover'}-Facade` }));
  const out = Object.fromEntries((res.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
  const base = facadeBase(endpoint, out.FacadeApiId, out.FacadeStage);
  const fx = await startFacadeFixture({ orders: 60, monolithPort: FACADE_E2E_MONOLITH_PORT, candidatePort: FACADE_E2E_CANDIDATE_PORT });
  try {
    const time = async (url: string) => {
      const t = performance.now();
      const r = await fetch(url, { headers: { 'x-customer-id': 'C000001' } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
      return performance.now() - t;
    };
    for (let i = 0; i < 10; i++) await time(`${base}/customers/C000001`);
    const d: number[] = [];
    const f: number[] = [];
    for (let i = 0; i < 100; i++) {
      d.push(await time(`${fx.monolithUrl}/customers/C000001`));
      f.push(await time(`${base}/customers/C000001`));
    }
    const [p50d, p95d, p50f, p95f] = [pct(d, 50), pct(d, 95), pct(f, 50), pct(f, 95)];
    return [
      {
        name: 'MiniStack: façade added latency p50 (HTTP API + Lambda)',
        figure: p50f - p50d,
        unit: 'ms',
        baseline: p50d,
        ratio: p50f / p50d,
        note: `p50 direct ${p50d.toFixed(2)} ms, through API Gateway + the façade Lambda ${p50f.toFixed(2)} ms; 100 requests each (route as deployed, warm)`,
      },
      {
        name: 'MiniStack: façade added latency p95',
        figure: p95f - p95d,
        unit: 'ms',
        baseline: p95d,
        ratio: p95f / p95d,
        note: `p95 direct ${p95d.toFixed(2)} ms, through the façade ${p95f.toFixed(2)} ms`,
      },
    ];
  } finally {
    await fx.close();
  }
}

const N = 400;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const entry = (mode: RouteEntry['mode'], percent: number, revision: number): RouteEntry =>
  parseRouteEntry({
    capability: 'customers',
    mode,
    percent,
    legacy: { target: 'monolith' },
    candidate: { version: 'v1', target: 'customers-v1' },
    stickyKey: 'customerId',
    mirrorInCanary: false,
    legacyShadowInPrimary: false,
    health: 'healthy',
    updatedAt: new Date().toISOString(),
    updatedBy: 'bench',
    reason: 'bench',
    revision,
  });

export async function run(): Promise<BenchResult[]> {
  const ministack = process.env.CUTOVER_ENDPOINT ? await onMiniStack(process.env.CUTOVER_ENDPOINT) : [];
  return [...(await inProcess()), ...ministack];
}

async function inProcess(): Promise<BenchResult[]> {
  const fx = await startFacadeFixture({ orders: 200 });
  try {
    const section = facadeSectionSchema.parse(shopFacade);
    let current: RoutingTable = new Map([['customers', entry('legacy', 0, 1)]]);
    const cache = new RoutingCache<RoutingTable>({ ttlMs: section.cacheTtlMs, load: async () => current });
    const facade = new HttpFacade({
      section,
      routes: new RouteTable(section),
      table: () => cache.get(),
      urls: (side) => (side === 'legacy' ? fx.monolithUrl : fx.candidateUrl),
      mirror: async () => undefined,
    });
    const ids = Array.from({ length: 50 }, (_, i) => `C${String(i + 1).padStart(6, '0')}`);
    const direct = async (id: string) => {
      const t = performance.now();
      const r = await fetch(`${fx.monolithUrl}/customers/${id}`, { headers: { 'x-customer-id': id } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`direct ${id}: ${r.status}`);
      return performance.now() - t;
    };
    const via = async (id: string) => {
      const t = performance.now();
      const r = await facade.handle({
        method: 'GET',
        path: `/customers/${id}`,
        headers: { 'x-customer-id': id, accept: 'application/json' },
      });
      if (r.status !== 200) throw new Error(`façade ${id}: ${r.status}`);
      return performance.now() - t;
    };
    for (let i = 0; i < 50; i++) {
      await direct(ids[i % ids.length]);
      await via(ids[i % ids.length]);
    }
    const d: number[] = [];
    const f: number[] = [];
    for (let i = 0; i < N; i++) {
      const id = ids[i % ids.length];
      if (i % 2 === 0) {
        d.push(await direct(id));
        f.push(await via(id));
      } else {
        f.push(await via(id));
        d.push(await direct(id));
      }
    }

    // Rollback: canary 100% -> legacy, written to the "table" mid-stream; time to the first monolith answer.
    const rollbacks: number[] = [];
    for (let r = 0; r < 5; r++) {
      current = new Map([['customers', entry('canary', 100, 10 + r * 2)]]);
      await new Promise((res) => setTimeout(res, section.cacheTtlMs + 20));
      let writtenAt = 0;
      let honouredAt = 0;
      const stop = Date.now() + 5000;
      let n = 0;
      while (Date.now() < stop && honouredAt === 0) {
        if (n === 20 + r * 7) {
          current = new Map([['customers', entry('legacy', 0, 11 + r * 2)]]);
          writtenAt = performance.now();
        }
        const res = await facade.handle({ method: 'GET', path: '/customers/C000001', headers: { 'x-customer-id': 'C000001' } });
        if (writtenAt > 0 && res.headers['x-served-by'] === 'monolith') honouredAt = performance.now();
        n++;
        await new Promise((res2) => setTimeout(res2, 5));
      }
      rollbacks.push(honouredAt - writtenAt);
    }
    const p50d = pct(d, 50);
    const p95d = pct(d, 95);
    const p50f = pct(f, 50);
    const p95f = pct(f, 95);
    return [
      {
        name: 'façade added latency p50 (in-process, GET /customers/{id})',
        figure: p50f - p50d,
        unit: 'ms',
        baseline: p50d,
        ratio: p50f / p50d,
        note: `p50 direct ${p50d.toFixed(2)} ms, through the façade ${p50f.toFixed(2)} ms (ratio = façade / direct), ${N} requests each`,
      },
      {
        name: 'façade added latency p95 (in-process)',
        figure: p95f - p95d,
        unit: 'ms',
        baseline: p95d,
        ratio: p95f / p95d,
        note: `p95 direct ${p95d.toFixed(2)} ms, through the façade ${p95f.toFixed(2)} ms`,
      },
      {
        name: 'rollback honoured after the table write (max of 5, TTL 500 ms)',
        figure: Math.max(...rollbacks),
        unit: 'ms',
        baseline: section.cacheTtlMs,
        ratio: Math.max(...rollbacks) / section.cacheTtlMs,
        target: '< 1000 ms',
        ok: Math.max(...rollbacks) < 1000,
        note: `each: ${rollbacks.map((x) => x.toFixed(0)).join(', ')} ms; baseline = the cache TTL; on AWS add one consistent Scan of the table`,
      },
    ];
  } finally {
    await fx.close();
  }
}
