import { PgliteSource } from '../../adapters/sql/pglite';
import { parseSourceUrl } from '../../adapters/sql/url';
import { openWriter } from '../../monolith/database';
import { startPgliteWorker } from './migration-pglite-worker';
import { describeSqlMigration } from './migration-scenario';

// One in-memory PGlite shared by the writer and the sources, as `pglite://memory` would be in one process
// (in a worker thread: see migration-pglite-worker.ts).
describeSqlMigration(
  'PGlite',
  async (prefix) => {
    const { db, close } = await startPgliteWorker();
    const writer = await openWriter('pglite://memory', { pglite: db });
    return {
      writer,
      openSource: async () => new PgliteSource(db, `pglite://memory?prefix=${prefix}`, { tablePrefix: prefix }),
      table: (name) => `"${prefix}${name}"`,
      close,
    };
  },
  'shop_',
);

describe('Function: parseSourceUrl', () => {
  it.each([
    [
      'postgres://app:secret@db.internal:5432/shop?prefix=legacy_',
      'postgres',
      'legacy_',
      'postgres://app@db.internal:5432/shop?prefix=legacy_',
    ],
    ['postgresql://app@db/shop', 'postgres', '', 'postgres://app@db/shop'],
    ['mariadb://root:pw@127.0.0.1:3306/test', 'mysql', '', 'mysql://root@127.0.0.1:3306/test'],
    ['pglite://memory', 'pglite', '', 'pglite://memory'],
    ['pglite://.cutover/monolith?prefix=x_', 'pglite', 'x_', 'pglite://.cutover/monolith?prefix=x_'],
  ])('reads %s without keeping the password in its label', (url, kind, prefix, label) => {
    const u = parseSourceUrl(url);
    expect(u).toMatchObject({ kind, tablePrefix: prefix, label });
    expect(u.label).not.toContain('secret');
    expect(u.driverUrl).not.toContain('prefix=');
  });

  it.each([
    ['orders.db', 'is not a URL'],
    ['sqlite://orders.db', 'source scheme "sqlite" is not supported'],
  ])('refuses %s, saying why', (url, message) => {
    expect(() => parseSourceUrl(url)).toThrow(message);
  });
});
