import type { SyncLinkView } from './model';

/*
 * The spec's `sync` section (two-way sync, per entity conflict policy) read as links for the map. The
 * section is optional and its schema lives with the sync engine; the map reads only what it needs and
 * tolerates the shapes a policy can take (`'lastWriterWins'`, `{ kind: 'delta' }`, `{ policy: ... }`), so
 * a spec without the section, or a newer one, still maps.
 */

/**
 * A policy in words: `lastWriterWins`, `prefer monolith`, `custom <resolver>`, `mergeFields (fallback prefer
 * monolith)`, `delta`. Undefined when nothing in the value names a policy.
 */
export function policyName(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  for (const key of ['kind', 'type', 'name']) {
    if (typeof o[key] === 'string' && (o[key] as string).length > 0) return o[key] as string;
  }
  // The spec's own shape: one key naming the policy, its value the argument (`{ prefer: 'monolith' }`,
  // `{ custom: 'x' }`, `{ mergeFields: { fallback } }`, `{ delta: { fallback } }`).
  const keys = Object.keys(o).filter((k) => o[k] !== undefined);
  if (keys.length !== 1) return undefined;
  const [key] = keys;
  const arg = o[key];
  if (typeof arg === 'string') return `${key} ${arg}`;
  if (arg && typeof arg === 'object') {
    const fallback = policyName((arg as Record<string, unknown>).fallback);
    return fallback ? `${key} (fallback ${fallback})` : key;
  }
  return key;
}

/** Undefined when the spec has no `sync` section; otherwise one link per synced entity. */
export function syncLinksOf(spec: object): SyncLinkView[] | undefined {
  const section = (spec as { sync?: unknown }).sync;
  if (section === undefined || section === null || typeof section !== 'object') return undefined;
  const s = section as Record<string, unknown>;
  const entities = (s.entities && typeof s.entities === 'object' ? s.entities : s) as Record<string, unknown>;
  const links: SyncLinkView[] = [];
  for (const [entity, raw] of Object.entries(entities)) {
    if (!raw || typeof raw !== 'object') continue;
    const cfg = raw as Record<string, unknown>;
    const fieldPolicies: Record<string, string> = {};
    const fields = cfg.fields;
    if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
      for (const [field, f] of Object.entries(fields as Record<string, unknown>)) {
        const name = policyName(f);
        if (name !== undefined) fieldPolicies[field] = name;
      }
    }
    links.push({
      entity,
      policy: policyName(cfg.policy),
      fieldPolicies,
      where: s.entities ? `sync.entities.${entity}` : `sync.${entity}`,
    });
  }
  return links;
}
