import type { ChildRead, CompiledEntity, KeyValues, SampledRow, SqlRow, SqlValue, TableRead } from '../../core/migration';
import { SourceError } from '../../core/migration';

export type Dialect = 'postgres' | 'mysql';

/** A page of root rows with their child rows, and the key to continue after. */
export interface EntityPage {
  readonly rows: SampledRow[];
  /** The last root key of the page; null when the page is empty. */
  readonly lastKey: KeyValues | null;
}

export interface SqlSourceOptions {
  /** Prefix of every table name (tests use a unique one per run). @default '' */
  readonly tablePrefix?: string;
}

/**
 * A read-only SQL source. The reading logic (keyset pagination in key order, child rows by key range,
 * lookups by key, key bounds for segments) lives here once; each driver adapter only says how to quote,
 * how to write a parameter, and how to run a query that returns every column as SQL text.
 *
 * Never OFFSET: a page is "the next n rows after this key", which costs the same on page 1 and page
 * 100,000 and never skips or repeats a row when rows are inserted meanwhile.
 */
export abstract class SqlSource {
  public abstract readonly dialect: Dialect;
  protected readonly prefix: string;

  public constructor(options: SqlSourceOptions = {}) {
    this.prefix = options.tablePrefix ?? '';
    if (!/^[A-Za-z0-9_]*$/.test(this.prefix)) {
      throw new SourceError(`table prefix ${JSON.stringify(this.prefix)} may hold only letters, digits and _`, {
        tablePrefix: this.prefix,
      });
    }
  }

  /** Runs a query; every value comes back as SQL text or null, rows as arrays in select order. */
  protected abstract run(sql: string, params: readonly string[]): Promise<SqlRow[]>;
  /** Wraps a selected column so that it arrives as text (PGlite casts; the drivers are configured instead). */
  protected selectColumn(quoted: string): string {
    return quoted;
  }
  public abstract close(): Promise<void>;
  /** Where this source reads, without credentials (for checkpoints and reports). */
  public abstract describe(): string;

  public quote(identifier: string): string {
    return this.dialect === 'mysql' ? `\`${identifier.replace(/`/g, '``')}\`` : `"${identifier.replace(/"/g, '""')}"`;
  }

  protected param(index: number): string {
    return this.dialect === 'mysql' ? '?' : `$${index}`;
  }

  public tableName(table: string): string {
    return this.quote(this.prefix + table);
  }

  private async query(sql: string, params: readonly string[], what: string): Promise<SqlRow[]> {
    try {
      return await this.run(sql, params);
    } catch (e) {
      if (e instanceof SourceError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new SourceError(`${this.describe()}: ${what} failed: ${message}`, { sql, source: this.describe() }, { cause: e });
    }
  }

  /**
   * `(k1, k2) > (v1, v2)` (or `<=`) for keyset pagination. PostgreSQL compares row values natively and
   * uses the index for it; MySQL gets the expanded OR form, which its range optimizer handles.
   */
  private keyCondition(columns: readonly string[], op: '>' | '<=' | '>=', values: KeyValues, params: string[]): string {
    if (values.length !== columns.length) {
      throw new SourceError(`key ${JSON.stringify(values)} has ${values.length} value(s) for ${columns.length} key column(s)`, {
        columns,
        values,
      });
    }
    const q = columns.map((c) => this.quote(c));
    if (columns.length === 1) {
      params.push(values[0]);
      return `${q[0]} ${op} ${this.param(params.length)}`;
    }
    if (this.dialect === 'postgres') {
      const ps = values.map((v) => {
        params.push(v);
        return this.param(params.length);
      });
      return `(${q.join(', ')}) ${op} (${ps.join(', ')})`;
    }
    const strict = op === '>' ? '>' : op === '>=' ? '>' : '<';
    const ors: string[] = [];
    for (let i = 0; i < columns.length; i++) {
      const ands: string[] = [];
      for (let j = 0; j < i; j++) {
        params.push(values[j]);
        ands.push(`${q[j]} = ${this.param(params.length)}`);
      }
      params.push(values[i]);
      const last = i === columns.length - 1 && op !== '>' ? op : strict;
      ands.push(`${q[i]} ${last} ${this.param(params.length)}`);
      ors.push(`(${ands.join(' AND ')})`);
    }
    return `(${ors.join(' OR ')})`;
  }

  private selectList(columns: readonly string[]): string {
    return columns.map((c) => this.selectColumn(this.quote(c))).join(', ');
  }

  /** The next `limit` rows of a table in key order with key > after and key <= upTo. */
  public async pageRows(
    read: TableRead,
    keyColumns: readonly string[],
    after: KeyValues | null,
    upTo: KeyValues | null,
    limit: number,
  ): Promise<SqlRow[]> {
    const params: string[] = [];
    const where: string[] = [];
    if (after) where.push(this.keyCondition(keyColumns, '>', after, params));
    if (upTo) where.push(this.keyCondition(keyColumns, '<=', upTo, params));
    const sql =
      `SELECT ${this.selectList(read.columns)} FROM ${this.tableName(read.table)}` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY ${keyColumns.map((c) => this.quote(c)).join(', ')} LIMIT ${Math.floor(limit)}`;
    return this.query(sql, params, `reading ${read.table}`);
  }

  /** Child rows whose foreign key lies in [first, last], ordered by foreign key then `orderBy`. */
  public async childRowsInRange(child: ChildRead, first: KeyValues, last: KeyValues): Promise<SqlRow[]> {
    const params: string[] = [];
    const where = [this.keyCondition(child.foreignKey, '>=', first, params), this.keyCondition(child.foreignKey, '<=', last, params)];
    const sql =
      `SELECT ${this.selectList(child.columns)} FROM ${this.tableName(child.table)} WHERE ${where.join(' AND ')}` +
      ` ORDER BY ${[...child.foreignKey, ...child.orderBy].map((c) => this.quote(c)).join(', ')}`;
    return this.query(sql, params, `reading ${child.table}`);
  }

  /** Rows of a table with the given keys (any order). */
  public async rowsByKeys(
    read: TableRead,
    keyColumns: readonly string[],
    keys: readonly KeyValues[],
    orderBy: readonly string[] = keyColumns,
  ): Promise<SqlRow[]> {
    if (keys.length === 0) return [];
    const params: string[] = [];
    let where: string;
    if (keyColumns.length === 1) {
      where = `${this.quote(keyColumns[0])} IN (${keys
        .map((k) => {
          params.push(k[0]);
          return this.param(params.length);
        })
        .join(', ')})`;
    } else {
      where = keys
        .map(
          (k) =>
            `(${keyColumns
              .map((c, i) => {
                params.push(k[i]);
                return `${this.quote(c)} = ${this.param(params.length)}`;
              })
              .join(' AND ')})`,
        )
        .join(' OR ');
    }
    const sql =
      `SELECT ${this.selectList(read.columns)} FROM ${this.tableName(read.table)} WHERE ${where}` +
      ` ORDER BY ${orderBy.map((c) => this.quote(c)).join(', ')}`;
    return this.query(sql, params, `looking up ${read.table}`);
  }

  public async count(table: string): Promise<number> {
    const rows = await this.query(`SELECT ${this.selectColumn('COUNT(*)')} FROM ${this.tableName(table)}`, [], `counting ${table}`);
    return Number(rows[0][0]);
  }

  /** Smallest and largest key of a single-column key; null when the table is empty. */
  public async keyBounds(table: string, column: string): Promise<{ min: string; max: string } | null> {
    const q = this.quote(column);
    const rows = await this.query(
      `SELECT ${this.selectColumn(`MIN(${q})`)}, ${this.selectColumn(`MAX(${q})`)} FROM ${this.tableName(table)}`,
      [],
      `reading the key range of ${table}`,
    );
    const [min, max] = rows[0];
    return min === null || max === null ? null : { min, max };
  }

  /**
   * Whether a column is declared as a whole-number type, so segments can split its range arithmetically.
   * A text column holding digits is not: "100" sorts before "99" there, and arithmetic bounds would not
   * follow the database's order.
   */
  public async isIntegerColumn(table: string, column: string): Promise<boolean> {
    const schema = this.dialect === 'mysql' ? 'DATABASE()' : 'current_schema()';
    const rows = await this.query(
      `SELECT ${this.selectColumn('data_type')} FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = ${this.param(1)} AND column_name = ${this.param(2)}`,
      [this.prefix + table, column],
      `reading the type of ${table}.${column}`,
    );
    const type = String(rows[0]?.[0] ?? '').toLowerCase();
    return ['smallint', 'integer', 'bigint', 'int', 'tinyint', 'mediumint'].includes(type);
  }

  /** The keys at the given ordinal positions (ascending), read with a key-only keyset scan. */
  public async keysAt(table: string, keyColumns: readonly string[], positions: readonly number[], pageSize = 10_000): Promise<KeyValues[]> {
    const out: KeyValues[] = [];
    if (positions.length === 0) return out;
    let after: KeyValues | null = null;
    let seen = 0;
    let next = 0;
    const read: TableRead = { table, columns: keyColumns };
    for (;;) {
      const rows = await this.pageRows(read, keyColumns, after, null, pageSize);
      for (const row of rows) {
        while (next < positions.length && positions[next] === seen) {
          out.push(row.map((v) => v ?? '') as KeyValues);
          next++;
        }
        seen++;
      }
      if (next >= positions.length || rows.length < pageSize) return out;
      after = rows[rows.length - 1].map((v) => v ?? '') as KeyValues;
    }
  }

  /** Attaches child rows to root rows; children are keyed by their foreign key values. */
  private async withChildren(
    entity: CompiledEntity,
    roots: readonly SqlRow[],
    childRows: (child: ChildRead) => Promise<SqlRow[]>,
  ): Promise<SampledRow[]> {
    const nKey = entity.root.keyColumns.length;
    const keyOf = (row: SqlRow, n: number) => (n === 1 ? String(row[0]) : row.slice(0, n).join('\u0000'));
    const groups = await Promise.all(
      entity.children.map(async (child) => {
        const rows = await childRows(child);
        const byKey = new Map<string, SqlRow[]>();
        for (const r of rows) {
          const k = keyOf(r, child.foreignKey.length);
          const list = byKey.get(k);
          if (list) list.push(r);
          else byKey.set(k, [r]);
        }
        return byKey;
      }),
    );
    const none: SqlRow[] = [];
    return roots.map((row) => {
      const k = keyOf(row, nKey);
      return { row, children: groups.map((g) => g.get(k) ?? none) };
    });
  }

  /** One page of an entity: root rows after `after` (up to `upTo`) and their children. */
  public async readEntityPage(entity: CompiledEntity, after: KeyValues | null, upTo: KeyValues | null, limit: number): Promise<EntityPage> {
    const keyColumns = entity.root.keyColumns;
    const roots = await this.pageRows(entity.root, keyColumns, after, upTo, limit);
    if (roots.length === 0) return { rows: [], lastKey: null };
    const n = keyColumns.length;
    const first = roots[0].slice(0, n) as string[];
    const last = roots[roots.length - 1].slice(0, n) as string[];
    for (const [i, v] of [...first, ...last].entries()) {
      if (v === null) throw new SourceError(`${entity.root.table}: key column ${keyColumns[i % n]} is NULL`, { table: entity.root.table });
    }
    const rows = await this.withChildren(entity, roots, (child) => this.childRowsInRange(child, first, last));
    return { rows, lastKey: last };
  }

  /** The entity's rows with the given root keys, with their children. */
  public async readEntityByKeys(entity: CompiledEntity, keys: readonly KeyValues[], chunk = 500): Promise<SampledRow[]> {
    const out: SampledRow[] = [];
    for (let i = 0; i < keys.length; i += chunk) {
      const part = keys.slice(i, i + chunk);
      const roots = await this.rowsByKeys(entity.root, entity.root.keyColumns, part);
      out.push(
        ...(await this.withChildren(entity, roots, (child) =>
          this.rowsByKeys(child, child.foreignKey, part, [...child.foreignKey, ...child.orderBy]),
        )),
      );
    }
    return out;
  }

  /**
   * Rows changed in [from, to) (ISO times, UTC), newest first, at most `limit`, with their children: the
   * `recent` sample of continuous validation. Needs the entity's `source.updatedAt` column.
   */
  public async readEntityUpdatedBetween(entity: CompiledEntity, from: string, to: string, limit: number): Promise<SampledRow[]> {
    const updatedAt = entity.def.source.updatedAt;
    if (!updatedAt)
      throw new SourceError(`${entity.name}: source.updatedAt is not declared, so recent changes cannot be sampled`, {
        entity: entity.name,
      });
    const sqlTime = (iso: string) => iso.replace('T', ' ').replace(/Z$/, '');
    const keyColumns = entity.root.keyColumns;
    const sql =
      `SELECT ${this.selectList(entity.root.columns)} FROM ${this.tableName(entity.root.table)}` +
      ` WHERE ${this.quote(updatedAt)} >= ${this.param(1)} AND ${this.quote(updatedAt)} < ${this.param(2)}` +
      ` ORDER BY ${this.quote(updatedAt)} DESC, ${keyColumns.map((c) => this.quote(c)).join(', ')} LIMIT ${Math.floor(limit)}`;
    const roots = await this.query(sql, [sqlTime(from), sqlTime(to)], `sampling recent changes of ${entity.root.table}`);
    const keys = roots.map((r) => rowKeyValues(r, keyColumns.length));
    return this.withChildren(entity, roots, (child) =>
      this.rowsByKeys(child, child.foreignKey, keys, [...child.foreignKey, ...child.orderBy]),
    );
  }

  /**
   * All pages of an entity between two keys, in key order. The next page is requested while the caller
   * works on the current one, so database time and mapping time overlap.
   */
  public async *scanEntity(
    entity: CompiledEntity,
    after: KeyValues | null,
    upTo: KeyValues | null,
    pageSize: number,
    signal?: AbortSignal,
  ): AsyncGenerator<EntityPage> {
    // A prefetched page the caller never asks for must not surface as an unhandled rejection.
    const prefetch = (from: KeyValues | null) => {
      const p = this.readEntityPage(entity, from, upTo, pageSize);
      p.catch(() => undefined);
      return p;
    };
    let next: Promise<EntityPage> | null = prefetch(after);
    while (next) {
      const page: EntityPage = await next;
      if (page.rows.length === 0) return;
      next = page.rows.length < pageSize || signal?.aborted ? null : prefetch(page.lastKey);
      yield page;
    }
  }
}

export function rowKeyValues(row: SqlRow, keyCount: number): KeyValues {
  return row.slice(0, keyCount).map((v: SqlValue) => v ?? '') as KeyValues;
}
