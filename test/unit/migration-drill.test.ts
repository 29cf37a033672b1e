import fc from 'fast-check';
import {
  bucketOf,
  BucketFold,
  classify,
  compareItems,
  digestHex,
  digestText,
  formatSpillRecord,
  keyText,
  makeCanonicalizer,
  parseSpillRecord,
  planDrillDown,
  type CanonicalOptions,
  type FieldDiffKind,
  type Item,
  type SpillRecord,
} from '../../core/migration';

/**
 * The verification pipeline in memory: fold both sides into buckets, drill into the differing buckets
 * only, classify, compare the changed items. The CLI engine does the same with spill files.
 */
function verifyInMemory(source: Item[], target: Item[], options: CanonicalOptions, buckets = 32, partitions = 4) {
  const canonical = makeCanonicalizer(options);
  const side = (items: Item[]) => {
    const fold = new BucketFold(buckets);
    const records: SpillRecord[] = [];
    for (const item of items) {
      const key = keyText(item, ['id']);
      const digest = digestText(canonical(item));
      const bucket = bucketOf(key, buckets);
      fold.add(bucket, digest);
      records.push(parseSpillRecord(formatSpillRecord({ bucket, digest: digestHex(digest), key, locator: '' })));
    }
    return { fold, records };
  };
  const s = side(source);
  const t = side(target);
  const differing = s.fold.differingBuckets(t.fold);
  const missing: string[] = [];
  const extra: string[] = [];
  const different = new Map<string, FieldDiffKind[]>();
  let inspected = 0;
  for (const [partition, set] of planDrillDown(differing, partitions)) {
    const pick = (rs: SpillRecord[]) => rs.filter((r) => r.bucket % partitions === partition && set.has(r.bucket));
    const c = classify(pick(s.records), pick(t.records));
    inspected += c.missing.length + c.extra.length + c.changed.length + c.matched;
    missing.push(...c.missing.map((r) => r.key));
    extra.push(...c.extra.map((r) => r.key));
    for (const { source: sr } of c.changed) {
      const e = source.find((i) => keyText(i, ['id']) === sr.key) as Item;
      const a = target.find((i) => keyText(i, ['id']) === sr.key) as Item;
      const diffs = compareItems(e, a, options);
      if (diffs.length > 0)
        different.set(
          sr.key,
          diffs.map((d) => d.kind),
        );
    }
  }
  return { missing, extra, different, differing, inspected };
}

const key = (id: number) => keyText({ id: { N: String(id) } }, ['id']);

function order(id: number, seed: number): Item {
  return {
    id: { N: String(id) },
    customer: { S: `C${String(seed % 100000).padStart(5, '0')}` },
    street: { S: `${seed % 200} Harbour Lane` },
    total: { N: `${seed % 1000}.${String(seed % 100).padStart(2, '0')}` },
    weight: { N: String((seed % 5000) / 1000) },
    lines: { L: [{ M: { sku: { S: `MUG-${seed % 9999}` }, quantity: { N: String(1 + (seed % 5)) } } }] },
  };
}

const PLANTS = ['missing', 'extra', 'value', 'type', 'truncated', 'numeric', 'withinTolerance'] as const;
type Plant = (typeof PLANTS)[number];
const tolerance: CanonicalOptions = { tolerances: { weight: 0.001 } };

describe('Verification pipeline (fold, drill-down, compare)', () => {
  it('finds every planted difference of every kind, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 150 }),
        fc.array(fc.constantFrom(...PLANTS), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (n, plants, seed) => {
          // Prepare: a source of n orders and a target that is a copy with planted differences.
          const source = Array.from({ length: n }, (_, i) => order(i + 1, seed + i * 7919));
          const target = source.map((i) => JSON.parse(JSON.stringify(i)) as Item);
          const expected = { missing: new Set<string>(), extra: new Set<string>(), different: new Map<string, FieldDiffKind>() };
          const used = new Set<number>();
          plants.forEach((plant: Plant, p) => {
            if (plant === 'extra') {
              const id = n + 1000 + p;
              target.push(order(id, seed));
              expected.extra.add(key(id));
              return;
            }
            const idx = (seed + p * 31) % n;
            if (used.has(idx)) return;
            used.add(idx);
            const t = target[idx];
            const k = key(idx + 1);
            switch (plant) {
              case 'missing':
                target[idx] = { id: { N: '-1' } };
                expected.missing.add(k);
                break;
              case 'value':
                t.customer = { S: 'C99999x' };
                expected.different.set(k, 'value');
                break;
              case 'type':
                t.lines = { L: [{ M: { ...(t.lines as { L: { M: Item }[] }).L[0].M, quantity: { S: '1' } } }] };
                expected.different.set(k, 'type');
                break;
              case 'truncated':
                t.street = { S: (t.street as { S: string }).S.slice(0, 4) };
                expected.different.set(k, 'truncated');
                break;
              case 'numeric':
                t.weight = { N: String(Number((t.weight as { N: string }).N) + 0.01) };
                expected.different.set(k, 'numeric');
                break;
              case 'withinTolerance':
                t.weight = { N: String(Number((t.weight as { N: string }).N) + 0.0004) };
                break;
            }
          });
          const cleanTarget = target.filter((i) => (i.id as { N: string }).N !== '-1');

          // Act
          const found = verifyInMemory(source, cleanTarget, tolerance);

          // Assess: exactly the planted differences, each of its kind.
          expect(new Set(found.missing)).toEqual(expected.missing);
          expect(new Set(found.extra)).toEqual(expected.extra);
          expect(new Set(found.different.keys())).toEqual(new Set(expected.different.keys()));
          for (const [k, kind] of expected.different) expect(found.different.get(k)).toEqual([kind]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reports nothing and drills into no bucket when the sides agree (in any order)', () => {
    const source = Array.from({ length: 200 }, (_, i) => order(i + 1, i * 13));
    const target = [...source].reverse();
    const found = verifyInMemory(source, target, {});
    expect(found.differing).toEqual([]);
    expect(found.inspected).toBe(0);
  });

  it('drills into a handful of buckets for a handful of differences', () => {
    const source = Array.from({ length: 2000 }, (_, i) => order(i + 1, i * 13));
    const target = source.map((i) => JSON.parse(JSON.stringify(i)) as Item);
    target[10].customer = { S: 'changed' };
    target[500].customer = { S: 'changed' };
    const found = verifyInMemory(source, target, {}, 256, 16);
    expect(found.differing.length).toBeLessThanOrEqual(2);
    expect(found.inspected).toBeLessThan(40);
    expect([...found.different.keys()].sort()).toEqual([key(11), key(501)].sort());
  });
});

describe('Function: compareItems', () => {
  const base: Item = {
    id: { N: '1' },
    name: { S: 'Jane Smith' },
    price: { N: '19.99' },
    tags: { SS: ['a'] },
    lines: { L: [{ M: { q: { N: '2' } } }] },
  };

  it.each<[string, Item, string, FieldDiffKind]>([
    ['a changed value', { ...base, name: { S: 'John Smith' } }, 'name', 'value'],
    ['a changed type', { ...base, price: { S: '19.99' } }, 'price', 'type'],
    ['a truncated string', { ...base, name: { S: 'Jane Sm' } }, 'name', 'truncated'],
    ['a float rounding', { ...base, price: { N: '19.990000001' } }, 'price', 'numeric'],
    ['a missing attribute', { id: base.id, name: base.name, tags: base.tags, lines: base.lines }, 'price', 'missingField'],
    ['an extra attribute', { ...base, note: { S: 'x' } }, 'note', 'extraField'],
    ['a changed list item', { ...base, lines: { L: [{ M: { q: { N: '3' } } }] } }, 'lines[0].q', 'numeric'],
    ['a changed set', { ...base, tags: { SS: ['b'] } }, 'tags', 'value'],
  ])('reports %s with its path and kind', (_, actual, path, kind) => {
    const diffs = compareItems(base, actual);
    expect(diffs.map((d) => [d.path, d.kind])).toEqual([[path, kind]]);
    expect(diffs[0].detail.length).toBeGreaterThan(0);
  });

  it('accepts numbers within the tolerance and names the tolerance when a difference exceeds it', () => {
    expect(compareItems(base, { ...base, price: { N: '19.994' } }, { numericTolerance: 0.005 })).toEqual([]);
    const over = compareItems(base, { ...base, price: { N: '19.996' } }, { numericTolerance: 0.005 });
    expect(over).toHaveLength(1);
    expect(over[0].detail).toBe('expected 19.99, found 19.996: off by 0.006, over the tolerance 0.005');
  });

  it('finds nothing between an item and itself with its attributes reordered', () => {
    expect(
      compareItems(
        base,
        JSON.parse(JSON.stringify({ lines: base.lines, tags: base.tags, price: base.price, name: base.name, id: base.id })),
      ),
    ).toEqual([]);
  });
});
