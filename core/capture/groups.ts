import type { RowChange } from '../sync/change';
import type { MigrationSection } from '../spec/migration';
import { CutoverError } from '../errors';

/** The tables an entity's changes come from: its root table and its child tables. */
export interface EntityTables {
  readonly entity: string;
  readonly root: string;
  readonly key: readonly string[];
  /** Child table -> its columns holding the root key, in key order. */
  readonly children: Readonly<Record<string, readonly string[]>>;
}

export function entityTables(section: MigrationSection, entity: string): EntityTables {
  const def = section.entities[entity];
  if (!def)
    throw new CutoverError(
      `entity ${JSON.stringify(entity)} is not in the migration section (there are: ${Object.keys(section.entities).join(', ')})`,
      { entity },
    );
  return {
    entity,
    root: def.source.table,
    key: def.source.key,
    children: Object.fromEntries((def.children ?? []).map((c) => [c.table, c.foreignKey])),
  };
}

/** Tables to capture for entities (roots and children), without repeats. */
export function tablesOfEntities(section: MigrationSection, entities: readonly string[]): string[] {
  const out = new Set<string>();
  for (const e of entities) {
    const t = entityTables(section, e);
    out.add(t.root);
    for (const child of Object.keys(t.children)) out.add(child);
  }
  return [...out];
}

/**
 * The ordering group of a change: the entity key it belongs to, so every change of one order (its row
 * and its lines) is delivered in order, while different orders flow in parallel (SQS FIFO
 * MessageGroupId). A child row groups under its root's key, read from its foreign-key columns. A table
 * no entity maps groups by its own table and key.
 */
export function groupKeyFunction(
  section: MigrationSection,
  entities: readonly string[] = Object.keys(section.entities),
): (change: RowChange) => string {
  const byTable = new Map<string, { entity: string; columns: readonly string[]; keyNames: readonly string[] }>();
  for (const e of entities) {
    const t = entityTables(section, e);
    if (!byTable.has(t.root)) byTable.set(t.root, { entity: e, columns: t.key, keyNames: t.key });
    for (const [child, fk] of Object.entries(t.children))
      if (!byTable.has(child)) byTable.set(child, { entity: e, columns: fk, keyNames: t.key });
  }
  return (change) => {
    const m = byTable.get(change.table);
    if (!m) return `${change.table}#${Object.values(change.key).join('|')}`;
    const image = change.after ?? change.before ?? {};
    const values = m.columns.map((c) => change.key[c] ?? image[c] ?? '');
    return `${m.entity}#${values.join('|')}`;
  };
}

/**
 * Entity names as given on a command line, where a service table name stands for the entity that fills
 * it (`inventory` -> `stock`). Unknown names fail with the list of what there is.
 */
export function resolveEntityNames(section: MigrationSection, names: readonly string[]): string[] {
  return names.map((name) => {
    if (section.entities[name]) return name;
    const byTarget = Object.entries(section.entities)
      .filter(([, e]) => e.target.table === name && !(e.children ?? []).length)
      .map(([n]) => n);
    const roots = Object.entries(section.entities)
      .filter(([, e]) => e.target.table === name)
      .map(([n]) => n);
    const pick = byTarget.length === 1 ? byTarget[0] : roots.length === 1 ? roots[0] : undefined;
    if (pick) return pick;
    throw new CutoverError(
      `--entity: ${JSON.stringify(name)} is neither an entity nor the target table of exactly one entity (entities: ${Object.keys(section.entities).join(', ')})`,
      { entity: name },
    );
  });
}
