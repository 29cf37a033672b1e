import type { AttributeValue, Item } from '../migration/attribute-value';
import type { SyncChildMapping } from './mapping';
import type { EntitySyncRules, FieldPolicy } from './policy';
import { changedFields, type SyncRecord } from './record';

/**
 * Embedded child rows (order lines in an order item) sync one element at a time. A child row change on the
 * monolith is an insert, update or delete of the list element with the same key (its `orderBy` values);
 * a service write that changes the list is diffed by element key into child row changes. Each element is
 * decided by the engine like a record of its own, so the policy model is the same:
 *
 * - the entity policy applies per element, with the element's own fields (a line changed on both sides is
 *   a conflict in the ledger like any other; different lines changed on each side are no conflict);
 * - `lastWriterWins` reads the clock attribute on the element; an element without one ties, and a tie
 *   goes to the monolith, so both appliers still agree;
 * - field overrides are written `<list>[].<field>` (`lines[].quantity: delta`);
 * - `manual` (entity, fallback or field) does not park a key for an element (the CLI resolves whole
 *   items): the monolith's element wins and the conflict is recorded as `prefer monolith`.
 */
export function elementRules(rules: EntitySyncRules, child: SyncChildMapping): EntitySyncRules {
  const prefix = `${child.attribute}[].`;
  const monolith = { kind: 'prefer', side: 'monolith' } as const;
  const unparked = (p: FieldPolicy): FieldPolicy => {
    if (p.kind === 'manual') return monolith;
    if (p.kind === 'delta' && p.fallback?.kind === 'manual') return { kind: 'delta', fallback: monolith };
    return p;
  };
  const fields: Record<string, FieldPolicy> = {};
  for (const [f, p] of Object.entries(rules.fields ?? {})) if (f.startsWith(prefix)) fields[f.slice(prefix.length)] = unparked(p);
  const p = rules.policy;
  const policy: EntitySyncRules['policy'] =
    p.kind === 'manual' ? monolith : p.kind === 'mergeFields' ? { kind: 'mergeFields', fallback: unparked(p.fallback) } : p;
  return {
    policy,
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
    // An element that does not map the clock attribute has none on either side: a tie.
    ...(rules.clock !== undefined ? { clock: rules.clock } : {}),
  };
}

/** The key text the engine and the ledger use for one element: the root key, the list, the element key (`.../lines[1]`). */
export function elementEntityKey(rootKey: string, child: SyncChildMapping, record: SyncRecord): string {
  return `${rootKey}/${child.attribute}${child.elementKey(record)}`;
}

/** The elements of an item's list attribute (none when the item or the attribute is absent). */
export function listOf(item: Item | undefined | null, child: SyncChildMapping): SyncRecord[] {
  const v = item?.[child.attribute];
  if (!v || !('L' in v)) return [];
  return v.L.map((e) => child.elementOf(e));
}

/** One element's change between two versions of a list. */
export interface ElementChange {
  readonly key: string;
  readonly before: SyncRecord | null;
  readonly after: SyncRecord | null;
}

/** The elements that differ between two lists, matched by element key, in list order of the keys. */
export function diffList(child: SyncChildMapping, before: readonly SyncRecord[], after: readonly SyncRecord[]): ElementChange[] {
  const old = new Map(before.map((r) => [child.elementKey(r), r]));
  const now = new Map(after.map((r) => [child.elementKey(r), r]));
  const keys = [...new Set([...old.keys(), ...now.keys()])];
  const out: ElementChange[] = [];
  for (const key of keys) {
    const b = old.get(key) ?? null;
    const a = now.get(key) ?? null;
    if (b && a && changedFields(b, a).length === 0) continue;
    out.push({ key, before: b, after: a });
  }
  const any = (c: ElementChange) => (c.after ?? c.before) as SyncRecord;
  return out.sort((x, y) => child.compare(any(x), any(y)));
}

/** The element with this key in a list, or null. */
export function findElement(child: SyncChildMapping, list: readonly SyncRecord[], key: string): SyncRecord | null {
  return list.find((r) => child.elementKey(r) === key) ?? null;
}

/** The list with the element of `key` replaced by `element` (null: removed), sorted by the order columns. */
export function withElement(child: SyncChildMapping, list: readonly SyncRecord[], key: string, element: SyncRecord | null): SyncRecord[] {
  const out = list.filter((r) => child.elementKey(r) !== key);
  if (element) out.push(element);
  return out.sort((a, b) => child.compare(a, b));
}

/**
 * The same edit on the item's list as stored: the other elements stay exactly as they are (attributes the
 * mapping does not know included), the edited element keeps its unmapped attributes, and the list is
 * sorted by the order columns.
 */
export function withStoredElement(
  child: SyncChildMapping,
  list: readonly AttributeValue[],
  key: string,
  element: SyncRecord | null,
): AttributeValue[] {
  const tops = new Set(child.fields.map((f) => f.split('.')[0]));
  const existing = list.find((e) => child.elementKey(child.elementOf(e)) === key);
  const out = list.filter((e) => e !== existing);
  if (element) {
    const kept: Item = {};
    if (existing && 'M' in existing) for (const [a, v] of Object.entries(existing.M)) if (!tops.has(a)) kept[a] = v;
    const built = child.toElement(element) as { M: Item };
    out.push({ M: { ...kept, ...built.M } });
  }
  return out.sort((a, b) => child.compare(child.elementOf(a), child.elementOf(b)));
}
