import type { MigrationEntity } from '../spec/migration';
import type { SyncSection } from '../spec/sync';
import { syncRules } from '../spec/sync';
import { compileSyncEntity, type SyncChildMapping, type SyncEntityMapping } from './mapping';
import type { EntitySyncRules } from './policy';
import type { Item } from '../migration/attribute-value';

/** One synced entity: its mapping both ways, its rules, and which directions it syncs. */
export interface SyncedEntity {
  readonly name: string;
  readonly mapping: SyncEntityMapping;
  readonly rules: EntitySyncRules;
  readonly direction: 'both' | 'toService' | 'toMonolith';
  /** The logical DynamoDB table (the spec's `target.table`). */
  readonly table: string;
}

/** The synced entities of a spec, found by source table (monolith changes) or target table + item (stream records). */
export class SyncCatalog {
  public readonly entities: ReadonlyMap<string, SyncedEntity>;

  public constructor(section: SyncSection, migration: Readonly<Record<string, MigrationEntity>>) {
    const out = new Map<string, SyncedEntity>();
    for (const [name, e] of Object.entries(section.entities)) {
      const def = migration[name];
      if (!def) continue;
      out.set(name, {
        name,
        mapping: compileSyncEntity(name, def),
        rules: syncRules(e),
        direction: e.direction ?? 'both',
        table: def.target.table,
      });
    }
    this.entities = out;
  }

  /** The entity whose root rows live in a monolith table. */
  public bySourceTable(table: string): SyncedEntity | undefined {
    for (const e of this.entities.values()) if (e.mapping.sourceTable === table) return e;
    return undefined;
  }

  /** The entity whose embedded child rows live in a monolith table, and that child. */
  public byChildTable(table: string): { entity: SyncedEntity; child: SyncChildMapping } | undefined {
    for (const entity of this.entities.values()) {
      const child = entity.mapping.children.find((c) => c.table === table);
      if (child) return { entity, child };
    }
    return undefined;
  }

  /** The entity an item of a logical table belongs to (tables shared by entities tell items apart by key). */
  public byItem(table: string, item: Item): SyncedEntity | undefined {
    for (const e of this.entities.values()) if (e.table === table && e.mapping.compiled.owns(item)) return e;
    return undefined;
  }
}
