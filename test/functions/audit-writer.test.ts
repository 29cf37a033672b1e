import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { auditQueueEntryFor, type AuditRecord } from '../../core/audit';
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

/** SQS FIFO records as the sequencer sends them: group = audit stream, dedup id = event id. */
function sqsRecords(events: unknown[], bus = 'legacy', prefix = 'm'): SQSRecord[] {
  return events.map((e, i) => {
    const entry = auditQueueEntryFor(spec, e, bus);
    return {
      messageId: `${prefix}-${i}`,
      receiptHandle: `rh-${prefix}-${i}`,
      body: entry.body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: '0',
        MessageGroupId: entry.groupId,
        MessageDeduplicationId: entry.deduplicationId,
        SequenceNumber: String(i + 1),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:audit.fifo',
      awsRegion: 'us-east-1',
    };
  });
}
const sqsBatch = (events: unknown[], bus = 'legacy'): SQSEvent => ({ Records: sqsRecords(events, bus) });

const order = (n: number) => ({ ...placed, ORDER_NO: n, MSG_ID: `MSG-${n}` });

describe('Class: AuditWriter, Method: handleBatch', () => {
  it('appends a batch of mixed streams, each stream in queue order, every chain verifiable', async () => {
    // Prepare
    const { writer: w, store } = await writer();
    const batch = [1, 2, 1, 3, 2, 1].map((o, i) => ebEvent(`eb-${i}`, 'ORDER_PLACED', order(1000000 + o)));

    // Act
    const response = await w.handleBatch(sqsBatch(batch));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await entries(store, 'order-1000001')).map((e) => e.eventId)).toEqual(['eb-0', 'eb-2', 'eb-5']);
    expect((await entries(store, 'order-1000002')).map((e) => e.eventId)).toEqual(['eb-1', 'eb-4']);
    expect((await entries(store, 'order-1000003')).map((e) => e.eventId)).toEqual(['eb-3']);
    for (const stream of ['order-1000001', 'order-1000002', 'order-1000003'])
      expect(await store.verifyStream(stream)).toMatchObject({ broken: undefined, markerProblems: [] });
  });

  it('reports a failed record and every later record of its stream failed, and appends the other streams', async () => {
    // Prepare
    const { store } = await writer();
    const failing = {
      append: async (stream: string, record: AuditRecord, options?: Parameters<AuditStore['append']>[2]) => {
        if (record.eventId === 'eb-2') throw new Error('DynamoDB throttled the put of eb-2');
        return store.append(stream, record, options);
      },
    };
    const w = new AuditWriter({ spec, store: failing, logger: new Logger('test') });
    const events = [1, 2, 1, 2, 1].map((o, i) => ebEvent(`eb-${i}`, 'ORDER_PLACED', order(1000000 + o)));
    const batch = sqsBatch(events);

    // Act
    const response = await w.handleBatch(batch);

    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-2', 'm-4']);
    expect((await entries(store, 'order-1000001')).map((e) => e.eventId)).toEqual(['eb-0']);
    expect((await entries(store, 'order-1000002')).map((e) => e.eventId)).toEqual(['eb-1', 'eb-3']);
  });

  it('appends nothing twice when SQS redelivers a batch the writer already logged, and keeps the chain whole', async () => {
    // Prepare
    const { writer: w, store } = await writer();
    const events = [1, 1, 2, 1].map((o, i) => ebEvent(`eb-${i}`, 'ORDER_PLACED', order(1000000 + o)));
    await w.handleBatch(sqsBatch(events.slice(0, 3)));

    // Act: the first three again (a lost acknowledgement), with the fourth behind them
    const response = await w.handleBatch(sqsBatch(events));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await entries(store, 'order-1000001')).map((e) => [e.eventId, e.sequence])).toEqual([
      ['eb-0', 1],
      ['eb-1', 2],
      ['eb-3', 3],
    ]);
    expect(await store.verifyStream('order-1000001')).toMatchObject({ entries: 3, broken: undefined, markerProblems: [] });
  });

  it('reports a message that is not an audit queue message, naming the field, without holding up other streams', async () => {
    // Prepare
    const { writer: w, store } = await writer();
    const [good] = sqsRecords([ebEvent('eb-1', 'ORDER_PLACED', order(1000001))]);
    const bad: SQSRecord = {
      ...good,
      messageId: 'bad',
      body: JSON.stringify({ event: {} }),
      attributes: { ...good.attributes, MessageGroupId: 'other' },
    };

    // Act
    const response = await w.handleBatch({ Records: [bad, good] });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect((await entries(store, 'order-1000001')).map((e) => e.eventId)).toEqual(['eb-1']);
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
    resetSpecCache();
  });
  afterAll(() => {
    ddb.restore();
    for (const k of ['CUTOVER_SPEC_JSON', 'AUDIT_TABLE_NAME']) delete process.env[k];
  });

  it('writes the queued event to the table and labels the bus the sequencer named', async () => {
    const { handler } = await import('../../functions/audit-writer/handler');
    const response = await handler(sqsBatch([ebEvent('eb-9', 'ORDER_PLACED', placed)]));
    expect(response.batchItemFailures).toEqual([]);
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
