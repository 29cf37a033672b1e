import { Validations, type App, type Environment } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { FaultPlan } from '../core/saga/faults';
import type { Spec } from '../core/spec';
import { ApiStack } from './stacks/api-stack';
import { BridgeStack } from './stacks/bridge-stack';
import { DataStack, type DataStackProps } from './stacks/data-stack';
import { OperationsStack } from './stacks/operations-stack';
import { FacadeStack } from './stacks/facade-stack';
import type { FacadeAuthorizer } from './constructs/http-facade';
import { ReplayStack } from './stacks/replay-stack';
import { RoutingStack } from './stacks/routing-stack';
import { SagaStack } from './stacks/saga-stack';
import type { SagaImplementations } from './constructs/saga-state-machine';
import type { SagaProviders } from './constructs/saga-services';
import { SyncStack } from './stacks/sync-stack';

export interface CutoverAppProps {
  readonly spec: Spec;
  /**
   * Prefix of every stack name, so two copies (a test run, a teammate) can live in one account.
   * @default 'Cutover'
   */
  readonly prefix?: string;
  readonly env?: Environment;
  /** Run cdk-nag's AwsSolutions checks on every stack. @default true */
  readonly nag?: boolean;
  /**
   * The complete ARN of the secret holding the monolith's database URL: continuous validation is deployed
   * only with it (see DataStackProps.sourceSecretArn). @default - no continuous validation
   */
  readonly monolithSecretArn?: string;
  /** Backfill an entity from an S3 export with a Distributed Map (see DataStackProps.exportBackfill). @default - none */
  readonly exportBackfill?: DataStackProps['exportBackfill'];
  /** Save the Logs Insights queries (see OperationsProps.savedQueries; `-c savedQueries=false`). @default true */
  readonly savedQueries?: boolean;
  /** Deploy the sync running (relay schedule and stream mappings on). @default false: `cutover sync start` */
  readonly syncEnabled?: boolean;
  /**
   * The HTTP façade's upstreams. The façade stack is built only when the spec has a facade section AND
   * this names the monolith's HTTP API: a façade with nothing behind it would serve only errors.
   * @default - no façade stack
   */
  readonly facade?: {
    readonly monolithHttpUrl: string;
    readonly candidateUrls?: Readonly<Record<string, string>>;
    /** An authorizer in front of the façade (HttpFacadeProps.authorizer). @default - none */
    readonly authorizer?: FacadeAuthorizer;
  };
  /**
   * Your own services behind the saga's actions, by action id (`ProcessPayment: { kind: 'http', ... }`): see
   * OrderSagaProps.implementations and the README's "Bring your own services".
   * @default - the reference services
   */
  readonly sagaImplementations?: SagaImplementations;
  /** The payment and carrier providers of the reference services, by name (OrderSagaProps.providers). @default - sandbox */
  readonly sagaProviders?: SagaProviders;
  /**
   * A fault profile for the reference services (CUTOVER_FAULTS on each): latency distributions, failure
   * rates, throttling and partitions per service and action, for chaos runs and demos (`-c faults=profile.json`;
   * core/saga/faults.ts and the README's "Chaos"). Validated before synth; relative partition windows are
   * resolved at synth.
   * @default - no fault injection
   */
  readonly faults?: FaultPlan;
  /**
   * Your implementation behind each routed inbox, by `<capability>/<target>` (e.g. `inventory/inventory-v2`,
   * `inventory/monolith` for the monolith's adapter): each gets an SQS event source with partial batch
   * failures and may record shadow outcomes. Wrap it in functions/shared/routed-consumer.ts (RoutedConsumer).
   * @default - none: the reference consumer takes every inbox (see referenceConsumers)
   */
  readonly routedConsumers?: Readonly<Record<string, lambda.IFunction>>;
  /**
   * Attach the reference consumer to every inbox `routedConsumers` does not name. Off only where something
   * outside the stack reads the inboxes (localstack/deploy.sh for the e2e suites and the demo).
   * @default true
   */
  readonly referenceConsumers?: boolean;
  /**
   * The function a replay sends captured traffic to, by capability (`cutover replay start --target <capability>`).
   * @default - the reference deployment's deliberately different inventory candidate only
   */
  readonly replayTargets?: Readonly<Record<string, lambda.IFunction>>;
}

export interface CutoverStacks {
  readonly bridge: BridgeStack;
  /** Present when the spec has a routing section. */
  readonly routing?: RoutingStack;
  /** Capture, replay and compare; present when the spec has a capture section. */
  readonly replay?: ReplayStack;
  /** The order saga and its reference services; present when the spec has a saga section. */
  readonly saga?: SagaStack;
  /** The services' target tables and continuous validation; present when the spec has a migration section. */
  readonly data?: DataStack;
  /** Generated REST APIs over the service tables; present when the spec has api and migration sections. */
  readonly api?: ApiStack;
  /** Two-way data sync; present when the spec has a sync section (and a migration section). */
  readonly sync?: SyncStack;
  /** The dashboard, the alarms (one SNS topic) and the saved queries over every other stack. */
  readonly operations: OperationsStack;
  /** The HTTP strangler façade; present when the spec has facade and routing sections and `facade` props name the monolith. */
  readonly facade?: FacadeStack;
}

/** Builds every cutover stack from the spec. bin/app.ts and the infra tests both call this. */
export function buildCutoverApp(app: App, props: CutoverAppProps): CutoverStacks {
  const prefix = props.prefix ?? 'Cutover';
  const common = { env: props.env, spec: props.spec };
  const bridge = new BridgeStack(app, `${prefix}-Bridge`, {
    ...common,
    description: 'cutover: legacy and services buses, translation, audit log, quarantine',
  });
  const routing = props.spec.routing
    ? new RoutingStack(app, `${prefix}-Routing`, {
        ...common,
        description: 'cutover: routing table, router, service registry, automatic rollback',
        servicesBus: bridge.servicesBus,
        legacyBus: bridge.legacyBus,
        auditTable: bridge.auditTable,
        quarantineTable: bridge.quarantineTable,
        consumers: props.routedConsumers,
        referenceConsumers: props.referenceConsumers,
      })
    : undefined;
  const replay = props.spec.capture
    ? new ReplayStack(app, `${prefix}-Replay`, {
        ...common,
        description: 'cutover: capture monolith traffic, replay it to one service in shadow mode, compare',
        legacyBus: bridge.legacyBus,
        servicesBus: bridge.servicesBus,
        // The reference deployment (demo, e2e) also gets the deliberately different inventory candidate.
        referenceCandidate: props.spec.saga?.referenceMonolith === true,
        targets: props.replayTargets,
      })
    : undefined;
  const saga = props.spec.saga
    ? new SagaStack(app, `${prefix}-Saga`, {
        ...common,
        description: 'cutover: the order saga (Step Functions) with compensations, callbacks and the reference services',
        legacyBus: bridge.legacyBus,
        servicesBus: bridge.servicesBus,
        implementations: props.sagaImplementations,
        sagaRouteFunction: routing?.sagaRoute,
        faults: props.faults,
        providers: props.sagaProviders,
      })
    : undefined;
  const data = props.spec.migration
    ? new DataStack(app, `${prefix}-Data`, {
        ...common,
        description: "cutover: the services' target tables for the data migration and continuous validation",
        servicesBus: bridge.servicesBus,
        sourceSecretArn: props.monolithSecretArn,
        exportBackfill: props.exportBackfill,
      })
    : undefined;
  const api =
    props.spec.api && data
      ? new ApiStack(app, `${prefix}-Api`, {
          ...common,
          description: "cutover: generated REST APIs (API Gateway + Lambda) over the services' tables",
          tables: data.tables.tables,
        })
      : undefined;
  const sync =
    props.spec.sync && data
      ? new SyncStack(app, `${prefix}-Sync`, {
          ...common,
          description: 'cutover: two-way data sync between the monolith database and the service tables, with the conflict ledger',
          tables: data.tables,
          servicesBus: bridge.servicesBus,
          auditTable: bridge.auditTable,
          enabled: props.syncEnabled,
        })
      : undefined;
  const facade =
    props.spec.facade && routing && props.facade
      ? new FacadeStack(app, `${prefix}-Facade`, {
          ...common,
          description: 'cutover: HTTP strangler façade (API Gateway HTTP API + router Lambda) in front of the monolith',
          routingTable: routing.tables.table,
          routingHistoryTable: routing.tables.historyTable,
          monolithUrl: props.facade.monolithHttpUrl,
          candidateUrls: props.facade.candidateUrls,
          authorizer: props.facade.authorizer,
        })
      : undefined;
  const watched = [bridge, routing, replay, saga, data, api, sync, facade].filter((s): s is NonNullable<typeof s> => s !== undefined);
  const operations = new OperationsStack(app, `${prefix}-Operations`, {
    ...common,
    description: 'cutover: the dashboard, alarms with actions (one SNS topic) and saved Logs Insights queries',
    prefix,
    watched,
    savedQueries: props.savedQueries,
    continuousValidation: data?.validator !== undefined,
    sync: sync ? { streamFunction: sync.sync.streamFunction, lagToleranceSeconds: props.spec.sync?.lagToleranceSeconds } : undefined,
    saga: saga
      ? {
          stateMachine: saga.orderSaga.stateMachine,
          stepFunctions: {
            inventory: saga.orderSaga.functions.inventory,
            payment: saga.orderSaga.functions.payment,
            shipping: saga.orderSaga.functions.shipping,
            notification: saga.orderSaga.functions.notification,
          },
        }
      : undefined,
  });
  if (props.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { bridge, routing, replay, saga, data, api, sync, facade, operations };
}
