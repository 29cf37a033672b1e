import { randomBytes } from 'node:crypto';
import { parseSourceUrl } from '../../adapters/sql/url';
import { createMonolithSchema, dropMonolithSchema, openWriter, seedMonolith } from '../../monolith/database';
import { MonolithApi } from '../../monolith/http-api';
import { openMonolithDb, type MonolithDb } from '../../monolith/http-db';
import { ReferenceCandidate, type ReferenceCandidateOptions } from '../../monolith/reference-candidate';

/**
 * The reference monolith's HTTP API over a seeded database, plus a candidate. Under jest (whose VM sandbox
 * cannot load PGlite in-process) the database is the shared PostgreSQL with a unique table prefix, dropped
 * on close; elsewhere (bench, demo) an in-memory PGlite. `CUTOVER_FACADE_DB` names another.
 */
export interface FacadeFixture {
  readonly monolith: MonolithApi;
  readonly monolithUrl: string;
  readonly candidate: ReferenceCandidate;
  readonly candidateUrl: string;
  readonly db: MonolithDb;
  close(): Promise<void>;
}

export const FACADE_TEST_PG = 'postgres://postgres@127.0.0.1:5432/test';

export async function startFacadeFixture(
  options: {
    orders?: number;
    drift?: ReferenceCandidateOptions['drift'];
    delayMs?: () => number;
    source?: string;
    monolithPort?: number;
    candidatePort?: number;
  } = {},
): Promise<FacadeFixture> {
  const source =
    options.source ?? process.env.CUTOVER_FACADE_DB ?? (process.env.JEST_WORKER_ID !== undefined ? FACADE_TEST_PG : 'pglite://memory');
  const kind = parseSourceUrl(source).kind;
  const prefix = kind === 'postgres' ? `a13f_${randomBytes(4).toString('hex')}_` : '';
  let pglite: import('@electric-sql/pglite').PGlite | undefined;
  if (kind === 'pglite') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
    pglite = new PGlite();
  }
  const writer = await openWriter(source, { pglite });
  await createMonolithSchema(writer, prefix);
  await seedMonolith(writer, { orders: options.orders ?? 40, prefix });
  const db = await openMonolithDb(source, { pglite });
  const monolith = new MonolithApi({ db, prefix, delayMs: options.delayMs });
  const monolithUrl = await monolith.listen(options.monolithPort ?? 0);
  const candidate = new ReferenceCandidate({ monolithUrl, drift: options.drift });
  const candidateUrl = await candidate.listen(options.candidatePort ?? 0);
  return {
    monolith,
    monolithUrl,
    candidate,
    candidateUrl,
    db,
    close: async () => {
      await candidate.close();
      await monolith.close();
      await db.close();
      if (prefix) await dropMonolithSchema(writer, prefix);
      await writer.close();
      await pglite?.close();
    },
  };
}
