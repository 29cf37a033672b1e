import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import specInput from '../../cutover.config';
import { DynamoDbDataStore } from '../../adapters/dynamodb/data-api-store';
import { DataApiEngine, type DataStore } from '../../core/api/engine';
import { apiModelsOf, apiTableIndexes, type ApiEntityModel, type ApiField, type ApiServiceModel, type ApiType } from '../../core/api/model';
import { generateOpenApi } from '../../core/api/openapi';
import { parseSpec } from '../../core/spec';
import { createDataApiApp, type RouteSample } from '../../functions/data-api/app';
import { serviceTableKeys } from '../../lib/constructs/service-tables';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

/*
 * The reference spec's generated APIs over dynalite: the service tables keyed as the data stack keys
 * them, with the GSIs the api section asks for, fresh names per call.
 */
export const spec = parseSpec(specInput);
export const models = apiModelsOf(spec);
export const CURSOR_SECRET = 'test-cursor-secret-0123456789';

export function model(service: string, entity: string): ApiEntityModel {
  const m = models.find((s) => s.service === service)?.entities.find((e) => e.entity === entity);
  if (!m) throw new Error(`no ${service}/${entity}`);
  return m;
}

export function serviceModel(service: string): ApiServiceModel {
  return models.find((s) => s.service === service)!;
}

let counter = 0;

/** Creates every service table (spec name -> fresh deployed name) with the API's indexes. */
export async function createServiceTables(db: LocalDynamo): Promise<Record<string, string>> {
  counter += 1;
  const indexes = apiTableIndexes(models);
  const names: Record<string, string> = {};
  for (const [table, key] of serviceTableKeys(spec.migration!)) {
    const name = `${table}-${process.pid}-${counter}`;
    names[table] = name;
    const gsis = [...(indexes.get(table) ?? new Map()).entries()];
    const attrs = new Map<string, 'S' | 'N'>([[key.partitionKey.name, key.partitionKey.type]]);
    if (key.sortKey) attrs.set(key.sortKey.name, key.sortKey.type);
    for (const [, k] of gsis) {
      attrs.set(k.partitionKey.name, k.partitionKey.type);
      if (k.sortKey) attrs.set(k.sortKey.name, k.sortKey.type);
    }
    await db.client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: [
          { AttributeName: key.partitionKey.name, KeyType: 'HASH' },
          ...(key.sortKey ? [{ AttributeName: key.sortKey.name, KeyType: 'RANGE' as const }] : []),
        ],
        GlobalSecondaryIndexes: gsis.length
          ? gsis.map(([IndexName, k]) => ({
              IndexName,
              KeySchema: [
                { AttributeName: k.partitionKey.name, KeyType: 'HASH' as const },
                ...(k.sortKey ? [{ AttributeName: k.sortKey.name, KeyType: 'RANGE' as const }] : []),
              ],
              Projection: { ProjectionType: 'ALL' as const },
            }))
          : undefined,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  return names;
}

export interface ApiWorld {
  readonly db: LocalDynamo;
  readonly tables: Record<string, string>;
  readonly store: DataStore;
  readonly samples: RouteSample[];
  readonly errors: unknown[];
  /** A request to a service's API (in-process, Fetch API). */
  call(service: string, path: string, init?: RequestInit): Promise<Response>;
}

export async function startApiWorld(existing?: LocalDynamo): Promise<ApiWorld> {
  const db = existing ?? (await startDynalite());
  const tables = await createServiceTables(db);
  const store = new DynamoDbDataStore(db.doc, tables);
  const engine = new DataApiEngine({ store, cursorSecret: CURSOR_SECRET });
  const samples: RouteSample[] = [];
  const errors: unknown[] = [];
  const apps = new Map(
    models.map((s) => [
      s.service,
      createDataApiApp({ service: s, engine, openapi: generateOpenApi(s), record: (x) => samples.push(x), onError: (e) => errors.push(e) }),
    ]),
  );
  return {
    db,
    tables,
    store,
    samples,
    errors,
    call: (service, path, init) => Promise.resolve(apps.get(service)!.request(`http://api.test${path}`, init)),
  };
}

const TEXT = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABC0123456789-_ '.split('')) });
const ISO = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => `${d.toISOString().slice(0, 19)}Z`);

/** Any valid value of an API type (what a client may PUT). */
export function valueOf(type: ApiType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'string':
      if (type.enum) return fc.constantFrom(...type.enum);
      if (type.format === 'date-time') return ISO;
      if (type.format === 'date') return ISO.map((s) => s.slice(0, 10));
      if (type.format === 'decimal')
        return fc.integer({ min: 0, max: 10_000_000 }).map((c) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`);
      return TEXT;
    case 'integer':
      return fc.integer({ min: -1000, max: 100_000 });
    case 'number':
      return fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 1000);
    case 'boolean':
      return fc.boolean();
    case 'unknown':
      return TEXT;
    case 'array':
      return fc.array(valueOf(type.items), { maxLength: 3 });
    case 'object':
      return itemOf(type.fields);
  }
}

export function itemOf(fields: Readonly<Record<string, ApiField>>): fc.Arbitrary<Record<string, unknown>> {
  const required: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, f] of Object.entries(fields)) {
    required[k] = valueOf(f.type);
  }
  return fc.record(required, { requiredKeys: Object.keys(fields).filter((k) => fields[k].required) });
}
