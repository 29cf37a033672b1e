import type { SqlRowWrite, SqlRowWriter } from '../../core/sync/change';
import type { SyncCatalog, SyncedEntity } from '../../core/sync/catalog';
import { decide } from '../../core/sync/engine';
import { ledgerEntry } from '../../core/sync/ledger';
import type { ResolverRegistry } from '../../core/sync/policy';
import type { SyncRecord } from '../../core/sync/record';
import { SyncError } from '../../core/sync/errors';
import type { Item } from '../../core/migration/attribute-value';
import type { ConflictNotifier } from '../aws/sync-notifier';
import { positionAtOrBefore, type SyncStateStore } from './sync-state-store';
import { SYNC_DELETING_ATTR, SYNC_VERSION_ATTR } from './sync-item-applier';

/** The part of a DynamoDB Streams record the applier reads (NEW_AND_OLD_IMAGES). */
export interface StreamChange {
  readonly eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | string;
  readonly eventSourceARN?: string;
  readonly dynamodb?: {
    readonly Keys?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
    readonly NewImage?: Record<string, unknown>;
    readonly SequenceNumber?: string;
    readonly ApproximateCreationDateTime?: number;
  };
}

export type StreamApplyOutcome =
  | { readonly status: 'applied' | 'noop'; readonly conflictId?: string }
  | { readonly status: 'duplicate' | 'loop' | 'unmapped' | 'oneWay' }
  | { readonly status: 'parked' | 'queued'; readonly conflictId: string };

export interface StreamApplierDeps {
  readonly catalog: SyncCatalog;
  /** Logical table name (spec) -> deployed table name. */
  readonly tableNames: Readonly<Record<string, string>>;
  readonly state: SyncStateStore;
  readonly notifier: ConflictNotifier;
  /** The monolith's SQL writer: one row change per transaction, tagged origin `sync`. */
  readonly writer: SqlRowWriter;
  readonly resolvers?: ResolverRegistry;
  readonly now?: () => Date;
  /** @default 5 */
  readonly maxAttempts?: number;
}

/** The table name in a stream ARN (`arn:aws:dynamodb:...:table/<name>/stream/<label>`). */
export function tableOfStreamArn(arn: string): string {
  const m = /:table\/([^/]+)\/stream\//.exec(arn);
  if (!m) throw new SyncError(`not a DynamoDB stream ARN: ${JSON.stringify(arn)}`, { arn });
  return m[1];
}

/**
 * Services -> monolith: applies one stream record to the monolith row. The sync's own item writes are
 * skipped (their `_syncVersion` moved; an application write never moves it). The row is written with the
 * record's old image as the expected values; if the monolith moved on, the writer answers with the row
 * as it is and the engine decides against it, then the result is written expecting exactly that row.
 *
 * Exactly-once effect under redelivery: every write carries the stream record's id (table and sequence
 * number) as its `changeId`, which the SQL writer records in the same transaction as the row; a
 * redelivery after a crash finds it and writes nothing (a `delta` field is never applied twice). The row's
 * values cannot tell a redelivery from a concurrent change that left the same values (both sides selling 3
 * from 10), so they are never used for that. The intended result and any conflict found are recorded
 * before each write, so a conflict whose write committed just before a crash still reaches the ledger.
 */
export class StreamApplier {
  private readonly logical: Map<string, string>;

  public constructor(private readonly deps: StreamApplierDeps) {
    this.logical = new Map(Object.entries(deps.tableNames).map(([l, d]) => [d, l]));
  }

  public async apply(record: StreamChange): Promise<StreamApplyOutcome> {
    const ddb = record.dynamodb ?? {};
    const oldImage = ddb.OldImage as Item | undefined;
    const newImage = ddb.NewImage as Item | undefined;
    const deployed = tableOfStreamArn(record.eventSourceARN ?? '');
    const table = this.logical.get(deployed) ?? deployed;
    const image = newImage ?? oldImage;
    if (!image) return { status: 'unmapped' };
    const entity = this.deps.catalog.byItem(table, image);
    if (!entity) return { status: 'unmapped' };
    if (entity.direction === 'toService') return { status: 'oneWay' };
    if (isSyncWrite(oldImage, newImage)) return { status: 'loop' };

    const key = entity.mapping.keyTextOf(image);
    const position = ddb.SequenceNumber ?? '';
    if (!/^\d+$/.test(position)) throw new SyncError(`stream record of ${table} has no sequence number`, { table });
    const parkedBy = await this.deps.state.parkedBy(entity.name, key);
    if (parkedBy) {
      await this.deps.state.enqueue(entity.name, key, { target: 'monolith', position, body: JSON.stringify(record) });
      return { status: 'queued', conflictId: parkedBy };
    }
    const state = await this.deps.state.streamState(entity.name, key);
    if (positionAtOrBefore(position, state.position)) return { status: 'duplicate' };

    const before = oldImage ? entity.mapping.itemToRecord(oldImage) : null;
    const after = newImage ? entity.mapping.itemToRecord(newImage) : null;
    const at = ddb.ApproximateCreationDateTime
      ? new Date(ddb.ApproximateCreationDateTime * 1000).toISOString()
      : (this.deps.now?.() ?? new Date()).toISOString();
    const rowKey = entity.mapping.rowKeyOfItem(image);
    const oneWay = entity.rules.oneWay ?? [];
    const table_ = entity.mapping.sourceTable;
    const rowOf = (r: SyncRecord | null) => (r ? entity.mapping.recordToRow(r, oneWay) : {});
    const inflight = state.inflight?.position === position ? state.inflight : undefined;
    const changeId = `${deployed}/${position}`;

    let write: SqlRowWrite = {
      table: table_,
      key: rowKey,
      operation: after === null ? 'delete' : before === null ? 'insert' : 'update',
      values: rowOf(after),
      ...(before ? { expected: rowOf(before) } : {}),
      changeId,
    };
    let intended: SyncRecord | null = after;
    let conflictId: string | undefined;
    let pendingConflict: Parameters<typeof ledgerEntry>[0] | undefined;
    const attempts = this.deps.maxAttempts ?? 5;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await this.deps.state.markInflight(entity.name, key, position, intended, pendingConflict);
      const res = await this.deps.writer.write(write);
      if (res.status === 'applied' && res.replayed) {
        // Applied before a crash: only the bookkeeping after the write may be missing (the ledger dedups).
        if (inflight?.conflict)
          await this.deps.notifier.detected(ledgerEntry(inflight.conflict, (this.deps.now?.() ?? new Date()).toISOString()));
        await this.deps.state.markApplied(entity.name, key, position);
        return { status: 'duplicate' };
      }
      if (res.status === 'applied') {
        if (pendingConflict)
          await this.deps.notifier.detected(ledgerEntry(pendingConflict, (this.deps.now?.() ?? new Date()).toISOString()));
        await this.deps.state.markApplied(entity.name, key, position);
        return { status: 'applied', ...(conflictId ? { conflictId } : {}) };
      }
      const current = res.current ? this.recordOfRow(entity, res.current) : null;
      const decision = decide({
        entity: entity.name,
        key,
        rules: entity.rules,
        change: { side: 'service', position, before, after, at },
        current,
        resolvers: this.deps.resolvers,
      });
      const now = (this.deps.now?.() ?? new Date()).toISOString();
      if (decision.kind === 'park') {
        await this.deps.notifier.detected(ledgerEntry(decision.conflict, now));
        const by = await this.deps.state.park(entity.name, key, decision.conflict.conflictId, now);
        await this.deps.state.enqueue(entity.name, key, { target: 'monolith', position, body: JSON.stringify(record) });
        return { status: 'parked', conflictId: by };
      }
      if (decision.kind === 'noop') {
        if (decision.conflict) await this.deps.notifier.detected(ledgerEntry(decision.conflict, now));
        await this.deps.state.markApplied(entity.name, key, position);
        return { status: 'noop', ...(decision.conflict ? { conflictId: decision.conflict.conflictId } : {}) };
      }
      pendingConflict = decision.conflict;
      conflictId = decision.conflict?.conflictId;
      intended = decision.result;
      write = {
        table: table_,
        key: rowKey,
        operation: decision.result === null ? 'delete' : res.current === null ? 'insert' : 'update',
        values: rowOf(decision.result),
        ...(res.current ? { expected: res.current } : {}),
        changeId,
      };
    }
    throw new SyncError(
      `${entity.name} ${key}: the monolith row kept changing during ${attempts} tries to apply stream record ${position}`,
      { entity: entity.name, key, position },
    );
  }

  private recordOfRow(entity: SyncedEntity, row: Readonly<Record<string, string | null>>): SyncRecord {
    const r = entity.mapping.rowToRecord({ ...row });
    if (r.reject) {
      throw new SyncError(`${entity.name}: the monolith row ${JSON.stringify(row)} cannot be mapped (${r.reject.reason})`, {
        entity: entity.name,
        reject: r.reject,
      });
    }
    return r.record;
  }
}

/** The sync's own item write: its version moved (an application write never touches it) or it is the sync's delete. */
export function isSyncWrite(oldImage: Item | undefined, newImage: Item | undefined): boolean {
  if (!newImage) return oldImage?.[SYNC_DELETING_ATTR] !== undefined;
  const n = newImage[SYNC_VERSION_ATTR];
  const o = oldImage?.[SYNC_VERSION_ATTR];
  if (n === undefined) return false;
  return JSON.stringify(n) !== JSON.stringify(o);
}
