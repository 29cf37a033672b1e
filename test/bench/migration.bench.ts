import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileEntity, type CompiledEntity, type Item } from '../../core/migration';
import { migrationSectionSchema } from '../../core/spec/migration';
import { planSegments } from '../../cli/migration/segments';
import { foldExportInWorker, foldSourceInWorkers } from '../../cli/migration/fold-worker';
import { openSource } from '../../adapters/sql/url';
import { ExportFileSource, ExportFileWriter } from '../../adapters/migration-target/export-file';
import { runVerify } from '../../cli/migration/verify';
import type { FoldSettings } from '../../cli/migration/fold';
import { chooseBucketCount } from '../../core/migration/buckets';
import { verifyRulesOf } from '../../core/migration/canonical';
import { makeDigester } from '../../core/migration/digest';
import { createMonolithSchema, dropMonolithSchema, openWriter, seedMonolith } from '../../monolith/database';
import { shopMigration } from '../../monolith/mapping';
import { MONOLITH_COLUMNS, orderBatches } from '../../monolith/seed';
import type { BenchResult } from './types';

/*
 * Data migration benchmarks (`npm run bench migration`):
 * - verify: 1,000,000 orders (BENCH_ORDERS) in PostgreSQL against a DynamoDB export file (DYNAMODB_JSON
 *   lines, as Export to S3 writes them) with a dozen planted differences, against the floor of reading
 *   the same source rows alone (same queries, no mapping, no hashing, no target);
 * - backfill: rows/s into DynamoDB (dynalite in a child process, so its memory is not ours) and the peak
 *   memory of the backfill at two table sizes, to show memory does not grow with the table.
 * The monolith is seeded once per size under a fixed prefix (BENCH_KEEP=1 keeps it for the next run;
 * otherwise it is dropped at the end). BENCH_POSTGRES_URL points elsewhere.
 */
const PG = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORDERS = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const SMALL = Number(process.env.BENCH_BACKFILL_SMALL ?? 5_000);
const LARGE = Number(process.env.BENCH_BACKFILL_LARGE ?? 20_000);
const KEEP = process.env.BENCH_KEEP === '1';
const SEGMENTS = Number(process.env.BENCH_SEGMENTS ?? 4);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const WORK = path.join(os.tmpdir(), 'cutover-bench-migration');

const section = migrationSectionSchema.parse(shopMigration);
const orders = compileEntity('orders', section.entities.orders);

function log(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

/** Samples RSS and heap while `work` runs; returns the peaks above the level before. */
async function withMemory<T>(work: () => Promise<T>): Promise<{ result: T; rssMb: number; heapMb: number }> {
  global.gc?.();
  const base = process.memoryUsage();
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - base.rss);
    heap = Math.max(heap, m.heapUsed - base.heapUsed);
  };
  const timer = setInterval(sample, 25);
  try {
    const result = await work();
    sample();
    return { result, rssMb: rss / 2 ** 20, heapMb: heap / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/** Seeds the monolith under `prefix` unless it already holds `count` orders. */
async function ensureMonolith(prefix: string, count: number): Promise<{ seededPerSecond?: number }> {
  const writer = await openWriter(PG);
  try {
    const source = await openSource(`${PG}?prefix=${prefix}`, { connections: 1 });
    const existing = await source.count('orders').catch(() => -1);
    await source.close();
    if (existing === count) {
      log(`reusing ${prefix}* (${count.toLocaleString('en-US')} orders)`);
      return {};
    }
    await dropMonolithSchema(writer, prefix);
    await createMonolithSchema(writer, prefix);
    const started = Date.now();
    await seedMonolith(writer, { orders: count, prefix, chunk: 20_000 });
    const s = (Date.now() - started) / 1000;
    log(`seeded ${count.toLocaleString('en-US')} orders in ${s.toFixed(1)} s`);
    return { seededPerSecond: count / s };
  } finally {
    await writer.close();
  }
}

/**
 * The export of the orders table as the backfill would have left it, written from the seed generator
 * (the same rows the source holds) with planted differences: 3 missing, 3 extra, 3 changed values,
 * a changed type, a truncated string and a float rounding. Cached per size.
 */
const PLANTED = { missing: 3, extra: 3, different: 6 };
function exportFile(count: number): string {
  const file = path.join(WORK, `orders-${count}-v2.json`);
  if (fs.existsSync(file)) return file;
  const started = Date.now();
  const writer = new ExportFileWriter(`${file}.tmp`);
  const oc = MONOLITH_COLUMNS.orders as readonly string[];
  const lc = MONOLITH_COLUMNS.order_lines as readonly string[];
  const ri = orders.root.columns.map((c) => oc.indexOf(c));
  const li = orders.children[0].columns.map((c) => lc.indexOf(c));
  const at = (k: number) => Math.floor(((k + 0.5) * count) / 12);
  const plants = new Map<number, (item: Item) => Item | undefined>([
    [at(0), () => undefined],
    [at(1), () => undefined],
    [at(2), () => undefined],
    [at(3), (i) => ({ ...i, customerId: { S: 'C999999' } })],
    [at(4), (i) => ({ ...i, status: { S: 'lost' } })],
    [at(5), (i) => ({ ...i, channel: { S: 'fax' } })],
    [at(6), (i) => ({ ...i, orderId: { N: (i.orderId as { S: string }).S } })],
    [at(7), (i) => ({ ...i, shippingAddress: { M: { ...(i.shippingAddress as { M: Item }).M, street: { S: 'Harb' } } } })],
    [
      at(8),
      (i) => ({
        ...i,
        amount: { M: { ...(i.amount as { M: Item }).M, total: { S: `${(i.amount as { M: { total: { S: string } } }).M.total.S}1` } } },
      }),
    ],
  ]);
  let index = 0;
  for (const batch of orderBatches({ orders: count }, 20_000)) {
    let j = 0;
    for (const o of batch.orders) {
      const lines = [];
      while (j < batch.order_lines.length && batch.order_lines[j][0] === o[0]) {
        const line = batch.order_lines[j++];
        lines.push(li.map((i) => line[i]));
      }
      const mapped = orders.mapRow(
        ri.map((i) => o[i]),
        [lines],
      );
      for (const item of mapped.items ?? []) {
        const plant = plants.get(index);
        const out = plant ? plant(item) : item;
        if (out) writer.write(out);
      }
      index++;
    }
  }
  for (let k = 0; k < PLANTED.extra; k++)
    writer.write({ pk: { S: `ORDER#${9_000_000 + k}` }, sk: { S: 'ORDER' }, orderId: { S: String(9_000_000 + k) } });
  writer.close();
  fs.renameSync(`${file}.tmp`, file);
  log(`wrote the export (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/** The floor: the same source reads as verify (segments, pages, child rows), and nothing else. */
async function readFloor(entity: CompiledEntity, prefix: string): Promise<{ ms: number; rows: number }> {
  const source = await openSource(`${PG}?prefix=${prefix}`, { connections: SEGMENTS * 2 });
  try {
    const started = Date.now();
    let rows = 0;
    let children = 0;
    const ranges = await planSegments(source, entity, SEGMENTS);
    await Promise.all(
      ranges.map(async (r) => {
        for await (const page of source.scanEntity(entity, r.after, r.upTo, 2000)) {
          rows += page.rows.length;
          for (const x of page.rows) children += x.children[0].length;
        }
      }),
    );
    const ms = Date.now() - started;
    log(`floor: read ${rows.toLocaleString('en-US')} orders and ${children.toLocaleString('en-US')} lines in ${(ms / 1000).toFixed(1)} s`);
    return { ms, rows };
  } finally {
    await source.close();
  }
}

/** Times each side of the verification folded alone, with the settings runVerify would choose. */
async function foldSidesAlone(
  source: Awaited<ReturnType<typeof openSource>>,
  file: string,
  prefix: string,
): Promise<{ sourceMs: number; sourceCpuS: number; exportMs: number; exportCpuS: number }> {
  const rules = verifyRulesOf(orders.def.verify);
  const settings: FoldSettings = {
    buckets: chooseBucketCount(await source.count(orders.root.table)),
    partitions: 64,
    digest: makeDigester(rules),
    rules,
    keepRejects: 1000,
  };
  const dir = fs.mkdtempSync(path.join(WORK, 'sides-'));
  try {
    const timed = async (work: () => Promise<unknown>) => {
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      await work();
      const cpu = process.cpuUsage(cpu0);
      return { ms: Date.now() - t0, cpuS: (cpu.user + cpu.system) / 1e6 };
    };
    const src = await timed(() =>
      foldSourceInWorkers(`${PG}?prefix=${prefix}`, source, orders, settings, path.join(dir, 'source'), {
        workers: Math.max(1, WORKERS),
        segmentsPerWorker: Math.ceil(SEGMENTS / Math.max(1, WORKERS)),
      }),
    );
    const exp = await timed(() => foldExportInWorker(file, orders, settings, path.join(dir, 'target')));
    log(`source side alone ${(src.ms / 1000).toFixed(1)} s, export side alone ${(exp.ms / 1000).toFixed(1)} s`);
    return { sourceMs: src.ms, sourceCpuS: src.cpuS, exportMs: exp.ms, exportCpuS: exp.cpuS };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function startDynaliteProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const d=require('dynalite')({createTableMs:0});d.listen(0,'127.0.0.1',()=>process.stdout.write(String(d.address().port)+'\\n'))",
    ],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

interface BackfillFigures {
  readonly rowsPerSecond: number;
  readonly maxRssMb: number;
  readonly heapPeakMb: number;
}

/** Seeds `count` orders, then backfills them in a child process (its peak RSS is the backfill's alone). */
async function backfillRun(count: number, endpoint: string): Promise<BackfillFigures> {
  const prefix = `bench_mig_bf${count}_`;
  await ensureMonolith(prefix, count);
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const table = `orders-${count}-${Date.now()}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  client.destroy();
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'migration-backfill-child.ts'), `${PG}?prefix=${prefix}`, endpoint, table],
      {
        cwd: path.resolve(__dirname, '..', '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`backfill child exited with ${code}: ${err}`);
    const r = JSON.parse(out.trim().split('\n').pop() as string) as BackfillFigures & { rows: number };
    log(
      `backfill ${count.toLocaleString('en-US')} orders: ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s, peak RSS ${r.maxRssMb.toFixed(0)} MB, heap peak ${r.heapPeakMb.toFixed(0)} MB`,
    );
    return r;
  } finally {
    if (!KEEP) {
      const writer = await openWriter(PG);
      await dropMonolithSchema(writer, prefix);
      await writer.close();
    }
  }
}

export async function run(): Promise<BenchResult[]> {
  fs.mkdirSync(WORK, { recursive: true });
  const results: BenchResult[] = [];
  const prefix = process.env.BENCH_PREFIX ?? `bench_mig_${ORDERS}_`;

  // Verify: PostgreSQL against an export file.
  const seeded = await ensureMonolith(prefix, ORDERS);
  if (seeded.seededPerSecond)
    results.push({
      name: `seed monolith, ${ORDERS.toLocaleString('en-US')} orders (COPY)`,
      figure: seeded.seededPerSecond,
      unit: 'orders/s',
    });
  const file = exportFile(ORDERS);
  const floor = await readFloor(orders, prefix);
  const source = await openSource(`${PG}?prefix=${prefix}`, { connections: SEGMENTS * 2 });
  try {
    const cpu0 = process.cpuUsage();
    const started = Date.now();
    const { result: report, rssMb } = await withMemory(() =>
      runVerify({
        entity: orders,
        source,
        target: new ExportFileSource(file, orders.keyAttributes),
        tableName: 'orders',
        segments: SEGMENTS,
        foldTarget: (e, s, dir) => foldExportInWorker(file, e, s, dir),
        foldSource:
          WORKERS > 0
            ? (e, s, dir, onRows) =>
                foldSourceInWorkers(`${PG}?prefix=${prefix}`, source, e, s, dir, {
                  workers: WORKERS,
                  segmentsPerWorker: Math.ceil(SEGMENTS / WORKERS),
                  onRows,
                })
            : undefined,
      }),
    );
    const ms = Date.now() - started;
    const cpu = process.cpuUsage(cpu0);
    const found = report.totals;
    const exact =
      found.missing === PLANTED.missing && found.extra === PLANTED.extra && found.different === PLANTED.different && found.duplicates === 0;
    log(
      `verify: ${(ms / 1000).toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over all threads, found ${JSON.stringify(found)}, ${report.buckets.differing} of ${report.buckets.count} buckets differ`,
    );
    results.push({
      name: `verify ${ORDERS.toLocaleString('en-US')} orders: PostgreSQL vs export file`,
      figure: ms / 1000,
      unit: 's',
      baseline: floor.ms / 1000,
      ratio: ms / floor.ms,
      target: ORDERS >= 1_000_000 ? '< 15 s' : undefined,
      ok: ORDERS >= 1_000_000 ? ms < 15_000 : undefined,
      note: `baseline: reading the same source rows alone, ${SEGMENTS} key ranges at once (the floor); ratio = verify / floor. ${WORKERS} source worker(s) + 1 export worker; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over all threads; peak +${rssMb.toFixed(0)} MB RSS.`,
    });
    results.push({
      name: 'verify finds exactly the planted differences',
      figure: found.missing + found.extra + found.different,
      unit: 'differences',
      baseline: PLANTED.missing + PLANTED.extra + PLANTED.different,
      ratio: (found.missing + found.extra + found.different) / (PLANTED.missing + PLANTED.extra + PLANTED.different),
      target: `${PLANTED.missing} missing, ${PLANTED.extra} extra, ${PLANTED.different} different, nothing else`,
      ok: exact,
    });
    // Where the time goes: each side's fold alone, with the settings verify uses (same buckets, digest,
    // workers); verify runs both at once, then compares the buckets and drills into the differing ones.
    const sides = await foldSidesAlone(source, file, prefix);
    results.push({
      name: 'verify, source side alone: read + map + digest (workers)',
      figure: sides.sourceMs / 1000,
      unit: 's',
      baseline: floor.ms / 1000,
      ratio: sides.sourceMs / floor.ms,
      note: `baseline: the floor; ${WORKERS} source worker(s), ${SEGMENTS} key ranges; CPU ${sides.sourceCpuS.toFixed(1)} s over all threads`,
    });
    results.push({
      name: 'verify, export side alone: read + parse + digest (one worker)',
      figure: sides.exportMs / 1000,
      unit: 's',
      baseline: floor.ms / 1000,
      ratio: sides.exportMs / floor.ms,
      note: `baseline: the floor; ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MB of DynamoDB JSON lines; CPU ${sides.exportCpuS.toFixed(1)} s over all threads`,
    });
    results.push({
      name: 'verify throughput',
      figure: (ORDERS * 1000) / ms,
      unit: 'orders/s',
      baseline: (floor.rows * 1000) / floor.ms,
      ratio: floor.ms / ms,
      note: 'baseline: rows/s of the floor',
    });
  } finally {
    await source.close();
    if (!KEEP && !process.env.BENCH_PREFIX) {
      const writer = await openWriter(PG);
      await dropMonolithSchema(writer, prefix);
      await writer.close();
    }
  }

  // Backfill: rate and peak memory at two sizes (BENCH_BACKFILL=0 skips it, to measure verify alone).
  if (process.env.BENCH_BACKFILL === '0') return results;
  const dynalite = await startDynaliteProcess();
  try {
    const small = await backfillRun(SMALL, dynalite.endpoint);
    const large = await backfillRun(LARGE, dynalite.endpoint);
    results.push({
      name: `backfill into DynamoDB (dynalite), ${SMALL.toLocaleString('en-US')} orders`,
      figure: small.rowsPerSecond,
      unit: 'rows/s',
    });
    results.push({
      name: `backfill into DynamoDB (dynalite), ${LARGE.toLocaleString('en-US')} orders`,
      figure: large.rowsPerSecond,
      unit: 'rows/s',
      baseline: small.rowsPerSecond,
      ratio: large.rowsPerSecond / small.rowsPerSecond,
      note: 'dynalite (an in-process LevelDB emulator, in its own process here) is the bottleneck; MiniStack and AWS differ',
    });
    results.push({
      name: `backfill peak RSS, ${LARGE.toLocaleString('en-US')} vs ${SMALL.toLocaleString('en-US')} orders`,
      figure: large.maxRssMb,
      unit: 'MB',
      baseline: small.maxRssMb,
      ratio: large.maxRssMb / small.maxRssMb,
      target: `bounded: ratio near 1 for ${(LARGE / SMALL).toFixed(0)}x the rows`,
      ok: large.maxRssMb / small.maxRssMb < 1.5,
      note: `whole backfill process (node + SDK + pg included); heap peak ${small.heapPeakMb.toFixed(0)} MB vs ${large.heapPeakMb.toFixed(0)} MB`,
    });
  } finally {
    dynalite.child.kill();
  }
  return results;
}
