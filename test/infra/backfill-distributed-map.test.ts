import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  BACKFILL_RETRYABLE_ERRORS,
  BackfillDistributedMap,
  type BackfillDistributedMapProps,
} from '../../lib/constructs/backfill-distributed-map';
import { actionsOf, iamStatements, nagFindings, wildcardActions } from '../support/infra';

/*
 * The Distributed Map backfill cannot run on an emulator (no ItemReader there), so its definition is
 * checked here: the synthesized ASL and the permissions.
 */
interface Built {
  stack: Stack;
  template: Template;
  construct: BackfillDistributedMap;
}

function build(overrides: Partial<BackfillDistributedMapProps> = {}): Built {
  const app = new App();
  const stack = new Stack(app, 'Backfill');
  const bucket = new s3.Bucket(stack, 'Exports', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    serverAccessLogsPrefix: 'access/',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const table = new dynamodb.Table(stack, 'Orders', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const worker = new lambda.Function(stack, 'Worker', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const construct = new BackfillDistributedMap(stack, 'OrdersBackfill', {
    exportBucket: bucket,
    exportPrefix: 'exports/orders/',
    worker,
    table,
    entity: 'orders',
    ...overrides,
  });
  return { stack, template: Template.fromStack(stack), construct };
}

/** The state machine's definition as JSON, with CloudFormation references written as `<Ref:Id>`. */
function definitionOf(template: Template): Record<string, unknown> {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
    Properties: { DefinitionString: unknown };
  }[];
  expect(machines).toHaveLength(1);
  const def = machines[0].Properties.DefinitionString;
  const text =
    typeof def === 'string'
      ? def
      : ((def as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] as unknown[])
          .map((part) => {
            if (typeof part === 'string') return part;
            const p = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
            if (p.Ref === 'AWS::Partition') return 'aws';
            return p.Ref ? `<Ref:${p.Ref}>` : `<GetAtt:${(p['Fn::GetAtt'] ?? []).join('.')}>`;
          })
          .join('');
  return JSON.parse(text) as Record<string, unknown>;
}

describe('Construct: BackfillDistributedMap', () => {
  const { stack, template } = build();
  const definition = definitionOf(template) as { StartAt: string; States: Record<string, Record<string, unknown>> };
  const map = definition.States[definition.StartAt] as Record<string, any>;

  it('starts with a Distributed Map that lists the export files under the prefix', () => {
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemReader.Resource).toBe('arn:aws:states:::s3:listObjectsV2');
    expect(map.ItemReader.Parameters).toEqual({ Bucket: expect.stringMatching(/^<Ref:Exports/), Prefix: 'exports/orders/' });
    expect(map.Label).toBe('BackfillFiles');
  });

  it('bounds the parallelism, batches the files and fails on any failed batch by default', () => {
    expect(map.MaxConcurrency).toBe(40);
    expect(map.ItemBatcher).toEqual({ MaxItemsPerBatch: 1 });
    // 0 is the ASL default, so it is left out; another value is written.
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
    const tolerant = definitionOf(build({ toleratedFailurePercentage: 5, maxConcurrency: 200, filesPerBatch: 4 }).template) as {
      StartAt: string;
      States: Record<string, any>;
    };
    expect(tolerant.States[tolerant.StartAt]).toMatchObject({
      ToleratedFailurePercentage: 5,
      MaxConcurrency: 200,
      ItemBatcher: { MaxItemsPerBatch: 4 },
    });
  });

  it('writes every batch result to S3 under the entity results prefix', () => {
    expect(map.ResultWriter.Resource).toBe('arn:aws:states:::s3:putObject');
    expect(map.ResultWriter.Parameters).toEqual({ Bucket: expect.stringMatching(/^<Ref:Exports/), Prefix: 'backfill-results/orders/' });
  });

  it('invokes the worker with the entity, the table and the batch of files, retrying transient faults with jitter', () => {
    const processor = map.ItemProcessor as { StartAt: string; States: Record<string, any> };
    const task = processor.States[processor.StartAt];
    expect(task.Type).toBe('Task');
    expect(task.Resource).toMatch(/^<GetAtt:Worker[0-9A-F]+\.Arn>$/);
    expect(task.Parameters).toEqual({ entity: 'orders', table: expect.stringMatching(/^<Ref:Orders/), 'files.$': '$.Items' });
    expect(task.TimeoutSeconds).toBe(900);
    expect(task.Retry).toEqual([
      {
        ErrorEquals: BACKFILL_RETRYABLE_ERRORS,
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 6,
        MaxDelaySeconds: 120,
        JitterStrategy: 'FULL',
      },
    ]);
    expect(task.End).toBe(true);
  });

  it('ends in success after the map, within a day', () => {
    expect(definition.States[map.Next as string]).toEqual({ Type: 'Succeed' });
    expect((definition as unknown as { TimeoutSeconds: number }).TimeoutSeconds).toBe(86_400);
  });

  it('grants each principal only what it needs, with no wildcard actions', () => {
    expect(wildcardActions(template)).toEqual([]);
    const statements = iamStatements(template).filter(({ s }) => s.Effect === 'Allow');
    const actions = (where: RegExp) => statements.filter((x) => where.test(x.where)).flatMap(({ s }) => actionsOf(s));
    expect(actions(/OrdersBackfill/)).toEqual(
      expect.arrayContaining(['lambda:InvokeFunction', 's3:ListBucket', 's3:PutObject', 'states:StartExecution']),
    );
    expect(actions(/OrdersBackfill/)).not.toEqual(expect.arrayContaining(['dynamodb:BatchWriteItem']));
    expect(
      actions(/WorkerServiceRole/)
        .filter((a) => a !== 'sts:AssumeRole')
        .sort(),
    ).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DescribeTable', 'dynamodb:PutItem', 's3:GetObject']);
  });

  it('passes cdk-nag AwsSolutions, the test scaffolding aside', () => {
    // The bucket, table and inline worker are test scaffolding; the construct's own resources must be clean.
    const own = nagFindings(stack).filter((f) => f.includes('/OrdersBackfill/'));
    expect(own).toEqual([]);
  });

  it.each([
    [{ maxConcurrency: 0 }, 'maxConcurrency must be a whole number from 1 to 10000, got 0'],
    [{ filesPerBatch: 1.5 }, 'filesPerBatch must be a whole number >= 1, got 1.5'],
    [{ toleratedFailurePercentage: 101 }, 'toleratedFailurePercentage must be within 0..100, got 101'],
    [{ exportPrefix: '/exports/' }, 'exportPrefix must not start with "/"'],
  ])('refuses %j, naming the prop', (overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });
});
