/**
 * The attributes two-way sync keeps on every service item it writes (adapters/dynamodb/sync-item-applier.ts):
 * its write counter, the last monolith change applied, the origin tag, and the mark set before a sync
 * delete. They are the sync's bookkeeping, not migrated data: verify and continuous validation leave them
 * out, or every synced item would read as different from its row.
 */
export const SYNC_BOOKKEEPING_ATTRIBUTES = ['_syncVersion', '_syncMonolithPos', '_syncOrigin', '_syncDeleting'] as const;
