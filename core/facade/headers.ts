/**
 * Header rules of a proxy (RFC 9110 §7.6.1): hop-by-hop headers describe one connection and are never
 * forwarded, in either direction; neither are the headers a `Connection` header names. Pure.
 */
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
] as const;

/** Headers the HTTP client recomputes for the bytes it actually sends or received (fetch decodes bodies). */
const RECOMPUTED_REQUEST = ['host', 'content-length'];
const RECOMPUTED_RESPONSE = ['content-length', 'content-encoding'];

export type HeaderMap = Record<string, string>;

/** Lower-cased names; repeated headers joined with ", " (what API Gateway hands a Lambda already). */
export function normaliseHeaders(headers: Readonly<Record<string, string | readonly string[] | undefined>> | undefined): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const v = typeof value === 'string' ? value : value.join(', ');
    const k = name.toLowerCase();
    out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`;
  }
  return out;
}

/** The names a `Connection` header lists (besides the standard hop-by-hop ones). */
export function connectionTokens(connection: string | undefined): string[] {
  if (connection === undefined) return [];
  return connection
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0);
}

/** True for a header a proxy must not forward. */
export function isHopByHop(name: string, named: readonly string[] = []): boolean {
  const n = name.toLowerCase();
  return (HOP_BY_HOP as readonly string[]).includes(n) || n.startsWith('proxy-') || named.includes(n);
}

function strip(headers: HeaderMap, also: readonly string[]): HeaderMap {
  const named = connectionTokens(headers.connection);
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(headers)) if (!isHopByHop(k, named) && !also.includes(k)) out[k] = v;
  return out;
}

export interface ForwardContext {
  /** The client's address as API Gateway saw it. */
  readonly sourceIp?: string;
  /** The Host the client asked for. */
  readonly host?: string;
  /** @default 'https' (API Gateway terminates TLS) */
  readonly proto?: string;
}

/**
 * The headers sent upstream: hop-by-hop removed, X-Forwarded-For appended to (never replaced: earlier
 * proxies' entries stay), X-Forwarded-Host and -Proto set from what the client used.
 */
export function requestHeadersFor(incoming: HeaderMap, ctx: ForwardContext): HeaderMap {
  const out = strip(incoming, RECOMPUTED_REQUEST);
  if (ctx.sourceIp !== undefined)
    out['x-forwarded-for'] = incoming['x-forwarded-for'] ? `${incoming['x-forwarded-for']}, ${ctx.sourceIp}` : ctx.sourceIp;
  const host = incoming['x-forwarded-host'] ?? ctx.host ?? incoming.host;
  if (host !== undefined) out['x-forwarded-host'] = host;
  out['x-forwarded-proto'] = incoming['x-forwarded-proto'] ?? ctx.proto ?? 'https';
  return out;
}

/** The headers returned to the client: hop-by-hop removed, and the length/encoding of a body fetch has already decoded. */
export function responseHeadersFor(upstream: HeaderMap): HeaderMap {
  return strip(upstream, RECOMPUTED_RESPONSE);
}
