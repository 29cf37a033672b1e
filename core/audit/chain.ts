import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';

/** The `prevHash` of the first entry of every stream. */
export const GENESIS_HASH = '0'.repeat(64);

/** What happened, as the writer supplies it. The chain adds stream, sequence, recordedAt and the hashes. */
export interface AuditRecord {
  /** `event` (seen on a bus), `quarantine` (a bridge decision), or a kind other writers add (`saga-step`). */
  readonly kind: string;
  /** The de-duplication key: a second append with the same id in the same stream is a no-op. */
  readonly eventId: string;
  /** The business message id (service `metadata.eventId`, the legacy id field), when there is one. */
  readonly messageId?: string;
  readonly bus?: string;
  readonly source?: string;
  readonly detailType?: string;
  /** When the event happened, as its producer said (EventBridge `time`). */
  readonly eventTime?: string;
  /** The event detail or the decision, as JSON text: stored and hashed exactly as received. */
  readonly payload: string;
}

/** One link of a stream's chain. */
export interface AuditEntry extends AuditRecord {
  readonly stream: string;
  /** 1, 2, 3... within the stream, without gaps. */
  readonly sequence: number;
  /** When the entry was appended (ISO 8601). */
  readonly recordedAt: string;
  readonly prevHash: string;
  /** sha256 hex of prevHash + canonical JSON of every other field of the entry. */
  readonly hash: string;
  /** Fields written by later versions or by hand are kept: they are hashed like the rest. */
  readonly [extra: string]: unknown;
}

/** The head of a stream: what the next entry links to. */
export interface ChainHead {
  readonly sequence: number;
  readonly hash: string;
}

/** Hash of an entry: sha256(prevHash + canonical JSON of the entry without its `hash`). */
export function hashEntry(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _ignored, ...rest } = entry as AuditEntry;
  void _ignored;
  return createHash('sha256').update(String(rest.prevHash)).update(canonicalJson(rest)).digest('hex');
}

/** The entry that follows `head` (or starts the stream when `head` is undefined). */
export function nextEntry(stream: string, head: ChainHead | undefined, record: AuditRecord, recordedAt: Date): AuditEntry {
  const unhashed = {
    ...stripUndefined(record),
    stream,
    sequence: (head?.sequence ?? 0) + 1,
    recordedAt: recordedAt.toISOString(),
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  return { ...unhashed, hash: hashEntry(unhashed) } as AuditEntry;
}

function stripUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** Which check a broken link failed. */
export type BrokenCheck = 'sequence' | 'prevHash' | 'hash' | 'stream';

export interface BrokenLink {
  readonly ok: false;
  readonly stream: string;
  /** The sequence of the first entry that does not fit (for a gap: the sequence found where another was due). */
  readonly sequence: number;
  readonly check: BrokenCheck;
  readonly expected: string;
  readonly found: string;
  /** One line naming the stream, the sequence and the mismatch. */
  readonly message: string;
}

export interface ChainOk {
  readonly ok: true;
  readonly streams: number;
  readonly entries: number;
}

export type VerifyResult = ChainOk | BrokenLink;

/**
 * Checks chains entry by entry, so a caller can feed pages of a long stream without holding it all.
 * Entries of one stream must come in sequence order; several streams may be interleaved. After the first
 * broken link of a stream, its later entries are not checked (everything after a break is suspect anyway).
 */
export class ChainVerifier {
  private readonly heads = new Map<string, ChainHead>();
  private readonly broken = new Map<string, BrokenLink>();
  private count = 0;

  /** Returns the broken link when this entry is the first bad one of its stream. */
  public push(entry: AuditEntry): BrokenLink | undefined {
    this.count += 1;
    const stream = String(entry.stream);
    if (this.broken.has(stream)) return undefined;
    const link = this.check(stream, entry);
    if (link) {
      this.broken.set(stream, link);
      return link;
    }
    this.heads.set(stream, { sequence: entry.sequence, hash: entry.hash });
    return undefined;
  }

  /** Checks that a stream's entries belong to it (the store reads them by stream; a moved entry is a break). */
  public expectStream(stream: string, entry: AuditEntry): BrokenLink | undefined {
    if (entry.stream === stream) return this.push(entry);
    this.count += 1;
    const link = broken(stream, Number(entry.sequence), 'stream', stream, String(entry.stream));
    if (!this.broken.has(stream)) this.broken.set(stream, link);
    return link;
  }

  /** The first broken link found (in push order), or the totals. */
  public result(): VerifyResult {
    const first = this.broken.values().next();
    if (!first.done) return first.value;
    return { ok: true, streams: this.heads.size, entries: this.count };
  }

  /** Every stream's first broken link. */
  public brokenLinks(): BrokenLink[] {
    return [...this.broken.values()];
  }

  public head(stream: string): ChainHead | undefined {
    return this.heads.get(stream);
  }

  private check(stream: string, entry: AuditEntry): BrokenLink | undefined {
    const head = this.heads.get(stream);
    const due = (head?.sequence ?? 0) + 1;
    if (entry.sequence !== due)
      return broken(stream, Number(entry.sequence), 'sequence', `sequence ${due}`, `sequence ${String(entry.sequence)}`);
    const prev = head?.hash ?? GENESIS_HASH;
    if (entry.prevHash !== prev) return broken(stream, entry.sequence, 'prevHash', prev, String(entry.prevHash));
    let recomputed: string;
    try {
      recomputed = hashEntry(entry);
    } catch (err) {
      return broken(stream, entry.sequence, 'hash', 'an entry with a JSON form', err instanceof Error ? err.message : String(err));
    }
    if (entry.hash !== recomputed) return broken(stream, entry.sequence, 'hash', recomputed, String(entry.hash));
    return undefined;
  }
}

function broken(stream: string, sequence: number, check: BrokenCheck, expected: string, found: string): BrokenLink {
  const what: Record<BrokenCheck, string> = {
    sequence: 'the sequence has a gap or repeats',
    prevHash: 'the link to the previous entry does not match its hash',
    hash: 'the stored hash does not match the entry (it was changed after it was written)',
    stream: 'the entry names another stream',
  };
  return {
    ok: false,
    stream,
    sequence,
    check,
    expected,
    found,
    message: `stream ${JSON.stringify(stream)} breaks at sequence ${sequence}: ${what[check]}; expected ${expected}, found ${found}`,
  };
}

/** Verifies whole chains in one call: `entries` of each stream in sequence order. */
export function verifyChain(entries: Iterable<AuditEntry>): VerifyResult {
  const verifier = new ChainVerifier();
  for (const entry of entries) verifier.push(entry);
  return verifier.result();
}
