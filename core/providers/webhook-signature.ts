import * as crypto from 'node:crypto';

/*
 * The webhook signing scheme of the sandbox carrier (and the one to ask a real carrier for, when it lets
 * you choose): HMAC-SHA256 with a shared secret over `<timestamp>.<raw body>`, hex, sent as
 *   X-Cutover-Timestamp: 1764950400          (Unix seconds)
 *   X-Cutover-Signature: v1=5f1c...e9         (several `v1=` values, comma-separated, while a secret rotates)
 * The timestamp is inside the signed text, so an old request cannot be given a fresh one; requests more than
 * five minutes from our clock are refused, and within that window the caller refuses a repeated event id.
 */

export const SIGNATURE_HEADER = 'x-cutover-signature';
export const TIMESTAMP_HEADER = 'x-cutover-timestamp';
export const SIGNATURE_SCHEME = 'v1';
/** How far a request's timestamp may be from our clock, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function computeSignature(secret: string, timestamp: string, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The two headers a sender adds: what a carrier (or a test) does to call the webhook. */
export function signWebhook(secret: string, body: string, now: Date = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `${SIGNATURE_SCHEME}=${computeSignature(secret, timestamp, body)}` };
}

/** A header by name, whatever its case (API Gateway passes them as sent). */
export function header(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

export type SignatureVerdict = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly error: string };

/** Compares two hex strings in time independent of where they differ. */
function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time the same either way.
  if (x.length !== y.length) {
    crypto.timingSafeEqual(y, y);
    return false;
  }
  return crypto.timingSafeEqual(x, y);
}

/**
 * Checks the timestamp (present, an integer, within the tolerance) and that one `v1=` signature matches one
 * of the secrets. The errors say what was wrong without echoing the expected signature.
 */
export function verifySignature(options: {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  readonly secrets: readonly string[];
  readonly now: Date;
  readonly toleranceSeconds?: number;
}): SignatureVerdict {
  const secrets = options.secrets.filter((s) => s !== '');
  if (secrets.length === 0) return { ok: false, error: 'no signing secret is configured' };
  const ts = header(options.headers, TIMESTAMP_HEADER);
  if (ts === undefined || ts === '') return { ok: false, error: `${TIMESTAMP_HEADER} header is missing` };
  if (!/^[0-9]{1,12}$/.test(ts))
    return { ok: false, error: `${TIMESTAMP_HEADER} must be Unix seconds, got ${JSON.stringify(ts.slice(0, 40))}` };
  const sig = header(options.headers, SIGNATURE_HEADER);
  if (sig === undefined || sig === '') return { ok: false, error: `${SIGNATURE_HEADER} header is missing` };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const skew = Math.abs(Math.floor(options.now.getTime() / 1000) - Number(ts));
  if (skew > tolerance)
    return { ok: false, error: `${TIMESTAMP_HEADER} is ${skew} s from now (at most ${tolerance} s): stale or replayed` };
  const offered = sig
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith(`${SIGNATURE_SCHEME}=`))
    .map((p) => p.slice(SIGNATURE_SCHEME.length + 1).toLowerCase());
  if (offered.length === 0) return { ok: false, error: `${SIGNATURE_HEADER} has no ${SIGNATURE_SCHEME}= signature` };
  let match = false;
  // Every pair is compared (no early exit), so timing does not tell which secret or which value matched.
  for (const secret of secrets) {
    const expected = computeSignature(secret, ts, options.body);
    for (const o of offered) if (sameHex(o, expected)) match = true;
  }
  return match ? { ok: true, timestamp: Number(ts) } : { ok: false, error: 'signature does not match' };
}
