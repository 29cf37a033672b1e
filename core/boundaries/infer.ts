import pluralize from 'pluralize';
import type { Relationship, Schema, Table } from './model';

/*
 * Relationships: the declared foreign keys, and inferred ones where the schema has none. Many monoliths
 * kept referential integrity in the application, so the names are the evidence. Each inferred edge says
 * which rule matched and on what, and carries a confidence the graph uses as a weight:
 *
 *   composite-key  0.85  the table holds every column of another table's composite primary key
 *   same-key       0.9   a column has the name of another table's single-column primary key (cust_no)
 *   convention     0.8   <entity>_id, id_<entity>, <entity>Id, <entity>_no|_code|_key name a table
 *   role           0.7   the same with a role word around the entity (id_address_delivery, billing_address_id)
 *   child-table    0.75  <parent>_lang|_shop|_detail|_lines|... holding the parent's key (0.6 without it)
 *
 * Generic key names (`id`, `code`, `uuid`) never match by themselves: every table has one.
 */

const GENERIC_KEYS = new Set([
  'id',
  'uuid',
  'guid',
  'code',
  'key',
  'name',
  'no',
  'number',
  'pk',
  'type',
  'kind',
  'value',
  'status',
  'state',
  'position',
  'date',
  'email',
  'active',
  'token',
  'hash',
  'label',
  'title',
  'version',
  'lang',
  'locale',
  'slug',
]);
const ID_WORDS = new Set(['id', 'no', 'nr', 'num', 'code', 'key', 'ref', 'uuid', 'fk', 'cd']);
// Suffixes of tables that hang off one parent row. Not `_state`, `_group`, `_type`: those name lookup
// tables the parent points at, the other way round.
const CHILD_SUFFIXES = [
  'lang',
  'langs',
  'i18n',
  'translation',
  'translations',
  'shop',
  'shops',
  'detail',
  'details',
  'line',
  'lines',
  'item',
  'items',
  'history',
  'histories',
  'tax',
  'taxes',
  'meta',
  'log',
  'logs',
  'version',
  'versions',
  'ext',
  'extra',
  'data',
  'info',
  'stat',
  'stats',
];

/** The table-name prefix most tables share (`ps_`, `PREFIX_`, `wp_`), or ''. */
export function tablePrefix(names: readonly string[]): string {
  if (names.length < 3) return '';
  const counts = new Map<string, number>();
  for (const n of names) {
    const i = n.indexOf('_');
    if (i > 0 && i < n.length - 1) counts.set(n.slice(0, i + 1), (counts.get(n.slice(0, i + 1)) ?? 0) + 1);
  }
  let best = '';
  let bestCount = 0;
  for (const [p, c] of counts) if (c > bestCount || (c === bestCount && p < best)) [best, bestCount] = [p, c];
  return bestCount >= 0.8 * names.length ? best : '';
}

/** Lower-case words of an identifier: `customerId` -> [customer, id], `ID_CUSTOMER` -> [id, customer]. */
export function words(identifier: string): string[] {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

function singular(word: string): string {
  return pluralize.singular(word);
}

/** Entity keys a table answers to: its name without prefix, singular, with words joined by `_`. */
function entityKeys(table: string, prefix: string): string[] {
  const bare = prefix && table.startsWith(prefix) ? table.slice(prefix.length) : table;
  const w = words(bare);
  if (w.length === 0) return [];
  const last = w.length - 1;
  const singularForm = [...w.slice(0, last), singular(w[last])].join('_');
  return [...new Set([w.join('_'), singularForm, w.join('')])];
}

interface Index {
  readonly prefix: string;
  readonly byEntity: Map<string, Table>;
  readonly byPkColumn: Map<string, Table[]>;
  readonly byName: Map<string, Table>;
}

function buildIndex(schema: Schema): Index {
  const prefix = tablePrefix(schema.tables.map((t) => t.name));
  const byEntity = new Map<string, Table>();
  const byPkColumn = new Map<string, Table[]>();
  const byName = new Map<string, Table>();
  for (const t of schema.tables) {
    byName.set(t.name, t);
    for (const k of entityKeys(t.name, prefix)) if (!byEntity.has(k)) byEntity.set(k, t);
    if (t.primaryKey.length === 1) {
      const pk = t.primaryKey[0].toLowerCase();
      byPkColumn.set(pk, [...(byPkColumn.get(pk) ?? []), t]);
    }
  }
  return { prefix, byEntity, byPkColumn, byName };
}

/** The column of `target` a reference lands on: its single-column key, else a same-named column, else `id`. */
function targetColumn(target: Table, column: string): string {
  if (target.primaryKey.length === 1) return target.primaryKey[0];
  const same = target.columns.find((c) => c.name.toLowerCase() === column.toLowerCase());
  if (same) return same.name;
  return target.columns.find((c) => c.name.toLowerCase() === 'id')?.name ?? column;
}

/** Which entity a column names by convention, and whether a role word had to be dropped. */
function entityOfColumn(column: string, index: Index): { table: Table; role: boolean; rule: string } | undefined {
  const w = words(column).filter((x, i, all) => !(i === all.length - 1 && /^\d+$/.test(x)));
  if (w.length < 2) return undefined;
  const lookup = (parts: string[]): Table | undefined => {
    if (parts.length === 0) return undefined;
    const joined = parts.join('_');
    return index.byEntity.get(joined) ?? index.byEntity.get(singular(joined)) ?? index.byEntity.get(parts.join(''));
  };
  // id_<entity>[_<role>]: PrestaShop and friends.
  if (ID_WORDS.has(w[0])) {
    const rest = w.slice(1);
    for (let len = rest.length; len >= 1; len--) {
      const t = lookup(rest.slice(0, len));
      if (t)
        return {
          table: t,
          role: len < rest.length,
          rule: len < rest.length ? `id_<entity>_<role> names ${t.name}` : `id_<entity> names ${t.name}`,
        };
    }
  }
  // [<role>_]<entity>_id, <entity>Id, <entity>_no.
  if (ID_WORDS.has(w[w.length - 1])) {
    const rest = w.slice(0, -1);
    for (let start = 0; start < rest.length; start++) {
      const t = lookup(rest.slice(start));
      if (t)
        return {
          table: t,
          role: start > 0,
          rule: start > 0 ? `<role>_<entity>_${w[w.length - 1]} names ${t.name}` : `<entity>_${w[w.length - 1]} names ${t.name}`,
        };
    }
  }
  return undefined;
}

/** Declared foreign keys of the schema, as relationships (references to tables not in the schema dropped). */
export function declaredRelationships(schema: Schema): Relationship[] {
  const names = new Set(schema.tables.map((t) => t.name));
  const out: Relationship[] = [];
  for (const t of schema.tables) {
    for (const fk of t.foreignKeys) {
      if (!names.has(fk.refTable) || fk.refTable === t.name) continue;
      out.push({
        from: t.name,
        fromColumns: fk.columns,
        to: fk.refTable,
        toColumns: fk.refColumns,
        kind: 'declared',
        reason: `declared foreign key (${fk.columns.join(', ')}) -> ${fk.refTable}(${fk.refColumns.join(', ')})`,
        confidence: 1,
      });
    }
  }
  return out;
}

/**
 * Relationships inferred from names, for columns no declared key covers. At most one inferred edge per
 * (table, column); the strongest rule wins. Self-references are left out: they never cross a boundary.
 */
export function inferRelationships(schema: Schema, declared: readonly Relationship[] = declaredRelationships(schema)): Relationship[] {
  const index = buildIndex(schema);
  const covered = new Set(declared.flatMap((r) => r.fromColumns.map((c) => `${r.from}\u0000${c.toLowerCase()}`)));
  const declaredPairs = new Set(declared.map((r) => `${r.from}\u0000${r.to}`));
  const out: Relationship[] = [];
  const seenPairs = new Set<string>();
  const add = (r: Relationship): void => {
    const key = `${r.from}\u0000${r.to}\u0000${r.fromColumns.join(',')}`;
    if (seenPairs.has(key) || declaredPairs.has(`${r.from}\u0000${r.to}`)) return;
    seenPairs.add(key);
    out.push(r);
  };

  for (const t of schema.tables) {
    const cols = new Map(t.columns.map((c) => [c.name.toLowerCase(), c.name]));
    const usedColumns = new Set<string>();
    // Composite keys first: a table holding all columns of another's composite key references that row.
    for (const other of schema.tables) {
      if (other === t || other.primaryKey.length < 2) continue;
      const pk = other.primaryKey.map((c) => c.toLowerCase());
      if (!pk.every((c) => cols.has(c))) continue;
      // Holding the same composite key as one's own key is a 1:1 extension only if names say so; skip
      // tables whose own key is exactly that key and whose name does not extend the other's.
      const ownPk = t.primaryKey
        .map((c) => c.toLowerCase())
        .sort()
        .join(',');
      if (ownPk === [...pk].sort().join(',') && !t.name.startsWith(other.name)) continue;
      if (pk.some((c) => covered.has(`${t.name}\u0000${c}`))) continue;
      // A junction key (every column the key of some other table, as (id_product, id_shop)) says nothing
      // more than its columns do one by one; only a key with a local part (warehouse_cd, line_no) does.
      if (pk.every((c) => (index.byPkColumn.get(c) ?? []).some((o) => o !== other) || entityOfColumn(c, index) !== undefined)) continue;
      add({
        from: t.name,
        fromColumns: pk.map((c) => cols.get(c) as string),
        to: other.name,
        toColumns: other.primaryKey,
        kind: 'inferred',
        reason: `composite key: ${t.name} holds every column of ${other.name}'s primary key (${other.primaryKey.join(', ')})`,
        confidence: 0.85,
      });
      for (const c of pk) usedColumns.add(c);
    }
    for (const col of t.columns) {
      const lc = col.name.toLowerCase();
      if (covered.has(`${t.name}\u0000${lc}`) || usedColumns.has(lc)) continue;
      const ownSolePk = t.primaryKey.length === 1 && t.primaryKey[0].toLowerCase() === lc;
      // Same name as another table's single-column key.
      const owners = (index.byPkColumn.get(lc) ?? []).filter((o) => o !== t);
      if (!GENERIC_KEYS.has(lc) && owners.length > 0) {
        const targets = ownSolePk ? owners.filter((o) => isExtensionOf(t.name, o.name, index.prefix)) : owners;
        if (targets.length === 1 || (targets.length > 1 && !ownSolePk)) {
          // Several tables keyed by the same column: the one whose name the column names, else the shortest name (the root).
          const conv = entityOfColumn(col.name, index)?.table;
          const target =
            targets.find((o) => o === conv) ??
            [...targets].sort((a, b) => a.name.length - b.name.length || a.name.localeCompare(b.name))[0];
          add({
            from: t.name,
            fromColumns: [col.name],
            to: target.name,
            toColumns: target.primaryKey,
            kind: 'inferred',
            reason: `same key: ${t.name}.${col.name} has the name of ${target.name}'s primary key`,
            confidence: 0.9,
          });
          continue;
        }
      }
      if (ownSolePk && !owners.length) {
        // A table's own key can still name another entity (customer_detail.id_customer): only as an extension.
      }
      const conv = entityOfColumn(col.name, index);
      if (conv && conv.table !== t) {
        if (ownSolePk && !isExtensionOf(t.name, conv.table.name, index.prefix)) continue;
        add({
          from: t.name,
          fromColumns: [col.name],
          to: conv.table.name,
          toColumns: [targetColumn(conv.table, col.name)],
          kind: 'inferred',
          reason: `${conv.role ? 'role' : 'naming convention'}: ${t.name}.${col.name}: ${conv.rule}`,
          confidence: conv.role ? 0.7 : 0.8,
        });
      }
    }
  }

  // Child tables by name: <parent>_lang, <parent>_lines ... Strengthen an existing edge's reason, or add one.
  for (const t of schema.tables) {
    const child = childParent(t.name, index);
    if (!child) continue;
    const { parent, suffix } = child;
    const existing = [...declared, ...out].find((r) => r.from === t.name && r.to === parent.name);
    if (existing) {
      if (existing.kind === 'inferred') {
        const i = out.indexOf(existing);
        out[i] = {
          ...existing,
          reason: `${existing.reason}; child table (_${suffix}) of ${parent.name}`,
          confidence: Math.max(existing.confidence, 0.75),
        };
      }
      continue;
    }
    add({
      from: t.name,
      fromColumns: [],
      to: parent.name,
      toColumns: parent.primaryKey,
      kind: 'inferred',
      reason: `child table: the name ${t.name} is ${parent.name} + _${suffix}, but no column holds its key`,
      confidence: 0.6,
    });
  }
  return out;
}

/** Whether `child` is named as an extension of `parent` (customer_detail of customer/customers). */
function isExtensionOf(child: string, parent: string, prefix: string): boolean {
  const c = words(prefix && child.startsWith(prefix) ? child.slice(prefix.length) : child).join('_');
  const keys = entityKeys(parent, prefix);
  return keys.some((k) => c.startsWith(`${k}_`));
}

function childParent(name: string, index: Index): { parent: Table; suffix: string } | undefined {
  const bare = index.prefix && name.startsWith(index.prefix) ? name.slice(index.prefix.length) : name;
  const w = words(bare);
  if (w.length < 2 || !CHILD_SUFFIXES.includes(w[w.length - 1])) return undefined;
  for (let len = w.length - 1; len >= 1; len--) {
    const head = w.slice(0, len).join('_');
    const t = index.byEntity.get(head) ?? index.byEntity.get(singular(head));
    if (t && t.name !== name) return { parent: t, suffix: w.slice(len).join('_') };
  }
  return undefined;
}

/** Declared plus inferred relationships. */
export function relationships(schema: Schema): { declared: Relationship[]; inferred: Relationship[] } {
  const declared = declaredRelationships(schema);
  return { declared, inferred: inferRelationships(schema, declared) };
}
