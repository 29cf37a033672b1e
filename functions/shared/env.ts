import { ConfigurationError } from '../../core/errors';
import type { EnvName } from '../../core/contract';

/** Reads a required environment variable once, at cold start; a missing one is a deployment bug. */
export function requireEnv(name: EnvName): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new ConfigurationError(`environment variable ${name} is not set`, { setting: name });
  return v;
}

/** Reads an environment variable with a fallback for when it is unset or empty. */
export function optionalEnv(name: EnvName, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}
