import { CutoverError } from '../errors';

/** A value cannot be written as canonical JSON (undefined inside an array, NaN, a function, a cycle...). */
export class CanonicalJsonError extends CutoverError {}

/**
 * One spelling per value: object keys sorted by UTF-16 code unit, no whitespace, numbers as JSON writes
 * them (-0 becomes 0). Object members whose value is `undefined` are left out, as JSON.stringify does, so an
 * absent optional field and a missing one hash the same. Everything else that JSON cannot carry is refused
 * rather than silently changed, because a hash over a lossy spelling would verify a different document.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path}: ${String(value)} has no JSON form`, { path });
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
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
      return `[${obj
        .map((item, i) => {
          if (item === undefined) throw new CanonicalJsonError(`${path}[${i}]: undefined has no JSON form inside a list`, { path });
          return write(item, `${path}[${i}]`, seen);
        })
        .join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(`${path}: only plain objects have a canonical form (got ${proto?.constructor?.name ?? 'an object'})`, { path });
    }
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(record[k], `${path}.${k}`, seen)}`).join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}
