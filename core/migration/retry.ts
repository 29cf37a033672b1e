/**
 * Retry timing for writes the target refuses for now (throttling, unprocessed items): exponential
 * backoff with full jitter, so parallel segments that were throttled together do not retry together.
 */
export interface BackoffOptions {
  /** First delay ceiling. @default 50 */
  readonly baseMs?: number;
  /** No delay above this. @default 5000 */
  readonly capMs?: number;
}

/** Delay before retry number `attempt` (0 = first retry): uniform in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? 50;
  const cap = options.capMs ?? 5000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Error names (SDK exceptions, network faults) worth retrying. Anything else is a real failure. */
export const RETRYABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'TransientError',
]);

export function isRetryable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  if ((e.name && RETRYABLE_ERROR_NAMES.has(e.name)) || (e.code && RETRYABLE_ERROR_NAMES.has(e.code))) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}
