import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledgements, nagFindings, wildcardActions } from '../support/infra';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { buildCutoverApp, type CutoverStacks } from '../../lib/app';
import { Operations } from '../../lib/constructs/operations';
import { OPERATIONS_OUTPUTS, collectDeadLetterQueues, type OperationsStack } from '../../lib/stacks/operations-stack';

/*
 * The synthesized operations stack of the reference app, built once (bundling skipped). What AWS does with
 * it (alarms on SQS and Step Functions metrics, EMF extraction) cannot be shown on MiniStack: this tier is
 * where it is checked.
 */
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:cutover/monolith-AbCdEf';
let spec: Spec;
let stacks: CutoverStacks;
let stack: OperationsStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  // With the monolith's secret, as a deployment with continuous validation.
  stacks = buildCutoverApp(app, { spec, prefix: 'Test', nag: false, monolithSecretArn: SECRET_ARN });
  stack = stacks.operations;
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;
const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).map((r) => r.Properties!);
const dashboardBody = (): string => {
  const [d] = Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Resources);
  // The body is an Fn::Join of literal parts and cross-stack references: the literal parts are what we read.
  const body = d.Properties!.DashboardBody;
  return typeof body === 'string' ? body : JSON.stringify(body['Fn::Join'][1]);
};

describe('Stack: OperationsStack', () => {
  describe('Outputs', () => {
    it.each(Object.values(OPERATIONS_OUTPUTS))('exports %s under exactly that key', (key) => {
      expect(Object.keys(template.findOutputs(key))).toEqual([key]);
    });
  });

  describe('Dead-letter queues', () => {
    // Every stack the app builds besides this one: the dashboard watches them all.
    const watchedStacks = () =>
      [stacks.bridge, stacks.routing, stacks.replay, stacks.saga, stacks.data, stacks.api, stacks.sync, stacks.facade].filter(
        (s): s is NonNullable<typeof s> => s !== undefined,
      );
    it('finds every dead-letter queue of the deployment, each once', () => {
      // Act
      const found = collectDeadLetterQueues(watchedStacks());
      // Assess
      expect(Object.keys(found).sort()).toEqual(
        expect.arrayContaining(['bridge-auditlog', 'bridge-bridge', 'replay-capture', 'replay-replay', 'routing-router', 'saga-ordersaga']),
      );
      expect(new Set(Object.values(found)).size).toBe(Object.keys(found).length);
    });

    it('alarms on each one holding any message, with the topic as alarm and OK action', () => {
      // Prepare
      const names = Object.keys(collectDeadLetterQueues(watchedStacks()));
      const dlqAlarms = alarms().filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
      // Assess
      expect(dlqAlarms.map((a) => a.AlarmName).sort()).toEqual(names.map((n) => `Test-dlq-${n}`).sort());
      for (const a of dlqAlarms) {
        expect(a).toMatchObject({
          Namespace: 'AWS/SQS',
          Statistic: 'Maximum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });
  });

  describe('Alarms', () => {
    it('has the quarantine, CompensationFailed and divergence alarms on plain metrics, with the dimension set Powertools writes', () => {
      // Prepare
      const byName = new Map(alarms().map((a) => [a.AlarmName as string, a]));
      // Assess
      expect(byName.get('Test-quarantine-legacy')).toMatchObject({
        Namespace: 'Cutover/Bridge',
        MetricName: 'Quarantined',
        // CDK sorts dimensions by name; CloudWatch matches the set, whatever the order.
        Dimensions: [
          { Name: 'Direction', Value: 'toService' },
          { Name: 'service', Value: 'bridge' },
        ],
        Threshold: 0,
      });
      expect(byName.get('Test-quarantine-services')).toMatchObject({
        Namespace: 'Cutover/Bridge',
        MetricName: 'Quarantined',
        // CDK sorts dimensions by name; CloudWatch matches the set, whatever the order.
        Dimensions: [
          { Name: 'Direction', Value: 'toLegacy' },
          { Name: 'service', Value: 'bridge' },
        ],
      });
      expect(byName.get('Test-compensation-failed')).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Threshold: 1,
      });
      expect(byName.get('Test-divergence')).toMatchObject({
        Namespace: 'Cutover/Consistency',
        MetricName: 'Divergences',
        Dimensions: [{ Name: 'service', Value: 'audit-writer' }],
        Threshold: 1,
      });
    });

    it('has no divergence alarm without continuous validation (no monolith secret): nothing would write its metric', () => {
      // Prepare
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const without = buildCutoverApp(app, { spec, prefix: 'Bare', nag: false });
      const names = Object.values(Template.fromStack(without.operations).findResources('AWS::CloudWatch::Alarm') as Resources).map(
        (r) => r.Properties!.AlarmName as string,
      );
      // Assess
      expect(without.data?.validator).toBeUndefined();
      expect(names).toContain('Bare-compensation-failed');
      expect(names).not.toContain('Bare-divergence');
      expect([...without.operations.operations.alarms.keys()]).not.toContain('Bare-divergence');
      expect(stacks.data?.validator).toBeDefined();
      expect([...stack.operations.alarms.keys()]).toContain('Test-divergence');
    });

    it('never uses metric math (the emulators refuse to deploy it) and every alarm acts through the topic', () => {
      // Prepare
      const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic'));
      // Assess
      expect(alarms().length).toBeGreaterThanOrEqual(10);
      for (const a of alarms()) {
        expect(a.Metrics).toBeUndefined();
        expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(a.OKActions).toEqual([{ Ref: topicId }]);
        expect(a.AlarmDescription).toMatch(/Runbook: \S/);
      }
    });

    it('lists every alarm with a runbook line', () => {
      for (const [name, { runbook }] of stack.operations.alarms)
        expect({ name, runbook: runbook.length > 20 }).toEqual({ name, runbook: true });
    });
  });

  describe('Dashboard', () => {
    it('shows the bridge, the DLQs, the saga outcomes and step latency, routing per capability, divergences and sync', () => {
      // Act
      const body = dashboardBody();
      // Assess
      for (const needle of [
        'Cutover/Bridge',
        'Quarantined',
        'ApproximateNumberOfMessagesVisible',
        'Cutover/Saga',
        'CompensationFailed',
        'Compensated',
        'ExecutionTime',
        'Duration',
        'Cutover/Consistency',
        'Two-way sync: lag (relay left, stream right)',
        'Two-way sync: backlog',
        'Two-way sync: relay and applier errors',
        'Two-way sync: conflicts',
        'RelayLagSeconds',
        'RelayBacklog',
        'ApplyErrors',
        'OpenConflicts',
        'IteratorAge',
      ]) {
        expect({ needle, found: body.includes(needle) }).toEqual({ needle, found: true });
      }
      const plain = body.replace(/\\/g, '');
      expect(plain).toContain('"Cutover/Router","Routed","service","router"');
      // The EMF metrics carry Powertools' `service` dimension: the widgets name it, or they draw nothing.
      expect(plain).toContain('"Cutover/Bridge","Received","Direction","toService","service","bridge"');
      expect(plain).toContain('"Cutover/Saga","CompensationFailed","service","audit-writer"');
      expect(plain).toContain('"Cutover/Routing","RolledBack","service","audit-writer"');
      expect(plain).toContain('"Cutover/Consistency","Divergences","service","audit-writer"');
      for (const capability of Object.keys(spec.routing!.capabilities)) {
        for (const m of ['ErrorRate', 'LatencyMs', 'MismatchRate']) expect(body).toContain(`${capability}.candidate.${m}`);
        expect(body).toContain(`${capability}.legacy.ErrorRate`);
      }
    });
  });

  describe('Sync', () => {
    it("alarms on the relay lag and the stream lag at the spec's lagToleranceSeconds, and on open conflicts", () => {
      // Prepare
      const tolerance = spec.sync!.lagToleranceSeconds ?? 60;
      const byName = new Map(alarms().map((a) => [a.AlarmName, a]));
      // Assess
      expect(byName.get('Test-sync-lag')).toMatchObject({
        Namespace: 'Cutover/Sync',
        MetricName: 'RelayLagSeconds',
        Dimensions: [{ Name: 'service', Value: 'sync' }],
        Statistic: 'Maximum',
        Threshold: tolerance,
        EvaluationPeriods: 3,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(byName.get('Test-sync-stream-lag')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Threshold: tolerance * 1000,
        EvaluationPeriods: 3,
      });
      expect(byName.get('Test-sync-conflicts')).toMatchObject({ MetricName: 'OpenConflicts', Threshold: 0 });
      for (const n of ['Test-sync-lag', 'Test-sync-stream-lag', 'Test-sync-conflicts']) expect(byName.get(n)!.AlarmActions).toHaveLength(1);
      expect(template.findOutputs(OPERATIONS_OUTPUTS.alarmNames)[OPERATIONS_OUTPUTS.alarmNames].Value).toBeDefined();
      expect(dashboardBody()).not.toContain('Not wired into this dashboard');
    });
  });

  describe('Queries', () => {
    it('saves the order-history and errors-by-type queries over every function log group', () => {
      // Prepare
      const defs = Object.values(template.findResources('AWS::Logs::QueryDefinition') as Resources).map((r) => r.Properties!);
      // Assess
      expect(defs.map((d) => d.Name).sort()).toEqual(['Test/errors-by-type', 'Test/order-history-by-correlation-id']);
      for (const d of defs) expect(d.LogGroupNames.length).toBeGreaterThanOrEqual(10);
      expect(defs.find((d) => d.Name === 'Test/errors-by-type')!.QueryString).toContain('stats count(*) as errors by type');
    });
  });

  describe('cdk-nag', () => {
    it('has zero unacknowledged AwsSolutions findings, and every acknowledgement has a reason', () => {
      expect(nagFindings(stack)).toEqual([]);
      for (const a of acknowledgements(stack)) expect(a.reason.length).toBeGreaterThan(20);
      expect(wildcardActions(template)).toEqual([]);
    });
  });
});

describe('Construct: Operations', () => {
  describe('Prop: savedQueries', () => {
    it.each([
      [undefined, 2],
      [false, 0],
    ])('with savedQueries %p saves %p query definitions', (savedQueries, expected) => {
      // Prepare
      const s = new Stack(new App(), 'S');
      // Act
      const ops = new Operations(s, 'Ops', { prefix: 'P', deadLetterQueues: {}, savedQueries });
      // Assess
      expect(Object.keys(Template.fromStack(s).findResources('AWS::Logs::QueryDefinition'))).toHaveLength(expected);
      expect(ops.queries).toHaveLength(expected);
    });
  });

  describe('Method: addSyncWidgets', () => {
    it('adds the sync widgets and the lag and conflicts alarms, once', () => {
      // Prepare
      const s = new Stack(new App(), 'S');
      const ops = new Operations(s, 'Ops', { prefix: 'P', deadLetterQueues: { x: new sqs.Queue(s, 'Q') } });
      const m = (name: string) => new cloudwatch.Metric({ namespace: 'Cutover/Sync', metricName: name, statistic: 'Maximum' });
      // Act
      ops.addSyncWidgets({ lag: m('LagSeconds'), conflicts: m('ConflictsDetected'), lagThreshold: 30 });
      const t = Template.fromStack(s);
      // Assess
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'P-sync-lag',
        MetricName: 'LagSeconds',
        Threshold: 30,
        EvaluationPeriods: 3,
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'P-sync-conflicts', MetricName: 'ConflictsDetected', Threshold: 0 });
      expect(JSON.stringify(t.toJSON())).toContain('Two-way sync: lag');
      expect(() => ops.addSyncWidgets({ lag: m('LagSeconds'), conflicts: m('ConflictsDetected') })).toThrow('sync is wired already');
    });

    it('says in the dashboard that sync is not wired when nobody called it', () => {
      // Prepare
      const s = new Stack(new App(), 'S');
      new Operations(s, 'Ops', { prefix: 'P', deadLetterQueues: {} });
      // Act
      const body = JSON.stringify(Template.fromStack(s).toJSON());
      // Assess
      expect(body).toContain('Not wired into this dashboard');
      expect(
        Template.fromStack(s).findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('sync') } }),
      ).toEqual({});
    });
  });
});
