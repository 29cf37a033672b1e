import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
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

  public constructor(scope: Construct, id: string, props: RoutingStackProps) {
    super(scope, id, props);
    if (props.spec.routing === undefined)
      throw new ConfigurationError('RoutingStack: the spec has no routing section (spec.routing)', { setting: 'spec.routing' });
    this.tables = new RoutingTables(this, 'Tables');
    const shared = { spec: props.spec, servicesBus: props.servicesBus, tables: this.tables, auditTable: props.auditTable };
    this.router = new Router(this, 'Router', { ...shared, quarantineTable: props.quarantineTable, consumers: props.consumers });
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
    for (const fn of Object.values(props.consumers ?? {})) this.tables.grantRecordOutcomes(fn);

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
      ROUTING_OUTPUTS.deadLetterQueueUrl,
      this.router.deadLetterQueue.queueUrl,
      'Routed copies and reports that could not be delivered or processed after every retry',
    );
  }
}
