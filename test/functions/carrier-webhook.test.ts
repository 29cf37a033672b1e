import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { CallbackRegistry, TaskCallbacks } from '../../adapters/dynamodb/callback-registry';
import { CarrierQuarantine, WebhookEventStore, WebhookSecrets } from '../../adapters/providers/carrier-webhook';
import { SandboxCarrierProvider } from '../../core/providers/sandbox-carrier';
import { signWebhook } from '../../core/providers/webhook-signature';
import { carrierRoutes } from '../../core/saga/exchange';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { createCarrierWebhookHandler, type ProxyEvent } from '../../functions/carrier-webhook/handler';
import { createShippingHandler } from '../../functions/shipping/handler';
import { ShippingService } from '../../functions/shipping/shipping';
import { Logger } from '../../functions/shared/logger';
import { createSagaTables, startDynalite, type Dynalite } from '../support/saga/dynalite';
import { sandboxWebhookBody } from '../support/providers/contract';

/*
 * The carrier webhook handler with the real stores over dynalite and the SDK clients mocked: signature,
 * replay, validation, quarantine, and the published event driving the shipping service to resume the saga.
 */

process.env.LOG_LEVEL = 'error';
const spec = parseSpec(config);
const ebMock = mockClient(EventBridgeClient);
const sqsMock = mockClient(SQSClient);
const smMock = mockClient(SecretsManagerClient);
const sfnMock = mockClient(SFNClient);
const SECRET = 'whsec-functions-0123456789';
const NOW = new Date('2026-12-06T09:00:00Z');
let db: Dynalite;
let tables: Awaited<ReturnType<typeof createSagaTables>>;
let eventsTable: string;
let registry: CallbackRegistry;
const quiet = new Logger('test');

beforeAll(async () => {
  db = await startDynalite();
  tables = await createSagaTables(db);
  eventsTable = `webhook-events-${process.pid}`;
  await db.client.send(
    new CreateTableCommand({
      TableName: eventsTable,
      AttributeDefinitions: [{ AttributeName: 'eventId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  registry = new CallbackRegistry({ ddb: db.doc, tableName: tables.callbacks });
});
afterAll(async () => {
  await db.close();
});
beforeEach(() => {
  smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: SECRET }) });
  ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => {
  ebMock.reset();
  sqsMock.reset();
  smMock.reset();
  sfnMock.reset();
});

let seq = 0;
const nextOrder = () => String(1_500_000 + ++seq);

function webhook(now = NOW) {
  return createCarrierWebhookHandler({
    spec,
    provider: new SandboxCarrierProvider(DEFAULT_REFERENCE_RULES),
    secrets: new WebhookSecrets(new SecretsManagerClient({}), 'arn:secret'),
    events: new WebhookEventStore(db.doc, eventsTable),
    registry,
    quarantine: new CarrierQuarantine(new SQSClient({}), 'https://sqs/quarantine'),
    publisher: new EventPublisher(new EventBridgeClient({})),
    busName: 'services',
    now: () => now,
    logger: quiet,
  });
}

function post(body: string, headers: Record<string, string> = signWebhook(SECRET, body, NOW)): ProxyEvent {
  return { httpMethod: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body, isBase64Encoded: false };
}

const dispatched = (orderId: string, eventId = `evt-${orderId}`) =>
  sandboxWebhookBody({ eventId, orderId, shipmentId: `SHP${orderId}`, trackingNumber: 'RM0001', parcels: 1 });

async function waitingOrder(): Promise<string> {
  const orderId = nextOrder();
  await registry.register(orderId, 'ScheduleShipping', `token-${orderId}`, { timeoutSeconds: 3600 });
  return orderId;
}

const claimOf = async (id: string) =>
  (await db.doc.send(new GetCommand({ TableName: eventsTable, Key: { eventId: `sandbox#${id}` } }))).Item;

describe('Function: createCarrierWebhookHandler', () => {
  it('puts a signed dispatch for a waiting order on the services bus as shipment.dispatched in the envelope', async () => {
    // Prepare
    const orderId = await waitingOrder();
    // Act
    const res = await webhook()(post(dispatched(orderId)));
    // Assess
    expect(res.statusCode).toBe(200);
    const entries = ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ EventBusName: 'services', DetailType: 'shipment.dispatched', Source: 'cutover.carrier-webhook' });
    const detail = JSON.parse(entries[0].Detail!);
    expect(detail.metadata).toMatchObject({
      eventType: 'shipment.dispatched',
      version: 1,
      origin: 'service',
      entity: { type: 'order', key: orderId },
    });
    expect(detail.data).toEqual({
      orderId,
      shipmentId: `SHP${orderId}`,
      carrier: 'rm',
      trackingNumber: 'RM0001',
      parcels: 1,
      dispatchedAt: '2026-12-06T08:59:00Z',
    });
    expect(await claimOf(`evt-${orderId}`)).toMatchObject({ status: 'published' });
  });

  it('answers 401 to a wrong secret and does nothing (no claim, no event, no quarantine)', async () => {
    const orderId = await waitingOrder();
    const body = dispatched(orderId);
    const res = await webhook()(post(body, signWebhook('not-the-secret', body, NOW)));
    expect(res).toMatchObject({ statusCode: 401, body: JSON.stringify({ error: 'unauthorized' }) });
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(await claimOf(`evt-${orderId}`)).toBeUndefined();
  });

  it('answers 401 to a stale request (signed six minutes ago)', async () => {
    const orderId = await waitingOrder();
    const body = dispatched(orderId);
    const res = await webhook()(post(body, signWebhook(SECRET, body, new Date(NOW.getTime() - 360_000))));
    expect(res.statusCode).toBe(401);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('refuses a replay of an accepted event id with 409, publishing once', async () => {
    const orderId = await waitingOrder();
    const body = dispatched(orderId);
    const handler = webhook();
    const first = await handler(post(body));
    const again = await handler(post(body, signWebhook(SECRET, body, new Date(NOW.getTime() + 1000))));
    expect([first.statusCode, again.statusCode]).toEqual([200, 409]);
    expect(JSON.parse(again.body)).toMatchObject({ field: 'eventId' });
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it.each([
    ['orderId', (o: string) => JSON.stringify({ ...JSON.parse(dispatched(o)), orderId: 1500 })],
    ['occurredAt', (o: string) => JSON.stringify({ ...JSON.parse(dispatched(o)), occurredAt: 'yesterday' })],
    ['body', () => '{"eventId": "evt-x",'],
    ['shipmentId', (o: string) => JSON.stringify({ ...JSON.parse(dispatched(o)), shipmentId: 'PARCEL-1' })],
  ])('answers 400 naming %s for a signed body it cannot use, and keeps nothing', async (field, make) => {
    const orderId = await waitingOrder();
    const res = await webhook()(post(make(orderId)));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ field, error: expect.stringContaining(field === 'body' ? 'JSON' : field) });
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(await claimOf(`evt-${orderId}`)).toBeUndefined();
  });

  it('quarantines a genuine event no saga waits for (202), with the body, and publishes nothing', async () => {
    const orderId = nextOrder();
    const body = dispatched(orderId);
    const res = await webhook()(post(body));
    expect(res.statusCode).toBe(202);
    const sent = sqsMock.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!));
    expect(sent).toEqual([expect.objectContaining({ eventId: `evt-${orderId}`, orderId, body, reason: expect.stringContaining(orderId) })]);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(await claimOf(`evt-${orderId}`)).toMatchObject({ status: 'quarantined' });
  });

  it('quarantines a carrier failure when the spec declares no rejectedBy event', async () => {
    const orderId = await waitingOrder();
    const body = sandboxWebhookBody({ eventId: `evt-f-${orderId}`, orderId, type: 'shipment.failed', reason: 'refused at depot' });
    const res = await webhook()(post(body));
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body).reason).toMatch(/saga.shipping.rejectedBy/);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('answers 503 and lets go of the claim when the bus refuses, so the carrier retry is taken', async () => {
    const orderId = await waitingOrder();
    const body = dispatched(orderId);
    ebMock
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('down'), { name: 'InternalException' }))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-2' }] });
    const handler = webhook();
    expect((await handler(post(body))).statusCode).toBe(503);
    expect(await claimOf(`evt-${orderId}`)).toBeUndefined();
    expect((await handler(post(body))).statusCode).toBe(200);
  });

  it('answers 503 (retry) when the secret cannot be read, and stores nothing', async () => {
    const orderId = await waitingOrder();
    smMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('no such secret'), { name: 'ResourceNotFoundException' }));
    expect((await webhook()(post(dispatched(orderId)))).statusCode).toBe(503);
    expect(await claimOf(`evt-${orderId}`)).toBeUndefined();
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('takes over a claim left pending by a handler that died, after a minute', async () => {
    const orderId = await waitingOrder();
    const store = new WebhookEventStore(db.doc, eventsTable);
    await store.claim(`sandbox#evt-${orderId}`, new Date(NOW.getTime() - 120_000));
    expect((await webhook()(post(dispatched(orderId)))).statusCode).toBe(200);
  });

  it('reads the secret once per five minutes and accepts the previous one during a rotation', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: 'new-secret', previous: SECRET }) });
    const orderId = await waitingOrder();
    const handler = webhook();
    expect((await handler(post(dispatched(orderId)))).statusCode).toBe(200);
    const other = await waitingOrder();
    expect((await handler(post(dispatched(other)))).statusCode).toBe(200);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('resumes the waiting saga: the published event, handed to the shipping service, completes ScheduleShipping', async () => {
    // Prepare: the shipping service books and files the task token, as the saga's ScheduleShipping does.
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const shipping = createShippingHandler({
      service: new ShippingService({ ddb: db.doc, tableName: tables.shipments, rules: DEFAULT_REFERENCE_RULES }),
      registry,
      callbacks: new TaskCallbacks(new SFNClient({})),
      timeoutSeconds: 3600,
      carrierRoutes: carrierRoutes(spec.saga!),
      logger: quiet,
    });
    const orderId = nextOrder();
    const sagaOrder = {
      orderId,
      customerId: 'C00042',
      placedAt: '2026-11-21T14:30:00Z',
      amount: { total: '54.97', currency: 'EUR' },
      channel: 'web',
      lines: [{ sku: 'MUG-0001', quantity: 1, unitPrice: '54.97' }],
      shippingAddress: { street: '1 A St', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
    };
    await shipping({
      action: 'schedule',
      step: 'ScheduleShipping',
      orderId,
      correlationId: `order-${orderId}`,
      sagaId: `${orderId}-run1`,
      order: sagaOrder,
      taskToken: 'tok-resume',
    });
    // Act: the carrier calls the webhook; the bus delivers what it published to the shipping service.
    expect((await webhook()(post(dispatched(orderId)))).statusCode).toBe(200);
    const entry = ebMock.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    const out = await shipping({ 'detail-type': entry.DetailType, source: entry.Source, detail: JSON.parse(entry.Detail!) });
    // Assess
    expect(out).toMatchObject({ orderId, saga: 'success' });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input.taskToken)).toEqual(['tok-resume']);
    const shipment = (await db.doc.send(new GetCommand({ TableName: tables.shipments, Key: { orderId } }))).Item;
    expect(shipment).toMatchObject({
      status: 'dispatched',
      trackingNumber: 'RM0001',
      provider: 'sandbox',
      bookingRef: `SBX-SHP${orderId}`,
    });
  });
});
