import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backfillCommand } from '../../cli/commands/backfill';
import { verifyCommand } from '../../cli/commands/verify';
import type { BackfillSummary } from '../../cli/migration/backfill';
import type { VerifyReport } from '../../cli/migration/verify';
import { REPO_ROOT, sdkConfig } from '../../test/e2e/harness';
import { CONFIG_FILE, deployedTable, emptyTable, migrationEntity, seedPgliteMonolith } from '../../test/e2e/migration-driver';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

const ORDERS = 2_000;
const BAD_ROWS = 4;
const STATE_DIR = path.join(REPO_ROOT, '.cutover', 'demo-data');

/** Runs a CLI command body with --json, returning its exit code and parsed output. */
async function runJson<T>(
  run: (deps: { stdout: { write(t: string): unknown }; stderr: { write(t: string): unknown } }) => Promise<number>,
): Promise<{ code: number; out: T; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run({ stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } });
  if (code === 2) throw new Error(`command failed: ${err.join('').trim().split('\n').slice(-3).join(' | ')}`);
  return { code, out: JSON.parse(out.join('')) as T, err: err.join('') };
}

/**
 * The data migration of the embedded monolith: a PGlite database under .cutover/ is seeded with 2,000
 * orders (four of them rows the mapping must refuse), `cutover backfill` copies the orders into the
 * deployed orders table, `cutover verify` checks it. Every source row must be accounted for (written or
 * rejected with a reason) and the table must agree with the monolith.
 */
export const dataScenario: DemoScenario = {
  name: 'data',
  title: "Data migration: backfill the embedded monolith's orders and verify them",
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const dynamo = new DynamoDBClient(sdkConfig(ctx.endpoint));
    try {
      const table = deployedTable(ctx, 'orders');
      const orders = migrationEntity('orders');
      fs.rmSync(STATE_DIR, { recursive: true, force: true });
      fs.mkdirSync(STATE_DIR, { recursive: true });

      ctx.log(
        `1. seed the embedded monolith (PGlite in ${path.relative(REPO_ROOT, STATE_DIR)}/monolith): ${ORDERS.toLocaleString('en-US')} orders, ${BAD_ROWS} of them bad`,
      );
      const seedStarted = Date.now();
      const { url, counts } = await seedPgliteMonolith(path.join(STATE_DIR, 'monolith'), ORDERS, BAD_ROWS);
      ctx.log(
        `   ${Object.entries(counts)
          .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
          .join(', ')} (${((Date.now() - seedStarted) / 1000).toFixed(1)} s)`,
      );
      const emptied = await emptyTable(dynamo, table, orders.keyAttributes);
      if (emptied > 0) ctx.log(`   (emptied ${table}: ${emptied} items from an earlier run)`);

      ctx.log(`2. cutover backfill --source ${url.replace(REPO_ROOT + '/', '')} --entity orders --table ${table} --segments 4`);
      const bf = await runJson<BackfillSummary>((io) =>
        backfillCommand(
          {
            source: url,
            entity: 'orders',
            table,
            segments: 4,
            pageSize: 500,
            stateDir: STATE_DIR,
            restart: true,
            config: CONFIG_FILE,
            json: true,
          },
          { dynamo, ...io },
        ),
      );
      const b = bf.out;
      ctx.log(
        `   ${b.status}: ${b.rows.toLocaleString('en-US')} rows -> ${b.items.toLocaleString('en-US')} items, ${b.rejected} rejected; ${Math.round(b.run.rowsPerSecond).toLocaleString('en-US')} rows/s (${(b.run.durationMs / 1000).toFixed(1)} s, ${b.run.requests} requests, ${b.run.retries} retries)`,
      );
      const rejects = fs.existsSync(b.rejectsFile)
        ? fs
            .readFileSync(b.rejectsFile, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
      for (const r of rejects) {
        const key = Object.entries((r.key ?? {}) as Record<string, unknown>)
          .map(([c, val]) => `${c}=${String(val)}`)
          .join(', ');
        ctx.log(
          `   rejected ${key}: ${String(r.table)}${r.column ? `.${String(r.column)} = ${JSON.stringify(r.value)}` : ''}: ${String(r.reason)}`,
        );
      }

      ctx.log(`3. cutover verify --source ... --entity orders --table ${table}`);
      const vf = await runJson<VerifyReport>((io) =>
        verifyCommand(
          {
            source: url,
            entity: 'orders',
            table,
            segments: 3,
            workers: 0,
            repairLimit: 1,
            audit: path.join(STATE_DIR, 'audit.jsonl'),
            lag: 0,
            limit: 20,
            config: CONFIG_FILE,
            json: true,
          },
          { dynamo, ...io },
        ),
      );
      const v = vf.out;
      ctx.log(
        `   matched ${v.matched.toLocaleString('en-US')}, missing ${v.totals.missing}, extra ${v.totals.extra}, different ${v.totals.different}; ${v.buckets.count} buckets, ${v.buckets.differing} differ; ${(v.timings.totalMs / 1000).toFixed(1)} s`,
      );

      const accounted = b.rows + b.rejected === ORDERS;
      const ok = b.status === 'complete' && accounted && rejects.length === b.rejected && v.clean && v.matched === b.items;
      return {
        ok,
        summary: [
          `backfill: ${b.rows.toLocaleString('en-US')} rows written + ${b.rejected} rejected = ${(b.rows + b.rejected).toLocaleString('en-US')} of ${ORDERS.toLocaleString('en-US')} source rows${accounted ? '' : ' (NOT all accounted for)'}; ${Math.round(b.run.rowsPerSecond).toLocaleString('en-US')} rows/s into ${table}`,
          `rejects: ${rejects.map((r) => String(r.reason)).join('; ') || 'none'}`,
          `verify: ${v.clean ? 'clean' : 'DIFFERENT'}: matched ${v.matched.toLocaleString('en-US')}, missing ${v.totals.missing}, extra ${v.totals.extra}, different ${v.totals.different} in ${(v.timings.totalMs / 1000).toFixed(1)} s`,
        ],
      };
    } finally {
      dynamo.destroy();
    }
  },
};
