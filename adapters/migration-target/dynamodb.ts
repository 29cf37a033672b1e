import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ScanCommand,
  type AttributeValue as SdkAttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { backoffDelay, isRetryable, keyFromText, keyText, TargetError, type BackoffOptions, type Item } from '../../core/migration';
import type { ItemSource, ItemVisitor, ItemWriter, WriteStats } from './target';

export interface DynamoTableOptions {
  /** Key attribute names (partition, then sort), for key texts. */
  readonly keyAttributes: readonly string[];
  /** Attempts per batch before giving up (each retry waits with backoff and jitter). @default 12 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** Injected for tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Parallel scan segments for verification. @default 4 */
  readonly scanSegments?: number;
  /** Strongly consistent scans and gets (costs twice the reads). @default false */
  readonly consistentRead?: boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One DynamoDB table through the low-level client (DynamoDB JSON in and out, numbers never pass through a
 * float). The client is injected; it honours AWS_ENDPOINT_URL, so the same code writes to AWS, MiniStack
 * or dynalite.
 */
export class DynamoTable implements ItemWriter, ItemSource {
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  public constructor(
    private readonly client: DynamoDBClient,
    public readonly tableName: string,
    private readonly options: DynamoTableOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 12;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  public describe(): string {
    return `dynamodb://${this.tableName}`;
  }

  private fail(what: string, attempt: number, cause: unknown, context: Record<string, unknown> = {}): TargetError {
    const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    return new TargetError(
      `${this.describe()}: ${what} failed after ${attempt} attempt(s): ${message}`,
      { table: this.tableName, ...context },
      { cause },
    );
  }

  public async writeBatch(items: readonly Item[]): Promise<WriteStats> {
    if (items.length === 0) return { requests: 0, retries: 0 };
    if (items.length > 25) throw new RangeError(`a batch holds at most 25 items, got ${items.length}`);
    let pending: WriteRequest[] = items.map((item) => ({ PutRequest: { Item: item as Record<string, SdkAttributeValue> } }));
    let requests = 0;
    let retries = 0;
    for (let attempt = 0; ; attempt++) {
      requests++;
      try {
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
        const left = out.UnprocessedItems?.[this.tableName] ?? [];
        if (left.length === 0) return { requests, retries };
        pending = left;
        if (attempt + 1 >= this.maxAttempts) {
          throw this.fail('BatchWriteItem', attempt + 1, new Error(`${left.length} item(s) still unprocessed`), {
            unprocessed: left.length,
          });
        }
      } catch (e) {
        if (e instanceof TargetError) throw e;
        if (!isRetryable(e) || attempt + 1 >= this.maxAttempts)
          throw this.fail('BatchWriteItem', attempt + 1, e, { items: pending.length });
      }
      retries++;
      await this.sleep(backoffDelay(attempt, this.options.backoff, this.random));
    }
  }

  /** Scans the whole table with parallel segments, visiting each item once. */
  public async scanItems(visit: ItemVisitor, signal?: AbortSignal): Promise<void> {
    const total = this.options.scanSegments ?? 4;
    await Promise.all(
      Array.from({ length: total }, async (_, segment) => {
        let start: Record<string, SdkAttributeValue> | undefined;
        do {
          if (signal?.aborted) return;
          const page = await this.withRetry('Scan', () =>
            this.client.send(
              new ScanCommand({
                TableName: this.tableName,
                Segment: segment,
                TotalSegments: total,
                ExclusiveStartKey: start,
                ConsistentRead: this.options.consistentRead,
              }),
            ),
          );
          for (const item of page.Items ?? []) visit(item as Item, '');
          start = page.LastEvaluatedKey;
        } while (start);
      }),
    );
  }

  /** BatchGetItem by key text, 100 keys a request, retrying unprocessed keys. */
  public async fetch(wanted: readonly { readonly key: string; readonly locator: string }[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const keys = this.options.keyAttributes;
    for (let i = 0; i < wanted.length; i += 100) {
      let pending = wanted.slice(i, i + 100).map((w) => keyFromText(w.key, keys) as Record<string, SdkAttributeValue>);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const out = await this.withRetry('BatchGetItem', () =>
          this.client.send(
            new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: this.options.consistentRead } } }),
          ),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(keyText(item as Item, keys), item as Item);
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (pending.length > 0) {
          if (attempt + 1 >= this.maxAttempts)
            throw this.fail('BatchGetItem', attempt + 1, new Error(`${pending.length} key(s) still unprocessed`));
          await this.sleep(backoffDelay(attempt, this.options.backoff, this.random));
        }
      }
    }
    return found;
  }

  private async withRetry<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        if (!isRetryable(e) || attempt + 1 >= this.maxAttempts) throw this.fail(what, attempt + 1, e);
        await this.sleep(backoffDelay(attempt, this.options.backoff, this.random));
      }
    }
  }
}
