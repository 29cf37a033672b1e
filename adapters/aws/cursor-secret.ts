import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from './clients';

/**
 * The generated APIs' cursor HMAC key, read once per cold start from Secrets Manager (the construct
 * generates it; rotating it invalidates outstanding cursors, which clients handle by starting over).
 * The secret is never put in the function's environment, where anyone who can read the configuration
 * would see it.
 */
export async function readCursorSecret(secretId: string, client: SecretsManagerClient = secretsManagerClient()): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const value = out.SecretString;
  if (!value || value.length < 16) throw new Error(`secret ${secretId} holds no usable cursor key (expected at least 16 characters)`);
  return value;
}
