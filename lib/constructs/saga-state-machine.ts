import { ArnFormat, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { buildSagaDefinition, SAGA_ROUTE_SUBSTITUTION, usedSubstitutions, type SubstitutionKey } from '../../core/saga/asl';
import { ConfigurationError } from '../../core/errors';
import { routedActions } from '../../core/saga/plan';
import { SAGA_FUNCTION_NAMES, SAGA_FUNCTIONS, type SagaFunction } from '../../core/saga/functions';
import { implementationSubstitutions, type ActionImplementation, type HttpImplementation } from '../../core/saga/implementations';
import type { SagaPlan } from '../../core/saga/plan';
import type { SagaTables } from './saga-tables';

/**
 * Your own implementation of a saga action, replacing the reference service (see core/saga/implementations.ts
 * for the request/response contract and how each kind reports a business error such as CardDeclined).
 */
export type SagaActionImplementation =
  /** Invoked with the request as its event; a business error is a thrown error of that name. */
  | { readonly kind: 'lambda'; readonly function: lambda.IFunction }
  /** Run to its end (startExecution.sync:2); its output is the answer, `{ error, cause }` a business error. */
  | { readonly kind: 'stateMachine'; readonly stateMachine: sfn.IStateMachine }
  /** A provider's HTTP API, called by the Step Functions HTTP task; the connection holds its credentials. */
  | (Omit<HttpImplementation, 'kind'> & {
      readonly kind: 'http';
      /** The full URL the request goes to, e.g. `https://api.provider.example/v1/charges`. */
      readonly endpoint: string;
      readonly connection: events.IConnection;
    });

/** The implementations of a saga, by action id (`ProcessPayment`, `RefundPayment`, ...). */
export type SagaImplementations = Readonly<Record<string, SagaActionImplementation | undefined>>;

/** The core (resource-free) view of the implementations, for the plan. */
export function planImplementations(impls: SagaImplementations = {}): Record<string, ActionImplementation> {
  const out: Record<string, ActionImplementation> = {};
  for (const [id, impl] of Object.entries(impls)) {
    if (!impl) continue;
    if (impl.kind === 'http') out[id] = { kind: 'http', method: impl.method, rejections: impl.rejections, headers: impl.headers };
    else out[id] = { kind: impl.kind };
  }
  return out;
}

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
  /** The resources behind the plan's user implementations. @default - none: the reference services */
  readonly implementations?: SagaImplementations;
  /** The decision task of routed steps. @default - none: a routed step fails synth */
  readonly sagaRouteFunction?: lambda.IFunction;
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
    const impls = Object.entries(props.implementations ?? {}).filter((e): e is [string, SagaActionImplementation] => e[1] !== undefined);
    for (const [id, impl] of impls) {
      const keys = implementationSubstitutions(id);
      if (impl.kind === 'lambda') values[keys.target as SubstitutionKey] = impl.function.functionArn;
      if (impl.kind === 'stateMachine') values[keys.target as SubstitutionKey] = impl.stateMachine.stateMachineArn;
      if (impl.kind === 'http') {
        values[keys.endpoint as SubstitutionKey] = impl.endpoint;
        values[keys.connection as SubstitutionKey] = impl.connection.connectionArn;
      }
    }
    const used = usedSubstitutions(definition);
    const routesSteps = used.includes(SAGA_ROUTE_SUBSTITUTION);
    if (routesSteps) {
      if (!props.sagaRouteFunction) {
        const steps = [...new Set(routedActions(props.plan).map((a) => a.step))];
        throw new ConfigurationError(
          `saga.steps.${steps[0]}.owner: "routed" needs the routing table's decision function (the spec's routing section builds it in the routing stack); routed: ${steps.join(', ')}`,
          { setting: `saga.steps.${steps[0]}.owner` },
        );
      }
      values[SAGA_ROUTE_SUBSTITUTION] = props.sagaRouteFunction.functionArn;
    }
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
    const userFunctions = impls.flatMap(([, impl]) => (impl.kind === 'lambda' ? [impl.function.functionArn] : []));
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [
          ...new Set([
            ...invoked.map((f) => props.functions[f].functionArn),
            ...userFunctions,
            ...(routesSteps && props.sagaRouteFunction ? [props.sagaRouteFunction.functionArn] : []),
          ]),
        ],
      }),
    );
    const ownArn = Stack.of(scope).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.grantImplementations(scope, sm, ownArn, impls);
    tables.grantStateMachineBookkeeping(sm);
    props.servicesBus.grantPutEventsTo(sm);
    Validations.of(sm).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing do not support resource-level permissions; AWS requires "*".',
    });
  }

  /** What the definition does with the user's resources: run a child to its end, call an API through its connection. */
  private grantImplementations(
    scope: Construct,
    sm: sfn.StateMachine,
    ownArn: string,
    impls: ReadonlyArray<[string, SagaActionImplementation]>,
  ): void {
    let children = false;
    for (const [, impl] of impls) {
      if (impl.kind === 'stateMachine') {
        children = true;
        impl.stateMachine.grantStartExecution(sm);
        // startExecution.sync:2 polls the child and stops it when the parent is stopped: its executions, whose names are not known.
        const executions = `${Stack.of(scope).formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: Fn.select(6, Fn.split(':', impl.stateMachine.stateMachineArn)),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        })}:*`;
        sm.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executions] }),
        );
        acknowledgeLater(
          sm,
          executions,
          'startExecution.sync:2 must describe and stop the executions of the child state machine, whose names are made per run: the resource is every execution of that one state machine.',
        );
      }
      if (impl.kind === 'http') {
        sm.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['events:RetrieveConnectionCredentials'], resources: [impl.connection.connectionArn] }),
        );
        sm.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            resources: [impl.connection.connectionSecretArn],
          }),
        );
        // The state machine's own ARN, built from its fixed name: a reference to the resource would be a cycle.
        sm.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['states:InvokeHTTPEndpoint'],
            resources: [ownArn],
            conditions: {
              StringEquals: { 'states:HTTPMethod': impl.method ?? 'POST' },
              StringLike: { 'states:HTTPEndpoint': `${impl.endpoint}*` },
            },
          }),
        );
      }
    }
    if (children) {
      // The managed rule Step Functions uses to learn that a child execution ended.
      sm.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
          resources: [
            Stack.of(scope).formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule',
            }),
          ],
        }),
      );
    }
  }
}

/**
 * Acknowledges cdk-nag's wildcard finding on `resource` once the app is prepared: the finding names the
 * resource as the template will spell it, which for a reference to another stack (an import) is only known
 * after CDK has resolved cross-stack references. The rendering follows cdk-nag's (Ref -> <Id>, joins flattened).
 */
function acknowledgeLater(scope: Construct, resource: string, reason: string): void {
  scope.node.addValidation({
    validate: () => {
      Validations.of(scope).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`,
        reason,
      });
      return [];
    },
  });
}

function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (o['Fn::Sub'] !== undefined) return flattenReference(o['Fn::Sub']);
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (o['Fn::ImportValue'] !== undefined) return flattenReference(o['Fn::ImportValue']);
  if (o.Ref !== undefined) return `<${flattenReference(o.Ref)}>`;
  return JSON.stringify(node);
}
