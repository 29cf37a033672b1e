import type { RowChange } from '../../core/sync/change';
import { compileEntity } from '../../core/migration/mapping';
import { ItemApplier } from '../../adapters/dynamodb/sync-item-applier';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { PostgresSource } from '../../adapters/sql/postgres';
import type { SqlSource } from '../../adapters/sql/sql-source';
import { openSource } from '../../adapters/sql/url';
import { runVerify, type VerifyReport } from '../../cli/migration/verify';
import { startDynalite } from './audit-dynalite';
import { catalog, createSyncTables, spec } from './sync-dynalite';
import { PG_URL, type CaptureFixture } from './sync-capture-support';

/** The migration's read-only source over the fixture's database (a PostgreSQL schema, a MariaDB database). */
async function verifySource(fixture: CaptureFixture): Promise<SqlSource> {
  if (fixture.kind === 'mysql') return openSource(fixture.url, { connections: 2 });
  const schema = new URL(fixture.url).searchParams.get('schema');
  if (fixture.kind !== 'postgres' || !schema) throw new Error(`no verify source for a ${fixture.kind} fixture`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Pool } = require('pg') as typeof import('pg');
  const pool = new Pool({
    connectionString: PG_URL,
    max: 2,
    options: `-c search_path=${schema} -c default_transaction_read_only=on -c TimeZone=UTC -c DateStyle=ISO`,
  });
  return new PostgresSource(pool, `postgres ${schema}`);
}

/**
 * Past the relay: applies what it shipped, in order, to the service table with the sync's item applier (on
 * dynalite), then runs the migration's verify engine over the entity: the same check as `cutover verify`.
 */
export async function applyAndVerify(
  fixture: CaptureFixture,
  changes: readonly RowChange[],
  entityName = 'stock',
): Promise<{ outcomes: string[]; report: VerifyReport }> {
  const dynamo = await startDynalite();
  const source = await verifySource(fixture);
  try {
    const t = await createSyncTables(dynamo);
    const items = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client: dynamo.client });
    const outcomes: string[] = [];
    for (const c of changes) outcomes.push((await items.apply(c)).status);
    const entity = compileEntity(entityName, spec.migration!.entities[entityName]);
    const tableName = t.tableNames[entity.targetTable];
    const report = await runVerify({
      entity,
      source,
      target: new DynamoTable(dynamo.client, tableName, { keyAttributes: entity.keyAttributes }),
      tableName,
    });
    return { outcomes, report };
  } finally {
    await source.close();
    await dynamo.stop();
  }
}
