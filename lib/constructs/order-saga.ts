import { Duration, RemovalPolicy, Stack, Validations, ArnFormat } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BRIDGE_SOURCE } from '../../core/events/envelope';
import { buildSagaDefinition, usedSubstitutions, type SubstitutionKey } from '../../core/saga/asl';
import { carrierRoutes, replyRoutes } from '../../core/saga/exchange';
import type { FaultPlan } from '../../core/saga/faults';
import { buildSagaPlan, type SagaPlan } from '../../core/saga/plan';
import type { ReferenceRules } from '../../core/saga/reference';
import { SAGA_STEPS } from '../../core/saga/steps';
import { SAGA_TABLES, type SagaTableName } from '../../core/saga/tables';
import type { Spec } from '../../core/spec';
import { ASYNC_RETRY, TARGET_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import { ConfigurationError } from '../../core/errors';

export interface OrderSagaProps {
  /** The validated spec; its `saga` section decides the owners, waits and retries. */
  readonly spec: Spec;
  /** The monolith's bus: where the reference monolith hears the saga's commands. */
  readonly legacyBus: events.IEventBus;
  /** Where the saga's audit events, commands and the services' events travel. */
  readonly servicesBus: events.IEventBus;
  /**
   * Fault injection for the reference services (CUTOVER_FAULTS), for load tests and demos.
   * @default - none: the services behave normally
   */
  readonly faults?: FaultPlan;
  /**
   * Sandbox rules of the reference services and monolith (REFERENCE_RULES).
   * @default - core/saga/reference.ts defaults (customer C99999 is declined, country ZZ is refused...)
   */
  readonly referenceRules?: Partial<ReferenceRules>;
  /**
   * What happens to the saga's tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Builds the plan, failing synth with the field named when the saga section is missing. */
export function sagaPlanOf(spec: Spec): SagaPlan {
  if (!spec.saga) throw new ConfigurationError('OrderSaga: the spec has no `saga` section (add one to cutover.config.ts)', { setting: 'spec.saga' });
  return buildSagaPlan(spec.saga);
}

/** The legacy command types the saga can send (via bridge translations of its command events). */
export function legacyCommandTypes(spec: Spec): string[] {
  const commands = new Set<string>();
  for (const step of SAGA_STEPS) {
    const m = spec.saga?.steps[step].monolith;
    if (m) [m.forward.command, m.compensation.command].forEach((c) => commands.add(c));
  }
  return [
    ...new Set(spec.bridge.translations.filter((t) => commands.has(t.service) && (t.direction ?? 'both') !== 'toService').map((t) => t.legacy)),
  ].sort();
}

/**
 * The order saga: a Standard Step Functions workflow built from the spec (core/saga/asl.ts) and handed to
 * CloudFormation with definition substitutions, the reference services it calls (inventory, payment,
 * shipping, notification), the command and callback Lambdas for steps the monolith owns, the starter on
 * `order.created`, the saga's tables, and an alarm when a compensation fails for good.
 *
 * The definition is built in core rather than with the CDK stepfunctions L2: it depends on the owner of
 * each step (a spec value), the statemachine tier runs it without synthesizing an app, and
 * statemachines/order-saga.asl.json is the same builder's output for the reference spec, for review.
 */
export class OrderSaga extends Construct {
  public readonly plan: SagaPlan;
  public readonly stateMachine: sfn.StateMachine;
  /** The saga's tables; `monolith` only with `saga.referenceMonolith`. */
  public readonly tables: Readonly<Record<Exclude<SagaTableName, 'monolith'>, dynamodb.Table>> & { readonly monolith?: dynamodb.Table };
  public readonly functions: {
    readonly inventory: CutoverFunction;
    readonly payment: CutoverFunction;
    readonly shipping: CutoverFunction;
    readonly notification: CutoverFunction;
    readonly sagaCommands: CutoverFunction;
    readonly sagaCallback: CutoverFunction;
    readonly sagaStarter: CutoverFunction;
    readonly referenceMonolith?: CutoverFunction;
  };
  /** Fires when an execution fails: a compensation that could not be done (or an unexpected error). */
  public readonly compensationFailedAlarm: cloudwatch.Alarm;
  public readonly deadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: OrderSagaProps) {
    super(scope, id);
    const { spec } = props;
    this.plan = sagaPlanOf(spec);
    const saga = spec.saga!;
    const stack = Stack.of(this);

    // The name is fixed so functions can be granted SendTask* on it without referring to the resource
    // (the definition refers to them: a reference back would be a cycle).
    const stateMachineName = `${stack.stackName}-${saga.name}`.slice(0, 80);
    const stateMachineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const tables = {} as Record<SagaTableName, dynamodb.Table | undefined> as Record<SagaTableName, dynamodb.Table>;
    for (const [name, shape] of Object.entries(SAGA_TABLES) as Array<[SagaTableName, (typeof SAGA_TABLES)[SagaTableName]]>) {
      if (name === 'monolith' && !saga.referenceMonolith) continue;
      const s = shape as { partitionKey: string; sortKey?: string; ttl?: string; indexes?: ReadonlyArray<{ name: string; partitionKey: string; sortKey?: string }> };
      const table = new dynamodb.Table(this, `${name[0].toUpperCase()}${name.slice(1)}Table`, {
        partitionKey: { name: s.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: s.sortKey ? { name: s.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        timeToLiveAttribute: s.ttl,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      for (const idx of s.indexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: idx.name,
          partitionKey: { name: idx.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: idx.sortKey ? { name: idx.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        });
      }
      tables[name] = table;
    }
    this.tables = tables;

    const common = {
      spec,
      environment: {
        ...(props.faults ? { CUTOVER_FAULTS: JSON.stringify(props.faults) } : {}),
        ...(props.referenceRules ? { REFERENCE_RULES: JSON.stringify(props.referenceRules) } : {}),
      },
    };
    const fn = (fid: string, dir: string, description: string, env: Record<string, string>) => {
      const f = new CutoverFunction(this, fid, { ...common, functionDir: dir, description, environment: { ...common.environment, ...env } });
      acknowledgeFunctionFindings(f);
      return f;
    };
    const inventory = fn('Inventory', 'inventory', 'Reference inventory service: reserve, confirm, release, fulfil', {
      INVENTORY_TABLE_NAME: tables.inventory.tableName,
      RESERVATION_TTL_SECONDS: String(saga.reservation.ttlSeconds),
    });
    const payment = fn('Payment', 'payment', 'Reference payment service: charge, fraud review, refund', { PAYMENT_TABLE_NAME: tables.payments.tableName });
    const shipping = fn('Shipping', 'shipping', 'Reference shipping service: book a carrier (task token), record dispatch, cancel', {
      SHIPMENTS_TABLE_NAME: tables.shipments.tableName,
      SAGA_CALLBACKS_TABLE_NAME: tables.callbacks.tableName,
      SHIPPING_TIMEOUT_SECONDS: String(saga.shipping.timeoutSeconds),
    });
    const notification = fn('Notification', 'notification', 'Reference notification service: confirmation and cancellation notices', {
      NOTIFICATIONS_TABLE_NAME: tables.notifications.tableName,
    });
    const sagaCommands = fn('SagaCommands', 'saga-commands', 'Monolith-owned saga steps: file the task token, send the command through the bridge', {
      SERVICES_BUS_NAME: props.servicesBus.eventBusName,
      SAGA_CALLBACKS_TABLE_NAME: tables.callbacks.tableName,
    });
    const sagaCallback = fn('SagaCallback', 'saga-callback', 'Completes waiting saga tasks from the monolith\'s translated replies', {
      SAGA_CALLBACKS_TABLE_NAME: tables.callbacks.tableName,
    });
    const sagaStarter = fn('SagaStarter', 'saga-starter', 'Starts the order saga for each order event, named by the order id', { ORDER_SAGA_ARN: stateMachineArn });
    const referenceMonolith = saga.referenceMonolith
      ? fn('ReferenceMonolith', 'reference-monolith', 'Plays the monolith for demos and tests: answers the saga\'s legacy commands', {
          MONOLITH_TABLE_NAME: tables.monolith!.tableName,
          LEGACY_BUS_NAME: props.legacyBus.eventBusName,
        })
      : undefined;
    this.functions = { inventory, payment, shipping, notification, sagaCommands, sagaCallback, sagaStarter, referenceMonolith };

    // Least privilege per function: the items it reads and writes, nothing it does not.
    tables.inventory.grant(inventory, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem');
    tables.payments.grant(payment, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    tables.shipments.grant(shipping, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    tables.notifications.grant(notification, 'dynamodb:GetItem', 'dynamodb:PutItem');
    for (const f of [shipping, sagaCommands]) tables.callbacks.grant(f, 'dynamodb:PutItem', 'dynamodb:GetItem');
    for (const f of [shipping, sagaCallback]) tables.callbacks.grant(f, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    tables.callbacks.grant(shipping, 'dynamodb:Scan');
    props.servicesBus.grantPutEventsTo(sagaCommands);
    if (referenceMonolith) {
      tables.monolith!.grant(referenceMonolith, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
      props.legacyBus.grantPutEventsTo(referenceMonolith);
    }
    const taskResponse = new iam.PolicyStatement({
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      resources: [stateMachineArn],
    });
    for (const f of [shipping, sagaCommands, sagaCallback]) f.addToRolePolicy(taskResponse);
    sagaStarter.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }));

    // The state machine.
    const definition = buildSagaDefinition(this.plan);
    const values: Record<SubstitutionKey, string> = {
      OrdersTable: tables.orders.tableName,
      SagaStateTable: tables.sagaState.tableName,
      NeedsAttentionTable: tables.needsAttention.tableName,
      ServicesBusName: props.servicesBus.eventBusName,
      InventoryFunctionArn: inventory.functionArn,
      PaymentFunctionArn: payment.functionArn,
      ShippingFunctionArn: shipping.functionArn,
      NotificationFunctionArn: notification.functionArn,
      SagaCommandsFunctionArn: sagaCommands.functionArn,
    };
    const used = usedSubstitutions(definition);
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition, null, 2)),
      definitionSubstitutions: Object.fromEntries(used.map((k) => [k, values[k]])),
      tracingEnabled: true,
      // Execution data stays out of the logs: payloads carry task tokens and customer data; the audit log has the events.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: definition.Comment,
    });
    const sm = this.stateMachine;
    // Exact resources only: the unqualified function ARNs the definition names, the tables (not their indexes).
    const invoked = [
      ['InventoryFunctionArn', inventory],
      ['PaymentFunctionArn', payment],
      ['ShippingFunctionArn', shipping],
      ['NotificationFunctionArn', notification],
      ['SagaCommandsFunctionArn', sagaCommands],
    ] as const;
    const functionArns = invoked.filter(([key]) => used.includes(key)).map(([, f]) => f.functionArn);
    sm.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }));
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [tables.orders.tableArn, tables.sagaState.tableArn],
      }),
    );
    sm.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [tables.needsAttention.tableArn] }));
    props.servicesBus.grantPutEventsTo(sm);
    Validations.of(sm).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing do not support resource-level permissions; AWS requires "*".',
    });

    // Event wiring: what starts sagas and what answers their waits.
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    for (const f of [inventory, shipping, sagaCallback, sagaStarter, ...(referenceMonolith ? [referenceMonolith] : [])]) {
      f.configureAsyncInvoke({ ...ASYNC_RETRY, onFailure: new SqsDestination(this.deadLetterQueue) });
    }
    const target = (f: CutoverFunction) => new targets.LambdaFunction(f, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY });
    if (saga.autoStart) {
      new events.Rule(this, 'StartOnOrder', {
        eventBus: props.servicesBus,
        description: `Start the order saga for each ${saga.orderEvent} (not for replays)`,
        eventPattern: { detailType: [saga.orderEvent], detail: { metadata: { replay: events.Match.doesNotExist() } } },
        targets: [target(sagaStarter)],
      });
    }
    const replies = [...replyRoutes(saga).keys()].sort();
    if (replies.length > 0) {
      new events.Rule(this, 'MonolithReplies', {
        eventBus: props.servicesBus,
        description: 'The monolith\'s translated replies complete the saga tasks waiting for them',
        eventPattern: { detailType: replies },
        targets: [target(sagaCallback)],
      });
    }
    const carrier = [...carrierRoutes(saga).keys()].sort();
    new events.Rule(this, 'CarrierAnswers', {
      eventBus: props.servicesBus,
      description: 'The carrier\'s answers: shipping records them, then completes ScheduleShipping',
      eventPattern: { detailType: carrier },
      targets: [target(shipping)],
    });
    new events.Rule(this, 'Dispatched', {
      eventBus: props.servicesBus,
      description: 'Goods left the warehouse: inventory lets go of the committed holds',
      eventPattern: { detailType: ['shipment.dispatched'] },
      targets: [target(inventory)],
    });
    if (saga.shipping.heartbeatSeconds) {
      // Four sweeps per heartbeat interval: one missed sweep does not time a saga out.
      const everyMinutes = Math.max(1, Math.floor(saga.shipping.heartbeatSeconds / 4 / 60));
      new events.Rule(this, 'ShippingHeartbeat', {
        description: 'The shipping service tells every saga waiting for the carrier that its booking is alive',
        schedule: events.Schedule.rate(Duration.minutes(everyMinutes)),
        targets: [new targets.LambdaFunction(shipping, { event: events.RuleTargetInput.fromObject({ action: 'heartbeat' }), deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
      });
    }
    const commands = legacyCommandTypes(spec);
    if (referenceMonolith && commands.length > 0) {
      new events.Rule(this, 'ReferenceMonolithCommands', {
        eventBus: props.legacyBus,
        description: 'The saga\'s legacy commands, for the reference monolith',
        eventPattern: { source: [BRIDGE_SOURCE], detailType: commands },
        targets: [target(referenceMonolith)],
      });
    }

    this.compensationFailedAlarm = new cloudwatch.Alarm(this, 'CompensationFailedAlarm', {
      alarmDescription:
        'An order saga execution failed: a compensation could not be done after its retries (see the needs-attention table and saga.compensation-failed events), or the workflow hit an unexpected error.',
      metric: sm.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

}
