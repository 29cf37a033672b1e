import { BufferedRoutingMetrics } from '../../adapters/cloudwatch/facade-metrics';
import { routingTableCache } from '../../adapters/http/routing-view';
import { routeEntry } from '../unit/routing-fixtures';

describe('Class: BufferedRoutingMetrics', () => {
  const sample = { capability: 'customers', side: 'legacy' as const, failed: false, latencyMs: 3 };

  describe('Method: due', () => {
    it('is due after maxSamples samples or maxAgeMs since the oldest, not before', () => {
      // Prepare
      let now = 1000;
      const b = new BufferedRoutingMetrics({ publish: async () => undefined }, { maxSamples: 3, maxAgeMs: 5000, clock: () => now });
      // Act / Assess
      expect(b.due()).toBe(false);
      b.add(sample);
      b.add(sample);
      expect(b.due()).toBe(false);
      b.add(sample);
      expect(b.due()).toBe(true);
      const c = new BufferedRoutingMetrics({ publish: async () => undefined }, { maxSamples: 100, maxAgeMs: 5000, clock: () => now });
      c.add(sample);
      now += 4999;
      expect(c.due()).toBe(false);
      now += 1;
      expect(c.due()).toBe(true);
    });
  });

  describe('Method: flush', () => {
    it('sends everything buffered in one publish, and keeps it for the next flush when publishing fails', async () => {
      // Prepare
      const sent: unknown[][] = [];
      let fail = true;
      const b = new BufferedRoutingMetrics({
        publish: async (handled, compared) => {
          if (fail) throw new Error('throttled');
          sent.push([...handled, ...(compared ?? [])]);
        },
      });
      b.add(sample);
      b.addComparison({ capability: 'customers', mismatched: true });
      // Act
      await expect(b.flush()).rejects.toThrow('throttled');
      fail = false;
      b.add({ ...sample, failed: true });
      await b.flush();
      await b.flush();
      // Assess
      expect(sent).toHaveLength(1);
      expect(sent[0]).toHaveLength(3);
      expect(b.due()).toBe(false);
    });
  });
});

describe('Function: routingTableCache', () => {
  it('routes by the stored entry, the spec seed for a capability with no row, and nothing for an invalid row', async () => {
    // Prepare
    const stored = routeEntry({ capability: 'inventory', mode: 'canary', percent: 30 });
    const seeded = routeEntry({ capability: 'payment', mode: 'shadow', candidate: { version: 'v1', target: 'payment-v1' } });
    const invalid: string[] = [];
    let loads = 0;
    const cache = routingTableCache(
      {
        capabilities: () => ['inventory', 'payment', 'customers'],
        seedFor: (c) => (c === 'payment' ? seeded : routeEntry({ capability: c })),
        load: async () => {
          loads++;
          return {
            entries: new Map([['inventory', stored]]),
            invalid: [{ capability: 'customers', problems: ['percent: must be 0 in legacy mode, got 40'] }],
            services: new Map(),
          };
        },
      },
      10_000,
      (c) => invalid.push(c),
    );
    // Act
    const table = await cache.get();
    await cache.get();
    // Assess
    expect(table.get('inventory')).toBe(stored);
    expect(table.get('payment')).toBe(seeded);
    expect(table.has('customers')).toBe(false);
    expect(invalid).toEqual(['customers']);
    expect(loads).toBe(1);
  });
});
