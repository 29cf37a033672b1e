import { CutoverError } from '../errors';

/**
 * Paths into a JSON payload, and path patterns compiled into a small automaton.
 *
 * A concrete path is a list of segments: a string is an object key, a number an array index. It prints
 * as `lines[0].sku`. A pattern uses the same notation plus wildcards:
 *
 * - `name`   one object key, literally
 * - `[3]`    one array index, literally
 * - `[*]`    any array index
 * - `*`      any single segment (an object key or an array index)
 * - `**`     any number of segments, including none (`**.updatedAt` matches `updatedAt` at any depth)
 *
 * Keys may hold letters, digits, `_`, `$`, `-` and `:`. A pattern that reaches a node covers the whole
 * subtree below it (ignoring `metadata` ignores everything inside it), so `metadata.*` and `metadata`
 * differ only in that the first keeps comparing `metadata` itself when one side lacks it entirely.
 *
 * Patterns are compiled once into a lazily built deterministic automaton: walking a payload advances one
 * state per segment with a map lookup, and the common case (no pattern below this point) is a shared
 * dead state, so rules cost nothing where they do not apply. No regular expression is built per call.
 */
export type PathSegment = string | number;

export type PatternSegment =
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'anyIndex' }
  | { readonly kind: 'deep' };

/** A path pattern is malformed. */
export class PathPatternError extends CutoverError {
  public constructor(
    public readonly pattern: string,
    public readonly problem: string,
  ) {
    super(`invalid path pattern ${JSON.stringify(pattern)}: ${problem}`, { pattern, problem });
  }
}

const KEY_CHAR = /^[A-Za-z0-9_$:-]$/;

/** Parse a pattern such as `lines[*].id`; throws `PathPatternError` naming the problem and where. */
export function parsePathPattern(pattern: string): PatternSegment[] {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new PathPatternError(String(pattern), 'is empty');
  const out: PatternSegment[] = [];
  let i = 0;
  let expectName = true;
  while (i < pattern.length) {
    if (expectName) {
      let name = '';
      while (i < pattern.length && pattern[i] !== '.' && pattern[i] !== '[') {
        const ch = pattern[i];
        if (ch !== '*' && !KEY_CHAR.test(ch))
          throw new PathPatternError(pattern, `unexpected character ${JSON.stringify(ch)} at position ${i}`);
        name += ch;
        i += 1;
      }
      if (name === '**') out.push({ kind: 'deep' });
      else if (name === '*') out.push({ kind: 'any' });
      else if (name.includes('*')) throw new PathPatternError(pattern, `a wildcard must be a whole segment, got ${JSON.stringify(name)}`);
      else if (name.length > 0) out.push({ kind: 'key', name });
      else if (!(i === 0 && pattern[i] === '[')) throw new PathPatternError(pattern, `empty segment at position ${i}`);
      expectName = false;
      continue;
    }
    const ch = pattern[i];
    if (ch === '.') {
      if (i === pattern.length - 1) throw new PathPatternError(pattern, 'ends with "."');
      expectName = true;
      i += 1;
      continue;
    }
    if (ch === '[') {
      const close = pattern.indexOf(']', i);
      if (close < 0) throw new PathPatternError(pattern, `"[" at position ${i} is never closed`);
      const inner = pattern.slice(i + 1, close);
      if (inner === '*') out.push({ kind: 'anyIndex' });
      else if (/^(0|[1-9][0-9]*)$/.test(inner)) out.push({ kind: 'index', index: Number(inner) });
      else throw new PathPatternError(pattern, `an index must be a whole number or *, got [${inner}]`);
      i = close + 1;
      continue;
    }
    throw new PathPatternError(pattern, `unexpected character ${JSON.stringify(ch)} at position ${i}`);
  }
  if (out.length === 0) throw new PathPatternError(pattern, 'has no segment');
  return out;
}

/** `['lines', 0, 'sku']` -> `lines[0].sku`. The root prints as `$`. */
export function formatPath(segments: readonly PathSegment[], length = segments.length): string {
  if (length === 0) return '$';
  let out = '';
  for (let i = 0; i < length; i += 1) {
    const s = segments[i];
    if (typeof s === 'number') out += `[${s}]`;
    else out += out.length === 0 ? s : `.${s}`;
  }
  return out;
}

/** Like `formatPath`, with every index shown as `[*]`: the field a diff is about, across array items. */
export function formatField(segments: readonly PathSegment[], length = segments.length): string {
  if (length === 0) return '$';
  let out = '';
  for (let i = 0; i < length; i += 1) {
    const s = segments[i];
    if (typeof s === 'number') out += '[*]';
    else out += out.length === 0 ? s : `.${s}`;
  }
  return out;
}

/** Parse a plain dot path (no wildcards) such as `customer.id` into segments. */
export function parsePlainPath(path: string): PathSegment[] {
  const parsed = parsePathPattern(path);
  return parsed.map((s) => {
    if (s.kind === 'key') return s.name;
    if (s.kind === 'index') return s.index;
    throw new PathPatternError(path, 'wildcards are not allowed here');
  });
}

/** Read the value at a concrete path, or `undefined` when any step is absent. */
export function getAt(value: unknown, segments: readonly PathSegment[]): unknown {
  let cur: unknown = value;
  for (const s of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

const MAX_CACHED_KEYS = 512;

class PatternNode<T> {
  public readonly keys = new Map<string, PatternNode<T>>();
  public readonly indices = new Map<number, PatternNode<T>>();
  public any: PatternNode<T> | undefined;
  public anyIndex: PatternNode<T> | undefined;
  public deep: PatternNode<T> | undefined;
  /** Reached through `**`: stays active on every further segment. */
  public loops = false;
  public readonly values: Array<{ order: number; value: T }> = [];
  public constructor(public readonly id: number) {}
}

/**
 * One state of the automaton: a set of pattern nodes active at the current path. `values` are the values
 * of every pattern that ends exactly here, in declaration order. `memo` is free for a consumer to cache
 * what it derives from `values` (computed once per state, not once per payload).
 */
export class MatchState<T> {
  public memo: unknown = undefined;
  private readonly keyNext = new Map<string, MatchState<T>>();
  private readonly indexNext = new Map<number, MatchState<T>>();
  private otherKey: MatchState<T> | undefined;
  private otherIndex: MatchState<T> | undefined;

  public constructor(
    private readonly matcher: PathMatcher<T>,
    public readonly nodes: readonly PatternNode<T>[],
    public readonly values: readonly T[],
  ) {}

  /** True when no pattern can match here or below: the caller may skip all rule work. */
  public get dead(): boolean {
    return this.nodes.length === 0;
  }

  public next(segment: PathSegment): MatchState<T> {
    if (this.nodes.length === 0) return this;
    if (typeof segment === 'number') {
      const known = this.indexNext.get(segment);
      if (known) return known;
      if (!this.hasLiteralIndex(segment)) return (this.otherIndex ??= this.matcher.advance(this, segment));
      const s = this.matcher.advance(this, segment);
      this.indexNext.set(segment, s);
      return s;
    }
    const known = this.keyNext.get(segment);
    if (known) return known;
    const s = this.hasLiteralKey(segment) ? this.matcher.advance(this, segment) : (this.otherKey ??= this.matcher.advance(this, segment));
    // Remember non-literal keys too (one lookup next time), up to a bound: payloads with ids as keys
    // must not grow the cache without limit.
    if (this.keyNext.size < MAX_CACHED_KEYS || s !== this.otherKey) this.keyNext.set(segment, s);
    return s;
  }

  private hasLiteralKey(key: string): boolean {
    for (const n of this.nodes) if (n.keys.has(key)) return true;
    return false;
  }

  private hasLiteralIndex(index: number): boolean {
    for (const n of this.nodes) if (n.indices.has(index)) return true;
    return false;
  }
}

/**
 * A compiled set of path patterns, each carrying a value. `root` is the state at the payload root; walk
 * with `state.next(segment)`. States are interned, so the automaton stays as small as the patterns allow.
 */
export class PathMatcher<T> {
  public readonly root: MatchState<T>;
  public readonly deadState: MatchState<T>;
  private readonly rootNode: PatternNode<T>;
  private readonly interned = new Map<string, MatchState<T>>();
  private nodeCount = 0;
  private order = 0;

  public constructor(entries: Iterable<{ pattern: string; value: T }> = []) {
    this.rootNode = this.newNode();
    for (const e of entries) this.add(e.pattern, e.value);
    this.deadState = new MatchState<T>(this, [], []);
    this.interned.set('', this.deadState);
    this.root = this.stateFor(this.closure([this.rootNode]));
  }

  private newNode(): PatternNode<T> {
    const n = new PatternNode<T>(this.nodeCount);
    this.nodeCount += 1;
    return n;
  }

  private add(pattern: string, value: T): void {
    let node = this.rootNode;
    for (const seg of parsePathPattern(pattern)) {
      switch (seg.kind) {
        case 'key': {
          let next = node.keys.get(seg.name);
          if (!next) node.keys.set(seg.name, (next = this.newNode()));
          node = next;
          break;
        }
        case 'index': {
          let next = node.indices.get(seg.index);
          if (!next) node.indices.set(seg.index, (next = this.newNode()));
          node = next;
          break;
        }
        case 'any':
          node = node.any ??= this.newNode();
          break;
        case 'anyIndex':
          node = node.anyIndex ??= this.newNode();
          break;
        case 'deep':
          if (!node.deep) {
            node.deep = this.newNode();
            node.deep.loops = true;
          }
          node = node.deep;
          break;
      }
    }
    node.values.push({ order: this.order, value });
    this.order += 1;
  }

  /** Add every node reachable through `**` without consuming a segment. */
  private closure(nodes: PatternNode<T>[]): PatternNode<T>[] {
    const seen = new Set<PatternNode<T>>();
    const stack = [...nodes];
    while (stack.length > 0) {
      const n = stack.pop() as PatternNode<T>;
      if (seen.has(n)) continue;
      seen.add(n);
      if (n.deep) stack.push(n.deep);
    }
    return [...seen].sort((a, b) => a.id - b.id);
  }

  private stateFor(nodes: PatternNode<T>[]): MatchState<T> {
    if (nodes.length === 0) return this.deadState;
    const key = nodes.map((n) => n.id).join(',');
    const known = this.interned.get(key);
    if (known) return known;
    const values = nodes
      .flatMap((n) => n.values)
      .sort((a, b) => a.order - b.order)
      .map((v) => v.value);
    const state = new MatchState<T>(this, nodes, values);
    this.interned.set(key, state);
    return state;
  }

  /** @internal used by `MatchState.next` on a cache miss. */
  public advance(from: MatchState<T>, segment: PathSegment): MatchState<T> {
    const out: PatternNode<T>[] = [];
    for (const n of from.nodes) {
      if (typeof segment === 'number') {
        const lit = n.indices.get(segment);
        if (lit) out.push(lit);
        if (n.anyIndex) out.push(n.anyIndex);
      } else {
        const lit = n.keys.get(segment);
        if (lit) out.push(lit);
      }
      if (n.any) out.push(n.any);
      if (n.loops) out.push(n);
    }
    return this.stateFor(this.closure(out));
  }

  /** Values of every pattern matching the concrete path exactly (not counting patterns on ancestors). */
  public valuesAt(segments: readonly PathSegment[]): readonly T[] {
    let s = this.root;
    for (const seg of segments) s = s.next(seg);
    return s.values;
  }
}
