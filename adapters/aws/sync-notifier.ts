import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  conflictAuditStream,
  conflictEvent,
  CONFLICT_DETECTED_TYPE,
  CONFLICT_RESOLVED_TYPE,
  SYNC_SOURCE,
  type ConflictEntry,
} from '../../core/sync/ledger';
import type { Log } from '../../core/log';
import type { AuditStore } from '../dynamodb/audit-store';
import type { SyncLedgerStore } from '../dynamodb/sync-ledger-store';

export interface ConflictNotifierDeps {
  readonly ledger: SyncLedgerStore;
  /** @default - not audited */
  readonly audit?: AuditStore;
  /** Where `sync.conflict-detected` / `sync.conflict-resolved` go. @default - no events */
  readonly events?: { readonly client: EventBridgeClient; readonly busName: string };
  readonly logger?: Log;
}

/**
 * Records a conflict everywhere it must be seen: the ledger first (the record of truth; a failure there
 * fails the change, which is then redelivered), then the audit log and the services bus. Those two are
 * keyed by the conflict id, so repeating them after a redelivery is harmless; a failure there is logged
 * and does not undo the write.
 */
export class ConflictNotifier {
  public constructor(private readonly deps: ConflictNotifierDeps) {}

  public get ledger(): SyncLedgerStore {
    return this.deps.ledger;
  }

  public async detected(entry: ConflictEntry): Promise<void> {
    await this.deps.ledger.record(entry);
    const types = entry.status === 'resolved' ? [CONFLICT_DETECTED_TYPE, CONFLICT_RESOLVED_TYPE] : [CONFLICT_DETECTED_TYPE];
    await this.announce(entry, types as (typeof CONFLICT_DETECTED_TYPE | typeof CONFLICT_RESOLVED_TYPE)[]);
  }

  /** After a manual resolution was written to the ledger. */
  public async resolved(entry: ConflictEntry): Promise<void> {
    await this.announce(entry, [CONFLICT_RESOLVED_TYPE]);
  }

  private async announce(entry: ConflictEntry, types: (typeof CONFLICT_DETECTED_TYPE | typeof CONFLICT_RESOLVED_TYPE)[]): Promise<void> {
    if (this.deps.audit) {
      for (const type of types) {
        try {
          await this.deps.audit.append(conflictAuditStream(entry.entity, entry.key), {
            kind: 'sync-conflict',
            eventId: `${type}:${entry.conflictId}`,
            source: SYNC_SOURCE,
            detailType: type,
            eventTime: type === CONFLICT_RESOLVED_TYPE ? (entry.resolvedAt ?? entry.detectedAt) : entry.detectedAt,
            payload: JSON.stringify(entry),
          });
        } catch (err) {
          this.deps.logger?.error('conflict recorded but not audited', { conflictId: entry.conflictId, error: err });
        }
      }
    }
    if (this.deps.events) {
      try {
        const res = await this.deps.events.client.send(
          new PutEventsCommand({
            Entries: types.map((type) => ({
              EventBusName: this.deps.events!.busName,
              Source: SYNC_SOURCE,
              DetailType: type,
              Detail: JSON.stringify(conflictEvent(type, entry)),
            })),
          }),
        );
        if (res.FailedEntryCount)
          this.deps.logger?.error('conflict recorded but not announced', { conflictId: entry.conflictId, entries: res.Entries });
      } catch (err) {
        this.deps.logger?.error('conflict recorded but not announced', { conflictId: entry.conflictId, error: err });
      }
    }
  }
}
