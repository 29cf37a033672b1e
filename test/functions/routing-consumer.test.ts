import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { ROUTED_DETAIL_TYPE, ROUTER_SOURCE, type RoutingStamp } from '../../core/routing';
import { NotARoutedCopyError, RoutedConsumer, parseRoutedCopy, type Implementation } from '../../functions/shared/routed-consumer';
import type { ComparisonSample, HandlingSample } from '../../adapters/cloudwatch/routing-metrics';
import { ShadowOutcomeStore } from '../../adapters/dynamodb/shadow-outcome-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { orderCreated, quietLogger, spec } from './routing-fixtures';

/*
 * Shadow isolation, proved at the adapter every implementation runs behind: only an authoritative copy's
 * outcome events reach the bus; a shadow copy's are kept for comparison and nothing else. The comparison
 * runs once per event whichever side records second, and feeds the candidate's mismatch rate.
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
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
});

/** An SQS record carrying a routed copy of order.created for `orderId`, as the inbox delivers it. */
function routedRecord(orderId: string, stamp: Partial<RoutingStamp>): { body: string } {
  const event = orderCreated(orderId) as { detail: { metadata: Record<string, unknown> } };
  const full: RoutingStamp = {
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
  };
  event.detail.metadata.routing = full;
  return { body: JSON.stringify({ id: `r-${orderId}`, source: ROUTER_SOURCE, 'detail-type': ROUTED_DETAIL_TYPE, detail: event.detail }) };
}

async function consumerPair(): Promise<{
  monolith: RoutedConsumer;
  candidate: RoutedConsumer;
  handled: HandlingSample[];
  compared: ComparisonSample[];
}> {
  tableN += 1;
  const tableName = `outcomes-${tableN}`;
  await db.createTable(tableName, 'pair', 'role');
  const outcomes = new ShadowOutcomeStore({ tableName, client: db.doc });
  const handled: HandlingSample[] = [];
  const compared: ComparisonSample[] = [];
  const metrics = {
    publish: async (h: readonly HandlingSample[], c: readonly ComparisonSample[] = []) => void (handled.push(...h), compared.push(...c)),
  };
  let t = 0;
  const common = {
    spec,
    capability: 'inventory',
    events: { client: new EventBridgeClient({ region: 'us-east-1' }), busName: 'shop-services' },
    outcomes,
    metrics,
    logger: quietLogger(),
    clock: () => (t += 5),
  };
  return {
    monolith: new RoutedConsumer({ ...common, target: 'monolith', producer: 'shop.monolith-adapter' }),
    candidate: new RoutedConsumer({ ...common, target: 'inventory-v2', producer: 'inventory-v2' }),
    handled,
    compared,
  };
}

/** A toy inventory: reserves with a reservation id derived from the order; `warehouse` differs per side. */
const reserve =
  (warehouse: string): Implementation =>
  async (copy, effects) => {
    effects.emit('inventory.reserved', {
      orderId: copy.data.orderId,
      reservationId: `RSV${copy.data.orderId}`,
      warehouse,
      expiresAt: '2026-11-21T15:30:00Z',
      items: [{ sku: 'MUG-0001', quantity: 2 }],
    });
  };

const putTypes = (): string[] =>
  eb.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => `${e.Source}:${e.DetailType}`));

describe('Class: RoutedConsumer', () => {
  describe('Method: handle', () => {
    it("puts an authoritative copy's outcome events on the bus, linked to the event that caused them", async () => {
      // Prepare
      const { monolith } = await consumerPair();

      // Act
      const result = await monolith.handle(
        routedRecord('2100001', { side: 'legacy', role: 'authoritative', target: 'monolith' }),
        reserve('BRS1'),
      );

      // Assess
      expect(result).toMatchObject({ status: 'handled', role: 'authoritative', published: 1, withheld: 0 });
      const entry = eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
      const detail = JSON.parse(entry.Detail!);
      expect(entry).toMatchObject({ Source: 'shop.monolith-adapter', DetailType: 'inventory.reserved', EventBusName: 'shop-services' });
      expect(detail.metadata).toMatchObject({ correlationId: 'order-2100001', causationId: expect.any(String), origin: 'service' });
      expect(detail.data.reservationId).toBe('RSV2100001');
    });

    it("never lets a shadow copy's outcome events reach the bus, and tells the implementation to use its shadow namespace", async () => {
      // Prepare
      const { candidate } = await consumerPair();
      let namespace: string | undefined;

      // Act
      const result = await candidate.handle(routedRecord('2100002', { role: 'shadow' }), async (copy, effects) => {
        namespace = effects.namespace;
        await reserve('LON2')(copy, effects);
      });

      // Assess
      expect(result).toMatchObject({ status: 'handled', role: 'shadow', published: 0, withheld: 1 });
      expect(namespace).toBe('shadow');
      expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    });

    it('property: whatever the mix of roles, the bus only ever carries outcomes of authoritative copies', async () => {
      const { monolith, candidate } = await consumerPair();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom('authoritative', 'shadow'), { minLength: 1, maxLength: 6 }), async (roles) => {
          eb.resetHistory();
          let authoritative = 0;
          for (const role of roles) {
            n += 1;
            const orderId = String(2_200_000 + n);
            if (role === 'authoritative') authoritative += 1;
            const onCandidate = n % 2 === 0;
            const stamp = onCandidate
              ? { role: role as 'authoritative', side: 'candidate' as const, target: 'inventory-v2' }
              : { role: role as 'shadow', side: 'legacy' as const, target: 'monolith' };
            await (onCandidate ? candidate : monolith).handle(routedRecord(orderId, stamp), reserve('BRS1'));
          }
          expect(putTypes()).toHaveLength(authoritative);
        }),
        { numRuns: 15 },
      );
    });

    it('compares the two sides once, whichever records second, and reports a mismatch under the candidate', async () => {
      // Prepare
      const { monolith, candidate, compared, handled } = await consumerPair();
      const legacyCopy = routedRecord('2100003', { side: 'legacy', role: 'authoritative', target: 'monolith' });
      const shadowCopy = routedRecord('2100003', { role: 'shadow' });

      // Act: the shadow finishes first, then the monolith; then the shadow copy is redelivered
      const first = await candidate.handle(shadowCopy, reserve('LON2'));
      const second = await monolith.handle(legacyCopy, reserve('BRS1'));
      const redelivered = await candidate.handle(shadowCopy, reserve('LON2'));

      // Assess
      expect(first.comparison).toBeUndefined();
      expect(second.comparison).toEqual({ mismatched: true, summary: 'differed: inventory.reserved warehouse "BRS1" != "LON2"' });
      expect(redelivered.comparison?.mismatched).toBe(true);
      expect(compared).toEqual([{ capability: 'inventory', mismatched: true }]);
      expect(handled.map((h) => `${h.side}:${h.failed}`)).toEqual(['candidate:false', 'legacy:false', 'candidate:false']);
    });

    it('reports a match when both sides agree', async () => {
      const { monolith, candidate, compared } = await consumerPair();
      await monolith.handle(routedRecord('2100004', { side: 'legacy', role: 'authoritative', target: 'monolith' }), reserve('BRS1'));
      const res = await candidate.handle(routedRecord('2100004', { role: 'shadow' }), reserve('BRS1'));
      expect(res.comparison).toEqual({ mismatched: false, summary: 'matched' });
      expect(compared).toEqual([{ capability: 'inventory', mismatched: false }]);
    });

    it('measures a failure, records it for comparison, and rethrows so the inbox retries it', async () => {
      // Prepare
      const { candidate, handled } = await consumerPair();
      const boom: Implementation = async () => {
        throw Object.assign(new Error('db timeout'), { name: 'TimeoutError' });
      };

      // Act
      const attempt = candidate.handle(routedRecord('2100005', { role: 'authoritative', mode: 'canary', reason: 'canary-in' }), boom);

      // Assess
      await expect(attempt).rejects.toThrow('db timeout');
      expect(handled).toEqual([{ capability: 'inventory', side: 'candidate', failed: true, latencyMs: 5 }]);
      expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    });

    it('keeps no outcome for an authoritative copy nobody shadows (legacy mode, a canary key)', async () => {
      const { monolith, candidate } = await consumerPair();
      const a = await monolith.handle(
        routedRecord('2100007', { side: 'legacy', role: 'authoritative', target: 'monolith', mode: 'legacy', reason: 'mode-legacy' }),
        reserve('BRS1'),
      );
      const b = await candidate.handle(
        routedRecord('2100008', { role: 'authoritative', mode: 'canary', reason: 'canary-in' }),
        reserve('BRS1'),
      );
      const shadowLate = await candidate.handle(routedRecord('2100007', { role: 'shadow' }), reserve('BRS1'));
      expect([a.comparison, b.comparison, shadowLate.comparison]).toEqual([undefined, undefined, undefined]);
    });

    it('ignores a copy stamped for another target', async () => {
      const { candidate } = await consumerPair();
      const res = await candidate.handle(routedRecord('2100006', { target: 'inventory-v1' }), reserve('X'));
      expect(res).toMatchObject({ status: 'ignored', why: 'stamped for inventory/inventory-v1' });
    });
  });
});

describe('Function: parseRoutedCopy', () => {
  it.each([
    [{ body: '{not json' }, 'SQS body is not JSON'],
    [{ 'detail-type': 'order.created', detail: {} }, 'detail-type: expected cutover.routed, got "order.created"'],
    [
      { 'detail-type': ROUTED_DETAIL_TYPE, detail: { metadata: { eventId: 'x', eventType: 'order.created', version: 1 }, data: {} } },
      'metadata.routing: a routing stamp with role and target is required',
    ],
  ])('refuses %j, naming what is wrong', (raw, message) => {
    expect(() => parseRoutedCopy(raw)).toThrow(NotARoutedCopyError);
    expect(() => parseRoutedCopy(raw)).toThrow(message);
  });
});
