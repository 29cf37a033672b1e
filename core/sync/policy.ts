import type { SyncSide } from './change';
import type { SyncRecord } from './record';
import type { AttributeValue } from '../migration/attribute-value';

/**
 * How a conflict is resolved. A conflict is a change from one side whose base (its before image) is not
 * what the other side holds now: the other side changed the same key since the last sync point.
 *
 * - `lastWriterWins`: the row whose clock attribute is later wins whole; a tie goes to the monolith, so
 *   both appliers pick the same winner.
 * - `prefer`: the named side wins whole (priority).
 * - `mergeFields`: a field only one side changed keeps that change; a field both changed is settled by
 *   `fallback`.
 * - `delta` (fields only): both increments are applied, so the sum is preserved (stock counts).
 * - `custom`: a named resolver shipped with the handler decides.
 * - `manual`: nothing is decided; the key is parked and its later writes queue behind it until a person
 *   resolves it (`cutover sync conflicts resolve`).
 */
export type RowPolicy =
  | { readonly kind: 'lastWriterWins' }
  | { readonly kind: 'prefer'; readonly side: SyncSide }
  | { readonly kind: 'custom'; readonly resolver: string }
  | { readonly kind: 'manual' };
export type FieldPolicy = RowPolicy | { readonly kind: 'delta'; readonly fallback?: RowPolicy };
export type EntityPolicy = RowPolicy | { readonly kind: 'mergeFields'; readonly fallback: FieldPolicy };

/** An entity's sync rules, compiled from the spec's `sync` section. */
export interface EntitySyncRules {
  readonly policy: EntityPolicy;
  /** Per attribute overrides: that field is settled on its own, whatever the entity policy. */
  readonly fields?: Readonly<Record<string, FieldPolicy>>;
  /** Attribute that orders writes for lastWriterWins (a last-modified timestamp both sides maintain). */
  readonly clock?: string;
  /** Attributes never written back to the monolith (the service owns them, or they cannot be reversed). */
  readonly oneWay?: readonly string[];
}

/** What a custom resolver sees: the last agreed value and each side's, for the field (or the row). */
export interface ResolverInput<T> {
  readonly field?: string;
  readonly base: T | undefined;
  readonly monolith: T | undefined;
  readonly service: T | undefined;
}

/**
 * A named resolver. It must be a function of its input only (not of which applier calls it), because both
 * appliers may meet the same conflict and must reach the same result.
 */
export interface CustomResolver {
  field?(input: ResolverInput<AttributeValue>): AttributeValue | undefined;
  row?(input: ResolverInput<SyncRecord>): SyncRecord | null;
}

export type ResolverRegistry = Readonly<Record<string, CustomResolver>>;

/** A short text naming a policy, for the ledger and the CLI. */
export function describePolicy(p: EntityPolicy | FieldPolicy): string {
  switch (p.kind) {
    case 'lastWriterWins':
      return 'lastWriterWins';
    case 'prefer':
      return `prefer ${p.side}`;
    case 'custom':
      return `custom ${p.resolver}`;
    case 'manual':
      return 'manual';
    case 'delta':
      return p.fallback ? `delta (else ${describePolicy(p.fallback)})` : 'delta';
    case 'mergeFields':
      return `mergeFields (overlaps: ${describePolicy(p.fallback)})`;
  }
}
