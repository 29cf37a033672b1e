import type { SyncLinkView } from './model';

/*
 * The spec's `sync` section (two-way sync, per entity conflict policy) read as links for the map. The
 * section is optional and its schema lives with the sync engine; the map reads only what it needs and
 * tolerates the shapes a policy can take (`'lastWriterWins'`, `{ kind: 'delta' }`, `{ policy: ... }`), so
 * a spec without the section, or a newer one, still maps.
 */

function policyName(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const key of ['kind', 'type', 'name', 'policy', 'resolver']) {
      const inner = policyName(o[key]);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
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
      policy: policyName(cfg.policy ?? cfg.conflict ?? cfg.conflictPolicy ?? cfg.onConflict),
      fieldPolicies,
      where: s.entities ? `sync.entities.${entity}` : `sync.${entity}`,
    });
  }
  return links;
}
