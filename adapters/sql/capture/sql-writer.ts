import { randomUUID } from 'node:crypto';
import type { SqlRowWrite, SqlRowWriter, SqlWriteResult } from '../../../core/sync/change';
import { quoteIdent, type CaptureDatabase, type SqlSession } from './database';
import { CaptureError } from './errors';

export interface SqlChangeWriterOptions {
  readonly prefix?: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Writes the services->monolith direction: one row change in one transaction, tagged as the sync's own
 * write so the capture trigger records it with origin `sync` and the relay never ships it back.
 *
 * The row is locked first (SELECT ... FOR UPDATE) and compared, as text, with `expected`: a row that
 * moved on since the service saw it is a conflict, answered with its current values and nothing written.
 * A write that is already in place (a redelivery) is answered `applied` without writing, so at-least-once
 * delivery is harmless.
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
    const keyColumns = Object.keys(change.key);
    if (keyColumns.length === 0) throw new CaptureError(`write to ${change.table}: the key is empty`, { table: change.table });
    for (const c of [change.table, ...keyColumns, ...Object.keys(change.values), ...Object.keys(change.expected ?? {})]) {
      // Names reach SQL as identifiers (quoted); anything odd is refused here with the name in the message.
      if (!IDENT.test(c)) throw new CaptureError(`write to ${change.table}: ${JSON.stringify(c)} is not a plain SQL identifier`, { table: change.table, identifier: c });
    }
    const pg = this.db.dialect === 'postgres';
    const q = (id: string) => quoteIdent(this.db.dialect, id);
    const table = `${q(this.db.schema)}.${q(this.prefix + change.table)}`;
    const compared = [...new Set([...keyColumns, ...Object.keys(change.values), ...Object.keys(change.expected ?? {})])];
    return this.db.transaction(async (tx) => {
      await this.tag(tx);
      try {
        const params: (string | null)[] = [];
        const p = (v: string | null) => (params.push(v), pg ? `$${params.length}` : '?');
        const where = keyColumns.map((c) => `${q(c)} = ${p(change.key[c])}`).join(' AND ');
        const select = compared.map((c) => (pg ? `${q(c)}::text` : `CAST(${q(c)} AS CHAR)`)).join(', ');
        const rows = await tx.query(`SELECT ${select} FROM ${table} WHERE ${where} FOR UPDATE`, params);
        const current = rows[0] ? Object.fromEntries(compared.map((c, i) => [c, rows[0][i]])) : null;
        if (change.expected) {
          const differs = current === null ? change.operation !== 'insert' : Object.entries(change.expected).some(([c, v]) => current[c] !== v);
          if (differs && !this.alreadyApplied(change, current)) return { status: 'conflict', current };
        }
        if (change.operation === 'delete') {
          if (current) await tx.exec(`DELETE FROM ${table} WHERE ${where}`, params.slice(0, keyColumns.length));
          return { status: 'applied' };
        }
        if (change.operation === 'insert') {
          if (current) return this.alreadyApplied(change, current) ? { status: 'applied' } : { status: 'conflict', current };
          const cols = [...new Set([...keyColumns, ...Object.keys(change.values)])];
          const values: (string | null)[] = [];
          const ph = cols.map((c) => (values.push(c in change.key ? change.key[c] : change.values[c]), pg ? `$${values.length}` : '?'));
          await tx.exec(`INSERT INTO ${table} (${cols.map(q).join(', ')}) VALUES (${ph.join(', ')})`, values);
          return { status: 'applied' };
        }
        if (!current) return { status: 'conflict', current: null };
        if (this.alreadyApplied(change, current)) return { status: 'applied' };
        const set = Object.keys(change.values).filter((c) => !(c in change.key));
        if (set.length === 0) return { status: 'applied' };
        const values: (string | null)[] = [];
        const ph = (v: string | null) => (values.push(v), pg ? `$${values.length}` : '?');
        const assignments = set.map((c) => `${q(c)} = ${ph(change.values[c])}`).join(', ');
        const keyWhere = keyColumns.map((c) => `${q(c)} = ${ph(change.key[c])}`).join(' AND ');
        await tx.exec(`UPDATE ${table} SET ${assignments} WHERE ${keyWhere}`, values);
        return { status: 'applied' };
      } finally {
        await this.untag(tx);
      }
    });
  }

  private alreadyApplied(change: SqlRowWrite, current: Record<string, string | null> | null): boolean {
    if (change.operation === 'delete') return current === null;
    return current !== null && Object.entries(change.values).every(([c, v]) => current[c] === v);
  }

  /**
   * The origin tag. PostgreSQL: a transaction-local setting (SET LOCAL), gone at commit or rollback.
   * MySQL has no transaction-local variables: a session variable, cleared in `untag` before the
   * connection goes back to the pool; a transaction id is set too (see ddl.ts on MySQL transaction ids).
   * Values are compared as text in the session's pinned output settings, as the triggers render them.
   */
  private async tag(tx: SqlSession): Promise<void> {
    if (this.db.dialect === 'postgres') {
      await tx.query("SELECT set_config('cutover.origin', 'sync', true), set_config('DateStyle', 'ISO, MDY', true), set_config('TimeZone', 'UTC', true), set_config('extra_float_digits', '1', true)");
    } else {
      await tx.exec("SET @cutover_origin = 'sync', @cutover_tx_id = ?", [`sync.${randomUUID()}`]);
    }
  }

  private async untag(tx: SqlSession): Promise<void> {
    if (this.db.dialect === 'mysql') await tx.exec('SET @cutover_origin = NULL, @cutover_tx_id = NULL');
  }
}
