import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgements, nagFindings } from '../support/infra';
import { ROUTER_SOURCE, routedEventTypes, routedTargetPattern, routedTargets, routingMetricName } from '../../core/routing';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { buildCutoverApp } from '../../lib/app';
import { rollbackAlarmSpecs } from '../../lib/constructs/auto-rollback';
import { Router, routerRulePattern } from '../../lib/constructs/router';
import { RoutingTables } from '../../lib/constructs/routing-tables';
import { ROUTING_OUTPUTS, type RoutingStack } from '../../lib/stacks/routing-stack';

/*
 * The synthesized routing stack, built once (bundling skipped: the handlers are not what is tested here).
 * Every assertion reads the CloudFormation template or the cdk-nag report of the same app.
 */
let spec: Spec;
let stack: RoutingStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = buildCutoverApp(app, { spec, prefix: 'Test', nag: false }).routing!;
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string }>;
const ofType = (type: string): Resources => template.findResources(type) as Resources;
const rules = () => Object.values(ofType('AWS::Events::Rule')).map((r) => r.Properties!);

describe('Stack: RoutingStack', () => {
  describe('Outputs', () => {
    it.each(Object.values(ROUTING_OUTPUTS))('exports %s under exactly that key', (key) => {
      expect(Object.keys(template.findOutputs(key))).toEqual([key]);
    });
  });

  describe('Rules', () => {
    it('feeds the router every routed type except what the router itself put', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: [{ 'anything-but': [ROUTER_SOURCE] }], 'detail-type': routedEventTypes(spec.routing) },
      });
      expect(routedEventTypes(spec.routing)).toEqual([
        'customer.updated',
        'order.cancelled',
        'order.created',
        'payment.captured',
        'payment.refunded',
        'shipment.dispatched',
      ]);
    });

    it("has one static delivery rule per (capability, target), matching the stamp, into that target's inbox queue", () => {
      // Prepare
      const expected = routedTargets(spec.routing);
      const delivery = rules().filter((r) => JSON.stringify(r.EventPattern).includes('"routing"'));

      // Assess
      expect(delivery).toHaveLength(expected.length);
      for (const { capability, target } of expected) {
        const p = routedTargetPattern(capability, target);
        const match = delivery.filter(
          (r) => JSON.stringify(r.EventPattern) === JSON.stringify({ source: p.source, 'detail-type': p.detailType, detail: p.detail }),
        );
        expect({ capability, target, rules: match.length }).toEqual({ capability, target, rules: 1 });
        expect(Object.keys(match[0].Targets[0].Arn)).toEqual(['Fn::GetAtt']);
        expect(match[0].Targets[0].Arn['Fn::GetAtt'][1]).toBe('Arn');
      }
    });

    it('gives every target of every rule a dead-letter queue and a retry policy', () => {
      const all = Object.entries(ofType('AWS::Events::Rule')).flatMap(([id, r]) =>
        (r.Properties!.Targets as Array<Record<string, any>>).map((t) => ({ id, t })),
      );
      expect(all.length).toBe(routedTargets(spec.routing).length + 2);
      for (const { id, t } of all) {
        expect({ id, dlq: t.DeadLetterConfig?.Arn !== undefined }).toEqual({ id, dlq: true });
        expect({ id, retry: t.RetryPolicy }).toEqual({
          id,
          retry: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        });
      }
    });

    it('routes no type when the spec routes nothing (EventBridge refuses an empty list)', () => {
      expect(routerRulePattern({ ...spec, routing: { capabilities: {} } })).toBeUndefined();
    });
  });

  describe('Queues and functions', () => {
    it('redrives every inbox to the dead-letter queue, encrypts every queue and refuses plain HTTP', () => {
      // Prepare
      const queues = ofType('AWS::SQS::Queue');
      const policies = Object.values(ofType('AWS::SQS::QueuePolicy')).map((p) => JSON.stringify(p.Properties));
      const inboxes = Object.entries(queues).filter(([, q]) => q.Properties?.RedrivePolicy !== undefined);

      // Assess
      expect(inboxes).toHaveLength(routedTargets(spec.routing).length);
      for (const [, q] of inboxes) expect(q.Properties!.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
      for (const [id, q] of Object.entries(queues)) {
        expect({ id, sse: q.Properties?.SqsManagedSseEnabled }).toEqual({ id, sse: true });
        expect(policies.some((p) => p.includes(id) && p.includes('aws:SecureTransport'))).toBe(true);
      }
    });

    it('sends what each function finally fails on to the dead-letter queue (async on-failure)', () => {
      const functions = Object.keys(ofType('AWS::Lambda::Function'));
      const configs = Object.values(ofType('AWS::Lambda::EventInvokeConfig')).map((c) => c.Properties!);
      // The reference inbox consumer is fed by SQS: what it fails on goes through the inbox's redrive instead.
      // The saga's decision function (SagaRoute) is invoked synchronously by the state machine, which catches its failure.
      expect(functions).toHaveLength(5);
      expect(functions.filter((f) => f.startsWith('SagaRoute'))).toHaveLength(1);
      expect(configs).toHaveLength(3);
      for (const c of configs) expect(c.DestinationConfig).toEqual({ OnFailure: { Destination: expect.anything() } });
    });

    it('keeps the router cache within the one-second rollback bound', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ ROUTING_CACHE_TTL_MS: '1000' }) },
      });
      const scratch = new Stack(new App(), 'Scratch');
      const bus = new events.EventBus(scratch, 'Bus');
      const tables = new RoutingTables(scratch, 'T');
      const table = tables.table;
      expect(
        () => new Router(scratch, 'R', { spec, servicesBus: bus, tables, quarantineTable: table, auditTable: table, cacheTtlMs: 5000 }),
      ).toThrow('cacheTtlMs: must be 0..1000');
    });

    it('refuses a consumer for a target the spec does not route', () => {
      const scratch = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Scratch2');
      const bus = new events.EventBus(scratch, 'Bus');
      const tables = new RoutingTables(scratch, 'T');
      const fn = new lambda.Function(scratch, 'Fn', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler=async()=>{}'),
      });
      expect(
        () =>
          new Router(scratch, 'R', {
            spec,
            servicesBus: bus,
            tables,
            quarantineTable: tables.table,
            auditTable: tables.table,
            consumers: { 'inventory/inventory-v9': fn },
          }),
      ).toThrow('Router consumers: inventory/inventory-v9 is not a routed target');
    });
  });

  describe('Inbox consumers', () => {
    type Mapping = { Properties: { EventSourceArn: unknown; FunctionName: unknown; FunctionResponseTypes?: string[] } };
    /** Logical id of each inbox queue, by inbox key (read from the inbox URL output, so the test cannot pair them wrongly). */
    const inboxIds = (t: Template): Record<string, string> => {
      const out = Object.values(t.findOutputs(ROUTING_OUTPUTS.inboxUrls))[0] as { Value: unknown };
      const text = JSON.stringify(out.Value);
      const keys = routedTargets(spec.routing).map(({ capability, target }) => `${capability}/${target}`);
      // The JSON output is a Fn::Join of literal key fragments and { Ref: <queue> } parts, in key order.
      const refs = [...text.matchAll(/\{"Ref":"([A-Za-z0-9]+)"\}/g)].map((m) => m[1]);
      expect(refs).toHaveLength(keys.length);
      return Object.fromEntries(keys.map((k, i) => [k, refs[i]]));
    };
    const mappings = (t: Template): Mapping[] => Object.values(t.findResources('AWS::Lambda::EventSourceMapping')) as Mapping[];
    const consumedQueues = (t: Template) => mappings(t).map((m) => JSON.stringify(m.Properties.EventSourceArn));

    it('gives every inbox queue an event source mapping (the reference consumer), with partial batch failures', () => {
      // Prepare
      const ids = inboxIds(template);

      // Act
      const consumed = consumedQueues(template);

      // Assess
      expect(
        Object.entries(ids)
          .filter(([, id]) => !consumed.some((c) => c.includes(`"${id}"`)))
          .map(([k]) => k),
      ).toEqual([]);
      for (const m of mappings(template)) expect(m.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      const fns = new Set(mappings(template).map((m) => JSON.stringify(m.Properties.FunctionName)));
      expect([...fns]).toEqual([expect.stringContaining('ReferenceConsumer')]);
    });

    it("attaches the user's consumer where named and the reference one elsewhere; without reference consumers an unnamed inbox is read from outside", () => {
      // Prepare
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const services = new Stack(app, 'Services');
      const mine = new lambda.Function(services, 'InventoryV2', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler=async()=>({batchItemFailures:[]})'),
      });
      const withMine = buildCutoverApp(app, {
        spec,
        prefix: 'Mine',
        nag: false,
        routedConsumers: { 'inventory/inventory-v2': mine },
      }).routing!;
      const app2 = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const bare = buildCutoverApp(app2, { spec, prefix: 'Bare', nag: false, referenceConsumers: false }).routing!;

      // Act
      const mineTemplate = Template.fromStack(withMine);
      const bareTemplate = Template.fromStack(bare);
      const ids = inboxIds(mineTemplate);
      const servicesMappings = Object.values(Template.fromStack(services).findResources('AWS::Lambda::EventSourceMapping')) as Mapping[];

      // Assess
      expect(servicesMappings.map((m) => JSON.stringify(m.Properties.EventSourceArn))).toEqual([expect.stringContaining('Inbox')]);
      expect(consumedQueues(mineTemplate).some((c) => c.includes(`"${ids['inventory/inventory-v2']}"`))).toBe(false);
      expect(mappings(mineTemplate)).toHaveLength(Object.keys(ids).length - 1);
      const consumers = JSON.stringify(Object.values(mineTemplate.findOutputs(ROUTING_OUTPUTS.inboxConsumers))[0]);
      expect(consumers).toContain('inventory/inventory-v2');
      expect(mappings(bareTemplate)).toEqual([]);
      expect(bare.referenceConsumer).toBeUndefined();
    });

    it('lets the reference consumer record shadow outcomes, put outcome events and publish routing metrics only', () => {
      // Act
      const policies = JSON.stringify(
        Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('ReferenceConsumer')),
      );

      // Assess
      expect(policies).toContain('dynamodb:PutItem');
      expect(policies).toContain('events:PutEvents');
      expect(policies).toContain('"cloudwatch:namespace":"Cutover/Routing"');
      expect(policies).not.toContain('dynamodb:DeleteItem');
    });
  });

  describe('Tables', () => {
    it.each([
      [
        'routing',
        [
          { AttributeName: 'capability', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      ],
      [
        'history',
        [
          { AttributeName: 'capability', KeyType: 'HASH' },
          { AttributeName: 'revision', KeyType: 'RANGE' },
        ],
      ],
      [
        'outcomes',
        [
          { AttributeName: 'pair', KeyType: 'HASH' },
          { AttributeName: 'role', KeyType: 'RANGE' },
        ],
      ],
    ])('the %s table has PITR, encryption, pay-per-request and is retained', (_name, keySchema) => {
      const found = Object.values(ofType('AWS::DynamoDB::Table')).filter(
        (t) => JSON.stringify(t.Properties!.KeySchema) === JSON.stringify(keySchema),
      );
      expect(found).toHaveLength(1);
      const t = found[0];
      expect(t.DeletionPolicy).toBe('Retain');
      expect(t.Properties).toMatchObject({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      });
    });

    it('protects the history from deletion and lets outcomes expire', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: Match.arrayWith([{ AttributeName: 'revision', KeyType: 'RANGE' }]),
        DeletionProtectionEnabled: true,
      });
      template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
    });
  });

  describe('Alarms', () => {
    it('has one alarm per threshold in the spec, on a plain per-capability metric (no metric math), acting on the topic', () => {
      // Prepare
      const expected = rollbackAlarmSpecs(spec);
      const alarms = Object.values(ofType('AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
      const topicId = stack.getLogicalId(stack.autoRollback.topic.node.defaultChild as never);

      // Assess
      expect(alarms).toHaveLength(expected.length);
      expect(expected.length).toBe(12);
      for (const a of expected) {
        const alarm = alarms.find((x) => x.MetricName === routingMetricName(a.capability, 'candidate', a.metric))!;
        expect(alarm).toBeDefined();
        expect(alarm.Metrics).toBeUndefined();
        expect(alarm).toMatchObject({
          Threshold: a.threshold,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          EvaluationPeriods: 1,
          Period: a.periodSeconds,
        });
        expect(a.statistic === 'p95' ? alarm.ExtendedStatistic : alarm.Statistic).toBe(a.statistic);
        expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      }
    });

    it('subscribes the rollback function to the topic, with a dead-letter queue for undeliverable alarms', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
      });
    });
  });

  describe('IAM', () => {
    type Statement = { Effect: string; Action: string | string[]; Resource?: unknown };
    const statements = (): Array<{ where: string; s: Statement }> => {
      const out: Array<{ where: string; s: Statement }> = [];
      for (const type of ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
        for (const [id, r] of Object.entries(ofType(type))) {
          const p = r.Properties ?? {};
          const docs = [
            p.PolicyDocument,
            ...((p.Policies as Array<{ PolicyDocument: unknown }>) ?? []).map((x) => x.PolicyDocument),
          ].filter(Boolean) as Array<{ Statement?: Statement[] }>;
          for (const doc of docs) for (const s of doc.Statement ?? []) out.push({ where: `${type} ${id}`, s });
        }
      }
      return out;
    };
    const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
    const on = (tableId: string) => {
      const granted = new Map<string, Set<string>>();
      for (const { where, s } of statements()) {
        if (s.Effect !== 'Allow' || !JSON.stringify(s.Resource ?? '').includes(tableId)) continue;
        const set = granted.get(where) ?? new Set();
        for (const a of actions(s)) set.add(a);
        granted.set(where, set);
      }
      return granted;
    };

    it('allows no wildcard action anywhere', () => {
      const allows = statements().filter(({ s }) => s.Effect === 'Allow');
      expect(allows.length).toBeGreaterThan(0);
      expect(
        allows.flatMap(({ where, s }) =>
          actions(s)
            .filter((a) => a.includes('*'))
            .map((a) => `${where}: ${a}`),
        ),
      ).toEqual([]);
    });

    it('uses Resource "*" only for X-Ray, cloudwatch:GetMetricStatistics and the routing namespace\'s PutMetricData (no resource-level permissions exist)', () => {
      const star = statements().filter(
        ({ s }) => s.Effect === 'Allow' && (s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))),
      );
      expect(star.length).toBeGreaterThan(0);
      for (const { where, s } of star) {
        expect({
          where,
          ok: actions(s).every(
            (a) =>
              ['xray:PutTelemetryRecords', 'xray:PutTraceSegments', 'cloudwatch:GetMetricStatistics'].includes(a) ||
              (a === 'cloudwatch:PutMetricData' &&
                JSON.stringify((s as { Condition?: unknown }).Condition) === '{"StringEquals":{"cloudwatch:namespace":"Cutover/Routing"}}'),
          ),
        }).toEqual({ where, ok: true });
      }
    });

    it('grants nothing that can rewrite or delete routing history', () => {
      const historyId = stack.getLogicalId(stack.tables.historyTable.node.defaultChild as never);
      const granted = new Set([...on(historyId).values()].flatMap((s) => [...s]));
      expect(granted.size).toBeGreaterThan(0);
      expect([...granted].sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    });

    it('lets the router read the routing table but not change it', () => {
      const routerRole = stack.getLogicalId(stack.router.function.role!.node.defaultChild as never);
      const tableId = stack.getLogicalId(stack.tables.table.node.defaultChild as never);
      const policies = Object.entries(ofType('AWS::IAM::Policy')).filter(([, p]) =>
        JSON.stringify(p.Properties!.Roles).includes(routerRole),
      );
      const onTable = policies.flatMap(([, p]) =>
        (p.Properties!.PolicyDocument.Statement as Statement[])
          .filter((s) => JSON.stringify(s.Resource).includes(tableId))
          .flatMap(actions),
      );
      expect(onTable.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Scan']);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has zero unacknowledged findings', () => {
      expect(nagFindings(stack)).toEqual([]);
    });

    it('has a written reason for every acknowledgement', () => {
      const acks = acknowledgements(stack);
      expect(acks.length).toBeGreaterThan(0);
      expect(acks.some((a) => a.id.endsWith('AwsSolutions-IAM5[Resource::*]') && a.reason.includes('GetMetricStatistics'))).toBe(true);
      for (const a of acks) expect({ ...a, long: a.reason.trim().length >= 40 }).toEqual({ ...a, long: true });
    });

    it('would report a topic that allows plain HTTP (the check can fail)', () => {
      const scratch = new Stack(new App(), 'ScratchNag');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sns = require('aws-cdk-lib/aws-sns') as typeof import('aws-cdk-lib/aws-sns');
      new sns.Topic(scratch, 'Plain');
      const report = new AwsSolutionsChecks().validateScope(scratch);
      expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-SNS3');
    });
  });
});
