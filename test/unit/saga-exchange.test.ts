import { SchemaValidationError } from '../../core/errors';
import { buildCommand, carrierRoutes, orderIdOfReply, projectToSchema, replyRoutes } from '../../core/saga/exchange';
import { InvalidStepInput, isTransientSdkError, StepTransientError, toStepError } from '../../core/saga/errors';
import { FaultInjector, InjectedFault, parseFaultPlan } from '../../core/saga/faults';
import { parseStepInput, quantitiesBySku, toCents, fromCents } from '../../core/saga/input';
import { decideAddress, decideCharge, decideReview, DEFAULT_REFERENCE_RULES, parseReferenceRules } from '../../core/saga/reference';
import { prepareSagaStart } from '../../core/saga/start';
import { cancelReasonFor } from '../../core/saga/steps';
import '../../core/saga';
import { parseSpec, validatePayload, type Spec } from '../../core/spec';
import { Translator } from '../../core/translate/translator';
import config from '../../cutover.config';

const spec: Spec = parseSpec(config);
const order = {
  orderId: '1000123',
  customerId: 'C00042',
  placedAt: '2026-11-21T14:30:00Z',
  amount: { total: '54.97', currency: 'EUR' },
  channel: 'web',
  lines: [
    { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
    { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
  ],
  shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
};
const ctx = {
  order,
  correlationId: 'order-1000123',
  sagaId: '1000123-2026-11-21T14:30:00.000Z',
  now: new Date('2026-11-21T14:30:05.123Z'),
};

describe('Function: buildCommand', () => {
  const capture = spec.saga!.steps.ProcessPayment.monolith!.forward;

  it('builds the command from the order, valid for its schema, and the bridge turns it into the legacy command', () => {
    // Act
    const cmd = buildCommand(spec, capture, 'ProcessPayment', ctx);

    // Assess
    expect(cmd.detailType).toBe('payment.capture-requested');
    expect(cmd.detail.data).toEqual({
      orderId: '1000123',
      customerId: 'C00042',
      amount: '54.97',
      currency: 'EUR',
      requestedAt: '2026-11-21T14:30:05Z',
    });
    expect(cmd.detail.metadata).toMatchObject({
      correlationId: 'order-1000123',
      origin: 'service',
      producer: 'cutover.saga',
      entity: { type: 'order', key: '1000123' },
    });
    const legacy = new Translator(spec).toLegacy(cmd.detail, { now: ctx.now });
    expect(legacy).toMatchObject({
      status: 'translated',
      detailType: 'CAPTURE_PAYMENT_REQUESTED',
      detail: { ORDER_NO: '1000123', AMOUNT_CENTS: '5497', REQUESTED_DT: '20261121 143005' },
    });
  });

  it('keeps the same id for a resend of the same action in the same run, and a new one in another run', () => {
    const a = buildCommand(spec, capture, 'ProcessPayment', ctx);
    const b = buildCommand(spec, capture, 'ProcessPayment', { ...ctx, now: new Date('2026-11-21T14:35:00Z') });
    const c = buildCommand(spec, capture, 'ProcessPayment', { ...ctx, sagaId: 'another-run' });
    expect(b.detail.metadata.eventId).toBe(a.detail.metadata.eventId);
    expect(c.detail.metadata.eventId).not.toBe(a.detail.metadata.eventId);
  });

  it("projects the order lines to the command's item shape and derives the cancel reason from the failure", () => {
    const reserve = spec.saga!.steps.ReserveInventory.monolith!;
    expect(buildCommand(spec, reserve.forward, 'ReserveInventory', ctx).detail.data.items).toEqual([
      { sku: 'MUG-0001', quantity: 2 },
      { sku: 'TEA-0042', quantity: 1 },
    ]);
    const release = buildCommand(spec, reserve.compensation, 'ReleaseInventory', {
      ...ctx,
      failure: { Error: 'CardDeclined' },
      failedStep: 'ProcessPayment',
    });
    expect(release.detail.data.reason).toBe('payment-failed');
  });

  it('throws InvalidStepInput naming the field when the order cannot make a valid command', () => {
    expect(() => buildCommand(spec, capture, 'ProcessPayment', { ...ctx, order: { ...order, customerId: 'nobody' } })).toThrow(
      InvalidStepInput,
    );
    expect(() => buildCommand(spec, capture, 'ProcessPayment', { ...ctx, order: { ...order, customerId: 'nobody' } })).toThrow(
      /customerId/,
    );
  });
});

describe('Function: replyRoutes / carrierRoutes / orderIdOfReply', () => {
  it('routes every declared monolith reply to its action, failures with their business error', () => {
    const routes = replyRoutes(spec.saga!);
    expect(routes.get('payment.captured')).toEqual({ action: 'ProcessPayment', outcome: 'success' });
    expect(routes.get('payment.declined')).toEqual({ action: 'ProcessPayment', outcome: 'failure', error: 'CardDeclined' });
    expect(routes.get('payment.refunded')).toEqual({ action: 'RefundPayment', outcome: 'success' });
    // Declared for ReserveInventory although the service owns it today: a switch back still gets its replies.
    expect(routes.get('inventory.reserved')).toEqual({ action: 'ReserveInventory', outcome: 'success' });
    expect(routes.has('shipment.dispatched')).toBe(false);
    expect(carrierRoutes(spec.saga!).get('shipment.dispatched')).toEqual({ action: 'ScheduleShipping', outcome: 'success' });
  });

  it('finds the order from the envelope first, the data second', () => {
    const meta = {
      eventId: 'e',
      eventType: 't',
      version: 1,
      correlationId: 'c',
      origin: 'legacy' as const,
      producer: 'p',
      occurredAt: 'x',
    };
    expect(orderIdOfReply({ metadata: { ...meta, entity: { type: 'order', key: '42' } }, data: { orderId: '43' } })).toBe('42');
    expect(orderIdOfReply({ metadata: { ...meta, entity: { type: 'customer', key: 'C1' } }, data: { orderId: '43' } })).toBe('43');
    expect(orderIdOfReply({ metadata: { ...meta, entity: { type: 'customer', key: 'C1' } }, data: {} })).toBeUndefined();
  });
});

describe('Function: projectToSchema', () => {
  it('drops undeclared fields at every depth, keeps everything under `additional`', () => {
    const schema = spec.bridge.serviceEvents['inventory.reserve-requested'].versions['1'].schema;
    const out = projectToSchema(
      { orderId: '1000001', extra: 1, items: [{ sku: 'MUG-0001', quantity: 1, unitPrice: '1.00' }], requestedAt: '2026-11-21T14:30:00Z' },
      schema,
    );
    expect(out).toEqual({ orderId: '1000001', items: [{ sku: 'MUG-0001', quantity: 1 }], requestedAt: '2026-11-21T14:30:00Z' });
    expect(validatePayload(schema, out)).toEqual([]);
    expect(projectToSchema({ a: 1 }, { type: 'object', fields: {}, additional: true })).toEqual({ a: 1 });
  });
});

describe('Function: prepareSagaStart', () => {
  it('names the execution by the order id and casts an older order version to the latest', () => {
    const v1 = { ...order, total: '54.97', currency: 'EUR', amount: undefined };
    delete (v1 as Record<string, unknown>).amount;
    const start = prepareSagaStart(spec, v1, 1);
    expect(start.name).toBe('1000123');
    expect(start.input.order).toMatchObject({ amount: { total: '54.97', currency: 'EUR' } });
  });

  it('rejects an invalid order with every problem named', () => {
    expect(() => prepareSagaStart(spec, { ...order, lines: [] })).toThrow(SchemaValidationError);
    expect(() => prepareSagaStart(spec, { ...order, lines: [] })).toThrow(/lines/);
    expect(() => prepareSagaStart(spec, 'not an order')).toThrow(/order: expected an object/);
    expect(() => prepareSagaStart(spec, order, 9)).toThrow(/version: 9 is not a version of order.created/);
  });
});

describe('Function: parseStepInput', () => {
  const input = { action: 'reserve', step: 'ReserveInventory', orderId: '1000123', correlationId: 'order-1000123', sagaId: 's', order };

  it('accepts the payload the state machine sends', () => {
    expect(parseStepInput(input, ['reserve']).order.lines).toHaveLength(2);
  });

  it.each([
    [{ ...input, action: 'steal' }, 'action: "steal" is not one of reserve'],
    [{ ...input, orderId: '999' }, 'order.orderId: "1000123" differs from orderId "999"'],
    [{ ...input, order: { ...order, lines: [{ sku: 'X', quantity: 0 }] } }, 'order.lines[0]'],
    [{ ...input, order: { ...order, amount: { total: '12', currency: 'EUR' } } }, 'order.amount'],
    [{ ...input, taskToken: '' }, 'taskToken'],
  ])('names the field: %#', (bad, expected) => {
    expect(() => parseStepInput(bad, ['reserve'])).toThrow(expected);
  });

  it('adds up the lines per SKU and does exact cent arithmetic', () => {
    expect(
      quantitiesBySku([
        { sku: 'B', quantity: 1 },
        { sku: 'A', quantity: 2 },
        { sku: 'B', quantity: 3 },
      ]),
    ).toEqual([
      { sku: 'A', quantity: 2 },
      { sku: 'B', quantity: 4 },
    ]);
    expect(toCents('54.97') + toCents('0.03')).toBe(5500);
    expect(fromCents(toCents('1234.05'))).toBe('1234.05');
    expect(fromCents(-5)).toBe('-0.05');
  });
});

describe('Class: FaultInjector', () => {
  it('does nothing without a plan', async () => {
    const f = new FaultInjector();
    await expect(f.around('X', '1', async () => 'done')).resolves.toBe('done');
    expect(f.enabled).toBe(false);
  });

  it('fails the first N calls per order, before or after the effect', async () => {
    const effects: string[] = [];
    const f = new FaultInjector({ X: { failTimes: 1, phase: 'after' } });
    await expect(f.around('X', '1', async () => effects.push('a'))).rejects.toBeInstanceOf(StepTransientError);
    await expect(f.around('X', '1', async () => effects.push('b'))).resolves.toBe(2);
    await expect(f.around('X', '2', async () => effects.push('c'))).rejects.toThrow(/after the effect/);
    expect(effects).toEqual(['a', 'b', 'c']);
  });

  it('follows a scripted sequence call by call, with named errors', async () => {
    const f = new FaultInjector({ X: { sequence: ['ok', 'before', 'CardDeclined'] } });
    await expect(f.around('X', '1', async () => 1)).resolves.toBe(1);
    await expect(f.around('X', '1', async () => 2)).rejects.toMatchObject({ name: 'TransientError' });
    const named = await f.around('X', '1', async () => 3).catch((e: Error) => e);
    expect(named).toBeInstanceOf(InjectedFault);
    expect((named as Error).name).toBe('CardDeclined');
    await expect(f.around('X', '1', async () => 4)).resolves.toBe(4);
  });

  it('uses the random source it is given for a rate, and rejects a malformed plan by name', async () => {
    const f = new FaultInjector({ '*': { failRate: 0.5 } }, () => 0.4);
    await expect(f.around('Any', '1', async () => 1)).rejects.toMatchObject({ name: 'TransientError' });
    expect(() => parseFaultPlan('{"X":{"failTimes":-1}}')).toThrow(/CUTOVER_FAULTS: X.failTimes/);
    expect(() => parseFaultPlan('{oops')).toThrow(/not JSON/);
    expect(parseFaultPlan(undefined)).toEqual({});
  });
});

describe('Reference rules', () => {
  it('decide like a sandbox: test customers, limits, countries', () => {
    const r = DEFAULT_REFERENCE_RULES;
    expect(decideCharge(r, 'C00042', '54.97')).toBe('captured');
    expect(decideCharge(r, 'C99999', '1.00')).toBe('declined');
    expect(decideCharge(r, 'C00042', '6000.00')).toBe('review');
    expect(decideCharge(r, 'C00042', '25000.00')).toBe('declined');
    expect(decideReview(r, 'C66666', 1)).toBe('rejected');
    expect(decideReview(r, 'C00042', 1)).toBe('captured');
    expect(decideAddress(r, 'ZZ')).toEqual({ ok: false, reason: 'no carrier delivers to ZZ' });
    expect(decideAddress(r, 'GB')).toEqual({ ok: true, carrier: 'rm' });
  });

  it('takes overrides from REFERENCE_RULES and names a bad one', () => {
    expect(parseReferenceRules('{"payment":{"reviewAbove":"10.00"}}').payment).toMatchObject({
      reviewAbove: '10.00',
      declineCustomers: ['C99999'],
    });
    expect(() => parseReferenceRules('{"payment":{"reviewAbove":"ten"}}')).toThrow(/REFERENCE_RULES: payment.reviewAbove/);
  });

  it('maps the error that stopped a saga to the cancellation reason of the events', () => {
    expect(cancelReasonFor('OutOfStock')).toBe('out-of-stock');
    expect(cancelReasonFor('States.Timeout', 'ScheduleShipping')).toBe('shipping-failed');
    expect(cancelReasonFor('Boom', 'CreateOrder')).toBe('saga-failed');
  });
});

describe('Function: toStepError', () => {
  it('turns SDK throttling into TransientError and keeps other errors as they are', () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    expect(isTransientSdkError(throttled)).toBe(true);
    expect(toStepError(throttled).name).toBe('TransientError');
    expect(toStepError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } })).name).toBe('TransientError');
    const bug = new TypeError('undefined is not a function');
    expect(toStepError(bug)).toBe(bug);
    expect(toStepError('text').message).toBe('text');
  });
});
