/**
 * What the data-migration e2e test and the demo share: a PGlite monolith seeded on disk, the deployed
 * service table for an entity (from the Data stack's outputs), and emptying that table so a run starts
 * from a known state (the deployment is shared by every e2e file and the demo; this table is theirs).
 */
import { BatchWriteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PGlite } from '@electric-sql/pglite';
import * as path from 'node:path';
import { entityFrom, loadMigrationSection } from '../../cli/migration/config';
import type { CompiledEntity } from '../../core/migration';
import { createMonolithSchema, openWriter, seedMonolith, type SeedCounts } from '../../monolith/database';
import { REPO_ROOT, stackOutput, type E2eContext } from './harness';

export const CONFIG_FILE = path.join(REPO_ROOT, 'cutover.config.ts');

export function migrationEntity(name: string): CompiledEntity {
  return entityFrom(loadMigrationSection(CONFIG_FILE), name);
}

/** The deployed table of an entity, from the Data stack's `MigrationTables` output (entity -> table). */
export function deployedTable(context: Pick<E2eContext, 'outputs'>, entity: string): string {
  const map = JSON.parse(stackOutput(context, 'MigrationTables')) as Record<string, string>;
  const table = map[entity];
  if (!table) throw new Error(`MigrationTables has no entity ${entity}: ${JSON.stringify(map)}`);
  return table;
}

/**
 * Creates the monolith schema in a PGlite directory (or in the PGlite instance given: under jest PGlite
 * must run in a worker thread) and fills it; returns the source URL and row counts.
 */
export async function seedPgliteMonolith(
  dir: string,
  orders: number,
  badRows: number,
  pglite?: PGlite,
): Promise<{ url: string; counts: SeedCounts }> {
  const url = pglite ? 'pglite://memory' : `pglite://${path.resolve(dir)}`;
  const writer = await openWriter(url, { pglite });
  try {
    await createMonolithSchema(writer);
    const counts = await seedMonolith(writer, { orders, badRows });
    return { url, counts };
  } finally {
    await writer.close();
  }
}

/** Deletes every item of a table (bounded: at most `maxItems`). Returns how many were deleted. */
export async function emptyTable(
  client: DynamoDBClient,
  table: string,
  keyAttributes: readonly string[],
  maxItems = 200_000,
): Promise<number> {
  let deleted = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        ExclusiveStartKey: start,
        ProjectionExpression: keyAttributes.map((_, i) => `#k${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(keyAttributes.map((k, i) => [`#k${i}`, k])),
      }),
    );
    const keys = page.Items ?? [];
    for (let i = 0; i < keys.length; i += 25) {
      let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; pending.length > 0 && attempt < 10; attempt++) {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
      if (pending.length > 0) throw new Error(`emptying ${table}: ${pending.length} delete(s) still unprocessed`);
    }
    deleted += keys.length;
    start = page.LastEvaluatedKey;
  } while (start && deleted < maxItems);
  return deleted;
}
