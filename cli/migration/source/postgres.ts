import type { Pool } from 'pg';
import type { SqlRow } from '../../../core/migration';
import { hash32 } from '../../../core/migration';
import { SqlSource, type SqlSourceOptions } from './sql-source';

/** Every column as the text PostgreSQL sent: no driver parsing, so values are exact and fast to read. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

/**
 * PostgreSQL through `pg`. The pool is injected (its connections should be read-only; `openSource` sets
 * `default_transaction_read_only` and UTC). Queries are named, so each shape is planned once per
 * connection, not once per page.
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
    const result = await this.pool.query({
      name: `cutover_${hash32(sql).toString(36)}`,
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
