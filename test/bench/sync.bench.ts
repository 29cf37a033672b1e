import { performance } from 'node:perf_hooks';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { parseSpec, type SpecInput } from '../../core/spec';
import { SyncCatalog } from '../../core/sync/catalog';
import { decide } from '../../core/sync/engine';
import type { RowChange } from '../../core/sync/change';
import { ItemApplier } from '../../adapters/dynamodb/sync-item-applier';
import reference from '../../cutover.config';
import { SyncWorld } from '../support/sync-world';
import { startDynalite } from '../functions/audit-dynalite';
import { createSyncTables } from '../functions/sync-dynalite';
import type { BenchResult } from './types';

/*
 * `npm run bench sync`: the sync engine in process (latency per change, 10,000 concurrent modifications
 * across both sides) and conflict detection through the real item applier on dynalite (time from the
 * second write reaching the applier to its ledger entry). End to end on MiniStack is not measured here
 * (see README: two-way sync, what is left).
 */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A small seeded generator, so runs are comparable. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

const spec = parseSpec(reference as SpecInput);
const catalog = new SyncCatalog(spec.sync!, spec.migration!.entities);
const stock = catalog.entities.get('stock')!;

function engineLatency(): BenchResult[] {
  const n = 20_000;
  const rows = Array.from({ length: n }, (_, i) => ({
    sku: `SKU-${i}`,
    warehouse_cd: 'W1',
    on_hand: String(100 + (i % 7)),
    reserved: '0',
  }));
  // Baseline: mapping the before and after rows only (what any applier does anyway).
  const base: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = rows[i];
    const after = { ...before, on_hand: String(Number(before.on_hand) - 1) };
    const t0 = performance.now();
    stock.mapping.rowToRecord(before);
    stock.mapping.rowToRecord(after);
    base.push(performance.now() - t0);
  }
  for (let i = 0; i < n; i++) {
    const before = rows[i];
    const after = { ...before, on_hand: String(Number(before.on_hand) - 1) };
    const serviceSold = { ...before, on_hand: String(Number(before.on_hand) - 2) };
    const t0 = performance.now();
    const b = stock.mapping.rowToRecord(before).record!;
    const a = stock.mapping.rowToRecord(after).record!;
    const current = i % 2 === 0 ? b : stock.mapping.rowToRecord(serviceSold).record!; // half of them conflict
    decide({
      entity: 'stock',
      key: before.sku,
      rules: stock.rules,
      change: { side: 'monolith', position: String(i + 1), before: b, after: a, at: '2026-12-06T00:00:00.000Z' },
      current,
    });
    full.push(performance.now() - t0);
  }
  const p50 = percentile(full, 50);
  const p95 = percentile(full, 95);
  return [
    {
      name: 'engine: map + decide per change, p50 (half conflicting)',
      figure: p50 * 1000,
      unit: 'µs',
      baseline: percentile(base, 50) * 1000,
      ratio: p50 / percentile(base, 50),
      note: 'baseline: mapping the before and after rows only',
    },
    {
      name: 'engine: map + decide per change, p95',
      figure: p95 * 1000,
      unit: 'µs',
      baseline: percentile(base, 95) * 1000,
      ratio: p95 / percentile(base, 95),
      target: '< 10 ms',
      ok: p95 < 10,
    },
  ];
}

function concurrentModifications(): BenchResult[] {
  const keys = Array.from({ length: 200 }, (_, i) => `K${i}`);
  const initial = Object.fromEntries(keys.map((k) => [k, { onHand: { N: '1000' }, note: { S: 'x' }, updatedAt: { N: '0' } }]));
  const run = (concurrent: boolean) => {
    const world = new SyncWorld(
      'stock',
      stock.rules.policy.kind === 'mergeFields'
        ? { ...stock.rules, clock: 'updatedAt', fields: { onHand: { kind: 'delta' } } }
        : stock.rules,
      initial,
    );
    const r = rng(11);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const key = keys[Math.floor(r() * keys.length)];
      const side = r() < 0.5 ? 'monolith' : 'service';
      world.write(side, key, { onHand: Math.floor(r() * 9) - 4 || 1 }, r() < 0.3 ? { note: `n${i}` } : {});
      if (!concurrent) world.drain();
      else if (r() < 0.4) {
        // Deliver a few pending changes now, redeliver one now and then (at-least-once).
        const k = keys[Math.floor(r() * keys.length)];
        world.deliver(r() < 0.5 ? 'monolith' : 'service', k);
        if (r() < 0.05) world.redeliver('service', k, Math.floor(r() * 3));
      }
    }
    world.drain();
    const ms = performance.now() - t0;
    let lost = 0;
    let diverged = 0;
    for (const k of keys) {
      const m = world.stores.monolith.get(k);
      const s = world.stores.service.get(k);
      if (JSON.stringify(m) !== JSON.stringify(s)) diverged += 1;
      const sum = world.writes.filter((w) => w.key === k).reduce((t, w) => t + (w.deltas.onHand ?? 0), 1000);
      if (m?.onHand && 'N' in m.onHand && Number(m.onHand.N) !== sum) lost += 1;
    }
    return { world, ms, lost, diverged };
  };
  const seq = run(false);
  const con = run(true);
  return [
    {
      name: '10,000 modifications across both sides: keys lost or diverged',
      figure: con.lost + con.diverged,
      unit: 'keys',
      target: '0',
      ok: con.lost + con.diverged === 0,
      note: `${con.world.conflicts} conflicts met, all resolved by the policy (${con.world.ledger.size} distinct in the ledger); 200 keys, sum of stock preserved on every key`,
    },
    {
      name: '10,000 modifications across both sides: changes applied/s',
      figure: (con.world.applies / con.ms) * 1000,
      unit: 'changes/s',
      baseline: (seq.world.applies / seq.ms) * 1000,
      ratio: con.world.applies / con.ms / (seq.world.applies / seq.ms),
      note: 'baseline: the same writes delivered one at a time (never concurrent)',
    },
  ];
}

async function conflictDetection(): Promise<BenchResult[]> {
  const db = await startDynalite();
  try {
    const t = await createSyncTables(db);
    const applier = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client: db.client });
    const change = (sku: string, id: number, before: string | null, after: string): RowChange => ({
      source: 'shop',
      changeId: String(id),
      table: 'stock',
      key: { sku, warehouse_cd: 'W1' },
      operation: before === null ? 'insert' : 'update',
      changedColumns: ['on_hand'],
      before: before === null ? null : { sku, warehouse_cd: 'W1', on_hand: before, reserved: '0' },
      after: { sku, warehouse_cd: 'W1', on_hand: after, reserved: '0' },
      txId: 't',
      origin: 'app',
      committedAt: new Date().toISOString(),
    });
    const plain: number[] = [];
    const detect: number[] = [];
    let id = 0;
    for (let i = 0; i < 200; i++) {
      const sku = `B-${i}`;
      await applier.apply(change(sku, ++id, null, '100'));
      let t0 = performance.now();
      await applier.apply(change(sku, ++id, '100', '99'));
      plain.push(performance.now() - t0);
      // The service writes the item; then the monolith's write on the old base reaches the applier.
      await db.client.send(
        new UpdateItemCommand({
          TableName: t.tableNames.inventory,
          Key: { sku: { S: sku }, warehouse: { S: 'W1' } },
          UpdateExpression: 'SET onHand = :n',
          ExpressionAttributeValues: { ':n': { N: '97' } },
        }),
      );
      t0 = performance.now();
      const out = await applier.apply(change(sku, ++id, '99', '98'));
      const recorded = 'conflictId' in out && out.conflictId ? await t.ledger.get(out.conflictId) : undefined;
      if (!recorded) throw new Error(`no ledger entry for ${sku}`);
      detect.push(performance.now() - t0);
    }
    const p95 = percentile(detect, 95);
    return [
      {
        name: 'conflict detection: second write reaches applier -> ledger, p50',
        figure: percentile(detect, 50),
        unit: 'ms',
        baseline: percentile(plain, 50),
        ratio: percentile(detect, 50) / percentile(plain, 50),
        note: 'dynalite in process; baseline: a change without conflict through the same applier',
      },
      {
        name: 'conflict detection: second write reaches applier -> ledger, p95',
        figure: p95,
        unit: 'ms',
        baseline: percentile(plain, 95),
        ratio: p95 / percentile(plain, 95),
        target: '< 1000 ms',
        ok: p95 < 1000,
      },
    ];
  } finally {
    await db.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  return [...engineLatency(), ...concurrentModifications(), ...(await conflictDetection())];
}
