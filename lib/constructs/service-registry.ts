import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SERVICE_HEALTH_TYPE, SERVICE_REGISTERED_TYPE } from '../../core/routing/wire';
import type { Spec } from '../../core/spec';
import { ASYNC_RETRY, TARGET_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { acknowledgeFunctionFindings } from './function-acks';
import type { RoutingTables } from './routing-tables';

export interface ServiceRegistryProps {
  readonly spec: Spec;
  readonly servicesBus: events.IEventBus;
  readonly tables: RoutingTables;
  readonly quarantineTable: dynamodb.ITable;
  readonly auditTable: dynamodb.ITable;
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Services register and report health by putting `cutover.service-registered` / `cutover.service-health`
 * on the services bus; this rule hands them to the registry Lambda, which writes the routing table. An
 * `unhealthy` report about the current candidate takes it out of routing at the next decision.
 */
export class ServiceRegistry extends Construct {
  public readonly function: CutoverFunction;
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: ServiceRegistryProps) {
    super(scope, id);
    this.function = new CutoverFunction(this, 'Function', {
      functionDir: 'route-health',
      spec: props.spec,
      description: 'cutover: service registrations and health reports into the routing table',
      environment: {
        ROUTING_TABLE_NAME: props.tables.table.tableName,
        ROUTING_HISTORY_TABLE_NAME: props.tables.historyTable.tableName,
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        QUARANTINE_TABLE_NAME: props.quarantineTable.tableName,
        AUDIT_TABLE_NAME: props.auditTable.tableName,
      },
    });
    props.tables.grantChange(this.function);
    props.servicesBus.grantPutEventsTo(this.function);
    props.quarantineTable.grant(this.function, 'dynamodb:PutItem');
    props.auditTable.grant(this.function, 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:GetItem');
    this.function.configureAsyncInvoke({ ...ASYNC_RETRY, onFailure: new SqsDestination(props.deadLetterQueue) });
    acknowledgeFunctionFindings(this.function);

    this.rule = new events.Rule(this, 'Reports', {
      eventBus: props.servicesBus,
      description: 'cutover: service registrations and health reports, to the registry',
      eventPattern: { detailType: [SERVICE_REGISTERED_TYPE, SERVICE_HEALTH_TYPE] },
      targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: props.deadLetterQueue, ...TARGET_RETRY })],
    });
  }
}
