import type { SyncSide } from './change';
import { SyncError } from './errors';
import { addDelta, changedFields, fieldsOf, sameValue, type SyncRecord } from './record';
import { describePolicy, type EntitySyncRules, type FieldPolicy, type ResolverRegistry, type RowPolicy } from './policy';
import { digestHex, digestText } from '../migration/hash';
import type { AttributeValue } from '../migration/attribute-value';

/** One change arriving at the applier of the other side, in the engine's domain (core/sync/record.ts). */
export interface IncomingChange {
  /** Where the change was made. */
  readonly side: SyncSide;
  /** Its position in that side's order: the monolith change id, or the stream sequence number. */
  readonly position: string;
  /** The record before the change (its base); null for an insert. */
  readonly before: SyncRecord | null;
  /** The record after it; null for a delete. */
  readonly after: SyncRecord | null;
  /** Commit time, ISO-8601 UTC. */
  readonly at: string;
}

export interface DecideInput {
  readonly entity: string;
  /** The entity key as text (the item's key text). */
  readonly key: string;
  readonly rules: EntitySyncRules;
  readonly change: IncomingChange;
  /** What the target side (the other one) holds now; null when it has no such row or item. */
  readonly current: SyncRecord | null;
  readonly resolvers?: ResolverRegistry;
}

/** A detected conflict, as the ledger records it. */
export interface ConflictFinding {
  /** Stable for one change meeting one state: a redelivered change gives the same id (the ledger dedups). */
  readonly conflictId: string;
  readonly entity: string;
  readonly key: string;
  /** The change that met the conflict and the side whose applier found it. */
  readonly incoming: { readonly side: SyncSide; readonly position: string; readonly at: string };
  readonly detectedBy: SyncSide;
  /** The last agreed record (the incoming change's before image). */
  readonly base: SyncRecord | null;
  readonly monolith: SyncRecord | null;
  readonly service: SyncRecord | null;
  /** Fields both sides changed since the base; for a whole-row rule, every field either changed. */
  readonly fields: readonly string[];
  readonly policy: string;
  /** Which version won (or `merged`); absent while a manual conflict is open. */
  readonly winner?: SyncSide | 'merged';
  /** The resolved record; absent while open. */
  readonly result?: SyncRecord | null;
}

export type Decision =
  /** Write `result` to the target side (null: delete there). */
  | { readonly kind: 'apply'; readonly result: SyncRecord | null; readonly conflict?: ConflictFinding }
  /** The target already holds the outcome: write nothing (a conflict may still be recorded). */
  | { readonly kind: 'noop'; readonly conflict?: ConflictFinding }
  /** A manual policy met a conflict: park the key, record the conflict open, write nothing. */
  | { readonly kind: 'park'; readonly conflict: ConflictFinding };

export const otherSide = (side: SyncSide): SyncSide => (side === 'monolith' ? 'service' : 'monolith');

function without(record: SyncRecord | null, drop: ReadonlySet<string>): SyncRecord | null {
  if (!record || drop.size === 0) return record;
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(record)) if (!drop.has(k)) out[k] = v;
  return out;
}

function clockText(v: AttributeValue | undefined): string {
  if (v === undefined) return '';
  if ('S' in v) return v.S;
  if ('N' in v) return v.N.padStart(40, '0');
  return '';
}

function sameRecord(a: SyncRecord | null, b: SyncRecord | null): boolean {
  if (a === null || b === null) return a === b;
  return changedFields(a, b).length === 0;
}

/**
 * Decides what one incoming change does to the target side. Pure and deterministic: both appliers, given
 * the same three records (base, monolith, service), reach the same result, which is what makes the two
 * stores converge without shipping resolutions back and forth.
 *
 * No conflict when the target still holds the change's base on every field: the change applies as is.
 * Otherwise the target changed the key since the last sync point and the policy settles it.
 */
export function decide(input: DecideInput): Decision {
  const { change, rules } = input;
  const target = otherSide(change.side);
  // One-way attributes never travel to the monolith: they take no part in the decision there.
  const drop = new Set(target === 'monolith' ? (rules.oneWay ?? []) : []);
  const base = without(change.before, drop);
  const incoming = without(change.after, drop);
  const current = without(input.current, drop);

  const xChanged = changedFields(base, incoming);
  if (xChanged.length === 0 && (base === null) === (incoming === null)) return { kind: 'noop' };
  const yChanged = changedFields(base, current);
  if (yChanged.length === 0 && (base === null) === (current === null)) {
    return sameRecord(incoming, current) ? { kind: 'noop' } : { kind: 'apply', result: incoming };
  }

  const monolith = change.side === 'monolith' ? incoming : current;
  const service = change.side === 'service' ? incoming : current;
  const finding = (fields: readonly string[], policy: string): Omit<ConflictFinding, 'winner' | 'result'> => ({
    conflictId: digestHex(
      digestText(`${input.entity}\u0000${input.key}\u0000${change.side}\u0000${change.position}\u0000${JSON.stringify(current)}`),
    ),
    entity: input.entity,
    key: input.key,
    incoming: { side: change.side, position: change.position, at: change.at },
    detectedBy: target,
    base,
    monolith,
    service,
    fields,
    policy,
  });
  const settle = (result: SyncRecord | null, winner: SyncSide | 'merged', fields: readonly string[], policy: string): Decision => {
    const conflict: ConflictFinding = { ...finding(fields, policy), winner, result };
    return sameRecord(result, current) ? { kind: 'noop', conflict } : { kind: 'apply', result, conflict };
  };
  const park = (fields: readonly string[], policy: string): Decision => ({ kind: 'park', conflict: finding(fields, policy) });

  /** The side a whole-row rule picks. Undefined for manual; custom returns the row itself. */
  const rowWinner = (p: RowPolicy): SyncSide | undefined => {
    switch (p.kind) {
      case 'prefer':
        return p.side;
      case 'lastWriterWins': {
        if (!rules.clock) throw new SyncError(`${input.entity}: lastWriterWins needs a clock attribute`, { entity: input.entity });
        const m = clockText(monolith?.[rules.clock]);
        const s = clockText(service?.[rules.clock]);
        return s > m ? 'service' : 'monolith';
      }
      default:
        return undefined;
    }
  };
  const resolver = (name: string) => {
    const r = input.resolvers?.[name];
    if (!r)
      throw new SyncError(`${input.entity}: no custom resolver named "${name}" is shipped with the handler`, {
        entity: input.entity,
        resolver: name,
      });
    return r;
  };

  // A delete against a concurrent update: only a priority rule can keep the row; otherwise the delete wins
  // (both appliers then agree: the row is gone on both sides).
  if (incoming === null || current === null) {
    const p = rules.policy;
    const winner: SyncSide = p.kind === 'prefer' ? p.side : incoming === null ? change.side : target;
    const result = winner === change.side ? incoming : current;
    if (p.kind === 'manual') return park([...fieldsOf(base, incoming, current)].sort(), describePolicy(p));
    return settle(result, winner, [...fieldsOf(base, incoming, current)].sort(), p.kind === 'prefer' ? describePolicy(p) : 'delete wins');
  }

  const all = [...fieldsOf(base, incoming, current)].sort();
  const xSet = new Set(xChanged);
  const ySet = new Set(yChanged);
  const overlap = all.filter((f) => xSet.has(f) && ySet.has(f));
  const result: Record<string, AttributeValue> = {};
  const put = (f: string, v: AttributeValue | undefined) => {
    if (v !== undefined) result[f] = v;
  };
  let parked = false;

  const fieldValue = (f: string, p: FieldPolicy): AttributeValue | undefined => {
    const x = incoming[f];
    const y = current[f];
    if (!xSet.has(f)) return y;
    if (!ySet.has(f)) return x;
    switch (p.kind) {
      case 'delta': {
        const sum = addDelta(y, base?.[f], x);
        if (sum !== undefined) return sum;
        if (!p.fallback)
          throw new SyncError(`${input.entity}.${f}: delta needs numbers, got ${JSON.stringify(x)} and ${JSON.stringify(y)}`, {
            entity: input.entity,
            field: f,
          });
        return fieldValue(f, p.fallback);
      }
      case 'custom': {
        const r = resolver(p.resolver);
        if (!r.field) throw new SyncError(`custom resolver "${p.resolver}" has no field function`, { resolver: p.resolver });
        return r.field({ field: f, base: base?.[f], monolith: monolith?.[f], service: service?.[f] });
      }
      case 'manual':
        parked = true;
        return y;
      default:
        return rowWinner(p) === change.side ? x : y;
    }
  };

  const overrides = rules.fields ?? {};
  const p = rules.policy;
  if (p.kind === 'mergeFields') {
    for (const f of all) put(f, fieldValue(f, overrides[f] ?? p.fallback));
    if (parked) return park(overlap, describePolicy(p));
    const winner = all.every((f) => sameValue(result[f], incoming[f]))
      ? change.side
      : all.every((f) => sameValue(result[f], current[f]))
        ? target
        : 'merged';
    return settle(result, winner, overlap, describePolicy(p));
  }

  if (p.kind === 'manual')
    return park(
      all.filter((f) => xSet.has(f) || ySet.has(f)),
      describePolicy(p),
    );
  let winner: SyncSide | 'merged';
  if (p.kind === 'custom') {
    const r = resolver(p.resolver);
    if (!r.row) throw new SyncError(`custom resolver "${p.resolver}" has no row function`, { resolver: p.resolver });
    const row = r.row({ base: base ?? undefined, monolith: monolith ?? undefined, service: service ?? undefined });
    if (row === null) return settle(null, 'merged', all, describePolicy(p));
    for (const f of all) if (!(f in overrides)) put(f, row[f]);
    winner = 'merged';
  } else {
    winner = rowWinner(p) as SyncSide;
    const from = winner === change.side ? incoming : current;
    for (const f of all) if (!(f in overrides)) put(f, from[f]);
  }
  for (const f of all) if (f in overrides) put(f, fieldValue(f, overrides[f]));
  if (parked) return park(overlap, describePolicy(p));
  const changedByEither = all.filter((f) => xSet.has(f) || ySet.has(f));
  if (Object.keys(overrides).some((f) => overlap.includes(f))) winner = 'merged';
  return settle(result, winner, changedByEither, describePolicy(p));
}
