/** Milliseconds since some fixed origin; `Date.now` in production, a fake in tests. */
export type Clock = () => number;

export interface RoutingCacheOptions<T> {
  /** Reads the current table (the adapter: a consistent DynamoDB read). */
  readonly load: () => Promise<T>;
  /** @default Date.now */
  readonly clock?: Clock;
  /** Longest a loaded value is served, measured from the moment its load started. @default 1000 */
  readonly ttlMs?: number;
}

interface Stamped<T> {
  readonly value: T;
  readonly startedAt: number;
}

interface InFlight<T> {
  readonly promise: Promise<T>;
  readonly startedAt: number;
}

/**
 * Keeps the routing table for at most `ttlMs`, so a change written to the table (a rollback) reaches every
 * router within `ttlMs` plus one load, with no redeploy.
 *
 * Age is measured from when the load *started*: whatever the load returns is at least that fresh, so the
 * bound holds however slow the read is. A call made at time t is answered with a value whose load started
 * after t - ttlMs, or with a new load. Concurrent callers share one load while it is young enough; a load
 * that failed is not cached and its error reaches every caller that shared it (the next call retries).
 * Nothing stale is ever served on error: routing on an old table could undo a rollback.
 */
export class RoutingCache<T> {
  public readonly ttlMs: number;
  private readonly load: () => Promise<T>;
  private readonly clock: Clock;
  private current: Stamped<T> | undefined;
  private inFlight: InFlight<T> | undefined;
  private generation = 0;
  private loads = 0;

  public constructor(options: RoutingCacheOptions<T>) {
    const ttlMs = options.ttlMs ?? 1000;
    if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new RangeError(`ttlMs must be a finite number >= 0, got ${ttlMs}`);
    this.ttlMs = ttlMs;
    this.load = options.load;
    this.clock = options.clock ?? Date.now;
  }

  /** The table: cached if its load started less than `ttlMs` ago, else from a (shared) fresh load. */
  public get(): Promise<T> {
    const now = this.clock();
    const fresh = this.peekAt(now);
    if (fresh !== undefined) return Promise.resolve(fresh.value);
    if (this.inFlight !== undefined && now - this.inFlight.startedAt < this.ttlMs) return this.inFlight.promise;
    return this.startLoad(now);
  }

  /** The cached table if fresh, synchronously; `undefined` when a load is needed. For hot loops. */
  public peek(): T | undefined {
    return this.peekAt(this.clock())?.value;
  }

  /** Forget the cached table and any load under way (e.g. right after this process wrote a change). */
  public invalidate(): void {
    this.generation++;
    this.current = undefined;
    this.inFlight = undefined;
  }

  /** How many loads were started: lets tests and metrics see coalescing work. */
  public get loadCount(): number {
    return this.loads;
  }

  /** Age of the cached table in ms, from the start of its load; `undefined` when nothing is cached. */
  public ageMs(): number | undefined {
    return this.current === undefined ? undefined : this.clock() - this.current.startedAt;
  }

  private peekAt(now: number): Stamped<T> | undefined {
    const cur = this.current;
    return cur !== undefined && now - cur.startedAt < this.ttlMs ? cur : undefined;
  }

  private startLoad(startedAt: number): Promise<T> {
    const generation = this.generation;
    this.loads++;
    let promise: Promise<T>;
    try {
      promise = Promise.resolve(this.load());
    } catch (error) {
      promise = Promise.reject(error);
    }
    const shared = promise.then(
      (value) => {
        // Keep the newest load's value: an older, slower load finishing late must not replace it.
        if (generation === this.generation && (this.current === undefined || this.current.startedAt <= startedAt)) {
          this.current = { value, startedAt };
        }
        if (this.inFlight?.promise === shared) this.inFlight = undefined;
        return value;
      },
      (error: unknown) => {
        if (this.inFlight?.promise === shared) this.inFlight = undefined;
        throw error;
      },
    );
    this.inFlight = { promise: shared, startedAt };
    return shared;
  }
}
