import fc from 'fast-check';
import { decide, type IncomingChange } from '../../core/sync/engine';
import { addDelta, type SyncRecord } from '../../core/sync/record';
import type { EntitySyncRules } from '../../core/sync/policy';
import { SyncError } from '../../core/sync/errors';
import { SyncWorld } from '../support/sync-world';

const n = (v: number | string) => ({ N: String(v) });
const s = (v: string) => ({ S: v });

function change(side: 'monolith' | 'service', before: SyncRecord | null, after: SyncRecord | null, position = '7'): IncomingChange {
  return { side, position, before, after, at: '2026-12-06T02:00:00.000Z' };
}

describe('Function: addDelta', () => {
  it.each([
    ['10', '10', '7', '7'],
    ['12', '10', '7', '9'],
    ['1.50', '1.25', '2', '2.25'],
    ['0', '5', '0', '-5'],
    ['-1.1', '0', '0.1', '-1'],
  ])('current %s, before %s, after %s gives %s', (cur, before, after, want) => {
    // Act
    const out = addDelta(n(cur), n(before), n(after));

    // Assess
    expect(out).toEqual(n(want));
  });

  it('refuses text', () => {
    // Act / Assess
    expect(addDelta(s('a'), n(1), n(2))).toBeUndefined();
  });
});

describe('Function: decide', () => {
  const base = { sku: s('A'), onHand: n(10), note: s('x'), updatedAt: n(1) };

  it('applies a change unchanged when the target still holds its base', () => {
    // Prepare
    const after = { ...base, onHand: n(7), updatedAt: n(2) };

    // Act
    const d = decide({
      entity: 'stock',
      key: 'A',
      rules: { policy: { kind: 'prefer', side: 'monolith' } },
      change: change('monolith', base, after),
      current: base,
    });

    // Assess
    expect(d).toEqual({ kind: 'apply', result: after });
  });

  it('does nothing when the target already holds the result (a replay of the same write)', () => {
    // Prepare
    const after = { ...base, onHand: n(7) };

    // Act
    const d = decide({
      entity: 'stock',
      key: 'A',
      rules: { policy: { kind: 'prefer', side: 'monolith' } },
      change: change('monolith', base, after),
      current: after,
    });

    // Assess
    expect(d.kind).toBe('noop');
  });

  const cases: {
    name: string;
    rules: EntitySyncRules;
    side: 'monolith' | 'service';
    after: SyncRecord;
    current: SyncRecord;
    want: SyncRecord;
    winner: string;
  }[] = [
    {
      name: 'lastWriterWins: the later clock wins the whole row',
      rules: { policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' },
      side: 'monolith',
      after: { ...base, note: s('m'), updatedAt: n(3) },
      current: { ...base, onHand: n(9), updatedAt: n(2) },
      want: { ...base, note: s('m'), updatedAt: n(3) },
      winner: 'monolith',
    },
    {
      name: 'lastWriterWins: an older incoming row loses',
      rules: { policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' },
      side: 'service',
      after: { ...base, note: s('s'), updatedAt: n(2) },
      current: { ...base, onHand: n(9), updatedAt: n(3) },
      want: { ...base, onHand: n(9), updatedAt: n(3) },
      winner: 'monolith',
    },
    {
      name: 'lastWriterWins: a tie goes to the monolith',
      rules: { policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' },
      side: 'service',
      after: { ...base, note: s('s'), updatedAt: n(2) },
      current: { ...base, note: s('m'), updatedAt: n(2) },
      want: { ...base, note: s('m'), updatedAt: n(2) },
      winner: 'monolith',
    },
    {
      name: 'prefer service: the service row wins even when it arrives second',
      rules: { policy: { kind: 'prefer', side: 'service' } },
      side: 'service',
      after: { ...base, note: s('s') },
      current: { ...base, note: s('m') },
      want: { ...base, note: s('s') },
      winner: 'service',
    },
    {
      name: 'mergeFields: both non-overlapping changes are kept',
      rules: { policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'monolith' } } },
      side: 'service',
      after: { ...base, note: s('s') },
      current: { ...base, onHand: n(4) },
      want: { ...base, note: s('s'), onHand: n(4) },
      winner: 'merged',
    },
    {
      name: 'mergeFields: an overlapping field goes to the fallback',
      rules: { policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'monolith' } } },
      side: 'service',
      after: { ...base, note: s('s'), onHand: n(1) },
      current: { ...base, note: s('m') },
      want: { ...base, note: s('m'), onHand: n(1) },
      winner: 'merged',
    },
    {
      name: 'delta: both increments survive',
      rules: { policy: { kind: 'prefer', side: 'monolith' }, fields: { onHand: { kind: 'delta' } } },
      side: 'service',
      after: { ...base, onHand: n(7) },
      current: { ...base, onHand: n(12) },
      want: { ...base, onHand: n(9) },
      winner: 'merged',
    },
  ];

  it.each(cases)('$name', ({ rules, side, after, current, want, winner }) => {
    // Act
    const d = decide({ entity: 'stock', key: 'A', rules, change: change(side, base, after), current });

    // Assess
    const result = d.kind === 'apply' ? d.result : d.kind === 'noop' ? current : undefined;
    expect(result).toEqual(want);
    expect(d.conflict?.winner).toBe(winner);
    expect(d.conflict?.base).toEqual(base);
    expect(d.conflict?.monolith).toEqual(side === 'monolith' ? after : current);
    expect(d.conflict?.service).toEqual(side === 'service' ? after : current);
  });

  it('parks a manual conflict and resolves nothing', () => {
    // Act
    const d = decide({
      entity: 'customers',
      key: 'C1',
      rules: { policy: { kind: 'manual' } },
      change: change('monolith', base, { ...base, note: s('m') }),
      current: { ...base, note: s('s') },
    });

    // Assess
    expect(d.kind).toBe('park');
    expect(d.conflict?.result).toBeUndefined();
    expect(d.conflict?.fields).toEqual(['note']);
  });

  it('calls a named custom resolver with base, monolith and service', () => {
    // Prepare
    const longest = {
      field: (i: { monolith?: { S: string } | object; service?: object }) =>
        ((i.monolith as { S: string }).S.length >= (i.service as { S: string }).S.length ? i.monolith : i.service) as { S: string },
    };

    // Act
    const d = decide({
      entity: 'customers',
      key: 'C1',
      rules: { policy: { kind: 'mergeFields', fallback: { kind: 'custom', resolver: 'longest' } } },
      change: change('service', base, { ...base, note: s('service!') }),
      current: { ...base, note: s('m') },
      resolvers: { longest },
    });

    // Assess
    expect(d.kind === 'apply' && d.result?.note).toEqual(s('service!'));
  });

  it('names a custom resolver that is not shipped', () => {
    // Act / Assess
    expect(() =>
      decide({
        entity: 'customers',
        key: 'C1',
        rules: { policy: { kind: 'custom', resolver: 'nope' } },
        change: change('service', base, { ...base, note: s('s') }),
        current: { ...base, note: s('m') },
      }),
    ).toThrow(new SyncError('customers: no custom resolver named "nope" is shipped with the handler'));
  });

  it('lets a delete win over a concurrent update unless a side is preferred', () => {
    // Act
    const deleteWins = decide({
      entity: 'e',
      key: 'k',
      rules: { policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' },
      change: change('monolith', base, null),
      current: { ...base, note: s('s') },
    });
    const keep = decide({
      entity: 'e',
      key: 'k',
      rules: { policy: { kind: 'prefer', side: 'service' } },
      change: change('monolith', base, null),
      current: { ...base, note: s('s') },
    });

    // Assess
    expect(deleteWins).toMatchObject({ kind: 'apply', result: null });
    expect(keep.kind).toBe('noop');
    expect(keep.conflict?.winner).toBe('service');
  });

  it('never sends a one-way attribute to the monolith', () => {
    // Act
    const d = decide({
      entity: 'e',
      key: 'k',
      rules: { policy: { kind: 'prefer', side: 'monolith' }, oneWay: ['loyaltyScore'] },
      change: change('service', base, { ...base, loyaltyScore: n(5) }),
      current: base,
    });

    // Assess
    expect(d.kind).toBe('noop');
  });

  it('gives a redelivered conflicting change the same conflict id', () => {
    // Prepare
    const input = {
      entity: 'e',
      key: 'k',
      rules: { policy: { kind: 'prefer', side: 'monolith' } } as EntitySyncRules,
      change: change('service', base, { ...base, note: s('s') }),
      current: { ...base, note: s('m') },
    };

    // Act
    const a = decide(input);
    const b = decide(input);

    // Assess
    expect(a.conflict?.conflictId).toMatch(/^[0-9a-f]{16}$/);
    expect(a.conflict?.conflictId).toBe(b.conflict?.conflictId);
  });
});

type Step =
  | { op: 'write'; side: 'monolith' | 'service'; key: number; delta: number; note?: string }
  | { op: 'deliver'; target: 'monolith' | 'service'; key: number }
  | { op: 'redeliver'; target: 'monolith' | 'service'; key: number; nth: number };

const KEYS = ['A', 'B', 'C'];
const side = fc.constantFrom('monolith' as const, 'service' as const);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      side,
      key: fc.nat(2),
      delta: fc.integer({ min: -5, max: 5 }).filter((d) => d !== 0),
      note: fc.option(fc.constantFrom('red', 'green', 'blue'), { nil: undefined }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('deliver' as const), target: side, key: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('redeliver' as const), target: side, key: fc.nat(2), nth: fc.nat(4) }) },
);

/**
 * Text values are made unique per write: field merges compare values, so a side that changes a field and
 * changes it back (A-B-A) looks unchanged, the documented limit of value-based detection (counters under
 * `delta` are immune: the arithmetic is the same either way).
 */
function run(world: SyncWorld, steps: Step[]): void {
  for (const [i, st] of steps.entries()) {
    if (st.op === 'write') world.write(st.side, KEYS[st.key], { onHand: st.delta }, st.note ? { note: `${st.note}-${i}` } : {});
    else if (st.op === 'deliver') world.deliver(st.target, KEYS[st.key]);
    else world.redeliver(st.target, KEYS[st.key], st.nth);
  }
  world.drain();
}

const initial = Object.fromEntries(KEYS.map((k) => [k, { onHand: n(100), note: s('plain'), updatedAt: n(0) }]));

function concurrentPairs(world: SyncWorld) {
  const pairs: [number, number][] = [];
  for (const m of world.writes.filter((w) => w.side === 'monolith')) {
    for (const sv of world.writes.filter((w) => w.side === 'service' && w.key === m.key)) {
      if (sv.position > m.seenOther && m.position > sv.seenOther) pairs.push([m.id, sv.id]);
    }
  }
  return pairs;
}

describe('Property: two-way sync under at-least-once delivery', () => {
  const params = { seed: 11, numRuns: 300 };

  it('delta with merged fields: both stores converge, the sum is preserved, every concurrent pair is in the ledger', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        // Prepare
        const world = new SyncWorld(
          'stock',
          {
            policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'service' } },
            clock: 'updatedAt',
            fields: { onHand: { kind: 'delta' } },
          },
          initial,
        );

        // Act
        run(world, steps);

        // Assess
        for (const k of KEYS) {
          expect(world.stores.service.get(k)).toEqual(world.stores.monolith.get(k));
          const sum = world.writes.filter((w) => w.key === k).reduce((t, w) => t + (w.deltas.onHand ?? 0), 100);
          expect(world.stores.monolith.get(k)?.onHand).toEqual(n(sum));
        }
        const positions = new Set([...world.ledger.values()].map((c) => `${c.incoming.side}:${c.incoming.position}`));
        for (const [m, sv] of concurrentPairs(world)) {
          const wm = world.writes[m];
          const ws = world.writes[sv];
          // One of the two meets the other's write at its applier: that applier records the conflict.
          expect(positions.has(`monolith:${wm.position}`) || positions.has(`service:${ws.position}`)).toBe(true);
        }
      }),
      params,
    );
  });

  it('lastWriterWins: both stores converge on the row of the latest write', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        // Prepare
        const world = new SyncWorld('customers', { policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' }, initial);

        // Act
        run(world, steps);

        // Assess
        for (const k of KEYS) {
          expect(world.stores.service.get(k)).toEqual(world.stores.monolith.get(k));
          const last = world.writes.filter((w) => w.key === k).at(-1);
          if (last) expect(world.stores.monolith.get(k)).toEqual(last.after);
        }
      }),
      params,
    );
  });

  it.each([['monolith' as const], ['service' as const]])(
    'prefer %s: both stores converge and every conflict the preferred side met keeps its value',
    (preferred) => {
      fc.assert(
        fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
          // Prepare
          const world = new SyncWorld('products', { policy: { kind: 'prefer', side: preferred } }, initial);

          // Act
          run(world, steps);

          // Assess
          for (const k of KEYS) expect(world.stores.service.get(k)).toEqual(world.stores.monolith.get(k));
          for (const c of world.ledger.values()) expect(c.winner).toBe(preferred);
        }),
        params,
      );
    },
  );
});
