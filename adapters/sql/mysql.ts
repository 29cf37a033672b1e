import type { Pool } from 'mysql2/promise';
import type { SqlRow } from '../../core/migration';
import { SqlSource, type SqlSourceOptions } from './sql-source';

/** Every column as the text MySQL sent (DATETIME as "2026-11-21 14:30:00", DECIMAL exact). */
export function textTypeCast(field: { string: (encoding?: string) => string | null }): string | null {
  return field.string('utf8');
}

/**
 * MySQL or MariaDB through `mysql2`. The pool is injected; `openSource` makes its sessions read-only and
 * UTC, and sets `typeCast` to `textTypeCast` so values arrive as text like the other sources.
 */
export class MysqlSource extends SqlSource {
  public readonly dialect = 'mysql' as const;

  public constructor(
    private readonly pool: Pool,
    private readonly label: string,
    options: SqlSourceOptions = {},
  ) {
    super(options);
  }

  protected async run(sql: string, params: readonly string[]): Promise<SqlRow[]> {
    const [rows] = await this.pool.query({ sql, values: params as string[], rowsAsArray: true, typeCast: textTypeCast as never });
    return rows as unknown as SqlRow[];
  }

  public async close(): Promise<void> {
    await this.pool.end();
  }

  public describe(): string {
    return this.label;
  }
}
