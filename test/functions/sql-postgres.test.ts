import { Pool } from 'pg';
import { PostgresSource } from '../../adapters/sql/postgres';
import { openSource } from '../../adapters/sql/url';
import { openWriter } from '../../monolith/database';
import { describeSqlMigration } from './migration-scenario';
import { uniquePrefix } from './migration-support';

const URL = process.env.CUTOVER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const prefix = uniquePrefix('pg');

describeSqlMigration(
  'PostgreSQL',
  async (p) => {
    const writer = await openWriter(URL);
    return {
      writer,
      openSource: () => openSource(`${URL}?prefix=${p}`, { connections: 6 }),
      table: (name) => `"${p}${name}"`,
      close: () => writer.close(),
    };
  },
  prefix,
);

describe('Class: PostgresSource', () => {
  it('reads with read-only sessions: a write through the source is refused', async () => {
    const pool = new Pool({ connectionString: URL, max: 1, options: '-c default_transaction_read_only=on' });
    const source = new PostgresSource(pool, 'pg');
    try {
      await expect(
        (source as unknown as { run(sql: string, p: string[]): Promise<unknown> }).run('CREATE TABLE cutover_should_not_exist (x int)', []),
      ).rejects.toThrow(/read-only transaction/);
    } finally {
      await source.close();
    }
  });
});
