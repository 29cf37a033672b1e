import pluralize from 'pluralize';
import { tablePrefix, words } from './infer';
import type {
  DraftCapability,
  DraftEntity,
  Relationship,
  SagaSkeletonStep,
  Schema,
  TransactionAccess,
  TransactionSuggestion,
} from './model';

/*
 * What to do with each transaction that would span candidates, and a first draft of the spec's
 * capabilities and `migration` entities for the candidates. Both are drafts for an architect to edit:
 * they name things from table names, which is as much as a schema can say.
 *
 *   writes in one candidate (or none), reads others -> replicate a read model: the writer keeps a copy
 *       of what it reads, fed by the owners' events, and the transaction stays local;
 *   writes in two or more candidates that are tightly coupled (the boundary between them carries at
 *       least `keepTogetherCoupling` of the smaller one's internal weight) -> keep together (merge);
 *   writes in two or more loosely coupled candidates -> a saga: one step per writing candidate, ordered
 *       so that a referenced row exists before the rows that reference it, each with its compensation.
 */

export interface SuggestInput {
  readonly of: ReadonlyMap<string, string>;
  readonly transactions: readonly TransactionAccess[];
  readonly relationships: readonly Relationship[];
  /** Weight between two candidates, and each candidate's internal weight. */
  readonly between: (a: string, b: string) => number;
  readonly internal: (a: string) => number;
  readonly keepTogetherCoupling?: number;
  readonly limit?: number;
}

/** A dotted event-name segment from a table or candidate name: `PREFIX_order_detail` -> `order-detail`. */
export function eventSegment(name: string, prefix = ''): string {
  const bare = prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
  const w = words(bare).join('-');
  return /^[a-z]/.test(w) ? w : `t-${w || 'table'}`;
}

function stepName(candidate: string): string {
  return `Write${words(candidate)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('')}`;
}

/** Candidates ordered so that a referenced one comes before the ones referencing it (ties by name). */
function dependencyOrder(cands: string[], relationships: readonly Relationship[], of: ReadonlyMap<string, string>): string[] {
  const before = new Map<string, Set<string>>(cands.map((c) => [c, new Set()]));
  for (const r of relationships) {
    const a = of.get(r.from);
    const b = of.get(r.to);
    if (a && b && a !== b && before.has(a) && before.has(b)) before.get(a)?.add(b);
  }
  const out: string[] = [];
  const left = new Set(cands);
  while (left.size > 0) {
    const ready = [...left].filter((c) => [...(before.get(c) ?? [])].every((d) => !left.has(d))).sort();
    const pick = ready[0] ?? [...left].sort()[0];
    out.push(pick);
    left.delete(pick);
  }
  return out;
}

export function suggestForTransactions(input: SuggestInput): TransactionSuggestion[] {
  const { of } = input;
  const threshold = input.keepTogetherCoupling ?? 1;
  const prefix = tablePrefix([...of.keys()]);
  const out: TransactionSuggestion[] = [];
  const spanning = input.transactions
    .map((tx) => ({ tx, cands: [...new Set(tx.tables.map((t) => of.get(t)).filter((c): c is string => c !== undefined))].sort() }))
    .filter((x) => x.cands.length > 1)
    .sort((x, y) => y.tx.calls - x.tx.calls || x.tx.txid.localeCompare(y.tx.txid));
  for (const { tx, cands } of spanning.slice(0, input.limit ?? 50)) {
    const writers = [...new Set(tx.writes.map((t) => of.get(t)).filter((c): c is string => c !== undefined))].sort();
    const base = { txid: tx.txid, calls: tx.calls, candidates: cands, tables: tx.tables };
    if (writers.length <= 1) {
      const owner = writers[0] ?? cands[0];
      const read = tx.tables.filter((t) => of.get(t) !== owner);
      out.push({
        ...base,
        kind: 'replicate-read-model',
        why:
          writers.length === 0
            ? `reads only, across ${cands.join(', ')}: compose it in ${owner} from a read model`
            : `writes only in ${owner}; it reads ${read.join(', ')} from ${cands.filter((c) => c !== owner).join(', ')}`,
        readModel: {
          owner,
          replicates: read,
          events: [
            ...new Set(
              read.map(
                (t) => `${eventSegment(of.get(t) as string, prefix)}.${eventSegment(pluralize.singular(eventSegment(t, prefix)))}-changed`,
              ),
            ),
          ].sort(),
        },
      });
      continue;
    }
    // Tightly coupled writers: the boundary is in the wrong place for this transaction.
    let tight: [string, string] | undefined;
    for (let i = 0; i < writers.length && !tight; i++) {
      for (let j = i + 1; j < writers.length; j++) {
        const w = input.between(writers[i], writers[j]);
        const smaller = Math.min(input.internal(writers[i]), input.internal(writers[j]));
        if (smaller > 0 && w >= threshold * smaller) {
          tight = [writers[i], writers[j]];
          break;
        }
      }
    }
    if (tight) {
      out.push({
        ...base,
        kind: 'keep-together',
        why: `writes in ${writers.join(', ')}, and ${tight[0]} and ${tight[1]} are joined by at least ${Math.round(threshold * 100)}% of the weight the smaller one holds inside: one service, or move the tables it writes`,
      });
      continue;
    }
    const ordered = dependencyOrder(writers, input.relationships, of);
    const steps: SagaSkeletonStep[] = ordered.map((c) => {
      const written = tx.writes.filter((t) => of.get(t) === c);
      const seg = eventSegment(c, prefix);
      return {
        name: stepName(c),
        owner: c,
        tables: written,
        forward: `${seg}.write-requested -> ${seg}.written`,
        compensation: `${seg}.revert-requested -> ${seg}.reverted`,
      };
    });
    out.push({
      ...base,
      kind: 'saga',
      why: `writes in ${writers.join(', ')}, loosely coupled: one local transaction per service, undone in reverse order on failure`,
      saga: { name: `${eventSegment(ordered[0], prefix)}-saga`, steps },
    });
  }
  return out;
}

/**
 * The saga skeleton in the spec's `saga.steps` format: each step owned by the monolith for now (the
 * migration moves it), with the command it is asked through and the compensation.
 */
export function sagaSpecSkeleton(steps: readonly SagaSkeletonStep[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of steps) {
    const [fwdCmd, fwdOk] = s.forward.split(' -> ');
    const compensation = s.compensation?.split(' -> ');
    out[s.name] = {
      owner: 'monolith',
      description: `${s.owner}: writes ${s.tables.join(', ')}`,
      monolith: {
        forward: { command: fwdCmd, data: { correlationId: 'correlationId', requestedAt: 'now' }, success: [fwdOk] },
        ...(compensation
          ? { compensation: { command: compensation[0], data: { reason: 'reason', requestedAt: 'now' }, success: [compensation[1]] } }
          : {}),
      },
    };
  }
  return out;
}

/** `cust_no` -> `custNo`, `ID_CUSTOMER` -> `idCustomer`: an attribute name the spec accepts. */
function camel(name: string): string {
  const w = words(name);
  const out = w.map((x, i) => (i === 0 ? x : x[0].toUpperCase() + x.slice(1))).join('');
  return /^[A-Za-z_]/.test(out) ? out : `_${out || 'column'}`;
}

function uniqueAttribute(name: string, used: Set<string>): string {
  let out = name;
  for (let i = 2; used.has(out); i++) out = `${name}${i}`;
  used.add(out);
  return out;
}

/** Draft capabilities and migration entities: one DynamoDB table per candidate, an entity per root table. */
export function draftSpec(
  schema: Schema,
  candidates: ReadonlyArray<{ name: string; tables: string[]; unattached?: boolean }>,
  relationships: readonly Relationship[],
): { capabilities: DraftCapability[]; migration: { entities: Record<string, DraftEntity> } } {
  const prefix = tablePrefix(schema.tables.map((t) => t.name));
  const byName = new Map(schema.tables.map((t) => [t.name, t]));
  const capabilities: DraftCapability[] = [];
  const entities: Record<string, DraftEntity> = {};
  for (const c of candidates) {
    if (c.unattached) continue;
    const inside = new Set(c.tables);
    const seg = eventSegment(c.name, prefix);
    // A root is a table no other table of the candidate is a child of... i.e. it references nothing inside.
    const parentOf = new Map<string, Relationship>();
    for (const r of relationships)
      if (inside.has(r.from) && inside.has(r.to) && r.from !== r.to && !parentOf.has(r.from)) parentOf.set(r.from, r);
    const roots = c.tables.filter((t) => !parentOf.has(t));
    const entityEvent = (t: string): string => eventSegment(pluralize.singular(eventSegment(t, prefix)));
    capabilities.push({
      name: seg,
      tables: c.tables,
      events: roots.flatMap((t) => [`${entityEvent(t)}.created`, `${entityEvent(t)}.updated`]),
    });
    for (const root of roots) {
      const t = byName.get(root);
      if (!t || t.columns.length === 0) continue;
      const entity = eventSegment(root, prefix);
      const key = t.primaryKey.length ? t.primaryKey : [t.columns[0].name];
      const label = entity.toUpperCase().replace(/-/g, '_');
      const used = new Set(['pk', 'sk']);
      const fields: Array<{ attribute: string; column?: string; template?: string; constant?: string }> = [
        { attribute: 'pk', template: `${label}#${key.map((k) => `{${k}}`).join('#')}` },
        { attribute: 'sk', constant: label },
      ];
      for (const col of t.columns) {
        const attribute = uniqueAttribute(camel(col.name), used);
        fields.push({ attribute, column: col.name });
      }
      // Children embedded in the root's item: tables of the candidate that hold the whole root key.
      const children: DraftEntity['children'] = [];
      for (const x of c.tables) {
        const rel = parentOf.get(x);
        const child = byName.get(x);
        if (!rel || rel.to !== root || !child || rel.fromColumns.length !== key.length) continue;
        const name = uniqueAttribute(camel(eventSegment(x.startsWith(root) ? x.slice(root.length) || x : x, prefix)), used);
        const orderBy = child.primaryKey.length ? child.primaryKey : rel.fromColumns;
        children.push({
          name,
          table: x,
          foreignKey: rel.fromColumns,
          orderBy,
          shape: 'embed',
          fields: child.columns.map((col) => ({ attribute: camel(col.name), column: col.name })),
        });
      }
      entities[entities[entity] ? `${seg}-${entity}` : entity] = {
        description: `draft: ${root}${children.length ? ` with ${children.map((ch) => ch.table).join(', ')}` : ''} (candidate ${c.name})`,
        source: { table: root, key },
        target: { table: seg.length >= 3 ? seg : `${seg}-service`, partitionKey: 'pk', sortKey: 'sk' },
        fields,
        children,
      };
    }
  }
  return { capabilities, migration: { entities } };
}
