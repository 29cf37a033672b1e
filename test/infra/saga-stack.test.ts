import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { acknowledgements, nagFindings } from '../support/infra';
import { buildSagaDefinition, substitute, SUBSTITUTION_KEYS, usedSubstitutions } from '../../core/saga/asl';
import { buildSagaPlan } from '../../core/saga/plan';
import { parseSpec, type Spec } from '../../core/spec';
import '../../core/saga';
import config from '../../cutover.config';
import { buildCutoverApp } from '../../lib/app';
import { legacyCommandTypes } from '../../lib/constructs/order-saga';
import { SAGA_OUTPUTS, type SagaStack } from '../../lib/stacks/saga-stack';

/*
 * The synthesized saga stack: built once for the file, bundling skipped. The definition in the template
 * is the core builder's, with the ARNs and names left to CloudFormation's definition substitutions.
 */
let spec: Spec;
let stack: SagaStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = buildCutoverApp(app, { spec, prefix: 'Test', nag: false }).saga!;
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const ofType = (type: string): Resources => template.findResources(type) as Resources;
const stateMachine = () => Object.values(ofType('AWS::StepFunctions::StateMachine'))[0].Properties!;

describe('Stack: SagaStack', () => {
  describe('Outputs', () => {
    it.each(Object.values(SAGA_OUTPUTS))('exports %s under exactly that key', (key) => {
      expect(Object.keys(template.findOutputs(key))).toEqual([key]);
    });
  });

  describe('State machine', () => {
    it('is a Standard workflow with tracing and logging, execution data kept out of the logs', () => {
      // Prepare
      const sm = stateMachine();

      // Assess
      expect(sm.StateMachineType).toBe('STANDARD');
      expect(sm.TracingConfiguration).toEqual({ Enabled: true });
      expect(sm.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    });

    it("carries the core builder's definition, with a substitution for every placeholder it uses", () => {
      // Prepare
      const sm = stateMachine();
      const expected = buildSagaDefinition(buildSagaPlan(spec.saga!));

      // Assess
      expect(JSON.parse(sm.DefinitionString as string)).toEqual(expected);
      expect(Object.keys(sm.DefinitionSubstitutions as object).sort()).toEqual(usedSubstitutions(expected).sort());
      // Substituting every key leaves no placeholder behind.
      const filled = substitute(expected, Object.fromEntries(SUBSTITUTION_KEYS.map((k) => [k, `x-${k}`])));
      expect(JSON.stringify(filled)).not.toMatch(/\$\{[A-Za-z]+\}/);
    });

    it('is named after the stack, so SendTask* can be granted without a reference cycle', () => {
      expect(stateMachine().StateMachineName).toBe('Test-Saga-order-saga');
    });
  });

  describe('Rules', () => {
    const rules = () => Object.values(ofType('AWS::Events::Rule')).map((r) => r.Properties!);

    it('gives every target a dead-letter queue and a retry policy', () => {
      for (const rule of rules()) {
        for (const t of rule.Targets as Array<Record<string, unknown>>) {
          expect({ rule: rule.Description, dlq: !!t.DeadLetterConfig, retry: !!t.RetryPolicy }).toEqual({
            rule: rule.Description,
            dlq: true,
            retry: true,
          });
        }
      }
    });

    it('starts sagas on the order event, never on a replay', () => {
      const start = rules().find((r) => JSON.stringify(r.EventPattern ?? {}).includes(spec.saga!.orderEvent))!;
      expect(start.EventPattern).toEqual({ 'detail-type': ['order.created'], detail: { metadata: { replay: [{ exists: false }] } } });
    });

    it("sends the monolith's replies to saga-callback and the carrier's answers to shipping", () => {
      const patterns = rules().map((r) => JSON.stringify(r.EventPattern ?? {}));
      expect(patterns).toContain(
        JSON.stringify({
          'detail-type': [
            'inventory.rejected',
            'inventory.released',
            'inventory.reserved',
            'payment.captured',
            'payment.declined',
            'payment.refunded',
          ],
        }),
      );
      expect(patterns).toContain(JSON.stringify({ 'detail-type': ['shipment.dispatched'] }));
    });

    it("hears the saga's legacy commands for the reference monolith, only as the bridge put them", () => {
      expect(legacyCommandTypes(spec)).toEqual([
        'CAPTURE_PAYMENT_REQUESTED',
        'REFUND_PAYMENT_REQUESTED',
        'RELEASE_STOCK_REQUESTED',
        'RESERVE_STOCK_REQUESTED',
      ]);
      const monolith = rules().find((r) => JSON.stringify(r.EventPattern ?? {}).includes('CAPTURE_PAYMENT_REQUESTED'))!;
      expect(monolith.EventPattern).toEqual({ source: ['cutover.bridge'], 'detail-type': legacyCommandTypes(spec) });
    });
  });

  it('sweeps carrier heartbeats four times per heartbeat interval', () => {
    const sweep = Object.values(ofType('AWS::Events::Rule'))
      .map((r) => r.Properties!)
      .find((r) => r.ScheduleExpression)!;
    expect(sweep.ScheduleExpression).toBe('rate(6 hours)');
    expect((sweep.Targets as Array<{ Input: string }>)[0].Input).toBe('{"action":"heartbeat"}');
  });

  describe('Tables', () => {
    it('encrypts every table and keeps point-in-time recovery', () => {
      const tables = ofType('AWS::DynamoDB::Table');
      // The eight service and saga tables, the reference monolith, and the carrier webhook's event ids.
      expect(Object.keys(tables)).toHaveLength(10);
      for (const [id, t] of Object.entries(tables)) {
        expect({ id, sse: t.Properties?.SSESpecification, pitr: t.Properties?.PointInTimeRecoverySpecification }).toEqual({
          id,
          sse: { SSEEnabled: true },
          pitr: { PointInTimeRecoveryEnabled: true },
        });
      }
    });
  });

  describe('IAM', () => {
    it('grants no action with a wildcard', () => {
      for (const [id, p] of Object.entries(ofType('AWS::IAM::Policy'))) {
        const statements = (p.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement;
        for (const s of statements)
          for (const a of [s.Action].flat()) expect({ id, action: a, star: a.includes('*') }).toEqual({ id, action: a, star: false });
      }
    });

    it('lets the state machine write only its own tables and the services bus, and invoke only the saga functions', () => {
      const smRole = Object.entries(ofType('AWS::IAM::Policy')).find(([id]) => id.includes('StateMachineRole'))![1];
      const actions = (smRole.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement.flatMap((s) =>
        [s.Action].flat(),
      );
      expect(new Set(actions)).toEqual(
        new Set([
          'lambda:InvokeFunction',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'events:PutEvents',
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ]),
      );
    });
  });

  describe('Alarm', () => {
    it('leaves the CompensationFailed alarm to the operations stack (one alarm, with an action)', () => {
      // The operations stack alarms on ExecutionsFailed and publishes to the on-call topic; a second,
      // action-less alarm here would only be a duplicate nobody hears.
      expect(Object.keys(ofType('AWS::CloudWatch::Alarm'))).toEqual([]);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has zero unacknowledged findings', () => {
      expect(nagFindings(stack)).toEqual([]);
    });

    it('has a written reason for every acknowledgement', () => {
      const acks = acknowledgements(stack);
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) expect({ ...a, long: a.reason.trim().length >= 40 }).toEqual({ ...a, long: true });
    });
  });
});
