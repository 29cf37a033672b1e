import { decide, routingTable, seedEntry } from '../../core/routing';
import { parseSpec } from '../../core/spec';
import { routingCrossIssues, routingSectionSchema } from '../../core/spec/routing';
import type { CapabilityRoutingInput } from '../../core/spec/routing';
import config from '../../cutover.config';

const NOW = new Date('2026-11-22T08:00:00.000Z');

function capability(overrides: Partial<CapabilityRoutingInput> = {}): CapabilityRoutingInput {
  return {
    stickyKey: 'orderId',
    events: { 'order.created': { keyField: 'orderId' } },
    legacy: { target: 'monolith' },
    implementations: { v1: { target: 'inventory-v1', accepts: { 'order.created': [1, 2] } } },
    candidate: 'v1',
    autoRollback: { maxErrorRate: 0.02 },
    ...overrides,
  };
}

function issuesOf(cap: CapabilityRoutingInput): string[] {
  const r = routingSectionSchema.safeParse({ capabilities: { inventory: cap } });
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('Schema: routingSectionSchema', () => {
  it('accepts the reference routing and fills the defaults', () => {
    // Act
    const routing = routingSectionSchema.parse(config.routing);
    // Assess
    const inventory = routing.capabilities.inventory;
    expect(inventory.initial).toEqual({ mode: 'legacy' });
    expect(inventory.mirrorInCanary).toBe(true);
    expect(inventory.legacyShadowInPrimary).toBe(false);
    expect(inventory.autoRollback.periodSeconds).toBe(60);
    expect(routing.capabilities.notification.initial.mode).toBe('shadow');
  });

  it('defaults minSamples to 20', () => {
    const r = routingSectionSchema.parse({ capabilities: { inventory: capability() } });
    expect(r.capabilities.inventory.autoRollback.minSamples).toBe(20);
  });

  it.each<[string, Partial<CapabilityRoutingInput>, string]>([
    ['a candidate that is not an implementation', { candidate: 'v9' }, 'candidate: "v9" is not one of the implementations (v1)'],
    ['no implementations', { implementations: {}, candidate: 'v1' }, 'implementations: declare at least one new implementation'],
    ['no routed events', { events: {} }, 'events: route at least one event type'],
    [
      'an implementation silent about a routed event',
      { events: { 'order.created': { keyField: 'orderId' }, 'order.cancelled': { keyField: 'orderId' } } },
      'implementations.v1.accepts: says nothing about routed event order.cancelled',
    ],
    [
      'accepting an event that is not routed',
      { implementations: { v1: { target: 'inventory-v1', accepts: { 'order.created': [1], 'payment.captured': [1] } } } },
      "implementations.v1.accepts.payment.captured: payment.captured is not among the capability's routed events",
    ],
    [
      'an implementation reusing the legacy target',
      { implementations: { v1: { target: 'monolith', accepts: { 'order.created': [1] } } } },
      'implementations.v1.target: target "monolith" is already used by legacy',
    ],
    ['a canary without a percent', { initial: { mode: 'canary' } }, 'initial.percent: a canary needs a percent'],
    [
      'a percent the mode contradicts',
      { initial: { mode: 'legacy', percent: 30 } },
      'initial.percent: legacy mode implies percent 0, got 30',
    ],
    ['a percent above 100', { initial: { mode: 'canary', percent: 120 } }, 'initial.percent'],
    [
      'no rollback threshold',
      { autoRollback: { minSamples: 10 } },
      'autoRollback: give at least one of maxErrorRate, maxP95LatencyMs, maxMismatchRate',
    ],
    [
      'an error rate given as a percentage',
      { autoRollback: { maxErrorRate: 5 } },
      'autoRollback.maxErrorRate: maxErrorRate is a fraction between 0 and 1 (5% is 0.05)',
    ],
    [
      'an alarm period CloudWatch refuses',
      { autoRollback: { maxErrorRate: 0.1, periodSeconds: 45 } },
      'autoRollback.periodSeconds: must be 10, 30 or a multiple of 60',
    ],
    ['a bad key field', { events: { 'order.created': { keyField: 'order id' } } }, 'events.order.created.keyField: must be a dot path'],
    [
      'an accepted version list that is empty',
      { implementations: { v1: { target: 'inventory-v1', accepts: { 'order.created': [] } } } },
      'list at least one accepted version',
    ],
    ['an unknown field', { colour: 'blue' } as Partial<CapabilityRoutingInput>, 'Unrecognized key: "colour"'],
  ])('rejects %s, naming the field', (_name, overrides, message) => {
    expect(issuesOf(capability(overrides)).join('\n')).toContain(message);
  });

  it('rejects a capability name that is not lower-case', () => {
    const r = routingSectionSchema.safeParse({ capabilities: { Inventory: capability() } });
    expect(r.success).toBe(false);
  });
});

describe('Function: routingCrossIssues', () => {
  const spec = parseSpec(config);

  it('finds nothing wrong with the reference spec', () => {
    expect(spec.routing).toBeDefined();
    expect(routingCrossIssues(spec.routing!, spec.bridge)).toEqual([]);
  });

  it('is part of parseSpec: a routing key field missing from the event fails the spec', () => {
    const bad = JSON.parse(JSON.stringify(config));
    bad.routing.capabilities.payment.events['order.cancelled'].keyField = 'customerId';
    expect(() => parseSpec(bad)).toThrow(
      'routing.capabilities.payment.events.order.cancelled.keyField: "customerId" is not a field of order.cancelled v1',
    );
  });

  it('names an unknown event type, a missing key field and an undeclared version', () => {
    // Prepare
    const routing = routingSectionSchema.parse({
      capabilities: {
        inventory: capability({
          events: { 'order.created': { keyField: 'customer.id' }, 'order.shipped': { keyField: 'orderId' } },
          implementations: { v1: { target: 'inventory-v1', accepts: { 'order.created': [1, 3], 'order.shipped': [1] } } },
        }),
      },
    });
    // Act
    const issues = routingCrossIssues(routing, spec.bridge);
    // Assess
    expect(issues).toEqual([
      'routing.capabilities.inventory.events.order.created.keyField: "customer.id" is not a field of order.created v2',
      'routing.capabilities.inventory.implementations.v1.accepts.order.created: version 3 is not declared (declared: 1, 2)',
      'routing.capabilities.inventory.events.order.shipped: no service event "order.shipped" in bridge.serviceEvents',
    ]);
  });
});

describe('Function: seedEntry', () => {
  const routing = routingSectionSchema.parse(config.routing);

  it('seeds a legacy entry at revision 0 with unknown health, from the spec', () => {
    const entry = seedEntry('inventory', routing.capabilities.inventory, NOW);
    expect(entry).toEqual({
      capability: 'inventory',
      mode: 'legacy',
      percent: 0,
      legacy: { target: 'monolith' },
      candidate: { version: 'v2', target: 'inventory-v2' },
      stickyKey: 'orderId',
      mirrorInCanary: true,
      legacyShadowInPrimary: false,
      health: 'unknown',
      updatedAt: NOW.toISOString(),
      updatedBy: 'spec',
      reason: 'seeded from the migration spec',
      revision: 0,
    });
  });

  it('seeds the initial mode the spec asks for', () => {
    const entry = seedEntry('notification', routing.capabilities.notification, NOW, 'deploy');
    expect(entry.mode).toBe('shadow');
    expect(entry.updatedBy).toBe('deploy');
    expect(decide(entry, '1000001')).toMatchObject({ authoritative: 'legacy', shadow: 'candidate' });
  });

  it('seeds a canary at its percent', () => {
    const cap = routingSectionSchema.parse({ capabilities: { x: capability({ initial: { mode: 'canary', percent: 15 } }) } }).capabilities
      .x;
    expect(seedEntry('x', cap, NOW)).toMatchObject({ mode: 'canary', percent: 15 });
  });

  it('builds a table of every capability, refusing duplicates', () => {
    const entries = Object.entries(routing.capabilities).map(([name, cap]) => seedEntry(name, cap, NOW));
    const table = routingTable(entries);
    expect([...table.keys()].sort()).toEqual(['customers', 'inventory', 'notification', 'payment', 'shipping']);
    expect(() => routingTable([entries[0], entries[0]])).toThrow('capability: "inventory" appears twice in the routing table');
  });
});
