import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { buildSagaDefinition, usedSubstitutions, type SubstitutionKey } from '../../core/saga/asl';
import { SAGA_FUNCTION_NAMES, SAGA_FUNCTIONS, type SagaFunction } from '../../core/saga/functions';
import type { SagaPlan } from '../../core/saga/plan';
import type { SagaTables } from './saga-tables';

export interface SagaStateMachineProps {
  readonly plan: SagaPlan;
  /** Fixed ahead so the functions can be granted SendTask* on it (see OrderSaga). */
  readonly stateMachineName: string;
  readonly tables: SagaTables;
  /** The Lambdas the definition may invoke, by their name in SAGA_FUNCTIONS. */
  readonly functions: Readonly<Record<SagaFunction, lambda.IFunction>>;
  readonly servicesBus: events.IEventBus;
  /** @default RemovalPolicy.RETAIN (the log group) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The saga's Standard workflow: the core builder's definition handed to CloudFormation with a substitution
 * for each placeholder it uses, and a role allowed exactly what the definition does. Created in the given
 * scope so the logical ids stay those of earlier releases.
 */
export class SagaStateMachine {
  public readonly stateMachine: sfn.StateMachine;

  public constructor(scope: Construct, props: SagaStateMachineProps) {
    const { tables } = props;
    const definition = buildSagaDefinition(props.plan);
    const values = {
      OrdersTable: tables.orders.tableName,
      SagaStateTable: tables.sagaState.tableName,
      NeedsAttentionTable: tables.needsAttention.tableName,
      ServicesBusName: props.servicesBus.eventBusName,
      ...Object.fromEntries(SAGA_FUNCTION_NAMES.map((f) => [SAGA_FUNCTIONS[f].substitution, props.functions[f].functionArn])),
    } as Record<SubstitutionKey, string>;
    const used = usedSubstitutions(definition);
    const logGroup = new logs.LogGroup(scope, 'StateMachineLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const sm = new sfn.StateMachine(scope, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition, null, 2)),
      definitionSubstitutions: Object.fromEntries(used.map((k) => [k, values[k]])),
      tracingEnabled: true,
      // Execution data stays out of the logs: payloads carry task tokens and customer data; the audit log has the events.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: definition.Comment,
    });
    this.stateMachine = sm;
    // Exact resources only: the unqualified ARNs of the functions the definition names, the tables (not their indexes).
    const invoked = SAGA_FUNCTION_NAMES.filter((f) => (used as readonly string[]).includes(SAGA_FUNCTIONS[f].substitution));
    sm.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked.map((f) => props.functions[f].functionArn) }),
    );
    tables.grantStateMachineBookkeeping(sm);
    props.servicesBus.grantPutEventsTo(sm);
    Validations.of(sm).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing do not support resource-level permissions; AWS requires "*".',
    });
  }
}
