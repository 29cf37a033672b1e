import { CutoverError } from '../errors';

/** Anything that stops a backfill or a verification. */
export class MigrationError extends CutoverError {}

/**
 * A source row cannot become an item: a transform rejected a value, a key column is NULL, the item is
 * too large. The row goes to the rejects file with this reason; the run goes on.
 */
export class RowRejectedError extends MigrationError {
  public constructor(
    public readonly table: string,
    public readonly column: string | undefined,
    public readonly value: unknown,
    public readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${table}${column ? `.${column}` : ''}: ${reason}`, { table, column, value, reason }, options);
  }
}

/** A checkpoint belongs to another run (another entity, mapping, source or table). */
export class CheckpointMismatchError extends MigrationError {}

/** The source database cannot be reached or queried. */
export class SourceError extends MigrationError {}

/** The target table cannot be written or read, after the retries. */
export class TargetError extends MigrationError {}

/** The run was stopped on request (an abort signal); the checkpoint holds everything written. */
export class RunAbortedError extends MigrationError {}
