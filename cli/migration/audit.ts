import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where repairs are recorded. The audit log (hash-chained, append-only, in DynamoDB) belongs to the audit
 * capability; verification only needs this much of it and takes it injected. Until the audit log's writer
 * is wired in, the CLI uses `JsonlAuditSink` (a local file) or `NoopAuditSink`.
 */
export interface AuditSink {
  append(stream: string, entry: object): Promise<void>;
}

/** Records nothing. */
export class NoopAuditSink implements AuditSink {
  public async append(): Promise<void> {}
}

/** One JSON line per entry: `{ stream, at, entry }`, appended to a local file. */
export class JsonlAuditSink implements AuditSink {
  public constructor(public readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  public async append(stream: string, entry: object): Promise<void> {
    await fs.promises.appendFile(this.file, `${JSON.stringify({ stream, at: new Date().toISOString(), entry })}\n`);
  }
}

/** Keeps entries in memory (tests). */
export class MemoryAuditSink implements AuditSink {
  public readonly entries: { stream: string; entry: object }[] = [];
  public async append(stream: string, entry: object): Promise<void> {
    this.entries.push({ stream, entry });
  }
}
