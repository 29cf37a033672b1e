import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue as SdkAttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describeFailures, EventPublisher } from '../../adapters/aws/event-publisher';
import {
  advanceSweep,
  DEFAULT_LAG_SECONDS,
  divergenceEvent,
  judgeSample,
  recentQuery,
  startSweep,
  sweepQuery,
  type CompiledEntity,
  type DivergenceEvent,
  type Item,
  type KeyValues,
  type SampledRow,
  type SweepState,
  verifyRulesOf,
} from '../../core/migration';
import type { SqlSource } from '../../adapters/sql/sql-source';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import type { Logger } from '../shared/logger';
import { ConfigurationError } from '../../core/errors';

/** Where each entity's sweep stands, kept between scheduled runs (one item per entity). */
export interface SweepStore {
  load(entity: string): Promise<SweepState>;
  save(entity: string, state: SweepState): Promise<void>;
}

/** The sweep cursor in a DynamoDB table keyed by `entity` (S). */
export class DynamoSweepStore implements SweepStore {
  public constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  public async load(entity: string): Promise<SweepState> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { entity: { S: entity } }, ConsistentRead: true }),
    );
    if (!out.Item) return startSweep();
    const cursor = out.Item.cursor?.L?.map((v) => v.S ?? '') ?? null;
    return { cursor: cursor && cursor.length > 0 ? cursor : null, lap: Number(out.Item.lap?.N ?? '0') };
  }

  public async save(entity: string, state: SweepState): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          entity: { S: entity },
          cursor: { L: (state.cursor ?? []).map((v) => ({ S: v })) },
          lap: { N: String(state.lap) },
          savedAt: { S: new Date().toISOString() },
        },
      }),
    );
  }
}

export interface ValidatorOptions {
  readonly entities: readonly CompiledEntity[];
  /** Entity name -> deployed table name. */
  readonly tables: Readonly<Record<string, string>>;
  readonly dynamo: DynamoDBClient;
  readonly events: EventBridgeClient;
  readonly busName: string;
  readonly sweeps: SweepStore;
  /** Rows per entity per run, split between the sweep window and recent changes. */
  readonly sampleSize: number;
  /** Overrides each entity's `verify.lagSeconds`. */
  readonly lagSeconds?: number;
  /** How far before the lag window recent changes are looked for. */
  readonly lookbackSeconds: number;
  /** Events put per run at most (the rest are counted in the summary and found again next run). */
  readonly maxEvents: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface EntityRun {
  readonly entity: string;
  readonly table: string;
  readonly checked: number;
  readonly matched: number;
  readonly divergences: number;
  readonly inFlight: number;
  readonly rejected: number;
  readonly lap: number;
}

export interface ValidationRun {
  readonly entities: EntityRun[];
  readonly eventsPut: number;
  /** Divergences over `maxEvents`: not put this run. */
  readonly eventsDropped: number;
}

/**
 * One scheduled pass: for each entity, the next window of its rolling sweep (every row over the laps) plus
 * the rows changed recently (checked soon after the lag has passed), judged against the target table by
 * core/migration/continuous.ts; each divergence becomes one `consistency.divergence` event.
 */
export async function validateSample(source: SqlSource, options: ValidatorOptions): Promise<ValidationRun> {
  const now = (options.now ?? (() => new Date()))();
  const events: DivergenceEvent[] = [];
  const runs: EntityRun[] = [];
  for (const entity of options.entities) {
    const table = options.tables[entity.name];
    if (!table)
      throw new ConfigurationError(
        `no deployed table for entity ${entity.name} (MIGRATION_TABLES names: ${Object.keys(options.tables).join(', ')})`,
        { setting: 'MIGRATION_TABLES' },
      );
    const lagSeconds = options.lagSeconds ?? entity.def.verify?.lagSeconds ?? DEFAULT_LAG_SECONDS;
    const half = Math.max(1, Math.floor(options.sampleSize / 2));

    const state = await options.sweeps.load(entity.name);
    const sweep = sweepQuery(state, half);
    const page = await source.readEntityPage(entity, state.cursor as KeyValues | null, null, half);
    const rows = new Map<string, SampledRow>();
    for (const r of page.rows) rows.set(JSON.stringify(entity.rootKey(r.row)), r);
    let recent = recentQuery(now, lagSeconds, options.lookbackSeconds, half);
    if (entity.def.source.updatedAt && recent.kind === 'recent') {
      for (const r of await source.readEntityUpdatedBetween(entity, recent.from, recent.to, half))
        rows.set(JSON.stringify(entity.rootKey(r.row)), r);
    } else {
      recent = sweep;
    }

    const sample = [...rows.values()];
    const items = await fetchTargetItems(options.dynamo, table, entity, sample);
    const verdict = judgeSample(entity, sample, items, { now, lagSeconds, ...verifyRulesOf(entity.def.verify) });
    const next = advanceSweep(state, page.lastKey, page.rows.length, half);
    await options.sweeps.save(entity.name, next);

    for (const d of verdict.divergences)
      events.push(
        divergenceEvent(d, { table, detectedAt: now, lagSeconds, sample: d.sourceUpdatedAt && recent.kind === 'recent' ? recent : sweep }),
      );
    runs.push({
      entity: entity.name,
      table,
      checked: verdict.checked,
      matched: verdict.matched,
      divergences: verdict.divergences.length,
      inFlight: verdict.inFlight.length,
      rejected: verdict.rejected.length,
      lap: next.lap,
    });
    options.logger.info('sample validated', { ...runs[runs.length - 1] });
  }

  const put = events.slice(0, options.maxEvents);
  const out = await new EventPublisher(options.events).publish(
    put.map((e) => ({
      ref: undefined,
      entry: { EventBusName: options.busName, Source: e.source, DetailType: e.detailType, Detail: JSON.stringify(e.detail) },
    })),
  );
  if (out.failed.length > 0) {
    // Thrown, so the schedule's retry runs the pass again: a divergence is never silently lost.
    throw new Error(
      `${out.failed.length} of ${put.length} consistency.divergence event(s) were refused by bus ${options.busName}: ${describeFailures(out.failed)}`,
    );
  }
  return { entities: runs, eventsPut: put.length, eventsDropped: events.length - put.length };
}

/**
 * The target items for a sample: the whole partition of each sampled row when the table has a sort key
 * (so items left behind in an item collection show up as extra), otherwise the items by key.
 */
async function fetchTargetItems(
  client: DynamoDBClient,
  tableName: string,
  entity: CompiledEntity,
  rows: readonly SampledRow[],
): Promise<Item[]> {
  const produced: Item[] = [];
  for (const r of rows) {
    const mapped = entity.mapRow(r.row, r.children);
    if (mapped.items) produced.push(...mapped.items);
  }
  if (!entity.keySchema.sortKey) {
    const table = new DynamoTable(client, tableName, { keyAttributes: entity.keyAttributes });
    return [...(await table.fetch(produced.map((item) => ({ key: entity.keyOf(item), locator: '' })))).values()];
  }
  const pk = entity.keySchema.partitionKey.name;
  const partitions = new Map<string, SdkAttributeValue>();
  for (const item of produced) partitions.set(JSON.stringify(item[pk]), item[pk] as SdkAttributeValue);
  const out: Item[] = [];
  for (const value of partitions.values()) {
    let start: Record<string, SdkAttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': pk },
          ExpressionAttributeValues: { ':pk': value },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...((page.Items ?? []) as Item[]));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return out;
}
