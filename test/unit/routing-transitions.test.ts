import fc from 'fast-check';
import { ROUTE_MODES, TransitionError, applyChange, decide, nextMode, parseRouteChange } from '../../core/routing';
import type { RouteChange, RouteEntry } from '../../core/routing';
import { randomKeys, routeEntry } from './routing-fixtures';

const NOW = new Date('2026-11-22T09:30:00.000Z');
const apply = (entry: RouteEntry, change: RouteChange) => applyChange(entry, change, 'ops@example.com', 'ticket CUT-12', NOW);

describe('Function: applyChange', () => {
  describe('allowed changes', () => {
    it.each<[string, Record<string, unknown>, RouteChange, { mode: string; percent: number; health?: string }]>([
      ['legacy -> shadow', { mode: 'legacy' }, { kind: 'setMode', mode: 'shadow' }, { mode: 'shadow', percent: 0 }],
      ['promote legacy -> shadow', { mode: 'legacy' }, { kind: 'promote' }, { mode: 'shadow', percent: 0 }],
      ['shadow -> canary 5', { mode: 'shadow' }, { kind: 'setMode', mode: 'canary', percent: 5 }, { mode: 'canary', percent: 5 }],
      ['promote shadow -> canary 10', { mode: 'shadow' }, { kind: 'promote', percent: 10 }, { mode: 'canary', percent: 10 }],
      ['canary raise 10 -> 50', { mode: 'canary', percent: 10 }, { kind: 'setPercent', percent: 50 }, { mode: 'canary', percent: 50 }],
      [
        'canary lower 50 -> 20 (partial rollback)',
        { mode: 'canary', percent: 50 },
        { kind: 'setPercent', percent: 20 },
        { mode: 'canary', percent: 20 },
      ],
      [
        'canary lower while unhealthy',
        { mode: 'canary', percent: 50, health: 'unhealthy' },
        { kind: 'setPercent', percent: 0 },
        { mode: 'canary', percent: 0 },
      ],
      [
        'canary -> canary with a new percent',
        { mode: 'canary', percent: 10 },
        { kind: 'setMode', mode: 'canary', percent: 30 },
        { mode: 'canary', percent: 30 },
      ],
      ['canary -> primary', { mode: 'canary', percent: 40 }, { kind: 'promote' }, { mode: 'primary', percent: 100 }],
      [
        'canary -> primary, percent 100 stated',
        { mode: 'canary', percent: 40 },
        { kind: 'setMode', mode: 'primary', percent: 100 },
        { mode: 'primary', percent: 100 },
      ],
      ['primary -> retired when healthy', { mode: 'primary' }, { kind: 'promote' }, { mode: 'retired', percent: 100 }],
      [
        'primary -> canary 60 (step back)',
        { mode: 'primary' },
        { kind: 'setMode', mode: 'canary', percent: 60 },
        { mode: 'canary', percent: 60 },
      ],
      ['primary -> shadow (skip back)', { mode: 'primary' }, { kind: 'setMode', mode: 'shadow' }, { mode: 'shadow', percent: 0 }],
      [
        'retired -> primary (bring the monolith back)',
        { mode: 'retired' },
        { kind: 'setMode', mode: 'primary' },
        { mode: 'primary', percent: 100 },
      ],
      ['rollback from canary', { mode: 'canary', percent: 35 }, { kind: 'rollback' }, { mode: 'legacy', percent: 0 }],
      ['rollback from primary', { mode: 'primary' }, { kind: 'rollback' }, { mode: 'legacy', percent: 0 }],
      ['rollback from retired', { mode: 'retired' }, { kind: 'rollback' }, { mode: 'legacy', percent: 0 }],
      [
        'rollback from shadow while unhealthy',
        { mode: 'shadow', health: 'unhealthy' },
        { kind: 'rollback' },
        { mode: 'legacy', percent: 0, health: 'unhealthy' },
      ],
      [
        'legacy -> shadow while unhealthy (shadow is harmless)',
        { mode: 'legacy', health: 'unhealthy' },
        { kind: 'promote' },
        { mode: 'shadow', percent: 0 },
      ],
      [
        'mark unhealthy in canary',
        { mode: 'canary', percent: 20 },
        { kind: 'setHealth', health: 'unhealthy' },
        { mode: 'canary', percent: 20, health: 'unhealthy' },
      ],
    ])('%s', (_name, from, change, expected) => {
      // Prepare
      const entry = routeEntry(from);
      // Act
      const result = apply(entry, change);
      // Assess
      expect(result.changed).toBe(true);
      expect(result.next).toMatchObject(expected);
      expect(result.next.revision).toBe(entry.revision + 1);
      expect(result.next.updatedAt).toBe(NOW.toISOString());
      expect(result.next.updatedBy).toBe('ops@example.com');
      expect(result.next.reason).toBe('ticket CUT-12');
      expect(result.historyRecord).toEqual({
        capability: 'inventory',
        revision: entry.revision + 1,
        at: NOW.toISOString(),
        actor: 'ops@example.com',
        reason: 'ticket CUT-12',
        change,
        from: expect.objectContaining({ mode: entry.mode, percent: entry.percent, health: entry.health }),
        to: expect.objectContaining({ mode: expected.mode, percent: expected.percent }),
      });
    });

    it('swaps the candidate in shadow mode and resets its health to unknown', () => {
      // Prepare
      const entry = routeEntry({ mode: 'shadow', health: 'unhealthy' });
      // Act
      const result = apply(entry, { kind: 'setCandidate', version: 'v3', target: 'inventory-v3' });
      // Assess
      expect(result.next.candidate).toEqual({ version: 'v3', target: 'inventory-v3' });
      expect(result.next.health).toBe('unknown');
      expect(result.historyRecord?.from.candidate).toEqual({ version: 'v2', target: 'inventory-v2' });
    });

    it('turns shadowing options on and off', () => {
      const result = apply(routeEntry({ mode: 'canary', percent: 10 }), { kind: 'setShadowing', mirrorInCanary: true });
      expect(result.next.mirrorInCanary).toBe(true);
      expect(result.next.legacyShadowInPrimary).toBe(false);
    });

    it('never mutates the entry it was given', () => {
      const entry = routeEntry({ mode: 'canary', percent: 10 });
      const copy = structuredClone(entry);
      apply(entry, { kind: 'setPercent', percent: 90 });
      expect(entry).toEqual(copy);
    });

    it('trims the actor and the reason', () => {
      const result = applyChange(routeEntry(), { kind: 'promote' }, '  ops  ', '  why  ', NOW);
      expect(result.historyRecord?.actor).toBe('ops');
      expect(result.next.reason).toBe('why');
    });
  });

  describe('changes that change nothing', () => {
    it.each<[string, Record<string, unknown>, RouteChange]>([
      ['rollback when already on legacy', { mode: 'legacy' }, { kind: 'rollback' }],
      ['same percent', { mode: 'canary', percent: 25 }, { kind: 'setPercent', percent: 25 }],
      ['same mode', { mode: 'primary' }, { kind: 'setMode', mode: 'primary' }],
      ['canary without a percent while in canary', { mode: 'canary', percent: 25 }, { kind: 'setMode', mode: 'canary' }],
      ['same health', { mode: 'shadow', health: 'healthy' }, { kind: 'setHealth', health: 'healthy' }],
      ['same candidate', { mode: 'shadow' }, { kind: 'setCandidate', version: 'v2', target: 'inventory-v2' }],
    ])('%s: returns the entry as it was, with no history record', (_name, from, change) => {
      const entry = routeEntry(from);
      const result = apply(entry, change);
      expect(result.changed).toBe(false);
      expect(result.next).toBe(entry);
      expect(result.historyRecord).toBeNull();
    });
  });

  describe('rejected changes', () => {
    it.each<[string, Record<string, unknown>, RouteChange, string]>([
      [
        'legacy -> canary skips shadow',
        { mode: 'legacy' },
        { kind: 'setMode', mode: 'canary', percent: 10 },
        'cannot go from legacy to canary in one step',
      ],
      ['legacy -> primary skips steps', { mode: 'legacy' }, { kind: 'setMode', mode: 'primary' }, 'the next step from legacy is shadow'],
      [
        'shadow -> retired skips steps',
        { mode: 'shadow' },
        { kind: 'setMode', mode: 'retired' },
        'cannot go from shadow to retired in one step',
      ],
      ['canary without a percent', { mode: 'shadow' }, { kind: 'setMode', mode: 'canary' }, 'canary needs a percent'],
      ['promote shadow without a percent', { mode: 'shadow' }, { kind: 'promote' }, 'canary needs a percent'],
      [
        'percent above 100',
        { mode: 'canary', percent: 10 },
        { kind: 'setPercent', percent: 101 },
        'percent: must be a whole number 0..100, got 101',
      ],
      ['negative percent', { mode: 'canary', percent: 10 }, { kind: 'setPercent', percent: -5 }, 'got -5'],
      ['fractional percent', { mode: 'canary', percent: 10 }, { kind: 'setPercent', percent: 12.5 }, 'got 12.5'],
      ['NaN percent', { mode: 'shadow' }, { kind: 'setMode', mode: 'canary', percent: Number.NaN }, 'got NaN'],
      [
        'setPercent outside canary',
        { mode: 'shadow' },
        { kind: 'setPercent', percent: 10 },
        'percent can only be set in canary mode; shadow mode implies 0',
      ],
      [
        'percent with a mode that implies another',
        { mode: 'canary', percent: 10 },
        { kind: 'setMode', mode: 'primary', percent: 50 },
        'primary mode implies 100, got 50',
      ],
      ['promote past retired', { mode: 'retired' }, { kind: 'promote' }, 'already retired'],
      [
        'retire while health is unknown',
        { mode: 'primary', health: 'unknown' },
        { kind: 'promote' },
        "candidate's health is unknown: it must be healthy",
      ],
      [
        'canary with an unhealthy candidate',
        { mode: 'shadow', health: 'unhealthy' },
        { kind: 'setMode', mode: 'canary', percent: 5 },
        'the candidate is unhealthy',
      ],
      [
        'primary with an unhealthy candidate',
        { mode: 'canary', percent: 50, health: 'unhealthy' },
        { kind: 'promote' },
        'cannot move to primary: the candidate is unhealthy',
      ],
      [
        'raise the percent of an unhealthy candidate',
        { mode: 'canary', percent: 10, health: 'unhealthy' },
        { kind: 'setPercent', percent: 20 },
        'cannot raise the percent from 10 to 20',
      ],
      [
        'swap the candidate in canary',
        { mode: 'canary', percent: 10 },
        { kind: 'setCandidate', version: 'v3', target: 'inventory-v3' },
        'cannot swap the candidate in canary mode',
      ],
      [
        'swap the candidate to the legacy target',
        { mode: 'legacy' },
        { kind: 'setCandidate', version: 'v3', target: 'monolith' },
        'is the legacy target',
      ],
    ])('%s', (_name, from, change, message) => {
      // Prepare
      const entry = routeEntry(from);
      // Act
      const act = () => apply(entry, change);
      // Assess
      expect(act).toThrow(TransitionError);
      expect(act).toThrow(message);
      expect(act).toThrow(/^inventory: /);
    });

    it.each<[string, string, string, unknown, string]>([
      ['an empty reason', 'ops', '', NOW, 'reason: say why the change is made, got ""'],
      ['a blank reason', 'ops', '   ', NOW, 'reason: say why'],
      ['an empty actor', '', 'why', NOW, 'actor: say who makes the change'],
      ['an invalid date', 'ops', 'why', new Date('nope'), 'now: must be a valid Date'],
      ['a reason too long', 'ops', 'x'.repeat(1001), NOW, 'reason: at most 1000 characters, got 1001'],
    ])('refuses %s', (_name, actor, reason, now, message) => {
      expect(() => applyChange(routeEntry(), { kind: 'promote' }, actor, reason, now as Date)).toThrow(message);
    });

    it('carries the capability, mode and change in the error context', () => {
      const change: RouteChange = { kind: 'setPercent', percent: 10 };
      try {
        apply(routeEntry({ mode: 'legacy' }), change);
        throw new Error('expected a TransitionError');
      } catch (error) {
        expect(error).toBeInstanceOf(TransitionError);
        expect((error as TransitionError).context).toMatchObject({ capability: 'inventory', mode: 'legacy', change });
        expect((error as TransitionError).name).toBe('TransitionError');
      }
    });
  });

  describe('laws', () => {
    const anyChange: fc.Arbitrary<RouteChange> = fc.oneof(
      fc.record({
        kind: fc.constant('setMode' as const),
        mode: fc.constantFrom(...ROUTE_MODES),
        percent: fc.option(fc.integer({ min: -5, max: 105 }), { nil: undefined }),
      }),
      fc.record({ kind: fc.constant('promote' as const), percent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('setPercent' as const), percent: fc.integer({ min: -5, max: 105 }) }),
      fc.constant({ kind: 'rollback' as const }),
      fc.record({
        kind: fc.constant('setHealth' as const),
        health: fc.constantFrom('healthy' as const, 'unhealthy' as const, 'unknown' as const),
      }),
    );

    it('keeps every reachable entry valid, bumps the revision by one per change, and can always roll back', () => {
      fc.assert(
        fc.property(fc.array(anyChange, { maxLength: 25 }), (changes) => {
          let entry = routeEntry({ revision: 0 });
          let changed = 0;
          for (const change of changes) {
            try {
              const r = apply(entry, change);
              if (r.changed) {
                changed++;
                expect(r.historyRecord.revision).toBe(entry.revision + 1);
                expect(r.historyRecord.from.mode).toBe(entry.mode);
                expect(r.historyRecord.to.mode).toBe(r.next.mode);
              }
              entry = r.next;
            } catch (error) {
              expect(error).toBeInstanceOf(TransitionError);
            }
          }
          expect(entry.revision).toBe(changed);
          const back = apply(entry, { kind: 'rollback' }).next;
          expect(back.mode).toBe('legacy');
          expect(back.percent).toBe(0);
        }),
        { numRuns: 300 },
      );
    });

    it('forward moves go one step at a time; every backward move is allowed', () => {
      for (const from of ROUTE_MODES) {
        for (const to of ROUTE_MODES) {
          const entry = routeEntry({ mode: from, percent: from === 'canary' ? 40 : undefined });
          const act = () => apply(entry, { kind: 'setMode', mode: to, percent: to === 'canary' ? 40 : undefined });
          const fi = ROUTE_MODES.indexOf(from);
          const ti = ROUTE_MODES.indexOf(to);
          if (ti <= fi + 1) expect(act).not.toThrow();
          else expect(act).toThrow('in one step');
        }
      }
      expect(nextMode('retired')).toBeUndefined();
    });

    it('after rollback, every key is decided for the monolith', () => {
      const keys = randomKeys(500, 3);
      for (const mode of ['shadow', 'canary', 'primary', 'retired'] as const) {
        const next = apply(routeEntry({ mode }), { kind: 'rollback' }).next;
        for (const key of keys) {
          const d = decide(next, key);
          expect(d.authoritative).toBe('legacy');
          expect(d.shadow).toBeUndefined();
        }
      }
    });
  });
});

describe('Function: parseRouteChange', () => {
  it('accepts a well-formed change', () => {
    expect(parseRouteChange({ kind: 'setPercent', percent: 25 })).toEqual({ kind: 'setPercent', percent: 25 });
  });

  it.each<[unknown, string]>([
    [{ kind: 'jump' }, 'kind'],
    [{ kind: 'setMode', mode: 'beta' }, 'mode: '],
    [{ kind: 'setHealth', health: 'fine' }, 'got "fine"'],
    [{ kind: 'rollback', percent: 0 }, 'unknown field(s) percent'],
    [{ kind: 'setCandidate', version: 'v 3', target: 'x' }, 'version: must be letters, digits'],
  ])('rejects %j naming the field', (input, message) => {
    expect(() => parseRouteChange(input)).toThrow(message);
  });
});
