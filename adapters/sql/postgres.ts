import type { Pool } from 'pg';
import type { SqlRow } from '../../core/migration';
import { SqlSource, type SqlSourceOptions } from './sql-source';

/** Every column as the text PostgreSQL sent: no driver parsing, so values are exact and fast to read. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

/**
 * PostgreSQL through `pg`. The pool is injected (its connections should be read-only; `openSource` sets
 * `default_transaction_read_only` and UTC).
 */
export class PostgresSource extends SqlSource {
  public readonly dialect = 'postgres' as const;

  public constructor(
    private readonly pool: Pool,
    private readonly label: string,
    options: SqlSourceOptions = {},
  ) {
    super(options);
  }

  protected async run(sql: string, params: readonly string[]): Promise<SqlRow[]> {
    // Unnamed statements on purpose: a named one gets a generic plan after five runs, and a generic plan
    // for "key > $1 AND key <= $2 ... LIMIT n" cannot see that the range is narrow (it sorted 100,000s of
    // rows per page here). Planned with the values, each page is an index range scan.
    const result = await this.pool.query({
      text: sql,
      values: params as string[],
      rowMode: 'array',
      types: TEXT_TYPES,
    });
    return result.rows as SqlRow[];
  }

  public async close(): Promise<void> {
    await this.pool.end();
  }

  public describe(): string {
    return this.label;
  }
}
