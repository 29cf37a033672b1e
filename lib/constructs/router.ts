import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ROUTER_SOURCE, routedEventTypes, routedTargetPattern, routedTargets } from '../../core/routing/wire';
import type { Spec } from '../../core/spec';
import { ASYNC_RETRY, TARGET_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import type { RoutingTables } from './routing-tables';
import { ConfigurationError } from '../../core/errors';

/** The key of one routed target's inbox: `<capability>/<target>`, e.g. `inventory/inventory-v2`. */
export function inboxKey(capability: string, target: string): string {
  return `${capability}/${target}`;
}

/** The rule feeding the router: every routed type, except what the router itself put. */
export function routerRulePattern(spec: Spec): events.EventPattern | undefined {
  const types = routedEventTypes(spec.routing);
  if (types.length === 0) return undefined;
  return { source: events.Match.anythingBut(ROUTER_SOURCE), detailType: types };
}

export interface RouterProps {
  readonly spec: Spec;
  /** The bus the router reads from and puts its stamped copies back on. */
  readonly servicesBus: events.IEventBus;
  readonly tables: RoutingTables;
  /** Where undeliverable events go (the bridge's quarantine table): PutItem only. */
  readonly quarantineTable: dynamodb.ITable;
  /** The audit log: quarantine decisions are appended (PutItem, Query, GetItem). */
  readonly auditTable: dynamodb.ITable;
  /**
   * Implementations to attach to inboxes, by `inboxKey(capability, target)`: each gets an SQS event source
   * with partial batch failures. Inboxes without one are left for a consumer outside the stack (the monolith's
   * adapter, a service in another account) to read.
   * @default - none
   */
  readonly consumers?: Readonly<Record<string, lambda.IFunction>>;
  /**
   * Attached to every inbox `consumers` does not name (the reference deployment's reference consumer).
   * @default - none: such inboxes are left for a consumer outside the stack
   */
  readonly defaultConsumer?: lambda.IFunction;
  /**
   * How long the router uses a loaded routing table. The rollback bound: at most 1000.
   * @default 1000
   */
  readonly cacheTtlMs?: number;
}

/**
 * The router and its delivery. One rule sends every routed event type to the router Lambda, which decides
 * per capability (table lookup cached for at most a second) and puts stamped `cutover.routed` copies back on
 * the services bus. One static rule per (capability, target) matches `metadata.routing.capability/target`
 * and delivers to that target's inbox queue. The split itself lives in the table, so moving it never
 * touches these rules.
 *
 * Why an SQS inbox per target rather than a rule straight to the implementation: the queue's redrive to
 * the dead-letter queue is what keeps a copy an implementation keeps failing on, on AWS and on the
 * emulators alike (MiniStack deploys a rule target's DLQ and retry policy but never uses them), and it lets
 * a consumer outside this stack (the monolith) pull at its own pace.
 */
export class Router extends Construct {
  public readonly function: CutoverFunction;
  public readonly rule?: events.Rule;
  /** Rule-target failures, the router's failed async invocations and inbox messages that kept failing. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly inboxes: ReadonlyMap<string, sqs.Queue>;
  public readonly inboxRules: ReadonlyMap<string, events.Rule>;
  /** The function consuming each inbox that has one in this stack, by inbox key. */
  public readonly inboxConsumers: ReadonlyMap<string, lambda.IFunction>;

  public constructor(scope: Construct, id: string, props: RouterProps) {
    super(scope, id);
    const ttl = props.cacheTtlMs ?? 1000;
    if (!(ttl >= 0 && ttl <= 1000))
      throw new ConfigurationError(`Router cacheTtlMs: must be 0..1000 (a rollback must take effect within a second), got ${ttl}`, {
        setting: 'cacheTtlMs',
      });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');

    this.function = new CutoverFunction(this, 'Function', {
      functionDir: 'router',
      spec: props.spec,
      description: 'cutover: routes service events to the monolith or the new service, per the routing table',
      environment: {
        ROUTING_TABLE_NAME: props.tables.table.tableName,
        ROUTING_HISTORY_TABLE_NAME: props.tables.historyTable.tableName,
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        QUARANTINE_TABLE_NAME: props.quarantineTable.tableName,
        AUDIT_TABLE_NAME: props.auditTable.tableName,
        ROUTING_CACHE_TTL_MS: String(ttl),
      },
    });
    props.tables.grantRoute(this.function);
    props.servicesBus.grantPutEventsTo(this.function);
    props.quarantineTable.grant(this.function, 'dynamodb:PutItem');
    props.auditTable.grant(this.function, 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:GetItem');
    this.function.configureAsyncInvoke({ ...ASYNC_RETRY, onFailure: new SqsDestination(this.deadLetterQueue) });
    acknowledgeFunctionFindings(this.function);

    const pattern = routerRulePattern(props.spec);
    if (pattern) {
      this.rule = new events.Rule(this, 'RoutedEvents', {
        eventBus: props.servicesBus,
        description: 'cutover: every event type a capability routes, to the router',
        eventPattern: pattern,
        targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
      });
    }

    const inboxes = new Map<string, sqs.Queue>();
    const inboxRules = new Map<string, events.Rule>();
    const inboxConsumers = new Map<string, lambda.IFunction>();
    routedTargets(props.spec.routing).forEach(({ capability, target }, i) => {
      const key = inboxKey(capability, target);
      const queue = new sqs.Queue(this, `Inbox${i}`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(4),
        visibilityTimeout: Duration.seconds(60),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      });
      const rule = new events.Rule(this, `Deliver${i}`, {
        eventBus: props.servicesBus,
        description: `cutover: routed copies for ${key}`,
        eventPattern: routedTargetPattern(capability, target),
        targets: [new targets.SqsQueue(queue, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
      });
      const consumer = props.consumers?.[key] ?? props.defaultConsumer;
      if (consumer) {
        consumer.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
        inboxConsumers.set(key, consumer);
      }
      inboxes.set(key, queue);
      inboxRules.set(key, rule);
    });
    for (const key of Object.keys(props.consumers ?? {})) {
      if (!inboxes.has(key))
        throw new ConfigurationError(`Router consumers: ${key} is not a routed target; known: ${[...inboxes.keys()].join(', ')}`, {
          setting: 'consumers',
        });
    }
    this.inboxes = inboxes;
    this.inboxRules = inboxRules;
    this.inboxConsumers = inboxConsumers;
  }
}
