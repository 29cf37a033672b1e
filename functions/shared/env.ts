import { ConfigurationError } from '../../core/errors';

/** Reads a required environment variable once, at cold start; a missing one is a deployment bug. */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new ConfigurationError(`environment variable ${name} is not set`, { setting: name });
  return v;
}

export function optionalEnv(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}
