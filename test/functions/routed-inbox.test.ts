import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { ComparisonSample, HandlingSample } from '../../adapters/cloudwatch/routing-metrics';
import { ShadowOutcomeStore } from '../../adapters/dynamodb/shadow-outcome-store';
import { ROUTED_DETAIL_TYPE, ROUTER_SOURCE, type RoutingStamp } from '../../core/routing';
import { createRoutedInboxHandler } from '../../functions/routed-inbox/inbox';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { orderCreated, quietLogger, spec } from './routing-fixtures';

/*
 * The reference consumer of the routing inboxes: every copy is taken off the queue through RoutedConsumer
 * (measured, its outcome kept when the other side may have it too), a bad message or a failing
 * implementation is reported as a batch item failure (retried, then redriven), never dropped.
 */
const eb = mockClient(EventBridgeClient);
let db: LocalDynamo;
let tableN = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

function record(messageId: string, orderId: string, stamp: Partial<RoutingStamp>): { messageId: string; body: string } {
  const event = orderCreated(orderId) as { detail: { metadata: Record<string, unknown> } };
  event.detail.metadata.routing = {
    capability: 'inventory',
    side: 'candidate',
    role: 'shadow',
    target: 'inventory-v2',
    mode: 'shadow',
    bucket: 40,
    revision: 2,
    reason: 'mode-shadow',
    version: 2,
    ...stamp,
  } satisfies RoutingStamp;
  return {
    messageId,
    body: JSON.stringify({ id: messageId, source: ROUTER_SOURCE, 'detail-type': ROUTED_DETAIL_TYPE, detail: event.detail }),
  };
}

async function setup(implementations?: Parameters<typeof createRoutedInboxHandler>[0]['implementations']) {
  tableN += 1;
  const tableName = `inbox-outcomes-${tableN}`;
  await db.createTable(tableName, 'pair', 'role');
  const outcomes = new ShadowOutcomeStore({ tableName, client: db.doc });
  const handled: HandlingSample[] = [];
  const compared: ComparisonSample[] = [];
  const handler = createRoutedInboxHandler({
    spec,
    events: { client: new EventBridgeClient({ region: 'us-east-1' }), busName: 'shop-services' },
    outcomes,
    metrics: { publish: async (h, c = []) => void (handled.push(...h), compared.push(...c)) },
    logger: quietLogger(),
    implementations,
  });
  return { handler, outcomes, handled, compared };
}

describe('Function: createRoutedInboxHandler', () => {
  it('takes every copy off the inbox, measures it per side and keeps a shadow outcome, putting nothing on the bus', async () => {
    // Prepare
    const { handler, outcomes, handled } = await setup();

    // Act
    const result = await handler({
      Records: [
        record('m-1', '3000001', {}),
        record('m-2', '3000002', {
          capability: 'payment',
          side: 'legacy',
          role: 'authoritative',
          target: 'monolith',
          reason: 'mode-legacy',
        }),
      ],
    });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(handled.map((h) => `${h.capability}/${h.side}/${h.failed}`)).toEqual(['inventory/candidate/false', 'payment/legacy/false']);
    const eventId = (JSON.parse(record('x', '3000001', {}).body) as { detail: { metadata: { eventId: string } } }).detail.metadata.eventId;
    expect(await outcomes.get('inventory', eventId, 'shadow')).toMatchObject({ target: 'inventory-v2', failed: false, outcomes: [] });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('reports a message that is not a routed copy as a batch item failure and still consumes the rest', async () => {
    // Prepare
    const { handler, handled } = await setup();

    // Act
    const result = await handler({ Records: [{ messageId: 'bad', body: '{not json' }, record('good', '3000003', {})] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(handled).toHaveLength(1);
  });

  it("runs the implementation named for the copy's inbox: its authoritative emits reach the bus, its failures are retried", async () => {
    // Prepare
    const { handler, handled } = await setup({
      'inventory/inventory-v2': async (copy, effects) => {
        if (copy.data.orderId === '3000005') throw new Error('warehouse down');
        effects.emit('inventory.reserved', { orderId: copy.data.orderId });
      },
    });
    const live = { role: 'authoritative' as const, mode: 'primary' as const, reason: 'mode-primary' as const };

    // Act
    const result = await handler({ Records: [record('ok', '3000004', live), record('boom', '3000005', live)] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'boom' }] });
    const put = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(put.map((e) => [e.DetailType, e.Source])).toEqual([['inventory.reserved', 'inventory-v2']]);
    expect(handled.map((h) => h.failed)).toEqual([false, true]);
  });

  it('handles an empty delivery', async () => {
    const { handler } = await setup();
    expect(await handler({})).toEqual({ batchItemFailures: [] });
  });
});
