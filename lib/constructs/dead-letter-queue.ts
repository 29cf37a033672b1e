import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * Where an event goes when every retry failed: kept 14 days, encrypted, TLS only. Used both as the rule
 * target DLQ (EventBridge could not invoke) and as the Lambda async on-failure destination (the function
 * kept failing), so one queue per capability holds everything it could not process.
 */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: 'This queue is itself the dead-letter queue of the rule targets and async invocations; a DLQ of a DLQ would only move the problem.',
  });
  return queue;
}
