import type { CaptureDatabase, SqlSession } from './database';
import { quoteIdent } from './database';
import { baseTables, boundedName, captureNames, mysqlCaptureTriggers, pgCaptureObjects, pgTruncateGuard, type CapturedTable } from './ddl';
import { CaptureError } from './errors';

export interface CaptureTarget {
  /** Tables to capture, by their spec name (the prefix is added). */
  readonly tables: readonly string[];
  /** Table name prefix (tests use one per run). @default '' */
  readonly prefix?: string;
  /**
   * Tables whose rows are an application outbox: captured on insert like any table, then mapped to
   * changes by the relay (see outbox.ts). Listed here only so the plan says so.
   */
  readonly outboxTables?: readonly string[];
}

export type ObjectState = 'create' | 'replace' | 'unchanged';

export interface PlannedObject {
  readonly kind: 'table' | 'trigger';
  readonly name: string;
  readonly state: ObjectState;
}

export interface CapturePlan {
  readonly dialect: 'postgres' | 'mysql';
  readonly schema: string;
  readonly tables: readonly CapturedTable[];
  readonly objects: readonly PlannedObject[];
  /** The statements install runs now (empty when everything is in place). */
  readonly statements: readonly string[];
  /** The complete, idempotent script for a DBA to review or run by hand. */
  readonly script: string;
}

async function one(db: SqlSession, sql: string, params: readonly string[]): Promise<string | null> {
  const rows = await db.query(sql, params);
  return rows[0]?.[0] ?? null;
}

/** Columns and primary key of a table, from information_schema; a missing table or key is a clear error. */
export async function describeTable(db: CaptureDatabase, table: string, prefix = ''): Promise<CapturedTable> {
  const physical = prefix + table;
  const p = (i: number) => (db.dialect === 'mysql' ? '?' : `$${i}`);
  const columns = (
    await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = ${p(1)} AND table_name = ${p(2)} ORDER BY ordinal_position`,
      [db.schema, physical],
    )
  ).map((r) => String(r[0]));
  if (columns.length === 0)
    throw new CaptureError(`table ${JSON.stringify(physical)} does not exist in ${db.schema} (${db.label})`, {
      table: physical,
      schema: db.schema,
    });
  const key = (
    await db.query(
      `SELECT k.column_name FROM information_schema.table_constraints c
         JOIN information_schema.key_column_usage k
           ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name
        WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = ${p(1)} AND c.table_name = ${p(2)}
        ORDER BY k.ordinal_position`,
      [db.schema, physical],
    )
  ).map((r) => String(r[0]));
  if (key.length === 0) {
    // Without a key a change cannot say which row it is, and the other side cannot apply it exactly once.
    throw new CaptureError(
      `table ${JSON.stringify(physical)} has no primary key: its changes could not be matched to one row on the other side. Add a primary key (or a unique NOT NULL column promoted to one) before installing capture`,
      { table: physical, schema: db.schema },
    );
  }
  return { table, physical, columns, key };
}

async function pgXactFunction(db: SqlSession): Promise<string> {
  const v = Number(await one(db, "SELECT current_setting('server_version_num')", []));
  // pg_current_xact_id (13+) is the epoch-extended id; txid_current is its older spelling.
  return v >= 130000 ? 'pg_current_xact_id()' : 'txid_current()';
}

async function planPostgres(db: CaptureDatabase, tables: CapturedTable[], prefix: string): Promise<CapturePlan> {
  const schema = db.schema;
  const names = captureNames(prefix);
  const xact = await pgXactFunction(db);
  const objects: PlannedObject[] = [];
  const statements: string[] = [];
  const base = baseTables('postgres', schema, prefix);
  const exists = await one(db, `SELECT to_regclass($1)::text`, [
    `${quoteIdent('postgres', schema)}.${quoteIdent('postgres', names.changes)}`,
  ]);
  const relayExists = await one(db, `SELECT to_regclass($1)::text`, [
    `${quoteIdent('postgres', schema)}.${quoteIdent('postgres', names.relay)}`,
  ]);
  const appliedExists = await one(db, `SELECT to_regclass($1)::text`, [
    `${quoteIdent('postgres', schema)}.${quoteIdent('postgres', names.applied)}`,
  ]);
  // Every base statement is IF NOT EXISTS: an install from before the applied-keys table gets just that.
  const baseState: ObjectState = exists && relayExists && appliedExists ? 'unchanged' : 'create';
  objects.push({ kind: 'table', name: names.changes, state: baseState });
  if (baseState !== 'unchanged') statements.push(...base);
  const guard = pgTruncateGuard(schema, prefix);
  const script: string[] = [...base, guard.sql];
  let guardNeeded = false;
  for (const t of tables) {
    const o = pgCaptureObjects(schema, prefix, t, { xactFunction: xact });
    const comment = await one(db, `SELECT obj_description(to_regprocedure($1), 'pg_proc')`, [
      `${quoteIdent('postgres', schema)}.${quoteIdent('postgres', o.functionName)}()`,
    ]);
    const triggers = Number(
      await one(
        db,
        `SELECT count(*)::text FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname IN ('cutover_capture', 'cutover_refuse_truncate') AND NOT tgisinternal`,
        [`${quoteIdent('postgres', schema)}.${quoteIdent('postgres', t.physical)}`],
      ),
    );
    const state: ObjectState =
      comment === `cutover capture ${o.fingerprint}` && triggers === 2 ? 'unchanged' : comment || triggers > 0 ? 'replace' : 'create';
    objects.push({ kind: 'trigger', name: `${t.physical}.cutover_capture`, state });
    if (state !== 'unchanged') {
      guardNeeded = true;
      statements.push(o.functionSql, ...o.triggerSql);
    }
    script.push(o.functionSql, ...o.triggerSql);
  }
  if (guardNeeded) statements.splice(baseState === 'unchanged' ? 0 : base.length, 0, guard.sql);
  return { dialect: 'postgres', schema, tables, objects, statements, script: script.map((s) => `${s};\n`).join('\n') };
}

async function planMysql(db: CaptureDatabase, tables: CapturedTable[], prefix: string): Promise<CapturePlan> {
  const schema = db.schema;
  const names = captureNames(prefix);
  const objects: PlannedObject[] = [];
  const statements: string[] = [];
  const base = baseTables('mysql', schema, prefix);
  const existing = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name IN (?, ?, ?)`, [
    schema,
    names.changes,
    names.relay,
    names.applied,
  ]);
  const baseState: ObjectState = existing.length === 3 ? 'unchanged' : 'create';
  objects.push({ kind: 'table', name: names.changes, state: baseState });
  if (baseState !== 'unchanged') statements.push(...base);
  const script: string[] = base.map((s) => `${s};`);
  script.push('DELIMITER $$');
  const mariadb = /mariadb/i.test((await one(db, 'SELECT VERSION()', [])) ?? '');
  for (const t of tables) {
    for (const trig of mysqlCaptureTriggers(schema, prefix, t)) {
      const current = await db.query(
        `SELECT action_statement FROM information_schema.triggers WHERE trigger_schema = ? AND trigger_name = ?`,
        [schema, trig.name],
      );
      const state: ObjectState = current.length === 0 ? 'create' : current[0][0] === trig.body ? 'unchanged' : 'replace';
      objects.push({ kind: 'trigger', name: trig.name, state });
      if (state === 'create') statements.push(trig.createSql);
      // MariaDB replaces a trigger in one step; MySQL has no CREATE OR REPLACE TRIGGER, so for the moment
      // between DROP and CREATE a write to the table would not be captured: replace during a quiet time.
      else if (state === 'replace')
        statements.push(
          ...(mariadb
            ? [trig.createSql.replace(/^CREATE TRIGGER/, 'CREATE OR REPLACE TRIGGER')]
            : [`DROP TRIGGER IF EXISTS ${quoteIdent('mysql', schema)}.${quoteIdent('mysql', trig.name)}`, trig.createSql]),
        );
      script.push(`DROP TRIGGER IF EXISTS ${quoteIdent('mysql', schema)}.${quoteIdent('mysql', trig.name)}$$`, `${trig.createSql}$$`);
    }
  }
  script.push('DELIMITER ;');
  return { dialect: 'mysql', schema, tables, objects, statements, script: script.join('\n\n') + '\n' };
}

/** What install would do, without changing anything (the CLI's --dry-run prints `script`). */
export async function planCapture(db: CaptureDatabase, target: CaptureTarget): Promise<CapturePlan> {
  const prefix = target.prefix ?? '';
  if (!/^[A-Za-z0-9_]*$/.test(prefix))
    throw new CaptureError(`table prefix ${JSON.stringify(prefix)} may hold only letters, digits and _`, { prefix });
  const wanted = [...new Set([...target.tables, ...(target.outboxTables ?? [])])];
  if (wanted.length === 0) throw new CaptureError('no table to capture: name at least one entity or table', {});
  const tables: CapturedTable[] = [];
  for (const t of wanted) tables.push(await describeTable(db, t, prefix));
  return db.dialect === 'postgres' ? planPostgres(db, tables, prefix) : planMysql(db, tables, prefix);
}

export interface InstallReport {
  readonly plan: CapturePlan;
  /** Statements run (0 when everything was already installed: installing twice is a no-op). */
  readonly executed: number;
}

/**
 * Installs capture: the change table, the relay state and the triggers. PostgreSQL does it in one
 * transaction (all or nothing); MySQL DDL commits implicitly, so each statement stands alone and a rerun
 * finishes what a failed run started.
 */
export async function installCapture(db: CaptureDatabase, target: CaptureTarget): Promise<InstallReport> {
  const plan = await planCapture(db, target);
  if (plan.statements.length === 0) return { plan, executed: 0 };
  if (db.dialect === 'postgres') {
    await db.transaction(async (tx) => {
      for (const s of plan.statements) await tx.exec(s);
    });
  } else {
    for (const s of plan.statements) await db.exec(s);
  }
  return { plan, executed: plan.statements.length };
}

export interface UninstallOptions {
  /** Only these tables (spec names); default every captured table found. */
  readonly tables?: readonly string[];
  readonly prefix?: string;
  /** Also drop the change table and the relay state. Refused while changes are unshipped unless `force`. */
  readonly dropTables?: boolean;
  readonly force?: boolean;
  /** Return the statements without running them. */
  readonly dryRun?: boolean;
}

/** Removes triggers (and optionally the change table). Returns the statements run (or to run). */
export async function uninstallCapture(db: CaptureDatabase, options: UninstallOptions = {}): Promise<string[]> {
  const prefix = options.prefix ?? '';
  const schema = db.schema;
  const names = captureNames(prefix);
  const qs = quoteIdent(db.dialect, schema);
  const statements: string[] = [];
  if (db.dialect === 'postgres') {
    const rows = await db.query(
      `SELECT c.relname::text, p.proname::text FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_proc p ON p.oid = g.tgfoid WHERE n.nspname = $1 AND g.tgname = 'cutover_capture' AND NOT g.tgisinternal`,
      [schema],
    );
    for (const [relname, proname] of rows) {
      const table = String(relname);
      if (!table.startsWith(prefix) || !String(proname).startsWith(`${prefix}cutover_capture_`)) continue;
      if (options.tables && !options.tables.some((t) => prefix + t === table)) continue;
      const target = `${qs}.${quoteIdent('postgres', table)}`;
      statements.push(
        `DROP TRIGGER IF EXISTS cutover_capture ON ${target}`,
        `DROP TRIGGER IF EXISTS cutover_refuse_truncate ON ${target}`,
        `DROP FUNCTION IF EXISTS ${qs}.${quoteIdent('postgres', String(proname))}()`,
      );
    }
  } else {
    const rows = await db.query(
      `SELECT trigger_name, event_object_table FROM information_schema.triggers WHERE trigger_schema = ? AND trigger_name LIKE ?`,
      [schema, `${prefix}cutover\\_%`],
    );
    for (const [name, table] of rows) {
      if (options.tables && !options.tables.some((t) => prefix + t === table)) continue;
      statements.push(`DROP TRIGGER IF EXISTS ${qs}.${quoteIdent('mysql', String(name))}`);
    }
  }
  if (options.dropTables) {
    const left = await unshippedCount(db, prefix).catch(() => 0);
    if (left > 0 && !options.force) {
      throw new CaptureError(
        `${left} captured change(s) in ${names.changes} are not shipped yet; run the relay until it is idle, or pass --force to drop them anyway`,
        { unshipped: left },
      );
    }
    if (db.dialect === 'postgres')
      statements.push(`DROP FUNCTION IF EXISTS ${qs}.${quoteIdent('postgres', boundedName(`${prefix}cutover_refuse_truncate`))}()`);
    for (const t of [names.changes, names.relay, names.state, names.applied])
      statements.push(`DROP TABLE IF EXISTS ${qs}.${quoteIdent(db.dialect, t)}`);
  }
  if (options.dryRun || statements.length === 0) return statements;
  if (db.dialect === 'postgres') {
    await db.transaction(async (tx) => {
      for (const s of statements) await tx.exec(s);
    });
  } else {
    for (const s of statements) await db.exec(s);
  }
  return statements;
}

/** Changes not yet past every relay's watermark (unstamped ones included). */
export async function unshippedCount(db: SqlSession & { schema: string }, prefix = ''): Promise<number> {
  const n = captureNames(prefix);
  const q = (t: string) => `${quoteIdent(db.dialect, db.schema)}.${quoteIdent(db.dialect, t)}`;
  const cast = db.dialect === 'postgres' ? '::text' : '';
  const rows = await db.query(
    `SELECT (count(*))${cast} FROM ${q(n.changes)} WHERE seq IS NULL OR seq > (SELECT COALESCE(MIN(shipped_seq), 0) FROM ${q(n.relay)})`,
  );
  return Number(rows[0]?.[0] ?? 0);
}
