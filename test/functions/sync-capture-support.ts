import type { RowChange, ChangeSink } from '../../core/sync/change';
import { openCaptureDatabase, pgliteDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { startCapturePglite } from './sync-pglite-worker';
import { schemaStatements } from '../../monolith/database';

export const PG_URL = process.env.CUTOVER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.CUTOVER_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A monolith database of its own for one test file: a PostgreSQL schema, a MySQL database, or an in-memory PGlite. */
export interface CaptureFixture {
  readonly kind: 'postgres' | 'mysql' | 'pglite';
  /** The URL a CLI process would be given for this database. */
  readonly url: string;
  /** Opens another connection pool to the same database (a second relay process, a crashed one's successor). */
  open(): Promise<CaptureDatabase>;
  drop(): Promise<void>;
}

/** A name unique to this run, with the project's prefix for the shared servers. */
export function uniqueName(tag: string): string {
  return `a11c_${tag}_${process.pid}_${Date.now().toString(36)}`;
}

export async function postgresFixture(): Promise<CaptureFixture> {
  const schema = uniqueName('pg');
  const admin = await openCaptureDatabase(PG_URL, { connections: 1 });
  await admin.exec(`CREATE SCHEMA "${schema}"`);
  await admin.close();
  const url = `${PG_URL}?schema=${schema}`;
  return {
    kind: 'postgres',
    url,
    open: () => openCaptureDatabase(url, { connections: 4 }),
    drop: async () => {
      const a = await openCaptureDatabase(PG_URL, { connections: 1 });
      await a.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await a.close();
    },
  };
}

export async function mysqlFixture(): Promise<CaptureFixture> {
  const name = uniqueName('my');
  const admin = await openCaptureDatabase(MYSQL_URL, { connections: 1 });
  await admin.exec(`CREATE DATABASE \`${name}\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.close();
  const url = MYSQL_URL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  return {
    kind: 'mysql',
    url,
    open: () => openCaptureDatabase(url, { connections: 4 }),
    drop: async () => {
      const a = await openCaptureDatabase(MYSQL_URL, { connections: 1 });
      await a.exec(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.close();
    },
  };
}

export async function pgliteFixture(): Promise<CaptureFixture> {
  const { db, close } = await startCapturePglite();
  const shared = await pgliteDatabase(db, 'pglite://memory', false);
  return {
    kind: 'pglite',
    url: 'pglite://memory',
    // One PGlite is one connection: every "pool" is the same serialised session.
    open: async () => shared,
    drop: close,
  };
}

export async function createShopSchema(db: CaptureDatabase): Promise<void> {
  for (const s of schemaStatements(db.dialect)) await db.exec(s);
}

/** Collects what the relay ships; can be told to fail (the target unreachable). */
export class RecordingSink implements ChangeSink {
  public readonly received: RowChange[] = [];
  public failing = false;
  public calls = 0;

  public async send(changes: readonly RowChange[]): Promise<void> {
    this.calls++;
    if (this.failing) throw new Error('target unreachable (simulated partition)');
    this.received.push(...changes);
  }

  public ids(): string[] {
    return this.received.map((c) => c.changeId);
  }
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export const stockRow = (sku: string, onHand: number, wh = 'W1') =>
  `INSERT INTO stock (sku, warehouse_cd, on_hand, reserved, updated_at) VALUES ('${sku}', '${wh}', ${onHand}, 0, '2026-01-01 10:00:00')`;
