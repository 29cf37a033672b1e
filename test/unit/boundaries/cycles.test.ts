import fc from 'fast-check';
import { analyseBoundaries, candidateCycles, parseDdl, tarjan, type Relationship, type Schema } from '../../../core/boundaries';

/* Cycles between candidate services: found, with the edges that close them and where to break them. */

function rel(from: string, to: string, kind: Relationship['kind'] = 'declared', confidence = 1): Relationship {
  return { from, fromColumns: [`${to}_id`], to, toColumns: ['id'], kind, reason: 'test', confidence };
}

describe('Function: candidateCycles', () => {
  it('finds A -> B -> C -> A, names the relationships on each step and breaks the weakest dependency', () => {
    // Prepare
    const of = new Map([
      ['a1', 'A'],
      ['a2', 'A'],
      ['b1', 'B'],
      ['c1', 'C'],
    ]);
    const rels = [rel('a1', 'b1'), rel('a2', 'b1'), rel('b1', 'c1'), rel('c1', 'a1', 'inferred', 0.7)];
    // Act
    const cycles = candidateCycles(rels, of);
    // Assess
    expect(cycles).toHaveLength(1);
    expect(cycles[0].candidates).toEqual(['A', 'B', 'C']);
    expect(cycles[0].edges.map((e) => `${e.from}>${e.to}:${e.relationships.length}`)).toEqual(['A>B:2', 'B>C:1', 'C>A:1']);
    expect(cycles[0].breakAt).toEqual(expect.objectContaining({ from: 'C', to: 'A' }));
    expect(cycles[0].breakAt.how).toMatch(/C keeps only the key of A's rows \(c1\(a1_id\) -> a1\)/);
  });

  it('finds none when the dependencies form a DAG, nor for references inside one candidate', () => {
    // Prepare
    const of = new Map([
      ['a1', 'A'],
      ['a2', 'A'],
      ['b1', 'B'],
      ['c1', 'C'],
    ]);
    // Act / Assess
    expect(candidateCycles([rel('a1', 'b1'), rel('b1', 'c1'), rel('a1', 'c1'), rel('a1', 'a2'), rel('a2', 'a1')], of)).toEqual([]);
  });

  it('lists both elementary cycles of a figure eight, shortest first', () => {
    // Prepare
    const of = new Map([
      ['a', 'A'],
      ['b', 'B'],
      ['c', 'C'],
    ]);
    // Act
    const cycles = candidateCycles([rel('a', 'b'), rel('b', 'a'), rel('b', 'c'), rel('c', 'a')], of);
    // Assess
    expect(cycles.map((c) => c.candidates.join('>'))).toEqual(['A>B', 'A>B>C']);
  });

  it('is reported by the analysis for candidates pinned into a cycle', () => {
    // Prepare
    const t = (name: string, fk?: string): Schema['tables'][number] => ({
      name,
      columns: [{ name: 'id', type: 'int' }],
      primaryKey: ['id'],
      foreignKeys: fk ? [{ columns: [`${fk}_ref`], refTable: fk, refColumns: ['id'] }] : [],
    });
    const schema: Schema = { dialect: 'postgres', tables: [t('x', 'y'), t('y', 'z'), t('z', 'x')], skipped: [] };
    // Act
    const report = analyseBoundaries(schema, undefined, { pins: { x: 'sx', y: 'sy', z: 'sz' } });
    // Assess
    expect(report.cycles.map((c) => c.candidates)).toEqual([['sx', 'sy', 'sz']]);
  });
});

describe('Function: tarjan', () => {
  it('puts every node in exactly one component, and two nodes share one exactly when each reaches the other (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })), { maxLength: 20 }), (pairs) => {
        // Prepare
        const nodes = Array.from({ length: 8 }, (_, i) => `n${i}`);
        const succ = (n: string): string[] => pairs.filter(([a]) => `n${a}` === n).map(([, b]) => `n${b}`);
        const reach = (from: string): Set<string> => {
          const seen = new Set([from]);
          const todo = [from];
          while (todo.length) {
            for (const m of succ(todo.pop() as string)) {
              if (!seen.has(m)) {
                seen.add(m);
                todo.push(m);
              }
            }
          }
          return seen;
        };
        // Act
        const comps = tarjan(nodes, succ);
        // Assess
        expect(comps.flat().sort()).toEqual([...nodes].sort());
        const compOf = new Map(comps.flatMap((c, i) => c.map((n) => [n, i] as const)));
        for (const a of nodes) for (const b of nodes) expect(compOf.get(a) === compOf.get(b)).toBe(reach(a).has(b) && reach(b).has(a));
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe('Function: analyseBoundaries (shared reference data)', () => {
  it('reports a table most others reference as shared, keeps each _lang table with its parent, and draws no cycle through it', () => {
    // Prepare: eight entities, each with a _lang table keyed (id_x, id_lang), and one lang table.
    const entities = ['product', 'category', 'carrier', 'country', 'feature', 'attribute', 'supplier', 'manufacturer'];
    const ddl = [
      'CREATE TABLE ps_lang (id_lang int PRIMARY KEY, iso_code text)',
      ...entities.flatMap((e) => [
        `CREATE TABLE ps_${e} (id_${e} int PRIMARY KEY, name text)`,
        `CREATE TABLE ps_${e}_lang (id_${e} int, id_lang int, label text, PRIMARY KEY (id_${e}, id_lang))`,
      ]),
    ].join(';\n');
    const schema = parseDdl(ddl, { dialect: 'mysql' });
    // Act
    const report = analyseBoundaries(schema, undefined, { seed: 3 });
    // Assess
    expect(report.shared).toEqual([{ table: 'ps_lang', referencedBy: 8 }]);
    const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
    for (const e of entities) expect(of.get(`ps_${e}_lang`)).toBe(of.get(`ps_${e}`));
    expect(report.cycles).toEqual([]);
  });
});
