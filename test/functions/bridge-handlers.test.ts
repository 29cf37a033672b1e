import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { BRIDGE_SOURCE, deterministicId, LEGACY_META_KEY } from '../../core/events/envelope';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { BridgeHandler, PutEventsRetryableError } from '../../functions/shared/bridge-handler';
import { Logger } from '../../functions/shared/logger';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { resetSpecCache } from '../../functions/shared/spec';

/*
 * The translator Lambdas with their SDK clients mocked: what they put on the other bus, what they
 * quarantine and audit, and which failures they throw (infrastructure) or keep (bad events).
 */
const spec = parseSpec(config);
const eb = mockClient(EventBridgeClient);
const ddb = mockClient(DynamoDBDocumentClient);
const placed = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
const cancelledData = spec.bridge.serviceEvents['order.cancelled'].versions['1'].examples[0];

const ebEvent = (detailType: string, detail: unknown, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: `eb-${detailType}-1`,
  'detail-type': detailType,
  source: spec.bridge.legacySource,
  account: '000000000000',
  time: '2026-11-21T14:30:05Z',
  region: 'us-east-1',
  resources: [],
  detail,
  ...extra,
});

const serviceDetail = (origin: 'service' | 'legacy', version = 1) => ({
  metadata: {
    eventId: 'svc-1',
    eventType: 'order.cancelled',
    version,
    correlationId: 'order-1000001',
    origin,
    producer: 'orders',
    occurredAt: '2026-11-21T15:02:10Z',
    entity: { type: 'order', key: '1000001' },
  },
  data: cancelledData,
});

function bridge(direction: 'toService' | 'toLegacy'): BridgeHandler {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  return new BridgeHandler({
    direction,
    spec,
    targetBusName: direction === 'toService' ? 'services-bus' : 'legacy-bus',
    sourceBus: direction === 'toService' ? 'legacy' : 'services',
    events: new EventBridgeClient({ region: 'us-east-1' }),
    quarantine: new QuarantineStore({ tableName: 'quarantine-table', client }),
    audit: new AuditStore({ tableName: 'audit-table', client, sleep: async () => undefined }),
    logger: new Logger('test'),
    now: () => new Date('2026-11-21T14:31:00Z'),
  });
}

const puts = (table: string) =>
  ddb
    .commandCalls(PutCommand)
    .filter((c) => c.args[0].input.TableName === table)
    .map((c) => c.args[0].input);
const sentEntries = () => eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);

beforeEach(() => {
  eb.reset();
  ddb.reset();
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_e, i) => ({ EventId: `out-${i}` })),
  }));
  ddb.on(GetCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(PutCommand).resolves({});
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('Class: BridgeHandler (legacy -> services)', () => {
  describe('Method: handle', () => {
    it('puts the translated event on the services bus with the bridge source and a deterministic id', async () => {
      // Act
      const result = await bridge('toService').handle(ebEvent('ORDER_PLACED', placed));

      // Assess
      const expectedId = deterministicId('legacy', 'ORDER_PLACED', placed.MSG_ID as string, 'order.created');
      expect(result).toEqual({ received: 1, translated: 1, quarantined: 0, ignored: 0, drifted: 0, eventIds: [expectedId] });
      const [entry] = sentEntries();
      expect(entry).toMatchObject({ EventBusName: 'services-bus', Source: BRIDGE_SOURCE, DetailType: 'order.created' });
      const detail = JSON.parse(entry.Detail!);
      expect(detail.metadata).toMatchObject({
        eventId: expectedId,
        origin: 'legacy',
        correlationId: 'order-1000001',
        occurredAt: '2026-11-21T14:30:00.000Z',
      }); // ORDER_DT, not the EventBridge time
      expect(detail.data.amount).toEqual({ total: '54.97', currency: 'EUR' });
      expect(puts('quarantine-table')).toEqual([]);
    });

    it('quarantines a malformed event with its original payload and audits the decision, without throwing', async () => {
      // Prepare
      const bad = { ...placed, TOTAL_CENTS: '54,97' };

      // Act
      const result = await bridge('toService').handle(ebEvent('ORDER_PLACED', bad));

      // Assess
      expect(result).toMatchObject({ received: 1, translated: 0, quarantined: 1, ignored: 0 });
      expect(sentEntries()).toEqual([]);
      const [q] = puts('quarantine-table');
      expect(q.ConditionExpression).toBe('attribute_not_exists(sk)');
      expect(q.Item).toMatchObject({
        reason: 'schema',
        sk: '2026-11-21T14:30:05Z#eb-ORDER_PLACED-1',
        bus: 'legacy',
        detailType: 'ORDER_PLACED',
        source: 'shop.monolith',
        stream: 'order-1000001',
        problems: ['TOTAL_CENTS: "54,97" is not cents, e.g. "1999"'],
      });
      expect(JSON.parse(q.Item!.payload as string)).toEqual(bad);
      const audit = puts('audit-table');
      expect(audit.map((p) => p.Item!.sk)).toEqual(['S#000000000001', 'E#quarantine:eb-ORDER_PLACED-1']);
      expect(audit[0].Item).toMatchObject({ kind: 'quarantine', stream: 'order-1000001', messageId: placed.MSG_ID });
      expect(JSON.parse(audit[0].Item!.payload as string)).toMatchObject({ reason: 'schema' });
      expect(audit.every((p) => p.ConditionExpression === 'attribute_not_exists(sk)')).toBe(true);
    });

    it('treats a redelivered quarantine as done (conditional put refused)', async () => {
      // Prepare
      ddb
        .on(PutCommand, { TableName: 'quarantine-table' })
        .rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
      ddb.on(GetCommand).resolves({ Item: { sequence: 4 } });

      // Act
      const result = await bridge('toService').handle(ebEvent('ORDER_SHREDDED', {}));

      // Assess
      expect(result.quarantined).toBe(1);
      expect(puts('audit-table')).toEqual([]);
    });

    it('throws when the quarantine table cannot be written, so Lambda retries and the DLQ keeps the event', async () => {
      // Prepare
      ddb
        .on(PutCommand, { TableName: 'quarantine-table' })
        .rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));

      // Act / Assess
      await expect(bridge('toService').handle(ebEvent('ORDER_PLACED', { nope: 1 }))).rejects.toThrow('Throughput exceeds');
    });

    it('throws a retryable error when the bus throttles a translated event', async () => {
      // Prepare
      eb.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
      });

      // Act / Assess
      await expect(bridge('toService').handle(ebEvent('ORDER_PLACED', placed))).rejects.toThrow(PutEventsRetryableError);
      expect(puts('quarantine-table')).toEqual([]);
    });

    it('quarantines a translated event the bus refuses for good, naming the refusal', async () => {
      // Prepare
      eb.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed' }],
      });

      // Act
      const result = await bridge('toService').handle(ebEvent('ORDER_PLACED', placed));

      // Assess
      expect(result).toMatchObject({ received: 1, translated: 0, quarantined: 1, eventIds: [] });
      expect(puts('quarantine-table')[0].Item).toMatchObject({
        reason: 'untranslatable',
        problems: ['the target bus refused the translated order.created: MalformedDetail: Detail is malformed'],
      });
    });

    it('refuses events the bridge itself put (second line against loops) and records the refusal', async () => {
      const result = await bridge('toService').handle(ebEvent('ORDER_PLACED', placed, { source: BRIDGE_SOURCE }));
      expect(result).toMatchObject({ received: 1, ignored: 1, translated: 0 });
      expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
      // Not dropped without a trace: kept in quarantine under reason `loop` and in the audit log.
      expect(puts('quarantine-table')[0].Item).toMatchObject({ reason: 'loop', bus: 'legacy', source: BRIDGE_SOURCE });
      expect(puts('audit-table').some((p) => p.Item!.kind === 'quarantine' && JSON.parse(String(p.Item!.payload)).reason === 'loop')).toBe(
        true,
      );
    });

    it('records a monolith event echoing a translated one (stamp origin service) as a loop, not silently', async () => {
      const result = await bridge('toService').handle(
        ebEvent('ORDER_PLACED', { ...placed, [LEGACY_META_KEY]: { origin: 'service', eventId: 'x', correlationId: 'order-1' } }),
      );
      expect(result).toMatchObject({ received: 1, ignored: 1, translated: 0 });
      expect(puts('quarantine-table')[0].Item).toMatchObject({ reason: 'loop' });
    });

    it('accounts for a mixed batch: translated + quarantined + ignored = received, good events in batches of ten', async () => {
      // Prepare
      const good = Array.from({ length: 12 }, (_v, i) =>
        ebEvent(
          'ORDER_CANCELLED',
          { ...spec.bridge.legacyEvents.ORDER_CANCELLED.examples[0], MSG_ID: `MSG-TEST-${1000 + i}` },
          { id: `g${i}` },
        ),
      );
      const batch = [
        ...good,
        ebEvent('NOPE', {}, { id: 'bad' }),
        'not an event',
        ebEvent('ORDER_PLACED', placed, { id: 'loop', source: BRIDGE_SOURCE }),
      ];

      // Act
      const result = await bridge('toService').handle(batch);

      // Assess
      expect(result).toMatchObject({ received: 15, translated: 12, quarantined: 2, ignored: 1 });
      expect(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 2]);
      expect(new Set(result.eventIds).size).toBe(12);
    });
  });
});

describe('Class: BridgeHandler (services -> legacy)', () => {
  it('puts the legacy event on the legacy bus, stamped with origin and correlation', async () => {
    // Act
    const result = await bridge('toLegacy').handle(ebEvent('order.cancelled', serviceDetail('service'), { source: 'orders' }));

    // Assess
    expect(result).toMatchObject({ received: 1, translated: 1 });
    const [entry] = sentEntries();
    expect(entry).toMatchObject({ EventBusName: 'legacy-bus', Source: BRIDGE_SOURCE, DetailType: 'ORDER_CANCELLED' });
    const detail = JSON.parse(entry.Detail!);
    expect(detail).toMatchObject({ ORDER_NO: '1000001', REASON_CD: 'CUST', NOTE: '', CANCEL_DT: '20261121 150210' });
    expect(detail[LEGACY_META_KEY]).toMatchObject({ origin: 'service', correlationId: 'order-1000001', causationId: 'svc-1' });
  });

  it("never sends the bridge's own event back, and records the refusal as a loop", async () => {
    const result = await bridge('toLegacy').handle(ebEvent('order.cancelled', serviceDetail('legacy'), { source: BRIDGE_SOURCE }));
    expect(result).toMatchObject({ ignored: 1, translated: 0 });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(puts('quarantine-table')[0].Item).toMatchObject({ reason: 'loop', bus: 'services' });
  });

  it('quarantines a service claiming legacy origin: only the bridge decides origin', async () => {
    const result = await bridge('toLegacy').handle(ebEvent('order.cancelled', serviceDetail('legacy'), { source: 'orders' }));
    expect(result).toMatchObject({ quarantined: 1, translated: 0 });
    expect(puts('quarantine-table')[0].Item).toMatchObject({ reason: 'envelope' });
    expect(String((puts('quarantine-table')[0].Item!.problems as string[])[0])).toMatch(
      /metadata\.origin: "legacy" is claimed by source "orders"/,
    );
  });

  it('quarantines an unknown version on the services side', async () => {
    const result = await bridge('toLegacy').handle(ebEvent('order.cancelled', serviceDetail('service', 9), { source: 'orders' }));
    expect(result.quarantined).toBe(1);
    expect(puts('quarantine-table')[0].Item).toMatchObject({ reason: 'unknown-version', bus: 'services' });
  });
});

describe('Function: handler (Lambda entry points)', () => {
  beforeEach(() => {
    process.env.CUTOVER_SPEC_JSON = JSON.stringify(spec);
    Object.assign(process.env, { SERVICES_BUS_NAME: 'svc', LEGACY_BUS_NAME: 'leg', QUARANTINE_TABLE_NAME: 'q', AUDIT_TABLE_NAME: 'a' });
    resetSpecCache();
  });
  afterEach(() => {
    for (const k of ['CUTOVER_SPEC_JSON', 'SERVICES_BUS_NAME', 'LEGACY_BUS_NAME', 'QUARANTINE_TABLE_NAME', 'AUDIT_TABLE_NAME'])
      delete process.env[k];
  });

  it('translate-legacy reads its buses and tables from the environment', async () => {
    const { handler } = await import('../../functions/translate-legacy/handler');
    const result = await handler(ebEvent('PAYMENT_CAPTURED', spec.bridge.legacyEvents.PAYMENT_CAPTURED.examples[0]));
    expect(result.translated).toBe(1);
    expect(sentEntries()[0]).toMatchObject({ EventBusName: 'svc', DetailType: 'payment.captured' });
  });

  it('translate-services reads its buses and tables from the environment', async () => {
    const { handler } = await import('../../functions/translate-services/handler');
    const result = await handler(ebEvent('order.cancelled', serviceDetail('service'), { source: 'orders' }));
    expect(result.translated).toBe(1);
    expect(sentEntries()[0]).toMatchObject({ EventBusName: 'leg', DetailType: 'ORDER_CANCELLED' });
  });
});
