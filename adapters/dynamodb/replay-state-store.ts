import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReplayCheckpointJson } from '../../core/replay';
import { ReplayStateError, type ReplayPhase, type ReplayRequest, type ReplayStatus } from '../../core/replay/request';
import { documentClient } from '../aws/clients';
import { isConditionFailure } from './audit-store';

/**
 * The ReplayState table: one item per replay (partition `replayId`). It is the replay's control surface
 * and its memory across Lambda invocations:
 *
 *  - `status`: pending -> running <-> paused -> completed | cancelled | failed (`cancelling` in between).
 *    The CLI changes it (pause, resume, cancel) with conditional updates; the runner reads it while it works.
 *  - `phase`: send -> settle (wait for the target's last outcomes) -> compare -> done.
 *  - `checkpoint`: the core ReplayCheckpoint as JSON; a new invocation resumes from it.
 *  - `leaseOwner`/`leaseUntil`: one runner at a time. A runner takes the lease with a conditional update
 *    and saves its checkpoint only while it holds it, so a late duplicate can never overwrite progress.
 */
export interface ReplayProgressCounts {
  /** Interactions in the plan (after filters). */
  readonly planned: number;
  /** Done according to the checkpoint (sent, or skipped as invalid). */
  readonly done: number;
  /** Records skipped as invalid so far. */
  readonly skipped: number;
  readonly failed: number;
  readonly blocked: number;
}

export interface ReplayState {
  readonly replayId: string;
  readonly status: ReplayStatus;
  readonly phase: ReplayPhase;
  readonly request: ReplayRequest;
  readonly fingerprint?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the first slice took the lease. */
  readonly startedAt?: string;
  readonly checkpoint?: ReplayCheckpointJson;
  readonly progress?: ReplayProgressCounts;
  readonly settleUntil?: string;
  readonly finishedAt?: string;
  readonly leaseOwner?: string;
  readonly leaseUntil?: number;
  readonly slices?: number;
  readonly error?: string;
  /** Totals of the finished report, for `replay status`. */
  readonly totals?: Record<string, number>;
}

export interface ReplayStateStoreOptions {
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  readonly now?: () => Date;
}

function fromItem(item: Record<string, unknown>): ReplayState {
  return {
    ...(item as unknown as ReplayState),
    request: JSON.parse(String(item.request)) as ReplayRequest,
    ...(typeof item.checkpoint === 'string'
      ? { checkpoint: JSON.parse(item.checkpoint) as ReplayCheckpointJson }
      : { checkpoint: undefined }),
  };
}

export class ReplayStateStore {
  public readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly now: () => Date;

  public constructor(options: ReplayStateStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
    this.now = options.now ?? (() => new Date());
  }

  /** Create the replay (status pending, phase send). A second create of one id returns `exists`. */
  public async create(replayId: string, request: ReplayRequest, fingerprint: string): Promise<'created' | 'exists'> {
    const at = this.now().toISOString();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            replayId,
            status: 'pending',
            phase: 'send',
            request: JSON.stringify({ ...request, replayId }),
            target: request.target,
            fingerprint,
            createdAt: at,
            updatedAt: at,
            slices: 0,
          },
          ConditionExpression: 'attribute_not_exists(replayId)',
        }),
      );
      return 'created';
    } catch (err) {
      if (isConditionFailure(err)) return 'exists';
      throw err;
    }
  }

  public async get(replayId: string): Promise<ReplayState | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { replayId }, ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /**
   * Take the runner's lease until `untilMs`: granted when nobody holds it, it ran out, or `owner` has it.
   * Also counts the slice. False when another runner holds it.
   */
  public async acquireLease(replayId: string, owner: string, untilMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { replayId },
          UpdateExpression:
            'SET leaseOwner = :o, leaseUntil = :u, updatedAt = :at, slices = if_not_exists(slices, :zero) + :one, #s = if_not_exists(#s, :at)',
          ConditionExpression: 'attribute_exists(replayId) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :o)',
          ExpressionAttributeNames: { '#s': 'startedAt' },
          ExpressionAttributeValues: { ':o': owner, ':u': untilMs, ':at': now.toISOString(), ':zero': 0, ':one': 1, ':now': now.getTime() },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** A pending replay becomes running (by the lease holder); any other status is left as it is. */
  public async markRunning(replayId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { replayId },
          UpdateExpression: 'SET #s = :running, updatedAt = :at',
          ConditionExpression: 'leaseOwner = :o AND #s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':o': owner, ':running': 'running', ':pending': 'pending', ':at': this.now().toISOString() },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Give the lease back (only if still ours). */
  public async releaseLease(replayId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { replayId },
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil SET updatedAt = :at',
          ConditionExpression: 'leaseOwner = :o',
          ExpressionAttributeValues: { ':o': owner, ':at': this.now().toISOString() },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /**
   * Update fields while holding the lease. Throws ReplayStateError when the lease was lost (another runner
   * took over after ours ran out): the caller must stop.
   */
  public async update(
    replayId: string,
    owner: string,
    fields: {
      readonly status?: ReplayStatus;
      readonly phase?: ReplayPhase;
      readonly checkpoint?: ReplayCheckpointJson;
      readonly progress?: ReplayProgressCounts;
      readonly settleUntil?: string;
      readonly finishedAt?: string;
      readonly error?: string;
      readonly totals?: Record<string, number>;
    },
    options: { readonly unlessStatus?: readonly ReplayStatus[] } = {},
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':o': owner, ':at': this.now().toISOString() };
    const sets = ['updatedAt = :at'];
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      names[`#${k}`] = k;
      values[`:${k}`] = k === 'checkpoint' ? JSON.stringify(v) : v;
      sets.push(`#${k} = :${k}`);
    }
    let condition = 'leaseOwner = :o';
    if (options.unlessStatus && options.unlessStatus.length > 0) {
      names['#cur'] = 'status';
      const keys = options.unlessStatus.map((s, i) => {
        values[`:u${i}`] = s;
        return `:u${i}`;
      });
      condition += ` AND NOT (#cur IN (${keys.join(', ')}))`;
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { replayId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new ReplayStateError(
          `replay ${replayId}: the runner lease of ${owner} was lost, or the status changed meanwhile`,
          { replayId, owner },
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** The replay cannot go on (its last attempt failed): status failed, with the error, unless already final. */
  public async markFailed(replayId: string, error: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { replayId },
          UpdateExpression: 'SET #s = :failed, #e = :e, updatedAt = :at, finishedAt = :at',
          ConditionExpression: 'attribute_exists(replayId) AND NOT (#s IN (:c1, :c2, :c3))',
          ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':e': error,
            ':at': this.now().toISOString(),
            ':c1': 'completed',
            ':c2': 'cancelled',
            ':c3': 'failed',
          },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /**
   * Change the status from outside the runner (the CLI): allowed only from the listed statuses. Returns
   * the new state; throws ReplayStateError naming the current status otherwise.
   */
  public async transition(replayId: string, from: readonly ReplayStatus[], to: ReplayStatus): Promise<ReplayState> {
    const values: Record<string, unknown> = { ':to': to, ':at': this.now().toISOString() };
    const keys = from.map((s, i) => {
      values[`:f${i}`] = s;
      return `:f${i}`;
    });
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { replayId },
          UpdateExpression: 'SET #s = :to, updatedAt = :at',
          ConditionExpression: `attribute_exists(replayId) AND #s IN (${keys.join(', ')})`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(out.Attributes as Record<string, unknown>);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const current = await this.get(replayId);
      if (!current) throw new ReplayStateError(`no replay ${replayId}`, { replayId });
      throw new ReplayStateError(`replay ${replayId} is ${current.status}; it can become ${to} only from ${from.join(' or ')}`, {
        replayId,
        status: current.status,
        to,
      });
    }
  }
}
