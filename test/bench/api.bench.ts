import { App, Stack } from 'aws-cdk-lib';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import specInput from '../../cutover.config';
import { DataApiEngine } from '../../core/api/engine';
import { apiModelsOf, type ApiServiceModel } from '../../core/api/model';
import { generateOpenApi } from '../../core/api/openapi';
import { parseSpec, type SpecInput } from '../../core/spec';
import type { MigrationSectionInput } from '../../core/spec/migration';
import type { ApiSectionInput } from '../../core/spec/api';
import { DynamoDbDataStore } from '../../adapters/dynamodb/data-api-store';
import { createDataApiApp } from '../../functions/data-api/app';
import { ServiceTables } from '../../lib/constructs/service-tables';
import { ApiStack } from '../../lib/stacks/api-stack';
import { startDynalite } from '../functions/audit-dynalite';
import { createServiceTables, models as referenceModels } from '../functions/data-api-fixtures';
import type { BenchResult } from './types';

/*
 * `npm run bench api`:
 *  1. generate + synth the API of one service over 50 tables (a generated spec): spec parse, API model,
 *     OpenAPI document and `cdk synth` of the API stack; baseline: synth of the 50 tables alone. Lambda
 *     bundling is skipped (it runs once per service, whatever the table count).
 *  2. the handler in-process (hono -> engine -> store) for GET /v1/products/{sku} against dynalite, vs a
 *     bare GetItem of the same item with the same client: p50 and p95, ratio.
 */
export function generatedSpec(tables: number): SpecInput {
  const entities: MigrationSectionInput['entities'] = {};
  const exposed: ApiSectionInput['services'][string]['entities'] = {};
  for (let i = 0; i < tables; i++) {
    const name = `entity-${String(i).padStart(2, '0')}`;
    entities[name] = {
      source: { table: `t${i}`, key: ['id', 'line'] },
      target: { table: `table-${i}`, partitionKey: 'id', sortKey: 'line' },
      fields: [
        { attribute: 'id', column: 'id' },
        { attribute: 'line', column: 'line', transform: 'intString' },
        { attribute: 'name', column: 'name' },
        { attribute: 'price', column: 'price_cents', transform: 'centsToDecimal' },
        { attribute: 'active', column: 'active', transform: 'yesNo' },
        { attribute: 'updatedAt', column: 'updated_at', transform: 'sqlTimestamp' },
        { attribute: 'ref', column: 'ref' },
      ],
    };
    exposed[name] = { writes: i % 2 === 0, filters: ['id', 'line', 'ref'], indexes: { byRef: { partitionKey: 'ref' } } };
  }
  return { ...(specInput as SpecInput), migration: { entities }, api: { services: { big: { entities: exposed } } } };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function synthSeconds(withApi: boolean, input: SpecInput): Promise<number> {
  const started = performance.now();
  const spec = parseSpec(input);
  const models = apiModelsOf(spec);
  if (withApi) for (const m of models) generateOpenApi(m);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const dataStack = new Stack(app, 'Bench-Data');
  const tables = new ServiceTables(dataStack, 'Tables', { migration: spec.migration!, tableNamePrefix: 'bench-' });
  if (withApi) new ApiStack(app, 'Bench-Api', { spec, tables: tables.tables });
  app.synth();
  return (performance.now() - started) / 1000;
}

async function latency(): Promise<BenchResult[]> {
  const db = await startDynalite();
  try {
    const tables = await createServiceTables(db);
    const catalog = referenceModels.find((m) => m.service === 'catalog') as ApiServiceModel;
    const store = new DynamoDbDataStore(db.doc, tables);
    const app = createDataApiApp({
      service: catalog,
      engine: new DataApiEngine({ store, cursorSecret: 'bench-secret-0123456789' }),
      openapi: generateOpenApi(catalog),
    });
    await db.doc.send(
      new PutCommand({
        TableName: tables.catalog,
        Item: { sku: 'B-1', name: 'Bench', price: '1.00', weightKg: 1, active: true, version: 1 },
      }),
    );
    const api: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 600; i++) {
      // Alternate so drift on a shared machine hits both the same.
      let t = performance.now();
      const res = await app.request('http://bench/v1/products/B-1');
      await res.text();
      if (i >= 100) api.push(performance.now() - t);
      t = performance.now();
      await db.doc.send(new GetCommand({ TableName: tables.catalog, Key: { sku: 'B-1' }, ConsistentRead: true }));
      if (i >= 100) bare.push(performance.now() - t);
    }
    api.sort((a, b) => a - b);
    bare.sort((a, b) => a - b);
    const out: BenchResult[] = [];
    for (const p of [50, 95]) {
      const a = percentile(api, p);
      const b = percentile(bare, p);
      out.push({
        name: `handler GET item in-process p${p} (dynalite)`,
        figure: a,
        unit: 'ms',
        baseline: b,
        ratio: a / b,
        note: p === 50 ? 'baseline: a bare GetItem with the same client; ratio = handler / bare' : undefined,
      });
    }
    return out;
  } finally {
    await db.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const input = generatedSpec(50);
  await synthSeconds(false, input); // warm the CDK module graph once, for both
  const base = await synthSeconds(false, input);
  const withApi = await synthSeconds(true, input);
  return [
    {
      name: 'generate + synth API, one service over 50 tables',
      figure: withApi,
      unit: 's',
      baseline: base,
      ratio: withApi / base,
      target: '< 10 s',
      ok: withApi < 10,
      note: 'baseline: synth of the 50 tables alone; figure includes spec parse, API model, OpenAPI document and synth of the API stack',
    },
    ...(await latency()),
  ];
}
