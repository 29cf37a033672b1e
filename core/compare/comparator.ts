import { CutoverError } from '../errors';
import { canonicalJson } from './canonical';
import { MatchState, PathMatcher, PathPatternError, formatField, formatPath, parsePlainPath, type PathSegment } from './path';
import { NORMALISER_OPS, type CompareRules, type Normaliser } from './rules';

export type DiffKind = 'changed' | 'missing' | 'extra' | 'type';

/**
 * One difference. `path` is concrete (`lines[2].price`); `field` is the same with indices generalised
 * (`lines[*].price`), which is what reports count. `expected` is the monolith's value, `actual` the new
 * service's, both after normalisation. `missing`: only the monolith has it; `extra`: only the service.
 */
export interface Diff {
  readonly path: string;
  readonly field: string;
  readonly kind: DiffKind;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

export interface CompareResult {
  readonly equal: boolean;
  readonly diffs: Diff[];
  /** More than `maxDiffs` differences were found; only the first ones are listed. */
  readonly truncated: boolean;
}

export interface Comparator {
  /** Every difference not excused by the rules (up to `maxDiffs`). */
  compare(expected: unknown, actual: unknown): CompareResult;
  /** Same verdict as `compare(...).equal`, stopping at the first difference. */
  equals(expected: unknown, actual: unknown): boolean;
  readonly rules: CompareRules;
}

export interface CompileOptions {
  /** Stop listing after this many differences in one comparison. @default 100 */
  readonly maxDiffs?: number;
}

/** A compare rule is malformed: names the rule and the problem. */
export class CompareRuleError extends CutoverError {}

type NormaliseFn = (value: unknown) => unknown;
type RuleEntry =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'normalise'; readonly fn: NormaliseFn }
  | { readonly kind: 'tolerance'; readonly abs?: number; readonly rel?: number };

/** What a state of the automaton means for comparison, derived once per state. */
interface StateRules {
  readonly ignore: boolean;
  readonly normalise: readonly NormaliseFn[];
  readonly abs: number;
  readonly rel: number;
  readonly tolerant: boolean;
}

// Numeric strings the `number` normaliser and tolerances accept: "19.90", "-3", "1e3", " 7 ".
const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

function typeRank(v: unknown): number {
  if (v === undefined) return 9;
  if (v === null) return 0;
  switch (typeof v) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 3;
    default:
      return 4;
  }
}

/** A total order on sort keys: null < numbers < strings < booleans < objects < absent. */
function compareKeys(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return (a as number) - (b as number) || 0;
  if (ra === 2 || ra === 3) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  if (ra === 4) {
    const ca = canonicalJson(a);
    const cb = canonicalJson(b);
    return ca === cb ? 0 : ca < cb ? -1 : 1;
  }
  return 0;
}

function compileNormaliser(n: Normaliser): NormaliseFn {
  switch (n.op) {
    case 'number':
      return (v) => (typeof v === 'string' && NUMERIC.test(v) ? Number(v) : v);
    case 'lowercase':
      return (v) => (typeof v === 'string' ? v.toLowerCase() : v);
    case 'trim':
      return (v) => (typeof v === 'string' ? v.trim() : v);
    case 'sortArray': {
      let by: PathSegment[] | undefined;
      if (n.by !== undefined) {
        try {
          by = parsePlainPath(n.by);
        } catch (e) {
          throw new CompareRuleError(`normalise ${n.path}: sortArray "by" ${(e as Error).message}`, { rule: n }, { cause: e });
        }
      }
      const keyOf = by
        ? (item: unknown): unknown => {
            let cur = item;
            for (const s of by) {
              if (cur === null || typeof cur !== 'object') return undefined;
              cur = (cur as Record<string | number, unknown>)[s];
            }
            return cur;
          }
        : (item: unknown): unknown => (item !== null && typeof item === 'object' ? canonicalJson(item) : item);
      return (v) => {
        if (!Array.isArray(v) || v.length < 2) return v;
        // Most arrays arrive sorted already (the monolith's side usually is): check before copying.
        let sorted = true;
        let prev = keyOf(v[0]);
        for (let i = 1; i < v.length && sorted; i += 1) {
          const k = keyOf(v[i]);
          if (compareKeys(prev, k) > 0) sorted = false;
          prev = k;
        }
        if (sorted) return v;
        const decorated = v.map((item, i) => ({ key: keyOf(item), item, i }));
        decorated.sort((x, y) => compareKeys(x.key, y.key) || x.i - y.i);
        return decorated.map((d) => d.item);
      };
    }
    default: {
      const op = (n as { op?: unknown }).op;
      throw new CompareRuleError(
        `normalise ${String((n as { path?: unknown }).path)}: unknown op ${JSON.stringify(op)} (known: ${NORMALISER_OPS.join(', ')})`,
        { rule: n },
      );
    }
  }
}

function buildMatcher(rules: CompareRules): PathMatcher<RuleEntry> {
  const entries: Array<{ pattern: string; value: RuleEntry }> = [];
  for (const p of rules.ignore ?? []) entries.push({ pattern: p, value: { kind: 'ignore' } });
  for (const n of rules.normalise ?? []) entries.push({ pattern: n.path, value: { kind: 'normalise', fn: compileNormaliser(n) } });
  for (const t of rules.tolerance ?? []) {
    const bad = (x: unknown) => x !== undefined && (typeof x !== 'number' || !Number.isFinite(x) || x < 0);
    if ((t.abs === undefined && t.rel === undefined) || bad(t.abs) || bad(t.rel)) {
      throw new CompareRuleError(
        `tolerance ${t.path}: give abs and/or rel as non-negative numbers, got abs=${String(t.abs)} rel=${String(t.rel)}`,
        { rule: t },
      );
    }
    entries.push({ pattern: t.path, value: { kind: 'tolerance', abs: t.abs, rel: t.rel } });
  }
  try {
    return new PathMatcher(entries);
  } catch (e) {
    if (e instanceof PathPatternError) throw new CompareRuleError(`compare rule: ${e.message}`, { pattern: e.pattern }, { cause: e });
    throw e;
  }
}

function rulesOf(state: MatchState<RuleEntry>): StateRules {
  if (state.memo !== undefined) return state.memo as StateRules;
  let ignore = false;
  const normalise: NormaliseFn[] = [];
  let abs = -1;
  let rel = -1;
  for (const v of state.values) {
    if (v.kind === 'ignore') ignore = true;
    else if (v.kind === 'normalise') normalise.push(v.fn);
    else {
      if (v.abs !== undefined) abs = Math.max(abs, v.abs);
      if (v.rel !== undefined) rel = Math.max(rel, v.rel);
    }
  }
  const derived: StateRules = { ignore, normalise, abs, rel, tolerant: abs >= 0 || rel >= 0 };
  state.memo = derived;
  return derived;
}

function withinTolerance(e: unknown, a: unknown, r: StateRules): boolean {
  const x = toNumber(e);
  const y = toNumber(a);
  if (x === undefined || y === undefined) return false;
  const d = Math.abs(x - y);
  const scale = Math.max(Math.abs(x), Math.abs(y));
  // Slack for binary rounding: 20.00 - 19.99 is 0.0100000000000016 in floating point.
  const slack = 4 * Number.EPSILON * Math.max(scale, 1);
  if (r.abs >= 0 && d <= r.abs + slack) return true;
  if (r.rel >= 0 && d <= r.rel * scale + slack) return true;
  return false;
}

const enum Kind {
  Null,
  Array,
  Object,
  Other,
}

function kindOf(v: unknown): Kind {
  if (v === null) return Kind.Null;
  if (typeof v !== 'object') return Kind.Other;
  return Array.isArray(v) ? Kind.Array : Kind.Object;
}

/** Thrown internally to stop at the first difference in `equals`. */
const STOP = Symbol('stop');

class Walk {
  public readonly path: PathSegment[] = [];
  public readonly diffs: Diff[] = [];
  public count = 0;

  public constructor(
    private readonly limit: number,
    private readonly stopAtFirst: boolean,
  ) {}

  private report(kind: DiffKind, expected: unknown, actual: unknown): void {
    this.count += 1;
    if (this.stopAtFirst) throw STOP;
    if (this.diffs.length < this.limit) {
      this.diffs.push({ path: formatPath(this.path), field: formatField(this.path), kind, expected, actual });
    }
  }

  public node(e: unknown, a: unknown, state: MatchState<RuleEntry>): void {
    if (state.nodes.length === 0) {
      this.plain(e, a);
      return;
    }
    const r = rulesOf(state);
    if (r.ignore) return;
    for (const fn of r.normalise) {
      e = fn(e);
      a = fn(a);
    }
    if (e === a) return;
    if (r.tolerant && withinTolerance(e, a, r)) return;
    this.shape(e, a, state);
  }

  private shape(e: unknown, a: unknown, state: MatchState<RuleEntry> | undefined): void {
    if (e === undefined) return this.report('extra', undefined, a);
    if (a === undefined) return this.report('missing', e, undefined);
    const ke = kindOf(e);
    const ka = kindOf(a);
    if (ke !== ka) return this.report('type', e, a);
    if (ke === Kind.Array) {
      const ea = e as unknown[];
      const aa = a as unknown[];
      const n = Math.max(ea.length, aa.length);
      for (let i = 0; i < n; i += 1) {
        this.path.push(i);
        if (state) this.node(ea[i], aa[i], state.next(i));
        else this.plain(ea[i], aa[i]);
        this.path.pop();
      }
      return;
    }
    if (ke === Kind.Object) {
      const eo = e as Record<string, unknown>;
      const ao = a as Record<string, unknown>;
      for (const k of Object.keys(eo)) {
        this.path.push(k);
        if (state) this.node(eo[k], ao[k], state.next(k));
        else this.plain(eo[k], ao[k]);
        this.path.pop();
      }
      for (const k of Object.keys(ao)) {
        if (eo[k] !== undefined || ao[k] === undefined) continue;
        this.path.push(k);
        if (state) this.node(undefined, ao[k], state.next(k));
        else this.plain(undefined, ao[k]);
        this.path.pop();
      }
      return;
    }
    if (typeof e !== typeof a) return this.report('type', e, a);
    // NaN is equal to itself here: both sides failed the same way.
    if (typeof e === 'number' && Number.isNaN(e) && Number.isNaN(a)) return;
    this.report('changed', e, a);
  }

  /** No rule applies at or below this point. */
  private plain(e: unknown, a: unknown): void {
    if (e === a) return;
    this.shape(e, a, undefined);
  }
}

/**
 * Compile compare rules once into a comparator. Rules are checked here (bad pattern, unknown normaliser,
 * negative tolerance -> `CompareRuleError`), so a comparison never fails on a rule.
 *
 * Semantics: an absent key and a key holding `undefined` are the same (JSON has no undefined). Arrays
 * compare index by index after any `sortArray` normaliser. Values compare with `===`, except NaN, and
 * numbers or numeric strings under a tolerance.
 */
export function compileCompareRules(rules: CompareRules = {}, options: CompileOptions = {}): Comparator {
  const matcher = buildMatcher(rules);
  const limit = options.maxDiffs ?? 100;
  return {
    rules,
    compare(expected, actual) {
      const w = new Walk(limit, false);
      w.node(expected, actual, matcher.root);
      return { equal: w.count === 0, diffs: w.diffs, truncated: w.count > w.diffs.length };
    },
    equals(expected, actual) {
      const w = new Walk(1, true);
      try {
        w.node(expected, actual, matcher.root);
        return true;
      } catch (e) {
        if (e === STOP) return false;
        throw e;
      }
    },
  };
}
