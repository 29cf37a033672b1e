import { castEdgesFor, planRoute, seedEntry } from '../../core/routing';
import type { RouteEntry } from '../../core/routing';
import { castPayload, type ServiceEventDef } from '../../core/spec';
import { routingSectionSchema } from '../../core/spec/routing';
import config from '../../cutover.config';
import { routeEntry } from './routing-fixtures';

const routing = routingSectionSchema.parse(config.routing);
const inventory = routing.capabilities.inventory;
const orderCreated = config.bridge.serviceEvents['order.created'] as unknown as ServiceEventDef;
const casts = castEdgesFor(orderCreated);
const example = orderCreated.versions['2'].examples[0];
const event = { type: 'order.created', version: 2, payload: example };

function entry(overrides: Record<string, unknown>): RouteEntry {
  return routeEntry({ legacy: { target: 'monolith' }, candidate: { version: 'v2', target: 'inventory-v2' }, ...overrides });
}

describe('Function: planRoute', () => {
  it('delivers to the monolith only in legacy mode, stamped for the rules', () => {
    // Act
    const plan = planRoute('inventory', inventory, entry({ mode: 'legacy' }), event, casts);
    // Assess
    expect(plan.key).toBe('1000001');
    expect(plan.quarantined).toEqual([]);
    expect(plan.deliveries).toEqual([
      {
        side: 'legacy',
        role: 'authoritative',
        target: 'monolith',
        stamp: {
          capability: 'inventory',
          side: 'legacy',
          role: 'authoritative',
          target: 'monolith',
          mode: 'legacy',
          bucket: plan.decision?.bucket,
          revision: 7,
          candidateVersion: 'v2',
          reason: 'mode-legacy',
          version: 2,
        },
      },
    ]);
  });

  it('in shadow mode delivers the candidate a shadow copy in a version it accepts', () => {
    const plan = planRoute('inventory', inventory, entry({ mode: 'shadow' }), event, casts);
    expect(plan.deliveries.map((d) => [d.side, d.role, d.target])).toEqual([
      ['legacy', 'authoritative', 'monolith'],
      ['candidate', 'shadow', 'inventory-v2'],
    ]);
    expect(plan.deliveries[1].cast).toBeUndefined();
  });

  it('casts for a candidate that accepts an older version, and says how', () => {
    // Prepare: v1 only accepts order.created v1
    const e = entry({ mode: 'primary', candidate: { version: 'v1', target: 'inventory-v1' } });
    // Act
    const plan = planRoute('inventory', inventory, e, event, casts);
    // Assess
    expect(plan.deliveries).toHaveLength(1);
    const [d] = plan.deliveries;
    expect(d).toMatchObject({ side: 'candidate', role: 'authoritative', target: 'inventory-v1', cast: { from: 2, to: 1, path: [2, 1] } });
    expect(d.stamp).toMatchObject({ version: 1, castFrom: 2 });
    expect(castPayload('order.created', orderCreated, example, d.cast!.from, d.cast!.to)).toHaveProperty('total', '54.97');
  });

  it('quarantines the whole event when the authoritative candidate cannot take its version', () => {
    // Prepare: no casts available at all
    const e = entry({ mode: 'primary', candidate: { version: 'v1', target: 'inventory-v1' } });
    // Act
    const plan = planRoute('inventory', inventory, e, event, []);
    // Assess
    expect(plan.deliveries).toEqual([]);
    expect(plan.quarantined).toEqual([
      {
        side: 'candidate',
        role: 'authoritative',
        target: 'inventory-v1',
        reason: 'order.created v2: inventory-v1 accepts v1 and no cast leads from v2 to any of them',
      },
    ]);
  });

  it('still delivers to the monolith when only the shadow copy cannot be delivered', () => {
    const e = entry({ mode: 'shadow', candidate: { version: 'v1', target: 'inventory-v1' } });
    const plan = planRoute('inventory', inventory, e, event, []);
    expect(plan.deliveries.map((d) => d.target)).toEqual(['monolith']);
    expect(plan.quarantined).toEqual([expect.objectContaining({ side: 'candidate', role: 'shadow' })]);
  });

  it('quarantines when the table names a candidate the spec does not declare', () => {
    const e = entry({ mode: 'primary', candidate: { version: 'v9', target: 'inventory-v9' } });
    const plan = planRoute('inventory', inventory, e, event, casts);
    expect(plan.deliveries).toEqual([]);
    expect(plan.quarantined[0].reason).toBe('routing table names candidate v9 of inventory, which the spec does not declare');
  });

  it('routes by the sticky key: the same order always lands on the same side of a canary', () => {
    const e = entry({ mode: 'canary', percent: 50 });
    const sides = new Set<string>();
    for (let i = 0; i < 20; i++) sides.add(planRoute('inventory', inventory, e, event, casts).deliveries[0].side);
    expect(sides.size).toBe(1);
  });

  it('sends a canary event without its sticky key to the monolith, with no bucket in the stamp', () => {
    const { orderId: _drop, ...withoutKey } = example as Record<string, unknown>;
    const plan = planRoute('inventory', inventory, entry({ mode: 'canary', percent: 100 }), { ...event, payload: withoutKey }, casts);
    expect(plan.key).toBeUndefined();
    expect(plan.deliveries[0]).toMatchObject({ side: 'legacy', stamp: { reason: 'canary-no-key' } });
    expect(plan.deliveries[0].stamp).not.toHaveProperty('bucket');
  });

  it('routes to the monolith when the table has no entry yet', () => {
    const plan = planRoute('inventory', inventory, undefined, event, casts);
    expect(plan.deliveries).toEqual([
      expect.objectContaining({ side: 'legacy', target: 'monolith', stamp: expect.objectContaining({ mode: 'none', reason: 'no-route' }) }),
    ]);
  });

  it('holds an event of a type the capability does not route, saying which it does', () => {
    const plan = planRoute(
      'inventory',
      inventory,
      seedEntry('inventory', inventory, new Date()),
      { type: 'payment.captured', version: 1, payload: {} },
      casts,
    );
    expect(plan.decision).toBeUndefined();
    expect(plan.quarantined[0].reason).toBe(
      'capability inventory does not route payment.captured (it routes order.created, order.cancelled)',
    );
  });

  it('holds an event for a capability missing from the spec', () => {
    const plan = planRoute('loyalty', undefined, undefined, event, casts);
    expect(plan.quarantined[0].reason).toBe('capability loyalty has no routing in the spec');
  });
});
