/** Split paths, kept per process: the spec's paths are few and every event walks them. */
const partsCache = new Map<string, readonly string[]>();
function partsOf(path: string): readonly string[] {
  let parts = partsCache.get(path);
  if (!parts) {
    parts = path.split('.');
    if (partsCache.size < 10_000) partsCache.set(path, parts);
  }
  return parts;
}

/** Dot-path access into plain JSON objects (`total.amount`). Paths are validated by the spec schema. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of partsOf(path)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = partsOf(path);
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const created: Record<string, unknown> = {};
      cur[parts[i]] = created;
      cur = created;
    } else {
      cur = next as Record<string, unknown>;
    }
  }
  cur[parts[parts.length - 1]] = value;
}

/** Removes the field at `path`; returns its old value. Empty parent objects are left in place. */
export function deletePath(obj: Record<string, unknown>, path: string): unknown {
  const parts = path.split('.');
  const parent = getPath(obj, parts.slice(0, -1).join('.') || '') as Record<string, unknown> | undefined;
  const holder = parts.length === 1 ? obj : parent;
  if (!holder || typeof holder !== 'object') return undefined;
  const last = parts[parts.length - 1];
  const old = holder[last];
  delete holder[last];
  return old;
}
