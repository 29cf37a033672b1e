import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { AuditRecord } from '../../core/audit';
import { ROLLED_BACK_TYPE, ROUTE_CHANGED_TYPE, ROUTING_SOURCE, applyChange, type RouteChange } from '../../core/routing';
import { AlarmNotificationError, AutoRollback, capabilityOf, notificationsOf } from '../../functions/auto-rollback/auto-rollback';
import { Registry } from '../../functions/route-health/registry';
import { RoutingControl } from '../../adapters/aws/routing-control';
import type { SideMetrics } from '../../adapters/cloudwatch/routing-metrics';
import type { ChangeOutcome, RoutingStore } from '../../adapters/dynamodb/routing-store';
import { inventoryEntry, quietLogger, spec } from './routing-fixtures';

const eb = mockClient(EventBridgeClient);
const NOW = new Date('2026-11-22T10:00:00.000Z');

beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
});

/** A store double whose `change` runs core's real state machine on an in-memory entry. */
function memoryStore(initial = inventoryEntry({ mode: 'canary', percent: 25, health: 'healthy' })) {
  let entry = initial;
  const calls: Array<{ capability: string; change: RouteChange; actor: string; reason: string }> = [];
  const store = {
    calls,
    current: () => entry,
    async change(capability: string, change: RouteChange, actor: string, reason: string): Promise<ChangeOutcome> {
      calls.push({ capability, change, actor, reason });
      const res = applyChange(entry, change, actor, reason, NOW);
      if (!res.changed) return { changed: false, entry, attempts: 1 };
      const previous = entry;
      entry = res.next;
      return { changed: true, entry, previous, history: res.historyRecord, attempts: 1, seeded: false };
    },
  };
  return store;
}

function control(store: ReturnType<typeof memoryStore>, audited: Array<{ stream: string; record: AuditRecord }>, auditFails = false) {
  return new RoutingControl({
    store: store as unknown as RoutingStore,
    audit: {
      append: async (stream: string, record: AuditRecord) => {
        if (auditFails) throw new Error('audit table throttled');
        audited.push({ stream, record });
        return { status: 'appended' } as never;
      },
    } as never,
    events: { client: new EventBridgeClient({ region: 'us-east-1' }), busName: 'shop-services' },
    logger: quietLogger(),
  });
}

const alarm = (state: string, overrides: Record<string, unknown> = {}) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      Sns: {
        Message: JSON.stringify({
          AlarmName: 'Cutover-Routing-inventory-ErrorRate',
          NewStateValue: state,
          NewStateReason: 'Threshold Crossed',
          StateChangeTime: '2026-11-22T09:59:58Z',
          Trigger: {
            MetricName: 'inventory.candidate.ErrorRate',
            Period: 60,
            EvaluationPeriods: 1,
            Dimensions: [
              { name: 'Capability', value: 'inventory' },
              { name: 'Side', value: 'candidate' },
            ],
          },
          ...overrides,
        }),
      },
    },
  ],
});

describe('Class: RoutingControl', () => {
  describe('Method: change', () => {
    it('after a committed rollback: audits who/when/from/to/why and emits route-changed and rolled-back', async () => {
      // Prepare
      const store = memoryStore();
      const audited: Array<{ stream: string; record: AuditRecord }> = [];

      // Act
      const res = await control(store, audited).change('inventory', { kind: 'rollback' }, 'ops@example.com', 'checkout errors');

      // Assess
      expect(res).toMatchObject({ changed: true, notified: { audit: 'appended', events: [ROUTE_CHANGED_TYPE, ROLLED_BACK_TYPE] } });
      expect(audited).toHaveLength(1);
      expect(audited[0].stream).toBe('routing-inventory');
      expect(audited[0].record).toMatchObject({ kind: 'route-change', eventId: 'route-change:inventory:4', detailType: ROLLED_BACK_TYPE });
      expect(JSON.parse(audited[0].record.payload)).toMatchObject({
        actor: 'ops@example.com',
        reason: 'checkout errors',
        from: { mode: 'canary', percent: 25 },
        to: { mode: 'legacy', percent: 0 },
      });
      const entries = eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries!;
      expect(entries.map((e) => [e.Source, e.DetailType])).toEqual([
        [ROUTING_SOURCE, ROUTE_CHANGED_TYPE],
        [ROUTING_SOURCE, ROLLED_BACK_TYPE],
      ]);
      expect(JSON.parse(entries[1].Detail!).data).toMatchObject({
        capability: 'inventory',
        revision: 4,
        automatic: false,
        reason: 'checkout errors',
      });
    });

    it('emits only route-changed for a change that is not a rollback, and nothing for a change that changes nothing', async () => {
      const store = memoryStore(inventoryEntry({ mode: 'legacy' }));
      const c = control(store, []);
      await c.change('inventory', { kind: 'setMode', mode: 'shadow' }, 'ops', 'shadow first');
      await c.change('inventory', { kind: 'setMode', mode: 'shadow' }, 'ops', 'again');
      const types = eb.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries!.map((e) => e.DetailType));
      expect(types).toEqual([ROUTE_CHANGED_TYPE]);
    });

    it('keeps a committed change when the audit log fails, and says so', async () => {
      const store = memoryStore();
      const res = await control(store, [], true).change('inventory', { kind: 'rollback' }, 'ops', 'errors');
      expect(store.current().mode).toBe('legacy');
      expect(res).toMatchObject({ changed: true, notified: { audit: { failed: 'Error: audit table throttled' } } });
    });
  });
});

describe('Class: AutoRollback', () => {
  const metrics = (m: Partial<SideMetrics>) => ({
    read: jest.fn(async () => ({ samples: 0, deliveries: 0, comparisons: 0, ...m }) as SideMetrics),
  });

  it('rolls back when the judged window breaches a threshold, as actor alarm:<name>, with the verdict as the reason', async () => {
    // Prepare
    const store = memoryStore();
    const audited: Array<{ stream: string; record: AuditRecord }> = [];
    const reader = metrics({ samples: 80, deliveries: 80, errorRate: 0.25 });
    const auto = new AutoRollback({ spec, control: control(store, audited), metrics: reader, logger: quietLogger() });

    // Act
    const [outcome] = await auto.handle(alarm('ALARM'));

    // Assess
    expect(reader.read).toHaveBeenCalledWith('inventory', 'candidate', 60);
    expect(outcome).toMatchObject({ action: 'rolled-back', capability: 'inventory', revision: 4 });
    expect(store.current()).toMatchObject({ mode: 'legacy', percent: 0, updatedBy: 'alarm:Cutover-Routing-inventory-ErrorRate' });
    expect(store.current().reason).toBe('automatic rollback over 80 events: error rate 25% > 2%');
    const rolled = eb
      .commandCalls(PutEventsCommand)
      .flatMap((c) => c.args[0].input.Entries!)
      .find((e) => e.DetailType === ROLLED_BACK_TYPE)!;
    expect(JSON.parse(rolled.Detail!).data).toMatchObject({ automatic: true, alarm: 'Cutover-Routing-inventory-ErrorRate' });
  });

  it('keeps the route when the window has fewer samples than the spec asks for, and audits why', async () => {
    const store = memoryStore();
    const audit = { append: jest.fn(async () => ({ status: 'appended' }) as never) };
    const auto = new AutoRollback({
      spec,
      control: control(store, []),
      metrics: metrics({ samples: 3, deliveries: 3, errorRate: 1 }),
      audit,
      logger: quietLogger(),
    });
    const [outcome] = await auto.handle(alarm('ALARM'));
    expect(outcome).toMatchObject({ action: 'kept', verdict: { rollback: false, reason: 'not enough samples to judge: 3 < 50' } });
    expect(store.calls).toEqual([]);
    expect(audit.append).toHaveBeenCalledWith('routing-inventory', expect.objectContaining({ kind: 'route-alarm' }));
  });

  it('does nothing on OK, and a repeated alarm after the rollback changes nothing', async () => {
    const store = memoryStore(inventoryEntry({ mode: 'legacy' }));
    const auto = new AutoRollback({
      spec,
      control: control(store, []),
      metrics: metrics({ samples: 90, deliveries: 90, errorRate: 0.5 }),
      logger: quietLogger(),
    });
    const [ok] = await auto.handle(alarm('OK'));
    const [again] = await auto.handle(alarm('ALARM'));
    expect(ok).toMatchObject({ action: 'ignored', why: 'state OK' });
    expect(again).toMatchObject({ action: 'already-legacy' });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('ignores an alarm that names no routed capability', async () => {
    const auto = new AutoRollback({ spec, control: control(memoryStore(), []), metrics: metrics({}), logger: quietLogger() });
    const [res] = await auto.handle(alarm('ALARM', { Trigger: { MetricName: 'CPUUtilization', Dimensions: [] } }));
    expect(res).toMatchObject({ action: 'ignored' });
  });

  describe('Function: notificationsOf / capabilityOf', () => {
    it('reads the capability from the dimension (either key case) or the metric name', () => {
      expect(
        capabilityOf({ AlarmName: 'a', NewStateValue: 'ALARM', Trigger: { Dimensions: [{ Name: 'Capability', Value: 'payment' }] } }),
      ).toBe('payment');
      expect(capabilityOf({ AlarmName: 'a', NewStateValue: 'ALARM', Trigger: { MetricName: 'shipping.candidate.MismatchRate' } })).toBe(
        'shipping',
      );
    });

    it('refuses an SNS message that is not an alarm notification', () => {
      expect(() => notificationsOf({ Records: [{ Sns: { Message: 'hello' } }] })).toThrow(AlarmNotificationError);
      expect(() => notificationsOf({ Records: [{ Sns: { Message: '{"foo":1}' } }] })).toThrow('AlarmName and NewStateValue are required');
    });
  });
});

describe('Class: Registry', () => {
  function registry() {
    const store = memoryStore(inventoryEntry({ mode: 'canary', percent: 10, health: 'healthy' }));
    const registered: unknown[] = [];
    const quarantined: Array<{ problems: readonly string[] }> = [];
    const fakeStore = Object.assign(store, {
      register: async (input: Record<string, unknown>) => (registered.push(input), { ...input }),
      reportHealth: async (input: {
        capability: string;
        target: string;
        health: 'healthy' | 'unhealthy';
        reason: string;
        actor: string;
      }) => ({
        registration: 'not-registered' as const,
        entry:
          input.target === 'inventory-v2'
            ? await store.change(input.capability, { kind: 'setHealth', health: input.health }, input.actor, input.reason)
            : undefined,
      }),
    });
    const r = new Registry({
      spec,
      control: control(fakeStore, []),
      quarantine: { put: async (q) => (quarantined.push(q), 'stored') },
      logger: quietLogger(),
      now: () => NOW,
    });
    return { r, store, registered, quarantined };
  }

  it('takes an unhealthy candidate out of routing at once, and announces the change', async () => {
    // Prepare
    const { r, store } = registry();

    // Act
    const [res] = await r.handle({
      id: 'h1',
      source: 'inventory-v2',
      'detail-type': 'cutover.service-health',
      detail: { capability: 'inventory', target: 'inventory-v2', health: 'unhealthy', reason: 'db down' },
    });

    // Assess
    expect(res).toEqual({
      kind: 'health',
      capability: 'inventory',
      target: 'inventory-v2',
      health: 'unhealthy',
      entryChanged: true,
      revision: 4,
    });
    expect(store.current()).toMatchObject({ health: 'unhealthy', updatedBy: 'service:inventory-v2', reason: 'db down' });
    expect(eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0].DetailType).toBe(ROUTE_CHANGED_TYPE);
  });

  it('reads a registration wrapped in the service event envelope too', async () => {
    const { r, registered } = registry();
    const data = {
      capability: 'inventory',
      version: 'v2',
      target: 'inventory-v2',
      accepts: { 'order.created': [2], 'order.cancelled': [1] },
      emits: ['inventory.reserved'],
    };
    const [res] = await r.handle({
      id: 'r1',
      source: 'inventory-v2',
      'detail-type': 'cutover.service-registered',
      detail: { metadata: { eventId: 'e', eventType: 'cutover.service-registered', version: 1 }, data },
    });
    expect(res).toEqual({ kind: 'registered', capability: 'inventory', target: 'inventory-v2', version: 'v2' });
    expect(registered[0]).toMatchObject({ ...data, actor: 'service:inventory-v2' });
  });

  it('quarantines a report with a missing field, naming it', async () => {
    const { r, quarantined } = registry();
    const [res] = await r.handle({
      id: 'h2',
      source: 'x',
      'detail-type': 'cutover.service-health',
      detail: { capability: 'inventory', health: 'unhealthy' },
    });
    expect(res).toEqual({ kind: 'quarantined', problems: ['target: must be a non-empty string, got nothing'] });
    expect(quarantined[0].problems).toEqual(['target: must be a non-empty string, got nothing']);
  });
});
