import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ROUTE_SK, RoutingStore } from '../../adapters/dynamodb/routing-store';
import { bucketOf } from '../../core/routing/bucket';
import { parseRouteEntry, type RouteEntry } from '../../core/routing';
import '../../core/saga';
import { parseSpec, type SpecInput } from '../../core/spec';
import config from '../../cutover.config';
import { createSagaRouteHandler } from '../../functions/saga-route/handler';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { createRoutingTables, quietLogger } from './routing-fixtures';

/*
 * The decision task of routed saga steps (functions/saga-route) against a routing table in dynalite: the
 * spec's seed while no row exists, the stored entry once one does, the router's cache bound on how fast a
 * rollback is seen, an invalid row routed to the monolith, and requests that are not the saga's refused.
 */

const spec = parseSpec(
  ((): SpecInput => {
    const copy = structuredClone(config) as SpecInput & { saga: Record<string, any> };
    copy.saga.steps.ProcessPayment.owner = 'routed';
    return copy;
  })(),
);

function paymentEntry(overrides: Partial<Record<keyof RouteEntry, unknown>> = {}): RouteEntry {
  return parseRouteEntry({
    capability: 'payment',
    mode: 'canary',
    percent: 50,
    legacy: { target: 'monolith' },
    candidate: { version: 'v1', target: 'payment-v1' },
    stickyKey: 'orderId',
    mirrorInCanary: true,
    legacyShadowInPrimary: false,
    health: 'healthy',
    updatedAt: '2026-11-21T10:00:00.000Z',
    updatedBy: 'ops@example.com',
    reason: 'fixture',
    revision: 4,
    ...overrides,
  });
}

function orderIdOn(side: 'service' | 'monolith', from = 5_000_000): string {
  for (let id = from; ; id++) if (bucketOf(String(id)) < 50 === (side === 'service')) return String(id);
}

const request = (orderId: string, overrides: Record<string, unknown> = {}) => ({
  step: 'ProcessPayment',
  capability: 'payment',
  keyField: 'orderId',
  orderId,
  order: { orderId, customerId: 'C00042' },
  ...overrides,
});

describe('Handler: saga-route (dynalite)', () => {
  let db: LocalDynamo;
  let n = 0;
  const fresh = async () => {
    n += 1;
    const names = { table: `saga-route-${n}`, history: `saga-route-history-${n}` };
    await createRoutingTables(db, names);
    const store = new RoutingStore({ tableName: names.table, historyTableName: names.history, routing: spec.routing!, client: db.doc });
    const put = (entry: RouteEntry | Record<string, unknown>) =>
      db.doc.send(new PutCommand({ TableName: names.table, Item: { ...entry, sk: ROUTE_SK } }));
    return { store, put };
  };

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.stop();
  });

  it("routes by the spec's seed while the table has no row for the capability (payment starts in legacy)", async () => {
    // Prepare
    const { store } = await fresh();
    const decide = createSagaRouteHandler({ spec, store, logger: quietLogger() });

    // Act
    const d = await decide(request(orderIdOn('service')));

    // Assess
    expect(d).toMatchObject({ capability: 'payment', side: 'monolith', reason: 'mode-legacy', revision: 0, mode: 'legacy', version: 'v1' });
  });

  it.each(['service', 'monolith'] as const)('sends an order whose bucket is on the %s side of a 50%% canary there', async (side) => {
    // Prepare
    const { store, put } = await fresh();
    await put(paymentEntry());
    const decide = createSagaRouteHandler({ spec, store, logger: quietLogger() });
    const orderId = orderIdOn(side);

    // Act
    const d = await decide(request(orderId));

    // Assess
    expect(d).toEqual({
      capability: 'payment',
      side,
      bucket: bucketOf(orderId),
      reason: side === 'service' ? 'canary-in' : 'canary-out',
      version: 'v1',
      revision: 4,
      mode: 'canary',
    });
  });

  it('sees a rollback written to the table once its cached entry is older than the TTL, never later', async () => {
    // Prepare
    const { store, put } = await fresh();
    await put(paymentEntry({ mode: 'primary', percent: 100 }));
    let now = 1_000_000;
    const decide = createSagaRouteHandler({ spec, store, cacheTtlMs: 1000, clock: () => now, logger: quietLogger() });
    const orderId = orderIdOn('monolith');
    const before = await decide(request(orderId));
    await put(paymentEntry({ mode: 'legacy', percent: 0, revision: 5 }));

    // Act
    now += 999;
    const cached = await decide(request(orderId));
    now += 1;
    const after = await decide(request(orderId));

    // Assess
    expect([before.side, cached.side, after.side]).toEqual(['service', 'service', 'monolith']);
    expect(after).toMatchObject({ reason: 'mode-legacy', revision: 5 });
  });

  it('sends the order to the monolith when the stored row is invalid, as the router does', async () => {
    // Prepare
    const { store, put } = await fresh();
    await put({ ...paymentEntry(), mode: 'legacy', percent: 40 });
    const decide = createSagaRouteHandler({ spec, store, logger: quietLogger() });

    // Act
    const d = await decide(request(orderIdOn('service')));

    // Assess
    expect(d).toMatchObject({ side: 'monolith', reason: 'invalid-route', revision: null });
  });

  it('throws when the table cannot be read, so the state machine falls back to the monolith', async () => {
    // Prepare
    const store = new RoutingStore({ tableName: 'no-such-table', historyTableName: 'x', routing: spec.routing!, client: db.doc });
    const decide = createSagaRouteHandler({ spec, store, logger: quietLogger() });

    // Act
    const act = decide(request(orderIdOn('service')));

    // Assess
    await expect(act).rejects.toThrow(/non-existent table|not found|ResourceNotFound/i);
  });

  it.each([
    ['a step that is not routed', { step: 'ReserveInventory' }, /step: "ReserveInventory" is not a routed step/],
    [
      'an action that follows a stamp instead of asking (ConfirmReservation)',
      { step: 'ConfirmReservation', capability: 'inventory' },
      /step: "ConfirmReservation" is not a routed step/,
    ],
    ['a missing key field', { keyField: '' }, /keyField: expected a non-empty string, got ""/],
    [
      'another capability than the spec routes it by',
      { capability: 'inventory' },
      /capability: ProcessPayment is routed by payment, got "inventory"/,
    ],
    [
      'another key than the spec routes it on',
      { keyField: 'customerId' },
      /keyField: ProcessPayment is routed by orderId, got "customerId"/,
    ],
    ['an order that is not an object', { order: 'x' }, /order: expected an object, got "x"/],
  ])('refuses %s, naming the field', async (_name, overrides, message) => {
    // Prepare
    const { store } = await fresh();
    const decide = createSagaRouteHandler({ spec, store, logger: quietLogger() });

    // Act
    const act = decide(request('5000001', overrides));

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'InvalidStepInput', message: expect.stringMatching(message) });
  });

  it('refuses a cache TTL above the one-second rollback bound', () => {
    // Act
    const act = () => createSagaRouteHandler({ spec, store: {} as never, cacheTtlMs: 1001 });

    // Assess
    expect(act).toThrow('cacheTtlMs must be 0..1000 (a rollback must reach the saga within a second), got 1001');
  });
});
