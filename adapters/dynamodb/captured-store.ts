import { BatchWriteCommand, GetCommand, PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CutoverError } from '../../core/errors';
import {
  CAPTURE_FORMAT_VERSION,
  capturedItemKeys,
  hourBucket,
  hourBuckets,
  looksTruncated,
  validateCapturedInteraction,
  type CapturedEventRecord,
  type RecordedEvent,
  type ReplayKey,
  type SkippedRecord,
  type ValidateOptions,
  type ValidationOutcome,
} from '../../core/replay';
import { documentClient } from '../aws/clients';
import { isConditionFailure } from './audit-store';

/**
 * The CapturedEvents table (key layout in core/replay/captured-keys.ts), one item per captured event:
 *
 *   input      pk ENTITY#<type>#<key>  sk <ISO>#<seq12>#<eventId>  gsi1pk HOUR#<YYYY-MM-DDTHH>  gsi1sk = sk
 *   input-ref  pk CORR#<correlationId> sk = the input's sk          (marks where the input sits among outcomes)
 *   outcome    pk CORR#<correlationId> sk <ISO>#<seq12>#<eventId>  gsi1pk OUT#HOUR#<...>  gsi1sk = sk
 *
 * The event itself is kept as JSON text (`event`), not as a DynamoDB map: it round-trips byte for byte
 * (numbers, empty strings, key order), and a damaged record stays representable, so a replay can report
 * it with its reason instead of failing to read it.
 *
 * Which input an outcome belongs to: the monolith does not say. Outcomes are linked by correlationId, and
 * when one correlation holds several inputs (an order placed, then cancelled), an outcome belongs to the
 * latest input captured before it; outcomes captured before the first input (capture lag) belong to that
 * first input. The input-ref items make this one Query of the correlation's partition.
 */
export type CapturedRole = 'input' | 'outcome' | 'input-ref';

export interface CapturedItem {
  readonly pk: string;
  readonly sk: string;
  readonly gsi1pk?: string;
  readonly gsi1sk?: string;
  readonly role: CapturedRole;
  readonly format: number;
  readonly eventId: string;
  readonly correlationId: string;
  readonly capturedAt: string;
  readonly sequence: number;
  readonly entityType?: string;
  readonly entityKey?: string;
  /** The recorded event's type: the legacy type for inputs, the service type for translated outcomes. */
  readonly eventType: string;
  /** The detail-type the event had on the legacy bus. */
  readonly sourceType: string;
  /** JSON text of the RecordedEvent ({ type, version?, payload }); absent on input-ref items. */
  readonly event?: string;
  /** TTL, epoch seconds. */
  readonly expiresAt: number;
  /** Why an outcome could not be translated to the service model (it is then kept in the legacy model). */
  readonly problems?: readonly string[];
}

/** What a capture writes for one event. */
export interface CaptureWrite extends CapturedEventRecord {
  readonly sourceType: string;
  readonly expiresAt: number;
  readonly problems?: readonly string[];
}

/** A planned input: its replay key plus where to read it. */
export interface CapturedInputKey extends ReplayKey {
  readonly pk: string;
  readonly sk: string;
  readonly correlationId: string;
}

export type InputKeyOutcome =
  { readonly ok: true; readonly key: CapturedInputKey } | { readonly ok: false; readonly skipped: SkippedRecord };

export class CapturedStoreError extends CutoverError {}

export interface CapturedStoreOptions {
  readonly tableName: string;
  /** @default - the shared endpoint-aware document client */
  readonly client?: DynamoDBDocumentClient;
  /** Name of the time-window index. @default 'byTime' */
  readonly indexName?: string;
}

export interface WindowQuery {
  /** Inclusive, epoch ms. */
  readonly fromMs: number;
  /** Exclusive, epoch ms. */
  readonly toMs: number;
  /** Input (legacy) types to read; all when absent. Filtered after the read (the index is by time only). */
  readonly types?: readonly string[];
  readonly pageSize?: number;
}

export const CAPTURED_INDEX = 'byTime';

const KEY_ATTRIBUTES = [
  'pk',
  'sk',
  'role',
  'format',
  'eventId',
  'correlationId',
  'capturedAt',
  'sequence',
  'entityType',
  'entityKey',
  'eventType',
  'sourceType',
];
// Every projected name through a placeholder: several (role, format, sequence) are DynamoDB reserved words.
const KEY_PROJECTION = KEY_ATTRIBUTES.map((_, i) => `#k${i}`).join(', ');
const KEY_NAMES = Object.fromEntries(KEY_ATTRIBUTES.map((a, i) => [`#k${i}`, a]));

/** The time-index bucket of outcomes captured in the hour of `ms` (`OUT#HOUR#2026-03-01T10`). */
export function outcomeBucket(ms: number): string {
  return `OUT#${hourBucket(ms)}`;
}

/** Turn what a capture writes into its item(s): an input also gets its ref in the correlation's partition. */
export function itemsForCapture(w: CaptureWrite): CapturedItem[] {
  const keys = capturedItemKeys(w);
  const base = {
    format: CAPTURE_FORMAT_VERSION,
    eventId: w.eventId,
    correlationId: w.correlationId,
    capturedAt: new Date(Date.parse(w.capturedAt)).toISOString(),
    sequence: w.sequence ?? 0,
    eventType: w.event.type,
    sourceType: w.sourceType,
    expiresAt: w.expiresAt,
  };
  const event = JSON.stringify(w.event);
  if (w.role === 'outcome') {
    // Outcomes are in the time index too (so `capture list --type STOCK_RESERVED` finds them), in buckets
    // of their own: replay planning reads the input buckets only.
    const time = { gsi1pk: outcomeBucket(Date.parse(w.capturedAt)), gsi1sk: keys.sk };
    return [
      {
        pk: keys.pk,
        sk: keys.sk,
        ...time,
        role: 'outcome',
        ...base,
        event,
        ...(w.problems && w.problems.length > 0 ? { problems: [...w.problems] } : {}),
      },
    ];
  }
  const entity = w.entity as { type: string; key: string };
  return [
    {
      pk: keys.pk,
      sk: keys.sk,
      gsi1pk: keys.gsi1pk,
      gsi1sk: keys.gsi1sk,
      role: 'input',
      ...base,
      entityType: entity.type,
      entityKey: entity.key,
      event,
    },
    { pk: `CORR#${w.correlationId}`, sk: keys.sk, role: 'input-ref', ...base, entityType: entity.type, entityKey: entity.key },
  ];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * The replay key of an input item read from the index, or the reason it cannot be planned (a damaged
 * item: no time, no entity). Only key attributes are read here; the event text is checked when sent.
 */
export function inputKeyOf(item: Record<string, unknown>): InputKeyOutcome {
  const id = str(item.eventId) ?? str(item.sk) ?? 'unknown';
  const bad = (field: string, reason: string, value?: unknown): InputKeyOutcome => ({
    ok: false,
    skipped: {
      id,
      code: value === undefined ? 'missing-field' : 'invalid-field',
      reason: `captured input ${id}: ${reason}`,
      field,
      ...(value !== undefined ? { value } : {}),
    },
  });
  if (item.format !== undefined && item.format !== CAPTURE_FORMAT_VERSION) {
    return {
      ok: false,
      skipped: {
        id,
        code: 'unknown-version',
        reason: `captured input ${id}: format ${JSON.stringify(item.format)} is not known (known: ${CAPTURE_FORMAT_VERSION})`,
        field: 'format',
        value: item.format,
      },
    };
  }
  if (!str(item.eventId)) return bad('id', 'missing field id (eventId)');
  const capturedAt = item.capturedAt;
  if (capturedAt === undefined) return bad('capturedAt', 'missing field capturedAt');
  const at = typeof capturedAt === 'string' ? Date.parse(capturedAt) : NaN;
  if (!Number.isFinite(at)) return bad('capturedAt', `capturedAt must be an ISO 8601 time, got ${JSON.stringify(capturedAt)}`, capturedAt);
  if (!str(item.entityType)) return bad('entity.type', 'missing field entity.type');
  if (!str(item.entityKey)) return bad('entity.key', 'missing field entity.key');
  if (!str(item.correlationId)) return bad('correlationId', 'missing field correlationId');
  if (!str(item.eventType)) return bad('input.type', 'missing field input.type');
  const sequence = typeof item.sequence === 'number' && Number.isSafeInteger(item.sequence) ? item.sequence : 0;
  return {
    ok: true,
    key: {
      at,
      sequence,
      id: item.eventId as string,
      entityType: item.entityType as string,
      entityKey: item.entityKey as string,
      inputType: item.eventType as string,
      pk: String(item.pk),
      sk: String(item.sk),
      correlationId: item.correlationId as string,
    },
  };
}

/**
 * The outcome items that belong to the input whose sort key is `inputSk`, from the items of its
 * correlation's partition in sort-key order: those after its ref and before the next input's ref; those
 * before the first ref go to the first input.
 */
export function outcomesOfInput(inputSk: string, partition: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const refs = partition.filter((i) => i.role === 'input-ref').map((i) => String(i.sk));
  const mine = refs.indexOf(inputSk);
  // No ref (written before refs existed, or lost): the input owns everything in its correlation.
  if (mine < 0) return partition.filter((i) => i.role === 'outcome');
  const lower = mine === 0 ? undefined : inputSk;
  const upper = refs[mine + 1];
  return partition.filter((i) => {
    if (i.role !== 'outcome') return false;
    const sk = String(i.sk);
    if (lower !== undefined && sk < lower) return false;
    if (upper !== undefined && sk >= upper) return false;
    return true;
  });
}

/** Parse an item's event text; a damaged one becomes a skip naming `field`. */
function parseEventText(text: unknown, id: string, field: string): { ok: true; value: unknown } | { ok: false; skipped: SkippedRecord } {
  if (text === undefined || text === null)
    return { ok: false, skipped: { id, code: 'missing-field', reason: `captured ${field} of ${id}: missing field ${field}`, field } };
  if (typeof text !== 'string') {
    return {
      ok: false,
      skipped: {
        id,
        code: 'invalid-field',
        reason: `captured ${field} of ${id}: must be JSON text, got ${typeof text}`,
        field,
        value: text,
      },
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const truncated = looksTruncated(text);
    return {
      ok: false,
      skipped: {
        id,
        code: truncated ? 'truncated-json' : 'invalid-json',
        reason: truncated
          ? `captured ${field} of ${id}: truncated JSON (${text.length} characters, ends inside an unfinished value)`
          : `captured ${field} of ${id}: invalid JSON (${(e as Error).message})`,
        field,
      },
    };
  }
}

/**
 * Assemble and check one interaction from its input item and the outcome items that belong to it. The
 * result is what the JSONL export holds (core/replay/captured.ts), or a skip with the reason.
 */
export function interactionFromItems(
  input: Record<string, unknown>,
  outcomes: readonly Record<string, unknown>[],
  options: ValidateOptions = {},
): ValidationOutcome {
  const id = str(input.eventId) ?? 'unknown';
  const parsedInput = parseEventText(input.event, id, 'input');
  if (!parsedInput.ok) return { ok: false, skipped: parsedInput.skipped };
  const parsedOutcomes: unknown[] = [];
  const sorted = [...outcomes].sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : String(a.sk) > String(b.sk) ? 1 : 0));
  for (let i = 0; i < sorted.length; i += 1) {
    const p = parseEventText(sorted[i].event, id, `outcomes[${i}]`);
    if (!p.ok) return { ok: false, skipped: p.skipped };
    parsedOutcomes.push(p.value);
  }
  return validateCapturedInteraction(
    {
      ...(input.format !== undefined ? { format: input.format } : {}),
      id: input.eventId,
      capturedAt: input.capturedAt,
      ...(input.sequence !== undefined ? { sequence: input.sequence } : {}),
      correlationId: input.correlationId,
      entity: { type: input.entityType, key: input.entityKey },
      input: parsedInput.value,
      outcomes: parsedOutcomes,
    },
    options,
  );
}

/** Reads and writes the CapturedEvents table. Every write is a conditional put of a new key: idempotent. */
export class CapturedStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly indexName: string;

  public constructor(options: CapturedStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
    this.indexName = options.indexName ?? CAPTURED_INDEX;
  }

  /** Store one captured event (and an input's ref). A redelivery finds its keys taken: `duplicate`. */
  public async put(write: CaptureWrite): Promise<'stored' | 'duplicate'> {
    let stored = false;
    for (const item of itemsForCapture(write)) {
      try {
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
        stored = true;
      } catch (err) {
        // The ref may be missing after a crash between the two puts: keep going so the retry writes it.
        if (!isConditionFailure(err)) throw err;
      }
    }
    return stored ? 'stored' : 'duplicate';
  }

  /**
   * Bulk load (seeding a bench, restoring an export): 25 items per request, unprocessed ones retried.
   * Unconditional, unlike `put`: for loading a window nobody else writes to.
   */
  public async putBatch(writes: readonly CaptureWrite[]): Promise<number> {
    const items = writes.flatMap(itemsForCapture);
    for (let i = 0; i < items.length; i += 25) {
      let request: Record<string, Array<{ PutRequest: { Item: Record<string, unknown> } }>> | undefined = {
        [this.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item: Item as unknown as Record<string, unknown> } })),
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt += 1) {
        if (attempt > 8)
          throw new CapturedStoreError(`bulk load into ${this.tableName}: items still unprocessed after ${attempt} attempts`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.client.send(new BatchWriteCommand({ RequestItems: request }));
        request = out.UnprocessedItems as typeof request;
      }
    }
    return items.length;
  }

  /** Write an item as given (tests and repair tools: e.g. plant a damaged record). */
  public async putRaw(item: Record<string, unknown>): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /**
   * The inputs captured in a window, oldest hour first (within an hour by sort key), with key attributes
   * only. Damaged items are yielded as skips so the caller can report them.
   */
  public async *inputsInWindow(q: WindowQuery): AsyncGenerator<InputKeyOutcome> {
    const types = q.types && q.types.length > 0 ? new Set(q.types) : undefined;
    const fromIso = new Date(q.fromMs).toISOString();
    const toIso = new Date(q.toMs).toISOString();
    for (const bucket of hourBuckets(q.fromMs, q.toMs)) {
      for await (const page of paginateQuery(
        { client: this.client, pageSize: q.pageSize },
        {
          TableName: this.tableName,
          IndexName: this.indexName,
          // The sort key starts with the ISO time: BETWEEN from and to keeps [from, to) (a key at `to`
          // continues with '#', so it sorts after the bare `to`).
          KeyConditionExpression: 'gsi1pk = :b AND gsi1sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':b': bucket, ':from': fromIso, ':to': toIso },
          ExpressionAttributeNames: KEY_NAMES,
          ProjectionExpression: KEY_PROJECTION,
        },
      )) {
        for (const item of page.Items ?? []) {
          if (item.role !== undefined && item.role !== 'input') continue;
          if (types && !types.has(String(item.eventType))) continue;
          yield inputKeyOf(item);
        }
      }
    }
  }

  /** Every captured item (inputs and outcomes) in a window, with its event text, in capture order. */
  public async *itemsInWindow(q: WindowQuery): AsyncGenerator<CapturedItem> {
    const types = q.types && q.types.length > 0 ? new Set(q.types) : undefined;
    const fromIso = new Date(q.fromMs).toISOString();
    const toIso = new Date(q.toMs).toISOString();
    for (const hour of hourBuckets(q.fromMs, q.toMs)) {
      // One hour at a time, inputs and outcomes merged into capture order.
      const items: CapturedItem[] = [];
      for (const bucket of [hour, `OUT#${hour}`]) {
        for await (const page of paginateQuery(
          { client: this.client, pageSize: q.pageSize },
          {
            TableName: this.tableName,
            IndexName: this.indexName,
            KeyConditionExpression: 'gsi1pk = :b AND gsi1sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':b': bucket, ':from': fromIso, ':to': toIso },
          },
        )) {
          for (const item of page.Items ?? []) {
            if (types && !types.has(String(item.sourceType)) && !types.has(String(item.eventType))) continue;
            items.push(item as CapturedItem);
          }
        }
      }
      items.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
      yield* items;
    }
  }

  public async getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item;
  }

  /** Every item of a correlation (outcomes and input refs), in sort-key order. */
  public async correlationItems(correlationId: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `CORR#${correlationId}` },
        ConsistentRead: true,
      },
    )) {
      out.push(...(page.Items ?? []));
    }
    return out;
  }

  /** Read one planned input and its outcomes, and check them: the interaction, or why it is skipped. */
  public async interactionFor(
    key: Pick<CapturedInputKey, 'pk' | 'sk' | 'id' | 'correlationId'>,
    options: ValidateOptions = {},
  ): Promise<ValidationOutcome> {
    const input = await this.getItem(key.pk, key.sk);
    if (!input) {
      // Expired (TTL) or deleted between planning and sending.
      return {
        ok: false,
        skipped: {
          id: key.id,
          code: 'missing-field',
          reason: `captured input ${key.id} is gone (expired or deleted since the replay was planned)`,
          field: '$',
        },
      };
    }
    const partition = await this.correlationItems(key.correlationId);
    return interactionFromItems(input, outcomesOfInput(key.sk, partition), options);
  }
}

export type { RecordedEvent };
