import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

const madeHere = new WeakSet<sqs.Queue>();

/** True for a queue made by `deadLetterQueue`: the operations dashboard and alarms watch every one. */
export function isDeadLetterQueue(queue: unknown): queue is sqs.Queue {
  return typeof queue === 'object' && queue !== null && madeHere.has(queue as sqs.Queue);
}

/**
 * Where an event goes when every retry failed: kept 14 days, encrypted, TLS only. Used both as the rule
 * target DLQ (EventBridge could not invoke) and as the Lambda async on-failure destination (the function
 * kept failing), so one queue per capability holds everything it could not process. `fifo` makes the
 * dead-letter queue of a FIFO queue.
 */
export function deadLetterQueue(scope: Construct, id: string, options: { readonly fifo?: boolean } = {}): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    // A FIFO queue's redrive target must itself be FIFO.
    ...(options.fifo ? { fifo: true } : {}),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue of the rule targets and async invocations; a DLQ of a DLQ would only move the problem.',
  });
  madeHere.add(queue);
  return queue;
}
