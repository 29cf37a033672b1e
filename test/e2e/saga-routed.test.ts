import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { randomInt } from 'node:crypto';
import { bucketOf } from '../../core/routing/bucket';
import type { OutputKey } from '../../core/contract';
import { carrierDispatchEntry, sampleOrder, waitingFor } from './saga-driver';
import { loadE2eContext, sdkConfig, stackOutput, waitFor, type E2eContext } from './harness';

/*
 * A routed ProcessPayment on MiniStack: the payment capability in a 50% canary (seeded by the spec), two
 * orders on opposite sides of it. The order whose bucket is below 50 is charged by the payment service, the
 * other by the reference monolith through the bridge; each saga completes and the decision is in its history.
 *
 * It needs a deployment of the routed spec, so it runs only when that is what was deployed:
 *   CUTOVER_CONFIG=test/fixtures/specs/routed-payment.config.ts CUTOVER_E2E_STACKS=Cutover-Bridge,Cutover-Routing,Cutover-Saga \
 *     npx jest test/e2e/saga-routed.test.ts --selectProjects e2e --runInBand
 */

const ROUTED = (process.env.CUTOVER_CONFIG ?? '').includes('routed-payment');
const SAGA_TIMEOUT_MS = 240_000;

let ctx: E2eContext;
let sfn: SFNClient;
let doc: DynamoDBDocumentClient;
let events: EventBridgeClient;
let out: (key: OutputKey) => string;

function orderIdOn(side: 'service' | 'monolith'): string {
  for (;;) {
    const id = String(randomInt(60_000_000, 99_999_999));
    if (bucketOf(id) < 50 === (side === 'service')) return id;
  }
}

async function carrierDispatches(orderId: string): Promise<void> {
  const res = await events.send(new PutEventsCommand({ Entries: [carrierDispatchEntry(out('ServicesBusName'), orderId)] }));
  expect(res.FailedEntryCount).toBe(0);
}

/** Runs one saga to its end, answering for the carrier once the shipping step waits. */
async function runSaga(orderId: string, sku: string): Promise<{ status: string; executionArn: string }> {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: out('OrderSagaArn'),
      name: orderId,
      input: JSON.stringify({ order: sampleOrder(orderId, sku) }),
    }),
  );
  await waitingFor(doc, out('SagaCallbacksTableName'), orderId, 'ScheduleShipping', SAGA_TIMEOUT_MS);

  await carrierDispatches(orderId);
  const status = await waitFor(
    async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === 'RUNNING' ? undefined : d.status;
    },
    { what: `saga of ${orderId} to end`, timeoutMs: SAGA_TIMEOUT_MS, intervalMs: 1_000 },
  );
  return { status: status!, executionArn: executionArn! };
}

/** Names of the states the execution entered. */
async function entered(executionArn: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    for (const e of page.events ?? []) if (e.stateEnteredEventDetails?.name) names.push(e.stateEnteredEventDetails.name);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

(ROUTED ? describe : describe.skip)('E2E: a routed ProcessPayment at 50% on MiniStack', () => {
  beforeAll(() => {
    ctx = loadE2eContext();
    sfn = new SFNClient(sdkConfig(ctx.endpoint));
    doc = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(ctx.endpoint)));
    events = new EventBridgeClient(sdkConfig(ctx.endpoint));
    out = (key) => stackOutput(ctx, key);
  });

  it('charges one order through the payment service and the other through the monolith, each saga completing', async () => {
    // Prepare
    const sku = `RT-${String(randomInt(10_000)).padStart(4, '0')}`;
    await doc.send(new PutCommand({ TableName: out('InventoryTableName'), Item: { pk: `SKU#${sku}`, sku, available: 10, holds: {} } }));
    const onService = orderIdOn('service');
    const onMonolith = orderIdOn('monolith');

    // Act
    const [a, b] = await Promise.all([runSaga(onService, sku), runSaga(onMonolith, sku)]);

    // Assess
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const charged = async (orderId: string) => ({
      service:
        (await doc.send(new GetCommand({ TableName: out('PaymentsTableName'), Key: { orderId }, ConsistentRead: true }))).Item?.status ??
        'none',
      monolith:
        (
          await doc.send(
            new GetCommand({ TableName: out('ReferenceMonolithTableName'), Key: { pk: `PAY#${orderId}` }, ConsistentRead: true }),
          )
        ).Item?.status ?? 'none',
    });
    expect(await charged(onService)).toEqual({ service: 'captured', monolith: 'none' });
    expect(await charged(onMonolith)).toEqual({ service: 'none', monolith: 'captured' });
    const [pathA, pathB] = await Promise.all([entered(a.executionArn), entered(b.executionArn)]);
    expect(pathA).toEqual(expect.arrayContaining(['Route ProcessPayment', 'ProcessPayment']));
    expect(pathA).not.toContain('ProcessPayment Via Monolith');
    expect(pathB).toEqual(expect.arrayContaining(['Route ProcessPayment', 'ProcessPayment Via Monolith']));
    expect(pathB).not.toContain('ProcessPayment');
  }, 600_000);
});
