import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgements, nagFindings } from '../support/infra';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { buildCutoverApp } from '../../lib/app';
import { legacyRulePattern, servicesRulePattern } from '../../lib/constructs/bridge';
import { BRIDGE_OUTPUTS, type BridgeStack } from '../../lib/stacks/bridge-stack';

/*
 * The synthesized bridge: built once for the file, bundling skipped (the handlers are not what is tested
 * here). Every assertion reads the CloudFormation template or the cdk-nag report of the same app.
 */
let spec: Spec;
let app: App;
let stack: BridgeStack;
let template: Template;

beforeAll(() => {
  spec = parseSpec(config);
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = buildCutoverApp(app, { spec, prefix: 'Test', nag: false }).bridge;
  template = Template.fromStack(stack);
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const ofType = (type: string): Resources => template.findResources(type) as Resources;

describe('Stack: BridgeStack', () => {
  describe('Outputs', () => {
    it.each(Object.values(BRIDGE_OUTPUTS))('exports %s under exactly that key', (key) => {
      // Assess
      expect(Object.keys(template.findOutputs(key))).toEqual([key]);
    });
  });

  describe('Buses', () => {
    it('creates the legacy and services buses with the names from the spec', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { Name: spec.buses.legacy });
      template.hasResourceProperties('AWS::Events::EventBus', { Name: spec.buses.services });
    });

    it('exposes the buses and tables for other stacks', () => {
      expect(stack.legacyBus.eventBusName).toBeDefined();
      expect(stack.servicesBus.eventBusName).toBeDefined();
      expect(stack.auditTable).toBe(stack.auditLog.table);
      expect(stack.quarantineTable).toBe(stack.quarantine.table);
    });
  });

  describe('Rules', () => {
    it('feeds the legacy translator with everything the monolith puts, and nothing the bridge puts', () => {
      // Prepare
      const rules = Object.values(ofType('AWS::Events::Rule')).map((r) => r.Properties!);
      const legacy = rules.filter((r) => JSON.stringify(r.EventPattern) === JSON.stringify({ source: [spec.bridge.legacySource] }));

      // Assess
      expect(legacy).toHaveLength(1);
      expect(JSON.stringify(legacy[0].EventPattern)).not.toContain('cutover.bridge"]');
    });

    it('feeds the services translator only with service types that translate to legacy and are not of legacy origin (or lack an envelope)', () => {
      // Prepare
      const expectedTypes = [...new Set(spec.bridge.translations.filter((t) => t.direction !== 'toService').map((t) => t.service))].sort();

      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: [{ 'anything-but': ['cutover.bridge'] }],
          'detail-type': expectedTypes,
          detail: { metadata: { origin: [{ 'anything-but': ['legacy'] }, { exists: false }] } },
        },
      });
    });

    it('has a catch-all audit rule on each bus', () => {
      // Prepare
      const catchAll = Object.values(ofType('AWS::Events::Rule')).filter(
        (r) => JSON.stringify(r.Properties!.EventPattern) === JSON.stringify({ source: [{ prefix: '' }] }),
      );

      // Assess
      expect(catchAll).toHaveLength(2);
      const buses = catchAll.map((r) => JSON.stringify(r.Properties!.EventBusName)).sort();
      expect(new Set(buses).size).toBe(2);
    });

    it('gives every target of every rule a dead-letter queue and a retry policy', () => {
      // Prepare
      const allTargets = Object.entries(ofType('AWS::Events::Rule')).flatMap(([id, r]) =>
        ((r.Properties!.Targets as Array<Record<string, unknown>>) ?? []).map((t) => ({ id, t })),
      );

      // Assess
      expect(allTargets.length).toBeGreaterThanOrEqual(4);
      for (const { id, t } of allTargets) {
        expect({ id, dlq: (t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn !== undefined }).toEqual({ id, dlq: true });
        expect({ id, retry: t.RetryPolicy }).toEqual({
          id,
          retry: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        });
      }
    });

    it('sends what a rule-invoked function finally fails on to a queue too (async invoke on-failure destination)', () => {
      // Prepare: the audit functions read queues (their failures go by redrive, see Audit pipeline)
      const functions = Object.keys(ofType('AWS::Lambda::Function'));
      const queueFed = new Set(
        Object.values(ofType('AWS::Lambda::EventSourceMapping')).map((m) => JSON.stringify(m.Properties!.FunctionName)),
      );
      const ruleInvoked = functions.filter((id) => !queueFed.has(JSON.stringify({ Ref: id })));
      const configs = Object.values(ofType('AWS::Lambda::EventInvokeConfig')).map((c) => c.Properties!);

      // Assess
      expect([functions.length, ruleInvoked.length]).toEqual([5, 2]);
      expect(configs.map((c) => JSON.stringify(c.FunctionName)).sort()).toEqual(
        ruleInvoked.map((id) => JSON.stringify({ Ref: id })).sort(),
      );
      for (const c of configs) {
        expect(c.DestinationConfig).toEqual({ OnFailure: { Destination: expect.anything() } });
        expect(c.MaximumRetryAttempts).toBe(2);
      }
    });
  });

  describe('Queues', () => {
    it('encrypts every queue and refuses plain HTTP', () => {
      // Prepare
      const queues = ofType('AWS::SQS::Queue');
      const policies = Object.values(ofType('AWS::SQS::QueuePolicy')).map((p) => JSON.stringify(p.Properties));

      // Assess
      // The bridge DLQ; the audit log's two DLQs, its ordered queue and one intake queue per bus.
      expect(Object.keys(queues).length).toBe(6);
      for (const [id, q] of Object.entries(queues)) {
        expect({ id, sse: q.Properties?.SqsManagedSseEnabled ?? q.Properties?.KmsMasterKeyId }).toEqual({ id, sse: expect.anything() });
        expect(policies.some((p) => p.includes(id) && p.includes('aws:SecureTransport'))).toBe(true);
      }
    });
  });

  describe('Audit pipeline', () => {
    const logicalId = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);
    const ref = (c: unknown) => ({ 'Fn::GetAtt': [logicalId(c), 'Arn'] });

    it('makes the ordered queue FIFO, deduplicated by the id the sequencer sets, per stream group, with a FIFO DLQ', () => {
      // Prepare
      const queues = ofType('AWS::SQS::Queue');
      const ordered = queues[logicalId(stack.auditLog.queue)].Properties!;
      const dlq = queues[logicalId(stack.auditLog.orderedDeadLetterQueue)].Properties!;

      // Assess
      expect(ordered).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        RedrivePolicy: { deadLetterTargetArn: ref(stack.auditLog.orderedDeadLetterQueue), maxReceiveCount: 5 },
      });
      expect(dlq.FifoQueue).toBe(true);
    });

    it('sends each bus catch-all to that bus intake queue, with a DLQ, and redrives the intake queue to it too', () => {
      // Prepare
      const rules = ofType('AWS::Events::Rule');
      const queues = ofType('AWS::SQS::Queue');

      // Assess
      for (const label of ['legacy', 'services']) {
        const rule = rules[logicalId(stack.auditLog.rules[label])].Properties!;
        const [target] = rule.Targets as Array<Record<string, unknown>>;
        expect(target.Arn).toEqual(ref(stack.auditLog.intakeQueues[label]));
        // A standard queue: EventBridge could only give a FIFO target one fixed group for every stream.
        expect(target.SqsParameters).toBeUndefined();
        expect(target.DeadLetterConfig).toEqual({ Arn: ref(stack.auditLog.deadLetterQueue) });
        const intake = queues[logicalId(stack.auditLog.intakeQueues[label])].Properties!;
        expect(intake.FifoQueue).toBeUndefined();
        expect(intake.RedrivePolicy).toEqual({ deadLetterTargetArn: ref(stack.auditLog.deadLetterQueue), maxReceiveCount: 5 });
      }
    });

    it('feeds the writer from the ordered queue in batches of ten reporting item failures, the sequencers from the intakes', () => {
      // Prepare
      const mappings = Object.values(ofType('AWS::Lambda::EventSourceMapping')).map((m) => m.Properties!);
      const mappingOf = (queue: unknown) => mappings.find((m) => JSON.stringify(m.EventSourceArn) === JSON.stringify(ref(queue)));

      // Assess
      expect(mappingOf(stack.auditLog.queue)).toMatchObject({
        FunctionName: { Ref: logicalId(stack.auditLog.writer) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      for (const label of ['legacy', 'services'])
        expect(mappingOf(stack.auditLog.intakeQueues[label])).toMatchObject({
          FunctionName: { Ref: logicalId(stack.auditLog.sequencers[label]) },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        });
    });

    it('tells each sequencer its bus and the ordered queue, and lets it send there', () => {
      // Prepare
      const fns = ofType('AWS::Lambda::Function');

      // Assess
      for (const label of ['legacy', 'services']) {
        const env = (fns[logicalId(stack.auditLog.sequencers[label])].Properties!.Environment as { Variables: Record<string, unknown> })
          .Variables;
        expect(env).toMatchObject({ AUDIT_BUS: label, AUDIT_QUEUE_URL: { Ref: logicalId(stack.auditLog.queue) } });
      }
      const policies = JSON.stringify(ofType('AWS::IAM::Policy'));
      expect(policies).toContain('sqs:SendMessage');
    });
  });

  describe('Tables', () => {
    it.each([
      ['audit', 'stream'],
      ['quarantine', 'reason'],
    ])('the %s table has PITR, encryption, pay-per-request and is retained (partition key %s)', (_name, pk) => {
      // Prepare
      const tables = template.findResources('AWS::DynamoDB::Table', {
        Properties: { KeySchema: Match.arrayWith([{ AttributeName: pk, KeyType: 'HASH' }]) },
      }) as Record<string, { DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties: Record<string, unknown> }>;

      // Assess
      expect(Object.keys(tables)).toHaveLength(1);
      const table = Object.values(tables)[0];
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: pk, KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    });
  });

  describe('IAM', () => {
    type Statement = { Effect: string; Action: string | string[]; Resource?: unknown };
    const statements = (): Array<{ where: string; s: Statement }> => {
      const out: Array<{ where: string; s: Statement }> = [];
      for (const type of ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::SQS::QueuePolicy']) {
        for (const [id, r] of Object.entries(ofType(type))) {
          const docs: Array<{ Statement?: Statement[] }> = [];
          const p = r.Properties ?? {};
          if (p.PolicyDocument) docs.push(p.PolicyDocument as { Statement?: Statement[] });
          for (const inline of (p.Policies as Array<{ PolicyDocument: { Statement?: Statement[] } }>) ?? [])
            docs.push(inline.PolicyDocument);
          for (const doc of docs) for (const s of doc.Statement ?? []) out.push({ where: `${type} ${id}`, s });
        }
      }
      return out;
    };
    const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

    it('allows no wildcard action anywhere (Deny statements such as TLS-only may use one)', () => {
      // Prepare
      const allows = statements().filter(({ s }) => s.Effect === 'Allow');

      // Assess
      expect(allows.length).toBeGreaterThan(0);
      const wild = allows.flatMap(({ where, s }) =>
        actions(s)
          .filter((a) => a.includes('*'))
          .map((a) => `${where}: ${a}`),
      );
      expect(wild).toEqual([]);
    });

    it('uses Resource "*" only for the X-Ray actions the IAM5 acknowledgement names', () => {
      // Prepare
      const star = statements().filter(
        ({ s }) => s.Effect === 'Allow' && (s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))),
      );

      // Assess
      expect(star.length).toBeGreaterThan(0);
      for (const { where, s } of star) {
        expect({ where, actions: actions(s).sort() }).toEqual({ where, actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'] });
      }
    });

    it('grants nothing that can delete or rewrite audit entries', () => {
      // Prepare
      const auditTableId = stack.getLogicalId(stack.auditTable.node.defaultChild as never);
      const onAudit = statements().filter(({ s }) => s.Effect === 'Allow' && JSON.stringify(s.Resource ?? '').includes(auditTableId));

      // Assess
      expect(onAudit.length).toBeGreaterThan(0);
      const granted = new Set(onAudit.flatMap(({ s }) => actions(s)));
      for (const forbidden of [
        'dynamodb:DeleteItem',
        'dynamodb:UpdateItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteTable',
        'dynamodb:UpdateTable',
      ]) {
        expect(granted.has(forbidden)).toBe(false);
      }
      expect([...granted].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    });

    it('lets no stack of the app delete or update audit entries (grants by other stacks included)', () => {
      // Prepare: other stacks reach the table through an import whose name carries its logical id
      const auditTableId = stack.getLogicalId(stack.auditTable.node.defaultChild as never);
      const granted: string[] = [];
      for (const s of app.node.children.filter((c): c is Stack => c instanceof Stack)) {
        const t = s === stack ? template : Template.fromStack(s);
        for (const [, r] of Object.entries(t.findResources('AWS::IAM::Policy') as Resources)) {
          for (const st of (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement ?? []) {
            if (st.Effect === 'Allow' && JSON.stringify(st.Resource ?? '').includes(auditTableId))
              granted.push(...actions(st).map((a) => `${s.stackName}: ${a}`));
          }
        }
      }

      // Assess
      expect(granted.length).toBeGreaterThan(0);
      expect(
        granted.filter((g) =>
          /dynamodb:(DeleteItem|UpdateItem|BatchWriteItem|PartiQLDelete|PartiQLUpdate|DeleteTable|UpdateTable|\*)$/.test(g),
        ),
      ).toEqual([]);
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

    it('would report a finding that is not acknowledged (the check can fail)', () => {
      // Prepare: an unencrypted queue in a scratch stack of the same app type
      const scratch = new Stack(new App(), 'Scratch');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sqs = require('aws-cdk-lib/aws-sqs') as typeof import('aws-cdk-lib/aws-sqs');
      new sqs.Queue(scratch, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });

      // Act
      const report = new AwsSolutionsChecks().validateScope(scratch);

      // Assess
      expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS4']));
    });
  });
});

describe('Function: legacyRulePattern', () => {
  it('refuses a legacy source equal to the bridge source, naming the field', () => {
    // Prepare
    const bad = { ...spec, bridge: { ...spec.bridge, legacySource: 'cutover.bridge' } };

    // Act / Assess
    expect(() => legacyRulePattern(bad)).toThrow(/bridge\.legacySource/);
  });
});

describe('Function: servicesRulePattern', () => {
  it('is undefined when no translation goes to legacy (EventBridge refuses an empty list)', () => {
    // Prepare
    const oneWay = {
      ...spec,
      bridge: { ...spec.bridge, translations: spec.bridge.translations.map((t) => ({ ...t, direction: 'toService' as const })) },
    };

    // Act / Assess
    expect(servicesRulePattern(oneWay)).toBeUndefined();
    expect(servicesRulePattern(spec)).toBeDefined();
  });
});
