import fc from 'fast-check';
import {
  CompareRuleError,
  PathMatcher,
  PathPatternError,
  canonicalJson,
  compileCompareRules,
  formatField,
  formatPath,
  parsePathPattern,
  type CompareRules,
  type PathSegment,
} from '../../core/compare';

describe('Function: parsePathPattern', () => {
  it.each([
    ['total', [{ kind: 'key', name: 'total' }]],
    ['lines[*].id', [{ kind: 'key', name: 'lines' }, { kind: 'anyIndex' }, { kind: 'key', name: 'id' }]],
    ['metadata.*', [{ kind: 'key', name: 'metadata' }, { kind: 'any' }]],
    ['**.updatedAt', [{ kind: 'deep' }, { kind: 'key', name: 'updatedAt' }]],
    [
      '[0].sku',
      [
        { kind: 'index', index: 0 },
        { kind: 'key', name: 'sku' },
      ],
    ],
    ['a[2][*]', [{ kind: 'key', name: 'a' }, { kind: 'index', index: 2 }, { kind: 'anyIndex' }]],
    ['x-request-id', [{ kind: 'key', name: 'x-request-id' }]],
  ])('parses %s', (pattern, expected) => {
    // Act
    const parsed = parsePathPattern(pattern);

    // Assess
    expect(parsed).toEqual(expected);
  });

  it.each([
    ['', 'is empty'],
    ['a..b', 'empty segment'],
    ['a.', 'ends with "."'],
    ['a[x]', 'an index must be a whole number or *'],
    ['a[1', 'never closed'],
    ['a*b', 'a wildcard must be a whole segment'],
    ['a b', 'unexpected character " "'],
    ['a[01]', 'an index must be a whole number'],
  ])('rejects %j naming the problem', (pattern, problem) => {
    // Act
    const act = () => parsePathPattern(pattern);

    // Assess
    expect(act).toThrow(PathPatternError);
    expect(act).toThrow(problem);
  });
});

describe('Class: PathMatcher', () => {
  const matcher = new PathMatcher([
    { pattern: 'a.b', value: 'exact' },
    { pattern: 'lines[*].id', value: 'anyIndex' },
    { pattern: 'meta.*', value: 'any' },
    { pattern: '**.ts', value: 'deep' },
    { pattern: 'lines[1].sku', value: 'index1' },
  ]);

  it.each<[PathSegment[], string[]]>([
    [['a', 'b'], ['exact']],
    [['a', 'c'], []],
    [['lines', 0, 'id'], ['anyIndex']],
    [['lines', 'x', 'id'], []],
    [['meta', 'k'], ['any']],
    [['meta', 3], ['any']],
    [['meta', 'k', 'deeper'], []],
    [['ts'], ['deep']],
    [['x', 0, 'y', 'ts'], ['deep']],
    [['lines', 1, 'sku'], ['index1']],
    [['lines', 2, 'sku'], []],
  ])('values at %j are %j', (path, expected) => {
    // Act
    const values = matcher.valuesAt(path);

    // Assess
    expect(values).toEqual(expected);
  });

  it('reaches the shared dead state where no pattern can apply', () => {
    // Prepare
    const shallow = new PathMatcher([{ pattern: 'lines[*].id', value: 1 }]);

    // Act
    const s = shallow.root.next('unrelated');

    // Assess
    expect(s.dead).toBe(true);
    expect(shallow.root.next('lines').dead).toBe(false);
    // A `**` pattern keeps every path alive.
    expect(matcher.root.next('unrelated').next('x').dead).toBe(false);
  });
});

describe('Function: formatPath / formatField', () => {
  it('prints indices, and generalises them for fields', () => {
    expect(formatPath(['lines', 2, 'sku'])).toBe('lines[2].sku');
    expect(formatField(['lines', 2, 'sku'])).toBe('lines[*].sku');
    expect(formatPath([])).toBe('$');
    expect(formatPath([0, 'a'])).toBe('[0].a');
  });
});

describe('Function: compileCompareRules', () => {
  describe('Method: compare (no rules)', () => {
    it('reports each kind of difference with its path', () => {
      // Prepare
      const c = compileCompareRules();
      const expected = { a: 1, b: 'x', c: [1, 2, 3], d: { e: true }, gone: 1, t: 'str' };
      const actual = { a: 2, b: 'x', c: [1, 2], d: { e: true }, t: 5, added: null };

      // Act
      const r = c.compare(expected, actual);

      // Assess
      expect(r.equal).toBe(false);
      expect(r.diffs).toEqual([
        { path: 'a', field: 'a', kind: 'changed', expected: 1, actual: 2 },
        { path: 'c[2]', field: 'c[*]', kind: 'missing', expected: 3, actual: undefined },
        { path: 'gone', field: 'gone', kind: 'missing', expected: 1, actual: undefined },
        { path: 't', field: 't', kind: 'type', expected: 'str', actual: 5 },
        { path: 'added', field: 'added', kind: 'extra', expected: undefined, actual: null },
      ]);
    });

    it('treats an absent key and an undefined value alike, and NaN as equal to NaN', () => {
      const c = compileCompareRules();
      expect(c.compare({ a: 1, b: undefined }, { a: 1 }).equal).toBe(true);
      expect(c.compare({ n: NaN }, { n: NaN }).equal).toBe(true);
    });

    it('reports an object against an array as a type difference, not its items', () => {
      const r = compileCompareRules().compare({ x: { 0: 1 } }, { x: [1] });
      expect(r.diffs).toEqual([{ path: 'x', field: 'x', kind: 'type', expected: { 0: 1 }, actual: [1] }]);
    });

    it('stops listing at maxDiffs and says so', () => {
      // Prepare
      const c = compileCompareRules({}, { maxDiffs: 2 });

      // Act
      const r = c.compare([1, 2, 3, 4], [5, 6, 7, 8]);

      // Assess
      expect(r.equal).toBe(false);
      expect(r.diffs).toHaveLength(2);
      expect(r.truncated).toBe(true);
    });
  });

  describe('Method: compare (ignore)', () => {
    it.each<[string, unknown, unknown]>([
      ['createdAt', { createdAt: 1, a: 1 }, { createdAt: 2, a: 1 }],
      [
        'lines[*].id',
        {
          lines: [
            { id: 1, q: 1 },
            { id: 2, q: 2 },
          ],
        },
        {
          lines: [
            { id: 7, q: 1 },
            { id: 8, q: 2 },
          ],
        },
      ],
      ['metadata.*', { metadata: { trace: 'a' } }, { metadata: { trace: 'b', span: 'c' } }],
      ['**.updatedAt', { a: { b: [{ updatedAt: 1 }] }, updatedAt: 3 }, { a: { b: [{ updatedAt: 2 }] }, updatedAt: 4 }],
      ['metadata', { metadata: { x: 1 } }, {}],
    ])('ignores %s', (pattern, expected, actual) => {
      // Prepare
      const c = compileCompareRules({ ignore: [pattern] });

      // Act
      const r = c.compare(expected, actual);

      // Assess
      expect(r).toEqual({ equal: true, diffs: [], truncated: false });
      expect(compileCompareRules().compare(expected, actual).equal).toBe(false);
    });

    it('keeps working on maps keyed by ids, past the automaton key cache', () => {
      // Prepare: 2,000 distinct keys under one wildcard.
      const c = compileCompareRules({ ignore: ['byId.*.at', 'byId.k7.note'] }, { maxDiffs: 10_000 });
      const make = (at: number, y: number) => ({
        byId: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, { at, y: i === 1999 ? y : 0, note: at }])),
      });

      // Act
      const paths = c.compare(make(1, 1), make(2, 2)).diffs.map((d) => d.path);

      // Assess: every note but k7's, and k1999's y; never an ignored `at`.
      expect(paths).toHaveLength(2000);
      expect(paths).toContain('byId.k1999.y');
      expect(paths).toContain('byId.k1500.note');
      expect(paths).not.toContain('byId.k7.note');
      expect(paths.filter((p) => p.endsWith('.at'))).toEqual([]);
    });

    it('still reports a missing parent when only its children are ignored', () => {
      const r = compileCompareRules({ ignore: ['metadata.*'] }).compare({ metadata: { x: 1 } }, {});
      expect(r.diffs.map((d) => [d.path, d.kind])).toEqual([['metadata', 'missing']]);
    });
  });

  describe('Method: compare (normalisers)', () => {
    it('sorts an array by a key path before comparing items', () => {
      // Prepare
      const rules: CompareRules = { normalise: [{ path: 'lines', op: 'sortArray', by: 'sku.code' }] };
      const expected = {
        lines: [
          { sku: { code: 'B' }, q: 1 },
          { sku: { code: 'A' }, q: 2 },
        ],
      };
      const actual = {
        lines: [
          { sku: { code: 'A' }, q: 2 },
          { sku: { code: 'B' }, q: 1 },
        ],
      };

      // Act
      const r = compileCompareRules(rules).compare(expected, actual);

      // Assess
      expect(r.equal).toBe(true);
      expect(compileCompareRules().compare(expected, actual).equal).toBe(false);
    });

    it('sorts by whole items (key order inside objects does not matter) when no key is given', () => {
      const c = compileCompareRules({
        normalise: [
          { path: 'tags', op: 'sortArray' },
          { path: 'objs', op: 'sortArray' },
        ],
      });
      expect(
        c.compare({ tags: ['b', 'a', 'c'], objs: [{ x: 2, y: 1 }, { x: 1 }] }, { tags: ['c', 'b', 'a'], objs: [{ x: 1 }, { y: 1, x: 2 }] })
          .equal,
      ).toBe(true);
      expect(c.compare({ tags: ['b', 'a'] }, { tags: ['a', 'a'] }).equal).toBe(false);
    });

    it('reports item differences at their sorted position', () => {
      const c = compileCompareRules({ normalise: [{ path: 'lines', op: 'sortArray', by: 'sku' }] });
      const r = c.compare(
        {
          lines: [
            { sku: 'b', q: 1 },
            { sku: 'a', q: 1 },
          ],
        },
        {
          lines: [
            { sku: 'a', q: 1 },
            { sku: 'b', q: 9 },
          ],
        },
      );
      expect(r.diffs).toEqual([{ path: 'lines[1].q', field: 'lines[*].q', kind: 'changed', expected: 1, actual: 9 }]);
    });

    it.each<[string, CompareRules['normalise'], unknown, unknown]>([
      ['number', [{ path: 'total', op: 'number' }], { total: '19.90' }, { total: 19.9 }],
      ['number (both strings)', [{ path: 'total', op: 'number' }], { total: '19.90' }, { total: '19.9' }],
      ['lowercase', [{ path: 'email', op: 'lowercase' }], { email: 'Ann@Example.COM' }, { email: 'ann@example.com' }],
      ['trim', [{ path: 'name', op: 'trim' }], { name: '  Ann ' }, { name: 'Ann' }],
      [
        'chained in order',
        [
          { path: 'name', op: 'trim' },
          { path: 'name', op: 'lowercase' },
        ],
        { name: ' ANN ' },
        { name: 'ann' },
      ],
      [
        'on every item',
        [{ path: 'lines[*].price', op: 'number' }],
        { lines: [{ price: '1.50' }, { price: '2' }] },
        { lines: [{ price: 1.5 }, { price: 2 }] },
      ],
    ])('normalises with %s', (_name, normalise, expected, actual) => {
      const r = compileCompareRules({ normalise }).compare(expected, actual);
      expect(r.equal).toBe(true);
      expect(compileCompareRules().compare(expected, actual).equal).toBe(false);
    });

    it('leaves values it cannot normalise as they are', () => {
      const c = compileCompareRules({ normalise: [{ path: 'total', op: 'number' }] });
      expect(c.compare({ total: 'n/a' }, { total: 'n/a' }).equal).toBe(true);
      expect(c.compare({ total: 'n/a' }, { total: 0 }).diffs[0]).toMatchObject({ path: 'total', kind: 'type' });
    });
  });

  describe('Method: compare (tolerance)', () => {
    it.each<[string, CompareRules['tolerance'], unknown, unknown, boolean]>([
      ['abs within', [{ path: 'total', abs: 0.01 }], { total: 19.99 }, { total: 20.0 }, true],
      ['abs outside', [{ path: 'total', abs: 0.01 }], { total: 19.98 }, { total: 20.0 }, false],
      ['rel within', [{ path: 'total', rel: 0.01 }], { total: 1000 }, { total: 1009 }, true],
      ['rel outside', [{ path: 'total', rel: 0.01 }], { total: 1000 }, { total: 1011 }, false],
      ['numeric strings', [{ path: 'total', abs: 0.01 }], { total: '19.99' }, { total: '20.00' }, true],
      ['every item', [{ path: 'lines[*].w', abs: 1 }], { lines: [{ w: 1 }, { w: 5 }] }, { lines: [{ w: 2 }, { w: 4 }] }, true],
      ['not elsewhere', [{ path: 'total', abs: 1 }], { tax: 1 }, { tax: 2 }, false],
      ['not on non-numbers', [{ path: 'total', abs: 1 }], { total: 'a' }, { total: 'b' }, false],
    ])('%s', (_name, tolerance, expected, actual, equal) => {
      expect(compileCompareRules({ tolerance }).compare(expected, actual).equal).toBe(equal);
    });
  });

  describe('Method: compile errors', () => {
    it.each<[string, CompareRules, string]>([
      ['bad ignore pattern', { ignore: ['a..b'] }, 'a..b'],
      ['unknown normaliser', { normalise: [{ path: 'a', op: 'upper' } as never] }, 'unknown op "upper"'],
      ['bad sort key', { normalise: [{ path: 'a', op: 'sortArray', by: 'x[*]' }] }, 'wildcards are not allowed'],
      ['negative tolerance', { tolerance: [{ path: 'a', abs: -1 }] }, 'abs=-1'],
      ['empty tolerance', { tolerance: [{ path: 'a' }] }, 'give abs and/or rel'],
    ])('rejects a %s, naming it', (_name, rules, message) => {
      const act = () => compileCompareRules(rules);
      expect(act).toThrow(CompareRuleError);
      expect(act).toThrow(message);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties. Payloads use a small key alphabet so random ignore patterns hit real paths.

const KEYS = ['a', 'b', 'id', 'lines', 'meta', 'ts'] as const;
const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constantFrom('x', 'y', 'z', ''), fc.boolean(), fc.constant(null)),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** Every path in a value (root included), each as segments. */
function allPaths(v: unknown, prefix: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object')
    for (const k of Object.keys(v)) allPaths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

/** A reference matcher, written independently of the automaton: does `pattern` cover `path` (or an ancestor)? */
function covers(pattern: PathSegment[] | string[], path: PathSegment[]): boolean {
  if (pattern.length > path.length) return false;
  return pattern.every((p, i) => p === '*' || (p === '[*]' && typeof path[i] === 'number') || p === path[i]);
}

function patternText(p: Array<PathSegment | '[*]'>): string {
  let out = '';
  for (const s of p) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (s === '[*]') out += '[*]';
    else out += out.length === 0 ? s : `.${s}`;
  }
  return out;
}

function setAt(root: unknown, path: PathSegment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: unknown = structuredClone(root);
  let cur = copy as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i += 1) cur = cur[path[i]] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined && Array.isArray(cur)) cur[last as number] = null;
  else if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** A value payload can never hold, so writing it is always a change. */
const MUTANT = '\u0000mutated';

/** A pattern over one of the value's own paths, with some indices replaced by [*] or keys by *. */
const scenario = jsonValue.chain((v) => {
  const paths = allPaths(v).filter((p) => p.length > 0);
  if (paths.length === 0) return fc.constant({ v, ignores: [] as Array<Array<PathSegment | '[*]'>> });
  const pattern = fc
    .constantFrom(...paths)
    .chain((p) =>
      fc
        .array(fc.boolean(), { minLength: p.length, maxLength: p.length })
        .map((wild) => p.map((s, i) => (wild[i] ? (typeof s === 'number' ? '[*]' : '*') : s)) as Array<PathSegment | '[*]'>),
    );
  return fc.array(pattern, { minLength: 1, maxLength: 3 }).map((ignores) => ({ v, ignores }));
});

describe('Properties: compare', () => {
  it('a value equals itself under any rules', () => {
    const c = compileCompareRules({
      normalise: [
        { path: '**.lines', op: 'sortArray' },
        { path: '**.a', op: 'number' },
      ],
      tolerance: [{ path: '**.b', abs: 1 }],
    });
    fc.assert(
      fc.property(jsonValue, (v) => {
        expect(c.compare(v, structuredClone(v)).equal).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a change confined to ignored paths is never reported', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.boolean(), ({ v, ignores }, pick, remove) => {
        // Prepare
        const c = compileCompareRules({ ignore: ignores.map(patternText) });
        const targets = allPaths(v).filter((p) => ignores.some((ig) => covers(ig as string[], p)));
        fc.pre(targets.length > 0);
        const target = targets[pick % targets.length];
        const changed = setAt(v, target, remove ? undefined : MUTANT);

        // Act
        const r = c.compare(v, changed);

        // Assess
        expect(r.diffs).toEqual([]);
        expect(r.equal).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a change outside ignored paths is always reported at its path', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.boolean(), ({ v, ignores }, pick, remove) => {
        // Prepare
        const c = compileCompareRules({ ignore: ignores.map(patternText) });
        const targets = allPaths(v).filter((p) => !ignores.some((ig) => covers(ig as string[], p)));
        fc.pre(targets.length > 0);
        const target = targets[pick % targets.length];
        const removing = remove && target.length > 0 && typeof target[target.length - 1] === 'string';
        const changed = setAt(v, target, removing ? undefined : MUTANT);

        // Act
        const r = c.compare(v, changed);

        // Assess
        expect(r.equal).toBe(false);
        expect(r.diffs.map((d) => d.path)).toContain(formatPath(target));
        expect(c.equals(v, changed)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('equals agrees with compare, and equality is symmetric', () => {
    const c = compileCompareRules({ ignore: ['**.ts', 'meta.*'], normalise: [{ path: 'lines', op: 'sortArray' }] });
    fc.assert(
      fc.property(jsonValue, jsonValue, (x, y) => {
        const r = c.compare(x, y);
        expect(c.equals(x, y)).toBe(r.equal);
        expect(c.compare(y, x).equal).toBe(r.equal);
        expect(r.equal).toBe(r.diffs.length === 0);
      }),
      { numRuns: 300 },
    );
  });

  it('with no rules, equal means equal canonical JSON', () => {
    const c = compileCompareRules();
    fc.assert(
      fc.property(jsonValue, jsonValue, (x, y) => {
        expect(c.compare(x, y).equal).toBe(canonicalJson(x) === canonicalJson(y));
      }),
      { numRuns: 300 },
    );
  });
});
