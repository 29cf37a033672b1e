import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AwsContext } from '../../cli/aws-context';
import { runChaosScenario } from '../../cli/chaos/runner';
import { renderChaosReport } from '../../core/chaos/report';
import { chaosScenario } from '../../core/chaos/scenarios';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

/*
 * The oversell case (reservation TTL): one unit in stock and two orders. The first order's reservation
 * expires while its confirmation is held back; the second order reclaims the unit; the first order's
 * ConfirmReservation then fails with ReservationExpired and the saga refunds it. The unit is sold once.
 * This is `cutover chaos run oversell`, run by the demo with the same runner.
 */
export const oversellScenario: DemoScenario = {
  name: 'oversell',
  title: 'Oversell (reservation TTL): one unit, two orders, an expired reservation refunded rather than sold twice',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const scenario = chaosScenario('oversell')!;
    const { report, sku } = await runChaosScenario(
      scenario,
      {
        context: new AwsContext({}),
        sfn: new SFNClient({}),
        lambda: new LambdaClient({}),
        sqs: new SQSClient({ useQueueUrlAsEndpoint: false }),
      },
      { timeoutSeconds: 240, log: (line) => ctx.log(line) },
    );
    for (const line of renderChaosReport(report).trimEnd().split('\n')) ctx.log(line);
    const completed = report.orders.find((o) => o.outcome === 'completed');
    const refunded = report.orders.find((o) => o.outcome === 'compensated');
    return {
      ok: report.ok,
      summary: [
        `oversell: 1 unit of ${sku}, 2 orders -> ${completed ? `${completed.orderId} completed` : 'none completed'}, ${refunded ? `${refunded.orderId} compensated after ${refunded.error} in ${refunded.failedStep}${refunded.cause ? ` ("${refunded.cause}")` : ''}, undone: ${refunded.compensations.join(', ')}` : 'none compensated'}; ${report.accountedFor ? 'every order accounted for' : 'NOT accounted for'}`,
        ...report.problems.map((p) => `problem: ${p}`),
      ],
    };
  },
};
