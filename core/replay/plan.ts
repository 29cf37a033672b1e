import { CutoverError } from '../errors';
import { canonicalJson } from '../compare/canonical';
import type { CapturedInteraction, SkippedRecord } from './captured';

/**
 * Replay planning: which captured interactions to send, and in what order. Pure: it works on small keys
 * (`ReplayKey`), so a caller may plan over an index of a large export and load payloads later.
 *
 * Order: within an entity, by (capturedAt, sequence, id) - the order the monolith saw them. Globally the
 * same key is used, which implies the per-entity order and keeps a replay close to real time.
 */

/** Where an interaction sits in replay order. `at` is epoch milliseconds. */
export interface ReplayPosition {
  readonly at: number;
  readonly sequence: number;
  readonly id: string;
}

export interface ReplayKey extends ReplayPosition {
  readonly entityType: string;
  readonly entityKey: string;
  readonly inputType: string;
}

export interface ReplayFilter {
  /** Inclusive start of the capture window: ISO time or epoch ms. */
  readonly from?: string | number;
  /** Exclusive end of the capture window: ISO time or epoch ms. */
  readonly to?: string | number;
  /** Input event types to replay (all when absent). */
  readonly types?: readonly string[];
  readonly entityTypes?: readonly string[];
  /** Entity keys to replay: `A-1001`, or `order#A-1001` to name the type too. */
  readonly entityIds?: readonly string[];
  /** Share of entities to replay, 0 < p <= 100. Chosen by entity so an entity is all in or all out. */
  readonly samplePercent?: number;
  /** Changes which entities a sample picks; the same seed picks the same ones. @default '' */
  readonly sampleSeed?: string;
}

/** A replay filter is malformed: names the field and the value. */
export class ReplayFilterError extends CutoverError {}

export function entityIdOf(entityType: string, entityKey: string): string {
  return `${entityType}#${entityKey}`;
}

export function keyOfInteraction(i: CapturedInteraction): ReplayKey {
  return {
    at: Date.parse(i.capturedAt),
    sequence: i.sequence ?? 0,
    id: i.id,
    entityType: i.entity.type,
    entityKey: i.entity.key,
    inputType: i.input.type,
  };
}

/** Total order on positions: time, then sequence, then id. */
export function comparePositions(a: ReplayPosition, b: ReplayPosition): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.sequence !== b.sequence) return a.sequence - b.sequence;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

/** FNV-1a, 32 bits: fast, stable across runs and platforms, good enough to spread keys into buckets. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so near-identical keys ("A-1", "A-2") land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The entity's bucket in 0..9999 for sampling; depends only on the entity and the seed. */
export function sampleBucket(entityType: string, entityKey: string, seed = ''): number {
  return fnv1a(`${seed}\u0000${entityType}\u0000${entityKey}`) % 10000;
}

function toMillis(v: string | number, field: string): number {
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms))
    throw new ReplayFilterError(`${field} must be an ISO time or epoch milliseconds, got ${JSON.stringify(v)}`, { field, value: v });
  return ms;
}

export type KeyPredicate = (key: ReplayKey) => boolean;

/** Check a filter once and return a fast predicate over replay keys. */
export function compileFilter(filter: ReplayFilter = {}): KeyPredicate {
  const from = filter.from !== undefined ? toMillis(filter.from, 'from') : -Infinity;
  const to = filter.to !== undefined ? toMillis(filter.to, 'to') : Infinity;
  if (from >= to)
    throw new ReplayFilterError(`from must be before to, got from=${JSON.stringify(filter.from)} to=${JSON.stringify(filter.to)}`, {
      from: filter.from,
      to: filter.to,
    });
  const types = filter.types && filter.types.length > 0 ? new Set(filter.types) : undefined;
  const entityTypes = filter.entityTypes && filter.entityTypes.length > 0 ? new Set(filter.entityTypes) : undefined;
  let keys: Set<string> | undefined;
  let typedKeys: Set<string> | undefined;
  if (filter.entityIds && filter.entityIds.length > 0) {
    keys = new Set();
    typedKeys = new Set();
    for (const id of filter.entityIds) (id.includes('#') ? typedKeys : keys).add(id);
  }
  const pct = filter.samplePercent;
  if (pct !== undefined && (typeof pct !== 'number' || !(pct > 0) || pct > 100)) {
    throw new ReplayFilterError(`samplePercent must be a number above 0 and at most 100, got ${JSON.stringify(pct)}`, {
      field: 'samplePercent',
      value: pct,
    });
  }
  const threshold = pct === undefined ? 10000 : Math.round(pct * 100);
  const seed = filter.sampleSeed ?? '';
  return (k) => {
    if (!(k.at >= from && k.at < to)) return false;
    if (types && !types.has(k.inputType)) return false;
    if (entityTypes && !entityTypes.has(k.entityType)) return false;
    if (keys && typedKeys && !keys.has(k.entityKey) && !typedKeys.has(entityIdOf(k.entityType, k.entityKey))) return false;
    if (threshold < 10000 && sampleBucket(k.entityType, k.entityKey, seed) >= threshold) return false;
    return true;
  };
}

/**
 * A short stable fingerprint of what a replay covers (filter + source + target). A checkpoint carries it,
 * so resuming with a different filter is refused instead of silently skipping the wrong things.
 */
export function replayFingerprint(filter: ReplayFilter, source: string, target: string): string {
  const normalised = {
    from: filter.from !== undefined ? toMillis(filter.from, 'from') : null,
    to: filter.to !== undefined ? toMillis(filter.to, 'to') : null,
    types: filter.types ? [...filter.types].sort() : null,
    entityTypes: filter.entityTypes ? [...filter.entityTypes].sort() : null,
    entityIds: filter.entityIds ? [...filter.entityIds].sort() : null,
    samplePercent: filter.samplePercent ?? null,
    sampleSeed: filter.sampleSeed ?? '',
    source,
    target,
  };
  const text = canonicalJson(normalised);
  return `${fnv1a(text).toString(16).padStart(8, '0')}${fnv1a(`x${text}`).toString(16).padStart(8, '0')}`;
}

export interface ReplayPlan<T> {
  /** Items to replay, in global order (which implies per-entity order). */
  readonly items: readonly T[];
  readonly keys: readonly ReplayKey[];
  /** How many distinct entities the plan touches. */
  readonly entities: number;
  /** Items the filter left out. */
  readonly excluded: number;
  /** Second and later records with an id already planned: reported, not replayed twice. */
  readonly duplicates: readonly SkippedRecord[];
}

/**
 * Filter and order items. `keyOf` reads the small key of an item (for an interaction: `keyOfInteraction`).
 * Two records with one id are one interaction captured twice: the earliest is kept, the rest reported.
 */
export function planReplay<T>(items: Iterable<T>, keyOf: (item: T) => ReplayKey, filter: ReplayFilter = {}): ReplayPlan<T> {
  const accept = compileFilter(filter);
  const kept: Array<{ key: ReplayKey; item: T }> = [];
  let excluded = 0;
  for (const item of items) {
    const key = keyOf(item);
    if (accept(key)) kept.push({ key, item });
    else excluded += 1;
  }
  kept.sort((a, b) => comparePositions(a.key, b.key));
  const seen = new Set<string>();
  const duplicates: SkippedRecord[] = [];
  const outItems: T[] = [];
  const outKeys: ReplayKey[] = [];
  const entities = new Set<string>();
  for (const k of kept) {
    if (seen.has(k.key.id)) {
      duplicates.push({
        id: k.key.id,
        code: 'duplicate-id',
        reason: `id ${JSON.stringify(k.key.id)} was captured more than once; the earliest copy is replayed`,
        field: 'id',
        value: k.key.id,
      });
      continue;
    }
    seen.add(k.key.id);
    entities.add(entityIdOf(k.key.entityType, k.key.entityKey));
    outItems.push(k.item);
    outKeys.push(k.key);
  }
  return { items: outItems, keys: outKeys, entities: entities.size, excluded, duplicates };
}

/** Group planned keys by entity, each list in replay order. Map order is the order of first appearance. */
export function groupByEntity(keys: readonly ReplayKey[]): Map<string, ReplayKey[]> {
  const out = new Map<string, ReplayKey[]>();
  for (const k of keys) {
    const id = entityIdOf(k.entityType, k.entityKey);
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(k);
  }
  return out;
}
