import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CutoverError } from '../../core/errors';
import { secretsManagerClient } from './clients';

/** A secret is missing, empty or not in the expected shape. */
export class SecretError extends CutoverError {}

const cache = new Map<string, string>();

/**
 * The monolith's connection URL from Secrets Manager, never from a plain environment variable: the
 * secret's `url` field (JSON) or its whole text. Read once per cold start; pass a client in tests.
 */
export async function readSourceUrl(secretId: string, sm?: SecretsManagerClient): Promise<string> {
  const hit = cache.get(secretId);
  if (hit && !sm) return hit;
  const c = sm ?? secretsManagerClient();
  const res = await c.send(new GetSecretValueCommand({ SecretId: secretId }));
  const text = res.SecretString;
  if (!text) throw new SecretError(`secret ${secretId} has no text value`, { secretId });
  let url = text;
  if (text.trimStart().startsWith('{')) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed.url !== 'string' || parsed.url === '')
      throw new SecretError(`secret ${secretId} is JSON without a "url" field`, { secretId, fields: Object.keys(parsed) });
    url = parsed.url;
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(url))
    throw new SecretError(`secret ${secretId} does not hold a connection URL (postgres://, mysql://)`, { secretId });
  cache.set(secretId, url);
  return url;
}

/** Forgets a cached URL, so the next read asks Secrets Manager again (rotated, or pointed at another database). */
export function forgetSourceUrl(secretId: string): void {
  cache.delete(secretId);
}
