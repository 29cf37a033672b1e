import { openCaptureDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture, uninstallCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay } from '../../adapters/sql/capture/relay';
import type { ChangeSink, RowChange } from '../../core/sync/change';
import { schemaStatements } from '../../monolith/database';
import type { BenchResult } from './types';

/*
 * Change capture benchmarks (`npm run bench sync-relay`), on PostgreSQL and MariaDB (127.0.0.1, a schema /
 * database of its own, dropped at the end):
 * - relay rows/s: stamping + reading + building RowChanges + a sink that only counts, against the floor
 *   of a bare keyset read of the same change table (same columns, same page size, no stamping, no parsing);
 * - capture cost on the application's writes: the same multi-row updates with and without the triggers.
 * BENCH_SYNC_CHANGES sets the number of changes (default 20,000); BENCH_SYNC_DIALECTS=postgres,mysql.
 */
const CHANGES = Number(process.env.BENCH_SYNC_CHANGES ?? 20_000);
const BATCH = Number(process.env.BENCH_SYNC_BATCH ?? 500);
const DIALECTS = (process.env.BENCH_SYNC_DIALECTS ?? 'postgres,mysql').split(',');
const PG = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MY = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

class CountingSink implements ChangeSink {
  public count = 0;
  public async send(changes: readonly RowChange[]): Promise<void> {
    this.count += changes.length;
  }
}

async function fixture(dialect: string): Promise<{ db: CaptureDatabase; drop(): Promise<void> }> {
  const name = `a11c_bench_${process.pid}`;
  if (dialect === 'postgres') {
    const admin = await openCaptureDatabase(PG, { connections: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await admin.exec(`CREATE SCHEMA "${name}"`);
    await admin.close();
    const db = await openCaptureDatabase(`${PG}?schema=${name}`);
    return {
      db,
      drop: async () => {
        await db.close();
        const a = await openCaptureDatabase(PG, { connections: 1 });
        await a.exec(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
        await a.close();
      },
    };
  }
  const admin = await openCaptureDatabase(MY, { connections: 1 });
  await admin.exec(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.exec(`CREATE DATABASE \`${name}\``);
  await admin.close();
  const db = await openCaptureDatabase(MY.replace(/\/[^/?]*(\?|$)/, `/${name}$1`));
  return {
    db,
    drop: async () => {
      await db.close();
      const a = await openCaptureDatabase(MY, { connections: 1 });
      await a.exec(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.close();
    },
  };
}

/** `rows` stock rows in multi-row statements of 500, then one update of each (CHANGES = 2 x rows changes). */
async function writeChanges(db: CaptureDatabase, rows: number, tag: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < rows; i += 500) {
    const values = Array.from(
      { length: Math.min(500, rows - i) },
      (_, j) => `('${tag}${String(i + j).padStart(7, '0')}', 'W1', ${j}, 0, '2026-01-01 10:00:00')`,
    );
    await db.exec(`INSERT INTO stock (sku, warehouse_cd, on_hand, reserved, updated_at) VALUES ${values.join(', ')}`);
  }
  await db.exec(`UPDATE stock SET on_hand = on_hand + 1 WHERE sku LIKE '${tag}%'`);
  return performance.now() - started;
}

async function bareRead(db: CaptureDatabase): Promise<{ rows: number; ms: number }> {
  const pg = db.dialect === 'postgres';
  const t = (c: string) => (pg ? `${c}::text` : c);
  const started = performance.now();
  let after = '0';
  let rows = 0;
  for (;;) {
    const page = await db.query(
      `SELECT ${t('id')}, tx_id, table_name, ${t('key_values')}, operation, ${t('changed_columns')}, ${t('before_image')}, ${t('after_image')}, origin, ${t('changed_at')}
         FROM cutover_changes c WHERE c.id > ${pg ? '$1' : '?'} ORDER BY c.id LIMIT ${BATCH}`,
      [after],
    );
    rows += page.length;
    if (page.length < BATCH) break;
    after = String(page[page.length - 1][0]);
  }
  return { rows, ms: performance.now() - started };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const dialect of DIALECTS) {
    const { db, drop } = await fixture(dialect);
    try {
      for (const s of schemaStatements(db.dialect)) await db.exec(s);
      const rows = Math.floor(CHANGES / 2);
      // The application's writes without capture, then with it (same statements, fresh keys).
      const plainMs = await writeChanges(db, rows, 'P');
      await installCapture(db, { tables: ['stock'] });
      const capturedMs = await writeChanges(db, rows, 'C');
      const floor = await bareRead(db);
      const sink = new CountingSink();
      const relay = new ChangeRelay(db, sink, { source: 'bench', batchSize: BATCH, stampBatch: 5000 });
      const started = performance.now();
      await relay.run({ stopWhenIdle: true, maxDurationMs: 600_000, pollIntervalMs: 1 });
      const relayMs = performance.now() - started;
      if (sink.count !== floor.rows) throw new Error(`relay shipped ${sink.count} of ${floor.rows} changes`);
      const relayRate = (sink.count / relayMs) * 1000;
      const floorRate = (floor.rows / floor.ms) * 1000;
      results.push({
        name: `${dialect}: relay rows/s (stamp+read+ship, ${sink.count} changes)`,
        figure: relayRate,
        unit: 'rows/s',
        baseline: floorRate,
        ratio: relayRate / floorRate,
        note: 'baseline: bare keyset read of the same change table; ratio = relay / bare read (the relay also writes: one commit-order stamp per row, one watermark per batch)',
      });
      results.push({
        name: `${dialect}: app writes with capture triggers (${rows * 2} row changes)`,
        figure: capturedMs,
        unit: 'ms',
        baseline: plainMs,
        ratio: capturedMs / plainMs,
        note: 'baseline: the same inserts and updates without triggers; ratio = with / without',
      });
      await uninstallCapture(db, { dropTables: true, force: true });
    } finally {
      await drop();
    }
  }
  return results;
}
