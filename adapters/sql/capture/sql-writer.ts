import { randomUUID } from 'node:crypto';
import type { SqlRowWrite, SqlRowWriter, SqlWriteResult } from '../../../core/sync/change';
import { quoteIdent, type CaptureDatabase, type SqlSession } from './database';
import { CaptureError } from './errors';
import { boundedName, captureNames } from './ddl';

export interface SqlChangeWriterOptions {
  readonly prefix?: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Writes the services->monolith direction: one row change in one transaction, tagged as the sync's own
 * write so the capture trigger records it with origin `sync` and the relay never ships it back.
 *
 * The row is locked first (SELECT ... FOR UPDATE) and compared with `expected` by the database, in each
 * column's type ('10.5' matches a NUMERIC 10.50): a row that differs from what the service saw is a
 * conflict, answered with its current values (as SQL text) and nothing written, even when the row already
 * holds the new values. Equal values do not mean "this write again": both sides
 * selling 3 from 10 leave 7 on each, and only the conflict lets the engine apply the other sale (delta: 4).
 * A redelivery is recognised by the write's `changeId` instead, recorded in `cutover_applied` in the same
 * transaction as the row: a second write with the same id is answered `applied` (`replayed`) and changes
 * nothing.
 */
export class SqlChangeWriter implements SqlRowWriter {
  private readonly prefix: string;

  public constructor(
    private readonly db: CaptureDatabase,
    options: SqlChangeWriterOptions = {},
  ) {
    this.prefix = options.prefix ?? '';
  }

  public async write(change: SqlRowWrite): Promise<SqlWriteResult> {
    const [result] = await this.writeAll([change]);
    return result;
  }

  /**
   * Several row changes in one transaction (a root row and its child rows), tagged once, recorded once
   * under the first write's `changeId`. Each row is locked and compared as `write` does; if any of them is
   * a conflict the whole transaction is rolled back and every answer is returned (`applied` for the rows
   * that would have been written), so the caller decides the conflicting rows and tries again with all.
   * A replay (the `changeId` is already recorded) answers every write `applied`, `replayed`.
   */
  public async writeAll(changes: readonly SqlRowWrite[]): Promise<SqlWriteResult[]> {
    if (changes.length === 0) return [];
    for (const change of changes) this.check(change);
    const pg = this.db.dialect === 'postgres';
    const q = (id: string) => quoteIdent(this.db.dialect, id);
    const appliedTable = `${q(this.db.schema)}.${q(captureNames(this.prefix).applied)}`;
    const changeId = changes[0].changeId;
    const changeKey = changeId === undefined ? undefined : boundedKey(changeId);
    const rollback = new Error('cutover: a conflict rolls the transaction back');
    let answers: SqlWriteResult[] = [];
    try {
      return await this.db.transaction(async (tx) => {
        await this.tag(tx);
        try {
          answers = [];
          for (const [i, change] of changes.entries()) {
            // The first row is locked before the change id is looked up: a concurrent delivery of the same
            // change waits there and then sees the id the first one committed.
            const afterLock = i === 0 && changeKey !== undefined ? () => this.seen(tx, appliedTable, changeKey, change.table) : undefined;
            const answer = await this.applyRow(tx, change, afterLock);
            if (answer === 'replayed') return changes.map(() => ({ status: 'applied' as const, replayed: true }));
            answers.push(answer);
          }
          if (answers.some((x) => x.status === 'conflict')) throw rollback;
          if (changeKey !== undefined) {
            const now = pg ? 'now()' : 'CURRENT_TIMESTAMP(3)';
            await tx.exec(`INSERT INTO ${appliedTable} (change_key, table_name, applied_at) VALUES (${pg ? '$1, $2' : '?, ?'}, ${now})`, [
              changeKey,
              changes[0].table,
            ]);
          }
          return answers;
        } finally {
          await this.untag(tx);
        }
      });
    } catch (err) {
      if (err === rollback) return answers;
      throw err;
    }
  }

  private check(change: SqlRowWrite): void {
    const keyColumns = Object.keys(change.key);
    if (keyColumns.length === 0) throw new CaptureError(`write to ${change.table}: the key is empty`, { table: change.table });
    for (const c of [change.table, ...keyColumns, ...Object.keys(change.values), ...Object.keys(change.expected ?? {})]) {
      // Names reach SQL as identifiers (quoted); anything odd is refused here with the name in the message.
      if (!IDENT.test(c))
        throw new CaptureError(`write to ${change.table}: ${JSON.stringify(c)} is not a plain SQL identifier`, {
          table: change.table,
          identifier: c,
        });
    }
    if (change.changeId !== undefined && change.changeId.length === 0)
      throw new CaptureError(`write to ${change.table}: changeId is empty`, { table: change.table });
  }

  /** Locks, compares and writes one row in the open transaction; `afterLock` answering true means a replay. */
  private async applyRow(tx: SqlSession, change: SqlRowWrite, afterLock?: () => Promise<boolean>): Promise<SqlWriteResult | 'replayed'> {
    const keyColumns = Object.keys(change.key);
    const pg = this.db.dialect === 'postgres';
    const q = (id: string) => quoteIdent(this.db.dialect, id);
    const table = `${q(this.db.schema)}.${q(this.prefix + change.table)}`;
    const compared = [...new Set([...keyColumns, ...Object.keys(change.values), ...Object.keys(change.expected ?? {})])];
    const params: (string | null)[] = [];
    const p = (v: string | null) => (params.push(v), pg ? `$${params.length}` : '?');
    const where = keyColumns.map((c) => `${q(c)} = ${p(change.key[c])}`).join(' AND ');
    // Equality is decided by the database in the column's type, so '10.5' matches a NUMERIC 10.50 and
    // '2026-01-01T10:00:00' a TIMESTAMP: the service side need not spell values as this server prints them.
    const probes: Array<{ column: string; value: string | null; kind: 'expected' | 'value' }> = [
      ...Object.entries(change.expected ?? {}).map(([column, value]) => ({ column, value, kind: 'expected' as const })),
      ...Object.entries(change.values).map(([column, value]) => ({ column, value, kind: 'value' as const })),
    ];
    const selectParams: (string | null)[] = [];
    const sp = (v: string | null) => (selectParams.push(v), pg ? `$${selectParams.length}` : '?');
    const select = [
      ...compared.map((c) => (pg ? `${q(c)}::text` : `CAST(${q(c)} AS CHAR)`)),
      ...probes.map((x) => (pg ? `(${q(x.column)} IS NOT DISTINCT FROM ${sp(x.value)})::text` : `(${q(x.column)} <=> ${sp(x.value)})`)),
    ].join(', ');
    const whereShifted = keyColumns.map((c) => `${q(c)} = ${sp(change.key[c])}`).join(' AND ');
    // Lock the row before looking for the key: a concurrent delivery of the same change waits here and
    // then sees the key the first one committed (a locking read sees the latest commit on MySQL too).
    const rows = await tx.query(`SELECT ${select} FROM ${table} WHERE ${whereShifted} FOR UPDATE`, selectParams);
    const row = rows[0];
    const current = row ? Object.fromEntries(compared.map((c, i) => [c, row[i]])) : null;
    const truth = (v: string | null) => v === 't' || v === 'true' || v === '1';
    const equal = (kind: 'expected' | 'value') => !!row && probes.every((x, i) => x.kind !== kind || truth(row[compared.length + i]));
    if (afterLock && (await afterLock())) return 'replayed';
    const done: SqlWriteResult = { status: 'applied' };
    if (change.expected) {
      const differs = current === null ? change.operation !== 'insert' : !equal('expected');
      if (differs) return { status: 'conflict', current };
    }
    if (change.operation === 'delete') {
      if (current) await tx.exec(`DELETE FROM ${table} WHERE ${where}`, params);
      return done;
    }
    if (change.operation === 'insert') {
      // An insert expects no row. One already there with exactly these values is the same outcome
      // (nothing to lose: there was no base to add to); any other row is a conflict.
      if (current) return equal('value') ? done : { status: 'conflict', current };
      const cols = [...new Set([...keyColumns, ...Object.keys(change.values)])];
      const values: (string | null)[] = [];
      const ph = cols.map((c) => (values.push(c in change.key ? change.key[c] : change.values[c]), pg ? `$${values.length}` : '?'));
      await tx.exec(`INSERT INTO ${table} (${cols.map(q).join(', ')}) VALUES (${ph.join(', ')})`, values);
      return done;
    }
    if (!current) return { status: 'conflict', current: null };
    const set = Object.keys(change.values).filter((c) => !(c in change.key));
    if (set.length === 0) return done;
    const values: (string | null)[] = [];
    const ph = (v: string | null) => (values.push(v), pg ? `$${values.length}` : '?');
    const assignments = set.map((c) => `${q(c)} = ${ph(change.values[c])}`).join(', ');
    const keyWhere = keyColumns.map((c) => `${q(c)} = ${ph(change.key[c])}`).join(' AND ');
    await tx.exec(`UPDATE ${table} SET ${assignments} WHERE ${keyWhere}`, values);
    return done;
  }

  /** Whether a change id was already applied; a missing table is named with the command that creates it. */
  private async seen(tx: SqlSession, appliedTable: string, changeKey: string, table: string): Promise<boolean> {
    const pg = this.db.dialect === 'postgres';
    try {
      const rows = await tx.query(`SELECT change_key FROM ${appliedTable} WHERE change_key = ${pg ? '$1' : '?'} FOR UPDATE`, [changeKey]);
      return rows.length > 0;
    } catch (err) {
      throw new CaptureError(
        `write to ${table}: cannot read ${appliedTable} (run cutover sync install again to create it)`,
        { table, appliedTable },
        { cause: err },
      );
    }
  }

  /**
   * The origin tag. PostgreSQL: a transaction-local setting (SET LOCAL), gone at commit or rollback.
   * MySQL has no transaction-local variables: a session variable, cleared in `untag` before the
   * connection goes back to the pool; a transaction id is set too (see ddl.ts on MySQL transaction ids).
   * Values are compared as text in the session's pinned output settings, as the triggers render them.
   */
  private async tag(tx: SqlSession): Promise<void> {
    if (this.db.dialect === 'postgres') {
      await tx.query(
        "SELECT set_config('cutover.origin', 'sync', true), set_config('DateStyle', 'ISO, MDY', true), set_config('TimeZone', 'UTC', true), set_config('extra_float_digits', '1', true)",
      );
    } else {
      await tx.exec("SET @cutover_origin = 'sync', @cutover_tx_id = ?", [`sync.${randomUUID()}`]);
    }
  }

  private async untag(tx: SqlSession): Promise<void> {
    if (this.db.dialect === 'mysql') await tx.exec('SET @cutover_origin = NULL, @cutover_tx_id = NULL');
  }
}

/** Keys longer than the column (200) keep their start and get a hash, so they stay unique and readable. */
function boundedKey(changeId: string): string {
  return boundedName(changeId, 200);
}

/**
 * Deletes applied-change keys older than `olderThanMs` (default 48 h). A stream record is redelivered only
 * while the stream keeps it (24 h on DynamoDB Streams), so an older key can never be asked for again.
 */
export async function purgeApplied(
  db: SqlSession & { schema: string },
  options: { readonly prefix?: string; readonly olderThanMs?: number } = {},
): Promise<number> {
  const table = `${quoteIdent(db.dialect, db.schema)}.${quoteIdent(db.dialect, captureNames(options.prefix ?? '').applied)}`;
  const ms = Math.max(0, Math.floor(options.olderThanMs ?? 48 * 3_600_000));
  const before =
    db.dialect === 'postgres' ? `now() - interval '${ms} milliseconds'` : `CURRENT_TIMESTAMP(3) - INTERVAL ${ms * 1000} MICROSECOND`;
  return db.exec(`DELETE FROM ${table} WHERE applied_at < ${before}`);
}
