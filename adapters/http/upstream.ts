import { CutoverError } from '../../core/errors';
import { retryDelayMs, shouldRetry, type AttemptOutcome } from '../../core/facade/policy';
import type { HeaderMap } from '../../core/facade/headers';

/**
 * The façade's HTTP client: one request to one side, with a per-attempt timeout, retries only where
 * core/facade/policy allows them (idempotent methods), and a cap on the response size read into memory.
 * Node's fetch (undici) with its connection pool: a warm Lambda reuses connections to the monolith.
 */
export interface UpstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderMap;
  readonly body?: Uint8Array;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: HeaderMap;
  /** Set-Cookie headers one by one (they cannot be joined with commas). */
  readonly setCookies: readonly string[];
  readonly body: Buffer;
  readonly attempts: number;
  readonly latencyMs: number;
}

export interface UpstreamOptions {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly maxResponseBytes: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/** The upstream could not give an answer: `kind` says why, `attempts` how often it was tried. */
export class UpstreamError extends CutoverError {
  public constructor(
    public readonly kind: 'timeout' | 'network' | 'too-large',
    public readonly attempts: number,
    message: string,
    context: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, { kind, attempts, ...context }, options);
  }
}

class TooLarge extends Error {}

async function readCapped(res: Response, limit: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new TooLarge();
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge();
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks, total);
}

function headerMap(h: Headers): HeaderMap {
  const out: HeaderMap = {};
  h.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  return out;
}

export async function sendUpstream(req: UpstreamRequest, options: UpstreamOptions): Promise<UpstreamResponse> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    let outcome: AttemptOutcome;
    let failure: unknown;
    try {
      const res = await doFetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body && req.body.byteLength > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? req.body : undefined,
        redirect: 'manual', // a redirect is the client's to follow, with its own cookies and Host
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const body = await readCapped(res, options.maxResponseBytes);
      const response: UpstreamResponse = {
        status: res.status,
        headers: headerMap(res.headers),
        setCookies: res.headers.getSetCookie(),
        body,
        attempts: attempt,
        latencyMs: performance.now() - started,
      };
      outcome = { kind: 'status', status: res.status };
      if (!shouldRetry(req.method, attempt, options.retries, outcome)) return response;
    } catch (err) {
      failure = err;
      if (err instanceof TooLarge) outcome = { kind: 'too-large' };
      else if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) outcome = { kind: 'timeout' };
      else outcome = { kind: 'network' };
      if (!shouldRetry(req.method, attempt, options.retries, outcome)) {
        const kind = outcome.kind === 'too-large' ? 'too-large' : outcome.kind === 'timeout' ? 'timeout' : 'network';
        const cause =
          err instanceof Error && err.cause instanceof Error
            ? `${err.message}: ${err.cause.message}`
            : err instanceof Error
              ? err.message
              : String(err);
        throw new UpstreamError(
          kind,
          attempt,
          `${req.method} ${req.url}: ${kind === 'timeout' ? `no answer within ${options.timeoutMs} ms` : kind === 'too-large' ? `response larger than ${options.maxResponseBytes} bytes` : cause}`,
          { url: req.url, method: req.method },
          { cause: failure },
        );
      }
    }
    await sleep(retryDelayMs(attempt, random()));
  }
}
