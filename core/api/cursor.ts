import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiProblem } from './problem';

/**
 * Opaque, tamper-evident page cursors: base64url(JSON of DynamoDB's LastEvaluatedKey and the query it
 * belongs to) + "." + base64url(HMAC-SHA256). A client cannot read a key it was not given, forge one to
 * jump into another partition, or replay a cursor against a different filter: each is a 400 naming the
 * cursor. The key comes from Secrets Manager in a deployment (see lib/constructs/data-api.ts).
 */
export interface CursorState {
  /** The query the cursor continues (entity, version, filters): a cursor is valid only for the same query. */
  readonly query: string;
  readonly lastKey: Record<string, unknown>;
}

const b64 = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

function sign(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

export function encodeCursor(secret: string, state: CursorState): string {
  const body = b64(JSON.stringify({ q: state.query, k: state.lastKey }));
  return `${body}.${b64(sign(secret, body))}`;
}

/** The cursor's last key; a 400 naming `cursor` when it was altered, truncated, or belongs to another query. */
export function decodeCursor(secret: string, cursor: string, query: string): Record<string, unknown> {
  const invalid = (why: string) =>
    new ApiProblem(
      400,
      'invalid-cursor',
      `cursor ${why}; start again without a cursor`,
      'cursor',
      cursor.length > 64 ? `${cursor.slice(0, 61)}...` : cursor,
    );
  const [body, mac, extra] = cursor.split('.');
  if (!body || !mac || extra !== undefined) throw invalid('is not one this API issued');
  // Compared as text: base64 ignores the low bits of a last character, so decoded bytes could match an altered cursor.
  const given = Buffer.from(mac);
  const expected = Buffer.from(b64(sign(secret, body)));
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw invalid('has been altered or was issued by another deployment');
  let parsed: { q?: unknown; k?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { q?: unknown; k?: unknown };
  } catch (cause) {
    throw invalid(`is not readable (${(cause as Error).message})`);
  }
  if (parsed.q !== query) throw invalid('belongs to a different query (other filters, fields of the key, or version)');
  if (!parsed.k || typeof parsed.k !== 'object') throw invalid('holds no position');
  return parsed.k as Record<string, unknown>;
}
