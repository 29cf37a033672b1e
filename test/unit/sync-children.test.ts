import fc from 'fast-check';
import { compileSyncEntity, type SyncChildMapping } from '../../core/sync/mapping';
import { diffList, elementEntityKey, elementRules, findElement, listOf, withElement, withStoredElement } from '../../core/sync/children';
import { decide, otherSide, type ConflictFinding } from '../../core/sync/engine';
import type { EntitySyncRules } from '../../core/sync/policy';
import type { SyncRecord } from '../../core/sync/record';
import type { MigrationEntity } from '../../core/spec/migration';
import { SyncError } from '../../core/sync/errors';

const n = (v: number | string) => ({ N: String(v) });
const s = (v: string) => ({ S: v });

const orders: MigrationEntity = {
  source: { table: 'orders', key: ['order_no'] },
  target: { table: 'orders', partitionKey: 'pk', sortKey: 'sk' },
  fields: [
    { attribute: 'pk', template: 'ORDER#{order_no}' },
    { attribute: 'sk', constant: 'ORDER' },
    { attribute: 'status', column: 'status' },
    { attribute: 'updatedAt', column: 'updated_at', transform: 'sqlTimestamp' },
  ],
  children: [
    {
      name: 'lines',
      table: 'order_lines',
      foreignKey: ['order_no'],
      orderBy: ['line_no'],
      shape: 'embed',
      fields: [
        { attribute: 'lineNo', column: 'line_no', transform: 'intString' },
        { attribute: 'qty', column: 'qty', transform: 'intString' },
        { attribute: 'price.amount', column: 'price_cents', transform: 'centsToDecimal' },
        { attribute: 'note', column: 'note', transform: 'emptyAsAbsent' },
      ],
    },
    {
      name: 'events',
      table: 'order_events',
      foreignKey: ['order_no'],
      orderBy: ['seen_at'],
      shape: 'embed',
      fields: [{ attribute: 'kind', column: 'kind' }],
    },
    {
      name: 'payments',
      table: 'payments',
      foreignKey: ['order_no'],
      orderBy: ['payment_id'],
      shape: 'collection',
      fields: [
        { attribute: 'pk', template: 'ORDER#{order_no}' },
        { attribute: 'sk', template: 'PAY#{payment_id}' },
      ],
    },
  ],
} as MigrationEntity;

const mapping = compileSyncEntity('orders', orders);
const lines = mapping.children[0];
const el = (lineNo: number, qty: number, note?: string): SyncRecord => ({
  lineNo: n(lineNo),
  qty: n(qty),
  ...(note ? { note: s(note) } : {}),
});

describe('Function: compileSyncEntity (embedded children)', () => {
  it('syncs an embedded child whose order columns map back, and names the children that do not sync', () => {
    expect(mapping.children.map((c) => [c.name, c.attribute, c.keyFields])).toEqual([['lines', 'lines', ['lineNo']]]);
    expect(mapping.unsynced).toEqual([
      { name: 'events', table: 'order_events', reason: 'order column seen_at is not mapped to an attribute that can be written back' },
      { name: 'payments', table: 'payments', reason: 'a collection child does not sync yet (only embedded lists do)' },
    ]);
  });

  it('maps a child row to an element and back to its row key and columns', () => {
    // Act
    const mapped = lines.rowToElement({ order_no: '7', line_no: '2', qty: '3', price_cents: '1990', note: '' });
    const record = mapped.record as SyncRecord;

    // Assess
    expect(record).toEqual({ lineNo: n(2), qty: n(3), 'price.amount': s('19.90') });
    expect(lines.rootKeyOfRow({ order_no: '7', line_no: '2' })).toEqual({ order_no: '7' });
    expect(lines.rowKeyOf(record, { order_no: '7' })).toEqual({ order_no: '7', line_no: '2' });
    expect(lines.elementToRow(record)).toEqual({ qty: '3', price_cents: '1990', note: '' });
    expect(lines.toElement(record)).toEqual({ M: { lineNo: n(2), qty: n(3), price: { M: { amount: s('19.90') } } } });
    expect(lines.elementOf(lines.toElement(record))).toEqual(record);
    expect(lines.elementKey(record)).toBe('[2]');
    expect(lines.elementKey({ lineNo: n('2.0') })).toBe('[2]');
  });

  it('rejects a child row a transform refuses, naming the column and the root key', () => {
    const mapped = lines.rowToElement({ order_no: '7', line_no: '2', qty: 'three', price_cents: '1', note: '' });
    expect(mapped.reject).toEqual(expect.objectContaining({ table: 'order_lines', column: 'qty', value: 'three', key: { order_no: '7' } }));
  });

  it('refuses a row without its foreign key and an element without its order value, naming them', () => {
    expect(() => lines.rootKeyOfRow({ line_no: '2' })).toThrow(/foreign key column order_no/);
    expect(() => lines.rowKeyOf({ qty: n(1) }, { order_no: '7' })).toThrow(SyncError);
  });

  it('orders elements by their order values, numbers as numbers', () => {
    const sorted = [el(10, 1), el(9, 1), el(1, 1)].sort((a, b) => lines.compare(a, b));
    expect(sorted.map((r) => r.lineNo)).toEqual([n(1), n(9), n(10)]);
  });
});

describe('Lists', () => {
  it('diffs two lists by element key: inserts, updates and deletes, in list order', () => {
    const changes = diffList(lines, [el(1, 1), el(2, 1), el(3, 1)], [el(3, 1), el(1, 5), el(4, 2)]);
    expect(changes).toEqual([
      { key: '[1]', before: el(1, 1), after: el(1, 5) },
      { key: '[2]', before: el(2, 1), after: null },
      { key: '[4]', before: null, after: el(4, 2) },
    ]);
  });

  it('replaces, inserts and removes one element, keeping the list sorted', () => {
    const list = [el(1, 1), el(3, 1)];
    expect(withElement(lines, list, '[2]', el(2, 4))).toEqual([el(1, 1), el(2, 4), el(3, 1)]);
    expect(withElement(lines, list, '[1]', null)).toEqual([el(3, 1)]);
    expect(findElement(lines, list, '[3]')).toEqual(el(3, 1));
    expect(findElement(lines, list, '[9]')).toBeNull();
  });

  it('edits the stored list without losing attributes the mapping does not know', () => {
    // Prepare
    const stored = [
      { M: { lineNo: n(2), qty: n(1), giftWrap: { BOOL: true } } },
      { M: { lineNo: n(1), qty: n(1), giftWrap: { BOOL: false } } },
    ];

    // Act
    const edited = withStoredElement(lines, stored, '[2]', el(2, 6));
    const added = withStoredElement(lines, stored, '[0]', el(0, 1));

    // Assess
    expect(edited).toEqual([
      { M: { lineNo: n(1), qty: n(1), giftWrap: { BOOL: false } } },
      { M: { lineNo: n(2), qty: n(6), giftWrap: { BOOL: true } } },
    ]);
    expect(added.map((e) => ('M' in e ? e.M.lineNo : undefined))).toEqual([n(0), n(1), n(2)]);
  });

  it('reads an item list, and none when the item or the attribute is absent', () => {
    expect(listOf({ lines: { L: [lines.toElement(el(1, 2))] } }, lines)).toEqual([el(1, 2)]);
    expect(listOf(undefined, lines)).toEqual([]);
    expect(listOf({ lines: s('x') }, lines)).toEqual([]);
  });

  it('keys an element in the ledger by its root key, list and order value', () => {
    expect(elementEntityKey('[{"S":"ORDER#7"}]', lines, el(3, 1))).toBe('[{"S":"ORDER#7"}]/lines[3]');
  });
});

describe('Function: elementRules', () => {
  it('applies the entity policy per element, with `list[].field` overrides and the clock', () => {
    const rules = elementRules(
      {
        policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'service' } },
        fields: { 'lines[].qty': { kind: 'delta' }, status: { kind: 'prefer', side: 'monolith' } },
        clock: 'updatedAt',
      },
      lines,
    );
    expect(rules).toEqual({
      policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'service' } },
      fields: { qty: { kind: 'delta' } },
      clock: 'updatedAt',
    });
  });

  it('does not park an element under manual: the monolith wins and the conflict is recorded', () => {
    // Prepare
    const rules = elementRules({ policy: { kind: 'manual' } }, lines);

    // Act
    const d = decide({
      entity: 'orders',
      key: 'k/lines[1]',
      rules,
      change: { side: 'service', position: '9', before: el(1, 1), after: el(1, 2), at: '2026-12-06T06:00:00.000Z' },
      current: el(1, 3),
    });

    // Assess
    expect(rules.policy).toEqual({ kind: 'prefer', side: 'monolith' });
    expect(
      elementRules(
        {
          policy: { kind: 'mergeFields', fallback: { kind: 'manual' } },
          fields: { 'lines[].qty': { kind: 'delta', fallback: { kind: 'manual' } }, 'lines[].note': { kind: 'manual' } },
        },
        lines,
      ),
    ).toEqual({
      policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'monolith' } },
      fields: { qty: { kind: 'delta', fallback: { kind: 'prefer', side: 'monolith' } }, note: { kind: 'prefer', side: 'monolith' } },
    });
    expect(d).toEqual(expect.objectContaining({ kind: 'noop', conflict: expect.objectContaining({ winner: 'monolith' }) }));
  });

  it('gives lastWriterWins elements without a clock to the monolith (a tie), on both appliers', () => {
    const rules = elementRules({ policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' }, lines);
    const at = '2026-12-06T06:00:00.000Z';
    const toMonolith = decide({
      entity: 'orders',
      key: 'k',
      rules,
      change: { side: 'service', position: '9', before: el(1, 1), after: el(1, 2), at },
      current: el(1, 3),
    });
    const toService = decide({
      entity: 'orders',
      key: 'k',
      rules,
      change: { side: 'monolith', position: '4', before: el(1, 1), after: el(1, 3), at },
      current: el(1, 2),
    });
    expect(toMonolith.kind).toBe('noop');
    expect(toService).toEqual(expect.objectContaining({ kind: 'apply', result: el(1, 3) }));
  });
});

/*
 * Property: one order's lines edited on both sides, delivered at least once in per-key order (the SQS
 * FIFO group and the stream shard of the order), applied by the same steps as the appliers: a monolith
 * row change edits one element of the item's list; a service list change is diffed into element changes,
 * each decided against the monolith's row.
 */
type Op = { kind: 'update'; line: number; dq: number; note?: string } | { kind: 'insert'; line: number } | { kind: 'delete'; line: number };
type Step = { op: 'write'; side: 'monolith' | 'service'; edit: Op } | { op: 'deliver' | 'redeliver'; target: 'monolith' | 'service' };

interface Message {
  readonly position: bigint;
  readonly changes: { readonly before: SyncRecord | null; readonly after: SyncRecord | null }[];
}

class ListWorld {
  public readonly lists: Record<'monolith' | 'service', SyncRecord[]>;
  public readonly ledger = new Map<string, ConflictFinding>();
  public readonly qtyDeltas: number[] = [];
  private readonly queues: Record<'monolith' | 'service', Message[]> = { monolith: [], service: [] };
  private readonly delivered: Record<'monolith' | 'service', Message[]> = { monolith: [], service: [] };
  private readonly applied: Record<'monolith' | 'service', bigint> = { monolith: 0n, service: 0n };
  private position = 0n;
  private readonly rules: EntitySyncRules;

  public constructor(
    private readonly child: SyncChildMapping,
    rules: EntitySyncRules,
    initial: SyncRecord[],
  ) {
    this.rules = elementRules(rules, child);
    this.lists = { monolith: [...initial], service: [...initial] };
  }

  public write(side: 'monolith' | 'service', edit: Op, i: number): void {
    const list = this.lists[side];
    const key = `[${edit.line}]`;
    const before = findElement(this.child, list, key);
    let after: SyncRecord | null;
    if (edit.kind === 'delete') after = null;
    else if (edit.kind === 'insert') after = before ? before : el(edit.line, 1, `new-${i}`);
    else {
      if (!before) return;
      after = {
        ...before,
        qty: n(Number((before.qty as { N: string }).N) + edit.dq),
        ...(edit.note ? { note: s(`${edit.note}-${i}`) } : {}),
      };
      this.qtyDeltas.push(edit.dq);
    }
    if (before === after || (before === null && after === null)) return;
    const next = withElement(this.child, list, key, after);
    this.position += 1n;
    // The monolith ships one row change; the service's stream record holds the whole list, diffed on arrival.
    const changes = side === 'monolith' ? [{ before, after }] : diffList(this.child, list, next);
    this.lists[side] = next;
    this.queues[otherSide(side)].push({ position: this.position, changes });
  }

  public deliver(target: 'monolith' | 'service'): void {
    const m = this.queues[target].shift();
    if (!m) return;
    this.delivered[target].push(m);
    this.apply(target, m);
  }

  public redeliver(target: 'monolith' | 'service'): void {
    const d = this.delivered[target];
    if (d.length > 0) this.apply(target, d[d.length - 1]);
  }

  public drain(): void {
    while (this.queues.monolith.length + this.queues.service.length > 0) {
      this.deliver('monolith');
      this.deliver('service');
    }
  }

  private apply(target: 'monolith' | 'service', m: Message): void {
    if (m.position <= this.applied[target]) return; // the item's position / the stream key state
    for (const c of m.changes) {
      const element = (c.after ?? c.before) as SyncRecord;
      const key = this.child.elementKey(element);
      const d = decide({
        entity: 'orders',
        key: elementEntityKey('order', this.child, element),
        rules: this.rules,
        change: { side: otherSide(target), position: String(m.position), before: c.before, after: c.after, at: '2026-12-06T06:00:00.000Z' },
        current: findElement(this.child, this.lists[target], key),
      });
      if (d.conflict) this.ledger.set(d.conflict.conflictId, d.conflict);
      if (d.kind === 'apply') this.lists[target] = withElement(this.child, this.lists[target], key, d.result);
    }
    this.applied[target] = m.position;
  }
}

const side = fc.constantFrom('monolith' as const, 'service' as const);
const line = fc.integer({ min: 1, max: 4 });
const anyEdit: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('update' as const), line, dq: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), line }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), line }) },
);
const updates: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('update' as const),
  line: fc.integer({ min: 1, max: 2 }),
  dq: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0),
  note: fc.option(fc.constantFrom('red', 'blue'), { nil: undefined }),
});
const steps = (edit: fc.Arbitrary<Op>) =>
  fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), side, edit }) },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('deliver' as const), target: side }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('redeliver' as const), target: side }) },
    ) as fc.Arbitrary<Step>,
    { maxLength: 50 },
  );

function run(world: ListWorld, plan: Step[]): void {
  plan.forEach((st, i) => {
    if (st.op === 'write') world.write(st.side, st.edit, i);
    else if (st.op === 'deliver') world.deliver(st.target);
    else world.redeliver(st.target);
  });
  world.drain();
}

const sorted = (list: SyncRecord[]) => list.every((r, i) => i === 0 || lines.compare(list[i - 1], r) < 0);

describe('Property: embedded lists under two-way sync with at-least-once delivery', () => {
  const params = { seed: 11, numRuns: 300 };

  it.each([
    [
      'lastWriterWins (lines have no clock: the monolith)',
      { policy: { kind: 'lastWriterWins' }, clock: 'updatedAt' } as EntitySyncRules,
      'monolith',
    ],
    ['prefer service', { policy: { kind: 'prefer', side: 'service' } } as EntitySyncRules, 'service'],
  ])('%s: inserts, updates and deletes converge to one sorted list; every conflict goes to that side', (_, rules, winner) => {
    fc.assert(
      fc.property(steps(anyEdit), (plan) => {
        // Prepare
        const world = new ListWorld(lines, rules, [el(1, 10), el(2, 10)]);

        // Act
        run(world, plan);

        // Assess
        expect(world.lists.service).toEqual(world.lists.monolith);
        expect(sorted(world.lists.monolith)).toBe(true);
        for (const c of world.ledger.values()) {
          expect(c.key).toMatch(/^order\/lines\[\d\]$/);
          // A delete against a concurrent update: the delete wins unless a side is preferred.
          if (c.policy === 'delete wins') expect(c.result).toBeNull();
          else expect(c.winner).toBe(winner);
        }
      }),
      params,
    );
  });

  it('mergeFields with `lines[].qty` as delta: both lists converge and each line keeps the sum of both sides', () => {
    fc.assert(
      fc.property(steps(updates), (plan) => {
        // Prepare
        const world = new ListWorld(
          lines,
          { policy: { kind: 'mergeFields', fallback: { kind: 'prefer', side: 'service' } }, fields: { 'lines[].qty': { kind: 'delta' } } },
          [el(1, 10), el(2, 10)],
        );

        // Act
        run(world, plan);

        // Assess
        expect(world.lists.service).toEqual(world.lists.monolith);
        const total = world.lists.monolith.reduce((t, r) => t + Number((r.qty as { N: string }).N), 0);
        expect(total).toBe(20 + world.qtyDeltas.reduce((t, d) => t + d, 0));
      }),
      params,
    );
  });
});
