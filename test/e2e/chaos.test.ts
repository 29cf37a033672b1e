import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsContext } from '../../cli/aws-context';
import { runChaosScenario } from '../../cli/chaos/runner';
import { chaosScenario } from '../../core/chaos/scenarios';
import { loadE2eContext, sdkConfig, stackOutput, type E2eContext } from './harness';

/*
 * `cutover chaos run oversell` on MiniStack: one unit in stock, two orders, reservations expiring after a
 * few seconds and the first order's confirmation held past its expiry. The runner sets the faults with
 * UpdateFunctionConfiguration, so this also shows the emulator applies (and the runner restores) them.
 */

let ctx: E2eContext;
let clients: { context: AwsContext; sfn: SFNClient; lambda: LambdaClient; sqs: SQSClient };

beforeAll(() => {
  ctx = loadE2eContext();
  const cfg = sdkConfig(ctx.endpoint);
  const prefix = Object.keys(ctx.outputs)
    .find((s) => s.endsWith('-Saga'))!
    .replace(/-Saga$/, '');
  clients = {
    context: new AwsContext(
      { prefix },
      {
        cloudFormation: new CloudFormationClient(cfg),
        dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(cfg)),
        eventBridge: new EventBridgeClient(cfg),
      },
    ),
    sfn: new SFNClient(cfg),
    lambda: new LambdaClient(cfg),
    sqs: new SQSClient({ ...cfg, useQueueUrlAsEndpoint: false }),
  };
});

describe('cutover chaos run (deployed)', () => {
  it('oversell: one order completes, the other is refunded after its reservation expired, the unit is sold once, and the faults are removed', async () => {
    // Prepare
    const scenario = chaosScenario('oversell')!;
    const functions = JSON.parse(stackOutput(ctx, 'SagaReferenceFunctions')) as Record<string, string>;
    const envOf = async (name: string) =>
      (await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Environment?.Variables ?? {};
    const before = await envOf(functions.inventory);
    const lines: string[] = [];

    // Act
    const { report } = await runChaosScenario(scenario, clients, { timeoutSeconds: 240, log: (l) => lines.push(l) });

    // Assess
    if (!report.ok) process.stderr.write(`${JSON.stringify(report, null, 1)}\n${lines.join('\n')}\n`);
    expect({ ok: report.ok, problems: report.problems }).toEqual({ ok: true, problems: [] });
    expect(report.totals).toMatchObject({ completed: 1, compensated: 1, stuck: 0, lost: 0 });
    const refunded = report.orders.find((o) => o.outcome === 'compensated')!;
    expect(refunded.failedStep).toBe('ConfirmReservation');
    // MiniStack reports every Lambda error as Runtime.HandlerError (README, "What the emulators cannot show").
    expect(['ReservationExpired', 'Runtime.HandlerError']).toContain(refunded.error);
    expect(refunded.cause).toMatch(/reservation RSV\d+ is (expired|reserved and expired)/);
    expect(refunded.compensations).toEqual(expect.arrayContaining(['RefundPayment', 'ReleaseInventory', 'CancelOrder']));
    expect(await envOf(functions.inventory)).toEqual(before);
  }, 420_000);
});
