import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import { TransientError } from '../../core/errors';
import { parseBatch, type BackfillBatch } from '../../functions/backfill-worker/worker';
import { BackfillDistributedMap } from '../../lib/constructs/backfill-distributed-map';

/*
 * The Distributed Map backfill as far as aws-local-stepfunctions goes: it has no ItemReader (S3 listing)
 * and no ResultWriter, so the map itself is checked in the infra tier. What runs here is the map's item
 * processor, one child execution as the map starts it ({ Items: [...] } from the ItemBatcher): the
 * payload the worker receives, and the retry of a transient failure.
 */
type Json = Record<string, unknown>;
const WORKER_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:backfill-worker';

function itemProcessor(): Json {
  const app = new App();
  const stack = new Stack(app, 'Backfill');
  const construct = new BackfillDistributedMap(stack, 'OrdersBackfill', {
    exportBucket: new s3.Bucket(stack, 'Exports', { enforceSSL: true }),
    exportPrefix: 'exports/orders/',
    worker: new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    }),
    table: new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }),
    entity: 'orders',
  });
  const map = construct.node.findChild('CopyExport') as sfn.DistributedMap;
  const state = stack.resolve(map.toStateJson()) as { ItemProcessor: { StartAt: string; States: Record<string, Json> } };
  // Tokens (the function ARN, the table name) become plain values, as CloudFormation would render them.
  const states = Object.fromEntries(
    Object.entries(state.ItemProcessor.States).map(([name, s]) => [
      name,
      { ...s, Resource: WORKER_ARN, Parameters: { ...(s.Parameters as Json), table: 'svc-orders' } },
    ]),
  );
  return { StartAt: state.ItemProcessor.StartAt, States: states };
}

describe('State machine: BackfillDistributedMap item processor', () => {
  const definition = itemProcessor();
  const files = [{ Key: 'exports/orders/part-0.json.gz', Size: 120 }, { Key: 'exports/orders/part-1.json.gz' }];

  async function run(worker: (input: unknown) => Promise<unknown>) {
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    const retryIntervalOverrides = Object.fromEntries(Object.keys(definition.States as Json).map((n) => [n, 0]));
    return machine.run({ Items: files } as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(Object.keys(definition.States as Json).map((n) => [n, worker])) as never,
        retryIntervalOverrides,
      },
    }).result;
  }

  it('hands the worker the batch it parses: the entity, its table and the files', async () => {
    // Prepare
    const seen: BackfillBatch[] = [];

    // Act
    const out = await run(async (input) => {
      seen.push(parseBatch(input));
      return { rows: 7 };
    });

    // Assess
    expect(seen).toEqual([{ entity: 'orders', table: 'svc-orders', files }]);
    expect(out).toEqual({ rows: 7 });
  });

  it('retries a transient failure of the worker and then succeeds', async () => {
    // Prepare
    let calls = 0;

    // Act
    const out = await run(async () => {
      calls += 1;
      if (calls < 3) {
        const e = new TransientError('throttled');
        e.name = 'TransientError';
        throw e;
      }
      return { rows: 1 };
    });

    // Assess
    expect(calls).toBe(3);
    expect(out).toEqual({ rows: 1 });
  });

  it('does not retry a worker error that is not transient (a bad batch fails the child at once)', async () => {
    let calls = 0;
    await expect(
      run(async () => {
        calls += 1;
        throw Object.assign(new Error('backfill batch: files must be a list'), { name: 'ConfigurationError' });
      }),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });
});
