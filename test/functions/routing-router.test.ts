import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { ROUTED_DETAIL_TYPE, ROUTER_SOURCE, bucketOf, seedEntry, type RouteEntry } from '../../core/routing';
import type { AuditRecord } from '../../core/audit';
import { RoutedPutRetryableError, Router, withRegisteredAccepts } from '../../functions/router/router';
import type { QuarantineRecord } from '../../adapters/dynamodb/quarantine-store';
import type { RoutingSnapshot, ServiceRegistration } from '../../adapters/dynamodb/routing-store';
import { inventoryEntry, orderCreated, orderIds, quietLogger, spec } from './routing-fixtures';

const routing = spec.routing!;
const eb = mockClient(EventBridgeClient);

interface Harness {
  router: Router;
  loads: () => number;
  setTable: (entries: RouteEntry[], services?: ServiceRegistration[], invalid?: RoutingSnapshot['invalid']) => void;
  failNextLoad: () => void;
  quarantined: QuarantineRecord[];
  audited: Array<{ stream: string; record: AuditRecord }>;
  clock: { now: number };
}

/** A router over an in-memory table (the store's `load`), a mocked bus and capturing quarantine/audit. */
function harness(initial: RouteEntry[] = []): Harness {
  let snapshot: RoutingSnapshot = { entries: new Map(), invalid: [], services: new Map() };
  let loads = 0;
  let fail = false;
  const quarantined: QuarantineRecord[] = [];
  const audited: Array<{ stream: string; record: AuditRecord }> = [];
  const clock = { now: Date.parse('2026-11-22T09:00:00Z') };
  const setTable: Harness['setTable'] = (entries, services = [], invalid = []) => {
    const byCap = new Map<string, ServiceRegistration[]>();
    for (const s of services) byCap.set(s.capability, [...(byCap.get(s.capability) ?? []), s]);
    snapshot = { entries: new Map(entries.map((e) => [e.capability, e])), invalid, services: byCap };
  };
  setTable(initial);
  const router = new Router({
    spec,
    store: {
      load: async () => {
        loads++;
        if (fail) {
          fail = false;
          throw Object.assign(new Error('table unavailable'), { name: 'InternalServerError' });
        }
        return snapshot;
      },
      seedFor: (capability: string) => seedEntry(capability, routing.capabilities[capability], new Date(clock.now)),
    },
    events: new EventBridgeClient({ region: 'us-east-1' }),
    busName: 'shop-services',
    quarantine: { put: async (r: QuarantineRecord) => (quarantined.push(r), 'stored' as const) },
    audit: {
      append: async (stream: string, record: AuditRecord) => (
        audited.push({ stream, record }),
        { status: 'duplicate', stream, sequence: 1 } as never
      ),
    },
    logger: quietLogger(),
    clock: () => clock.now,
  });
  return { router, loads: () => loads, setTable, failNextLoad: () => (fail = true), quarantined, audited, clock };
}

/** The routed copies put on the bus so far, parsed. */
function putCopies(): Array<{ source: string; detailType: string; detail: { metadata: Record<string, any>; data: Record<string, any> } }> {
  return eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) =>
      (c.args[0].input.Entries ?? []).map((e) => ({ source: e.Source!, detailType: e.DetailType!, detail: JSON.parse(e.Detail!) })),
    );
}
const forCap = (capability: string) => putCopies().filter((c) => c.detail.metadata.routing.capability === capability);

beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
});

describe('Class: Router', () => {
  describe('Method: handle', () => {
    it('puts one stamped cutover.routed copy per delivery, for every capability that consumes the type', async () => {
      // Prepare: nothing stored yet, so each capability routes by its spec seed (notification starts in shadow)
      const h = harness();

      // Act
      const result = await h.router.handle(orderCreated('2000001'));

      // Assess
      const copies = putCopies();
      expect(copies.every((c) => c.source === ROUTER_SOURCE && c.detailType === ROUTED_DETAIL_TYPE)).toBe(true);
      expect(
        copies
          .map((c) => `${c.detail.metadata.routing.capability}/${c.detail.metadata.routing.target}/${c.detail.metadata.routing.role}`)
          .sort(),
      ).toEqual([
        'inventory/monolith/authoritative',
        'notification/monolith/authoritative',
        'notification/notification-v1/shadow',
        'payment/monolith/authoritative',
      ]);
      const stamp = copies[0].detail.metadata.routing;
      expect(stamp).toMatchObject({ bucket: bucketOf('2000001'), revision: 0, version: 2, routedAt: '2026-11-22T09:00:00.000Z' });
      expect(copies[0].detail.metadata).toMatchObject({ eventType: 'order.created', correlationId: 'order-2000001' });
      expect(copies[0].detail.data.orderId).toBe('2000001');
      expect(result).toMatchObject({ received: 1, routed: 1, quarantined: 0, ignored: 0 });
    });

    it('splits a 10% canary by sticky key: the candidate gets exactly the keys whose bucket is below 10', async () => {
      // Prepare
      const h = harness([inventoryEntry({ mode: 'canary', percent: 10, mirrorInCanary: false })]);
      const ids = orderIds(400);

      // Act
      for (const id of ids) await h.router.handle(orderCreated(id));

      // Assess
      const byKey = new Map(forCap('inventory').map((c) => [c.detail.data.orderId as string, c.detail.metadata.routing.target as string]));
      expect(byKey.size).toBe(ids.length);
      for (const id of ids) expect({ id, target: byKey.get(id) }).toEqual({ id, target: bucketOf(id) < 10 ? 'inventory-v2' : 'monolith' });
      const share = [...byKey.values()].filter((t) => t === 'inventory-v2').length / ids.length;
      expect(share).toBeGreaterThan(0.05);
      expect(share).toBeLessThan(0.15);
    });

    it('mirrors the monolith-routed keys to the candidate as shadow copies in canary when mirrorInCanary', async () => {
      const h = harness([inventoryEntry({ mode: 'canary', percent: 10, mirrorInCanary: true })]);
      const id = orderIds(200).find((k) => bucketOf(k) >= 10)!;
      await h.router.handle(orderCreated(id));
      expect(
        forCap('inventory')
          .map((c) => `${c.detail.metadata.routing.target}/${c.detail.metadata.routing.role}`)
          .sort(),
      ).toEqual(['inventory-v2/shadow', 'monolith/authoritative']);
    });

    it('routes an unhealthy candidate around: monolith only, no shadow', async () => {
      const h = harness([inventoryEntry({ mode: 'primary', health: 'unhealthy' })]);
      await h.router.handle(orderCreated('2000002'));
      expect(forCap('inventory').map((c) => [c.detail.metadata.routing.target, c.detail.metadata.routing.reason])).toEqual([
        ['monolith', 'candidate-unhealthy'],
      ]);
    });

    it('downcasts for a candidate that accepts an older version, and says so in the stamp', async () => {
      // Prepare: candidate v1 (accepts order.created v1 only) in shadow
      const h = harness([inventoryEntry({ mode: 'shadow', candidate: { version: 'v1', target: 'inventory-v1' } })]);

      // Act
      await h.router.handle(orderCreated('2000003'));

      // Assess
      const shadow = forCap('inventory').find((c) => c.detail.metadata.routing.role === 'shadow')!;
      const legacy = forCap('inventory').find((c) => c.detail.metadata.routing.role === 'authoritative')!;
      expect(shadow.detail.metadata).toMatchObject({ version: 1, routing: { target: 'inventory-v1', version: 1, castFrom: 2 } });
      expect(shadow.detail.data).toMatchObject({ total: '54.97', currency: 'EUR' });
      expect(shadow.detail.data.amount).toBeUndefined();
      expect(legacy.detail.metadata.version).toBe(2);
      expect(legacy.detail.data.amount).toEqual({ total: '54.97', currency: 'EUR' });
    });

    it('quarantines (with the reason, audited) a version the authoritative candidate cannot take, and delivers nothing for it', async () => {
      // Prepare: v2 is primary for inventory; the event comes in version 3, which no cast reaches
      const h = harness([inventoryEntry({ mode: 'primary', health: 'healthy' })]);

      // Act
      const result = await h.router.handle(orderCreated('2000004', { version: 3 }));

      // Assess
      expect(forCap('inventory')).toEqual([]);
      expect(forCap('payment')).toHaveLength(1);
      const q = h.quarantined.find((r) => r.problems[0].startsWith('routing inventory'))!;
      expect(q).toMatchObject({
        reason: 'untranslatable',
        bus: 'services',
        detailType: 'order.created',
        eventBridgeId: 'eb-2000004/inventory/authoritative',
        stream: 'order-2000004',
      });
      expect(q.problems[0]).toContain('order.created v3: inventory-v2 accepts v2 and no cast leads from v3');
      expect(JSON.parse(q.payload).data.orderId).toBe('2000004');
      expect(h.audited.some((a) => a.record.kind === 'route-quarantine' && a.stream === 'order-2000004')).toBe(true);
      expect(result.quarantines.map((x) => x.capability)).toContain('inventory');
    });

    it('uses the versions a registered candidate declared over the spec list (no cast once it reads v2)', async () => {
      // Prepare: candidate v1 registered as accepting order.created v1 and v2
      const h = harness();
      h.setTable(
        [inventoryEntry({ mode: 'shadow', candidate: { version: 'v1', target: 'inventory-v1' } })],
        [
          {
            capability: 'inventory',
            version: 'v1',
            target: 'inventory-v1',
            service: 'inventory-svc',
            accepts: { 'order.created': [1, 2], 'order.cancelled': [1] },
            emits: [],
            registeredAt: '2026-11-22T08:00:00Z',
            registeredBy: 'test',
          },
        ],
      );

      // Act
      await h.router.handle(orderCreated('2000005'));

      // Assess
      const shadow = forCap('inventory').find((c) => c.detail.metadata.routing.role === 'shadow')!;
      expect(shadow.detail.metadata.routing.castFrom).toBeUndefined();
      expect(shadow.detail.metadata.version).toBe(2);
    });

    it('routes a capability with an invalid row to the monolith only', async () => {
      const h = harness();
      h.setTable([], [], [{ capability: 'notification', problems: ['percent: must be 0 in shadow mode, got 40'] }]);
      await h.router.handle(orderCreated('2000006'));
      expect(forCap('notification').map((c) => [c.detail.metadata.routing.target, c.detail.metadata.routing.reason])).toEqual([
        ['monolith', 'no-route'],
      ]);
    });

    it('ignores replays and already routed copies; quarantines what is not a service event', async () => {
      // Prepare
      const h = harness();
      const replay = orderCreated('2000007') as { detail: { metadata: Record<string, unknown> } };
      replay.detail.metadata.replay = { replayId: 'r1' };
      const bad = { id: 'eb-bad', source: 'svc', 'detail-type': 'order.created', time: '2026-11-22T09:00:00Z', detail: { orderId: 'x' } };

      // Act
      const result = await h.router.handle([replay, bad]);

      // Assess
      expect(result).toMatchObject({ received: 2, ignored: 1, quarantined: 1, routed: 0 });
      expect(putCopies()).toEqual([]);
      expect(h.quarantined).toHaveLength(1);
      expect(h.quarantined[0].problems[0]).toContain('not a service event');
    });
  });

  describe('Cache', () => {
    it('reads the table at most once per second, and a rollback is honoured by the first decision after that second', async () => {
      // Prepare: canary 100% (all keys on the candidate)
      const h = harness([inventoryEntry({ mode: 'canary', percent: 100, health: 'healthy' })]);
      await h.router.handle(orderCreated('2000010'));
      // Act 1: the table is rolled back; 999 ms later the router may still use the table it read
      h.setTable([inventoryEntry({ mode: 'legacy', revision: 4 })]);
      h.clock.now += 999;
      await h.router.handle(orderCreated('2000011'));
      // Act 2: at 1000 ms it must read again
      h.clock.now += 1;
      await h.router.handle(orderCreated('2000012'));

      // Assess
      const target = (id: string) => forCap('inventory').find((c) => c.detail.data.orderId === id)!.detail.metadata.routing;
      expect(target('2000010')).toMatchObject({ target: 'inventory-v2', revision: 3 });
      expect(target('2000011')).toMatchObject({ target: 'inventory-v2', revision: 3 });
      expect(target('2000012')).toMatchObject({ target: 'monolith', revision: 4 });
      expect(h.loads()).toBe(2);
    });

    it('never routes on a table it could not read: the invocation fails and nothing is put', async () => {
      const h = harness([inventoryEntry({ mode: 'canary', percent: 50 })]);
      h.failNextLoad();
      await expect(h.router.handle(orderCreated('2000013'))).rejects.toThrow('table unavailable');
      expect(putCopies()).toEqual([]);
    });

    it('refuses a cache longer than the one-second rollback bound', () => {
      expect(() => new Router({ spec, cacheTtlMs: 1500 } as never)).toThrow('cacheTtlMs must be 0..1000');
    });
  });

  describe('Metrics', () => {
    it('publishes Routed, Quarantined and Copies as one EMF document per invocation', async () => {
      // Prepare
      const lines: string[] = [];
      const write = jest
        .spyOn(process.stdout, 'write')
        .mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
      const h = harness();

      // Act
      let result;
      try {
        result = await h.router.handle([orderCreated('2000020'), { id: 'x', detail: 'not an event' }]);
      } finally {
        write.mockRestore();
      }

      // Assess
      const emf = lines
        .join('')
        .split('\n')
        .filter((l) => l.includes('"_aws"'))
        .map((l) => JSON.parse(l) as Record<string, any>);
      expect(emf).toHaveLength(1);
      expect(emf[0]._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: 'Cutover/Router',
        Metrics: expect.arrayContaining([{ Name: 'Routed', Unit: 'Count' }]),
      });
      expect(emf[0]).toMatchObject({ Routed: 1, Quarantined: 1, Copies: result.copies.length, service: 'router' });
      expect(JSON.parse(emf[0].byTarget)).toEqual(expect.objectContaining({ 'inventory.monolith.authoritative': 1 }));
    });
  });

  describe('Bus failures', () => {
    it('throws for a passing refusal so Lambda retries the whole event', async () => {
      eb.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }, {}, {}, {}],
      });
      const h = harness();
      await expect(h.router.handle(orderCreated('2000014'))).rejects.toThrow(RoutedPutRetryableError);
    });

    it('keeps every request within 256 KiB: ten ~30 KiB events route in requests EventBridge accepts', async () => {
      // Prepare: a bus that refuses an oversized request whole, as EventBridge does (the old router sent any
      // ten copies together, so ten large copies failed as one request)
      const sizes: number[] = [];
      eb.on(PutEventsCommand).callsFake((input: { Entries: Array<{ Source?: string; DetailType?: string; Detail?: string }> }) => {
        const bytes = input.Entries.reduce(
          (n, e) => n + 14 + Buffer.byteLength(e.Source ?? '') + Buffer.byteLength(e.DetailType ?? '') + Buffer.byteLength(e.Detail ?? ''),
          0,
        );
        sizes.push(bytes);
        if (bytes > 256 * 1024)
          throw Object.assign(new Error('Total size of the entries in the request is over the limit.'), { name: 'ValidationException' });
        return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${sizes.length}-${i}` })) };
      });
      const h = harness();
      const padding = 'x'.repeat(30 * 1024);
      const events = orderIds(10, 2_000_100).map((id) => {
        const e = orderCreated(id);
        const detail = e.detail as { data: Record<string, unknown> };
        return { ...e, detail: { ...detail, data: { ...detail.data, note: padding } } };
      });

      // Act
      const result = await h.router.handle(events);

      // Assess
      expect(result.routed).toBe(10);
      expect(h.quarantined).toEqual([]);
      expect(putCopies()).toHaveLength(result.copies.length);
      expect(result.copies.length).toBeGreaterThanOrEqual(10);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024);
      expect(eb.commandCalls(PutEventsCommand).every((c) => (c.args[0].input.Entries ?? []).length <= 10)).toBe(true);
    });

    it('quarantines a copy the bus refuses for good', async () => {
      eb.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{}, { ErrorCode: 'MalformedDetail', ErrorMessage: 'no' }, {}, {}],
      });
      const h = harness();
      const result = await h.router.handle(orderCreated('2000015'));
      expect(h.quarantined).toHaveLength(1);
      expect(h.quarantined[0].problems[0]).toContain('the services bus refused the routed copy: MalformedDetail');
      expect(result.copies).toHaveLength(3);
    });
  });
});

describe('Function: withRegisteredAccepts', () => {
  it('leaves the spec alone when the candidate has not registered', () => {
    const cap = routing.capabilities.inventory;
    expect(withRegisteredAccepts(cap, inventoryEntry(), [])).toBe(cap);
  });
});
