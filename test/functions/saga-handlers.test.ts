import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { carrierRoutes, replyRoutes } from '../../core/saga/exchange';
import { FaultInjector } from '../../core/saga/faults';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import '../../core/saga';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { Logger } from '../../functions/shared/logger';
import { ReferenceMonolith } from '../../functions/reference-monolith/monolith';
import { createReferenceMonolithHandler } from '../../functions/reference-monolith/handler';
import { createSagaCallbackHandler } from '../../functions/saga-callback/handler';
import { CallbackRegistry, TaskCallbacks } from '../../adapters/dynamodb/callback-registry';
import { createSagaCommandsHandler, exchangeFor } from '../../functions/saga-commands/handler';
import { createSagaStarterHandler } from '../../functions/saga-starter/handler';
import { createShippingHandler } from '../../functions/shipping/handler';
import { ShippingService } from '../../functions/shipping/shipping';
import { createSagaTables, startDynalite, type Dynalite } from '../support/saga/dynalite';

/*
 * The saga's glue handlers: SDK calls to Step Functions and EventBridge mocked (aws-sdk-client-mock), the
 * tables in dynalite.
 */

process.env.LOG_LEVEL = 'error';
const spec = parseSpec(config);
const sfnMock = mockClient(SFNClient);
const ebMock = mockClient(EventBridgeClient);
let db: Dynalite;
let tables: Awaited<ReturnType<typeof createSagaTables>>;
let registry: CallbackRegistry;
const quiet = new Logger('test');

beforeAll(async () => {
  db = await startDynalite();
  tables = await createSagaTables(db);
  registry = new CallbackRegistry({ ddb: db.doc, tableName: tables.callbacks });
});
afterAll(async () => {
  await db.close();
});
afterEach(() => {
  sfnMock.reset();
  ebMock.reset();
});

let seq = 0;
const order = (overrides: Record<string, unknown> = {}) => ({
  orderId: String(1_200_000 + ++seq),
  customerId: 'C00042',
  placedAt: '2026-11-21T14:30:00Z',
  amount: { total: '54.97', currency: 'EUR' },
  channel: 'web',
  // The lines add up to the total (a rule of the reference spec).
  lines: [
    { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
    { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
  ],
  shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
  ...overrides,
});
const payload = (o: ReturnType<typeof order>, step: string, action: string, extra: Record<string, unknown> = {}) => ({
  action,
  step,
  orderId: o.orderId,
  correlationId: `order-${o.orderId}`,
  sagaId: `${o.orderId}-run1`,
  order: o,
  ...extra,
});
const serviceEvent = (type: string, data: Record<string, unknown>, origin: 'legacy' | 'service' = 'legacy') => ({
  'detail-type': type,
  detail: {
    metadata: {
      eventId: `e-${type}-${String(data.orderId)}`,
      eventType: type,
      version: 1,
      correlationId: `order-${String(data.orderId)}`,
      origin,
      producer: 'x',
      occurredAt: '2026-11-21T14:31:00Z',
      entity: { type: 'order', key: String(data.orderId) },
    },
    data,
  },
});

describe('Handler: saga-commands', () => {
  const handler = (faults?: FaultInjector) =>
    createSagaCommandsHandler({
      spec,
      busName: 'shop-services',
      events: new EventBridgeClient({}),
      registry,
      callbacks: new TaskCallbacks(new SFNClient({})),
      faults,
      logger: quiet,
      now: () => new Date('2026-11-21T14:30:05Z'),
    });

  it('files the token under (orderId, action) before it sends the command', async () => {
    // Prepare
    const o = order();
    let filedWhenSent: unknown;
    ebMock.on(PutEventsCommand).callsFake(async () => {
      filedWhenSent = await registry.find(o.orderId, 'ProcessPayment');
      return { FailedEntryCount: 0, Entries: [{ EventId: '1' }] };
    });

    // Act
    const result = await handler()(payload(o, 'ProcessPayment', 'forward', { taskToken: 'tok-1' }));

    // Assess
    expect(result).toMatchObject({ status: 'sent', command: 'payment.capture-requested' });
    expect(filedWhenSent).toMatchObject({ taskToken: 'tok-1' });
    const entry = ebMock.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    expect(entry).toMatchObject({ EventBusName: 'shop-services', Source: 'cutover.saga', DetailType: 'payment.capture-requested' });
    expect(JSON.parse(entry.Detail!).data).toEqual({
      orderId: o.orderId,
      customerId: 'C00042',
      amount: '54.97',
      currency: 'EUR',
      requestedAt: '2026-11-21T14:30:05Z',
    });
  });

  it('reports a failure through the token (an emulator may ignore the thrown error of a callback Lambda)', async () => {
    // Prepare
    ebMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] });
    sfnMock.on(SendTaskFailureCommand).resolves({});

    // Act
    const result = await handler()(
      payload(order(), 'RefundPayment', 'compensate', {
        taskToken: 'tok-2',
        failure: { Error: 'AddressRejected' },
        failedStep: 'ScheduleShipping',
      }),
    );

    // Assess
    expect(result).toEqual({ status: 'failed', error: 'TransientError' });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0].args[0].input).toMatchObject({ taskToken: 'tok-2', error: 'TransientError' });
  });

  it('refuses an action the spec has no exchange for, naming it', async () => {
    sfnMock.on(SendTaskFailureCommand).resolves({});
    await handler()(payload(order(), 'NotifyCustomer', 'forward', { taskToken: 'tok-3' }));
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0].args[0].input).toMatchObject({
      error: 'InvalidStepInput',
      cause: expect.stringContaining('NotifyCustomer'),
    });
    expect(exchangeFor(spec, 'RefundPayment')?.command).toBe('payment.refund-requested');
  });
});

describe('Handler: saga-callback', () => {
  const handler = () =>
    createSagaCallbackHandler({
      routes: replyRoutes(spec.saga!),
      registry,
      callbacks: new TaskCallbacks(new SFNClient({})),
      logger: quiet,
    });

  it('completes the waiting task with the reply, once', async () => {
    // Prepare
    const o = order();
    await registry.register(o.orderId, 'ProcessPayment', 'tok-10', { timeoutSeconds: 60 });
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const reply = serviceEvent('payment.captured', { orderId: o.orderId, paymentId: 'PAY0001', amount: '54.97' });

    // Act
    const first = await handler()(reply);
    const second = await handler()(reply);

    // Assess
    expect(first).toEqual({ status: 'completed', orderId: o.orderId, action: 'ProcessPayment' });
    expect(second).toMatchObject({ status: 'ignored', reason: 'already settled' });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(JSON.parse(sfnMock.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!)).toMatchObject({
      paymentId: 'PAY0001',
      replyType: 'payment.captured',
    });
  });

  it('fails the task with the business error of a "no" reply', async () => {
    const o = order();
    await registry.register(o.orderId, 'ProcessPayment', 'tok-11', { timeoutSeconds: 60 });
    sfnMock.on(SendTaskFailureCommand).resolves({});
    expect(await handler()(serviceEvent('payment.declined', { orderId: o.orderId }))).toMatchObject({ status: 'failed' });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0].args[0].input).toMatchObject({ taskToken: 'tok-11', error: 'CardDeclined' });
  });

  it('drops a reply nothing waits for, and a reply for a task that already closed', async () => {
    const o = order();
    expect(await handler()(serviceEvent('payment.captured', { orderId: o.orderId }))).toMatchObject({
      status: 'ignored',
      reason: 'nothing waits',
    });
    expect(await handler()(serviceEvent('customer.updated', { orderId: o.orderId }))).toMatchObject({ status: 'ignored' });
    await registry.register(o.orderId, 'RefundPayment', 'tok-12', { timeoutSeconds: 60 });
    sfnMock.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('closed'), { name: 'TaskTimedOut' }));
    expect(await handler()(serviceEvent('payment.refunded', { orderId: o.orderId }))).toMatchObject({
      status: 'ignored',
      reason: 'task already closed',
    });
    expect(await registry.find(o.orderId, 'RefundPayment')).toMatchObject({ outcome: 'stale' });
  });
});

describe('Handler: shipping (carrier answers)', () => {
  it('records the dispatch before it completes ScheduleShipping', async () => {
    // Prepare
    const service = new ShippingService({ ddb: db.doc, tableName: tables.shipments, rules: DEFAULT_REFERENCE_RULES });
    const handler = createShippingHandler({
      service,
      registry,
      callbacks: new TaskCallbacks(new SFNClient({})),
      timeoutSeconds: 60,
      carrierRoutes: carrierRoutes(spec.saga!),
      logger: quiet,
    });
    const o = order();
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    await handler(payload(o, 'ScheduleShipping', 'schedule', { taskToken: 'tok-20' }));
    let statusWhenCompleted: string | undefined;
    sfnMock.on(SendTaskSuccessCommand).callsFake(async () => {
      statusWhenCompleted = (await service.get(o.orderId))?.status;
      return {};
    });

    // Act
    const result = await handler(
      serviceEvent(
        'shipment.dispatched',
        { orderId: o.orderId, shipmentId: 'SHP1', carrier: 'dpd', parcels: 1, dispatchedAt: '2026-11-22T09:00:00Z' },
        'service',
      ),
    );

    // Assess
    expect(result).toMatchObject({ status: 'recorded', saga: 'success' });
    expect(statusWhenCompleted).toBe('dispatched');
    await expect(service.cancel(o.orderId)).rejects.toMatchObject({ name: 'CompensationRefused' });
  });

  it('answers an unserved address through the token with AddressRejected', async () => {
    const service = new ShippingService({ ddb: db.doc, tableName: tables.shipments, rules: DEFAULT_REFERENCE_RULES });
    const handler = createShippingHandler({
      service,
      registry,
      callbacks: new TaskCallbacks(new SFNClient({})),
      timeoutSeconds: 60,
      carrierRoutes: carrierRoutes(spec.saga!),
      logger: quiet,
    });
    sfnMock.on(SendTaskFailureCommand).resolves({});
    const o = order({ shippingAddress: { street: 's', city: 'c', postalCode: '123', country: 'ZZ' } });
    expect(await handler(payload(o, 'ScheduleShipping', 'schedule', { taskToken: 'tok-21' }))).toEqual({
      status: 'rejected',
      error: 'AddressRejected',
    });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0].args[0].input).toMatchObject({ taskToken: 'tok-21', error: 'AddressRejected' });
    expect(await registry.find(o.orderId, 'ScheduleShipping')).toBeUndefined();
  });
});

describe('Handler: shipping (heartbeat sweep)', () => {
  it('heartbeats every booking still with the carrier, and only those', async () => {
    // Prepare
    const service = new ShippingService({ ddb: db.doc, tableName: tables.shipments, rules: DEFAULT_REFERENCE_RULES });
    const handler = createShippingHandler({
      service,
      registry,
      callbacks: new TaskCallbacks(new SFNClient({})),
      timeoutSeconds: 60,
      carrierRoutes: carrierRoutes(spec.saga!),
      logger: quiet,
    });
    sfnMock.on(SendTaskFailureCommand).resolves({});
    const waiting = order();
    const cancelled = order();
    await handler(payload(waiting, 'ScheduleShipping', 'schedule', { taskToken: 'tok-hb-1' }));
    await handler(payload(cancelled, 'ScheduleShipping', 'schedule', { taskToken: 'tok-hb-2' }));
    await service.cancel(cancelled.orderId);
    sfnMock.on(SendTaskHeartbeatCommand).resolves({});

    // Act
    const result = await handler({ action: 'heartbeat' });

    // Assess
    const tokens = sfnMock.commandCalls(SendTaskHeartbeatCommand).map((c) => c.args[0].input.taskToken);
    expect(tokens).toContain('tok-hb-1');
    expect(tokens).not.toContain('tok-hb-2');
    expect(result).toMatchObject({ stale: 0 });
  });
});

describe('Handler: saga-starter', () => {
  const handler = () =>
    createSagaStarterHandler({
      spec,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:shop-saga',
      sfn: new SFNClient({}),
      logger: quiet,
    });

  it('names the execution by the order id', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const { amount, ...rest } = order();
    const o = { ...rest, total: amount.total, currency: amount.currency };
    expect(await handler()(serviceEvent('order.created', o, 'legacy'))).toEqual({
      orderId: o.orderId,
      executionArn: 'arn:x',
      started: true,
    });
    // version 1 of the event is cast to the latest (amount grouped) before the saga sees it.
    const input = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.name).toBe(o.orderId);
    expect(JSON.parse(input.input!).order).toMatchObject({ amount: { total: '54.97', currency: 'EUR' } });
    expect(JSON.parse(input.input!).order.total).toBeUndefined();
  });

  it('does nothing for an order whose saga already started', async () => {
    sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    const o = order();
    expect(await handler()({ order: o })).toMatchObject({
      orderId: o.orderId,
      started: false,
      executionArn: expect.stringContaining(`:execution:shop-saga:${o.orderId}`),
    });
  });

  it('throws for an invalid order, naming the field, so the rule keeps the event', async () => {
    await expect(handler()({ order: { ...order(), lines: 'none' } })).rejects.toThrow(/lines/);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('Handler: reference-monolith', () => {
  const monolith = () =>
    new ReferenceMonolith({
      ddb: db.doc,
      tableName: tables.monolith,
      rules: DEFAULT_REFERENCE_RULES,
      now: () => new Date('2026-11-21T14:30:09Z'),
    });

  it('answers a capture once per message id, and replies the same to a redelivery', async () => {
    // Prepare
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const handler = createReferenceMonolithHandler({
      monolith: monolith(),
      events: new EventBridgeClient({}),
      busName: 'shop-legacy',
      source: 'shop.monolith',
      rules: DEFAULT_REFERENCE_RULES,
      logger: quiet,
    });
    const cmd = {
      'detail-type': 'CAPTURE_PAYMENT_REQUESTED',
      detail: {
        MSG_ID: 'CMD-00000001',
        ORDER_NO: '1300001',
        CUST_NO: 'C00042',
        AMOUNT_CENTS: '5497',
        CURRENCY: 'EUR',
        REQUESTED_DT: '20261121 143005',
      },
    };

    // Act
    await handler(cmd);
    await handler(cmd);

    // Assess
    const replies = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries![0]);
    expect(replies.map((r) => r.DetailType)).toEqual(['PAYMENT_CAPTURED', 'PAYMENT_CAPTURED']);
    expect(replies[0].Detail).toBe(replies[1].Detail);
    expect(JSON.parse(replies[0].Detail!)).toMatchObject({ ORDER_NO: '1300001', AMOUNT_CENTS: '5497', CAPTURED_DT: '20261121 143009' });
    // The reply is a valid legacy event of the spec, so the bridge will translate it.
    const { Translator } = await import('../../core/translate/translator');
    expect(new Translator(spec).toService('PAYMENT_CAPTURED', JSON.parse(replies[0].Detail!), { now: new Date() }).status).toBe(
      'translated',
    );
  });

  it('declines the configured customers and refunds nothing it never took', async () => {
    const m = monolith();
    expect(
      await m.handle('CAPTURE_PAYMENT_REQUESTED', {
        MSG_ID: 'CMD-00000002',
        ORDER_NO: '1300002',
        CUST_NO: 'C99999',
        AMOUNT_CENTS: '100',
        CURRENCY: 'EUR',
      }),
    ).toMatchObject({ detailType: 'PAYMENT_DECLINED', detail: { DECLINE_CD: 'CARD' } });
    expect(await m.handle('REFUND_PAYMENT_REQUESTED', { MSG_ID: 'CMD-00000003', ORDER_NO: '1300002', REASON_CD: 'PAY' })).toMatchObject({
      detailType: 'PAYMENT_REFUNDED',
      detail: { AMOUNT_CENTS: '0' },
    });
    expect(
      await m.handle('RESERVE_STOCK_REQUESTED', { MSG_ID: 'CMD-00000004', ORDER_NO: '1300003', LINES: [{ SKU: 'OUT-0000', QTY: '1' }] }),
    ).toMatchObject({ detailType: 'STOCK_REJECTED' });
  });
});
