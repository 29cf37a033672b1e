/**
 * Retry and size rules of the façade's proxying. Pure: the adapter asks, then acts.
 *
 * Only idempotent methods (RFC 9110 §9.2.2) are retried: a POST that timed out may have placed the order,
 * and placing it twice is worse than a 504 the client can look into.
 */
export const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'] as const;

export function isIdempotent(method: string): boolean {
  return (IDEMPOTENT_METHODS as readonly string[]).includes(method.toUpperCase());
}

/** What one attempt ended with, as far as retrying cares. */
export type AttemptOutcome =
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network' }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'too-large' };

/** Statuses meaning "the upstream did not handle it", worth another attempt for an idempotent request. */
export const RETRYABLE_STATUSES = [502, 503, 504] as const;

/** Whether attempt `attempt` (1-based) should be followed by another. */
export function shouldRetry(method: string, attempt: number, retries: number, outcome: AttemptOutcome): boolean {
  if (attempt > retries) return false;
  if (!isIdempotent(method)) return false;
  if (outcome.kind === 'timeout' || outcome.kind === 'network') return true;
  if (outcome.kind === 'status') return (RETRYABLE_STATUSES as readonly number[]).includes(outcome.status);
  return false; // a too-large response will be as large next time
}

/** Backoff before attempt `attempt + 1`: short, jittered by the caller's random, capped: the client is waiting. */
export function retryDelayMs(attempt: number, random: number): number {
  const base = Math.min(200, 25 * 2 ** (attempt - 1));
  return Math.round(base / 2 + (base / 2) * Math.max(0, Math.min(1, random)));
}

/** Byte length of a body as received: API Gateway hands Lambda text or base64. */
export function bodyBytes(body: string | undefined, isBase64Encoded: boolean): number {
  if (body === undefined || body === '') return 0;
  return isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
}
