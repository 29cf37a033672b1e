import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { auditQueueEntryFor, type AuditQueueEntry } from '../../core/audit';
import type { Spec } from '../../core/spec';
import { sqsClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';

/*
 * A bus's audit intake queue (standard; the catch-all rule's target) -> the ordered audit queue (SQS FIFO).
 * Names each event's audit stream and sends it with MessageGroupId = that stream and
 * MessageDeduplicationId = the event id: the step an EventBridge rule cannot do, as a rule gives a FIFO
 * target one fixed group. Sends in order, ten at a time; a record that could not be sent is reported failed
 * (the intake queue redelivers it, then its dead-letter queue keeps it), and so is every later record of the
 * same stream in this batch, so a stream's events are never sent out of the order they were received in.
 * Env: AUDIT_QUEUE_URL, AUDIT_BUS (legacy | services).
 */
export interface AuditSequencerDeps {
  readonly spec: Pick<Spec, 'bridge'>;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  readonly bus: string;
  readonly logger: Logger;
}

/** SendMessageBatch takes at most ten entries. */
const SQS_BATCH = 10;

export async function sequence(event: SQSEvent, deps: AuditSequencerDeps): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  const failedStreams = new Set<string>();
  const pending: Array<{ record: SQSRecord; entry: AuditQueueEntry }> = [];
  for (const record of event.Records) {
    let raw: unknown;
    try {
      raw = JSON.parse(record.body);
    } catch (err) {
      // Nothing EventBridge delivers fails here; a hand-sent message does, and waits in the dead-letter queue.
      deps.logger.error('audit intake message is not JSON', { messageId: record.messageId, error: err });
      failed.add(record.messageId);
      continue;
    }
    pending.push({ record, entry: auditQueueEntryFor(deps.spec, raw, deps.bus) });
  }
  for (let i = 0; i < pending.length; i += SQS_BATCH) {
    const chunk = pending.slice(i, i + SQS_BATCH).filter(({ record, entry }) => {
      if (!failedStreams.has(entry.groupId)) return true;
      failed.add(record.messageId);
      return false;
    });
    if (chunk.length === 0) continue;
    let unsent: string[];
    try {
      const res = await deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: deps.queueUrl,
          Entries: chunk.map(({ entry }, j) => ({
            Id: String(j),
            MessageBody: entry.body,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
          })),
        }),
      );
      unsent = (res.Failed ?? []).map((f) => {
        deps.logger.warn('audit event not queued', { entryId: f.Id, code: f.Code, reason: f.Message, senderFault: f.SenderFault });
        return f.Id ?? '';
      });
    } catch (err) {
      deps.logger.error('audit events not queued', { count: chunk.length, error: err });
      unsent = chunk.map((_c, j) => String(j));
    }
    for (const id of unsent) {
      const item = chunk[Number(id)];
      if (!item) continue;
      failed.add(item.record.messageId);
      failedStreams.add(item.entry.groupId);
    }
  }
  return { batchItemFailures: event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId })) };
}

let deps: AuditSequencerDeps | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  deps ??= {
    spec: loadSpec(),
    sqs: sqsClient(),
    queueUrl: requireEnv('AUDIT_QUEUE_URL'),
    bus: requireEnv('AUDIT_BUS'),
    logger: new Logger('audit-sequencer'),
  };
  return sequence(event, deps);
}
