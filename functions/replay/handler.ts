import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { ReplayStateStore } from '../../adapters/dynamodb/replay-state-store';
import { loadSpec } from '../shared/spec';
import { EventBridgeLifecycle, LambdaTargetInvoker, SqsWorkQueue } from './adapters';
import { ReplayRunner, type SliceOutcome, type WorkMessage } from './runner';
import { ConfigurationError } from '../../core/errors';

/*
 * The replay Lambda, behind the replay work queue (batch size 1). A message is a replay to start (from the
 * CLI, or a `replay.requested` event put on the services bus, which a rule forwards to the queue) or a
 * replay to continue. Each invocation runs one time-bounded slice (functions/replay/runner.ts) and queues
 * the next; a failure is retried by SQS, and after the last attempt the replay is marked failed and the
 * message kept in the queue's dead-letter queue.
 * Env: CAPTURED_TABLE_NAME, REPORT_TABLE_NAME, REPLAY_STATE_TABLE_NAME, REPLAY_QUEUE_URL, SERVICES_BUS_NAME,
 * REPLAY_TARGETS (JSON: capability -> function name), REPLAY_SLICE_SECONDS (default 240),
 * REPLAY_MAX_RECEIVES (the queue's maxReceiveCount, default 3).
 */
interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes?: { readonly ApproximateReceiveCount?: string };
}

interface LambdaContextLike {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

export interface ReplayHandlerConfig {
  readonly runner: ReplayRunner;
  /** Longest slice, ms. */
  readonly sliceMs: number;
  readonly maxReceives: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export function createReplayHandler(config: ReplayHandlerConfig) {
  const logger = config.logger ?? new Logger('replay');
  const now = config.now ?? Date.now;
  const deadlineOf = (context?: LambdaContextLike): number => {
    // Leave 20 s to save the checkpoint and queue the next slice before Lambda stops the invocation.
    const remaining = context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() - 20_000 : config.sliceMs;
    return now() + Math.max(1_000, Math.min(config.sliceMs, remaining));
  };
  return async (
    event: unknown,
    context?: LambdaContextLike,
  ): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }>; outcomes: SliceOutcome[] } | SliceOutcome> => {
    const records = (event as { Records?: SqsRecord[] })?.Records;
    if (!Array.isArray(records)) {
      // Invoked directly with one message.
      return config.runner.handleMessage(event as WorkMessage, {
        owner: context?.awsRequestId ?? `direct-${now()}`,
        deadline: deadlineOf(context),
      });
    }
    const failures: Array<{ itemIdentifier: string }> = [];
    const outcomes: SliceOutcome[] = [];
    for (const record of records) {
      let message: WorkMessage;
      try {
        message = JSON.parse(record.body) as WorkMessage;
      } catch {
        // Not JSON can never succeed: keep it in the dead-letter queue by failing it every time.
        logger.error('replay work message is not JSON', { messageId: record.messageId, body: record.body.slice(0, 200) });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        const outcome = await config.runner.handleMessage(message, {
          owner: `${context?.awsRequestId ?? 'local'}:${record.messageId}`,
          deadline: deadlineOf(context),
        });
        outcomes.push(outcome);
        logger.info('slice done', { messageId: record.messageId, outcome });
      } catch (err) {
        const attempt = Number(record.attributes?.ApproximateReceiveCount ?? '1');
        logger.error('replay slice failed', { messageId: record.messageId, attempt, error: err });
        if (attempt >= config.maxReceives && 'kind' in message && message.kind === 'continue')
          await config.runner.fail(message.replayId, err);
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures, outcomes };
  };
}

let instance: ReturnType<typeof createReplayHandler> | undefined;

function parseTargets(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigurationError(
      `REPLAY_TARGETS must be JSON ({"capability": "function name"}), got ${text.slice(0, 80)}`,
      { setting: 'REPLAY_TARGETS' },
      { cause },
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new ConfigurationError(`REPLAY_TARGETS must map capability names to function names, got ${text.slice(0, 80)}`, {
      setting: 'REPLAY_TARGETS',
    });
  }
  return parsed as Record<string, string>;
}

export async function handler(event: unknown, context?: LambdaContextLike) {
  if (!instance) {
    const sqs = new SQSClient({});
    const runner = new ReplayRunner({
      spec: loadSpec(),
      captured: new CapturedStore({ tableName: requireEnv('CAPTURED_TABLE_NAME') }),
      reports: new ReportStore({ tableName: requireEnv('REPORT_TABLE_NAME') }),
      state: new ReplayStateStore({ tableName: requireEnv('REPLAY_STATE_TABLE_NAME') }),
      invoker: new LambdaTargetInvoker(new LambdaClient({})),
      queue: new SqsWorkQueue(sqs, requireEnv('REPLAY_QUEUE_URL')),
      lifecycle: new EventBridgeLifecycle(eventBridgeClient(), requireEnv('SERVICES_BUS_NAME')),
      targets: parseTargets(optionalEnv('REPLAY_TARGETS', '{}')),
    });
    instance = createReplayHandler({
      runner,
      sliceMs: Number(optionalEnv('REPLAY_SLICE_SECONDS', '240')) * 1000,
      maxReceives: Number(optionalEnv('REPLAY_MAX_RECEIVES', '3')),
    });
  }
  return instance(event, context);
}
