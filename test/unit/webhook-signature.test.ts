import * as crypto from 'node:crypto';
import { computeSignature, signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../core/providers/webhook-signature';

describe('Function: verifySignature', () => {
  const secret = 'whsec-unit-0123456789abcdef';
  const body = '{"eventId":"evt-1","orderId":"1000001"}';
  const now = new Date('2026-12-06T09:00:00Z');
  const nowTs = String(now.getTime() / 1000);
  const at = (offsetSeconds: number) => new Date(now.getTime() + offsetSeconds * 1000);

  it('computes HMAC-SHA256 over "<timestamp>.<body>" as hex', () => {
    // Prepare
    const expected = crypto.createHmac('sha256', secret).update(`1764950400.${body}`).digest('hex');
    // Act / Assess
    expect(computeSignature(secret, '1764950400', body)).toBe(expected);
    expect(signWebhook(secret, body, now)).toEqual({
      [TIMESTAMP_HEADER]: nowTs,
      [SIGNATURE_HEADER]: `v1=${computeSignature(secret, nowTs, body)}`,
    });
  });

  it('accepts what signWebhook produced, whatever the header case', () => {
    const h = signWebhook(secret, body, now);
    const upper = { 'X-Cutover-Timestamp': h[TIMESTAMP_HEADER], 'X-Cutover-Signature': h[SIGNATURE_HEADER] };
    expect(verifySignature({ headers: upper, body, secrets: [secret], now })).toEqual({ ok: true, timestamp: Number(nowTs) });
  });

  it('refuses a signature made with a wrong secret', () => {
    const v = verifySignature({ headers: signWebhook('not-the-secret', body, now), body, secrets: [secret], now });
    expect(v).toEqual({ ok: false, error: 'signature does not match' });
  });

  it('refuses a body changed after signing (one byte)', () => {
    const v = verifySignature({
      headers: signWebhook(secret, body, now),
      body: body.replace('1000001', '1000002'),
      secrets: [secret],
      now,
    });
    expect(v.ok).toBe(false);
  });

  it('refuses a timestamp moved after signing (the timestamp is signed)', () => {
    const h = signWebhook(secret, body, at(-100));
    const v = verifySignature({
      headers: { ...h, [TIMESTAMP_HEADER]: String(Number(h[TIMESTAMP_HEADER]) + 100) },
      body,
      secrets: [secret],
      now,
    });
    expect(v).toEqual({ ok: false, error: 'signature does not match' });
  });

  it.each([
    ['five minutes and one second old', -301, false],
    ['exactly five minutes old', -300, true],
    ['five minutes and one second ahead', 301, false],
    ['a few seconds ahead (clock skew)', 5, true],
  ])('a request signed %s (offset %i s): accepted = %s', (_what, offset, accepted) => {
    const v = verifySignature({ headers: signWebhook(secret, body, at(offset)), body, secrets: [secret], now });
    expect(v.ok).toBe(accepted);
    if (!v.ok) expect(v.error).toMatch(/stale or replayed/);
  });

  it('accepts the old or the new secret while one rotates, and any of several v1 values', () => {
    const ts = nowTs;
    const headers = { [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: `v1=${'0'.repeat(64)}, v1=${computeSignature('old-secret', ts, body)}` };
    expect(verifySignature({ headers, body, secrets: ['new-secret', 'old-secret'], now }).ok).toBe(true);
    expect(verifySignature({ headers, body, secrets: ['new-secret'], now }).ok).toBe(false);
  });

  it.each([
    ['no timestamp', { [SIGNATURE_HEADER]: 'v1=ab' }, /x-cutover-timestamp header is missing/],
    [
      'a timestamp that is not Unix seconds',
      { [TIMESTAMP_HEADER]: '2026-12-06T09:00:00Z', [SIGNATURE_HEADER]: 'v1=ab' },
      /must be Unix seconds, got "2026-12-06T09:00:00Z"/,
    ],
    ['no signature', { [TIMESTAMP_HEADER]: nowTs }, /x-cutover-signature header is missing/],
    ['another scheme only', { [TIMESTAMP_HEADER]: nowTs, [SIGNATURE_HEADER]: 'v0=abcd' }, /no v1= signature/],
  ])('refuses %s, saying so', (_what, headers, message) => {
    const v = verifySignature({ headers, body, secrets: [secret], now });
    expect(v.ok).toBe(false);
    expect(!v.ok && v.error).toMatch(message);
  });

  it('refuses everything when no secret is configured (an empty secret signs nothing)', () => {
    const v = verifySignature({ headers: signWebhook('', body, now), body, secrets: [''], now });
    expect(v).toEqual({ ok: false, error: 'no signing secret is configured' });
  });
});
