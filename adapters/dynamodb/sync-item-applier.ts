import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue as SdkAttributeValue,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../aws/clients';
import type { RowChange } from '../../core/sync/change';
import type { SyncCatalog, SyncedEntity } from '../../core/sync/catalog';
import { decide, type IncomingChange } from '../../core/sync/engine';
import { ledgerEntry } from '../../core/sync/ledger';
import type { ResolverRegistry } from '../../core/sync/policy';
import type { SyncRecord } from '../../core/sync/record';
import { SyncError } from '../../core/sync/errors';
import type { RowReject } from '../../core/migration/mapping';
import type { AttributeValue, Item } from '../../core/migration/attribute-value';
import { elementEntityKey, elementRules, findElement, listOf, withStoredElement } from '../../core/sync/children';
import type { SyncChildMapping } from '../../core/sync/mapping';
import { keyFromText } from '../../core/migration/canonical';
import type { ConflictNotifier } from '../aws/sync-notifier';
import type { SyncStateStore } from './sync-state-store';
import { isConditionFailure } from './audit-store';

/**
 * Hidden attributes the sync keeps on each item. The applier bumps `_syncVersion` on every write it makes
 * and an application write never touches it: that is how the stream consumer tells the sync's own writes
 * (skip them: no loop) from the service's. `_syncMonolithPos` is the last monolith change id applied, in
 * the same conditional write as the data, so a redelivered change is applied once.
 */
export const SYNC_VERSION_ATTR = '_syncVersion';
export const SYNC_POSITION_ATTR = '_syncMonolithPos';
export const SYNC_ORIGIN_ATTR = '_syncOrigin';
/** Set just before the sync deletes an item, so the stream consumer can tell the sync's delete from the service's. */
export const SYNC_DELETING_ATTR = '_syncDeleting';

export type ItemApplyOutcome =
  | { readonly status: 'applied' | 'noop'; readonly conflictId?: string }
  | { readonly status: 'duplicate' | 'loop' | 'unmapped' | 'oneWay' }
  | { readonly status: 'parked' | 'queued'; readonly conflictId: string }
  | { readonly status: 'rejected'; readonly reject: RowReject };

export interface ItemApplierDeps {
  readonly catalog: SyncCatalog;
  /** Logical table name (spec) -> deployed table name. */
  readonly tableNames: Readonly<Record<string, string>>;
  readonly state: SyncStateStore;
  readonly notifier: ConflictNotifier;
  readonly client?: DynamoDBClient;
  readonly resolvers?: ResolverRegistry;
  readonly now?: () => Date;
  /** Tries of read-decide-write when the service writes the item in between. @default 5 */
  readonly maxAttempts?: number;
}

/**
 * Monolith -> services: applies one captured row change to the service's item. Read the item, let the
 * engine decide against it, write with a condition that the item is exactly what was read (every mapped
 * attribute and the sync position), so a service write in between makes the write fail and the decision
 * is taken again on the new item rather than overwriting it.
 */
export class ItemApplier {
  private readonly client: DynamoDBClient;

  public constructor(private readonly deps: ItemApplierDeps) {
    this.client = deps.client ?? dynamoDbClient();
  }

  public async apply(change: RowChange): Promise<ItemApplyOutcome> {
    // The sync's own writes are captured with origin `sync` and must never come back (no loop).
    if (change.origin === 'sync') return { status: 'loop' };
    const entity = this.deps.catalog.bySourceTable(change.table);
    if (!entity) {
      const owner = this.deps.catalog.byChildTable(change.table);
      if (!owner) return { status: 'unmapped' };
      if (owner.entity.direction === 'toMonolith') return { status: 'oneWay' };
      return this.applyChild(change, owner.entity, owner.child);
    }
    if (entity.direction === 'toMonolith') return { status: 'oneWay' };
    const before = this.toRecord(entity, change.before);
    if (before && 'reject' in before) return { status: 'rejected', reject: before.reject };
    const after = this.toRecord(entity, change.after);
    if (after && 'reject' in after) return { status: 'rejected', reject: after.reject };

    const keyItem = entity.mapping.itemKeyOfRow(change.key);
    const key = entity.mapping.keyTextOf(keyItem);
    const tableName = this.deps.tableNames[entity.table] ?? entity.table;
    const attempts = this.deps.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const read = await this.readForApply(entity, key, keyItem, tableName, change);
      if ('outcome' in read) return read.outcome;
      const { item } = read;
      const current = item ? entity.mapping.itemToRecord(item) : null;
      const decision = decide({
        entity: entity.name,
        key,
        rules: entity.rules,
        change: monolithIncoming(change, before?.record, after?.record),
        current,
        resolvers: this.deps.resolvers,
      });
      const at = (this.deps.now?.() ?? new Date()).toISOString();
      if (decision.kind === 'park') {
        await this.deps.notifier.detected(ledgerEntry(decision.conflict, at));
        const by = await this.deps.state.park(entity.name, key, decision.conflict.conflictId, at);
        await this.deps.state.enqueue(entity.name, key, { target: 'service', position: change.changeId, body: JSON.stringify(change) });
        return { status: 'parked', conflictId: by };
      }
      try {
        await this.write(tableName, entity, keyItem, item, decision.kind === 'apply' ? decision.result : current, change.changeId);
      } catch (err) {
        if (isConditionFailure(err) && attempt < attempts) continue;
        if (isConditionFailure(err))
          throw new SyncError(
            `${entity.name} ${key}: the item kept changing during ${attempts} tries to apply change ${change.changeId}`,
            { entity: entity.name, key, changeId: change.changeId },
            { cause: err },
          );
        throw err;
      }
      if (decision.conflict) await this.deps.notifier.detected(ledgerEntry(decision.conflict, at));
      return {
        status: decision.kind === 'apply' ? 'applied' : 'noop',
        ...(decision.conflict ? { conflictId: decision.conflict.conflictId } : {}),
      };
    }
  }

  /**
   * One embedded child row's change: an insert, update or delete of the list element with the row's key
   * (its order columns), decided by the engine per element (core/sync/children.ts) and written to the root
   * item on condition that its list and sync position are still as read, with the same version bump and
   * position as a root write (so the stream consumer skips it and a redelivery is recognised).
   */
  private async applyChild(change: RowChange, entity: SyncedEntity, child: SyncChildMapping): Promise<ItemApplyOutcome> {
    const map = (row: RowChange['before']) => (row ? child.rowToElement(row) : null);
    const before = map(change.before);
    if (before?.reject) return { status: 'rejected', reject: before.reject };
    const after = map(change.after);
    if (after?.reject) return { status: 'rejected', reject: after.reject };
    const keyItem = entity.mapping.itemKeyOfRow(
      child.rootKeyOfRow((change.after ?? change.before ?? change.key) as Record<string, string | null>),
    );
    const key = entity.mapping.keyTextOf(keyItem);
    const element = (after?.record ?? before?.record) as SyncRecord;
    const elementKey = child.elementKey(element);
    const rules = elementRules(entity.rules, child);
    const tableName = this.deps.tableNames[entity.table] ?? entity.table;
    const attempts = this.deps.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const read = await this.readForApply(entity, key, keyItem, tableName, change);
      if ('outcome' in read) return read.outcome;
      const { item } = read;
      // No root item: the service deleted the order (a delete wins over a concurrent update) or never had it.
      if (!item) return { status: 'noop' };
      const stored = item[child.attribute];
      const list = stored && 'L' in stored ? stored.L : [];
      const current = findElement(child, listOf(item, child), elementKey);
      const decision = decide({
        entity: entity.name,
        key: elementEntityKey(key, child, element),
        rules,
        change: monolithIncoming(change, before?.record, after?.record),
        current,
        resolvers: this.deps.resolvers,
      });
      const at = (this.deps.now?.() ?? new Date()).toISOString();
      // Element rules never park (core/sync/children.ts): a manual rule is the monolith's win for an element.
      if (decision.kind === 'park')
        throw new SyncError(`${entity.name} ${key}: a list element cannot be parked`, { entity: entity.name, key });
      const next = decision.kind === 'apply' ? withStoredElement(child, list, elementKey, decision.result) : list;
      try {
        await this.writeList(tableName, entity, child, keyItem, item, next, change.changeId);
      } catch (err) {
        if (isConditionFailure(err) && attempt < attempts) continue;
        if (isConditionFailure(err))
          throw new SyncError(
            `${entity.name} ${key}: the item's ${child.attribute} kept changing during ${attempts} tries to apply change ${change.changeId}`,
            { entity: entity.name, key, changeId: change.changeId },
            { cause: err },
          );
        throw err;
      }
      if (decision.conflict) await this.deps.notifier.detected(ledgerEntry(decision.conflict, at));
      return {
        status: decision.kind === 'apply' ? 'applied' : 'noop',
        ...(decision.conflict ? { conflictId: decision.conflict.conflictId } : {}),
      };
    }
  }

  /**
   * What a root or element change finds before deciding, at each try: queued behind the key's open conflict
   * (a manual policy parked it; the change waits its turn), already applied (the item's sync position is at
   * or past it: a redelivery), or the item as it is now (a consistent read, so the conditional write that
   * follows compares against the latest).
   */
  private async readForApply(
    entity: SyncedEntity,
    key: string,
    keyItem: Item,
    tableName: string,
    change: RowChange,
  ): Promise<{ readonly outcome: ItemApplyOutcome } | { readonly item: Item | undefined }> {
    const parkedBy = await this.deps.state.parkedBy(entity.name, key);
    if (parkedBy) {
      await this.deps.state.enqueue(entity.name, key, { target: 'service', position: change.changeId, body: JSON.stringify(change) });
      return { outcome: { status: 'queued', conflictId: parkedBy } };
    }
    const got = await this.client.send(
      new GetItemCommand({ TableName: tableName, Key: keyItem as Record<string, SdkAttributeValue>, ConsistentRead: true }),
    );
    const item = got.Item as Item | undefined;
    const applied = item?.[SYNC_POSITION_ATTR];
    if (applied && 'N' in applied && BigInt(applied.N) >= BigInt(change.changeId)) return { outcome: { status: 'duplicate' } };
    return { item };
  }

  /**
   * Writes an item's list on condition that the item, its sync position and every mapped leaf of every
   * element are as read (leaf conditions, like the root write; a list too long for DynamoDB's 4 KB
   * expression limit is compared whole instead).
   */
  private async writeList(
    tableName: string,
    entity: SyncedEntity,
    child: SyncChildMapping,
    keyItem: Item,
    read: Item,
    next: AttributeValue[],
    position: string,
  ): Promise<void> {
    const names: Record<string, string> = {
      '#k': entity.mapping.compiled.keyAttributes[0],
      '#l': child.attribute,
      '#pos': SYNC_POSITION_ATTR,
    };
    const values: Record<string, SdkAttributeValue> = {};
    const conditions = ['attribute_exists(#k)'];
    const readPos = read[SYNC_POSITION_ATTR];
    if (readPos) {
      values[':rpos'] = readPos as SdkAttributeValue;
      conditions.push('#pos = :rpos');
    } else conditions.push('attribute_not_exists(#pos)');
    const stored = read[child.attribute];
    if (!stored) conditions.push('attribute_not_exists(#l)');
    else {
      const leaves: string[] = [];
      const elements = 'L' in stored ? stored.L : [];
      values[':n'] = { N: String(elements.length) };
      leaves.push('size(#l) = :n');
      const pathNames = new Map<string, string>();
      const ref = (part: string) => {
        let n = pathNames.get(part);
        if (!n) {
          n = `#e${pathNames.size}`;
          pathNames.set(part, n);
          names[n] = part;
        }
        return n;
      };
      elements.forEach((e, i) => {
        const record = child.elementOf(e);
        for (const f of child.fields) {
          const path = `#l[${i}].${f.split('.').map(ref).join('.')}`;
          const v = record[f];
          if (v === undefined) leaves.push(`attribute_not_exists(${path})`);
          else {
            const name = `:v${Object.keys(values).length}`;
            values[name] = v as SdkAttributeValue;
            leaves.push(`${path} = ${name}`);
          }
        }
      });
      const expression = leaves.join(' AND ');
      if (expression.length <= 3000) conditions.push(expression);
      else {
        for (const n of Object.keys(values)) if (n.startsWith(':v') || n === ':n') delete values[n];
        for (const n of pathNames.values()) delete names[n];
        values[':whole'] = stored as SdkAttributeValue;
        conditions.push('#l = :whole');
      }
    }
    names['#ver'] = SYNC_VERSION_ATTR;
    names['#org'] = SYNC_ORIGIN_ATTR;
    values[':pos'] = { N: position };
    values[':zero'] = { N: '0' };
    values[':one'] = { N: '1' };
    values[':sync'] = { S: 'sync' };
    const sets = ['#pos = :pos', '#ver = if_not_exists(#ver, :zero) + :one', '#org = :sync'];
    let remove = '';
    if (next.length === 0 && child.whenNone === 'absent') remove = ' REMOVE #l';
    else {
      values[':list'] = { L: next } as SdkAttributeValue;
      sets.push('#l = :list');
    }
    await this.client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: keyItem as Record<string, SdkAttributeValue>,
        UpdateExpression: `SET ${sets.join(', ')}${remove}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * Writes a manual resolution to the item (a sync write: the stream consumer skips it), on condition that
   * the item is still as read. Returns false when the entity is unknown.
   */
  public async writeResolved(entityName: string, keyText: string, record: SyncRecord | null): Promise<boolean> {
    const entity = this.deps.catalog.entities.get(entityName);
    if (!entity) return false;
    const keyItem = keyFromText(keyText, entity.mapping.compiled.keyAttributes);
    const tableName = this.deps.tableNames[entity.table] ?? entity.table;
    for (let attempt = 1; ; attempt++) {
      const got = await this.client.send(
        new GetItemCommand({ TableName: tableName, Key: keyItem as Record<string, SdkAttributeValue>, ConsistentRead: true }),
      );
      const item = got.Item as Item | undefined;
      const position = item?.[SYNC_POSITION_ATTR] && 'N' in item[SYNC_POSITION_ATTR] ? item[SYNC_POSITION_ATTR].N : '0';
      try {
        await this.write(tableName, entity, keyItem, item, record, position);
        return true;
      } catch (err) {
        if (!isConditionFailure(err) || attempt >= (this.deps.maxAttempts ?? 5)) throw err;
      }
    }
  }

  private toRecord(entity: SyncedEntity, row: RowChange['before']): { record: SyncRecord } | { reject: RowReject } | null {
    if (!row) return null;
    const r = entity.mapping.rowToRecord(row);
    return r.reject ? { reject: r.reject } : { record: r.record };
  }

  /**
   * Writes `result` (null: delete) on condition that the item is still `read`. A no-op still records the
   * position, so a redelivery is recognised without deciding again.
   */
  private async write(
    tableName: string,
    entity: SyncedEntity,
    keyItem: Item,
    read: Item | undefined,
    result: SyncRecord | null,
    position: string,
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, SdkAttributeValue> = {};
    const conditions: string[] = [];
    const keyAttrs = new Set(entity.mapping.compiled.keyAttributes);
    // One condition per mapped attribute path (leaf values: comparing whole maps is not portable across
    // DynamoDB implementations), plus the sync position.
    const paths = [...entity.mapping.fields.filter((f) => !keyAttrs.has(f)), SYNC_POSITION_ATTR];
    const seen = read ? entity.mapping.itemToRecord(read) : {};
    let n = 0;
    for (const path of paths) {
      const ref = path
        .split('.')
        .map((part) => {
          const name = `#c${n++}`;
          names[name] = part;
          return name;
        })
        .join('.');
      const v = path === SYNC_POSITION_ATTR ? read?.[SYNC_POSITION_ATTR] : seen[path];
      if (v === undefined) conditions.push(`attribute_not_exists(${ref})`);
      else {
        values[`:c${n}`] = v as SdkAttributeValue;
        conditions.push(`${ref} = :c${n}`);
      }
    }
    const first = entity.mapping.compiled.keyAttributes[0];
    names['#k'] = first;
    conditions.push(read ? 'attribute_exists(#k)' : 'attribute_not_exists(#k)');
    const ConditionExpression = conditions.join(' AND ');
    const Key = keyItem as Record<string, SdkAttributeValue>;
    if (result === null) {
      if (!read) return;
      // Mark first (a sync write: its version moves), then delete what was marked: the stream's REMOVE
      // record then carries the mark in its old image and is not shipped back.
      names['#del'] = SYNC_DELETING_ATTR;
      names['#ver'] = SYNC_VERSION_ATTR;
      values[':del'] = { S: position };
      values[':zero'] = { N: '0' };
      values[':one'] = { N: '1' };
      await this.client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key,
          UpdateExpression: 'SET #del = :del, #ver = if_not_exists(#ver, :zero) + :one',
          ConditionExpression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      await this.client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key,
          ConditionExpression: '#del = :del',
          ExpressionAttributeNames: { '#del': SYNC_DELETING_ATTR },
          ExpressionAttributeValues: { ':del': { S: position } },
        }),
      );
      return;
    }
    const { set, remove } = entity.mapping.recordToItem(result);
    // A new item gets its embedded lists as the migration builds them: empty until child rows arrive.
    if (!read) for (const c of entity.mapping.children) if (c.whenNone === 'empty') set[c.attribute] = { L: [] };
    const sets: string[] = [];
    Object.entries(set).forEach(([a, v], i) => {
      names[`#s${i}`] = a;
      values[`:s${i}`] = v as SdkAttributeValue;
      sets.push(`#s${i} = :s${i}`);
    });
    names['#pos'] = SYNC_POSITION_ATTR;
    names['#ver'] = SYNC_VERSION_ATTR;
    names['#org'] = SYNC_ORIGIN_ATTR;
    values[':pos'] = { N: position };
    values[':zero'] = { N: '0' };
    values[':one'] = { N: '1' };
    values[':sync'] = { S: 'sync' };
    sets.push('#pos = :pos', '#ver = if_not_exists(#ver, :zero) + :one', '#org = :sync');
    const removes = remove.map((a, i) => {
      names[`#r${i}`] = a;
      return `#r${i}`;
    });
    await this.client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key,
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }
}

/** The monolith's side of a captured change, as the engine weighs it against the service's item. */
function monolithIncoming(change: RowChange, before: SyncRecord | undefined, after: SyncRecord | undefined): IncomingChange {
  return { side: 'monolith', position: change.changeId, before: before ?? null, after: after ?? null, at: change.committedAt };
}
