import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { eventBridgeClient, lambdaClient, sqsClient } from '../../adapters/aws/clients';
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
/** What the handler reads of Lambda's context; a direct call (a test, the CLI) may pass none. */
type ReplayContext = Partial<Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>>;

/** The SQS batch response, with each slice's outcome (Lambda reads `batchItemFailures` only). */
export interface ReplayBatchResult extends SQSBatchResponse {
  readonly outcomes: SliceOutcome[];
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
  const deadlineOf = (context?: ReplayContext): number => {
    // Leave 20 s to save the checkpoint and queue the next slice before Lambda stops the invocation.
    const remaining = context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() - 20_000 : config.sliceMs;
    return now() + Math.max(1_000, Math.min(config.sliceMs, remaining));
  };
  const slice = async (record: SQSRecord, context: ReplayContext | undefined, outcomes: SliceOutcome[]): Promise<void> => {
    let message: WorkMessage;
    try {
      message = JSON.parse(record.body) as WorkMessage;
    } catch (cause) {
      // Not JSON can never succeed: keep it in the dead-letter queue by failing it every time.
      logger.error('replay work message is not JSON', { messageId: record.messageId, body: record.body.slice(0, 200) });
      throw new Error(`replay work message ${record.messageId} is not JSON`, { cause });
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
      throw err;
    }
  };
  return async (event: SQSEvent | WorkMessage, context?: ReplayContext): Promise<ReplayBatchResult | SliceOutcome> => {
    if (!Array.isArray((event as Partial<SQSEvent> | null)?.Records)) {
      // Invoked directly with one message.
      return config.runner.handleMessage(event as WorkMessage, {
        owner: context?.awsRequestId ?? `direct-${now()}`,
        deadline: deadlineOf(context),
      });
    }
    // Powertools' BatchProcessor reports each failed message in `batchItemFailures` (the mapping has
    // ReportBatchItemFailures), so SQS retries only those; a batch that fails whole is reported, not thrown.
    const outcomes: SliceOutcome[] = [];
    const response = await processPartialResponse(
      event as SQSEvent,
      (record: SQSRecord) => slice(record, context, outcomes),
      new BatchProcessor(EventType.SQS),
      { processInParallel: false, throwOnFullBatchFailure: false },
    );
    return { batchItemFailures: response.batchItemFailures, outcomes };
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

export async function handler(event: SQSEvent | WorkMessage, context?: Context): Promise<ReplayBatchResult | SliceOutcome> {
  if (!instance) {
    const sqs = sqsClient();
    const runner = new ReplayRunner({
      spec: loadSpec(),
      captured: new CapturedStore({ tableName: requireEnv('CAPTURED_TABLE_NAME') }),
      reports: new ReportStore({ tableName: requireEnv('REPORT_TABLE_NAME') }),
      state: new ReplayStateStore({ tableName: requireEnv('REPLAY_STATE_TABLE_NAME') }),
      invoker: new LambdaTargetInvoker(lambdaClient()),
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
