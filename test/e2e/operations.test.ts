/**
 * Operations on MiniStack, as an operator would meet them: `cutover status` flags a dead-letter queue that
 * holds a message, `cutover readiness` says NO-GO with the reasons on a fresh deployment, and an operations
 * alarm acts through the SNS topic.
 *
 * What MiniStack cannot show: it evaluates alarms only when a metric is put, and it does not turn EMF log
 * lines into metrics, so the alarm test puts the divergence count the audit writer's EMF line would make on
 * AWS. Alarms on AWS's own metrics (SQS depth, Step Functions) are checked in the infra tier.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsContext } from '../../cli/aws-context';
import { readinessCommand, sourcesFromOutputs, statusCommand } from '../../cli/commands/operations';
import type { OperationsSources } from '../../cli/operations/gather';
import { CONSISTENCY_METRIC_NAMESPACE, COUNTED_EVENTS_SERVICE, SERVICE_DIMENSION } from '../../core/operations/metrics';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { loadE2eContext, sdkConfig, stackOutput, waitFor, type E2eContext } from './harness';

jest.setTimeout(180_000);

let ctx: E2eContext;
let sources: OperationsSources;
let sqs: SQSClient;
let cw: CloudWatchClient;

beforeAll(async () => {
  ctx = loadE2eContext();
  const cfg = sdkConfig(ctx.endpoint);
  sqs = new SQSClient({ ...cfg, useQueueUrlAsEndpoint: false });
  cw = new CloudWatchClient(cfg);
  const prefix = Object.keys(ctx.outputs)
    .find((s) => s.endsWith('-Operations'))!
    .replace(/-Operations$/, '');
  const context = new AwsContext(
    { prefix },
    { cloudFormation: new CloudFormationClient(cfg), dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(cfg)) },
  );
  sources = await sourcesFromOutputs(parseSpec(config), context, {}, [], { cloudWatch: cw, sqs });
});

async function run(
  command: (io: { sources: OperationsSources; stdout: (t: string) => void; stderr: (t: string) => void }) => Promise<number>,
): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await command({ sources, stdout: (t) => void (out += t), stderr: (t) => void (out += t) });
  return { code, out };
}

describe('cutover status (deployed)', () => {
  it('lists every capability and every dead-letter queue, and flags one that holds a message', async () => {
    // Prepare
    const urls = JSON.parse(stackOutput(ctx, 'DeadLetterQueueUrls')) as Record<string, string>;
    expect(Object.keys(urls)).toEqual(expect.arrayContaining(['bridge-bridge', 'bridge-auditlog', 'saga-ordersaga', 'routing-router']));
    const url = urls['saga-ordersaga'];
    await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ e2e: 'operations', at: new Date().toISOString() }) }),
    );
    try {
      // Act
      const { code, out } = await waitFor(
        async () => {
          const r = await run((io) => statusCommand({ window: 60 }, io));
          return /saga-ordersaga\s+\d+ waiting.*<- look here/.test(r.out) ? r : undefined;
        },
        { timeoutMs: 30_000, what: 'the saga DLQ flagged in cutover status' },
      );
      // Assess
      expect(code).toBe(0);
      for (const capability of Object.keys(config.routing!.capabilities))
        expect(out).toMatch(new RegExp(`^${capability}\\s+(legacy|shadow|canary|primary|retired)\\s`, 'm'));
      expect(out).toMatch(/^dead-letter queues: \d+ of \d+ NOT EMPTY$/m);
      // The sync stack is deployed: status reads it (its lag, or why there is none), never "not deployed".
      expect(out).not.toContain('two-way sync is not deployed');
    } finally {
      // Leave the queue as it was: take our message back out.
      for (let i = 0; i < 5; i++) {
        const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of got.Messages ?? [])
          if (m.Body?.includes('"e2e":"operations"'))
            await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
        if ((got.Messages ?? []).length === 0) break;
      }
    }
  });
});

describe('cutover readiness (deployed)', () => {
  it('says NO-GO with exit 1 and names what is missing, never counting an absent part as fine', async () => {
    // Act
    const { code, out } = await run((io) => readinessCommand('inventory', { json: true }, io));
    // Assess
    expect(code).toBe(1);
    const v = JSON.parse(out) as { verdict: string; checks: Array<{ id: string; outcome: string; evidence: string }> };
    expect(v.verdict).toBe('NO-GO');
    expect(v.checks.find((c) => c.id === 'backfill')).toMatchObject({ outcome: 'missing' });
    // The deployed parts were read: quarantine and saga are judged on evidence, not missing.
    expect(v.checks.find((c) => c.id === 'quarantine')!.outcome).not.toBe('missing');
    expect(v.checks.find((c) => c.id === 'saga')!.outcome).not.toBe('missing');
  });

  it("judges sync on the lag the relay published and the ledger's open conflicts of the capability's entities", async () => {
    // Prepare: what the relay Lambda publishes after a run (Powertools EMF on AWS; put directly here).
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Cutover/Sync',
        MetricData: [{ MetricName: 'RelayLagSeconds', Dimensions: [{ Name: 'service', Value: 'sync' }], Value: 2, Unit: 'Seconds' }],
      }),
    );
    // Act
    const { out } = await waitFor(
      async () => {
        const r = await run((io) => readinessCommand('inventory', { json: true }, io));
        const sync = (JSON.parse(r.out) as { checks: Array<{ id: string; outcome: string }> }).checks.find((c) => c.id === 'sync');
        return sync?.outcome !== 'missing' ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the sync check judged on evidence' },
    );
    // Assess
    const sync = (JSON.parse(out) as { checks: Array<{ id: string; outcome: string; observed: string }> }).checks.find(
      (c) => c.id === 'sync',
    )!;
    expect(['pass', 'fail']).toContain(sync.outcome);
    expect(sync.observed).toMatch(/^lag \d+(\.\d+)? s, \d+ open conflict\(s\)$/);
  });
});

describe('operations alarms (deployed)', () => {
  it('every alarm publishes to the operations topic, and the divergence alarm fires when divergences are counted', async () => {
    // Prepare
    const topic = stackOutput(ctx, 'OperationsAlarmTopicArn');
    const names = JSON.parse(stackOutput(ctx, 'OperationsAlarmNames')) as string[];
    const divergence = names.find((n) => n.endsWith('-divergence'))!;
    const described = await cw.send(new DescribeAlarmsCommand({ AlarmNames: names }));
    expect((described.MetricAlarms ?? []).map((a) => a.AlarmName).sort()).toEqual([...names].sort());
    for (const a of described.MetricAlarms ?? []) expect(a.AlarmActions).toEqual([topic]);
    // Start from OK, so the ALARM below can only come from the datum this test puts.
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: divergence, StateValue: 'OK', StateReason: 'e2e: start of the divergence alarm test' }),
    );
    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: [divergence] }))).MetricAlarms?.[0]?.StateValue).toBe('OK');
    try {
      // Act: on AWS the audit writer's EMF line makes this datum; MiniStack needs it put.
      await cw.send(
        new PutMetricDataCommand({
          Namespace: CONSISTENCY_METRIC_NAMESPACE,
          // The dimension set the audit writer's Powertools EMF line carries, which the alarm reads.
          MetricData: [
            {
              MetricName: 'Divergences',
              Dimensions: [{ Name: SERVICE_DIMENSION, Value: COUNTED_EVENTS_SERVICE }],
              Value: 1,
              Unit: 'Count',
            },
          ],
        }),
      );
      // Assess
      await waitFor(
        async () => {
          const r = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [divergence] }));
          return r.MetricAlarms?.[0]?.StateValue === 'ALARM' ? true : undefined;
        },
        { timeoutMs: 60_000, what: `${divergence} in ALARM` },
      );
    } finally {
      await cw.send(
        new SetAlarmStateCommand({ AlarmName: divergence, StateValue: 'OK', StateReason: 'e2e: reset after the divergence alarm test' }),
      );
    }
  });
});
