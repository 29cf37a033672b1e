import type { PGlite } from '@electric-sql/pglite';
import type { SqlRow } from '../../core/migration';
import { SqlSource, type SqlSourceOptions } from './sql-source';

/**
 * PGlite (PostgreSQL compiled to WebAssembly, in process): the demo's default monolith database. Same SQL
 * as PostgreSQL; columns are cast to text in the query, which is simpler than overriding its parsers.
 */
export class PgliteSource extends SqlSource {
  public readonly dialect = 'postgres' as const;

  public constructor(
    private readonly db: PGlite,
    private readonly label: string,
    options: SqlSourceOptions & { readonly ownsDatabase?: boolean } = {},
  ) {
    super(options);
    this.owns = options.ownsDatabase ?? false;
  }

  private readonly owns: boolean;

  protected override selectColumn(quoted: string): string {
    return `(${quoted})::text`;
  }

  protected async run(sql: string, params: readonly string[]): Promise<SqlRow[]> {
    const result = await this.db.query<SqlRow>(sql, params as string[], { rowMode: 'array' });
    return result.rows;
  }

  public async close(): Promise<void> {
    if (this.owns) await this.db.close();
  }

  public describe(): string {
    return this.label;
  }
}
