import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { AwsContext, CliError } from '../aws-context';

/** One thing a migration command did: `action` names it (`migration.repair`, `migration.backfill.finished`...). */
export interface MigrationAuditEntry {
  readonly action: string;
  /** The item or row the entry is about, when there is one: part of the entry's de-duplication id. */
  readonly key?: string;
  readonly [field: string]: unknown;
}

/**
 * Where backfill and repair record what they did. The CLI writes into the hash-chained audit log
 * (`ChainAuditSink`), one stream per entity (`migration-<entity>`), optionally with a local copy
 * (`JsonlAuditSink`, through `TeeAuditSink`).
 */
export interface AuditSink {
  append(stream: string, entry: MigrationAuditEntry): Promise<void>;
}

/** Records nothing. */
export class NoopAuditSink implements AuditSink {
  public async append(): Promise<void> {}
}

/**
 * Appends to the audit table through the audit log's own store, so migration entries are links of the
 * same hash chains that `cutover audit verify` checks. Each entry's de-duplication id is
 * `<run>:<action>:<key or ordinal>`: a retried append within a run adds nothing, a later run adds anew.
 */
export class ChainAuditSink implements AuditSink {
  public readonly runId: string;
  private ordinal = 0;

  public constructor(
    private readonly store: AuditStore,
    options: { runId?: string } = {},
  ) {
    this.runId = options.runId ?? randomUUID();
  }

  public async append(stream: string, entry: MigrationAuditEntry): Promise<void> {
    this.ordinal += 1;
    await this.store.append(stream, {
      kind: entry.action,
      eventId: `${this.runId}:${entry.action}:${entry.key ?? this.ordinal}`,
      source: 'cutover.cli',
      detailType: entry.action,
      // Plain JSON text: the chain hashes the payload as the string it is, whatever the item holds (binary too).
      payload: JSON.stringify({ ...entry, run: this.runId }),
    });
  }

  public describe(): string {
    return `audit table ${this.store.tableName}`;
  }
}

/** One JSON line per entry: `{ stream, at, entry }`, appended to a local file. */
export class JsonlAuditSink implements AuditSink {
  public constructor(public readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  public async append(stream: string, entry: MigrationAuditEntry): Promise<void> {
    await fs.promises.appendFile(this.file, `${JSON.stringify({ stream, at: new Date().toISOString(), entry })}\n`);
  }
}

/** Every entry to each sink in turn (the audit table first: a local copy never stands in for it). */
export class TeeAuditSink implements AuditSink {
  private readonly sinks: readonly AuditSink[];
  public constructor(...sinks: AuditSink[]) {
    this.sinks = sinks;
  }

  public async append(stream: string, entry: MigrationAuditEntry): Promise<void> {
    for (const sink of this.sinks) await sink.append(stream, entry);
  }
}

/** Keeps entries in memory (tests). */
export class MemoryAuditSink implements AuditSink {
  public readonly entries: { stream: string; entry: MigrationAuditEntry }[] = [];
  public async append(stream: string, entry: MigrationAuditEntry): Promise<void> {
    this.entries.push({ stream, entry });
  }
}

/** How a migration command is told where its audit entries go. */
export interface AuditTargetOptions {
  /** The audit table. @default - the `AuditTableName` output of the deployed stacks */
  readonly auditTable?: string;
  /** A local JSON-lines copy of every entry, besides the audit table. */
  readonly audit?: string;
  /** `false` (`--no-audit-log`): no entries in the audit table (the local copy, if asked for, still gets them). */
  readonly auditLog?: boolean;
}

/**
 * The sink a migration command writes to: the audit table (named, or found from the stack outputs), plus
 * the local copy when asked for. Fails before any work is done when the audit table cannot be found, so a
 * run is never silently unaudited.
 */
export async function openAuditSink(
  opts: AuditTargetOptions,
  deps: { readonly dynamo?: DynamoDBClient; readonly context?: AwsContext; readonly cwd?: string },
): Promise<{ sink: AuditSink; describe: string }> {
  const file = opts.audit ? new JsonlAuditSink(path.resolve(deps.cwd ?? process.cwd(), opts.audit)) : undefined;
  if (opts.auditLog === false) {
    return file
      ? { sink: file, describe: `${file.file} only (--no-audit-log)` }
      : { sink: new NoopAuditSink(), describe: 'nowhere (--no-audit-log)' };
  }
  let tableName = opts.auditTable;
  if (tableName === undefined) {
    const context = deps.context ?? new AwsContext();
    try {
      tableName = await context.output('AuditTableName');
    } catch (cause) {
      throw new CliError(
        `cannot find the audit table, where this command records what it writes (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`,
        'pass --audit-table <name> (the AuditTableName output), or --no-audit-log to run without audit entries',
        { cause },
      );
    }
  }
  const client = DynamoDBDocumentClient.from(deps.dynamo ?? new DynamoDBClient({ maxAttempts: 3 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const chain = new ChainAuditSink(new AuditStore({ tableName, client }));
  return file
    ? { sink: new TeeAuditSink(chain, file), describe: `${chain.describe()} and ${file.file}` }
    : { sink: chain, describe: chain.describe() };
}
