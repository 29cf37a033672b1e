import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvalidArgumentError } from 'commander';
import * as path from 'node:path';
import { CutoverError } from '../../core/errors';

/** What the backfill and verify commands take from their surroundings; tests inject their own. */
export interface CommandDeps {
  readonly dynamo?: DynamoDBClient;
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly signal?: AbortSignal;
  /** Working directory for relative paths. @default process.cwd() */
  readonly cwd?: string;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected a whole number >= 0, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * A DynamoDB client from the environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, credentials chain),
 * with the program's global --region / --profile when it has them.
 */
export function dynamoFromEnv(globals: { region?: string; profile?: string } = {}): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 3,
    ...(globals.region ? { region: globals.region } : {}),
    ...(globals.profile ? { profile: globals.profile } : {}),
  });
}

/** A file name part from a table name: letters, digits, . _ - only. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function resolveIn(cwd: string | undefined, p: string): string {
  return path.resolve(cwd ?? process.cwd(), p);
}

/**
 * Runs a command body: a CutoverError (bad spec, unreachable source, checkpoint of another run...) prints
 * its message without a stack and exits 2; anything else is a bug and keeps its stack.
 */
export async function runCommand(deps: CommandDeps, body: () => Promise<number>): Promise<number> {
  const stderr = deps.stderr ?? process.stderr;
  try {
    return await body();
  } catch (e) {
    if (e instanceof CutoverError) {
      stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** An AbortSignal that fires on the first SIGINT or SIGTERM (the second one kills as usual). */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    process.stderr.write(`\n${sig}: stopping after the batch in flight (send again to kill)\n`);
    controller.abort();
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
