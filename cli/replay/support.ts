import { SQSClient } from '@aws-sdk/client-sqs';
import { InvalidArgumentError } from 'commander';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { ReplayStateStore } from '../../adapters/dynamodb/replay-state-store';
import { AwsContext, CliError, type GlobalOptions } from '../aws-context';
import { OUTPUTS } from '../../core/contract';

/** What the capture, replay and diff commands share: times, deployed names, stores. */

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A point in time from the command line: `now`, a duration back from now (`90s`, `15m`, `1h`, `2d`,
 * `1w`), or an ISO 8601 time. Returns epoch milliseconds.
 */
export function parseTimeArg(value: string, now: number = Date.now()): number {
  const v = value.trim();
  if (v === 'now') return now;
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(v);
  if (m) return now - Number(m[1]) * UNITS[m[2]];
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidArgumentError(
    `expected now, a duration back from now (90s, 15m, 1h, 2d, 1w) or an ISO 8601 time, got ${JSON.stringify(value)}`,
  );
}

/** Commander parser: keeps the text (resolved against one clock by the command). */
export function timeOption(value: string): string {
  parseTimeArg(value);
  return value;
}

export function listOption(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function percentOption(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 100)) throw new InvalidArgumentError(`expected a percent above 0 and at most 100, got ${JSON.stringify(value)}`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError(`expected a number above 0, got ${JSON.stringify(value)}`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected a whole number >= 0, got ${JSON.stringify(value)}`);
  return n;
}

/** Table and queue names: from the options when given, else from the `<prefix>-*` stack outputs. */
export interface ReplayNames {
  readonly capturedTable?: string;
  readonly stateTable?: string;
  readonly reportTable?: string;
  readonly queueUrl?: string;
}

export const OUTPUT_KEYS = {
  captured: OUTPUTS.replay.capturedEventsTableName,
  state: OUTPUTS.replay.replayStateTableName,
  reports: OUTPUTS.replay.diffReportTableName,
  queue: OUTPUTS.replay.replayQueueUrl,
  targets: OUTPUTS.replay.replayTargets,
  servicesBus: OUTPUTS.bridge.servicesBusName,
} as const;

export async function capturedStore(context: AwsContext, table?: string): Promise<CapturedStore> {
  return new CapturedStore({ tableName: table ?? (await context.output(OUTPUT_KEYS.captured)), client: context.documentClient() });
}

export async function stateStore(context: AwsContext, table?: string): Promise<ReplayStateStore> {
  return new ReplayStateStore({ tableName: table ?? (await context.output(OUTPUT_KEYS.state)), client: context.documentClient() });
}

export async function reportStore(context: AwsContext, table?: string): Promise<ReportStore> {
  return new ReportStore({ tableName: table ?? (await context.output(OUTPUT_KEYS.reports)), client: context.documentClient() });
}

/** The deployed replay targets (capability -> function), from the ReplayTargets output. */
export async function replayTargets(context: AwsContext): Promise<Record<string, string>> {
  const text = await context.output(OUTPUT_KEYS.targets);
  try {
    return JSON.parse(text) as Record<string, string>;
  } catch (cause) {
    throw new CliError(`the ReplayTargets output is not JSON: ${text.slice(0, 80)}`, 'redeploy the replay stack', { cause });
  }
}

/** An SQS client configured like the context's other clients (--region / --profile). */
export function sqsClient(options: GlobalOptions = {}): SQSClient {
  return new SQSClient({ ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}) });
}
