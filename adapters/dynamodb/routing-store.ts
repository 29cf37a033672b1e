import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  paginateScan,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../core/errors';
import {
  HEALTH_STATES,
  RouteEntryError,
  RoutingError,
  applyChange,
  rebuildAsRollback,
  parseRouteEntry,
  seedEntry,
  type ChangeResult,
  type Health,
  type RouteChange,
  type RouteEntry,
  type RouteHistoryRecord,
} from '../../core/routing';
import { registrationProblems, ServiceRegistrationError, type ServiceRegistration } from '../../core/routing/registration';
import type { RoutingSection } from '../../core/spec/routing';
import type { Spec } from '../../core/spec';
import { documentClient } from '../aws/clients';

/** Sort key of a capability's route entry in the routing table. */
export const ROUTE_SK = 'ROUTE';
/** Sort key prefix of a registered service version: `SERVICE#<target>`. */
export const SERVICE_SK_PREFIX = 'SERVICE#';

/** Writers kept losing the race for a capability's entry; the change may be retried. */
export class RouteWriteConflictError extends TransientError {}

export { ServiceRegistrationError, type ServiceRegistration };

/** A capability the spec does not route. */
export class UnknownCapabilityError extends RoutingError {}

/** The whole routing table at one moment, as the router and `route status` read it. */
export interface RoutingSnapshot {
  /** Valid route entries by capability. */
  readonly entries: ReadonlyMap<string, RouteEntry>;
  /** Rows that failed validation: reported, and routed as if absent-and-unknown (monolith only). */
  readonly invalid: ReadonlyArray<{ readonly capability: string; readonly problems: readonly string[] }>;
  /** Registered service versions by capability. */
  readonly services: ReadonlyMap<string, readonly ServiceRegistration[]>;
}

export type ChangeOutcome =
  | {
      readonly changed: true;
      readonly entry: RouteEntry;
      readonly previous: RouteEntry;
      readonly history: RouteHistoryRecord;
      readonly attempts: number;
      readonly seeded: boolean;
    }
  | { readonly changed: false; readonly entry: RouteEntry; readonly attempts: number };

export interface RoutingStoreOptions {
  /** Route entries (`sk = ROUTE`) and registrations (`sk = SERVICE#<target>`), partition `capability`. */
  readonly tableName: string;
  /** Append-only history: partition `capability`, sort `revision` (number). */
  readonly historyTableName: string;
  /** The spec's routing section: seeds entries that do not exist yet and checks registrations. */
  readonly routing: RoutingSection;
  /** The service event catalog, to check registered versions. */
  readonly serviceEvents?: Spec['bridge']['serviceEvents'];
  /** @default the shared endpoint-aware document client */
  readonly client?: DynamoDBDocumentClient;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Attempts at committing one change against concurrent writers. @default 8 */
  readonly maxAttempts?: number;
  /** @default a timer; tests pass a fake */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The DynamoDB adapter of the routing table. The state machine is core's (`applyChange`); this class only
 * reads and writes:
 *
 * - Reads are strongly consistent (`ConsistentRead`): with eventual reads a router could route on a table
 *   older than the rollback it is supposed to honour within a second.
 * - A change is one transaction: put the new entry on condition `revision = <the revision it was computed
 *   from>` (or `attribute_not_exists` when the entry was seeded in memory) and put its history record
 *   (`capability`, `revision`) on condition it does not exist. Either both land or neither does. When the
 *   condition fails another writer won: re-read, re-apply, retry (a rollback always succeeds on any state).
 * - Seeding writes the spec's initial entry only where none exists (`attribute_not_exists`), so a redeploy
 *   or a second `route seed` never undoes a live rollback.
 * - Nothing here deletes; history items are only ever created.
 */
export class RoutingStore {
  public readonly tableName: string;
  public readonly historyTableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly routing: RoutingSection;
  private readonly serviceEvents: Spec['bridge']['serviceEvents'] | undefined;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(options: RoutingStoreOptions) {
    this.tableName = options.tableName;
    this.historyTableName = options.historyTableName;
    this.client = options.client ?? documentClient();
    this.routing = options.routing;
    this.serviceEvents = options.serviceEvents;
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 8;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The capabilities the spec routes, in spec order. */
  public capabilities(): string[] {
    return Object.keys(this.routing.capabilities);
  }

  /**
   * The entry the spec would seed for `capability` now (revision 0). The router routes a capability with no
   * row yet by this, so a spec that starts a capability in shadow takes effect on deploy, without a write.
   */
  public seedFor(capability: string): RouteEntry {
    return seedEntry(capability, this.specOf(capability), this.now());
  }

  /** The whole table, strongly consistent, page by page. Invalid rows are reported, never thrown. */
  public async load(): Promise<RoutingSnapshot> {
    const entries = new Map<string, RouteEntry>();
    const invalid: Array<{ capability: string; problems: string[] }> = [];
    const services = new Map<string, ServiceRegistration[]>();
    for await (const page of paginateScan({ client: this.client }, { TableName: this.tableName, ConsistentRead: true })) {
      for (const item of page.Items ?? []) {
        const capability = String(item.capability);
        const sk = String(item.sk);
        if (sk === ROUTE_SK) {
          try {
            entries.set(capability, toEntry(item));
          } catch (err) {
            invalid.push({ capability, problems: err instanceof RouteEntryError ? err.issues : [String(err)] });
          }
        } else if (sk.startsWith(SERVICE_SK_PREFIX)) {
          const list = services.get(capability) ?? [];
          list.push(toRegistration(item));
          services.set(capability, list);
        }
      }
    }
    return { entries, invalid, services };
  }

  /** One capability's stored entry (consistent read); `undefined` when none is stored yet. Throws on an invalid row. */
  public async getEntry(capability: string): Promise<RouteEntry | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { capability, sk: ROUTE_SK }, ConsistentRead: true }),
    );
    return res.Item === undefined ? undefined : toEntry(res.Item);
  }

  /** Write the spec's initial entry for every capability that has none. Never overwrites. */
  public async seed(actor = 'spec'): Promise<Array<{ capability: string; status: 'seeded' | 'exists' }>> {
    const out: Array<{ capability: string; status: 'seeded' | 'exists' }> = [];
    for (const capability of this.capabilities()) {
      const entry = seedEntry(capability, this.specOf(capability), this.now(), actor);
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...entry, sk: ROUTE_SK },
            ConditionExpression: 'attribute_not_exists(capability)',
          }),
        );
        out.push({ capability, status: 'seeded' });
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        out.push({ capability, status: 'exists' });
      }
    }
    return out;
  }

  /**
   * Apply one change (core's state machine) and commit it with its history record in one transaction,
   * retrying on a lost race. A capability with no stored entry starts from the spec's seed, written in the
   * same transaction. Throws `TransitionError` when the change is not allowed (never retried) and
   * `RouteWriteConflictError` after `maxAttempts` lost races.
   */
  public async change(capability: string, change: RouteChange, actor: string, reason: string): Promise<ChangeOutcome> {
    const spec = this.specOf(capability);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      let stored: RouteEntry | undefined;
      let result: ChangeResult;
      try {
        stored = await this.getEntry(capability);
        result = applyChange(stored ?? seedEntry(capability, spec, this.now()), change, actor, reason, this.now());
      } catch (err) {
        if (!(err instanceof RouteEntryError) || change.kind !== 'rollback') throw err;
        // A hand-edited, invalid row already routes to the monolith; a rollback rebuilds it as the spec seed
        // in legacy mode (conditioned on the stored revision), so "rollback" works whatever the row holds.
        const revision = await this.rawRevision(capability);
        if (revision === undefined) throw err;
        stored = { ...seedEntry(capability, spec, this.now()), revision };
        result = rebuildAsRollback(
          stored,
          actor,
          `${reason} (the stored row was invalid and is rebuilt from the spec seed: ${err.issues.join('; ')})`,
          this.now(),
        );
      }
      const base = stored ?? seedEntry(capability, spec, this.now());
      if (!result.changed) return { changed: false, entry: base, attempts: attempt };
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...result.next, sk: ROUTE_SK },
                  ...(stored === undefined
                    ? { ConditionExpression: 'attribute_not_exists(capability)' }
                    : {
                        ConditionExpression: '#revision = :previous',
                        ExpressionAttributeNames: { '#revision': 'revision' },
                        ExpressionAttributeValues: { ':previous': stored.revision },
                      }),
                },
              },
              {
                Put: {
                  TableName: this.historyTableName,
                  Item: { ...result.historyRecord },
                  ConditionExpression: 'attribute_not_exists(#revision)',
                  ExpressionAttributeNames: { '#revision': 'revision' },
                },
              },
            ],
          }),
        );
        return {
          changed: true,
          entry: result.next,
          previous: base,
          history: result.historyRecord,
          attempts: attempt,
          seeded: stored === undefined,
        };
      } catch (err) {
        if (!isLostRace(err)) throw err;
        // Full jitter on a doubling ceiling: writers that collided spread out instead of colliding again.
        await this.sleep(Math.random() * Math.min(200, 5 * 2 ** attempt));
      }
    }
    throw new RouteWriteConflictError(`${capability}: lost the race for the route entry ${this.maxAttempts} times; retry the change`, {
      capability,
      change,
      attempts: this.maxAttempts,
    });
  }

  /** The `revision` of a stored row that fails validation, when it is still a whole number. */
  private async rawRevision(capability: string): Promise<number | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { capability, sk: ROUTE_SK }, ConsistentRead: true }),
    );
    const revision = res.Item?.revision;
    return typeof revision === 'number' && Number.isInteger(revision) && revision >= 0 ? revision : undefined;
  }

  /** A capability's history, newest first by default (strongly consistent, paginated). */
  public async history(capability: string, options: { limit?: number; oldestFirst?: boolean } = {}): Promise<RouteHistoryRecord[]> {
    const out: RouteHistoryRecord[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.historyTableName,
          KeyConditionExpression: 'capability = :capability',
          ExpressionAttributeValues: { ':capability': capability },
          ScanIndexForward: options.oldestFirst === true,
          ConsistentRead: true,
          ExclusiveStartKey,
          Limit: options.limit === undefined ? undefined : Math.max(1, options.limit - out.length),
        }),
      );
      for (const item of page.Items ?? []) out.push(item as RouteHistoryRecord);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey && (options.limit === undefined || out.length < options.limit));
    return options.limit === undefined ? out : out.slice(0, options.limit);
  }

  /**
   * Register (or re-register) a service version. Checked against the spec: the capability exists, the version
   * is one of its implementations with that target, and every accepted event is routed by the capability in a
   * declared version. A re-registration replaces the accepted/emitted lists and keeps the last health.
   */
  public async register(input: {
    capability: string;
    version: string;
    target: string;
    service?: string;
    accepts: Record<string, number[]>;
    emits?: string[];
    actor: string;
    healthTtlSeconds?: number;
  }): Promise<ServiceRegistration> {
    const problems = registrationProblems(this.routing, this.serviceEvents, input);
    if (input.healthTtlSeconds !== undefined && !(Number.isInteger(input.healthTtlSeconds) && input.healthTtlSeconds > 0)) {
      problems.push(`healthTtlSeconds: must be a whole number of seconds above 0, got ${JSON.stringify(input.healthTtlSeconds)}`);
    }
    if (problems.length > 0) {
      throw new ServiceRegistrationError(`cannot register ${input.target} for ${input.capability}: ${problems.join('; ')}`, {
        ...input,
        problems,
      });
    }
    const previous = await this.getRegistration(input.capability, input.target);
    const registration: ServiceRegistration = {
      capability: input.capability,
      version: input.version,
      target: input.target,
      service: input.service ?? input.target,
      accepts: Object.fromEntries(Object.entries(input.accepts).map(([t, v]) => [t, [...new Set(v)].sort((a, b) => a - b)])),
      emits: [...new Set(input.emits ?? [])].sort(),
      registeredAt: this.now().toISOString(),
      registeredBy: input.actor,
      ...(input.healthTtlSeconds !== undefined ? { healthTtlSeconds: input.healthTtlSeconds } : {}),
      ...(previous?.health !== undefined
        ? { health: previous.health, healthReason: previous.healthReason, healthAt: previous.healthAt }
        : {}),
    };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...registration, sk: SERVICE_SK_PREFIX + input.target } }));
    return registration;
  }

  /** One registration (consistent read), if any. */
  public async getRegistration(capability: string, target: string): Promise<ServiceRegistration | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { capability, sk: SERVICE_SK_PREFIX + target }, ConsistentRead: true }),
    );
    return res.Item === undefined ? undefined : toRegistration(res.Item);
  }

  /**
   * Record a health report of one target. When the target is the capability's current candidate the entry's
   * health changes too (a history record per transition, none for a repeated report), and an `unhealthy`
   * candidate is routed around from the next decision on. A report about another target (an old version, the
   * monolith) is only kept on its registration.
   */
  public async reportHealth(input: { capability: string; target: string; health: Health; reason: string; actor: string }): Promise<{
    registration: 'updated' | 'not-registered';
    entry: ChangeOutcome | undefined;
  }> {
    const spec = this.specOf(input.capability);
    if (!(HEALTH_STATES as readonly string[]).includes(input.health)) {
      throw new ServiceRegistrationError(`health: must be one of ${HEALTH_STATES.join(', ')}, got ${JSON.stringify(input.health)}`, {
        ...input,
      });
    }
    const knownTargets = [spec.legacy.target, ...Object.values(spec.implementations).map((i) => i.target)];
    if (!knownTargets.includes(input.target)) {
      throw new ServiceRegistrationError(
        `target: ${JSON.stringify(input.target)} is not a target of ${input.capability} (${knownTargets.join(', ')})`,
        { ...input },
      );
    }
    const at = this.now().toISOString();
    let registration: 'updated' | 'not-registered' = 'updated';
    const existing = await this.getRegistration(input.capability, input.target);
    if (existing === undefined) registration = 'not-registered';
    else {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...existing, health: input.health, healthReason: input.reason, healthAt: at, sk: SERVICE_SK_PREFIX + input.target },
        }),
      );
    }
    const stored = (await this.getEntry(input.capability)) ?? this.seedFor(input.capability);
    const entry =
      stored.candidate.target === input.target
        ? await this.change(input.capability, { kind: 'setHealth', health: input.health }, input.actor, input.reason)
        : undefined;
    return { registration, entry };
  }

  private specOf(capability: string) {
    const cap = Object.prototype.hasOwnProperty.call(this.routing.capabilities, capability)
      ? this.routing.capabilities[capability]
      : undefined;
    if (cap === undefined) {
      throw new UnknownCapabilityError(
        `capability ${JSON.stringify(capability)} is not routed by the spec (known: ${this.capabilities().join(', ')})`,
        { capability },
      );
    }
    return cap;
  }
}

/** A stored item as a validated route entry (the table's `sk` stripped). Throws `RouteEntryError`. */
export function toEntry(item: Record<string, unknown>): RouteEntry {
  const { sk: _sk, ...rest } = item;
  return parseRouteEntry(rest);
}

function toRegistration(item: Record<string, unknown>): ServiceRegistration {
  const { sk: _sk, ...rest } = item;
  return rest as unknown as ServiceRegistration;
}

export function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/**
 * A transaction cancelled because another writer got there first (a failed condition) or was writing the
 * same items at that moment (TransactionConflict): worth a fresh read and another attempt.
 */
export function isLostRace(err: unknown): boolean {
  if (!(err instanceof Error) || err.name !== 'TransactionCanceledException') return false;
  const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
  if (!Array.isArray(reasons) || reasons.length === 0) return /ConditionalCheckFailed|TransactionConflict/.test(err.message);
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
}
