import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AwsContext } from '../../cli/aws-context';
import { sagaCallbackCommand } from '../../cli/commands/saga';
import { carrierDispatchEntry, newOrderId, newSku, sampleOrder as order, waitingFor as waitingForTask } from './saga-driver';
import { loadE2eContext, sdkConfig, stackOutput, waitFor, type E2eContext } from './harness';
import type { OutputKey } from '../../core/contract';

/*
 * The order saga on MiniStack, driven like a user: orders placed, the carrier answering (or not), the
 * reference monolith answering the payment step through the real bridge. Sagas run in parallel (started in
 * beforeAll): each costs a few Lambda cold starts on the emulator.
 *
 * The shipping timeout runs on a copy of the deployed definition with ScheduleShipping's TimeoutSeconds cut
 * to 15 s (the deployed one waits three days for the carrier); MiniStack enforces a callback task's
 * TimeoutSeconds but not HeartbeatSeconds, so the heartbeat is covered by the definition tests only.
 */

const SAGA_TIMEOUT_MS = 240_000;

interface Outcome {
  readonly status: string;
  readonly output?: Record<string, unknown>;
  readonly error?: string;
}

let ctx: E2eContext;
let sfn: SFNClient;
let doc: DynamoDBDocumentClient;
let events: EventBridgeClient;
let out: (key: OutputKey) => string;
let copyArn: string | undefined;
const skuOf = () => newSku();

async function seed(sku: string, available: number): Promise<void> {
  await doc.send(new PutCommand({ TableName: out('InventoryTableName'), Item: { pk: `SKU#${sku}`, sku, available, holds: {} } }));
}

async function stock(sku: string): Promise<{ available: number; holds: Record<string, number> }> {
  const item = (await doc.send(new GetCommand({ TableName: out('InventoryTableName'), Key: { pk: `SKU#${sku}` }, ConsistentRead: true })))
    .Item!;
  return { available: Number(item.available), holds: item.holds as Record<string, number> };
}

async function start(stateMachineArn: string, o: Record<string, unknown>): Promise<string> {
  const res = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: String(o.orderId), input: JSON.stringify({ order: o }) }));
  return res.executionArn!;
}

async function ended(executionArn: string, what: string): Promise<Outcome> {
  return waitFor(
    async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status === 'RUNNING') return undefined;
      return { status: d.status!, output: d.output ? (JSON.parse(d.output) as Record<string, unknown>) : undefined, error: d.error };
    },
    { what, timeoutMs: SAGA_TIMEOUT_MS, intervalMs: 1_000 },
  );
}

async function waitingFor(orderId: string, action: string): Promise<void> {
  await waitingForTask(doc, out('SagaCallbacksTableName'), orderId, action, SAGA_TIMEOUT_MS);
}

async function carrierDispatches(orderId: string): Promise<void> {
  const res = await events.send(new PutEventsCommand({ Entries: [carrierDispatchEntry(out('ServicesBusName'), orderId)] }));
  expect(res.FailedEntryCount).toBe(0);
}

// The scenarios run concurrently; each test awaits its own.
const scenarios: Record<string, { orderId: string; sku: string; outcome: Promise<Outcome> }> = {};

beforeAll(async () => {
  ctx = loadE2eContext();
  sfn = new SFNClient(sdkConfig(ctx.endpoint));
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(ctx.endpoint)), { marshallOptions: { removeUndefinedValues: true } });
  events = new EventBridgeClient(sdkConfig(ctx.endpoint));
  out = (key) => stackOutput(ctx, key);
  const sagaArn = out('OrderSagaArn');

  // A copy of the deployed saga whose carrier wait lasts 15 s instead of three days.
  const deployed = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: sagaArn }));
  const definition = JSON.parse(deployed.definition!) as { States: Record<string, Record<string, unknown>> };
  definition.States.ScheduleShipping.TimeoutSeconds = 15;
  delete definition.States.ScheduleShipping.HeartbeatSeconds;
  copyArn = (
    await sfn.send(
      new CreateStateMachineCommand({
        name: `${deployed.name}-e2e-${Date.now()}`,
        definition: JSON.stringify(definition),
        roleArn: deployed.roleArn!,
        type: 'STANDARD',
      }),
    )
  ).stateMachineArn!;

  const launch = async (name: string, o: Record<string, unknown>, arn: string, then?: () => Promise<void>) => {
    const sku = (o.lines as Array<{ sku: string }>)[0].sku;
    await seed(sku, 10);
    const executionArn = await start(arn, o);
    const outcome = (async () => {
      if (then) await then();
      return ended(executionArn, `the ${name} saga (order ${String(o.orderId)}) to end`);
    })();
    outcome.catch(() => undefined);
    scenarios[name] = { orderId: String(o.orderId), sku, outcome };
  };

  const happy = newOrderId();
  await launch('happy', order(happy, skuOf()), sagaArn, async () => {
    await waitingFor(happy, 'ScheduleShipping');
    await carrierDispatches(happy);
  });
  await launch('declined', order(newOrderId(), skuOf(), { customerId: 'C99999' }), sagaArn);
  await launch('timeout', order(newOrderId(), skuOf()), copyArn);
  const byOperator = newOrderId();
  await launch('operator', order(byOperator, skuOf()), sagaArn, async () => {
    await waitingFor(byOperator, 'ScheduleShipping');
    const code = await sagaCallbackCommand(
      byOperator,
      {
        success: true,
        table: out('SagaCallbacksTableName'),
        output: JSON.stringify({ shipmentId: `SHP${byOperator}`, carrier: 'dhl', confirmedBy: 'warehouse phone call' }),
      },
      { context: new AwsContext({}, { dynamo: doc }), sfn, stdout: () => undefined, stderr: (t) => process.stderr.write(t) },
    );
    expect(code).toBe(0);
  });
}, 120_000);

afterAll(async () => {
  if (copyArn) await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: copyArn })).catch(() => undefined);
});

describe('e2e: the order saga on MiniStack', () => {
  it(
    'completes an order: payment by the monolith through the bridge, shipping confirmed by the carrier days later (here: seconds)',
    async () => {
      // Act
      const { orderId, sku, outcome } = scenarios.happy;
      const result = await outcome;

      // Assess
      expect(result.status).toBe('SUCCEEDED');
      expect(result.output).toMatchObject({
        outcome: 'completed',
        results: {
          ProcessPayment: { replyType: 'payment.captured', paymentId: expect.stringMatching(/^PAY/) },
          ScheduleShipping: { status: 'dispatched' },
        },
      });
      // The monolith really took the money (its own table), and the stock left with the parcel.
      const monolith = await doc.send(
        new GetCommand({ TableName: out('ReferenceMonolithTableName'), Key: { pk: `PAY#${orderId}` }, ConsistentRead: true }),
      );
      expect(monolith.Item).toMatchObject({ status: 'captured', amountCents: '2598' });
      await waitFor(async () => (await stock(sku)).available === 8 && Object.keys((await stock(sku)).holds).length === 0, {
        what: `stock of ${sku} to be 8 with no holds`,
        timeoutMs: 30_000,
      });
      const state = await doc.send(new GetCommand({ TableName: out('SagaStateTableName'), Key: { orderId }, ConsistentRead: true }));
      expect(state.Item).toMatchObject({ sagaState: 'completed' });
    },
    SAGA_TIMEOUT_MS + 30_000,
  );

  it(
    'undoes an order whose card the monolith declines: the stock goes back, nothing is charged',
    async () => {
      // Act
      const { orderId, sku, outcome } = scenarios.declined;
      const result = await outcome;

      // Assess
      expect(result.output).toMatchObject({
        outcome: 'compensated',
        failedStep: 'ProcessPayment',
        failure: { Error: 'CardDeclined' },
        compensations: { ReleaseInventory: { status: 'released' }, CancelOrder: { status: 'cancelled' } },
      });
      expect(Object.keys(result.output!.compensations as object)).toEqual(['ReleaseInventory', 'CancelOrder']);
      expect(await stock(sku)).toEqual({ available: 10, holds: {} });
      const monolith = await doc.send(
        new GetCommand({ TableName: out('ReferenceMonolithTableName'), Key: { pk: `PAY#${orderId}` }, ConsistentRead: true }),
      );
      expect(monolith.Item).toBeUndefined();
    },
    SAGA_TIMEOUT_MS + 30_000,
  );

  it(
    'undoes an order the carrier never confirms: the wait times out, the shipment is cancelled and the payment refunded by the monolith',
    async () => {
      // Act
      const { orderId, sku, outcome } = scenarios.timeout;
      const result = await outcome;

      // Assess
      expect(result.output).toMatchObject({ outcome: 'compensated', failedStep: 'ScheduleShipping', failure: { Error: 'States.Timeout' } });
      expect(Object.keys(result.output!.compensations as object)).toEqual([
        'CancelShipment',
        'RefundPayment',
        'ReleaseInventory',
        'CancelOrder',
      ]);
      expect(result.output!.compensations).toMatchObject({ RefundPayment: { replyType: 'payment.refunded', amount: '25.98' } });
      const shipment = await doc.send(new GetCommand({ TableName: out('ShipmentsTableName'), Key: { orderId }, ConsistentRead: true }));
      expect(shipment.Item).toMatchObject({ status: 'cancelled' });
      const monolith = await doc.send(
        new GetCommand({ TableName: out('ReferenceMonolithTableName'), Key: { pk: `PAY#${orderId}` }, ConsistentRead: true }),
      );
      expect(monolith.Item).toMatchObject({ status: 'refunded' });
      expect(await stock(sku)).toEqual({ available: 10, holds: {} });
    },
    SAGA_TIMEOUT_MS + 30_000,
  );

  it(
    'lets an operator answer the carrier wait with `cutover saga callback <orderId> --success`',
    async () => {
      // Act
      const { orderId, outcome } = scenarios.operator;
      const result = await outcome;

      // Assess
      expect(result.output).toMatchObject({ outcome: 'completed', results: { ScheduleShipping: { confirmedBy: 'warehouse phone call' } } });
      const entry = await doc.send(
        new GetCommand({ TableName: out('SagaCallbacksTableName'), Key: { orderId, action: 'ScheduleShipping' }, ConsistentRead: true }),
      );
      expect(entry.Item).toMatchObject({ outcome: 'success', settledBy: 'cli' });
    },
    SAGA_TIMEOUT_MS + 30_000,
  );

  it(
    'starts one saga for an order the monolith placed, even when ORDER_PLACED arrives twice',
    async () => {
      // Prepare
      const orderNo = newOrderId();
      const sku = skuOf();
      await seed(sku, 10);
      const placed = {
        MSG_ID: `MSG-E2E-${orderNo}`,
        ORDER_NO: orderNo,
        CUST_NO: 'C00042',
        ORDER_DT: '20261121 143000',
        TOTAL_CENTS: '1299',
        CURRENCY: 'EUR',
        CHANNEL: 'WEB',
        COUPON_CODE: '',
        LINES: [{ LINE_NO: '1', SKU: sku, QTY: '1', UNIT_PRICE_CENTS: '1299' }],
        SHIP_ADDR: { STREET: '12 Harbour Lane', CITY: 'Bristol', ZIP: 'BS1 4QA', COUNTRY: 'GB' },
      };
      const entry = {
        EventBusName: out('LegacyBusName'),
        Source: 'shop.monolith',
        DetailType: 'ORDER_PLACED',
        Detail: JSON.stringify(placed),
      };

      // Act
      await events.send(new PutEventsCommand({ Entries: [entry] }));
      await events.send(new PutEventsCommand({ Entries: [entry] }));
      await waitingFor(orderNo, 'ScheduleShipping');
      await carrierDispatches(orderNo);
      const executionArn = `${out('OrderSagaArn').replace(':stateMachine:', ':execution:')}:${orderNo}`;
      const result = await ended(executionArn, `the saga of monolith order ${orderNo} to end`);

      // Assess
      expect(result.output).toMatchObject({ outcome: 'completed', orderId: orderNo });
      expect(await stock(sku)).toEqual({ available: 9, holds: {} });
      // The second start found the saga running and did nothing: nothing reached the dead-letter queue.
      const sqs = new SQSClient(sdkConfig(ctx.endpoint));
      const dlq = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: out('SagaDlqUrl'), AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');
    },
    SAGA_TIMEOUT_MS * 2,
  );
});
