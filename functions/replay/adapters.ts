import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deterministicId } from '../../core/events/envelope';
import { TransientError } from '../../core/errors';
import { REPLAY_SOURCE, type ShadowInvocationEvent } from '../../core/replay/shadow-event';
import { TargetFailedError, type LifecycleSink, type TargetInvoker, type WorkQueue } from './runner';

/** The AWS side of the replay runner: Lambda Invoke, SQS SendMessage, EventBridge PutEvents. */

/** Calls the target synchronously, so the next event of the same entity waits until this one is handled. */
export class LambdaTargetInvoker implements TargetInvoker {
  public constructor(private readonly lambda: LambdaClient) {}

  public async invoke(functionName: string, event: ShadowInvocationEvent): Promise<void> {
    const out = await this.lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }),
    );
    if (!out.FunctionError) return;
    let errorType = out.FunctionError;
    let message = 'the target function failed';
    try {
      const payload = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8')) as {
        errorType?: string;
        errorMessage?: string;
      };
      errorType = payload.errorType ?? errorType;
      message = payload.errorMessage ?? message;
    } catch {
      // not JSON: keep the generic message
    }
    throw new TargetFailedError(errorType, message, { functionName, replayEventId: event.id });
  }
}

export class SqsWorkQueue implements WorkQueue {
  public constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  public async continueLater(replayId: string, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ kind: 'continue', replayId }),
        DelaySeconds: Math.max(0, Math.min(900, Math.floor(delaySeconds))),
      }),
    );
  }

  public async start(request: Record<string, unknown>): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify({ kind: 'start', request }) }));
  }
}

/** The PutEvents entry of a replay lifecycle event: a service event in the replay's own audit stream. */
export function lifecycleEntry(busName: string, type: string, replayId: string, data: Record<string, unknown>, now: Date = new Date()) {
  const occurredAt = now.toISOString();
  return {
    EventBusName: busName,
    Source: REPLAY_SOURCE,
    DetailType: type,
    Detail: JSON.stringify({
      metadata: {
        eventId: deterministicId('replay-lifecycle', replayId, type, occurredAt),
        eventType: type,
        version: 1,
        correlationId: `replay-${replayId}`,
        origin: 'service',
        producer: REPLAY_SOURCE,
        occurredAt,
        entity: { type: 'replay', key: replayId },
      },
      data: { replayId, ...data },
    }),
  };
}

export class EventBridgeLifecycle implements LifecycleSink {
  public constructor(
    private readonly events: EventBridgeClient,
    private readonly busName: string,
  ) {}

  public async emit(type: string, replayId: string, data: Record<string, unknown>): Promise<void> {
    const out = await new EventPublisher(this.events).publish([
      { entry: lifecycleEntry(this.busName, type, replayId, data), ref: undefined },
    ]);
    if (out.failed.length > 0) {
      throw new TransientError(`the services bus refused ${type} for ${replayId}: ${out.failed[0].code}`, { type, replayId });
    }
  }
}
