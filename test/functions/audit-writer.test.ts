import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { AuditWriter } from '../../functions/audit-writer/handler';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { Logger } from '../../functions/shared/logger';
import { resetSpecCache } from '../../functions/shared/spec';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

const spec = parseSpec(config);
const placed = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
let db: LocalDynamo;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

const ebEvent = (id: string, detailType: string, detail: unknown, source = 'shop.monolith') => ({
  version: '0',
  id,
  'detail-type': detailType,
  source,
  account: '000000000000',
  time: '2026-11-21T14:30:05Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

let n = 0;
async function writer(bus = 'legacy'): Promise<{ writer: AuditWriter; store: AuditStore }> {
  const tableName = `audit-writer-${++n}`;
  await db.createTable(tableName, 'stream', 'sk');
  const store = new AuditStore({ tableName, client: db.doc, sleep: async () => undefined });
  return { writer: new AuditWriter({ spec, store, bus, logger: new Logger('test') }), store };
}

async function entries(store: AuditStore, stream: string) {
  const out = [];
  for await (const e of store.readStream(stream)) out.push(e);
  return out;
}

describe('Class: AuditWriter', () => {
  describe('Method: handle', () => {
    it('appends a monolith event to its order stream with the bus, source, type and payload', async () => {
      // Prepare
      const { writer: w, store } = await writer();

      // Act
      const result = await w.handle(ebEvent('eb-1', 'ORDER_PLACED', placed));

      // Assess
      expect(result).toMatchObject({ appended: 1, duplicates: 0 });
      const [entry] = await entries(store, 'order-1000001');
      expect(entry).toMatchObject({
        kind: 'event',
        eventId: 'eb-1',
        messageId: placed.MSG_ID,
        bus: 'legacy',
        source: 'shop.monolith',
        detailType: 'ORDER_PLACED',
        eventTime: '2026-11-21T14:30:05Z',
        sequence: 1,
      });
      expect(JSON.parse(entry.payload)).toEqual(placed);
    });

    it('logs a redelivery (same EventBridge id) once, and a resend of the same message (new id) again', async () => {
      // Prepare
      const { writer: w, store } = await writer();

      // Act
      await w.handle(ebEvent('eb-1', 'ORDER_PLACED', placed));
      const redelivery = await w.handle(ebEvent('eb-1', 'ORDER_PLACED', placed));
      const resend = await w.handle(ebEvent('eb-2', 'ORDER_PLACED', placed));

      // Assess
      expect(redelivery).toMatchObject({ appended: 0, duplicates: 1 });
      expect(resend).toMatchObject({ appended: 1 });
      expect((await entries(store, 'order-1000001')).map((e) => [e.eventId, e.messageId])).toEqual([
        ['eb-1', placed.MSG_ID],
        ['eb-2', placed.MSG_ID],
      ]);
    });

    it('records a resend of one message id with a different payload as a conflict, once', async () => {
      // Prepare
      const { writer: w, store } = await writer();
      const changed = { ...placed, TOTAL_CENTS: '9999' };

      // Act
      const same = await w.handle(ebEvent('eb-2', 'ORDER_PLACED', placed));
      const first = await w.handle(ebEvent('eb-3', 'ORDER_PLACED', changed));
      const redelivered = await w.handle(ebEvent('eb-3', 'ORDER_PLACED', changed));

      // Assess
      expect(same).toMatchObject({ appended: 1, conflicts: 0 });
      expect(first).toMatchObject({ appended: 1, conflicts: 1 });
      expect(redelivered.conflicts).toBe(1);
      const log = await entries(store, 'order-1000001');
      const conflicts = log.filter((e) => e.kind === 'conflict');
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0].messageId).toBe(placed.MSG_ID);
      expect(JSON.parse(conflicts[0].payload)).toMatchObject({
        identity: `legacy:ORDER_PLACED:${placed.MSG_ID}`,
        firstEventId: 'eb-2',
        eventId: 'eb-3',
      });
    });

    it('puts a service event in its correlation stream and an unknown event in uncorrelated', async () => {
      // Prepare
      const { writer: w, store } = await writer('services');
      const svc = {
        metadata: { eventId: 'svc-1', eventType: 'order.created', version: 2, correlationId: 'order-1000001', origin: 'legacy' },
        data: {},
      };

      // Act
      await w.handle([ebEvent('eb-s', 'order.created', svc, 'cutover.bridge'), ebEvent('eb-u', 'SOMETHING', { x: 1 }, 'elsewhere')]);

      // Assess
      expect((await entries(store, 'order-1000001')).map((e) => [e.bus, e.messageId])).toEqual([['services', 'svc-1']]);
      expect((await entries(store, 'uncorrelated')).map((e) => e.eventId)).toEqual(['eb-u']);
    });

    it('keeps the chain verifiable across many events of one order', async () => {
      const { writer: w, store } = await writer();
      await Promise.all(Array.from({ length: 8 }, (_v, i) => w.handle(ebEvent(`eb-${i}`, 'ORDER_PLACED', placed))));
      const report = await store.verifyStream('order-1000001');
      expect(report).toMatchObject({ entries: 8, broken: undefined, markerProblems: [] });
    });
  });
});

describe('Function: handler', () => {
  // Created here, not at collection time: mockClient patches every document client, dynalite's too.
  let ddb: ReturnType<typeof mockClient>;
  beforeAll(() => {
    ddb = mockClient(DynamoDBDocumentClient);
  });
  beforeEach(() => {
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    process.env.CUTOVER_SPEC_JSON = JSON.stringify(spec);
    process.env.AUDIT_TABLE_NAME = 'audit';
    process.env.AUDIT_BUS = 'legacy';
    resetSpecCache();
  });
  afterAll(() => {
    ddb.restore();
    for (const k of ['CUTOVER_SPEC_JSON', 'AUDIT_TABLE_NAME', 'AUDIT_BUS']) delete process.env[k];
  });

  it('writes to the table and labels the bus named by the environment', async () => {
    const { handler } = await import('../../functions/audit-writer/handler');
    await handler(ebEvent('eb-9', 'ORDER_PLACED', placed));
    const items = ddb.commandCalls(PutCommand).map((c) => c.args[0].input as PutCommand['input']);
    expect(items.map((i) => [i.TableName, i.Item!.sk])).toEqual([
      ['audit', 'S#000000000001'],
      ['audit', 'E#eb-9'],
      // The message's identity and the digest of its content, to spot the id reused with another payload.
      ['audit', 'M#legacy:ORDER_PLACED:MSG-20261121-000001'],
    ]);
    expect(items[0].Item).toMatchObject({ bus: 'legacy', stream: 'order-1000001' });
  });
});
