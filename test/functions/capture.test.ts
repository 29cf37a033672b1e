import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { Capturer } from '../../functions/capture/handler';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { busEvent, orderFixture, orderPlaced, sqsMessage, sqsRecord, stockReserved } from './replay-fixtures';
import { startReplayTables, type ReplayTables } from './replay-dynalite';

/*
 * The capture function against dynalite: masking, TTL, keys and linking, translation of outcomes, replay
 * outcome collection, and per-record failure reporting.
 */
let spec: Spec;
let t: ReplayTables;
let capturer: Capturer;
let store: CapturedStore;
let reports: ReportStore;

const SENT = Date.parse('2026-11-21T14:30:00.123Z');

async function partition(pk: string): Promise<Record<string, unknown>[]> {
  const out = await t.db.doc.send(
    new QueryCommand({ TableName: t.captured, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }),
  );
  return out.Items ?? [];
}

beforeAll(async () => {
  spec = parseSpec(config);
  t = await startReplayTables();
  store = new CapturedStore({ tableName: t.captured, client: t.db.doc });
  reports = new ReportStore({ tableName: t.reports, client: t.db.doc });
  capturer = new Capturer({ spec, store, reports, salt: 'pepper' });
});

afterAll(async () => {
  await t.db.stop();
});

describe('Class: Capturer', () => {
  describe('Method: handleBatch (monolith inputs)', () => {
    it('stores an input under its entity, masked, with TTL and the millisecond time SQS received it', async () => {
      // Prepare
      const o = orderFixture(1, { prefix: 1 });
      const detail = orderPlaced(o);

      // Act
      const result = await capturer.handleBatch({ Records: [sqsRecord('m1', busEvent('eb-in-1', 'ORDER_PLACED', detail), SENT)] });

      // Assess
      expect(result).toEqual({ batchItemFailures: [], results: { captured: 1, duplicate: 0, 'not-captured': 0, collected: 0 } });
      const items = await partition(`ENTITY#order#${o.orderNo}`);
      expect(items).toHaveLength(1);
      const item = items[0];
      expect(item.sk).toBe('2026-11-21T14:30:00.123Z#000000000000#eb-in-1');
      expect(item.gsi1pk).toBe('HOUR#2026-11-21T14');
      expect(item.correlationId).toBe(`order-${o.orderNo}`);
      expect(item.expiresAt).toBe(Math.floor(SENT / 1000) + 30 * 86400);
      const event = JSON.parse(String(item.event)) as { type: string; payload: Record<string, { STREET?: string; CITY?: string }> };
      expect(event.type).toBe('ORDER_PLACED');
      // SHIP_ADDR.STREET is PII in the spec: masked with the salt; the rest is kept as it was.
      expect(event.payload.SHIP_ADDR.STREET).toMatch(/^masked:[0-9a-f]{16}$/);
      expect(event.payload.SHIP_ADDR.STREET).not.toBe((detail.SHIP_ADDR as { STREET: string }).STREET);
      expect(event.payload.SHIP_ADDR.CITY).toBe('Bristol');
      // And a ref in the correlation's partition marks where the input sits among its outcomes.
      const refs = await partition(`CORR#order-${o.orderNo}`);
      expect(refs.map((r) => [r.role, r.sk])).toEqual([['input-ref', item.sk]]);
    });

    it('drops and last4-masks as the spec says, and a different salt gives a different hash', async () => {
      // Prepare
      const cancelled = {
        MSG_ID: 'MSG-CANCEL-0001',
        ORDER_NO: '2000001',
        CANCEL_DT: '20261121 150210',
        REASON_CD: 'CUST',
        NOTE: 'please call me on 0123',
      };
      const customer = {
        MSG_ID: 'MSG-CUST-00001',
        CUST_NO: 'C00042',
        EMAIL: 'ada@example.com',
        FIRST_NAME: 'Ada',
        LAST_NAME: 'Byron',
        PHONE: '+44 1234 567890',
        MARKETING_OPT_IN: 'N',
        TIER: 'GOLD',
        UPDATED_DT: '20261121 101500',
      };
      const unsalted = new Capturer({ spec, store: new CapturedStore({ tableName: t.captured, client: t.db.doc }), salt: '' });

      // Act
      await capturer.handleEvent(busEvent('eb-cancel-1', 'ORDER_CANCELLED', cancelled), SENT);
      await capturer.handleEvent(busEvent('eb-cust-1', 'CUSTOMER_UPDATED', customer), SENT);
      await unsalted.handleEvent(busEvent('eb-cust-2', 'CUSTOMER_UPDATED', customer), SENT + 1);

      // Assess
      const [c] = await partition('ENTITY#order#2000001');
      expect(JSON.parse(String(c.event)).payload).not.toHaveProperty('NOTE');
      const custs = await partition('ENTITY#customer#C00042');
      const [salted, plain] = custs.map((i) => JSON.parse(String(i.event)).payload as Record<string, string>);
      expect(salted.PHONE).toBe('***********7890');
      expect(salted.EMAIL).toMatch(/^masked:/);
      expect(salted.FIRST_NAME).toMatch(/^masked:/);
      expect(salted.EMAIL).not.toBe(plain.EMAIL);
      expect(salted.TIER).toBe('GOLD');
    });

    it('is idempotent: a redelivered message is a duplicate and changes nothing', async () => {
      // Prepare
      const o = orderFixture(2, { prefix: 1 });
      const record = sqsRecord('m2', busEvent('eb-in-2', 'ORDER_PLACED', orderPlaced(o)), SENT);
      await capturer.handleBatch({ Records: [record] });

      // Act
      const again = await capturer.handleBatch({ Records: [record] });

      // Assess
      expect(again.results.duplicate).toBe(1);
      expect(await partition(`ENTITY#order#${o.orderNo}`)).toHaveLength(1);
    });

    it('does not capture the bridge translations of service events, nor types the spec does not list', async () => {
      // Prepare
      const o = orderFixture(3, { prefix: 1 });
      const translated = { ...orderPlaced(o), _cutover: { origin: 'service', eventId: 'x', correlationId: 'saga-9' } };
      const reserveCommand = {
        MSG_ID: 'MSG-RESERVE-001',
        ORDER_NO: o.orderNo,
        LINES: [{ SKU: 'MUG-0001', QTY: '1' }],
        REQUESTED_DT: '20261121 143001',
      };

      // Act
      const a = await capturer.handleEvent(busEvent('eb-svc-1', 'ORDER_PLACED', translated), SENT);
      const b = await capturer.handleEvent(busEvent('eb-cmd-1', 'RESERVE_STOCK_REQUESTED', reserveCommand), SENT);

      // Assess
      expect([a, b]).toEqual(['not-captured', 'not-captured']);
      expect(await partition(`ENTITY#order#${o.orderNo}`)).toEqual([]);
    });

    it('falls back to the event time when the record has no SentTimestamp', async () => {
      // Prepare
      const o = orderFixture(4, { prefix: 1 });

      // Act
      await capturer.handleEvent(busEvent('eb-in-4', 'ORDER_PLACED', orderPlaced(o), '2026-11-21T15:00:07Z'));

      // Assess
      const [item] = await partition(`ENTITY#order#${o.orderNo}`);
      expect(item.capturedAt).toBe('2026-11-21T15:00:07.000Z');
    });
  });

  describe('Method: handleBatch (monolith outcomes)', () => {
    it('stores an outcome under its correlation id, translated to the service model', async () => {
      // Prepare
      const o = orderFixture(5, { prefix: 1 });

      // Act
      await capturer.handleEvent(busEvent('eb-out-5', 'STOCK_RESERVED', stockReserved(o)), SENT + 40);

      // Assess
      const items = await partition(`CORR#order-${o.orderNo}`);
      expect(items).toHaveLength(1);
      expect(items[0].role).toBe('outcome');
      expect(items[0].sourceType).toBe('STOCK_RESERVED');
      expect(items[0].expiresAt).toBe(Math.floor((SENT + 40) / 1000) + 30 * 86400);
      const event = JSON.parse(String(items[0].event));
      expect(event).toEqual({
        type: 'inventory.reserved',
        version: 1,
        payload: {
          orderId: o.orderNo,
          reservationId: (stockReserved(o) as { RESERVATION_ID: string }).RESERVATION_ID,
          warehouse: 'BRS1',
          expiresAt: '2026-11-21T14:30:05Z',
          items: o.lines.map((l) => ({ sku: l.sku, quantity: l.qty })),
        },
      });
    });

    it('links by the bridge-stamped correlation id when the event carries one, and honours per-type retention', async () => {
      // Prepare
      const dispatched = {
        MSG_ID: 'MSG-SHIP-000001',
        ORDER_NO: '3000001',
        SHIPMENT_ID: 'SHP0000901',
        CARRIER_CD: 'DPD',
        TRACKING_NO: '',
        PARCELS: '1',
        DISPATCH_DT: '20261122 091500',
        _cutover: { origin: 'legacy', eventId: 'e', correlationId: 'saga-77' },
      };

      // Act
      await capturer.handleEvent(busEvent('eb-ship-1', 'SHIPMENT_DISPATCHED', dispatched), SENT);

      // Assess
      const items = await partition('CORR#saga-77');
      expect(items).toHaveLength(1);
      expect(JSON.parse(String(items[0].event)).type).toBe('shipment.dispatched');
      expect(items[0].expiresAt).toBe(Math.floor(SENT / 1000) + 14 * 86400);
    });

    it('keeps an outcome that cannot be translated in the legacy model, with the reason', async () => {
      // Prepare: a warehouse code the legacy schema refuses
      const o = orderFixture(6, { prefix: 1 });
      const bad = { ...stockReserved(o), WAREHOUSE_CD: 'bristol' };

      // Act
      await capturer.handleEvent(busEvent('eb-out-6', 'STOCK_RESERVED', bad), SENT);

      // Assess
      const [item] = await partition(`CORR#order-${o.orderNo}`);
      expect(JSON.parse(String(item.event)).type).toBe('STOCK_RESERVED');
      expect(String((item.problems as string[])[0])).toMatch(/^schema: .*WAREHOUSE_CD/);
    });
  });

  describe('Method: handleBatch (replay outcomes)', () => {
    it('stores an event carrying a replay mark with that replay, once', async () => {
      // Prepare
      const mark = { replayId: 'r-test-1', interactionId: 'eb-in-1', replayEventId: 'r-test-1:eb-in-1', mode: 'shadow' };
      const event = {
        ...busEvent('eb-shadow-1', 'inventory.reserved', {
          metadata: { eventId: 'cand-1', eventType: 'inventory.reserved', version: 1, replay: mark },
          data: { orderId: '1000001', warehouse: 'AMS1' },
        }),
        source: 'inventory-candidate',
      };

      // Act
      const first = await capturer.handleBatch({ Records: [sqsRecord('s1', event, SENT)] });
      const second = await capturer.handleBatch({ Records: [sqsRecord('s1', event, SENT)] });

      // Assess
      expect(first.results.collected).toBe(1);
      expect(second.results.duplicate).toBe(1);
      const groups = [];
      for await (const g of reports.interactions('r-test-1')) groups.push(g);
      expect(groups).toHaveLength(1);
      expect(groups[0].actual.map((a) => a.event)).toEqual([
        { type: 'inventory.reserved', version: 1, payload: { orderId: '1000001', warehouse: 'AMS1' } },
      ]);
    });
  });

  describe('Method: handleBatch (failures)', () => {
    it('reports only the failing records, so SQS retries them and then keeps them in the DLQ', async () => {
      // Prepare: a mocked client of its own (mockClient on the class would also catch the dynalite one)
      const ddb = mockClient(DynamoDBDocumentClient.from(t.db.client));
      ddb
        .on(PutCommand)
        .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }))
        .resolves({});
      const mocked = new Capturer({
        spec,
        store: new CapturedStore({ tableName: 'captured', client: ddb as unknown as DynamoDBDocumentClient }),
      });
      const good = sqsRecord('ok', busEvent('eb-ok', 'ORDER_PLACED', orderPlaced(orderFixture(7))), SENT);
      const notJson = sqsMessage('garbage', '{"truncated', { SentTimestamp: String(SENT) });
      const throttled = sqsRecord('slow', busEvent('eb-slow', 'ORDER_PLACED', orderPlaced(orderFixture(8))), SENT);

      // Act
      const result = await mocked.handleBatch({ Records: [throttled, notJson, good] });

      // Assess
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'slow' }, { itemIdentifier: 'garbage' }]);
      expect(result.results.captured).toBe(1);
      ddb.restore();
    });
  });
});
