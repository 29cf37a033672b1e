import { openSource } from '../../adapters/sql/url';
import { openWriter } from '../../monolith/database';
import { describeSqlMigration } from './migration-scenario';
import { uniquePrefix } from './migration-support';

const URL = process.env.CUTOVER_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const prefix = uniquePrefix('my');

describeSqlMigration(
  'MariaDB',
  async (p) => {
    const writer = await openWriter(URL);
    return {
      writer,
      openSource: () => openSource(`${URL}?prefix=${p}`, { connections: 6 }),
      table: (name) => `\`${p}${name}\``,
      close: () => writer.close(),
    };
  },
  prefix,
);
