import { CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { AutoRollback } from '../constructs/auto-rollback';
import { Router } from '../constructs/router';
import { RoutingTables } from '../constructs/routing-tables';
import { ServiceRegistry } from '../constructs/service-registry';
import { ConfigurationError } from '../../core/errors';
import { OUTPUTS } from '../../core/contract';
import { ROUTING_METRIC_NAMESPACE } from '../../core/routing/wire';
import { CutoverFunction } from '../constructs/cutover-function';
import { acknowledgeFunctionFindings } from '../constructs/function-acks';

export interface RoutingStackProps extends StackProps {
  readonly spec: Spec;
  /** The bridge's services bus: the router reads routed types from it and puts stamped copies back. */
  readonly servicesBus: events.IEventBus;
  /** The bridge's legacy bus (not used by the router today; kept so a monolith adapter can be wired here). */
  readonly legacyBus?: events.IEventBus;
  /** The bridge's audit log table: routing changes and routing quarantines are appended to it. */
  readonly auditTable: dynamodb.ITable;
  /** The bridge's quarantine table: events the router cannot deliver are kept there with the reason. */
  readonly quarantineTable: dynamodb.ITable;
  /** Implementations to attach to inboxes, by `<capability>/<target>` (see Router). @default - none */
  readonly consumers?: Readonly<Record<string, lambda.IFunction>>;
  /**
   * Attach the reference consumer (functions/routed-inbox) to every inbox `consumers` does not name, so no
   * copy waits in SQS until retention. Turn off only where something outside the stack reads the inboxes
   * (the e2e suites and the demo play the implementations by reading them).
   * @default true
   */
  readonly referenceConsumers?: boolean;
}

/**
 * The output keys the CLI, the tests and the demo read. Their names live in core/contract.ts, where the readers take them from: a rename fails the typecheck.
 */
export const ROUTING_OUTPUTS = OUTPUTS.routing;

/** Progressive cutover: the routing tables, the router and its inboxes, the service registry, auto-rollback. */
export class RoutingStack extends Stack {
  public readonly tables: RoutingTables;
  public readonly router: Router;
  public readonly registry: ServiceRegistry;
  public readonly autoRollback: AutoRollback;
  /**
   * The decision task of routed saga steps (functions/saga-route): reads one capability's entry, decides
   * like the router. Built when the spec has a saga section; the saga invokes it only for routed steps.
   */
  public readonly sagaRoute?: CutoverFunction;
  /** Consumes every inbox without a user consumer; absent with `referenceConsumers: false`. */
  public readonly referenceConsumer?: CutoverFunction;

  public constructor(scope: Construct, id: string, props: RoutingStackProps) {
    super(scope, id, props);
    if (props.spec.routing === undefined)
      throw new ConfigurationError('RoutingStack: the spec has no routing section (spec.routing)', { setting: 'spec.routing' });
    this.tables = new RoutingTables(this, 'Tables');
    const shared = { spec: props.spec, servicesBus: props.servicesBus, tables: this.tables, auditTable: props.auditTable };
    this.referenceConsumer = props.referenceConsumers === false ? undefined : this.buildReferenceConsumer(props);
    this.router = new Router(this, 'Router', {
      ...shared,
      quarantineTable: props.quarantineTable,
      consumers: props.consumers,
      defaultConsumer: this.referenceConsumer,
    });
    this.registry = new ServiceRegistry(this, 'Registry', {
      ...shared,
      quarantineTable: props.quarantineTable,
      deadLetterQueue: this.router.deadLetterQueue,
    });
    this.autoRollback = new AutoRollback(this, 'AutoRollback', {
      ...shared,
      deadLetterQueue: this.router.deadLetterQueue,
      alarmPrefix: this.stackName,
    });
    this.sagaRoute = props.spec.saga ? this.buildSagaRoute(props) : undefined;
    for (const fn of Object.values(props.consumers ?? {})) this.tables.grantRecordOutcomes(fn);
    if (this.referenceConsumer) this.tables.grantRecordOutcomes(this.referenceConsumer);

    const out = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    out(ROUTING_OUTPUTS.routingTableName, this.tables.table.tableName, 'Route entries and registered services (cutover route status)');
    out(
      ROUTING_OUTPUTS.routingHistoryTableName,
      this.tables.historyTable.tableName,
      'Every routing change: who, when, from, to, why (cutover route history)',
    );
    out(ROUTING_OUTPUTS.shadowOutcomesTableName, this.tables.outcomesTable.tableName, 'Outcomes of shadowed events, for comparison');
    out(ROUTING_OUTPUTS.routerFunctionName, this.router.function.functionName, 'The router Lambda');
    out(ROUTING_OUTPUTS.registryFunctionName, this.registry.function.functionName, 'The service registry Lambda');
    out(ROUTING_OUTPUTS.autoRollbackFunctionName, this.autoRollback.function.functionName, 'The alarm-driven rollback Lambda');
    out(ROUTING_OUTPUTS.alarmTopicArn, this.autoRollback.topic.topicArn, 'Rollback alarms publish here');
    out(ROUTING_OUTPUTS.alarmNames, this.toJsonString([...this.autoRollback.alarms.keys()]), 'The rollback alarms (JSON list)');
    out(
      ROUTING_OUTPUTS.inboxUrls,
      this.toJsonString(Object.fromEntries([...this.router.inboxes].map(([key, queue]) => [key, queue.queueUrl]))),
      'Inbox queue URL per <capability>/<target> (JSON)',
    );
    out(
      ROUTING_OUTPUTS.inboxConsumers,
      // A consumer in another stack is named by its construct path: its name would make this stack depend on that one,
      // which already depends on this one for the queue.
      this.toJsonString(
        Object.fromEntries(
          [...this.router.inboxConsumers].map(([key, fn]) => [key, Stack.of(fn) === this ? fn.functionName : fn.node.path]),
        ),
      ),
      'The function consuming each inbox (JSON; a construct path for one in another stack); an inbox not listed is read from outside the stack',
    );
    out(
      ROUTING_OUTPUTS.deadLetterQueueUrl,
      this.router.deadLetterQueue.queueUrl,
      'Routed copies and reports that could not be delivered or processed after every retry',
    );
  }

  private buildSagaRoute(props: RoutingStackProps): CutoverFunction {
    const fn = new CutoverFunction(this, 'SagaRoute', {
      functionDir: 'saga-route',
      spec: props.spec,
      description: 'cutover: which side (monolith or service) performs a routed saga step for one order',
      environment: {
        ROUTING_TABLE_NAME: this.tables.table.tableName,
        // Only named (the store's constructor takes it): this function is granted no access to the history.
        ROUTING_HISTORY_TABLE_NAME: this.tables.historyTable.tableName,
      },
    });
    acknowledgeFunctionFindings(fn);
    this.tables.grantReadEntry(fn);
    return fn;
  }

  private buildReferenceConsumer(props: RoutingStackProps): CutoverFunction {
    const fn = new CutoverFunction(this, 'ReferenceConsumer', {
      functionDir: 'routed-inbox',
      spec: props.spec,
      description: 'cutover: reference consumer of the routing inboxes (acknowledges copies, measures them, keeps shadow outcomes)',
      environment: {
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        SHADOW_OUTCOMES_TABLE_NAME: this.tables.outcomesTable.tableName,
      },
    });
    props.servicesBus.grantPutEventsTo(fn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': ROUTING_METRIC_NAMESPACE } },
      }),
    );
    acknowledgeFunctionFindings(fn);
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the routing namespace by the cloudwatch:namespace condition. X-Ray likewise needs "*".',
    });
    return fn;
  }
}
