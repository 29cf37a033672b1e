import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ChangeSink, RowChange } from '../../../core/sync/change';
import { SinkError } from './errors';

export interface SqsFifoSinkOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** The ordering group of a change (the entity key); see core/capture/groups.ts. */
  readonly groupKey: (change: RowChange) => string;
}

/** SQS ids allow 128 characters of [A-Za-z0-9] and punctuation; anything longer or odder is hashed. */
export function sqsId(text: string): string {
  if (text.length <= 128 && /^[\x21-\x7e]+$/.test(text)) return text;
  return `h:${createHash('sha256').update(text).digest('hex')}`;
}

const MAX_BATCH_BYTES = 256 * 1024;

/**
 * The production sink: an SQS FIFO queue. MessageGroupId = entity key (per-key order, parallel across
 * keys), MessageDeduplicationId = source and change id (a batch shipped twice after a relay crash is
 * dropped by SQS within its 5-minute window; beyond it the applier's version check makes it harmless).
 * Batches are sent in order, one at a time, so FIFO order within a group is the relay's order. A partly
 * failed batch fails the whole send: the relay ships everything again (duplicates are deduplicated).
 */
export class SqsFifoSink implements ChangeSink {
  public constructor(private readonly options: SqsFifoSinkOptions) {}

  public async send(changes: readonly RowChange[]): Promise<void> {
    let batch: { Id: string; MessageBody: string; MessageGroupId: string; MessageDeduplicationId: string }[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const entries = batch;
      batch = [];
      bytes = 0;
      const out = await this.options.client.send(new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }));
      if (out.Failed && out.Failed.length > 0) {
        const f = out.Failed[0];
        throw new SinkError(
          `SQS refused ${out.Failed.length} of ${entries.length} change(s), e.g. ${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim(),
          { failed: out.Failed.map((x) => x.Id), queueUrl: this.options.queueUrl },
        );
      }
    };
    for (const [i, change] of changes.entries()) {
      const body = JSON.stringify(change);
      const size = Buffer.byteLength(body);
      if (size > MAX_BATCH_BYTES) {
        throw new SinkError(
          `change ${change.changeId} of ${change.table} ${JSON.stringify(change.key)} is ${size} bytes, over the SQS message limit of 256 KiB`,
          { changeId: change.changeId, table: change.table, size },
        );
      }
      if (batch.length === 10 || bytes + size > MAX_BATCH_BYTES) await flush();
      batch.push({
        Id: String(i),
        MessageBody: body,
        MessageGroupId: sqsId(this.options.groupKey(change)),
        MessageDeduplicationId: sqsId(`${change.source}:${change.changeId}`),
      });
      bytes += size;
    }
    await flush();
  }
}
