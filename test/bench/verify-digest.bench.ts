import { compileEntity, digestHex, makeDigester, type SqlRow } from '../../core/migration';
import { migrationSectionSchema } from '../../core/spec/migration';
import { shopMigration } from '../../monolith/mapping';
import { MONOLITH_COLUMNS, orderBatches } from '../../monolith/seed';
import type { BenchResult } from './types';

/*
 * Verify's per-row CPU on the source side, without a database (`npm run bench verify-digest`): the seed's
 * orders with their lines, mapped and digested the way verify does now (CompiledEntity.rowDigester: no
 * items built) against the way it did before (mapRow, then keyOf and makeDigester over each item), each
 * spelling the digest in hex as the spill does. Rounds alternate the two and the ratio is the median of
 * the per-pair ratios, in CPU time, so a loaded machine slows both sides of a pair alike.
 */
const ORDERS = Number(process.env.BENCH_DIGEST_ORDERS ?? 50_000);
const ROUNDS = 8;

export async function run(): Promise<BenchResult[]> {
  const orders = compileEntity('orders', migrationSectionSchema.parse(shopMigration).entities.orders);
  const oc = MONOLITH_COLUMNS.orders as readonly string[];
  const lc = MONOLITH_COLUMNS.order_lines as readonly string[];
  const ri = orders.root.columns.map((c) => oc.indexOf(c));
  const li = orders.children[0].columns.map((c) => lc.indexOf(c));
  const inputs: { row: SqlRow; lines: SqlRow[] }[] = [];
  for (const b of orderBatches({ orders: ORDERS }, 20_000)) {
    let j = 0;
    for (const o of b.orders) {
      const lines: SqlRow[] = [];
      while (j < b.order_lines.length && b.order_lines[j][0] === o[0]) {
        const l = b.order_lines[j++];
        lines.push(li.map((i) => l[i]));
      }
      inputs.push({ row: ri.map((i) => o[i]), lines });
    }
  }
  const rules = orders.def.verify ?? {};
  const digest = makeDigester(rules);
  const digestRow = orders.rowDigester(rules);
  let sink = 0;
  const viaItems = () => {
    for (const x of inputs) {
      const r = orders.mapRow(x.row, [x.lines]);
      for (const item of r.items ?? []) sink += orders.keyOf(item).length + digestHex(digest(item)).length;
    }
  };
  const direct = () => {
    for (const x of inputs) digestRow(x.row, [x.lines], (key, d) => (sink += key.length + digestHex(d).length));
  };
  const cpu = (f: () => void) => {
    const c = process.cpuUsage();
    f();
    const u = process.cpuUsage(c);
    return (u.user + u.system) / 1e6;
  };
  viaItems();
  direct();
  const ratios: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so neither always gets the warmer (or quieter) half of a pair.
    let c: number;
    let d: number;
    if (r % 2 === 0) {
      c = cpu(viaItems);
      d = cpu(direct);
    } else {
      d = cpu(direct);
      c = cpu(viaItems);
    }
    before.push(c);
    after.push(d);
    ratios.push(c / d);
  }
  if (sink === 0) throw new Error('nothing digested');
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [
    {
      name: `verify source side: map + key + digest, ${ORDERS.toLocaleString('en-US')} orders in memory`,
      figure: ORDERS / median(after),
      unit: 'orders/CPU s',
      baseline: ORDERS / median(before),
      ratio: median(ratios),
      note: `figure: rowDigester (no items built); baseline: mapRow + keyOf + makeDigester, as verify did before; ratio = median over ${ROUNDS} alternating rounds of (baseline CPU / figure CPU), above 1 is faster`,
    },
  ];
}
