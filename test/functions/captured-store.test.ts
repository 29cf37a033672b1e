import {
  CapturedStore,
  inputKeyOf,
  interactionFromItems,
  itemsForCapture,
  outcomesOfInput,
  type CaptureWrite,
} from '../../adapters/dynamodb/captured-store';
import { startReplayTables, type ReplayTables } from './replay-dynalite';

/*
 * The CapturedEvents adapter against dynalite: time-window reads over hour buckets (bounds, type filter,
 * pagination), the assignment of outcomes to inputs within one correlation, and damaged records turned
 * into skips that name the field.
 */
let t: ReplayTables;
let store: CapturedStore;

const input = (id: string, at: string, key: string, type = 'ORDER_PLACED', payload: unknown = { ORDER_NO: key }): CaptureWrite => ({
  role: 'input',
  eventId: id,
  correlationId: `order-${key}`,
  capturedAt: at,
  entity: { type: 'order', key },
  event: { type, payload },
  sourceType: type,
  expiresAt: 2_000_000_000,
});
const outcome = (id: string, at: string, key: string, payload: unknown = { orderId: key }, version = 1): CaptureWrite => ({
  role: 'outcome',
  eventId: id,
  correlationId: `order-${key}`,
  capturedAt: at,
  event: { type: 'inventory.reserved', version, payload },
  sourceType: 'STOCK_RESERVED',
  expiresAt: 2_000_000_000,
});

beforeAll(async () => {
  t = await startReplayTables();
  store = new CapturedStore({ tableName: t.captured, client: t.db.doc });
  const writes = [
    input('a1', '2026-03-01T09:59:59.999Z', '100001'),
    input('a2', '2026-03-01T10:00:00.000Z', '100002'),
    input('a3', '2026-03-01T10:30:00.000Z', '100003', 'ORDER_CANCELLED'),
    input('a4', '2026-03-01T11:15:00.000Z', '100004'),
    input('a5', '2026-03-01T11:59:59.999Z', '100005'),
    input('a6', '2026-03-01T12:00:00.000Z', '100006'),
    // One order placed, then cancelled: four outcomes to share out.
    outcome('o0', '2026-03-01T13:00:00.000Z', '200001', { n: 0 }),
    input('p1', '2026-03-01T13:00:00.005Z', '200001'),
    outcome('o1', '2026-03-01T13:00:00.050Z', '200001', { n: 1 }),
    outcome('o2', '2026-03-01T13:00:01.000Z', '200001', { n: 2 }),
    input('p2', '2026-03-01T13:05:00.000Z', '200001', 'ORDER_CANCELLED'),
    outcome('o3', '2026-03-01T13:05:00.100Z', '200001', { n: 3 }),
  ];
  for (const w of writes) await store.put(w);
});

afterAll(async () => {
  await t.db.stop();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('Class: CapturedStore', () => {
  describe('Method: inputsInWindow', () => {
    it('reads [from, to) across hour buckets, oldest first, page by page', async () => {
      // Act
      const got = await collect(
        store.inputsInWindow({ fromMs: Date.parse('2026-03-01T10:00:00.000Z'), toMs: Date.parse('2026-03-01T12:00:00.000Z'), pageSize: 1 }),
      );

      // Assess: a1 is a millisecond early, a6 exactly at the exclusive end
      expect(got.map((g) => (g.ok ? g.key.id : g.skipped.id))).toEqual(['a2', 'a3', 'a4', 'a5']);
      expect(got.every((g) => g.ok)).toBe(true);
    });

    it('keeps only the requested input types', async () => {
      // Act
      const got = await collect(
        store.inputsInWindow({
          fromMs: Date.parse('2026-03-01T09:00:00Z'),
          toMs: Date.parse('2026-03-01T13:00:00Z'),
          types: ['ORDER_CANCELLED'],
        }),
      );

      // Assess
      expect(got.map((g) => g.ok && g.key.id)).toEqual(['a3']);
    });

    it('refuses an empty window, naming both ends', async () => {
      await expect(collect(store.inputsInWindow({ fromMs: 10, toMs: 10 }))).rejects.toThrow('from < to, got 10 and 10');
    });
  });

  describe('Method: itemsInWindow', () => {
    it('lists inputs and outcomes of the window together, in capture order', async () => {
      // Act
      const got = await collect(
        store.itemsInWindow({ fromMs: Date.parse('2026-03-01T13:00:00Z'), toMs: Date.parse('2026-03-01T14:00:00Z') }),
      );

      // Assess: the input refs are not listed; the outcome before the first input comes first
      expect(got.map((i) => `${i.role}:${i.eventId}`)).toEqual([
        'outcome:o0',
        'input:p1',
        'outcome:o1',
        'outcome:o2',
        'input:p2',
        'outcome:o3',
      ]);
    });
  });

  describe('Method: putBatch', () => {
    it('bulk-loads many captures (more than one request) that then read back like single puts', async () => {
      // Prepare
      const writes = Array.from({ length: 30 }, (_, i) =>
        input(`b${i}`, `2026-03-02T08:00:${String(i).padStart(2, '0')}.000Z`, `40000${String(i).padStart(2, '0')}`),
      );

      // Act
      const n = await store.putBatch(writes);

      // Assess: an input and its ref each
      expect(n).toBe(60);
      const got = await collect(
        store.inputsInWindow({ fromMs: Date.parse('2026-03-02T08:00:00Z'), toMs: Date.parse('2026-03-02T09:00:00Z') }),
      );
      expect(got.map((g) => g.ok && g.key.id)).toEqual(writes.map((w) => w.eventId));
    });
  });

  describe('Method: interactionFor', () => {
    it('gives each input the outcomes after it and before the next input; earlier ones go to the first', async () => {
      // Prepare
      const [first, second] = (
        await collect(store.inputsInWindow({ fromMs: Date.parse('2026-03-01T13:00:00Z'), toMs: Date.parse('2026-03-01T14:00:00Z') }))
      ).map((g) => {
        if (!g.ok) throw new Error(g.skipped.reason);
        return g.key;
      });

      // Act
      const a = await store.interactionFor(first);
      const b = await store.interactionFor(second);

      // Assess
      expect(a.ok && a.interaction.outcomes.map((o) => (o.payload as { n: number }).n)).toEqual([0, 1, 2]);
      expect(b.ok && b.interaction.outcomes.map((o) => (o.payload as { n: number }).n)).toEqual([3]);
      expect(a.ok && a.interaction).toMatchObject({
        id: 'p1',
        entity: { type: 'order', key: '200001' },
        input: { type: 'ORDER_PLACED' },
        correlationId: 'order-200001',
      });
    });

    it('reports an input that expired between planning and sending', async () => {
      // Act
      const r = await store.interactionFor({ pk: 'ENTITY#order#404', sk: 'nope', id: 'gone-1', correlationId: 'order-404' });

      // Assess
      expect(r.ok ? undefined : r.skipped).toMatchObject({ id: 'gone-1', reason: expect.stringContaining('is gone') });
    });
  });
});

describe('Function: outcomesOfInput', () => {
  it('gives everything to an input that has no ref (written before refs existed)', () => {
    // Prepare
    const items = [
      { role: 'outcome', sk: 'b' },
      { role: 'outcome', sk: 'c' },
    ];

    // Act / Assess
    expect(outcomesOfInput('a', items)).toEqual(items);
  });
});

describe('Function: inputKeyOf', () => {
  it.each([
    [{ format: 2, eventId: 'x' }, 'unknown-version', 'format'],
    [{ eventId: 'x' }, 'missing-field', 'capturedAt'],
    [{ eventId: 'x', capturedAt: 'yesterday' }, 'invalid-field', 'capturedAt'],
    [{ eventId: 'x', capturedAt: '2026-03-01T10:00:00Z', entityType: 'order' }, 'missing-field', 'entity.key'],
    [{ capturedAt: '2026-03-01T10:00:00Z' }, 'missing-field', 'id'],
  ])('turns a damaged item %j into a %s skip naming %s', (item, code, field) => {
    // Act
    const r = inputKeyOf(item);

    // Assess
    expect(r.ok ? undefined : { code: r.skipped.code, field: r.skipped.field }).toEqual({ code, field });
  });
});

describe('Function: interactionFromItems', () => {
  const [inputItem] = itemsForCapture(input('i1', '2026-03-01T10:00:00Z', '300001'));
  const [outcomeItem] = itemsForCapture(outcome('u1', '2026-03-01T10:00:01Z', '300001'));

  it('assembles a valid interaction in the export format', () => {
    // Act
    const r = interactionFromItems(inputItem as never, [outcomeItem as never]);

    // Assess
    expect(r).toEqual({
      ok: true,
      interaction: {
        format: 1,
        id: 'i1',
        capturedAt: '2026-03-01T10:00:00.000Z',
        sequence: 0,
        correlationId: 'order-300001',
        entity: { type: 'order', key: '300001' },
        input: { type: 'ORDER_PLACED', payload: { ORDER_NO: '300001' } },
        outcomes: [{ type: 'inventory.reserved', version: 1, payload: { orderId: '300001' } }],
      },
    });
  });

  it.each([
    [
      'a truncated input',
      { ...inputItem, event: '{"type":"ORDER_PLACED","payload":{"ORDER_NO":"30' },
      [outcomeItem],
      'truncated-json',
      'input',
    ],
    ['an input that is not JSON', { ...inputItem, event: 'ORDER_PLACED 300001' }, [outcomeItem], 'invalid-json', 'input'],
    ['an input without a payload', { ...inputItem, event: '{"type":"ORDER_PLACED"}' }, [outcomeItem], 'missing-field', 'input.payload'],
    ['a truncated outcome', inputItem, [{ ...outcomeItem, event: '{"type":"inventory.res' }], 'truncated-json', 'outcomes[0]'],
    [
      'an outcome of an unknown version',
      inputItem,
      [{ ...outcomeItem, event: '{"type":"inventory.reserved","version":9,"payload":{}}' }],
      'unknown-version',
      'outcomes[0].version',
    ],
  ])('skips %s, naming the field', (_what, i, outs, code, field) => {
    // Act
    const r = interactionFromItems(i as never, outs as never, {
      knownVersions: (type) => (type === 'inventory.reserved' ? [1] : undefined),
    });

    // Assess
    expect(r.ok ? undefined : { id: r.skipped.id, code: r.skipped.code, field: r.skipped.field }).toEqual({ id: 'i1', code, field });
  });
});
