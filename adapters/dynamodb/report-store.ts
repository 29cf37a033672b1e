import { GetCommand, PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DiffReportJson } from '../../core/compare';
import { CutoverError } from '../../core/errors';
import type { RecordedEvent, ReplayKey, SkippedRecord } from '../../core/replay';
import { documentClient } from '../aws/clients';
import { isConditionFailure } from './audit-store';

/**
 * The DiffReport table: everything one replay produced, in one partition (`replayId`), so the report can
 * be computed again from it at any time:
 *
 *   I#<iid>#SENT            what was sent for interaction <iid>: the recorded outcomes to compare with,
 *                           and its status (sent | failed | blocked)
 *   I#<iid>#OUT#<eventId>   an outcome event the target emitted for it (written by the outcome collector)
 *   S#<id>                  a captured record the replay skipped, with the reason
 *   P#META, P#0000...       the plan, frozen by the first slice: the inputs to send, in replay order
 *   R#META, R#0000...       the finished report, as JSON in chunks (a DynamoDB item holds 400 KB)
 *
 * `<iid>` is URI-encoded, so an id can never contain the `#` separator and one interaction's items sort
 * together: a single Query over `I#` reads interactions one group at a time.
 */
export type SentStatus = 'sent' | 'failed' | 'blocked';

export interface SentRecord {
  readonly interactionId: string;
  readonly status: SentStatus;
  readonly entityId: string;
  /** The captured (legacy) input type, and the service event type sent to the target. */
  readonly inputType?: string;
  readonly sentType?: string;
  /** The monolith's recorded outcomes owned by the target: what its own outcomes are compared with. */
  readonly expected?: readonly RecordedEvent[];
  /** Recorded outcomes left out because another capability owns them. */
  readonly excludedOutcomes?: number;
  readonly sentAt: string;
  readonly error?: { readonly name: string; readonly message: string };
  /** For `blocked`: the interaction whose failure held this one back (per-entity order). */
  readonly behind?: string;
}

export interface ActualOutcome {
  readonly interactionId: string;
  readonly eventId: string;
  readonly event: RecordedEvent;
  readonly receivedAt: string;
}

/** One interaction's items, as the compare step reads them. */
export interface InteractionGroup {
  readonly interactionId: string;
  readonly sent?: SentRecord;
  readonly actual: readonly ActualOutcome[];
}

export class ReportStoreError extends CutoverError {}

/** One planned input: its replay key and where to read it (see CapturedInputKey). */
export interface PlannedKey extends ReplayKey {
  readonly pk: string;
  readonly sk: string;
  readonly correlationId: string;
}

export interface ReportStoreOptions {
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  /** Characters of report JSON per item. @default 300_000 (well under the 400 KB item limit) */
  readonly chunkChars?: number;
}

const enc = (id: string) => encodeURIComponent(id);

export function sentSortKey(interactionId: string): string {
  return `I#${enc(interactionId)}#SENT`;
}

export function outcomeSortKey(interactionId: string, eventId: string): string {
  return `I#${enc(interactionId)}#OUT#${enc(eventId)}`;
}

export function skipSortKey(id: string): string {
  return `S#${enc(id)}`;
}

export class ReportStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly chunkChars: number;

  public constructor(options: ReportStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
    this.chunkChars = options.chunkChars ?? 300_000;
  }

  /** Record (or overwrite: a retried send, a send that then failed) what was sent for an interaction. */
  public async putSent(replayId: string, record: SentRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          replayId,
          sk: sentSortKey(record.interactionId),
          kind: 'sent',
          ...record,
          expected: record.expected ? JSON.stringify(record.expected) : undefined,
        },
      }),
    );
  }

  /** Record an outcome the target emitted. The same event delivered twice is stored once. */
  public async putActual(replayId: string, outcome: ActualOutcome): Promise<'stored' | 'duplicate'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            replayId,
            sk: outcomeSortKey(outcome.interactionId, outcome.eventId),
            kind: 'outcome',
            interactionId: outcome.interactionId,
            eventId: outcome.eventId,
            event: JSON.stringify(outcome.event),
            receivedAt: outcome.receivedAt,
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return 'stored';
    } catch (err) {
      if (isConditionFailure(err)) return 'duplicate';
      throw err;
    }
  }

  public async putSkipped(replayId: string, skipped: SkippedRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { replayId, sk: skipSortKey(skipped.id), kind: 'skipped', skipped: JSON.stringify(skipped) },
      }),
    );
  }

  private async *query(replayId: string, prefix: string): AsyncGenerator<Record<string, unknown>> {
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'replayId = :r AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':r': replayId, ':p': prefix },
        ConsistentRead: true,
      },
    )) {
      for (const item of page.Items ?? []) yield item;
    }
  }

  /** The replay's interactions one at a time (each with what was sent and what came back), in id order. */
  public async *interactions(replayId: string): AsyncGenerator<InteractionGroup> {
    let current: { interactionId: string; sent?: SentRecord; actual: ActualOutcome[] } | undefined;
    for await (const item of this.query(replayId, 'I#')) {
      const iid = String(item.interactionId);
      if (current && current.interactionId !== iid) {
        yield current;
        current = undefined;
      }
      current ??= { interactionId: iid, actual: [] };
      if (item.kind === 'sent') current.sent = sentFromItem(item);
      else if (item.kind === 'outcome') current.actual.push(actualFromItem(item));
    }
    if (current) yield current;
  }

  public async *skipped(replayId: string): AsyncGenerator<SkippedRecord> {
    for await (const item of this.query(replayId, 'S#')) yield JSON.parse(String(item.skipped)) as SkippedRecord;
  }

  /**
   * Freeze the plan: the first slice reads the window once and stores the keys it will send, in order;
   * later slices read them back instead of reading the window again. So a resumed replay sends exactly
   * what was planned even if late captures land in the window meanwhile, and a big window is read once.
   */
  public async putPlan(replayId: string, keys: readonly PlannedKey[]): Promise<void> {
    const text = JSON.stringify(
      keys.map((k) => [k.pk, k.sk, k.id, k.at, k.sequence, k.entityType, k.entityKey, k.inputType, k.correlationId]),
    );
    await this.putChunked(replayId, 'P', text, { count: keys.length });
  }

  /** The frozen plan, or undefined before the first slice stored it. */
  public async getPlan(replayId: string): Promise<PlannedKey[] | undefined> {
    const text = await this.getChunked(replayId, 'P');
    if (text === undefined) return undefined;
    return (JSON.parse(text) as Array<[string, string, string, number, number, string, string, string, string]>).map(
      ([pk, sk, id, at, sequence, entityType, entityKey, inputType, correlationId]) => ({
        pk,
        sk,
        id,
        at,
        sequence,
        entityType,
        entityKey,
        inputType,
        correlationId,
      }),
    );
  }

  /** Text in chunks under `<prefix>#0000...`, then `<prefix>#META` (written last: it makes the text visible). */
  private async putChunked(replayId: string, prefix: string, text: string, meta: Record<string, unknown> = {}): Promise<number> {
    const chunks = Math.max(1, Math.ceil(text.length / this.chunkChars));
    for (let i = 0; i < chunks; i += 1) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            replayId,
            sk: `${prefix}#${String(i).padStart(4, '0')}`,
            kind: `${prefix}-chunk`,
            text: text.slice(i * this.chunkChars, (i + 1) * this.chunkChars),
          },
        }),
      );
    }
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { replayId, sk: `${prefix}#META`, kind: `${prefix}-meta`, chunks, chars: text.length, ...meta },
      }),
    );
    return chunks;
  }

  private async getChunked(replayId: string, prefix: string): Promise<string | undefined> {
    const meta = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { replayId, sk: `${prefix}#META` }, ConsistentRead: true }),
    );
    if (!meta.Item) return undefined;
    const chunks = Number(meta.Item.chunks);
    const parts: string[] = [];
    for (let i = 0; i < chunks; i += 1) {
      const c = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { replayId, sk: `${prefix}#${String(i).padStart(4, '0')}` },
          ConsistentRead: true,
        }),
      );
      if (!c.Item) throw new ReportStoreError(`${prefix} of ${replayId}: chunk ${i} of ${chunks} is missing`, { replayId, chunk: i });
      parts.push(String(c.Item.text));
    }
    const text = parts.join('');
    if (text.length !== Number(meta.Item.chars))
      throw new ReportStoreError(`${prefix} of ${replayId}: ${text.length} characters read, ${String(meta.Item.chars)} written`, {
        replayId,
      });
    return text;
  }

  /** Store the finished report: chunks first, then the META item that makes it visible. */
  public async putReport(replayId: string, report: DiffReportJson): Promise<{ chunks: number; chars: number }> {
    const text = JSON.stringify(report);
    const chunks = await this.putChunked(replayId, 'R', text, { totals: report.totals, finishedAt: report.finishedAt });
    return { chunks, chars: text.length };
  }

  /** The stored report, or undefined when the replay has not finished comparing. */
  public async getReport(replayId: string): Promise<DiffReportJson | undefined> {
    const text = await this.getChunked(replayId, 'R');
    return text === undefined ? undefined : (JSON.parse(text) as DiffReportJson);
  }
}

function sentFromItem(item: Record<string, unknown>): SentRecord {
  return {
    interactionId: String(item.interactionId),
    status: item.status as SentStatus,
    entityId: String(item.entityId ?? ''),
    ...(item.inputType !== undefined ? { inputType: String(item.inputType) } : {}),
    ...(item.sentType !== undefined ? { sentType: String(item.sentType) } : {}),
    ...(typeof item.expected === 'string' ? { expected: JSON.parse(item.expected) as RecordedEvent[] } : {}),
    ...(typeof item.excludedOutcomes === 'number' ? { excludedOutcomes: item.excludedOutcomes } : {}),
    sentAt: String(item.sentAt ?? ''),
    ...(item.error ? { error: item.error as { name: string; message: string } } : {}),
    ...(item.behind !== undefined ? { behind: String(item.behind) } : {}),
  };
}

function actualFromItem(item: Record<string, unknown>): ActualOutcome {
  return {
    interactionId: String(item.interactionId),
    eventId: String(item.eventId),
    event: JSON.parse(String(item.event)) as RecordedEvent,
    receivedAt: String(item.receivedAt ?? ''),
  };
}
