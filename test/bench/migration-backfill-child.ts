import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileEntity } from '../../core/migration';
import { migrationSectionSchema } from '../../core/spec/migration';
import { runBackfill } from '../../cli/migration/backfill';
import { openSource } from '../../adapters/sql/url';
import { MemoryCheckpointStore, RejectsFile } from '../../cli/migration/state';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { shopMigration } from '../../monolith/mapping';

/*
 * One backfill in a process of its own (migration.bench.ts runs it per table size), so its peak RSS is
 * the backfill's alone: args <source url> <dynamodb endpoint> <table>. Prints one JSON line.
 */
async function main(): Promise<void> {
  const [url, endpoint, table] = process.argv.slice(2);
  const orders = compileEntity('orders', migrationSectionSchema.parse(shopMigration).entities.orders);
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const source = await openSource(url, { connections: 8 });
  const rejectsFile = path.join(os.tmpdir(), `cutover-bench-rejects-${table}.jsonl`);
  let heapPeak = 0;
  const timer = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 20);
  try {
    const before = process.resourceUsage().maxRSS;
    const summary = await runBackfill({
      entity: orders,
      source,
      target: new DynamoTable(client, table, { keyAttributes: orders.keyAttributes }),
      tableName: table,
      checkpoints: new MemoryCheckpointStore(),
      rejects: new RejectsFile(rejectsFile),
      segments: 4,
    });
    process.stdout.write(
      `${JSON.stringify({ rows: summary.rows, rowsPerSecond: summary.run.rowsPerSecond, maxRssMb: process.resourceUsage().maxRSS / 1024, startRssMb: before / 1024, heapPeakMb: heapPeak / 2 ** 20 })}\n`,
    );
  } finally {
    clearInterval(timer);
    fs.rmSync(rejectsFile, { force: true });
    await source.close();
    client.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
