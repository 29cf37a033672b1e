import type { StickyKeySource } from '../spec/facade';
import type { HeaderMap } from './headers';

/** One cookie's value from a Cookie header (or API Gateway v2's `cookies` list joined with "; "). */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  }
  return undefined;
}

/**
 * A claim of the bearer token's payload, decoded but NOT verified: the key only picks a bucket, and both
 * sides behind the façade verify the token themselves (a client that forges a claim only chooses which
 * valid implementation serves it). A malformed token yields no key rather than an error.
 */
export function jwtClaim(authorization: string | undefined, claim: string): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/i.exec(authorization.trim());
  if (!m) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object') return undefined;
  const v = (payload as Record<string, unknown>)[claim];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export interface StickyInput {
  readonly headers: HeaderMap;
  readonly params: Readonly<Record<string, string>>;
}

/** Where the key came from, for logs: an operator asking "why did this customer see v2" gets the answer. */
export type StickySource = 'header' | 'cookie' | 'jwt' | 'path';

/** The request's sticky key from the first source that has one (header, cookie, JWT claim, path parameter). */
export function stickyKeyOfRequest(source: StickyKeySource, req: StickyInput): { key: string; from: StickySource } | undefined {
  if (source.header !== undefined) {
    const v = req.headers[source.header.toLowerCase()]?.trim();
    if (v) return { key: v, from: 'header' };
  }
  if (source.cookie !== undefined) {
    const v = cookieValue(req.headers.cookie, source.cookie);
    if (v) return { key: v, from: 'cookie' };
  }
  if (source.jwtClaim !== undefined) {
    const v = jwtClaim(req.headers.authorization, source.jwtClaim);
    if (v) return { key: v, from: 'jwt' };
  }
  if (source.pathParam !== undefined) {
    const v = req.params[source.pathParam];
    if (v) return { key: v, from: 'path' };
  }
  return undefined;
}
