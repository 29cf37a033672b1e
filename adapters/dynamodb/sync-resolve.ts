import type { SqlRowWriter } from '../../core/sync/change';
import type { SyncCatalog } from '../../core/sync/catalog';
import { SyncError } from '../../core/sync/errors';
import type { ConflictEntry, ConflictTake } from '../../core/sync/ledger';
import { sameFields, fieldsOf, type SyncRecord } from '../../core/sync/record';
import { keyFromText } from '../../core/migration/canonical';
import type { ConflictNotifier } from '../aws/sync-notifier';
import type { ItemApplier } from './sync-item-applier';
import type { StreamApplier, StreamChange } from './sync-stream-applier';
import type { SyncLedgerStore } from './sync-ledger-store';
import type { SyncStateStore } from './sync-state-store';

export interface ResolveRequest {
  readonly conflictId: string;
  readonly take: ConflictTake;
  /** For `merged`: the record to keep (attribute path -> DynamoDB value). */
  readonly merged?: SyncRecord | null;
  readonly actor: string;
  readonly reason: string;
}

export interface ResolveReport {
  readonly entry: ConflictEntry;
  readonly wroteService: boolean;
  readonly wroteMonolith: boolean;
  /** Queued changes replayed after the key was unparked, and those dropped as part of the conflict. */
  readonly replayed: number;
  readonly dropped: number;
}

export interface ConflictResolutionDeps {
  readonly catalog: SyncCatalog;
  readonly ledger: SyncLedgerStore;
  readonly state: SyncStateStore;
  readonly items: Pick<ItemApplier, 'apply' | 'writeResolved'>;
  /** The monolith writer; without it the monolith row is not written and its queue is not replayed. */
  readonly writer?: SqlRowWriter;
  readonly stream?: Pick<StreamApplier, 'apply'>;
  readonly notifier?: ConflictNotifier;
  readonly now?: () => Date;
}

/**
 * Settles a parked (manual) conflict: the chosen record goes to both sides as sync writes, the ledger
 * records who chose what and why, the key is unparked and the changes queued behind it replay in order.
 * The changes that made the conflict are dropped from the queue (the choice settled them); later ones
 * apply on top of the resolution and the policy judges them again.
 */
export class ConflictResolution {
  public constructor(private readonly deps: ConflictResolutionDeps) {}

  public async resolve(req: ResolveRequest): Promise<ResolveReport> {
    const entry = await this.deps.ledger.get(req.conflictId);
    if (!entry)
      throw new SyncError(`no conflict ${req.conflictId} in the ledger (cutover sync conflicts list)`, { conflictId: req.conflictId });
    if (entry.status !== 'open')
      throw new SyncError(`conflict ${req.conflictId} is already resolved (by ${entry.resolvedBy ?? 'unknown'})`, {
        conflictId: req.conflictId,
      });
    const entity = this.deps.catalog.entities.get(entry.entity);
    if (!entity)
      throw new SyncError(`conflict ${req.conflictId} is about ${entry.entity}, which the spec no longer syncs`, { entity: entry.entity });
    let result: SyncRecord | null;
    if (req.take === 'monolith') result = entry.monolith;
    else if (req.take === 'service') result = entry.service;
    else {
      if (req.merged === undefined) throw new SyncError('--take merged needs the merged record (--merged \'{"field":{"S":"value"}}\')', {});
      result = req.merged;
    }

    const wroteService = await this.deps.items.writeResolved(entry.entity, entry.key, result);
    let wroteMonolith = false;
    if (this.deps.writer) {
      const image = keyFromText(entry.key, entity.mapping.compiled.keyAttributes);
      const rowKey = entity.mapping.rowKeyOfItem(
        result ? { ...result, ...image } : { ...(entry.monolith ?? entry.service ?? {}), ...image },
      );
      const res = await this.deps.writer.write({
        table: entity.mapping.sourceTable,
        key: rowKey,
        operation: result === null ? 'delete' : 'update',
        values: result ? entity.mapping.recordToRow(result, entity.rules.oneWay ?? []) : {},
      });
      if (res.status === 'conflict' && result !== null) {
        // The row is gone: write it back as an insert.
        await this.deps.writer.write({
          table: entity.mapping.sourceTable,
          key: rowKey,
          operation: 'insert',
          values: entity.mapping.recordToRow(result, entity.rules.oneWay ?? []),
        });
      }
      wroteMonolith = true;
    }
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    const resolved = await this.deps.ledger.resolve(req.conflictId, { take: req.take, result, actor: req.actor, reason: req.reason, at });
    await this.deps.notifier?.resolved(resolved);

    // Replay what waited behind the key.
    await this.deps.state.unpark(entry.entity, entry.key);
    let replayed = 0;
    let dropped = 0;
    const same = (a: SyncRecord | null, b: SyncRecord | null) => (a === null || b === null ? a === b : sameFields(a, b, fieldsOf(a, b)));
    for (const q of await this.deps.state.queued(entry.entity, entry.key)) {
      if (q.target === 'monolith' && !this.deps.stream) continue;
      const body = JSON.parse(q.body) as Record<string, unknown>;
      let after: SyncRecord | null;
      if (q.target === 'service') {
        const r = (body as { after: Record<string, string | null> | null }).after;
        after = r ? (entity.mapping.rowToRecord(r).record ?? null) : null;
      } else {
        const img = (body as StreamChange).dynamodb?.NewImage;
        after = img ? entity.mapping.itemToRecord(img as never) : null;
      }
      const part = q.target === 'service' ? same(after, entry.monolith) : same(after, entry.service);
      // Dequeue first: a replayed change that parks the key again queues itself again (same slot).
      await this.deps.state.dequeue(entry.entity, entry.key, q);
      if (part || (q.position === entry.incoming.position && q.target !== entry.incoming.side)) dropped += 1;
      else {
        if (q.target === 'service') await this.deps.items.apply(body as never);
        else await this.deps.stream!.apply(body as StreamChange);
        replayed += 1;
      }
    }
    return { entry: resolved, wroteService, wroteMonolith, replayed, dropped };
  }
}
