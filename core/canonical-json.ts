import canonicalize from 'canonicalize';
import { CutoverError } from './errors';

/** A value cannot be written as canonical JSON (undefined inside an array, NaN, a function, a cycle...). */
export class CanonicalJsonError extends CutoverError {}

/**
 * The one canonical JSON of the kit: RFC 8785 (JSON Canonicalization Scheme) as the `canonicalize` package
 * writes it: object keys sorted by UTF-16 code unit, no whitespace, strings and numbers as ECMAScript's
 * JSON.stringify writes them (-0 becomes 0). Object members whose value is `undefined` are left out, so an
 * absent optional field and a missing one hash the same.
 *
 * `canonicalJson` is strict, for what is hashed (the audit chain, checkpoint fingerprints): everything else
 * JSON cannot carry is refused rather than silently changed, because a hash over a lossy spelling would
 * verify a different document. For plain JSON values the spelling is the one the audit log used before it
 * was delegated to the package, so existing chains verify (test/fixtures/audit-chain-v1.json).
 */
export function canonicalJson(value: unknown): string {
  check(value, '$', new Set());
  return canonicalize(value) as string;
}

/**
 * The lenient form, for keys and comparisons of arbitrary values (never throws): `undefined` reads
 * `undefined`, and a value JSON cannot carry (NaN, Infinity) is spelled as JSON.stringify spells it (null).
 */
export function comparableJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return canonicalize(value) ?? String(value);
  } catch {
    return canonicalize(JSON.parse(JSON.stringify(value) ?? 'null')) ?? 'null';
  }
}

/** Throws CanonicalJsonError naming the path of the first value JSON cannot carry. */
function check(value: unknown, path: string, seen: Set<object>): void {
  if (value === null) return;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path}: ${String(value)} has no JSON form`, { path });
      return;
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${path}: a ${typeof value} has no JSON form`, { path });
  }
  const obj = value as object;
  if (seen.has(obj)) throw new CanonicalJsonError(`${path}: the value refers to itself`, { path });
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      obj.forEach((item, i) => {
        if (item === undefined) throw new CanonicalJsonError(`${path}[${i}]: undefined has no JSON form inside a list`, { path });
        check(item, `${path}[${i}]`, seen);
      });
      return;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(`${path}: only plain objects have a canonical form (got ${proto?.constructor?.name ?? 'an object'})`, {
        path,
      });
    }
    const record = obj as Record<string, unknown>;
    for (const k of Object.keys(record)) if (record[k] !== undefined) check(record[k], `${path}.${k}`, seen);
  } finally {
    seen.delete(obj);
  }
}
