import { InvalidArgumentError } from 'commander';

/** Commander parser for whole numbers >= 1; the message names the value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

/** Commander parser for ISO 8601 times. */
export function isoTime(value: string): string {
  if (Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new InvalidArgumentError(`expected an ISO 8601 time such as 2026-11-21T14:00:00Z, got ${JSON.stringify(value)}`);
  return value;
}
