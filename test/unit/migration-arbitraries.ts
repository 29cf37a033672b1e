import fc from 'fast-check';
import type { AttributeValue, Item } from '../../core/migration';

/** fast-check arbitraries for DynamoDB items, and helpers to reorder and mutate them. */

const attrName = fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'x', 'y', '_', '-') });
const numberText = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: 1, max: 4 })).map(([n, s]) => (n / 10 ** s).toFixed(s)),
);

export const arbValue: fc.Arbitrary<AttributeValue> = fc.letrec<{ value: AttributeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 10 }).map((S) => ({ S })),
    numberText.map((N) => ({ N })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true as const }),
    fc.uniqueArray(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 4 }).map((SS) => ({ SS })),
    fc.array(tie('value'), { maxLength: 3 }).map((L) => ({ L })),
    fc.dictionary(attrName, tie('value'), { maxKeys: 3 }).map((M) => ({ M })),
  ),
})).value;

export const arbItem: fc.Arbitrary<Item> = fc.dictionary(attrName, arbValue, { minKeys: 1, maxKeys: 6 });

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deep copy with every map's keys in a shuffled insertion order. */
export function shuffleKeys(value: unknown, seed: number): unknown {
  const r = rng(seed);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [keys[i], keys[j]] = [keys[j], keys[i]];
      }
      const out: Record<string, unknown> = {};
      for (const k of keys) out[k] = walk((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return walk(value);
}

/** Every scalar position (and every map/list) in a value, as paths of keys and indices. */
function positions(v: AttributeValue, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if ('M' in v) for (const k of Object.keys(v.M)) positions(v.M[k], [...path, k], out);
  if ('L' in v) v.L.forEach((x, i) => positions(x, [...path, i], out));
  return out;
}

function changed(v: AttributeValue, how: number): AttributeValue | undefined {
  if ('S' in v) return [{ S: `${v.S}!` }, v.S.length > 0 ? { S: v.S.slice(0, -1) } : { S: 'z' }, { N: '7' }][how % 3];
  if ('N' in v) return [{ N: `${v.N}1` }, { S: v.N }, { N: String(Number(v.N) + 1) }][how % 3];
  if ('BOOL' in v) return { BOOL: !v.BOOL };
  if ('NULL' in v) return { S: '' };
  if ('SS' in v) return { SS: [...v.SS.slice(1), `${v.SS[0]}~`] };
  if ('L' in v) return how % 2 ? { L: [...v.L, { S: 'extra' }] } : { M: {} };
  if ('M' in v) return { M: { ...v.M, zz_new: { N: '1' } } };
  return undefined;
}

/**
 * A copy of `root` with one position changed (value, type, truncation, an attribute removed or added).
 * Undefined when the picked change would give the same value.
 */
export function mutateValue(root: AttributeValue, pick: number, how: number): AttributeValue | undefined {
  const all = positions(root).filter((p) => p.length > 0);
  if (all.length === 0) return { M: { ...('M' in root ? root.M : {}), added: { S: 'x' } } };
  const path = all[pick % all.length];
  const copy = JSON.parse(JSON.stringify(root)) as AttributeValue;
  let parent: AttributeValue = copy;
  for (const step of path.slice(0, -1))
    parent = typeof step === 'number' ? (parent as { L: AttributeValue[] }).L[step] : (parent as { M: Item }).M[step];
  const last = path[path.length - 1];
  const current = typeof last === 'number' ? (parent as { L: AttributeValue[] }).L[last] : (parent as { M: Item }).M[last];
  if (typeof last === 'string' && how % 5 === 4) {
    delete (parent as { M: Item }).M[last];
    return copy;
  }
  const next = changed(current, how);
  if (!next || JSON.stringify(next) === JSON.stringify(current)) return undefined;
  if ('N' in current && 'N' in next && Number(next.N) === Number(current.N)) return undefined;
  if (typeof last === 'number') (parent as { L: AttributeValue[] }).L[last] = next;
  else (parent as { M: Item }).M[last] = next;
  return copy;
}
