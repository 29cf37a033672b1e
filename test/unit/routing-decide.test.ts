import fc from 'fast-check';
import { ROUTE_MODES, bucketOf, decide, decideWithoutEntry, resolveOutcomes, roleOf, stickyKeyOf } from '../../core/routing';
import type { Decision } from '../../core/routing';
import { randomKeys, routeEntry } from './routing-fixtures';

const anyKey = fc.string({ minLength: 1, maxLength: 40 });
const anyEntry = fc
  .record({
    mode: fc.constantFrom(...ROUTE_MODES),
    percent: fc.integer({ min: 0, max: 100 }),
    health: fc.constantFrom('healthy', 'unhealthy', 'unknown'),
    mirrorInCanary: fc.boolean(),
    legacyShadowInPrimary: fc.boolean(),
  })
  .map((r) => {
    const implied: Record<string, number | undefined> = { legacy: 0, shadow: 0, canary: undefined, primary: 100, retired: 100 };
    return routeEntry({ ...r, percent: implied[r.mode] ?? r.percent });
  });

describe('Function: decide', () => {
  describe('by mode', () => {
    it.each<[string, Record<string, unknown>, Partial<Decision>]>([
      ['legacy -> monolith only', { mode: 'legacy' }, { authoritative: 'legacy', shadow: undefined, reason: 'mode-legacy' }],
      [
        'shadow -> monolith, candidate shadows',
        { mode: 'shadow' },
        { authoritative: 'legacy', shadow: 'candidate', reason: 'mode-shadow' },
      ],
      [
        'primary -> candidate only by default',
        { mode: 'primary' },
        { authoritative: 'candidate', shadow: undefined, reason: 'mode-primary' },
      ],
      [
        'primary with legacyShadowInPrimary -> candidate, monolith shadows',
        { mode: 'primary', legacyShadowInPrimary: true },
        { authoritative: 'candidate', shadow: 'legacy', reason: 'mode-primary' },
      ],
      ['retired -> candidate only', { mode: 'retired' }, { authoritative: 'candidate', shadow: undefined, reason: 'mode-retired' }],
      [
        'retired and unhealthy -> still the candidate: nothing to fall back to',
        { mode: 'retired', health: 'unhealthy' },
        { authoritative: 'candidate', reason: 'mode-retired' },
      ],
      [
        'shadow and unhealthy -> monolith only',
        { mode: 'shadow', health: 'unhealthy' },
        { authoritative: 'legacy', shadow: undefined, reason: 'candidate-unhealthy' },
      ],
      [
        'primary and unhealthy -> monolith only',
        { mode: 'primary', health: 'unhealthy' },
        { authoritative: 'legacy', shadow: undefined, reason: 'candidate-unhealthy' },
      ],
      [
        'canary 100 and unhealthy -> monolith only',
        { mode: 'canary', percent: 100, health: 'unhealthy' },
        { authoritative: 'legacy', reason: 'candidate-unhealthy' },
      ],
      [
        'unknown health routes like healthy',
        { mode: 'primary', health: 'unknown' },
        { authoritative: 'candidate', reason: 'mode-primary' },
      ],
      ['canary 100 -> candidate', { mode: 'canary', percent: 100 }, { authoritative: 'candidate', reason: 'canary-in' }],
      ['canary 0 -> monolith', { mode: 'canary', percent: 0 }, { authoritative: 'legacy', shadow: undefined, reason: 'canary-out' }],
      [
        'canary 0 with mirror -> monolith, candidate shadows',
        { mode: 'canary', percent: 0, mirrorInCanary: true },
        { authoritative: 'legacy', shadow: 'candidate', reason: 'canary-out' },
      ],
    ])('%s', (_name, overrides, expected) => {
      // Act
      const decision = decide(routeEntry(overrides), 'order-1000001');
      // Assess
      expect(decision).toMatchObject(expected);
      expect(decision.bucket).toBe(bucketOf('order-1000001'));
    });

    it('sends a canary event without a sticky key to the monolith, with no bucket', () => {
      expect(decide(routeEntry({ mode: 'canary', percent: 100 }), undefined)).toEqual({
        authoritative: 'legacy',
        shadow: undefined,
        bucket: null,
        reason: 'canary-no-key',
      });
    });

    it('routes a canary key by its bucket: candidate below the percent, monolith at or above', () => {
      const key = 'C00042'; // bucket 15
      expect(decide(routeEntry({ mode: 'canary', percent: 16 }), key).authoritative).toBe('candidate');
      expect(decide(routeEntry({ mode: 'canary', percent: 15 }), key).authoritative).toBe('legacy');
    });
  });

  describe('stickiness', () => {
    it('gives a key the same decision every time, from equal entries', () => {
      fc.assert(
        fc.property(anyEntry, anyKey, (entry, key) => {
          const again = routeEntry({ ...entry });
          expect(decide(again, key)).toEqual(decide(entry, key));
          expect(decide(entry, key)).toEqual(decide(entry, key));
        }),
        { numRuns: 500 },
      );
    });

    it('does not depend on anything but the entry and the key (revision, who, when)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 100 }), anyKey, (percent, key) => {
          const a = routeEntry({ mode: 'canary', percent, revision: 1, updatedBy: 'a', updatedAt: '2026-01-01T00:00:00Z' });
          const b = routeEntry({ mode: 'canary', percent, revision: 99, updatedBy: 'b', updatedAt: '2027-06-01T12:00:00Z' });
          expect(decide(b, key)).toEqual(decide(a, key));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('monotone buckets', () => {
    it('keeps every key that is on the candidate at p1 on the candidate at any p2 > p1', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), anyKey, (a, b, key) => {
          const [p1, p2] = a <= b ? [a, b] : [b, a];
          const low = decide(routeEntry({ mode: 'canary', percent: p1 }), key);
          const high = decide(routeEntry({ mode: 'canary', percent: p2 }), key);
          if (low.authoritative === 'candidate') expect(high.authoritative).toBe('candidate');
          if (high.authoritative === 'legacy') expect(low.authoritative).toBe('legacy');
        }),
        { numRuns: 2000 },
      );
    });

    it('moves keys only one way over a whole ramp 0 -> 100 (each key switches at most once)', () => {
      const keys = randomKeys(2000, 7);
      const switches = new Map<string, number>();
      let previous = keys.map(() => 'legacy');
      for (let p = 0; p <= 100; p++) {
        const entry = routeEntry({ mode: 'canary', percent: p });
        const now = keys.map((k) => decide(entry, k).authoritative);
        now.forEach((side, i) => {
          if (side !== previous[i]) {
            expect(previous[i]).toBe('legacy');
            switches.set(keys[i], (switches.get(keys[i]) ?? 0) + 1);
          }
        });
        previous = now;
      }
      expect(previous.every((s) => s === 'candidate')).toBe(true);
      expect(Math.max(...switches.values())).toBe(1);
      expect(switches.size).toBe(keys.length);
    });
  });

  describe('split', () => {
    const keys = randomKeys(100_000, 2026);
    it.each([1, 5, 10, 25, 50, 75, 90, 99])('sends %i%% of 100,000 random keys to the candidate, within 1 point', (percent) => {
      // Prepare
      const entry = routeEntry({ mode: 'canary', percent });
      // Act
      let candidate = 0;
      for (const key of keys) if (decide(entry, key).authoritative === 'candidate') candidate++;
      // Assess
      const observed = (candidate / keys.length) * 100;
      expect(Math.abs(observed - percent)).toBeLessThanOrEqual(1);
    });
  });

  describe('shadow safety', () => {
    it('always names exactly one authoritative side, and never the same side as shadow', () => {
      fc.assert(
        fc.property(anyEntry, fc.option(anyKey, { nil: undefined }), (entry, key) => {
          const d = decide(entry, key);
          expect(['legacy', 'candidate']).toContain(d.authoritative);
          expect(d.shadow).not.toBe(d.authoritative);
          if (entry.mode === 'shadow') expect(d.authoritative).toBe('legacy');
          if (entry.mode === 'legacy') expect(d.shadow).toBeUndefined();
          if (entry.health === 'unhealthy' && entry.mode !== 'retired') expect([d.authoritative, d.shadow]).toEqual(['legacy', undefined]);
        }),
        { numRuns: 1000 },
      );
    });
  });
});

describe('Function: decideWithoutEntry', () => {
  it('routes to the monolith, which owned the capability before cutover', () => {
    expect(decideWithoutEntry('C00042')).toEqual({ authoritative: 'legacy', shadow: undefined, bucket: 15, reason: 'no-route' });
  });
});

describe('Function: resolveOutcomes', () => {
  it("never makes the shadow's outcome effective, whatever each side reports", () => {
    const outcome = fc.option(fc.record({ by: fc.string(), ok: fc.boolean() }), { nil: undefined });
    fc.assert(
      fc.property(anyEntry, anyKey, outcome, outcome, (entry, key, legacy, candidate) => {
        const d = decide(entry, key);
        const r = resolveOutcomes(d, { legacy, candidate });
        expect(r.effective).toBe(d.authoritative === 'legacy' ? legacy : candidate);
        if (d.shadow !== undefined) {
          expect(r.comparison?.shadow).toBe(d.shadow === 'legacy' ? legacy : candidate);
          expect(r.comparison?.shadowSide).toBe(d.shadow);
        } else {
          expect(r.comparison).toBeUndefined();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not let the shadow fill in for a missing authoritative outcome', () => {
    // Prepare
    const d = decide(routeEntry({ mode: 'shadow' }), 'k');
    // Act
    const r = resolveOutcomes(d, { candidate: { reserved: true } });
    // Assess
    expect(r.effective).toBeUndefined();
    expect(r.comparison).toEqual({ authoritative: undefined, shadow: { reserved: true }, shadowSide: 'candidate' });
  });

  it('lists an outcome from a side the decision did not route to as ignored', () => {
    const d = decide(routeEntry({ mode: 'legacy' }), 'k');
    const r = resolveOutcomes(d, { legacy: 'ok', candidate: 'stray' });
    expect(r.effective).toBe('ok');
    expect(r.ignored).toEqual(['candidate']);
    expect(roleOf(d, 'candidate')).toBe('not-routed');
  });
});

describe('Function: stickyKeyOf', () => {
  it.each<[string, unknown, string, string | undefined]>([
    ['a top-level string', { customerId: 'C00042' }, 'customerId', 'C00042'],
    ['a nested field', { customer: { id: 'C7' } }, 'customer.id', 'C7'],
    ['a number, as its decimal text', { orderId: 1000001 }, 'orderId', '1000001'],
    ['an absent field', { other: 1 }, 'orderId', undefined],
    ['an empty string', { orderId: '' }, 'orderId', undefined],
    ['an object', { orderId: { a: 1 } }, 'orderId', undefined],
    ['a path through a non-object', { customer: 'x' }, 'customer.id', undefined],
    ['an inherited property', {}, 'toString', undefined],
    ['a non-object payload', 'text', 'orderId', undefined],
    ['NaN', { orderId: Number.NaN }, 'orderId', undefined],
  ])('reads %s', (_name, payload, field, expected) => {
    expect(stickyKeyOf(payload, field)).toBe(expected);
  });

  it('gives a number and its text the same bucket', () => {
    const a = stickyKeyOf({ orderId: 42 }, 'orderId') as string;
    const b = stickyKeyOf({ orderId: '42' }, 'orderId') as string;
    expect(bucketOf(a)).toBe(bucketOf(b));
  });
});
