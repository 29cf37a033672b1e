import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { acknowledgements, nagFindings } from '../support/infra';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { captureRulePattern, capturedLegacyTypes, REPLAY_OUTCOME_PATTERN } from '../../lib/constructs/capture';
import { BridgeStack } from '../../lib/stacks/bridge-stack';
import { REPLAY_OUTPUTS, ReplayStack } from '../../lib/stacks/replay-stack';

/*
 * The synthesized replay stack (capture, replay, compare): built once for the file next to a bridge stack,
 * bundling skipped. Every assertion reads the CloudFormation template or the cdk-nag report.
 */
let spec: Spec;
let stack: ReplayStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const bridge = new BridgeStack(app, 'Test-Bridge', { spec });
  stack = new ReplayStack(app, 'Test-Replay', {
    spec,
    legacyBus: bridge.legacyBus,
    servicesBus: bridge.servicesBus,
    referenceCandidate: true,
  });
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
const ofType = (type: string): Resources => template.findResources(type) as Resources;
const resolve = (v: unknown) => JSON.stringify(stack.resolve(v));

describe('Stack: ReplayStack', () => {
  describe('Outputs', () => {
    it.each(Object.values(REPLAY_OUTPUTS))('exports %s under exactly that key', (key) => {
      expect(Object.keys(template.findOutputs(key))).toEqual([key]);
    });

    it('names the reference candidate as the inventory target', () => {
      // Prepare
      const targets = template.findOutputs(REPLAY_OUTPUTS.replayTargets)[REPLAY_OUTPUTS.replayTargets].Value as unknown;

      // Assess
      expect(JSON.stringify(targets)).toContain('inventory');
      expect(JSON.stringify(targets)).toContain(stack.getLogicalId(stack.candidate!.node.defaultChild as lambda.CfnFunction));
    });
  });

  describe('Capture rule', () => {
    it('matches the monolith source and exactly the captured legacy types', () => {
      // Prepare
      const types = capturedLegacyTypes(spec);

      // Assess
      expect(types).toEqual([
        'CUSTOMER_UPDATED',
        'ORDER_CANCELLED',
        'ORDER_PLACED',
        'PAYMENT_CAPTURED',
        'PAYMENT_DECLINED',
        'SHIPMENT_DISPATCHED',
        'STOCK_REJECTED',
        'STOCK_RESERVED',
      ]);
      template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: [spec.bridge.legacySource], 'detail-type': types } });
    });

    it('has no rule when nothing is captured (EventBridge refuses an empty list)', () => {
      // Prepare
      const none = { ...spec, capture: { ...spec.capture!, events: { ORDER_PLACED: { capture: false } } } } as Spec;

      // Act / Assess
      expect(captureRulePattern(none)).toBeUndefined();
      expect(captureRulePattern(spec)).toBeDefined();
    });

    it('collects replay outcomes from the shadow bus only: events carrying a replay mark', () => {
      // Prepare
      const outcomeRules = Object.values(ofType('AWS::Events::Rule')).filter(
        (r) =>
          JSON.stringify(r.Properties!.EventPattern) ===
          JSON.stringify({ detail: { metadata: { replay: { replayId: [{ exists: true }] } } } }),
      );

      // Assess
      expect(REPLAY_OUTCOME_PATTERN).toBeDefined();
      expect(outcomeRules).toHaveLength(1);
      expect(resolve(outcomeRules[0].Properties!.EventBusName)).toContain(
        stack.getLogicalId(stack.replay.shadowBus.node.defaultChild as never),
      );
    });

    it('starts replays from replay.requested on the services bus', () => {
      template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'detail-type': ['replay.requested'] } });
    });
  });

  describe('Delivery', () => {
    it('gives every target of every rule a dead-letter queue and a retry policy', () => {
      // Prepare
      const allTargets = Object.entries(ofType('AWS::Events::Rule')).flatMap(([id, r]) =>
        ((r.Properties!.Targets as Array<Record<string, unknown>>) ?? []).map((t) => ({ id, t })),
      );

      // Assess
      expect(allTargets).toHaveLength(3);
      for (const { id, t } of allTargets) {
        expect({ id, dlq: (t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn !== undefined }).toEqual({ id, dlq: true });
        expect({ id, retry: t.RetryPolicy }).toEqual({
          id,
          retry: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        });
      }
    });

    it('drains every work queue through a Lambda event source that reports item failures, and redrives to a DLQ', () => {
      // Prepare
      const queues = ofType('AWS::SQS::Queue');
      const mappings = Object.values(ofType('AWS::Lambda::EventSourceMapping')).map((m) => m.Properties!);
      const work = Object.entries(queues).filter(([, q]) => q.Properties?.RedrivePolicy !== undefined);

      // Assess
      expect(work).toHaveLength(3);
      expect(mappings).toHaveLength(3);
      for (const m of mappings) expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      for (const [id, q] of work)
        expect({ id, max: (q.Properties!.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount }).toEqual({ id, max: 3 });
      // The replay queue hands out one message at a time: one slice per invocation.
      expect(mappings.map((m) => m.BatchSize).sort()).toEqual([1, 10, 10]);
    });

    it('encrypts every queue and refuses plain HTTP', () => {
      // Prepare
      const queues = ofType('AWS::SQS::Queue');
      const policies = Object.values(ofType('AWS::SQS::QueuePolicy')).map((p) => JSON.stringify(p.Properties));

      // Assess
      expect(Object.keys(queues)).toHaveLength(5);
      for (const [id, q] of Object.entries(queues)) {
        expect({ id, sse: q.Properties?.SqsManagedSseEnabled }).toEqual({ id, sse: true });
        expect({ id, tls: policies.some((p) => p.includes(id) && p.includes('aws:SecureTransport')) }).toEqual({ id, tls: true });
      }
    });

    it('makes the replay queue outlast the longest slice (a message comes back only when its invocation died)', () => {
      // Prepare
      const fn = Object.values(ofType('AWS::Lambda::Function')).find((f) =>
        JSON.stringify(f.Properties!.Environment ?? {}).includes('REPLAY_SLICE_SECONDS'),
      )!;
      const replayQueue = ofType('AWS::SQS::Queue')[stack.getLogicalId(stack.replay.queue.node.defaultChild as never)];
      const slice = Number((fn.Properties!.Environment as { Variables: Record<string, string> }).Variables.REPLAY_SLICE_SECONDS);

      // Assess
      expect(fn.Properties!.Timeout).toBe(slice + 60);
      expect(replayQueue.Properties!.VisibilityTimeout).toBeGreaterThan(fn.Properties!.Timeout as number);
    });
  });

  describe('Tables', () => {
    const tables = () => Object.entries(ofType('AWS::DynamoDB::Table'));

    it('has the captured, state and report tables, each with PITR, encryption and pay-per-request', () => {
      // Assess
      expect(tables()).toHaveLength(3);
      for (const [id, t] of tables()) {
        expect({ id, pitr: t.Properties!.PointInTimeRecoverySpecification }).toEqual({ id, pitr: { PointInTimeRecoveryEnabled: true } });
        expect({ id, sse: t.Properties!.SSESpecification }).toEqual({ id, sse: { SSEEnabled: true } });
        expect({ id, billing: t.Properties!.BillingMode }).toEqual({ id, billing: 'PAY_PER_REQUEST' });
      }
    });

    it('keys captured events as core/replay/captured-keys.ts says, with the byTime index and the expiresAt TTL', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'byTime',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
          }),
        ],
      });
    });

    it('keys replay state by replayId and reports by replayId + sk', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'replayId', KeyType: 'HASH' }] });
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'replayId', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      });
    });
  });

  describe('IAM', () => {
    type Statement = { Effect: string; Action: string | string[]; Resource?: unknown };
    const statements = (): Array<{ where: string; s: Statement }> => {
      const out: Array<{ where: string; s: Statement }> = [];
      for (const type of ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::SQS::QueuePolicy']) {
        for (const [id, r] of Object.entries(ofType(type))) {
          const p = r.Properties ?? {};
          const docs: Array<{ Statement?: Statement[] }> = [];
          if (p.PolicyDocument) docs.push(p.PolicyDocument as { Statement?: Statement[] });
          for (const inline of (p.Policies as Array<{ PolicyDocument: { Statement?: Statement[] } }>) ?? [])
            docs.push(inline.PolicyDocument);
          for (const doc of docs) for (const s of doc.Statement ?? []) out.push({ where: `${type} ${id}`, s });
        }
      }
      return out;
    };
    const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
    const policyOf = (fn: lambda.Function) =>
      statements().filter(({ where }) =>
        where.includes(stack.getLogicalId(fn.role!.node.findChild('DefaultPolicy').node.defaultChild as never)),
      );

    it('allows no wildcard action anywhere', () => {
      // Prepare
      const allows = statements().filter(({ s }) => s.Effect === 'Allow');

      // Assess
      expect(allows.length).toBeGreaterThan(0);
      expect(
        allows.flatMap(({ where, s }) =>
          actions(s)
            .filter((a) => a.includes('*'))
            .map((a) => `${where}: ${a}`),
        ),
      ).toEqual([]);
    });

    it('lets the replay invoke only its targets, and the candidate put events only on the shadow bus', () => {
      // Prepare
      const replayInvoke = policyOf(stack.replay.function).filter(({ s }) => actions(s).includes('lambda:InvokeFunction'));
      const candidatePut = policyOf(stack.candidate!).filter(({ s }) => actions(s).includes('events:PutEvents'));

      // Assess
      expect(replayInvoke).toHaveLength(1);
      expect(JSON.stringify(replayInvoke[0].s.Resource)).toContain(stack.getLogicalId(stack.candidate!.node.defaultChild as never));
      expect(candidatePut).toHaveLength(1);
      expect(JSON.stringify(candidatePut[0].s.Resource)).toContain(stack.getLogicalId(stack.replay.shadowBus.node.defaultChild as never));
    });

    it('gives capture write-only access to captured events (no read, update or delete)', () => {
      // Prepare
      const tableId = stack.getLogicalId(stack.capture.table.node.defaultChild as never);
      const onCaptured = policyOf(stack.capture.function).filter(({ s }) => JSON.stringify(s.Resource ?? '').includes(tableId));

      // Assess
      expect(onCaptured.flatMap(({ s }) => actions(s)).sort()).toEqual(['dynamodb:PutItem']);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has zero unacknowledged findings', () => {
      // Act
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
  it('adds the replay stack when the spec has a capture section', async () => {
    // Prepare
    const { buildCutoverApp } = await import('../../lib/app');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });

    // Act
    const stacks = buildCutoverApp(app, { spec, prefix: 'Wiring', nag: false });

    // Assess
    expect(stacks.replay).toBeInstanceOf(ReplayStack);
    expect(stacks.replay!.stackName).toBe('Wiring-Replay');
    expect(Stack.of(stacks.replay!.candidate!).stackName).toBe('Wiring-Replay');
  });
});
