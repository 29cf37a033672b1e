import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CutoverError, TransientError } from '../../core/errors';
import { batchPutEntries, isRetryablePutCode, MAX_PUT_BYTES, putEntrySize } from '../../core/events/put-batch';

/** One entry to put, with whatever the caller needs to account for it afterwards. */
export interface PublishItem<T = undefined> {
  readonly entry: PutEventsRequestEntry;
  readonly ref: T;
}

/** An entry that did not land, and why. `retryable` failures were retried `attempts` times already. */
export interface PublishFailure<T = undefined> extends PublishItem<T> {
  /** EventBridge's entry error code, or `EntryTooLarge` for an entry refused before sending. */
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** The entry's size as EventBridge counts it (set for `EntryTooLarge`). */
  readonly size?: number;
}

/** An entry that landed, with the id EventBridge gave it. */
export interface PublishedItem<T = undefined> extends PublishItem<T> {
  readonly eventId?: string;
}

export interface PublishResult<T = undefined> {
  /** Landed entries, in the order given. */
  readonly sent: readonly PublishedItem<T>[];
  /** Refused entries, in the order given. */
  readonly failed: readonly PublishFailure<T>[];
  /** PutEvents requests made (retries included). */
  readonly requests: number;
}

export interface EventPublisherOptions {
  /** Attempts per entry when EventBridge answers with a retryable entry code. @default 3 */
  readonly maxAttempts?: number;
  /** First backoff ceiling; doubled per attempt, full jitter. @default 50 */
  readonly baseDelayMs?: number;
  /** @default a timer; tests pass their own */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/** Some entries were refused. A TransientError subclass when every refusal was retryable (retry the whole). */
export class PublishError extends CutoverError {}
export class PublishRetryableError extends TransientError {}

/**
 * The one way this kit puts events on a bus. It keeps EventBridge's limits so callers do not have to:
 * an entry above 256 KiB is refused here (with its size), requests carry at most ten entries and at most
 * 256 KiB together, and entries refused with a retryable code (throttling, internal failure) are sent again
 * with backoff while others are reported at once. It never throws for a refused entry: the caller decides
 * what a refusal means (quarantine, a failed step, a retried invocation). An SDK error for the whole request
 * (after the SDK's own retries) is thrown as it is.
 */
export class EventPublisher {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  public constructor(
    private readonly client: Pick<EventBridgeClient, 'send'>,
    options: EventPublisherOptions = {},
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  public async publish<T>(items: readonly PublishItem<T>[]): Promise<PublishResult<T>> {
    const order = new Map<PublishItem<T>, number>(items.map((item, i) => [item, i]));
    const sent: PublishedItem<T>[] = [];
    const failed: PublishFailure<T>[] = [];
    let pending: Array<{ item: PublishItem<T>; size: number }> = [];
    for (const item of items) {
      const size = putEntrySize(item.entry);
      if (size > MAX_PUT_BYTES) {
        failed.push({
          ...item,
          code: 'EntryTooLarge',
          message: `the entry is ${size} bytes; EventBridge takes at most ${MAX_PUT_BYTES}`,
          retryable: false,
          size,
        });
      } else pending.push({ item, size });
    }
    let requests = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const again: typeof pending = [];
      const last: PublishFailure<T>[] = [];
      for (const batch of batchPutEntries(pending, (p) => p.size)) {
        requests++;
        const res = await this.client.send(new PutEventsCommand({ Entries: batch.map((p) => p.item.entry) }));
        const answers = res.Entries ?? [];
        batch.forEach((p, i) => {
          const code = answers[i]?.ErrorCode;
          // No answer for an entry while others failed: EventBridge did not say it landed, so it did not.
          if (!code && (answers[i] !== undefined || !res.FailedEntryCount)) {
            sent.push(answers[i]?.EventId !== undefined ? { ...p.item, eventId: answers[i].EventId } : p.item);
            return;
          }
          const failure: PublishFailure<T> = {
            ...p.item,
            code: code ?? 'NoEntryResult',
            message: answers[i]?.ErrorMessage ?? 'no message',
            retryable: code !== undefined && isRetryablePutCode(code),
          };
          if (failure.retryable && attempt < this.maxAttempts) again.push(p);
          else last.push(failure);
        });
      }
      failed.push(...last);
      pending = again;
      if (pending.length > 0) await this.sleep(this.random() * this.baseDelayMs * 2 ** (attempt - 1));
    }
    const byOrder = (a: PublishItem<T>, b: PublishItem<T>) => (order.get(a) ?? 0) - (order.get(b) ?? 0);
    return { sent: sent.sort(byOrder), failed: failed.sort(byOrder), requests };
  }

  /**
   * For callers with nothing to account per entry: put them all, or throw naming what was refused
   * (PublishRetryableError when every refusal was retryable, so a retried invocation may succeed).
   */
  public async publishAll(entries: readonly PutEventsRequestEntry[], what = 'event(s)'): Promise<void> {
    const res = await this.publish(entries.map((entry) => ({ entry, ref: undefined })));
    if (res.failed.length === 0) return;
    const message = `${res.failed.length} of ${entries.length} ${what} refused by bus ${entries[0]?.EventBusName ?? '?'}: ${describeFailures(res.failed)}`;
    const context = { failures: res.failed.map((f) => ({ code: f.code, message: f.message, detailType: f.entry.DetailType })) };
    throw res.failed.every((f) => f.retryable) ? new PublishRetryableError(message, context) : new PublishError(message, context);
  }
}

/** `ThrottlingException: slow down; ...` for logs and errors. */
export function describeFailures(failures: readonly PublishFailure<unknown>[]): string {
  return failures.map((f) => `${f.code}: ${f.message}`).join('; ');
}
