import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { ConfigurationError } from '../../core/errors';
import { exportRow, type CompiledEntity, type Item } from '../../core/migration';

/** What the Distributed Map hands the worker: one batch of the export's files (S3 object listing entries). */
export interface BackfillBatch {
  readonly entity: string;
  readonly table: string;
  readonly files: ReadonlyArray<{ readonly Key: string; readonly Size?: number }>;
}

/** A row that was not copied, and why (the rest of the batch goes on). */
export interface BatchReject {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  readonly key?: Readonly<Record<string, string | null>>;
}

/** The batch's result, written by the map's ResultWriter to S3. */
export interface BatchResult {
  readonly entity: string;
  readonly table: string;
  readonly files: number;
  readonly rows: number;
  readonly items: number;
  readonly rejected: number;
  /** The first `maxRejects` rejects; `rejected` counts them all. */
  readonly rejects: readonly BatchReject[];
  readonly requests: number;
  readonly retries: number;
}

export interface WorkerOptions {
  readonly bucket: string;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  /** The entity by name, compiled from the spec; undefined for a name the spec does not have. */
  readonly entity: (name: string) => CompiledEntity | undefined;
  /** @default 100 */
  readonly maxRejects?: number;
  /** Items per BatchWriteItem. @default 25 */
  readonly batchSize?: number;
}

/** Checks the map's payload: a mistake here is a deployment bug, named with the field. */
export function parseBatch(input: unknown): BackfillBatch {
  const o = input as Partial<BackfillBatch> | null;
  if (!o || typeof o !== 'object') throw new ConfigurationError('backfill batch: expected { entity, table, files }');
  if (typeof o.entity !== 'string' || o.entity === '') throw new ConfigurationError('backfill batch: entity must be a non-empty string');
  if (typeof o.table !== 'string' || o.table === '') throw new ConfigurationError('backfill batch: table must be a non-empty string');
  if (!Array.isArray(o.files) || o.files.some((f) => !f || typeof f.Key !== 'string'))
    throw new ConfigurationError('backfill batch: files must be a list of { Key } (the S3 listing of the export)');
  return o as BackfillBatch;
}

/**
 * Copies one batch of export files: reads each file (JSON lines, gzipped when the key ends in .gz) line by
 * line, maps every row with the entity's mapping, and writes the items 25 at a time with the same retries
 * as `cutover backfill`. A line that is not a row, or a row the mapping refuses, is a reject; a write that
 * keeps failing throws (TargetError), so the map retries the batch. Writing again is safe: the same rows
 * give the same items under the same keys.
 */
export async function copyBatch(batch: BackfillBatch, options: WorkerOptions): Promise<BatchResult> {
  const entity = options.entity(batch.entity);
  if (!entity)
    throw new ConfigurationError(`backfill batch: ${JSON.stringify(batch.entity)} is not an entity of the spec's migration section`);
  const table = new DynamoTable(options.dynamo, batch.table, { keyAttributes: entity.keyAttributes });
  const maxRejects = options.maxRejects ?? 100;
  const batchSize = Math.min(25, options.batchSize ?? 25);
  const rejects: BatchReject[] = [];
  let rows = 0;
  let items = 0;
  let rejected = 0;
  let requests = 0;
  let retries = 0;
  let pending: Item[] = [];
  let pendingKeys = new Set<string>();
  const flush = async () => {
    if (pending.length === 0) return;
    const stats = await table.writeBatch(pending);
    requests += stats.requests;
    retries += stats.retries;
    pending = [];
    pendingKeys = new Set();
  };
  const reject = (r: BatchReject) => {
    rejected += 1;
    if (rejects.length < maxRejects) rejects.push(r);
  };

  for (const file of batch.files) {
    const res = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: file.Key }));
    let body = res.Body as Readable;
    if (file.Key.endsWith('.gz')) body = body.pipe(createGunzip());
    let line = 0;
    for await (const text of readline.createInterface({ input: body, crlfDelay: Infinity })) {
      line += 1;
      if (text.trim() === '') continue;
      const parsed = exportRow(entity, text);
      if ('problem' in parsed) {
        reject({ file: file.Key, line, reason: parsed.problem });
        continue;
      }
      const mapped = entity.mapRow(parsed.row, parsed.children);
      if (mapped.reject) {
        reject({ file: file.Key, line, reason: mapped.reject.reason, key: mapped.reject.key });
        continue;
      }
      for (const item of mapped.items) {
        const k = entity.keyOf(item);
        // A key twice in one BatchWriteItem is an error: write the first, then the second (last wins).
        if (pending.length >= batchSize || pendingKeys.has(k)) await flush();
        pending.push(item);
        pendingKeys.add(k);
      }
      rows += 1;
      items += mapped.items.length;
    }
  }
  await flush();
  return { entity: batch.entity, table: batch.table, files: batch.files.length, rows, items, rejected, rejects, requests, retries };
}
