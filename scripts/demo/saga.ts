import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AwsContext } from '../../cli/aws-context';
import { sagaCallbackCommand } from '../../cli/commands/saga';
import { summarizeHistory, type HistoryEvent } from '../../core/saga/status';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

/*
 * The order saga, three orders: one goes through (payment taken by the monolith through the bridge, the
 * carrier confirms), one whose card the monolith declines (everything before it is undone), and one whose
 * shipment waits for the carrier until an operator answers with `cutover saga callback`.
 */

const WAIT_MS = 240_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const sagaScenario: DemoScenario = {
  name: 'saga',
  title: 'The order saga: a completed order, a declined card, a shipment answered by a callback',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const sfn = new SFNClient({});
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const events = new EventBridgeClient({});
    const sagaArn = ctx.output('OrderSagaArn');
    const executionArn = (id: string) => `${sagaArn.replace(':stateMachine:', ':execution:')}:${id}`;
    const sku = 'DEM-0001';
    await doc.send(
      new PutCommand({ TableName: ctx.output('InventoryTableName'), Item: { pk: `SKU#${sku}`, sku, available: 100, holds: {} } }),
    );
    const base = 80_000_000 + (Date.now() % 1_000_000) * 10;
    const order = (n: number, customerId = 'C00042') => ({
      orderId: String(base + n),
      customerId,
      placedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      amount: { total: '25.98', currency: 'EUR' },
      channel: 'web',
      lines: [{ lineNo: 1, sku, quantity: 2, unitPrice: '12.99' }],
      shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
    });
    const start = async (o: ReturnType<typeof order>) =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: sagaArn, name: o.orderId, input: JSON.stringify({ order: o }) }));
    const waitsForShipping = (id: string) =>
      until(
        `order ${id} to wait for the carrier`,
        async () =>
          (
            await doc.send(
              new GetCommand({ TableName: ctx.output('SagaCallbacksTableName'), Key: { orderId: id, action: 'ScheduleShipping' } }),
            )
          ).Item,
      );
    const end = (id: string) =>
      until(`the saga of order ${id} to end`, async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(id) }));
        return d.status === 'RUNNING' ? undefined : d;
      });
    const story = async (id: string) => {
      const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn(id), maxResults: 1000 }));
      const s = summarizeHistory((h.events ?? []).map((e) => ({ ...e, type: String(e.type), timestamp: e.timestamp! }) as HistoryEvent));
      return s.actions
        .map((a) => `${a.kind === 'compensation' ? 'undo ' : ''}${a.id} ${a.status}${a.error ? ` (${a.error})` : ''}`)
        .join(', ');
    };
    const summary: string[] = [];
    let ok = true;

    const happy = order(1);
    const declined = order(2, 'C99999');
    const waiting = order(3);
    ctx.log(
      `starting three sagas: ${happy.orderId} (happy), ${declined.orderId} (card declined), ${waiting.orderId} (the carrier takes its time)`,
    );
    await Promise.all([start(happy), start(declined), start(waiting)]);

    // 1. The carrier confirms the happy order as soon as shipping asks.
    await waitsForShipping(happy.orderId);
    ctx.log(`${happy.orderId}: payment captured by the monolith through the bridge; shipping booked, the carrier confirms`);
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: ctx.output('ServicesBusName'),
            Source: 'carrier.dpd',
            DetailType: 'shipment.dispatched',
            Detail: JSON.stringify({
              metadata: {
                eventId: `demo-carrier-${happy.orderId}`,
                eventType: 'shipment.dispatched',
                version: 1,
                correlationId: `order-${happy.orderId}`,
                origin: 'service',
                producer: 'carrier.dpd',
                occurredAt: new Date().toISOString(),
                entity: { type: 'order', key: happy.orderId },
              },
              data: {
                orderId: happy.orderId,
                shipmentId: `SHP${happy.orderId}`,
                carrier: 'dpd',
                trackingNumber: `TRK${happy.orderId}`,
                parcels: 1,
                dispatchedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
              },
            }),
          },
        ],
      }),
    );
    const h = await end(happy.orderId);
    const hOut = h.output ? (JSON.parse(h.output) as { outcome?: string }) : {};
    ctx.log(`${happy.orderId}: ${hOut.outcome} — ${await story(happy.orderId)}`);
    summary.push(`order ${happy.orderId}: ${hOut.outcome}`);
    ok &&= hOut.outcome === 'completed';

    // 2. The monolith declines the card: the reservation is released and the order cancelled.
    const d = await end(declined.orderId);
    const dOut = d.output ? (JSON.parse(d.output) as { outcome?: string; failure?: { Error?: string } }) : {};
    ctx.log(`${declined.orderId}: ${dOut.outcome} after ${dOut.failure?.Error} — ${await story(declined.orderId)}`);
    summary.push(`order ${declined.orderId}: ${dOut.outcome} (${dOut.failure?.Error})`);
    ok &&= dOut.outcome === 'compensated' && dOut.failure?.Error === 'CardDeclined';

    // 3. A long wait: the execution sits in ScheduleShipping (a Standard workflow waiting costs nothing)
    //    until an operator (or the carrier) answers.
    await waitsForShipping(waiting.orderId);
    ctx.log(
      `${waiting.orderId}: waiting for the carrier (up to three days, heartbeat daily); an operator answers: cutover saga callback ${waiting.orderId} --success`,
    );
    const code = await sagaCallbackCommand(
      waiting.orderId,
      {
        success: true,
        table: ctx.output('SagaCallbacksTableName'),
        output: JSON.stringify({ shipmentId: `SHP${waiting.orderId}`, confirmedBy: 'warehouse phone call' }),
      },
      { context: new AwsContext({}, { dynamo: doc }), sfn, stdout: (t) => ctx.log(t.trim()), stderr: (t) => ctx.log(t.trim()) },
    );
    const w = await end(waiting.orderId);
    const wOut = w.output ? (JSON.parse(w.output) as { outcome?: string }) : {};
    ctx.log(`${waiting.orderId}: ${wOut.outcome} — ${await story(waiting.orderId)}`);
    summary.push(`order ${waiting.orderId}: ${wOut.outcome} after the operator's callback`);
    ok &&= code === 0 && wOut.outcome === 'completed';

    const stock = (
      await doc.send(new GetCommand({ TableName: ctx.output('InventoryTableName'), Key: { pk: `SKU#${sku}` }, ConsistentRead: true }))
    ).Item;
    summary.push(`stock of ${sku}: ${String(stock?.available)} left of 100 (two orders of 2 shipped, the declined one's released)`);
    return { ok, summary };
  },
};
