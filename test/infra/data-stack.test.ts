import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Template } from 'aws-cdk-lib/assertions';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { serviceTableKeys } from '../../lib/constructs/service-tables';
import { BridgeStack } from '../../lib/stacks/bridge-stack';
import { DATA_OUTPUTS, DataStack, type DataStackProps } from '../../lib/stacks/data-stack';
import { COUNTED_EVENTS } from '../../core/operations/metrics';
import { DIVERGENCE_DETAIL_TYPE } from '../../core/migration';
import { acknowledgements, actionsOf, iamStatements, nagFindings, wildcardActions } from '../support/infra';

/*
 * The synthesized data stack (service tables, continuous validation): built once next to a bridge stack,
 * bundling skipped. Every assertion reads the CloudFormation template or the cdk-nag report.
 */
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:cutover/monolith-AbCdEf';
let spec: Spec;
let stack: DataStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const bridge = new BridgeStack(app, 'Test-Bridge', { spec });
  stack = new DataStack(app, 'Test-Data', { spec, servicesBus: bridge.servicesBus, sourceSecretArn: SECRET_ARN });
  template = Template.fromStack(stack);
});

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;
const ofType = (type: string): Resources => template.findResources(type) as Resources;
const idOf = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('Stack: DataStack', () => {
  describe('Service tables', () => {
    const serviceTables = () => [...stack.tables.tables.values()].map((t) => ({ id: idOf(t), t: ofType('AWS::DynamoDB::Table')[idOf(t)] }));

    it('creates one table per spec target table, named with the stack prefix', () => {
      // Assess
      expect([...stack.tables.tables.keys()].sort()).toEqual(['catalog', 'customers', 'inventory', 'orders']);
      expect(
        serviceTables()
          .map(({ t }) => t.Properties!.TableName)
          .sort(),
      ).toEqual(['test-data-catalog', 'test-data-customers', 'test-data-inventory', 'test-data-orders']);
    });

    it('keys each table as the mapping writes its items', () => {
      // Prepare
      const keys = serviceTableKeys(spec.migration!);

      // Assess
      expect(keys.get('orders')).toEqual({ partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } });
      expect(keys.get('inventory')).toEqual({ partitionKey: { name: 'sku', type: 'S' }, sortKey: { name: 'warehouse', type: 'S' } });
      for (const [name, key] of keys) {
        const t = ofType('AWS::DynamoDB::Table')[idOf(stack.tables.tables.get(name)!)];
        const expected = [
          { AttributeName: key.partitionKey.name, KeyType: 'HASH' },
          ...(key.sortKey ? [{ AttributeName: key.sortKey.name, KeyType: 'RANGE' }] : []),
        ];
        expect({ name, keys: t.Properties!.KeySchema }).toEqual({ name, keys: expected });
      }
    });

    it('gives every table PITR, encryption and pay-per-request, and retains the service tables', () => {
      // Assess
      const all = Object.entries(ofType('AWS::DynamoDB::Table'));
      expect(all).toHaveLength(5);
      for (const [id, t] of all) {
        expect({ id, pitr: t.Properties!.PointInTimeRecoverySpecification }).toEqual({ id, pitr: { PointInTimeRecoveryEnabled: true } });
        expect({ id, sse: t.Properties!.SSESpecification }).toEqual({ id, sse: { SSEEnabled: true } });
        expect({ id, billing: t.Properties!.BillingMode }).toEqual({ id, billing: 'PAY_PER_REQUEST' });
      }
      for (const { id, t } of serviceTables())
        expect({ id, deletion: t.DeletionPolicy, replace: t.UpdateReplacePolicy }).toEqual({ id, deletion: 'Retain', replace: 'Retain' });
    });

    it('refuses two entities that key one table differently', () => {
      // Prepare
      const entities = spec.migration!.entities;
      const clash = { entities: { ...entities, payments: { ...entities.payments, target: { table: 'orders', partitionKey: 'orderId' } } } };

      // Act / Assess
      expect(() => serviceTableKeys(clash as never)).toThrow(
        /migration\.entities\.payments\.target: table orders is keyed \(orderId:S, -\)/,
      );
    });
  });

  describe('Outputs', () => {
    it('maps every entity to its deployed table, and names each table', () => {
      // Prepare
      const outputs = template.findOutputs('*');
      const map = stack.resolve(outputs[DATA_OUTPUTS.migrationTables].Value) as unknown;

      // Assess
      expect(JSON.stringify(map)).toContain('"orders\\":');
      for (const e of Object.keys(spec.migration!.entities)) expect(JSON.stringify(map)).toContain(`${e}\\":`);
      expect(
        Object.keys(outputs)
          .filter((k) => k.startsWith(DATA_OUTPUTS.migrationTablePrefix) && k !== DATA_OUTPUTS.migrationTables)
          .sort(),
      ).toEqual(['MigrationTableCatalog', 'MigrationTableCustomers', 'MigrationTableInventory', 'MigrationTableOrders']);
      expect(outputs[DATA_OUTPUTS.validatorFunctionName]).toBeDefined();
    });
  });

  describe('Continuous validation', () => {
    const validator = () => stack.validator!;
    const fn = () => ofType('AWS::Lambda::Function')[idOf(validator().function)];
    const env = () => (fn().Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

    it('runs on a schedule whose target has a dead-letter queue and a retry policy', () => {
      // Prepare
      const rules = Object.values(ofType('AWS::Events::Rule'));

      // Assess
      expect(rules).toHaveLength(1);
      expect(rules[0].Properties!.ScheduleExpression).toBe('rate(5 minutes)');
      const targets = rules[0].Properties!.Targets as Array<Record<string, unknown>>;
      expect(targets).toHaveLength(1);
      expect(JSON.stringify(targets[0].Arn)).toContain(idOf(validator().function));
      expect(JSON.stringify(targets[0].DeadLetterConfig)).toContain(idOf(validator().deadLetterQueue));
      expect(targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    });

    it('takes the schedule from the props', () => {
      // Prepare
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const bridge = new BridgeStack(app, 'Other-Bridge', { spec });
      const other = new DataStack(app, 'Other-Data', {
        spec,
        servicesBus: bridge.servicesBus,
        sourceSecretArn: SECRET_ARN,
        validationSchedule: Duration.minutes(10),
        validationRowsPerRun: 1000,
      });

      // Assess
      Template.fromStack(other).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
      Template.fromStack(other).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { SAMPLE_SIZE: '1000' } },
      });
      expect(other.validator!.sweepRowsPerDay).toBe(500 * 144);
    });

    it('sweeps at least a million rows of each entity a day at the defaults', () => {
      expect(validator().sweepRowsPerDay).toBe(3500 * 288);
      expect(validator().sweepRowsPerDay).toBeGreaterThanOrEqual(1_000_000);
      expect(env().SAMPLE_SIZE).toBe('7000');
      expect(fn().Properties!.Timeout).toBe(300);
    });

    const build = (props: Partial<DataStackProps>, id = 'V') => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const bridge = new BridgeStack(app, `${id}-Bridge`, { spec });
      return new DataStack(app, `${id}-Data`, { spec, servicesBus: bridge.servicesBus, ...props });
    };

    it('is not deployed without the monolith secret: no function, no schedule, no outputs', () => {
      // Act
      const bare = build({}, 'Bare');
      const t = Template.fromStack(bare);

      // Assess
      expect(bare.validator).toBeUndefined();
      t.resourceCountIs('AWS::Lambda::Function', 0);
      t.resourceCountIs('AWS::Events::Rule', 0);
      expect(Object.keys(t.findOutputs('*'))).not.toContain(DATA_OUTPUTS.validatorFunctionName);
    });

    it.each([
      [{ validationRowsPerRun: 1 }, 'rowsPerRun must be a whole number from 2 to 50000'],
      [{ validationRowsPerRun: 60_000 }, 'rowsPerRun must be a whole number from 2 to 50000'],
      [{ validationSchedule: Duration.seconds(30) }, 'schedule must be at least 1 minute'],
    ])('refuses %p', (props, message) => {
      expect(() => build({ sourceSecretArn: SECRET_ARN, ...props })).toThrow(message);
    });

    it('refuses both a secret and a secret ARN', () => {
      const app = new App();
      const secret = secretsmanager.Secret.fromSecretCompleteArn(new Stack(app, 'S'), 'X', SECRET_ARN);
      expect(() => build({ sourceSecretArn: SECRET_ARN, sourceSecret: secret })).toThrow('give sourceSecret or sourceSecretArn, not both');
    });

    it('reads the monolith URL from the secret (never from its environment) and may read only that secret', () => {
      // Prepare
      const policyId = stack.getLogicalId(validator().function.role!.node.findChild('DefaultPolicy').node.defaultChild as never);
      const reads = iamStatements(template).filter(
        ({ where, s }) => where.includes(policyId) && actionsOf(s).includes('secretsmanager:GetSecretValue'),
      );

      // Assess
      expect(env().SOURCE_SECRET_ARN).toBe(SECRET_ARN);
      expect(env().SOURCE_URL).toBeUndefined();
      expect(reads).toHaveLength(1);
      expect(reads[0].s.Resource).toBe(SECRET_ARN);
    });

    it('runs in the VPC it is given, in the subnets and security groups named', () => {
      // Prepare
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const bridge = new BridgeStack(app, 'Vpc-Bridge', { spec });
      const net = new Stack(app, 'Vpc-Net');
      const vpc = new ec2.Vpc(net, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      });
      const group = new ec2.SecurityGroup(net, 'ToDb', { vpc });

      // Act
      const inVpc = new DataStack(app, 'Vpc-Data', {
        spec,
        servicesBus: bridge.servicesBus,
        sourceSecretArn: SECRET_ARN,
        validatorVpc: vpc,
        validatorVpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        validatorSecurityGroups: [group],
      });
      const t = Template.fromStack(inVpc);
      const f = (t.findResources('AWS::Lambda::Function') as Resources)[
        inVpc.getLogicalId(inVpc.validator!.function.node.defaultChild as never)
      ];

      // Assess
      const vpcConfig = f.Properties!.VpcConfig as { SubnetIds: unknown[]; SecurityGroupIds: unknown[] };
      expect(vpcConfig.SubnetIds).toHaveLength(2);
      expect(JSON.stringify(vpcConfig.SecurityGroupIds)).toContain('ToDb');
      expect(nagFindings(inVpc)).toEqual([]);
    });

    it('raises its divergences as the event the audit writer counts into the metric the divergence alarm watches', () => {
      expect(COUNTED_EVENTS[DIVERGENCE_DETAIL_TYPE]).toEqual({ namespace: 'Cutover/Consistency', metric: 'Divergences' });
    });

    it('tells the function every entity table, the sweep table, the bus and the source', () => {
      // Assess
      expect(env().SOURCE_SECRET_ARN).toBe(SECRET_ARN);
      expect(env().VALIDATE_ENTITIES).toBe(Object.keys(spec.migration!.entities).join(','));
      expect(JSON.stringify(env().MIGRATION_TABLES)).toContain(idOf(stack.tables.tables.get('orders')!));
      expect(JSON.stringify(env().SWEEP_TABLE_NAME)).toContain(idOf(validator().sweepTable));
      expect(env().SERVICES_BUS_NAME).toBeDefined();
    });

    it('lets the function only read the service tables (no write, no scan) and put events', () => {
      // Prepare
      const policyId = stack.getLogicalId(validator().function.role!.node.findChild('DefaultPolicy').node.defaultChild as never);
      const mine = iamStatements(template).filter(({ where }) => where.includes(policyId));
      const onServiceTables = mine.filter(({ s }) =>
        [...stack.tables.tables.values()].some((t) => JSON.stringify(s.Resource).includes(idOf(t))),
      );

      // Assess
      expect(onServiceTables.flatMap(({ s }) => actionsOf(s)).sort()).toEqual(
        [...stack.tables.tables.keys()].flatMap(() => ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']).sort(),
      );
      expect(mine.some(({ s }) => actionsOf(s).includes('events:PutEvents'))).toBe(true);
    });
  });

  describe('Export backfill (Distributed Map and its worker)', () => {
    const build = (entity: string, env?: { account: string; region: string }) => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const bridge = new BridgeStack(app, 'Exp-Bridge', { spec, env });
      return new DataStack(app, 'Exp-Data', {
        spec,
        env,
        servicesBus: bridge.servicesBus,
        exportBackfill: { bucketName: 'shop-exports', prefix: 'exports/orders/', entity },
      });
    };

    it('is absent unless asked for', () => {
      expect(stack.exportBackfill).toBeUndefined();
      expect(Object.keys(ofType('AWS::StepFunctions::StateMachine'))).toHaveLength(0);
    });

    it('deploys the map with its worker, which may read the export and write only the entity table', () => {
      // Act
      const exp = build('orders');
      const t = Template.fromStack(exp);
      const fns = t.findResources('AWS::Lambda::Function') as Resources;
      const worker = Object.entries(fns).find(([, f]) => String(f.Properties!.Description).includes('Distributed Map worker'));

      // Assess
      expect(exp.exportBackfill).toBeDefined();
      t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      expect(worker).toBeDefined();
      const [workerId, fn] = worker!;
      expect(JSON.stringify((fn.Properties!.Environment as { Variables: unknown }).Variables)).toContain('EXPORT_BUCKET');
      expect(fn.Properties!.Timeout).toBe(900);
      const definition = JSON.stringify(t.findResources('AWS::StepFunctions::StateMachine'));
      expect(definition).toContain(workerId);
      const writes = iamStatements(t).filter(({ s }) => actionsOf(s).includes('dynamodb:BatchWriteItem'));
      expect(writes).toHaveLength(1);
      expect(JSON.stringify(writes[0].s.Resource)).toContain(exp.getLogicalId(exp.tables.tables.get('orders')!.node.defaultChild as never));
      expect(Object.keys(t.findOutputs('*'))).toContain(DATA_OUTPUTS.exportBackfillStateMachineArn);
      expect(nagFindings(exp)).toEqual([]);
    });

    it('names its worker in an output, and passes cdk-nag in a stack deployed with an account and region (as bin/app.ts does)', () => {
      // Act
      const exp = build('orders', { account: '111111111111', region: 'eu-west-1' });
      const t = Template.fromStack(exp);

      // Assess: the map's execution wildcards render with the literal region and account there.
      expect(Object.keys(t.findOutputs('*'))).toContain(DATA_OUTPUTS.exportBackfillWorkerName);
      expect(nagFindings(exp)).toEqual([]);
    });

    it('refuses an entity the migration section does not have', () => {
      expect(() => build('invoices')).toThrow('exportBackfill.entity: "invoices" is not an entity of the migration section');
    });
  });

  describe('IAM', () => {
    it('allows no wildcard action anywhere', () => {
      expect(iamStatements(template).length).toBeGreaterThan(0);
      expect(wildcardActions(template)).toEqual([]);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has zero unacknowledged findings', () => {
      expect(nagFindings(stack)).toEqual([]);
    });

    it('has a written reason for every acknowledgement', () => {
      // Prepare
      const acks = acknowledgements(stack);

      // Assess
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) expect({ ...a, long: a.reason.trim().length >= 40 }).toEqual({ ...a, long: true });
    });
  });
});

describe('Function: buildCutoverApp', () => {
  it('adds the data stack when the spec has a migration section', async () => {
    // Prepare
    const { buildCutoverApp } = await import('../../lib/app');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const stacks = buildCutoverApp(app, { spec, prefix: 'Wiring', nag: false });
    const none = buildCutoverApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), {
      spec: { ...spec, migration: undefined },
      prefix: 'Bare',
      nag: false,
    });

    // Assess
    expect(stacks.data).toBeInstanceOf(DataStack);
    expect(stacks.data!.stackName).toBe('Wiring-Data');
    expect(none.data).toBeUndefined();
  });
});
