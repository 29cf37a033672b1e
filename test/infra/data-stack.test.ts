import { App, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { serviceTableKeys } from '../../lib/constructs/service-tables';
import { BridgeStack } from '../../lib/stacks/bridge-stack';
import { DATA_OUTPUTS, DataStack } from '../../lib/stacks/data-stack';
import { acknowledgements, actionsOf, iamStatements, nagFindings, wildcardActions } from '../support/infra';

/*
 * The synthesized data stack (service tables, continuous validation): built once next to a bridge stack,
 * bundling skipped. Every assertion reads the CloudFormation template or the cdk-nag report.
 */
let spec: Spec;
let stack: DataStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const bridge = new BridgeStack(app, 'Test-Bridge', { spec });
  stack = new DataStack(app, 'Test-Data', { spec, servicesBus: bridge.servicesBus, sourceUrl: 'postgres://reader@db.internal:5432/shop' });
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
    const fn = () => ofType('AWS::Lambda::Function')[idOf(stack.validator.function)];
    const env = () => (fn().Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

    it('runs on a schedule whose target has a dead-letter queue and a retry policy', () => {
      // Prepare
      const rules = Object.values(ofType('AWS::Events::Rule'));

      // Assess
      expect(rules).toHaveLength(1);
      expect(rules[0].Properties!.ScheduleExpression).toBe('rate(15 minutes)');
      const targets = rules[0].Properties!.Targets as Array<Record<string, unknown>>;
      expect(targets).toHaveLength(1);
      expect(JSON.stringify(targets[0].Arn)).toContain(idOf(stack.validator.function));
      expect(JSON.stringify(targets[0].DeadLetterConfig)).toContain(idOf(stack.validator.deadLetterQueue));
      expect(targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    });

    it('takes the schedule from the props', () => {
      // Prepare
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const bridge = new BridgeStack(app, 'Other-Bridge', { spec });
      const other = new DataStack(app, 'Other-Data', { spec, servicesBus: bridge.servicesBus, validationSchedule: Duration.minutes(5) });

      // Assess
      Template.fromStack(other).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
      expect(JSON.stringify(Template.fromStack(other).toJSON())).not.toContain('SOURCE_URL');
    });

    it('tells the function every entity table, the sweep table, the bus and the source', () => {
      // Assess
      expect(env().SOURCE_URL).toBe('postgres://reader@db.internal:5432/shop');
      expect(env().VALIDATE_ENTITIES).toBe(Object.keys(spec.migration!.entities).join(','));
      expect(JSON.stringify(env().MIGRATION_TABLES)).toContain(idOf(stack.tables.tables.get('orders')!));
      expect(JSON.stringify(env().SWEEP_TABLE_NAME)).toContain(idOf(stack.validator.sweepTable));
      expect(env().SERVICES_BUS_NAME).toBeDefined();
    });

    it('lets the function only read the service tables (no write, no scan) and put events', () => {
      // Prepare
      const policyId = stack.getLogicalId(stack.validator.function.role!.node.findChild('DefaultPolicy').node.defaultChild as never);
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
