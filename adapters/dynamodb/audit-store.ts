import { GetCommand, PutCommand, QueryCommand, paginateQuery, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  boundedKey,
  boundedText,
  ChainVerifier,
  originalKey,
  utf8Head,
  entrySortKey,
  ENTRY_PREFIX,
  markerSortKey,
  MARKER_PREFIX,
  nextEntry,
  sequenceOf,
  type AuditEntry,
  type AuditRecord,
  type BrokenLink,
  type ChainHead,
} from '../../core/audit';
import { TransientError } from '../../core/errors';
import { documentClient } from '../aws/clients';

/** Too many writers raced for the head of one stream; the append may be retried (Lambda does). */
export class AuditContentionError extends TransientError {}

export interface AuditStoreOptions {
  readonly tableName: string;
  /** @default - the shared endpoint-aware document client */
  readonly client?: DynamoDBDocumentClient;
  /** Attempts at winning the head of a busy stream before giving up with AuditContentionError. @default 12 */
  readonly maxAttempts?: number;
  /**
   * How many of the newest entries an append reads to find the head and to spot its own event written by an
   * earlier attempt that died before writing the marker. @default 10
   */
  readonly lookback?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default a timer; tests pass a fake */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * How many streams' newest entries the store keeps between appends, so the next append to one of them
   * skips step 2's Query (the ordered queue hands a writer runs of one stream). 0 reads the head every time.
   * @default 1000
   */
  readonly rememberStreams?: number;
}

/**
 * A message id seen before with other content: the same id, a different payload. Recorded as a `conflict`
 * entry in the stream, never silently collapsed into the first.
 */
export interface IdentityConflict {
  readonly key: string;
  readonly firstDigest: string;
  readonly digest: string;
}

export type AppendResult =
  | { readonly status: 'appended'; readonly entry: AuditEntry; readonly attempts: number; readonly conflict?: IdentityConflict }
  | { readonly status: 'duplicate'; readonly stream: string; readonly sequence: number; readonly conflict?: IdentityConflict };

export interface AppendOptions {
  /**
   * The business identity of the event (its message id, scoped by bus) and a digest of what it says. The
   * first digest seen for a key is kept (`M#<key>`); a later event with the key and another digest adds a
   * `conflict` entry to the stream.
   */
  readonly identity?: { readonly key: string; readonly digest: string };
}

/** Sort key prefix of identity markers: after `E#`, before `S#`, so the last `S#` item stays the head. */
export const IDENTITY_PREFIX = 'M#';

/** The longest a descriptive attribute (source, detail-type, message id...) is stored. */
const MAX_ATTRIBUTE_BYTES = 2048;

export interface AuditMarker {
  readonly stream: string;
  readonly eventId: string;
  readonly sequence: number;
}

export interface StreamReport {
  readonly stream: string;
  readonly entries: number;
  readonly head?: ChainHead;
  /** The first broken link of the chain, if any. */
  readonly broken?: BrokenLink;
  /** Markers that point at a missing entry or at another event's entry (a deleted or moved entry). */
  readonly markerProblems: readonly string[];
}

/** An entry as the append needs it: enough to chain the next one and to recognise its own event. */
type RecentEntry = ChainHead & { readonly eventId: string };

interface EntryItem extends AuditEntry {
  readonly sk: string;
}

/**
 * The append-only audit table. Partition `stream`, sort key `sk`: entries `S#<sequence>`, de-duplication
 * markers `E#<eventId>`.
 *
 * Append without transactions (dynalite has none; plain conditional puts work the same on DynamoDB,
 * LocalStack and MiniStack):
 *  1. a consistent GetItem of the marker `E#<eventId>`: present means already appended (redelivery);
 *  2. (in parallel with 1) a consistent Query of the newest `lookback` entries: the newest is the head; one
 *     carrying our eventId means an earlier attempt appended it and died before writing the marker. Skipped
 *     when the store remembers the stream's newest entries from its last append there: if another writer
 *     appended since, step 3 fails its condition and the Query runs then;
 *  3. Put `S#<head + 1>` on `attribute_not_exists(sk)`: failing means another writer took that sequence, so
 *     go back to 2 after a jittered pause (bounded by maxAttempts);
 *  4. Put the marker on `attribute_not_exists(sk)` (a failure means a concurrent duplicate wrote it: fine).
 * A crash can only ever cause a duplicate entry (never a lost one), and only when more than `lookback`
 * entries land on the same stream between the crash and the redelivery.
 * Nothing here updates or deletes: every write is a conditional put of a new key.
 */
export class AuditStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly maxAttempts: number;
  private readonly lookback: number;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly rememberStreams: number;
  /** The newest entries of the streams this store appended to lately (see `remember`). */
  private readonly recent = new Map<string, readonly RecentEntry[]>();

  public constructor(options: AuditStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
    this.maxAttempts = options.maxAttempts ?? 12;
    this.lookback = options.lookback ?? 10;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.rememberStreams = options.rememberStreams ?? 1000;
  }

  /**
   * Appends a record. Never throws for a value derived from input: a stream or event id too long for a
   * DynamoDB key is hashed (`sha256~<hex>`, the original kept in `originalStream` / `originalEventId`), and
   * a payload that would push the item towards 400 KB is cut (its size and hash kept in `payloadCut`).
   */
  public async append(stream: string, record: AuditRecord, options: AppendOptions = {}): Promise<AppendResult> {
    const key = boundedKey(stream);
    const result = await this.appendBounded(key, fitRecord(record, key === stream ? undefined : stream));
    if (!options.identity) return result;
    const conflict = await this.checkIdentity(key, record, options.identity);
    return conflict ? { ...result, conflict } : result;
  }

  /** Keeps the first digest of an identity; on a different one, logs a conflict entry and returns it. */
  private async checkIdentity(
    stream: string,
    record: AuditRecord,
    identity: { key: string; digest: string },
  ): Promise<IdentityConflict | undefined> {
    const sk = `${IDENTITY_PREFIX}${boundedKey(identity.key)}`;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            stream,
            sk,
            identity: originalKey(identity.key),
            digest: identity.digest,
            eventId: boundedKey(record.eventId),
            recordedAt: this.now().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return undefined;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const first = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { stream, sk }, ConsistentRead: true }));
    const firstDigest = String(first.Item?.digest ?? '');
    if (firstDigest === identity.digest) return undefined;
    const conflict: IdentityConflict = { key: identity.key, firstDigest, digest: identity.digest };
    // One conflict entry per distinct content: a redelivery of the conflicting event adds nothing.
    await this.appendBounded(
      stream,
      fitRecord(
        {
          kind: 'conflict',
          eventId: `conflict:${identity.key}:${identity.digest}`,
          messageId: record.messageId,
          bus: record.bus,
          source: record.source,
          detailType: record.detailType,
          eventTime: record.eventTime,
          payload: JSON.stringify({
            identity: identity.key,
            firstEventId: first.Item?.eventId,
            eventId: record.eventId,
            firstDigest,
            digest: identity.digest,
          }),
        },
        undefined,
      ),
    );
    return conflict;
  }

  private async appendBounded(stream: string, record: AuditRecord): Promise<AppendResult> {
    // Steps 1 and 2 are independent reads: issued together, they cost one round trip. Step 2 is skipped when
    // this store appended to (or read) the stream before and remembers its newest entries (see `recent`).
    const remembered = this.recent.get(stream);
    const [marker, firstRecent] = await Promise.all([
      this.getMarker(stream, record.eventId),
      remembered ?? this.newest(stream, this.lookback),
    ]);
    if (marker) return { status: 'duplicate', stream, sequence: marker.sequence };
    let recent = firstRecent;
    // Whether `recent` was read just now: a remembered head may be stale (another writer appended since).
    let fresh = remembered === undefined;
    for (let attempt = 1; attempt <= this.maxAttempts;) {
      const mine = recent.find((e) => e.eventId === record.eventId);
      if (mine && !fresh) {
        // Remembered as logged, yet its marker (written before it was remembered) is gone: the table is not
        // what this store remembers. Believe the table: read the head and decide again.
        this.recent.delete(stream);
        fresh = true;
        recent = await this.newest(stream, this.lookback);
        continue;
      }
      if (mine) {
        await this.putMarker(stream, record.eventId, mine.sequence);
        this.remember(stream, recent);
        return { status: 'duplicate', stream, sequence: mine.sequence };
      }
      const entry = nextEntry(stream, recent[0], record, this.now());
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...entry, sk: entrySortKey(entry.sequence) },
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        this.recent.delete(stream);
        // A stale remembered head is not a lost race: read the head and try again at once, uncounted.
        // Otherwise full jitter on a doubling ceiling: writers that collided spread out instead of colliding again.
        if (fresh) await this.sleep(Math.random() * Math.min(500, 10 * 2 ** attempt++));
        fresh = true;
        recent = await this.newest(stream, this.lookback);
        continue;
      }
      await this.putMarker(stream, record.eventId, entry.sequence);
      this.remember(stream, [{ sequence: entry.sequence, hash: entry.hash, eventId: entry.eventId }, ...recent]);
      return { status: 'appended', entry, attempts: attempt };
    }
    throw new AuditContentionError(
      `audit stream ${JSON.stringify(stream)}: lost the race for the head ${this.maxAttempts} times; the append will be retried`,
      { stream, eventId: record.eventId, attempts: this.maxAttempts },
    );
  }

  /**
   * Keeps a stream's newest entries (newest first, at most `lookback`) for its next append, unless a newer
   * head is already kept. Safe even when another writer appends meanwhile: entries are never changed or
   * removed, so a remembered list only ever misses newer entries, and then the put at its head + 1 fails
   * its condition and the append reads the head again. A remembered entry never stands in for the table's
   * word that an event is logged: if the marker read finds none, the head is read again (see above). The
   * one thing memory cannot see is a table emptied under a warm writer (the kit never does that; a
   * replaced table gets a new name, hence new function configuration and new instances). At most
   * `rememberStreams` streams, least recent out.
   */
  private remember(stream: string, entries: readonly RecentEntry[]): void {
    if (this.rememberStreams <= 0 || entries.length === 0) return;
    const kept = this.recent.get(stream);
    if (kept && kept[0].sequence > entries[0].sequence) return;
    this.recent.delete(stream);
    this.recent.set(stream, entries.slice(0, this.lookback));
    if (this.recent.size > this.rememberStreams) this.recent.delete(this.recent.keys().next().value as string);
  }

  /** The chain head, or undefined for an empty stream. */
  public async head(stream: string): Promise<ChainHead | undefined> {
    return (await this.newest(boundedKey(stream), 1))[0];
  }

  /** A stream's entries in sequence order, page by page (strongly consistent reads). */
  public async *readStream(stream: string, options: { pageSize?: number } = {}): AsyncGenerator<AuditEntry> {
    for await (const item of this.queryPrefix(boundedKey(stream), ENTRY_PREFIX, options.pageSize)) {
      yield toEntry(item as EntryItem);
    }
  }

  /** A stream's de-duplication markers. */
  public async *readMarkers(stream: string, options: { pageSize?: number } = {}): AsyncGenerator<AuditMarker> {
    for await (const item of this.queryPrefix(boundedKey(stream), MARKER_PREFIX, options.pageSize)) {
      yield { stream, eventId: String(item.eventId), sequence: Number(item.sequence) };
    }
  }

  /** Every stream name in the table (one Scan reading only the partition key). */
  public async *listStreams(options: { pageSize?: number } = {}): AsyncGenerator<string> {
    const seen = new Set<string>();
    for await (const page of paginateScan(
      { client: this.client, pageSize: options.pageSize },
      {
        TableName: this.tableName,
        ProjectionExpression: '#stream',
        ExpressionAttributeNames: { '#stream': 'stream' },
      },
    )) {
      for (const item of page.Items ?? []) {
        const s = String(item.stream);
        if (!seen.has(s)) {
          seen.add(s);
          yield s;
        }
      }
    }
  }

  /**
   * Recomputes a stream's chain from its first entry and checks every marker points at its event's entry.
   * `verifier` may be shared across streams to total them.
   */
  public async verifyStream(stream: string, options: { verifier?: ChainVerifier; pageSize?: number } = {}): Promise<StreamReport> {
    const verifier = options.verifier ?? new ChainVerifier();
    // Entries name their stream by its key (a long one hashed): the chain is checked against that.
    stream = boundedKey(stream);
    let entries = 0;
    let broken: BrokenLink | undefined;
    const eventAt = new Map<number, string>();
    for await (const entry of this.readStream(stream, options)) {
      entries += 1;
      eventAt.set(entry.sequence, entry.eventId);
      if (!broken) broken = verifier.expectStream(stream, entry);
    }
    const markerProblems: string[] = [];
    for await (const marker of this.readMarkers(stream, options)) {
      const at = eventAt.get(marker.sequence);
      if (at === undefined)
        markerProblems.push(`marker for event ${marker.eventId} points at sequence ${marker.sequence}, which is missing`);
      else if (at !== marker.eventId)
        markerProblems.push(`marker for event ${marker.eventId} points at sequence ${marker.sequence}, which holds event ${at}`);
    }
    return { stream, entries, head: verifier.head(stream), broken, markerProblems };
  }

  private async getMarker(stream: string, eventId: string): Promise<AuditMarker | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { stream, sk: markerSortKey(eventId) }, ConsistentRead: true }),
    );
    return res.Item ? { stream, eventId, sequence: Number(res.Item.sequence) } : undefined;
  }

  private async putMarker(stream: string, eventId: string, sequence: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { stream, sk: markerSortKey(eventId), eventId, sequence, recordedAt: this.now().toISOString() },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** The newest `limit` entries (sequence, hash, eventId only), newest first. */
  private async newest(stream: string, limit: number): Promise<RecentEntry[]> {
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#stream = :stream AND begins_with(sk, :prefix)',
        ExpressionAttributeNames: { '#stream': 'stream', '#seq': 'sequence', '#hash': 'hash', '#eventId': 'eventId' },
        ExpressionAttributeValues: { ':stream': stream, ':prefix': ENTRY_PREFIX },
        ProjectionExpression: '#seq, #hash, #eventId',
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (res.Items ?? []).map((item) => ({ sequence: Number(item.sequence), hash: String(item.hash), eventId: String(item.eventId) }));
  }

  private async *queryPrefix(stream: string, prefix: string, pageSize?: number): AsyncGenerator<Record<string, unknown>> {
    for await (const page of paginateQuery(
      { client: this.client, pageSize: pageSize },
      {
        TableName: this.tableName,
        KeyConditionExpression: '#stream = :stream AND begins_with(sk, :prefix)',
        ExpressionAttributeNames: { '#stream': 'stream' },
        ExpressionAttributeValues: { ':stream': stream, ':prefix': prefix },
        ConsistentRead: true,
      },
    )) {
      for (const item of page.Items ?? []) yield item;
    }
  }
}

/**
 * A record as it can be stored: the event id fit for a sort key, descriptive attributes and the payload
 * bounded, each original that was cut remembered by size and hash (or kept, for keys).
 */
function fitRecord(record: AuditRecord, originalStream: string | undefined): AuditRecord {
  const eventId = boundedKey(record.eventId);
  const payload = boundedText(record.payload);
  const attr = (v: string | undefined) => (v === undefined ? undefined : utf8Head(v, MAX_ATTRIBUTE_BYTES));
  const fitted: Record<string, unknown> = {
    ...record,
    eventId,
    messageId: attr(record.messageId),
    bus: attr(record.bus),
    source: attr(record.source),
    detailType: attr(record.detailType),
    eventTime: attr(record.eventTime),
    payload: payload.text,
  };
  if (eventId !== record.eventId) fitted.originalEventId = originalKey(record.eventId);
  if (originalStream !== undefined) fitted.originalStream = originalKey(originalStream);
  if (payload.cut) fitted.payloadCut = payload.cut;
  return fitted as unknown as AuditRecord;
}

/** The entry an item holds: every attribute but the sort key, which must agree with the sequence. */
export function toEntry(item: Record<string, unknown>): AuditEntry {
  const { sk, ...entry } = item;
  const seq = sequenceOf(String(sk));
  if (seq === undefined || seq !== entry.sequence) {
    // Keep the entry (verify reports it as a broken sequence) but make the disagreement visible in it.
    return { ...(entry as unknown as AuditEntry), sequence: seq ?? Number.NaN, storedSequence: entry.sequence };
  }
  return entry as unknown as AuditEntry;
}

export function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
