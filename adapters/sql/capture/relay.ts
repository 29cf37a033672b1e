import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { outboxChange, OutboxMappingError, type OutboxMapping } from '../../../core/capture/outbox';
import type { ChangeOperation, ChangeOrigin, ChangeSink, RowChange } from '../../../core/sync/change';
import { quoteIdent, type CaptureDatabase, type SqlSession, type TextRow } from './database';
import { captureNames } from './ddl';
import { CaptureError, LeaseLostError, SinkError } from './errors';
import { purgeApplied } from './sql-writer';

/**
 * The relay: reads the change table in commit order and ships changes to a sink, at least once, resuming
 * exactly after its watermark.
 *
 * Commit order. The change table's `id` comes from a sequence, which is insert order, not commit order:
 * a transaction that took id 10 can commit after one that took id 11. A relay that read "id > last id"
 * would move past 11 and never see 10. So ids are not the watermark. Each pass first STAMPS the rows
 * that are committed and not yet stamped with the next numbers of a counter (`seq`), in id order, under a
 * lock on the counter row (stamps never interleave). A row is visible only once its transaction
 * committed, so a late commit is simply stamped by a later pass with a larger number: nothing is ever
 * behind the watermark when it appears. The watermark is the last shipped `seq`.
 *   - Per key, seq order is exactly commit order: a second writer of a row waits for the first's row
 *     lock, so its trigger (and its id) comes after the first committed.
 *   - Across keys, seq order is the order the relay saw commits (a pass's rows in id order).
 * We chose this over reading below the oldest running transaction (pg_snapshot_xmin) because it is the
 * same on PostgreSQL, PGlite and MySQL (which has no snapshot functions), costs no waiting on long
 * transactions for the changes that did commit, and keeps one number as the watermark.
 *
 * At least once: a batch is shipped, then the watermark moves. A crash in between ships the batch again
 * (the sink deduplicates on the change id, the applier is idempotent). The watermark update is fenced by
 * the lease owner, so a relay that lost its lease can never move it.
 */
export interface RelayOptions {
  /** The source's name in RowChange.source (the spec's name for the monolith database). */
  readonly source: string;
  /** Lease and watermark name; two relays with the same name never run at once. @default source */
  readonly name?: string;
  /** This relay's identity in the lease. @default host:pid:random */
  readonly owner?: string;
  readonly prefix?: string;
  /** Only ship changes of these tables (spec names); the others are left to the relay that owns them. */
  readonly tables?: readonly string[];
  /** Changes read and shipped per pass. @default 500 */
  readonly batchSize?: number;
  /** Rows stamped per pass at most. @default 5000 */
  readonly stampBatch?: number;
  /** Lease duration, renewed on every pass. @default 30000 */
  readonly leaseMs?: number;
  /** Outbox tables and how their rows become changes. */
  readonly outbox?: readonly OutboxMapping[];
  /**
   * Where an outbox row that cannot be mapped goes (with the reason); it is then passed by, not retried
   * forever. Without it such a row stops the relay with the error.
   */
  readonly rejects?: { reject(change: RowChange, reason: string): Promise<void> };
  /** Ship the sync's own writes too (never in production: they would come back as loops). @default false */
  readonly shipSyncOrigin?: boolean;
  /**
   * During `run`, delete change rows every relay has shipped once they are older than this (at the start,
   * then at most once per `purgeIntervalMs`). @default - never: the rows stay until purged
   */
  readonly retainMs?: number;
  /**
   * During `run`, delete the SQL writer's applied-change keys (`cutover_applied`) older than this, on the
   * same cadence. A stream record is redelivered only while the stream keeps it (24 h on DynamoDB
   * Streams), so 48 h leaves a day of margin. @default - never
   */
  readonly appliedRetainMs?: number;
  /** The least time between two purges. @default 60000 */
  readonly purgeIntervalMs?: number;
}

export interface PassResult {
  readonly stamped: number;
  /** Change rows read past the watermark. */
  readonly read: number;
  readonly shipped: number;
  /** Rows written by the sync itself, passed by (no loops). */
  readonly skippedSync: number;
  readonly rejected: number;
  /** The watermark after the pass (last shipped seq). */
  readonly watermark: string;
}

export interface RunOptions {
  /** Stop after this long (a Lambda invocation is bounded). @default 60000 */
  readonly maxDurationMs?: number;
  /** Wait between passes when idle. @default 100 */
  readonly pollIntervalMs?: number;
  /** Stop at the first idle pass (nothing stamped, nothing read). @default false */
  readonly stopWhenIdle?: boolean;
  readonly signal?: AbortSignal;
  /** After a sink failure, wait this long before retrying, doubling up to 30 s. @default 200 */
  readonly retryBaseMs?: number;
  readonly onPass?: (result: PassResult) => void;
  /** A pass that failed (and will be retried), or a purge that failed (shipping goes on). */
  readonly onError?: (error: Error) => void;
  /**
   * When the last purge ran (epoch ms), e.g. in an earlier run of the same process: the next one waits for
   * `purgeIntervalMs` after it. A Lambda keeps it between warm invocations. @default 0 (purge at the start)
   */
  readonly lastPurgeAt?: number;
}

export interface RunReport {
  readonly passes: number;
  readonly stamped: number;
  readonly shipped: number;
  readonly skippedSync: number;
  readonly rejected: number;
  readonly sinkFailures: number;
  readonly lastError?: string;
  readonly watermark: string;
  /** Whether the lease was held by another relay for the whole run (this one stood by). */
  readonly standby: boolean;
  /** Rows the purges of this run deleted: shipped change rows and applied-change keys. */
  readonly purged: { readonly changes: number; readonly applied: number };
  /** When the last purge ran (epoch ms; the given `lastPurgeAt` when none ran): pass it to the next run. */
  readonly lastPurgeAt: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    // The abort listener goes when the wait ends either way: a long run must not pile them up on one signal.
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** '2026-12-06 02:37:46.741092' (UTC, any fraction) -> '2026-12-06T02:37:46.741Z'. */
export function isoMillis(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(text);
  if (!m) throw new CaptureError(`change time ${JSON.stringify(text)} is not a timestamp`, { value: text });
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
}

export class ChangeRelay {
  private readonly name: string;
  public readonly owner: string;
  private readonly batchSize: number;
  private readonly stampBatch: number;
  private readonly leaseMs: number;
  private readonly outbox: ReadonlyMap<string, OutboxMapping>;
  private readonly q: (table: string) => string;
  private readonly names: ReturnType<typeof captureNames>;
  private watermark = '0';
  /** When this relay last took or renewed its lease (its own clock: only to know when to renew). */
  private leaseRenewedAt = 0;
  /** Whether the last read filled a batch: stamped rows are then still waiting, and stamping can wait. */
  private backlogAhead = false;

  public constructor(
    private readonly db: CaptureDatabase,
    private readonly sink: ChangeSink,
    private readonly options: RelayOptions,
  ) {
    this.name = options.name ?? options.source;
    this.owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.batchSize = options.batchSize ?? 500;
    this.stampBatch = options.stampBatch ?? 5000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.outbox = new Map((options.outbox ?? []).map((m) => [m.table, m]));
    this.names = captureNames(options.prefix ?? '');
    this.q = (t) => `${quoteIdent(db.dialect, db.schema)}.${quoteIdent(db.dialect, t)}`;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new CaptureError(`batchSize ${this.batchSize} must be a positive integer`, { batchSize: this.batchSize });
  }

  private p(i: number): string {
    return this.db.dialect === 'mysql' ? '?' : `$${i}`;
  }

  private t(expr: string): string {
    return this.db.dialect === 'postgres' ? `(${expr})::text` : expr;
  }

  /**
   * Takes or renews the lease (database time, so relays on different hosts need no agreed clock).
   * Returns false when another relay holds it.
   */
  public async acquire(): Promise<boolean> {
    const relay = this.q(this.names.relay);
    const pg = this.db.dialect === 'postgres';
    const until = pg ? `now() + ($2::text || ' milliseconds')::interval` : `UTC_TIMESTAMP(3) + INTERVAL ? * 1000 MICROSECOND`;
    const now = pg ? 'now()' : 'UTC_TIMESTAMP(3)';
    const sql = pg
      ? `UPDATE ${relay} SET owner = $3, lease_until = ${until}, updated_at = now() WHERE name = $1 AND (owner IS NULL OR owner = $3 OR lease_until < now())`
      : `UPDATE ${relay} SET owner = ?, lease_until = ${until}, updated_at = ${now} WHERE name = ? AND (owner IS NULL OR owner = ? OR lease_until < ${now})`;
    const params = pg ? [this.name, String(this.leaseMs), this.owner] : [this.owner, this.leaseMs, this.name, this.owner];
    let changed = await this.db.exec(sql, params);
    if (changed === 0) {
      // First run of this relay name: its row does not exist yet.
      await this.db.exec(
        pg
          ? `INSERT INTO ${relay} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`
          : `INSERT IGNORE INTO ${relay} (name, updated_at) VALUES (?, UTC_TIMESTAMP(3))`,
        [this.name],
      );
      changed = await this.db.exec(sql, params);
    }
    if (changed === 0) {
      this.leaseRenewedAt = 0;
      return false;
    }
    const rows = await this.db.query(`SELECT ${this.t('shipped_seq')} FROM ${relay} WHERE name = ${this.p(1)}`, [this.name]);
    this.watermark = String(rows[0][0]);
    this.leaseRenewedAt = Date.now();
    return true;
  }

  /** Gives the lease up (a clean stop), so a standby relay takes over at once. */
  public async release(): Promise<void> {
    this.leaseRenewedAt = 0;
    await this.db.exec(
      `UPDATE ${this.q(this.names.relay)} SET owner = NULL, lease_until = NULL WHERE name = ${this.p(1)} AND owner = ${this.p(2)}`,
      [this.name, this.owner],
    );
  }

  /** Stamps committed, unstamped change rows with the next commit-order numbers. Returns how many. */
  public async stamp(): Promise<number> {
    const changes = this.q(this.names.changes);
    const state = this.q(this.names.state);
    return this.db.transaction(async (tx) => {
      const [[base]] = await tx.query(`SELECT ${this.t('stamped_seq')} FROM ${state} WHERE id = 1 FOR UPDATE`);
      if (base === undefined || base === null)
        throw new CaptureError(`${this.names.state} has no counter row: run cutover sync install`, {});
      let stamped: number;
      if (this.db.dialect === 'postgres') {
        stamped = await tx.exec(
          `WITH pending AS (SELECT id FROM ${changes} WHERE seq IS NULL ORDER BY id LIMIT ${this.stampBatch}),
                numbered AS (SELECT id, $1::bigint + row_number() OVER (ORDER BY id) AS s FROM pending)
           UPDATE ${changes} c SET seq = numbered.s FROM numbered WHERE c.id = numbered.id`,
          [base],
        );
      } else {
        // A consistent (non-locking) read sees committed rows only, and never waits on the application's
        // open transactions; their rows are stamped by a later pass.
        const ids = (await tx.query(`SELECT id FROM ${changes} WHERE seq IS NULL ORDER BY id LIMIT ${this.stampBatch}`)).map((r) =>
          String(r[0]),
        );
        if (ids.length === 0) {
          return 0;
        }
        // seq = base + (id - first id + 1): increasing with id, above every earlier stamp; the gaps left
        // by rolled-back ids do not matter (the watermark compares, it does not count).
        const first = BigInt(ids[0]) - 1n;
        const last = BigInt(ids[ids.length - 1]);
        const changed = await tx.exec(`UPDATE ${changes} SET seq = id - ${first} + ${base} WHERE id IN (${ids.join(', ')})`);
        if (changed !== ids.length)
          throw new CaptureError(`stamping expected ${ids.length} change rows and updated ${changed}`, { expected: ids.length, changed });
        await tx.exec(`UPDATE ${state} SET stamped_seq = stamped_seq + ${last - first} WHERE id = 1`);
        return changed;
      }
      if (stamped > 0) await tx.exec(`UPDATE ${state} SET stamped_seq = stamped_seq + ${stamped} WHERE id = 1`);
      return stamped;
    });
  }

  private async read(after: string): Promise<TextRow[]> {
    const params: string[] = [after];
    let filter = '';
    if (this.options.tables?.length) {
      const list = [...this.options.tables, ...this.outbox.keys()];
      filter = ` AND c.table_name IN (${list.map((t) => (params.push(t), this.p(params.length))).join(', ')})`;
    }
    const at = this.db.dialect === 'postgres' ? `(changed_at AT TIME ZONE 'UTC')::text` : `DATE_FORMAT(changed_at, '%Y-%m-%d %H:%i:%s.%f')`;
    return this.db.query(
      `SELECT ${this.t('seq')}, tx_id, table_name, ${this.t('key_values')}, operation, ${this.t('changed_columns')}, ${this.t('before_image')}, ${this.t('after_image')}, origin, ${at}
         FROM ${this.q(this.names.changes)} c WHERE c.seq > ${this.p(1)}${filter} ORDER BY c.seq LIMIT ${this.batchSize}`,
      params,
    );
  }

  private toChange(row: TextRow): RowChange {
    const [seq, txId, table, key, operation, changed, before, after, origin, at] = row;
    const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
    return {
      source: this.options.source,
      changeId: String(seq),
      table: String(table),
      key: json<Record<string, string>>(key) ?? {},
      operation: operation as ChangeOperation,
      changedColumns: json<string[]>(changed) ?? [],
      before: json<Record<string, string | null>>(before),
      after: json<Record<string, string | null>>(after),
      txId: String(txId),
      origin: origin as ChangeOrigin,
      committedAt: isoMillis(String(at)),
    };
  }

  /** Moves the watermark, only while this relay still owns the lease (renewing it). */
  private async advance(to: string, shipped: number, error: string | null): Promise<void> {
    const pg = this.db.dialect === 'postgres';
    const sql = pg
      ? `UPDATE ${this.q(this.names.relay)} SET shipped_seq = GREATEST(shipped_seq, $1::bigint), shipped_total = shipped_total + $2, last_error = $3,
           lease_until = now() + ($4::text || ' milliseconds')::interval, updated_at = now() WHERE name = $5 AND owner = $6`
      : `UPDATE ${this.q(this.names.relay)} SET shipped_seq = GREATEST(shipped_seq, ?), shipped_total = shipped_total + ?, last_error = ?,
           lease_until = UTC_TIMESTAMP(3) + INTERVAL ? * 1000 MICROSECOND, updated_at = UTC_TIMESTAMP(3) WHERE name = ? AND owner = ?`;
    const changed = await this.db.exec(sql, [to, shipped, error, this.leaseMs, this.name, this.owner]);
    if (changed === 0) {
      this.leaseRenewedAt = 0;
      throw new LeaseLostError(
        `relay ${this.name}: the lease passed to another relay; stopping without moving the watermark past ${this.watermark}`,
        { name: this.name, owner: this.owner },
      );
    }
    this.watermark = to;
    this.leaseRenewedAt = Date.now();
  }

  private async recordError(message: string): Promise<void> {
    await this.db
      .exec(`UPDATE ${this.q(this.names.relay)} SET last_error = ${this.p(1)} WHERE name = ${this.p(2)} AND owner = ${this.p(3)}`, [
        message.slice(0, 2000),
        this.name,
        this.owner,
      ])
      .catch(() => undefined);
  }

  /**
   * One pass: renew the lease, stamp, read past the watermark, ship, move the watermark. Throws
   * LeaseLostError if another relay holds the lease, SinkError if shipping failed (nothing moved).
   */
  public async pass(): Promise<PassResult> {
    // The lease is renewed with every watermark move; a separate renewal is needed only when idle.
    if (Date.now() - this.leaseRenewedAt > this.leaseMs / 3 && !(await this.acquire())) {
      throw new LeaseLostError(`relay ${this.name}: another relay holds the lease`, { name: this.name });
    }
    // Stamping waits while stamped rows are still ahead of the watermark (the last read was full).
    let stamped = this.backlogAhead ? 0 : await this.stamp();
    let rows = await this.read(this.watermark);
    if (rows.length === 0 && this.backlogAhead) {
      stamped = await this.stamp();
      rows = await this.read(this.watermark);
    }
    this.backlogAhead = rows.length === this.batchSize;
    if (rows.length === 0) return { stamped, read: 0, shipped: 0, skippedSync: 0, rejected: 0, watermark: this.watermark };
    const out: RowChange[] = [];
    let skippedSync = 0;
    let rejected = 0;
    for (const row of rows) {
      let change = this.toChange(row);
      if (change.origin === 'sync' && !this.options.shipSyncOrigin) {
        skippedSync++;
        continue;
      }
      const mapping = this.outbox.get(change.table);
      if (mapping) {
        if (change.operation !== 'insert') continue; // the outbox's own housekeeping (deleting sent rows) is not a change
        try {
          change = outboxChange(mapping, change);
        } catch (e) {
          if (!(e instanceof OutboxMappingError) || !this.options.rejects) throw e;
          await this.options.rejects.reject(change, e.message);
          rejected++;
          continue;
        }
      }
      out.push(change);
    }
    const last = String(rows[rows.length - 1][0]);
    if (out.length > 0) {
      try {
        await this.sink.send(out);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        await this.recordError(message);
        throw new SinkError(
          `relay ${this.name}: shipping changes ${out[0].changeId}..${out[out.length - 1].changeId} failed: ${message}`,
          { name: this.name, from: out[0].changeId, to: out[out.length - 1].changeId },
          { cause: e },
        );
      }
    }
    await this.advance(last, out.length, null);
    return { stamped, read: rows.length, shipped: out.length, skippedSync, rejected, watermark: last };
  }

  /**
   * A bounded polling loop (e.g. every 100 ms for up to a minute per Lambda invocation): passes back to
   * back while there is a backlog, waits when idle, backs off after a sink failure and keeps trying
   * until the deadline (a partition heals without losing anything: the watermark did not move). While
   * another relay holds the lease this one stands by and retries.
   */
  public async run(options: RunOptions = {}): Promise<RunReport> {
    const deadline = Date.now() + (options.maxDurationMs ?? 60_000);
    const poll = options.pollIntervalMs ?? 100;
    const retryBase = options.retryBaseMs ?? 200;
    let passes = 0;
    let stamped = 0;
    let shipped = 0;
    let skippedSync = 0;
    let rejected = 0;
    let sinkFailures = 0;
    let consecutiveFailures = 0;
    let lastError: string | undefined;
    let held = false;
    let purgedAt = options.lastPurgeAt ?? 0;
    const purged = { changes: 0, applied: 0 };
    while (Date.now() < deadline && !options.signal?.aborted) {
      let result: PassResult;
      try {
        result = await this.pass();
      } catch (e) {
        if (e instanceof LeaseLostError || e instanceof SinkError) {
          lastError = e.message;
          options.onError?.(e);
          if (e instanceof SinkError) {
            // It held the lease and failed to ship: not a standby (its lag is the one to report).
            held = true;
            sinkFailures++;
            consecutiveFailures++;
            await sleep(Math.min(30_000, retryBase * 2 ** Math.min(consecutiveFailures - 1, 10), deadline - Date.now()), options.signal);
          } else await sleep(Math.min(poll * 5, deadline - Date.now()), options.signal);
          continue;
        }
        throw e;
      }
      held = true;
      consecutiveFailures = 0;
      if (Date.now() - purgedAt >= (this.options.purgeIntervalMs ?? 60_000)) {
        purgedAt = Date.now();
        await this.purge(purged, options.onError);
      }
      passes++;
      stamped += result.stamped;
      shipped += result.shipped;
      skippedSync += result.skippedSync;
      rejected += result.rejected;
      options.onPass?.(result);
      const busy = result.read === this.batchSize || result.stamped === this.stampBatch;
      if (busy) continue;
      if (options.stopWhenIdle && result.read === 0 && result.stamped === 0) break;
      await sleep(Math.min(poll, deadline - Date.now()), options.signal);
    }
    // A clean stop hands the lease on at once: the next scheduled run (or a standby) need not wait for it to lapse.
    if (held) await this.release().catch(() => undefined);
    return {
      passes,
      stamped,
      shipped,
      skippedSync,
      rejected,
      sinkFailures,
      lastError,
      watermark: this.watermark,
      standby: !held,
      purged,
      lastPurgeAt: purgedAt,
    };
  }

  /**
   * The change table is a queue and `cutover_applied` a redelivery guard, not histories: both are trimmed
   * while the lease is held. A failed purge is reported and does not stop shipping (e.g. a monolith
   * installed before `cutover_applied` existed: `cutover sync install` again adds it).
   */
  private async purge(into: { changes: number; applied: number }, onError?: (error: Error) => void): Promise<void> {
    const prefix = this.options.prefix;
    const attempt = async (what: string, run: () => Promise<number>): Promise<number> => {
      try {
        return await run();
      } catch (e) {
        onError?.(
          new CaptureError(`relay ${this.name}: purging ${what} failed: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e }),
        );
        return 0;
      }
    };
    if (this.options.retainMs !== undefined)
      into.changes += await attempt('shipped changes', () => purgeShipped(this.db, { prefix, olderThanMs: this.options.retainMs }));
    if (this.options.appliedRetainMs !== undefined)
      into.applied += await attempt('applied-change keys', () =>
        purgeApplied(this.db, { prefix, olderThanMs: this.options.appliedRetainMs }),
      );
  }
}

export interface RelayStatus {
  readonly name: string;
  readonly watermark: string;
  readonly owner: string | null;
  readonly leaseUntil: string | null;
  readonly shippedTotal: number;
  readonly lastError: string | null;
  /** Change rows not yet shipped by this relay (stamped past its watermark, or not stamped yet). */
  readonly backlog: number;
  /** When the oldest unshipped change was written (ISO), or null when there is none. */
  readonly oldestUnshippedAt: string | null;
}

/** What `cutover sync status` shows for the monolith->services direction. */
export async function relayStatus(db: CaptureDatabase, options: { readonly name: string; readonly prefix?: string }): Promise<RelayStatus> {
  const n = captureNames(options.prefix ?? '');
  const q = (t: string) => `${quoteIdent(db.dialect, db.schema)}.${quoteIdent(db.dialect, t)}`;
  const pg = db.dialect === 'postgres';
  const tx = (e: string) => (pg ? `(${e})::text` : e);
  const p = (i: number) => (pg ? `$${i}` : '?');
  const [row] = await db.query(
    `SELECT ${tx('shipped_seq')}, owner, ${tx('lease_until')}, ${tx('shipped_total')}, last_error FROM ${q(n.relay)} WHERE name = ${p(1)}`,
    [options.name],
  );
  const watermark = row ? String(row[0]) : '0';
  const at = pg ? `(min(changed_at) AT TIME ZONE 'UTC')::text` : `DATE_FORMAT(MIN(changed_at), '%Y-%m-%d %H:%i:%s.%f')`;
  const [[count, oldest]] = await db.query(`SELECT ${tx('count(*)')}, ${at} FROM ${q(n.changes)} WHERE seq IS NULL OR seq > ${p(1)}`, [
    watermark,
  ]);
  return {
    name: options.name,
    watermark,
    owner: row?.[1] ?? null,
    leaseUntil: row?.[2] ?? null,
    shippedTotal: Number(row?.[3] ?? 0),
    lastError: row?.[4] ?? null,
    backlog: Number(count),
    oldestUnshippedAt: oldest ? isoMillis(oldest) : null,
  };
}

/**
 * Deletes change rows every relay has shipped and that are older than `olderThanMs`: the change table
 * is a queue, not a history (the audit log is the history). Returns the number of rows deleted.
 */
export async function purgeShipped(
  db: SqlSession & { schema: string },
  options: { readonly prefix?: string; readonly olderThanMs?: number } = {},
): Promise<number> {
  const n = captureNames(options.prefix ?? '');
  const q = (t: string) => `${quoteIdent(db.dialect, db.schema)}.${quoteIdent(db.dialect, t)}`;
  const ms = Math.max(0, Math.floor(options.olderThanMs ?? 3_600_000));
  const before =
    db.dialect === 'postgres' ? `now() - interval '${ms} milliseconds'` : `UTC_TIMESTAMP(6) - INTERVAL ${ms * 1000} MICROSECOND`;
  const horizon =
    db.dialect === 'postgres'
      ? `(SELECT COALESCE(min(shipped_seq), 0) FROM ${q(n.relay)})`
      : `(SELECT COALESCE(MIN(r.shipped_seq), 0) FROM ${q(n.relay)} r)`;
  return db.exec(`DELETE FROM ${q(n.changes)} WHERE seq IS NOT NULL AND seq <= ${horizon} AND changed_at < ${before}`);
}
