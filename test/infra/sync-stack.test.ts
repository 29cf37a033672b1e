import { App } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { BridgeStack } from '../../lib/stacks/bridge-stack';
import { DataStack } from '../../lib/stacks/data-stack';
import { SYNC_OUTPUTS, SyncStack } from '../../lib/stacks/sync-stack';
import { acknowledgements, actionsOf, iamStatements, nagFindings, wildcardActions } from '../support/infra';

/*
 * The synthesized sync stack next to its bridge and data stacks, bundling skipped: queues and their DLQs,
 * the ledger and state tables, the three functions and their event sources, IAM scope, cdk-nag.
 */
let spec: Spec;
let stack: SyncStack;
let data: DataStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const bridge = new BridgeStack(app, 'Test-Bridge', { spec });
  data = new DataStack(app, 'Test-Data', { spec, servicesBus: bridge.servicesBus });
  stack = new SyncStack(app, 'Test-Sync', { spec, tables: data.tables, servicesBus: bridge.servicesBus, auditTable: bridge.auditTable });
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
const ofType = (type: string): Resources => template.findResources(type) as Resources;

describe('Stack: SyncStack', () => {
  it('gives every queue a dead-letter queue, except the dead-letter queues themselves', () => {
    // Prepare
    const queues = ofType('AWS::SQS::Queue');
    const dlqIds = new Set(
      Object.values(queues).flatMap((q) => {
        const arn = (q.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': [string, string] } } | undefined)
          ?.deadLetterTargetArn;
        return arn ? [arn['Fn::GetAtt'][0]] : [];
      }),
    );
    const mappings = Object.values(ofType('AWS::Lambda::EventSourceMapping'));
    for (const m of mappings) {
      const dest = (m.Properties?.DestinationConfig as { OnFailure?: { Destination?: { 'Fn::GetAtt': [string, string] } } } | undefined)
        ?.OnFailure?.Destination;
      if (dest) dlqIds.add(dest['Fn::GetAtt'][0]);
    }

    // Assess
    expect(Object.keys(queues)).toHaveLength(3);
    for (const id of Object.keys(queues)) {
      const isDlq = dlqIds.has(id);
      expect({ id, covered: isDlq || queues[id].Properties?.RedrivePolicy !== undefined }).toEqual({ id, covered: true });
    }
    expect(dlqIds.size).toBe(2);
  });

  it('ships changes through a FIFO queue whose dead-letter queue is FIFO too, deduplicating per key', () => {
    // Assess
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: 180,
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    expect(Object.values(ofType('AWS::SQS::Queue')).filter((q) => q.Properties?.FifoQueue === true)).toHaveLength(2);
  });

  it('reads every synced table stream with partial batch failures and a failure destination', () => {
    // Prepare
    const streams = Object.values(ofType('AWS::Lambda::EventSourceMapping')).filter(
      (m) => m.Properties?.StartingPosition === 'TRIM_HORIZON',
    );

    // Assess: stock -> inventory, orders, customers, products -> catalog
    expect(streams).toHaveLength(4);
    for (const m of streams) {
      expect(m.Properties).toMatchObject({ FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumRetryAttempts: 10 });
      expect(m.Properties?.BisectBatchOnError ?? false).toBe(false);
      expect(m.Properties?.DestinationConfig).toBeDefined();
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('turns on NEW_AND_OLD_IMAGES streams on the synced service tables only', () => {
    // Prepare
    const dataTemplate = Template.fromStack(data);
    const tables = Object.values(dataTemplate.findResources('AWS::DynamoDB::Table') as Resources).filter((t) =>
      String(t.Properties?.TableName ?? '').startsWith('test-data-'),
    );

    // Assess
    const withStream = tables
      .filter(
        (t) => (t.Properties?.StreamSpecification as { StreamViewType?: string } | undefined)?.StreamViewType === 'NEW_AND_OLD_IMAGES',
      )
      .map((t) => t.Properties!.TableName);
    expect(withStream.sort()).toEqual(['test-data-catalog', 'test-data-customers', 'test-data-inventory', 'test-data-orders']);
  });

  it('keeps the ledger and the state (PITR, encryption, retained) and indexes the ledger by status', () => {
    // Assess
    const tables = Object.entries(ofType('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(2);
    for (const [id, t] of tables) {
      expect({
        id,
        pitr: t.Properties!.PointInTimeRecoverySpecification,
        sse: t.Properties!.SSESpecification,
        deletion: t.DeletionPolicy,
      }).toEqual({
        id,
        pitr: { PointInTimeRecoveryEnabled: true },
        sse: { SSEEnabled: true },
        deletion: 'Retain',
      });
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'detectedAt', KeyType: 'RANGE' },
          ],
        },
      ],
    });
  });

  it('passes the monolith URL only as a secret ARN, never in the environment', () => {
    // Prepare
    const fns = Object.values(ofType('AWS::Lambda::Function'));
    const envs = fns.map((f) => (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});

    // Assess
    expect(envs.filter((e) => 'SOURCE_SECRET_ARN' in e)).toHaveLength(2);
    for (const e of envs) expect(Object.keys(e)).not.toContain('SOURCE_URL');
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: { MAX_DURATION_MS: '50000' } },
    });
  });

  it('grants no IAM action with a wildcard and no delete on the ledger', () => {
    // Prepare
    const ledgerId = stack.getLogicalId(stack.sync.ledgerTable.node.defaultChild as never);

    // Assess
    expect(wildcardActions(template)).toEqual([]);
    const onLedger = iamStatements(template).filter(({ s }) => JSON.stringify(s.Resource ?? '').includes(ledgerId));
    expect(onLedger.length).toBeGreaterThan(0);
    for (const { s } of onLedger) expect(actionsOf(s).filter((a) => /Delete|Update/.test(a))).toEqual([]);
  });

  it("lets the relay count open conflicts through the ledger's status index only (its OpenConflicts metric)", () => {
    // Prepare
    const relayRole = stack.getLogicalId(stack.sync.relayFunction.role!.node.defaultChild as never);
    const ledgerId = stack.getLogicalId(stack.sync.ledgerTable.node.defaultChild as never);
    const relayPolicies = Object.entries(ofType('AWS::IAM::Policy'))
      .filter(([, r]) => JSON.stringify(r.Properties?.Roles).includes(relayRole))
      .map(([id]) => `AWS::IAM::Policy ${id}`);
    const relayOnLedger = iamStatements(template).filter(
      ({ where, s }) => relayPolicies.includes(where) && JSON.stringify(s.Resource ?? '').includes(ledgerId),
    );

    // Assess
    expect(relayOnLedger.map(({ s }) => actionsOf(s))).toEqual([['dynamodb:Query']]);
    expect(JSON.stringify(relayOnLedger[0].s.Resource)).toContain('/index/');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { MAX_DURATION_MS: '50000', LEDGER_TABLE_NAME: { Ref: ledgerId } } },
    });
  });

  it('is cdk-nag clean and every acknowledgement has a reason', () => {
    // Assess
    expect(nagFindings(stack)).toEqual([]);
    for (const a of acknowledgements(stack)) expect({ ...a, reason: a.reason.length > 20 }).toEqual({ ...a, reason: true });
  });

  it('exposes the outputs the CLI reads', () => {
    // Assess
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(Object.values(SYNC_OUTPUTS).sort());
  });

  it('runs the relay and the SQL applier in a VPC when given one, and the items applier outside it', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const bridge = new BridgeStack(app, 'V-Bridge', { spec });
    const d = new DataStack(app, 'V-Data', { spec, servicesBus: bridge.servicesBus });
    const net = new DataStack(app, 'V-Net', { spec, servicesBus: bridge.servicesBus });
    const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const s = new SyncStack(app, 'V-Sync', { spec, tables: d.tables, servicesBus: bridge.servicesBus, vpc });
    const t = Template.fromStack(s);

    // Act
    const inVpc = Object.values(t.findResources('AWS::Lambda::Function') as Resources).filter((f) => f.Properties?.VpcConfig !== undefined);

    // Assess
    expect(inVpc).toHaveLength(2);
    expect(nagFindings(s)).toEqual([]);
  });

  it('deploys stopped: the relay schedule and every stream mapping off, the items applier on (it only reads the relay its queue)', () => {
    // Prepare
    const mappings = Object.values(ofType('AWS::Lambda::EventSourceMapping'));
    const streams = mappings.filter((m) => JSON.stringify(m.Properties?.EventSourceArn ?? '').includes('StreamArn'));

    // Assess
    expect(streams.length).toBeGreaterThanOrEqual(1);
    for (const m of streams) expect(m.Properties?.Enabled).toBe(false);
    for (const m of mappings.filter((x) => !streams.includes(x))) expect(m.Properties?.Enabled).not.toBe(false);
    expect(Object.values(ofType('AWS::Events::Rule')).map((r) => r.Properties?.State)).toEqual(['DISABLED']);
  });

  it('deploys running when enabled', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const bridge = new BridgeStack(app, 'E-Bridge', { spec });
    const d = new DataStack(app, 'E-Data', { spec, servicesBus: bridge.servicesBus });

    // Act
    const t = Template.fromStack(new SyncStack(app, 'E-Sync', { spec, tables: d.tables, servicesBus: bridge.servicesBus, enabled: true }));

    // Assess
    const mappings = Object.values(t.findResources('AWS::Lambda::EventSourceMapping') as Resources);
    expect(mappings.map((m) => m.Properties?.Enabled)).not.toContain(false);
    expect(Object.values(t.findResources('AWS::Events::Rule') as Resources).map((r) => r.Properties?.State)).toEqual(['ENABLED']);
  });
});
