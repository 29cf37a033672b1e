import { RoutingCache, bucketOf, castEdgesFor, decide, fnv1a32, parseRouteEntry, planRoute, routingTable } from '../../core/routing';
import type { RouteEntry, RoutingTable } from '../../core/routing';
import type { ServiceEventDef } from '../../core/spec';
import { routingSectionSchema } from '../../core/spec/routing';
import config from '../../cutover.config';
import type { BenchResult } from './types';

/*
 * Routing decisions per second on one core, against a bare FNV-1a loop over the same keys in the same
 * process. Every loop folds its results into a checksum that is printed, so nothing can be optimised away.
 * Bounded: 1,000,000 keys, 5 interleaved timed rounds per variant after one warm-up (about 15 s in all).
 */
const KEYS = 1_000_000;
const ROUNDS = 5;
const TARGET = 1_000_000;

function makeKeys(count: number): string[] {
  // Customer numbers and order numbers, as the reference spec has them, in a scrambled order.
  let a = 12345;
  const keys = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    const n = a % 100_000_000;
    keys[i] = i % 2 === 0 ? `C${String(n).padStart(8, '0')}` : String(1_000_000 + n);
  }
  return keys;
}

interface Variant {
  readonly count: number;
  readonly round: () => number;
}

/**
 * Median rate of each variant over ROUNDS timed rounds, after one warm-up round each. Rounds are
 * interleaved (A B C, A B C, ...) so that load from other processes on this shared machine lands on
 * the baseline and the measured loops alike, which keeps the ratios honest.
 */
function measureAll(variants: readonly Variant[]): { rate: number; checksum: number }[] {
  const checksums = variants.map((v) => v.round());
  const rates: number[][] = variants.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    variants.forEach((v, i) => {
      const t0 = process.hrtime.bigint();
      checksums[i] = (checksums[i] + v.round()) >>> 0;
      rates[i].push(v.count / (Number(process.hrtime.bigint() - t0) / 1e9));
    });
  }
  return rates.map((list, i) => {
    const sorted = [...list].sort((x, y) => x - y);
    return { rate: sorted[Math.floor(sorted.length / 2)], checksum: checksums[i] };
  });
}

export async function run(): Promise<BenchResult[]> {
  const keys = makeKeys(KEYS);
  const entry: RouteEntry = parseRouteEntry({
    capability: 'inventory',
    mode: 'canary',
    percent: 37,
    legacy: { target: 'monolith' },
    candidate: { version: 'v2', target: 'inventory-v2' },
    stickyKey: 'orderId',
    mirrorInCanary: true,
    legacyShadowInPrimary: false,
    health: 'healthy',
    updatedAt: new Date().toISOString(),
    updatedBy: 'bench',
    reason: 'bench',
    revision: 1,
  });
  const table: RoutingTable = routingTable([entry]);
  // A long TTL only so the table cannot expire inside a synchronous timed loop; the per-call freshness
  // check (clock read and compare) is the same code whatever the TTL.
  const cache = new RoutingCache<RoutingTable>({ load: async () => table, ttlMs: 600_000 });
  await cache.get();

  // The floor: FNV-1a written inline over the keys' characters (all ASCII here), nothing else.
  const imul = Math.imul;
  const bare: Variant = {
    count: KEYS,
    round: () => {
      let s = 0;
      for (let i = 0; i < KEYS; i++) {
        const k = keys[i];
        let h = 0x811c9dc5 | 0;
        for (let j = 0; j < k.length; j++) h = imul(h ^ k.charCodeAt(j), 0x01000193);
        s ^= h;
      }
      return s >>> 0;
    },
  };
  if (bare.round() !== keys.reduce((x, k) => (x ^ fnv1a32(k)) >>> 0, 0)) throw new Error('inline baseline disagrees with fnv1a32');
  const buckets: Variant = {
    count: KEYS,
    round: () => {
      let s = 0;
      for (let i = 0; i < KEYS; i++) s += bucketOf(keys[i]);
      return s;
    },
  };
  const decisions: Variant = {
    count: KEYS,
    round: () => {
      let s = 0;
      for (let i = 0; i < KEYS; i++) {
        const d = decide(entry, keys[i]);
        if (d.authoritative === 'candidate') s++;
        if (d.shadow !== undefined) s += 2;
      }
      return s;
    },
  };
  // The router's hot path: the cached table (freshness checked on every call), the capability's entry, decide.
  const hotPath: Variant = {
    count: KEYS,
    round: () => {
      let s = 0;
      for (let i = 0; i < KEYS; i++) {
        const t = cache.peek();
        const e = t === undefined ? undefined : t.get('inventory');
        if (e === undefined) throw new Error('the cached table went stale during the bench; rerun');
        if (decide(e, keys[i]).authoritative === 'candidate') s++;
      }
      return s;
    },
  };
  // The whole plan per event: key extraction, decision, version negotiation, stamps.
  const spec = routingSectionSchema.parse(config.routing).capabilities.inventory;
  const casts = castEdgesFor(config.bridge.serviceEvents['order.created'] as unknown as ServiceEventDef);
  const planCount = 200_000;
  const payloads = keys.slice(0, planCount).map((k) => ({ orderId: k, customerId: 'C00042' }));
  const plans: Variant = {
    count: planCount,
    round: () => {
      let s = 0;
      for (let i = 0; i < planCount; i++) {
        s += planRoute('inventory', spec, entry, { type: 'order.created', version: 2, payload: payloads[i] }, casts).deliveries.length;
      }
      return s;
    },
  };
  const [bareM, bucketsM, decisionsM, hotPathM, plansM] = measureAll([bare, buckets, decisions, hotPath, plans]);

  const row = (name: string, m: { rate: number; checksum: number }, target?: number, note?: string): BenchResult => ({
    name,
    figure: m.rate,
    unit: 'ops/s',
    baseline: bareM.rate,
    ratio: m.rate / bareM.rate,
    ...(target === undefined ? {} : { target: `>= ${target.toLocaleString('en-US')}/s`, ok: m.rate >= target }),
    note: `${note ? `${note}; ` : ''}checksum ${m.checksum}`,
  });
  return [
    row('bare FNV-1a 32, inline loop, 1,000,000 keys (baseline)', bareM),
    row('bucketOf (FNV-1a + fmix32 + mod 100)', bucketsM),
    row('decide, canary 37%, mirror on', decisionsM, TARGET, 'ratio = decisions/s / bare hashes/s'),
    row('cache.peek + table lookup + decide (router hot path)', hotPathM, TARGET),
    row('planRoute: key, decide, version check, stamps', plansM, undefined, `${planCount.toLocaleString('en-US')} events`),
  ];
}
