import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { parseSpec, type SpecInput } from '../../core/spec';
import { SyncCatalog } from '../../core/sync/catalog';
import { LEDGER_STATUS_INDEX, SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { SyncStateStore } from '../../adapters/dynamodb/sync-state-store';
import { ConflictNotifier } from '../../adapters/aws/sync-notifier';
import { ItemApplier } from '../../adapters/dynamodb/sync-item-applier';
import { StreamApplier } from '../../adapters/dynamodb/sync-stream-applier';
import type { CaptureDatabase } from '../../adapters/sql/capture/database';
import { ChangeRelay } from '../../adapters/sql/capture/relay';
import { SqlChangeWriter } from '../../adapters/sql/capture/sql-writer';
import type { ChangeSink, RowChange } from '../../core/sync/change';
import reference from '../../cutover.config';
import type { LocalDynamo } from './audit-dynalite';

/* The sync's tables on dynalite, created fresh per test with a unique suffix. */
let seq = 0;

export const spec = parseSpec(reference as SpecInput);
export const catalog = new SyncCatalog(spec.sync!, spec.migration!.entities);

export interface SyncTables {
  readonly suffix: string;
  readonly tableNames: Record<string, string>;
  readonly ledger: SyncLedgerStore;
  readonly state: SyncStateStore;
  readonly notifier: ConflictNotifier;
}

export async function createSyncTables(db: LocalDynamo): Promise<SyncTables> {
  const suffix = `t${++seq}`;
  const tableNames: Record<string, string> = {};
  for (const e of catalog.entities.values()) {
    const name = `${e.table}-${suffix}`;
    if (Object.values(tableNames).includes(name)) {
      tableNames[e.table] = name;
      continue;
    }
    const ks = e.mapping.compiled.keySchema;
    await db.client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [
          { AttributeName: ks.partitionKey.name, AttributeType: ks.partitionKey.type },
          ...(ks.sortKey ? [{ AttributeName: ks.sortKey.name, AttributeType: ks.sortKey.type }] : []),
        ],
        KeySchema: [
          { AttributeName: ks.partitionKey.name, KeyType: 'HASH' },
          ...(ks.sortKey ? [{ AttributeName: ks.sortKey.name, KeyType: 'RANGE' as const }] : []),
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    tableNames[e.table] = name;
  }
  await db.client.send(
    new CreateTableCommand({
      TableName: `ledger-${suffix}`,
      AttributeDefinitions: [
        { AttributeName: 'conflictId', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'detectedAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'conflictId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: LEDGER_STATUS_INDEX,
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'detectedAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await db.createTable(`state-${suffix}`, 'pk', 'sk');
  const ledger = new SyncLedgerStore({ tableName: `ledger-${suffix}`, client: db.doc });
  const state = new SyncStateStore({ tableName: `state-${suffix}`, client: db.doc });
  return { suffix, tableNames, ledger, state, notifier: new ConflictNotifier({ ledger }) };
}

/** The relay's sink: the item applier, as the SQS FIFO consumer would call it; `outcomes` holds each change's label. */
export class ApplierSink implements ChangeSink {
  public readonly outcomes: string[] = [];
  public constructor(
    private readonly items: ItemApplier,
    private readonly label: (change: RowChange, status: string) => string = (_change, status) => status,
  ) {}
  public async send(changes: readonly RowChange[]): Promise<void> {
    for (const c of changes) this.outcomes.push(this.label(c, (await this.items.apply(c)).status));
  }
}

/**
 * Both directions over `db` on fresh sync tables: a relay (holding its lease) into the item applier, and the
 * stream applier writing back through the SQL writer.
 */
export async function roundTripWorld(dynamo: LocalDynamo, db: CaptureDatabase, label?: (change: RowChange, status: string) => string) {
  const t = await createSyncTables(dynamo);
  const items = new ItemApplier({ catalog, tableNames: t.tableNames, state: t.state, notifier: t.notifier, client: dynamo.client });
  const sink = new ApplierSink(items, label);
  const relay = new ChangeRelay(db, sink, { source: 'shop', name: `shop-${t.suffix}` });
  const stream = new StreamApplier({
    catalog,
    tableNames: t.tableNames,
    state: t.state,
    notifier: t.notifier,
    writer: new SqlChangeWriter(db),
  });
  await relay.acquire();
  return { t, sink, relay, stream };
}
