import fc from 'fast-check';
import {
  RateLimitError,
  ReplayCheckpoint,
  ReplayCheckpointError,
  ReplayControl,
  ReplayFilterError,
  TokenBucket,
  compileFilter,
  comparePositions,
  entityIdOf,
  groupByEntity,
  keyOfInteraction,
  planReplay,
  replayFingerprint,
  replayMarkFor,
  runReplay,
  sampleBucket,
  type CapturedInteraction,
  type ReplayKey,
} from '../../core/replay';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

function interaction(
  id: string,
  entityKey: string,
  atOffsetMs: number,
  sequence = 0,
  type = 'ORDER_PLACED',
  entityType = 'order',
): CapturedInteraction {
  return {
    id,
    capturedAt: new Date(T0 + atOffsetMs).toISOString(),
    sequence,
    entity: { type: entityType, key: entityKey },
    input: { type, payload: { id } },
    outcomes: [],
  };
}

/** Random captures: few entities, many events each, clashing timestamps so sequence and id break ties. */
const captures = fc
  .array(
    fc.record({
      entity: fc.integer({ min: 0, max: 7 }),
      at: fc.integer({ min: 0, max: 20 }),
      seq: fc.integer({ min: 0, max: 3 }),
    }),
    { maxLength: 60 },
  )
  .map((rows) => rows.map((r, i) => interaction(`i${String(i).padStart(3, '0')}`, `E${r.entity}`, r.at * 1000, r.seq)));

function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('Function: planReplay', () => {
  it('orders each entity by time, then sequence, then id, whatever the input order', () => {
    fc.assert(
      fc.property(captures, fc.integer(), (items, seed) => {
        // Act
        const plan = planReplay(shuffle(items, seed), keyOfInteraction);

        // Assess
        expect(plan.items).toHaveLength(items.length);
        for (const list of groupByEntity(plan.keys).values()) {
          for (let i = 1; i < list.length; i += 1) expect(comparePositions(list[i - 1], list[i])).toBeLessThan(0);
        }
        // Same plan whatever the input order.
        expect(planReplay(items, keyOfInteraction).keys.map((k) => k.id)).toEqual(plan.keys.map((k) => k.id));
      }),
      { numRuns: 200 },
    );
  });

  it('filters by window, input type, entity type and entity key', () => {
    // Prepare
    const items = [
      interaction('a', 'A', 0),
      interaction('b', 'B', 1000),
      interaction('c', 'A', 2000, 0, 'ORDER_CANCELLED'),
      interaction('d', 'A', 3000),
      interaction('e', 'C', 1500, 0, 'CUSTOMER_UPDATED', 'customer'),
    ];

    // Act
    const ids = (f: Parameters<typeof planReplay>[2]) => planReplay(items, keyOfInteraction, f).keys.map((k) => k.id);

    // Assess
    expect(ids({ from: T0 + 1000, to: new Date(T0 + 3000).toISOString() })).toEqual(['b', 'e', 'c']);
    expect(ids({ types: ['ORDER_PLACED'] })).toEqual(['a', 'b', 'd']);
    expect(ids({ entityTypes: ['customer'] })).toEqual(['e']);
    expect(ids({ entityIds: ['A'] })).toEqual(['a', 'c', 'd']);
    expect(ids({ entityIds: ['customer#C', 'B'] })).toEqual(['b', 'e']);
    expect(planReplay(items, keyOfInteraction, { types: ['ORDER_PLACED'] }).excluded).toBe(2);
  });

  it('keeps the earliest copy of a duplicated id and reports the others', () => {
    // Act
    const plan = planReplay([interaction('x', 'A', 5000), interaction('x', 'A', 1000), interaction('y', 'A', 2000)], keyOfInteraction);

    // Assess
    expect(plan.keys.map((k) => [k.id, k.at - T0])).toEqual([
      ['x', 1000],
      ['y', 2000],
    ]);
    expect(plan.duplicates).toEqual([expect.objectContaining({ id: 'x', code: 'duplicate-id', field: 'id' })]);
  });

  it.each<[string, Parameters<typeof compileFilter>[0], string]>([
    ['a bad time', { from: 'soon' }, 'from must be an ISO time or epoch milliseconds, got "soon"'],
    ['an empty window', { from: 10, to: 10 }, 'from must be before to'],
    ['a zero sample', { samplePercent: 0 }, 'samplePercent must be a number above 0 and at most 100, got 0'],
    ['a sample over 100', { samplePercent: 101 }, 'got 101'],
  ])('rejects %s, naming the field', (_name, filter, message) => {
    const act = () => compileFilter(filter);
    expect(act).toThrow(ReplayFilterError);
    expect(act).toThrow(message);
  });
});

describe('Function: sampling', () => {
  it('takes an entity with all its events or not at all, the same way every time', () => {
    fc.assert(
      fc.property(captures, fc.integer({ min: 1, max: 99 }), fc.string({ maxLength: 4 }), (items, pct, seed) => {
        // Act
        const plan = planReplay(items, keyOfInteraction, { samplePercent: pct, sampleSeed: seed });
        const again = planReplay(shuffle(items, pct), keyOfInteraction, { samplePercent: pct, sampleSeed: seed });

        // Assess
        const kept = new Set(plan.keys.map((k) => entityIdOf(k.entityType, k.entityKey)));
        for (const i of items) {
          expect(plan.keys.some((k) => k.id === i.id)).toBe(kept.has(entityIdOf(i.entity.type, i.entity.key)));
        }
        expect(again.keys.map((k) => k.id)).toEqual(plan.keys.map((k) => k.id));
      }),
      { numRuns: 150 },
    );
  });

  it('picks close to the asked share of entities, and a larger share contains a smaller one', () => {
    // Prepare
    const keys = Array.from({ length: 20000 }, (_, i) => `C-${i}`);

    // Act
    const share = (pct: number) => keys.filter((k) => sampleBucket('customer', k, 's') < pct * 100);
    const ten = share(10);
    const thirty = new Set(share(30));

    // Assess
    expect(ten.length / keys.length).toBeGreaterThan(0.09);
    expect(ten.length / keys.length).toBeLessThan(0.11);
    expect(thirty.size / keys.length).toBeGreaterThan(0.285);
    expect(thirty.size / keys.length).toBeLessThan(0.315);
    expect(ten.every((k) => thirty.has(k))).toBe(true);
  });

  it('a different seed picks different entities', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `C-${i}`);
    const a = keys.filter((k) => sampleBucket('c', k, 'one') < 5000);
    const b = keys.filter((k) => sampleBucket('c', k, 'two') < 5000);
    expect(a).not.toEqual(b);
  });
});

describe('Function: replayFingerprint', () => {
  it('is stable under list order and changes with the filter, source or target', () => {
    const f = replayFingerprint({ types: ['A', 'B'], from: '2026-03-01T00:00:00Z' }, 'file.jsonl', 'orders');
    expect(replayFingerprint({ types: ['B', 'A'], from: T0 }, 'file.jsonl', 'orders')).toBe(f);
    expect(replayFingerprint({ types: ['A'] }, 'file.jsonl', 'orders')).not.toBe(f);
    expect(replayFingerprint({ types: ['A', 'B'], from: T0 }, 'other.jsonl', 'orders')).not.toBe(f);
    expect(replayFingerprint({ types: ['A', 'B'], from: T0 }, 'file.jsonl', 'payments')).not.toBe(f);
  });
});

describe('Class: ReplayCheckpoint', () => {
  const pos = (id: string, at: number) => ({ at, sequence: 0, id });

  it('refuses a checkpoint of another replay, naming both fingerprints', () => {
    const saved = ReplayCheckpoint.start('aaaa').toJSON();
    expect(() => ReplayCheckpoint.fromJSON(saved, 'bbbb')).toThrow(ReplayCheckpointError);
    expect(() => ReplayCheckpoint.fromJSON(saved, 'bbbb')).toThrow('fingerprint "aaaa", this replay is "bbbb"');
    expect(() => ReplayCheckpoint.fromJSON({ ...saved, checkpointVersion: 9 }, 'aaaa')).toThrow('checkpointVersion 9 is not known');
  });

  it('refuses to mark an entity out of order', () => {
    const cp = ReplayCheckpoint.start('f');
    cp.markDone('order#A', pos('b', 2));
    expect(() => cp.markDone('order#A', pos('a', 1))).toThrow('per-entity order was broken');
  });

  it('answers isDone from the watermark and from entity positions', () => {
    // Prepare
    const cp = ReplayCheckpoint.start('f');
    cp.markDone('order#A', pos('a1', 1));
    cp.markDone('order#B', pos('b5', 5));
    cp.advanceWatermark(pos('a1', 1));

    // Act
    const restored = ReplayCheckpoint.fromJSON(JSON.parse(JSON.stringify(cp.toJSON())), 'f');

    // Assess
    expect(restored.isDone('order#Z', pos('z0', 0))).toBe(true);
    expect(restored.isDone('order#B', pos('b5', 5))).toBe(true);
    expect(restored.isDone('order#B', pos('b6', 6))).toBe(false);
    expect(restored.isDone('order#C', pos('c3', 3))).toBe(false);
    expect(restored.toJSON().entities).toEqual({ 'order#B': pos('b5', 5) });
    expect(restored.done).toBe(2);
  });
});

describe('Function: runReplay', () => {
  const noSleep = async () => undefined;

  it('resumes after a crash with nothing lost and nothing sent twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        captures,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer(),
        async (items, lanes, crashAfter, seed) => {
          // Prepare
          const plan = planReplay(items, keyOfInteraction);
          const sentLog: string[] = [];
          let saved = ReplayCheckpoint.start('fp').toJSON();
          let sends = 0;
          const control = new ReplayControl();
          // Lanes finish in a scrambled order, as real sends would.
          let tick = seed >>> 0;
          const jitter = () => {
            tick = (Math.imul(tick, 1103515245) + 12345) >>> 0;
            return new Promise<void>((r) => (tick % 3 === 0 ? setImmediate(r) : r()));
          };
          const send = async (item: CapturedInteraction) => {
            await jitter();
            if (sends >= crashAfter) {
              control.cancel();
              throw new Error('crashed');
            }
            sends += 1;
            sentLog.push(item.id);
          };

          // Act: first run dies after `crashAfter` sends; the second resumes from the saved checkpoint.
          await runReplay({
            plan,
            checkpoint: ReplayCheckpoint.fromJSON(saved, 'fp'),
            send,
            sleep: noSleep,
            concurrency: lanes,
            control,
            saveCheckpoint: async (cp) => void (saved = cp),
          });
          const firstRun = [...sentLog];
          sends = -Infinity;
          const second = await runReplay({
            plan,
            checkpoint: ReplayCheckpoint.fromJSON(saved, 'fp'),
            send,
            sleep: noSleep,
            concurrency: lanes,
            saveCheckpoint: async (cp) => void (saved = cp),
          });

          // Assess
          expect([...sentLog].sort()).toEqual(plan.keys.map((k) => k.id).sort());
          expect(new Set(sentLog).size).toBe(sentLog.length);
          expect(second.alreadyDone).toBe(firstRun.length);
          expect(second.status).toBe('completed');
          // Per-entity order held across both runs.
          const index = new Map(plan.keys.map((k, i) => [k.id, i]));
          const byEntity = new Map<string, number[]>();
          for (const id of sentLog) {
            const k = plan.keys[index.get(id) as number];
            const e = entityIdOf(k.entityType, k.entityKey);
            byEntity.set(e, [...(byEntity.get(e) ?? []), index.get(id) as number]);
          }
          for (const order of byEntity.values()) expect(order).toEqual([...order].sort((a, b) => a - b));
        },
      ),
      { numRuns: 120 },
    );
  });

  it('never has two events of one entity in flight, and keeps their order', async () => {
    // Prepare
    const items = Array.from({ length: 200 }, (_, i) => interaction(`i${i}`, `E${i % 7}`, i * 10));
    const plan = planReplay(items, keyOfInteraction);
    const inFlight = new Set<string>();
    const seen = new Map<string, string[]>();
    let overlap = false;

    // Act
    const result = await runReplay({
      plan,
      checkpoint: ReplayCheckpoint.start('f'),
      concurrency: 4,
      sleep: noSleep,
      send: async (item) => {
        if (inFlight.has(item.entity.key)) overlap = true;
        inFlight.add(item.entity.key);
        await new Promise((r) => setImmediate(r));
        inFlight.delete(item.entity.key);
        seen.set(item.entity.key, [...(seen.get(item.entity.key) ?? []), item.id]);
      },
    });

    // Assess
    expect(overlap).toBe(false);
    expect(result.sent).toBe(200);
    for (const [key, ids] of seen) expect(ids).toEqual(items.filter((i) => i.entity.key === key).map((i) => i.id));
    expect(result.checkpoint.watermark?.id).toBe('i199');
    expect(result.checkpoint.entities).toEqual({});
  });

  it('holds back the rest of an entity after a failed send, and retries it on resume', async () => {
    // Prepare
    const items = [
      interaction('a1', 'A', 0),
      interaction('b1', 'B', 1),
      interaction('a2', 'A', 2),
      interaction('a3', 'A', 3),
      interaction('b2', 'B', 4),
    ];
    const plan = planReplay(items, keyOfInteraction);
    const sent: string[] = [];
    let failA2 = true;
    const send = async (item: CapturedInteraction) => {
      if (item.id === 'a2' && failA2) throw new TypeError('target said no');
      sent.push(item.id);
    };

    // Act
    const first = await runReplay({ plan, checkpoint: ReplayCheckpoint.start('f'), send, sleep: noSleep });
    failA2 = false;
    const second = await runReplay({ plan, checkpoint: ReplayCheckpoint.fromJSON(first.checkpoint, 'f'), send, sleep: noSleep });

    // Assess
    expect(first.failures).toEqual([{ id: 'a2', entityId: 'order#A', error: { name: 'TypeError', message: 'target said no' } }]);
    expect(first.blockedItems).toEqual([{ id: 'a3', entityId: 'order#A', behind: 'a2' }]);
    expect(sent).toEqual(['a1', 'b1', 'b2', 'a2', 'a3']);
    expect(second.sent).toBe(2);
  });

  it('pauses between items, saves the checkpoint, and resumes', async () => {
    // Prepare
    const plan = planReplay(
      Array.from({ length: 10 }, (_, i) => interaction(`i${i}`, 'A', i)),
      keyOfInteraction,
    );
    const control = new ReplayControl();
    const sent: string[] = [];
    const saves: number[] = [];

    // Act
    const running = runReplay({
      plan,
      checkpoint: ReplayCheckpoint.start('f'),
      control,
      sleep: noSleep,
      saveEvery: 100,
      saveCheckpoint: async (cp) => void saves.push(cp.done),
      send: async (item) => {
        sent.push(item.id);
        if (item.id === 'i3') control.pause();
      },
    });
    await new Promise((r) => setImmediate(r));
    const whilePaused = [...sent];
    const state = control.state;
    control.resume();
    const result = await running;

    // Assess
    expect(state).toBe('paused');
    expect(whilePaused).toEqual(['i0', 'i1', 'i2', 'i3']);
    expect(saves[0]).toBe(4);
    expect(result.sent).toBe(10);
    expect(result.status).toBe('completed');
  });

  it('waits on the rate limiter between sends', async () => {
    // Prepare
    let now = 0;
    const limiter = new TokenBucket({ ratePerSecond: 10, burst: 1, now: () => now });
    const plan = planReplay(
      Array.from({ length: 5 }, (_, i) => interaction(`i${i}`, `E${i}`, i)),
      keyOfInteraction,
    );
    const sentAt: number[] = [];

    // Act
    await runReplay({
      plan,
      checkpoint: ReplayCheckpoint.start('f'),
      limiter,
      sleep: async (ms) => void (now += ms),
      send: async () => void sentAt.push(now),
    });

    // Assess
    expect(sentAt).toEqual([0, 100, 200, 300, 400]);
  });

  it('marks replayed events with a stable id per replay and interaction', () => {
    expect(replayMarkFor('r1', 'i9')).toEqual({ replayId: 'r1', interactionId: 'i9', replayEventId: 'r1:i9', mode: 'shadow' });
  });
});

describe('Class: TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    // Prepare
    let now = 1000;
    const b = new TokenBucket({ ratePerSecond: 2, burst: 3, now: () => now });

    // Act / Assess
    expect([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, true, false]);
    expect(b.waitTime()).toBe(500);
    now += 499;
    expect(b.tryTake()).toBe(false);
    now += 1;
    expect(b.tryTake()).toBe(true);
    now += 60_000;
    expect(b.available()).toBe(3);
  });

  it('spaces reservations made at once by 1/rate', () => {
    const b = new TokenBucket({ ratePerSecond: 4, burst: 1, now: () => 0 });
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 250, 500]);
  });

  it('never exceeds rate x time + burst over any run (fake clock)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }),
        (rate, burst, steps) => {
          let now = 0;
          const b = new TokenBucket({ ratePerSecond: rate, burst, now: () => now });
          let taken = 0;
          for (const s of steps) {
            now += s;
            if (b.tryTake()) taken += 1;
          }
          expect(taken).toBeLessThanOrEqual(Math.floor((rate * now) / 1000 + burst + 1e-6));
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    [{ ratePerSecond: 0 }, 'ratePerSecond must be a positive number, got 0'],
    [{ ratePerSecond: 5, burst: 0.5 }, 'burst must be a number of at least 1, got 0.5'],
  ])('rejects %j', (opts, message) => {
    expect(() => new TokenBucket({ ...opts, now: () => 0 })).toThrow(RateLimitError);
    expect(() => new TokenBucket({ ...opts, now: () => 0 })).toThrow(message);
  });
});

// Keys are small: planning over an index (no payloads) works the same way.
describe('Function: planReplay over keys', () => {
  it('plans plain keys', () => {
    const keys: ReplayKey[] = [
      { at: 2, sequence: 0, id: 'b', entityType: 'o', entityKey: 'A', inputType: 'X' },
      { at: 1, sequence: 0, id: 'a', entityType: 'o', entityKey: 'A', inputType: 'X' },
    ];
    expect(planReplay(keys, (k) => k).items.map((k) => k.id)).toEqual(['a', 'b']);
  });
});
