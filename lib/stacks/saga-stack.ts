import { CfnOutput, Stack, type RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { FaultPlan } from '../../core/saga/faults';
import type { ReferenceRules } from '../../core/saga/reference';
import type { Spec } from '../../core/spec';
import { OrderSaga } from '../constructs/order-saga';
import { OUTPUTS } from '../../core/contract';
import type { SagaImplementations } from '../constructs/saga-state-machine';
import type { SagaProviders } from '../constructs/saga-services';
import { CarrierWebhook, type CarrierWebhookProps } from '../constructs/carrier-webhook';

export interface SagaStackProps extends StackProps {
  readonly spec: Spec;
  readonly legacyBus: events.IEventBus;
  readonly servicesBus: events.IEventBus;
  /** @default - no fault injection */
  readonly faults?: FaultPlan;
  /** @default - the reference defaults */
  readonly referenceRules?: Partial<ReferenceRules>;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Your own implementation per saga action (see OrderSagaProps.implementations). @default - the reference services */
  readonly implementations?: SagaImplementations;
  /** The decision task of routed steps (see OrderSagaProps.sagaRouteFunction). @default - none: no step may be routed */
  readonly sagaRouteFunction?: lambda.IFunction;
  /** See OrderSagaProps.providers. @default - the sandbox for both */
  readonly providers?: SagaProviders;
  /**
   * The carrier's signed webhook (POST /carrier/webhook) that resumes sagas waiting for the carrier;
   * `false` leaves it out (the carrier's answer then comes only through the bus or `cutover saga callback`).
   * @default - deployed, with a generated signing secret and the carrier provider of `providers`
   */
  readonly carrierWebhook?: false | Omit<CarrierWebhookProps, 'spec' | 'servicesBus' | 'callbacksTable' | 'provider' | 'referenceRules'>;
}

/**
 * The output keys the CLI (`cutover saga ...`), the e2e tests and the demo read. Their names live in
 * core/contract.ts, where the readers take them from: a rename fails the typecheck.
 */
export const SAGA_OUTPUTS = OUTPUTS.saga;

/** The order saga and the reference services it calls. */
export class SagaStack extends Stack {
  public readonly orderSaga: OrderSaga;
  /** Absent with `carrierWebhook: false`. */
  public readonly carrierWebhook?: CarrierWebhook;

  public constructor(scope: Construct, id: string, props: SagaStackProps) {
    super(scope, id, props);
    this.orderSaga = new OrderSaga(this, 'OrderSaga', {
      spec: props.spec,
      legacyBus: props.legacyBus,
      servicesBus: props.servicesBus,
      faults: props.faults,
      referenceRules: props.referenceRules,
      removalPolicy: props.removalPolicy,
      implementations: props.implementations,
      sagaRouteFunction: props.sagaRouteFunction,
      providers: props.providers,
    });
    const saga = this.orderSaga;
    if (props.carrierWebhook !== false) {
      this.carrierWebhook = new CarrierWebhook(this, 'CarrierWebhook', {
        ...props.carrierWebhook,
        spec: props.spec,
        servicesBus: props.servicesBus,
        callbacksTable: saga.tables.callbacks,
        provider: props.providers?.carrier,
        referenceRules: props.referenceRules,
        removalPolicy: props.carrierWebhook?.removalPolicy ?? props.removalPolicy,
      });
    }
    const out = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    out(
      SAGA_OUTPUTS.orderSagaArn,
      saga.stateMachine.stateMachineArn,
      'The order saga (Step Functions, Standard); executions are named by order id',
    );
    out(SAGA_OUTPUTS.orderSagaName, saga.stateMachine.stateMachineName, 'Name of the order saga state machine');
    out(
      SAGA_OUTPUTS.sagaStateTable,
      saga.tables.sagaState.tableName,
      'One row per saga: running, completed, compensated or compensation-failed',
    );
    out(
      SAGA_OUTPUTS.needsAttentionTable,
      saga.tables.needsAttention.tableName,
      'Orders an operator must finish: a compensation failed after its retries',
    );
    out(SAGA_OUTPUTS.callbacksTable, saga.tables.callbacks.tableName, 'Task tokens of awaited saga actions by (orderId, action)');
    out(SAGA_OUTPUTS.ordersTable, saga.tables.orders.tableName, 'The orders service');
    out(
      SAGA_OUTPUTS.inventoryTable,
      saga.tables.inventory.tableName,
      'The inventory service: SKU#<sku> stock and RES#<orderId> reservations',
    );
    out(SAGA_OUTPUTS.paymentsTable, saga.tables.payments.tableName, 'The payment service');
    out(SAGA_OUTPUTS.shipmentsTable, saga.tables.shipments.tableName, 'The shipping service');
    out(SAGA_OUTPUTS.notificationsTable, saga.tables.notifications.tableName, "The notification service's outbox");
    if (saga.tables.monolith) out(SAGA_OUTPUTS.monolithTable, saga.tables.monolith.tableName, "The reference monolith's own state");
    const fns = saga.functions;
    out(
      SAGA_OUTPUTS.referenceFunctions,
      Stack.of(this).toJsonString({
        inventory: fns.inventory.functionName,
        payment: fns.payment.functionName,
        shipping: fns.shipping.functionName,
        notification: fns.notification.functionName,
        monolith: fns.sagaCommands.functionName,
      }),
      'The functions that read CUTOVER_FAULTS, by fault service (cutover chaos run sets their faults for a scenario)',
    );
    out(
      SAGA_OUTPUTS.deadLetterQueueUrl,
      saga.deadLetterQueue.queueUrl,
      'Saga events that could not be delivered or processed after every retry',
    );
    const hook = this.carrierWebhook;
    if (hook) {
      out(SAGA_OUTPUTS.carrierWebhookUrl, hook.url, 'Give the carrier this URL for its signed shipment webhooks');
      out(SAGA_OUTPUTS.carrierWebhookApiId, hook.api.restApiId, 'The carrier webhook REST API');
      out(SAGA_OUTPUTS.carrierWebhookStage, hook.api.deploymentStage.stageName, 'Its stage');
      out(SAGA_OUTPUTS.carrierWebhookSecretArn, hook.secret.secretArn, 'The HMAC signing secret shared with the carrier');
      out(SAGA_OUTPUTS.carrierQuarantineQueueUrl, hook.quarantineQueue.queueUrl, 'Genuine carrier events no saga waited for');
    }
  }
}
