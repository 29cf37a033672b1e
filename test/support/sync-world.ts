import type { SyncSide } from '../../core/sync/change';
import { decide, otherSide, type ConflictFinding, type IncomingChange } from '../../core/sync/engine';
import type { EntitySyncRules, ResolverRegistry } from '../../core/sync/policy';
import type { SyncRecord } from '../../core/sync/record';
import type { AttributeValue } from '../../core/migration/attribute-value';

/**
 * A model of the two-way sync for tests and the bench: two stores, one FIFO channel per direction and key
 * (SQS FIFO groups and DynamoDB Streams both keep per-key order), at-least-once delivery (a delivered
 * change may come again later), and an applier per side that drops what it has already applied by
 * position and asks the engine about the rest. The real appliers do exactly this with DynamoDB and SQL.
 */
export interface WorldWrite {
  readonly id: number;
  readonly side: SyncSide;
  readonly key: string;
  readonly position: bigint;
  readonly after: SyncRecord | null;
  readonly clock: number;
  /** Position of the last change from the other side this side had applied when it wrote. */
  readonly seenOther: bigint;
  readonly deltas: Readonly<Record<string, number>>;
}

interface Queued {
  readonly change: IncomingChange;
  readonly key: string;
}

export class SyncWorld {
  public readonly stores: Record<SyncSide, Map<string, SyncRecord | null>> = { monolith: new Map(), service: new Map() };
  public readonly ledger = new Map<string, ConflictFinding>();
  public readonly writes: WorldWrite[] = [];
  public readonly parked = new Set<string>();
  /** Per target side and key, the position of the last change applied from the other side. */
  private readonly applied: Record<SyncSide, Map<string, bigint>> = { monolith: new Map(), service: new Map() };
  /** Per target side and key: pending changes, and the ones already delivered (for redelivery). */
  private readonly queues: Record<SyncSide, Map<string, Queued[]>> = { monolith: new Map(), service: new Map() };
  private readonly delivered: Record<SyncSide, Map<string, Queued[]>> = { monolith: new Map(), service: new Map() };
  private readonly positions: Record<SyncSide, bigint> = { monolith: 0n, service: 0n };
  private clock = 0;
  public applies = 0;
  public conflicts = 0;

  public constructor(
    private readonly entity: string,
    private readonly rules: EntitySyncRules,
    initial: Readonly<Record<string, SyncRecord>>,
    private readonly resolvers?: ResolverRegistry,
  ) {
    for (const [k, r] of Object.entries(initial)) {
      this.stores.monolith.set(k, r);
      this.stores.service.set(k, r);
    }
  }

  public get keys(): string[] {
    return [...this.stores.monolith.keys()];
  }

  /** A local write on one side: numeric fields move by `deltas`, text fields are set, the clock ticks. */
  public write(side: SyncSide, key: string, deltas: Record<string, number>, texts: Record<string, string> = {}): WorldWrite {
    const before = this.stores[side].get(key) ?? null;
    const after: Record<string, AttributeValue> = { ...(before ?? {}) };
    for (const [f, d] of Object.entries(deltas)) {
      const was = before?.[f] && 'N' in before[f] ? Number((before[f] as { N: string }).N) : 0;
      after[f] = { N: String(was + d) };
    }
    for (const [f, t] of Object.entries(texts)) after[f] = { S: t };
    this.clock += 1;
    if (this.rules.clock) after[this.rules.clock] = { N: String(this.clock) };
    this.stores[side].set(key, after);
    this.positions[side] += 1n;
    const w: WorldWrite = {
      id: this.writes.length,
      side,
      key,
      position: this.positions[side],
      after,
      clock: this.clock,
      seenOther: this.applied[side].get(key) ?? 0n,
      deltas,
    };
    this.writes.push(w);
    const target = otherSide(side);
    const change: IncomingChange = {
      side,
      position: String(w.position),
      before,
      after,
      at: new Date(1_700_000_000_000 + this.clock).toISOString(),
    };
    this.queueOf(this.queues[target], key).push({ change, key });
    return w;
  }

  private queueOf(m: Map<string, Queued[]>, key: string): Queued[] {
    let q = m.get(key);
    if (!q) {
      q = [];
      m.set(key, q);
    }
    return q;
  }

  public pending(target: SyncSide, key: string): number {
    return this.queues[target].get(key)?.length ?? 0;
  }

  /** Delivers the next change for a key to `target`'s applier. Returns false when none is pending. */
  public deliver(target: SyncSide, key: string): boolean {
    const q = this.queues[target].get(key);
    const next = q?.shift();
    if (!next) return false;
    this.queueOf(this.delivered[target], key).push(next);
    this.apply(target, next);
    return true;
  }

  /** Delivers again a change already delivered (at-least-once): the `nth` most recent one. */
  public redeliver(target: SyncSide, key: string, nth: number): boolean {
    const d = this.delivered[target].get(key);
    if (!d || d.length === 0) return false;
    this.apply(target, d[Math.max(0, d.length - 1 - (nth % d.length))]);
    return true;
  }

  public drain(): void {
    for (let progress = true; progress;) {
      progress = false;
      for (const target of ['monolith', 'service'] as const) {
        for (const key of this.queues[target].keys()) while (this.deliver(target, key)) progress = true;
      }
    }
  }

  private apply(target: SyncSide, { change, key }: Queued): void {
    const last = this.applied[target].get(key) ?? 0n;
    if (BigInt(change.position) <= last) return; // a duplicate: already applied (the item or row records the position)
    const decision = decide({
      entity: this.entity,
      key,
      rules: this.rules,
      change,
      current: this.stores[target].get(key) ?? null,
      resolvers: this.resolvers,
    });
    this.applies += 1;
    if (decision.conflict) {
      this.conflicts += 1;
      this.ledger.set(decision.conflict.conflictId, decision.conflict);
    }
    if (decision.kind === 'park') {
      this.parked.add(key);
      return;
    }
    if (decision.kind === 'apply') this.stores[target].set(key, decision.result);
    this.applied[target].set(key, BigInt(change.position));
  }
}
