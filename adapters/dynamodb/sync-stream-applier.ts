import type { SqlRowWrite, SqlRowWriter, SqlWriteResult } from '../../core/sync/change';
import { diffList, elementEntityKey, elementRules, listOf } from '../../core/sync/children';
import type { ConflictFinding } from '../../core/sync/engine';
import type { SyncChildMapping } from '../../core/sync/mapping';
import type { EntitySyncRules } from '../../core/sync/policy';
import { changedFields } from '../../core/sync/record';
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

/** One row the stream applier writes: the root row, or one embedded element's child row. */
interface Part {
  /** The engine's and the ledger's key (an element's adds the list and its key). */
  readonly key: string;
  readonly rules: EntitySyncRules;
  readonly table: string;
  readonly rowKey: Readonly<Record<string, string>>;
  readonly before: SyncRecord | null;
  readonly after: SyncRecord | null;
  toRow(record: SyncRecord): Record<string, string | null>;
  fromRow(row: Readonly<Record<string, string | null>>): SyncRecord;
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
    // An item of a `collection` child lives in the root's partition: it is not the root row (and does not sync yet).
    if (entity.mapping.unsynced.length > 0 && !isRootItem(entity, image)) return { status: 'unmapped' };
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
    const inflight = state.inflight?.position === position ? state.inflight : undefined;
    const changeId = `${deployed}/${position}`;

    // The root row and every embedded element that differs between the images, each decided on its own
    // (core/sync/children.ts) and written in one transaction: the root first, or last when it is deleted.
    const root: Part = {
      key,
      rules: entity.rules,
      table: entity.mapping.sourceTable,
      rowKey,
      before,
      after,
      toRow: (r) => entity.mapping.recordToRow(r, oneWay),
      fromRow: (row) => this.recordOfRow(entity, row),
    };
    const elements: Part[] = [];
    for (const child of entity.mapping.children) {
      const rules = elementRules(entity.rules, child);
      for (const c of diffList(child, listOf(oldImage, child), listOf(newImage, child))) {
        const element = (c.after ?? c.before) as SyncRecord;
        elements.push({
          key: elementEntityKey(key, child, element),
          rules,
          table: child.table,
          rowKey: child.rowKeyOf(element, rowKey),
          before: c.before,
          after: c.after,
          toRow: (r) => child.elementToRow(r),
          fromRow: (row) => this.elementOfRow(entity, child, row),
        });
      }
    }
    const rootChanged = before === null || after === null || changedFields(before, after).length > 0;
    const parts = !rootChanged && elements.length > 0 ? elements : after === null ? [...elements, root] : [root, ...elements];
    const writeOf = (part: Part, result: SyncRecord | null, expected: SqlRowWrite['expected'], exists: boolean): SqlRowWrite => ({
      table: part.table,
      key: part.rowKey,
      operation: result === null ? 'delete' : exists ? 'update' : 'insert',
      values: result ? part.toRow(result) : {},
      ...(expected ? { expected } : {}),
      changeId,
    });
    let writes = parts.map((part) => writeOf(part, part.after, part.before ? part.toRow(part.before) : undefined, part.before !== null));
    let live = parts.map((_, i) => i);
    let intended: SyncRecord | null = rootChanged || elements.length === 0 ? after : before;
    const found = new Map<number, ConflictFinding>();
    const attempts = this.deps.maxAttempts ?? 5;
    const now = () => (this.deps.now?.() ?? new Date()).toISOString();
    const toLedger = async (conflicts: Iterable<ConflictFinding>) => {
      for (const c of conflicts) await this.deps.notifier.detected(ledgerEntry(c, now()));
    };
    const firstId = () => [...found.values()][0]?.conflictId;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const [first, ...more] = found.values();
      await this.deps.state.markInflight(entity.name, key, position, intended, first, more);
      const results = await this.writeAll(writes);
      if (results[0]?.status === 'applied' && results[0].replayed) {
        // Applied before a crash: only the bookkeeping after the write may be missing (the ledger dedups).
        await toLedger([...(inflight?.conflict ? [inflight.conflict] : []), ...(inflight?.conflicts ?? [])]);
        await this.deps.state.markApplied(entity.name, key, position);
        return { status: 'duplicate' };
      }
      if (results.every((r) => r.status === 'applied')) {
        await toLedger(found.values());
        await this.deps.state.markApplied(entity.name, key, position);
        const id = firstId();
        return { status: writes.length === 0 ? 'noop' : 'applied', ...(id ? { conflictId: id } : {}) };
      }
      const nextWrites: SqlRowWrite[] = [];
      const nextLive: number[] = [];
      for (const [i, res] of results.entries()) {
        const index = live[i];
        const part = parts[index];
        if (res.status === 'applied') {
          nextWrites.push(writes[i]);
          nextLive.push(index);
          continue;
        }
        const current = res.current ? part.fromRow(res.current) : null;
        const decision = decide({
          entity: entity.name,
          key: part.key,
          rules: part.rules,
          change: { side: 'service', position, before: part.before, after: part.after, at },
          current,
          resolvers: this.deps.resolvers,
        });
        if (decision.kind === 'park') {
          await this.deps.notifier.detected(ledgerEntry(decision.conflict, now()));
          const by = await this.deps.state.park(entity.name, key, decision.conflict.conflictId, now());
          await this.deps.state.enqueue(entity.name, key, { target: 'monolith', position, body: JSON.stringify(record) });
          return { status: 'parked', conflictId: by };
        }
        if (decision.conflict) found.set(index, decision.conflict);
        else found.delete(index);
        if (decision.kind === 'noop') continue;
        if (part === root) intended = decision.result;
        nextWrites.push(writeOf(part, decision.result, res.current ?? undefined, res.current !== null));
        nextLive.push(index);
      }
      writes = nextWrites;
      live = nextLive;
      if (writes.length === 0) {
        await toLedger(found.values());
        await this.deps.state.markApplied(entity.name, key, position);
        const id = firstId();
        return { status: 'noop', ...(id ? { conflictId: id } : {}) };
      }
    }
    throw new SyncError(
      `${entity.name} ${key}: the monolith row kept changing during ${attempts} tries to apply stream record ${position}`,
      { entity: entity.name, key, position },
    );
  }

  /** One transaction for the root row and its child rows (a writer that writes one row at a time takes one). */
  private async writeAll(writes: readonly SqlRowWrite[]): Promise<SqlWriteResult[]> {
    if (writes.length === 0) return [];
    if (this.deps.writer.writeAll) return this.deps.writer.writeAll(writes);
    if (writes.length === 1) return [await this.deps.writer.write(writes[0])];
    throw new SyncError(`the SQL writer cannot write ${writes.length} rows in one transaction (it has no writeAll)`, {
      rows: writes.length,
    });
  }

  private elementOfRow(entity: SyncedEntity, child: SyncChildMapping, row: Readonly<Record<string, string | null>>): SyncRecord {
    const r = child.rowToElement({ ...row });
    if (r.reject) {
      throw new SyncError(`${entity.name}.${child.name}: the monolith row ${JSON.stringify(row)} cannot be mapped (${r.reject.reason})`, {
        entity: entity.name,
        reject: r.reject,
      });
    }
    return r.record;
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

/** Whether an item is the entity's root item (its key is the one its row key gives), not a collection child's. */
function isRootItem(entity: SyncedEntity, item: Item): boolean {
  try {
    const own = entity.mapping.itemKeyOfRow(entity.mapping.rowKeyOfItem(item));
    return entity.mapping.keyTextOf(own) === entity.mapping.keyTextOf(item);
  } catch {
    return false;
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
