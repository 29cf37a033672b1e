import { deterministicId, type ServiceEvent } from '../events/envelope';
import type { SyncSide } from './change';
import type { ConflictFinding } from './engine';

/** EventBridge source of the sync's own events. */
export const SYNC_SOURCE = 'cutover.sync';
export const CONFLICT_DETECTED_TYPE = 'sync.conflict-detected';
export const CONFLICT_RESOLVED_TYPE = 'sync.conflict-resolved';

export type ConflictStatus = 'open' | 'resolved';

/** The ledger table's index listing a status's conflicts in detection order. */
export const LEDGER_STATUS_INDEX = 'byStatus';

/** What a person chose for a parked conflict (`cutover sync conflicts resolve --take`). */
export type ConflictTake = SyncSide | 'merged';

/** One conflict in the ledger: both versions, the base, the policy, the result and who settled it. */
export interface ConflictEntry extends ConflictFinding {
  readonly status: ConflictStatus;
  readonly detectedAt: string;
  /** `policy:<name>` for an automatic resolution, `user:<name>` for a manual one. */
  readonly resolvedBy?: string;
  readonly resolvedAt?: string;
  readonly reason?: string;
}

/** The ledger entry for a finding: resolved at once by its policy, or open (manual). */
export function ledgerEntry(finding: ConflictFinding, detectedAt: string): ConflictEntry {
  const open = finding.result === undefined;
  return {
    ...finding,
    status: open ? 'open' : 'resolved',
    detectedAt,
    ...(open ? {} : { resolvedBy: `policy:${finding.policy}`, resolvedAt: detectedAt }),
  };
}

/** The audit stream of one entity key's conflicts. */
export function conflictAuditStream(entity: string, key: string): string {
  return `sync-${entity}-${key}`;
}

/** `sync.conflict-detected` / `sync.conflict-resolved` on the services bus. */
export function conflictEvent(type: typeof CONFLICT_DETECTED_TYPE | typeof CONFLICT_RESOLVED_TYPE, entry: ConflictEntry): ServiceEvent {
  return {
    metadata: {
      eventId: deterministicId(type, entry.conflictId),
      eventType: type,
      version: 1,
      correlationId: conflictAuditStream(entry.entity, entry.key),
      origin: 'service',
      producer: SYNC_SOURCE,
      occurredAt: type === CONFLICT_RESOLVED_TYPE ? (entry.resolvedAt ?? entry.detectedAt) : entry.detectedAt,
      entity: { type: entry.entity, key: entry.key },
    },
    data: {
      conflictId: entry.conflictId,
      entity: entry.entity,
      key: entry.key,
      status: entry.status,
      policy: entry.policy,
      fields: [...entry.fields],
      detectedBy: entry.detectedBy,
      incoming: entry.incoming,
      ...(entry.winner ? { winner: entry.winner } : {}),
      ...(entry.resolvedBy ? { resolvedBy: entry.resolvedBy } : {}),
      ...(entry.reason ? { reason: entry.reason } : {}),
    },
  };
}
