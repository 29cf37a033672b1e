import { CutoverError } from '../errors';

export interface TokenBucketOptions {
  /** Sustained rate, tokens per second. */
  readonly ratePerSecond: number;
  /** Most tokens held at once (the burst allowed after an idle spell). @default max(1, ratePerSecond) */
  readonly burst?: number;
  /** Milliseconds clock; injected so tests drive time. */
  readonly now: () => number;
}

export class RateLimitError extends CutoverError {}

/**
 * A token bucket: tokens accrue at `ratePerSecond` up to `burst`; each send takes one. Pure - it never
 * sleeps. `tryTake` answers now; `reserve` takes a token on credit and says how long to wait, so N
 * callers reserving at once are spaced 1/rate apart instead of all retrying together.
 */
export class TokenBucket {
  public readonly ratePerSecond: number;
  public readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;

  public constructor(options: TokenBucketOptions) {
    const { ratePerSecond } = options;
    if (typeof ratePerSecond !== 'number' || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
      throw new RateLimitError(`ratePerSecond must be a positive number, got ${JSON.stringify(ratePerSecond)}`, {
        field: 'ratePerSecond',
        value: ratePerSecond,
      });
    }
    const burst = options.burst ?? Math.max(1, ratePerSecond);
    if (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1) {
      throw new RateLimitError(`burst must be a number of at least 1, got ${JSON.stringify(burst)}`, { field: 'burst', value: burst });
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.now = options.now;
    this.tokens = burst;
    this.last = options.now();
  }

  private refill(): void {
    const t = this.now();
    const elapsed = t - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = t;
    }
  }

  private check(n: number): void {
    if (!(n > 0) || n > this.burst)
      throw new RateLimitError(`cannot take ${n} tokens from a bucket of ${this.burst}`, { n, burst: this.burst });
  }

  /** Take `n` tokens if they are there now. */
  public tryTake(n = 1): boolean {
    this.check(n);
    this.refill();
    if (this.tokens + 1e-9 >= n) {
      this.tokens -= n;
      return true;
    }
    return false;
  }

  /** Milliseconds until `n` tokens will be there (0 when they are there now). Takes nothing. */
  public waitTime(n = 1): number {
    this.check(n);
    this.refill();
    const missing = n - this.tokens;
    return missing <= 1e-9 ? 0 : Math.ceil((missing * 1000) / this.ratePerSecond);
  }

  /** Take `n` tokens now, on credit if need be; returns how many milliseconds to wait before acting. */
  public reserve(n = 1): number {
    this.check(n);
    this.refill();
    this.tokens -= n;
    return this.tokens >= -1e-9 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }

  /** Tokens available now (may be negative after reservations). */
  public available(): number {
    this.refill();
    return this.tokens;
  }
}
