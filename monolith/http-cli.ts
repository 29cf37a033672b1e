import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { parseSourceUrl } from '../adapters/sql/url';
import { createMonolithSchema, openWriter, seedMonolith } from './database';
import { MonolithApi } from './http-api';
import { openMonolithDb } from './http-db';

/*
 * Runs the reference monolith's HTTP API on 127.0.0.1:
 *   npx tsx monolith/http-cli.ts [--source pglite://memory] [--port 8080] [--seed-orders 200]
 * With --seed-orders the schema is created and filled first (PGlite memory: always; otherwise only into an
 * empty database you name).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      source: { type: 'string', default: 'pglite://memory' },
      port: { type: 'string', default: '8080' },
      'seed-orders': { type: 'string' },
    },
  });
  const source = values.source as string;
  const url0 = parseSourceUrl(source);
  // One PGlite instance shared by the seeding writer and the API (a memory database exists once per instance).
  const pglite = url0.kind === 'pglite' ? (url0.dataDir ? new PGlite(url0.dataDir) : new PGlite()) : undefined;
  const db = await openMonolithDb(source, { pglite });
  if (values['seed-orders'] !== undefined) {
    const writer = await openWriter(source, { pglite });
    await createMonolithSchema(writer);
    await seedMonolith(writer, { orders: Number(values['seed-orders']) });
    await writer.close();
  }
  const api = new MonolithApi({ db });
  const url = await api.listen(Number(values.port));
  process.stdout.write(`reference monolith HTTP API on ${url} (${source})\n`);
  const stop = () =>
    void api
      .close()
      .then(() => db.close())
      .then(() => pglite?.close())
      .then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
