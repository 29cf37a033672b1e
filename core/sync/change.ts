/**
 * The contract between change capture (the SQL side: triggers, outbox, relay, SQL writer) and the sync
 * engine (conflict detection, policies, appliers). Pure types: both sides import them, neither owns I/O
 * here. Values cross the boundary as SQL text because every dialect can read and write a column as text
 * without loss; the engine maps text to item attributes with the spec's migration mapping.
 *
 * Changes to this file are additive only: the capture side compiles against it.
 */

/** The two stores kept in step. */
export type SyncSide = 'monolith' | 'service';

export type ChangeOperation = 'insert' | 'update' | 'delete';

/** Who made a write: the application, or the sync itself (sync writes are never shipped back: no loops). */
export type ChangeOrigin = 'app' | 'sync';

/** One committed change of one row on the monolith side, as captured (trigger change table or outbox). */
export interface RowChange {
  /** A name for the monolith database (spec), used for leases and watermarks. */
  readonly source: string;
  /** Decimal bigint, strictly increasing in commit order within a source. */
  readonly changeId: string;
  /** Source table exactly as in the schema. */
  readonly table: string;
  /** Primary-key column -> value as SQL text. */
  readonly key: Readonly<Record<string, string>>;
  readonly operation: ChangeOperation;
  readonly changedColumns: readonly string[];
  /** Columns as SQL text (adapters read text); null for an insert. */
  readonly before: Readonly<Record<string, string | null>> | null;
  /** Columns as SQL text; null for a delete. */
  readonly after: Readonly<Record<string, string | null>> | null;
  readonly txId: string;
  readonly origin: ChangeOrigin;
  /** ISO-8601 UTC with milliseconds. */
  readonly committedAt: string;
}

/** What the services->monolith direction asks the SQL writer to do for one row. */
export interface SqlRowWrite {
  readonly table: string;
  readonly key: Readonly<Record<string, string>>;
  readonly operation: ChangeOperation;
  /** Column -> SQL text (null = NULL). */
  readonly values: Readonly<Record<string, string | null>>;
  /** Only apply if the row still has these values for these columns (optimistic check); a mismatch is a conflict. */
  readonly expected?: Readonly<Record<string, string | null>>;
  /**
   * Idempotency key of the change this write carries (the stream record it comes from). The writer records
   * it in the same transaction as the write and answers a second write with the same key `applied` with
   * `replayed: true`, writing nothing: that, not the row's values, is how a redelivery is told apart from a
   * concurrent change that happens to leave the same values (two sales of 3 from 10 both leave 7).
   */
  readonly changeId?: string;
}

/** The SQL writer's answer for one write: applied, or the row differs from `expected` (a conflict). */
export type SqlWriteResult =
  | { readonly status: 'applied'; readonly replayed?: boolean }
  | { readonly status: 'conflict'; readonly current: Readonly<Record<string, string | null>> | null };

/** A sink the relay ships captured changes to (production: SQS FIFO, group = entity key, dedup = change id). */
export interface ChangeSink {
  send(changes: readonly RowChange[]): Promise<void>;
}

/** Writes one row change into the monolith in one transaction, tagged with origin `sync`. */
export interface SqlRowWriter {
  write(change: SqlRowWrite): Promise<SqlWriteResult>;
  /**
   * Several row changes (a root row and its child rows) in one transaction, tagged once; the first write's
   * `changeId` is recorded once. If any is a conflict nothing is written and every answer is returned.
   */
  writeAll?(changes: readonly SqlRowWrite[]): Promise<SqlWriteResult[]>;
}
