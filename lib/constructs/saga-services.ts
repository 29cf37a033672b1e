import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { SAGA_FUNCTIONS, type SagaFunction } from '../../core/saga/functions';
import type { FaultPlan } from '../../core/saga/faults';
import type { ReferenceRules } from '../../core/saga/reference';
import type { Spec } from '../../core/spec';
import { CutoverFunction } from './cutover-function';
import { acknowledgeFunctionFindings } from './function-acks';
import type { SagaTables } from './saga-tables';
import type { FunctionEnvironment } from '../../core/contract';
import { ConfigurationError } from '../../core/errors';
import { CARRIER_PROVIDERS } from '../../core/providers/carrier';
import { PAYMENT_PROVIDERS } from '../../core/providers/payment';

export interface SagaServicesProps {
  readonly spec: Spec;
  readonly tables: SagaTables;
  readonly legacyBus: events.IEventBus;
  readonly servicesBus: events.IEventBus;
  /** The state machine's name and ARN, known before it exists (the definition refers to the functions). */
  readonly stateMachineArn: string;
  /** @default - none */
  readonly faults?: FaultPlan;
  /** @default - core/saga/reference.ts defaults */
  readonly referenceRules?: Partial<ReferenceRules>;
  /** The payment and carrier providers of the reference services (see OrderSagaProps.providers). @default - sandbox */
  readonly providers?: SagaProviders;
}

/** Which provider the reference payment and shipping services call (core/providers/, adapters/providers/). */
export interface SagaProviders {
  /** PAYMENT_PROVIDER. @default 'sandbox' */
  readonly payment?: string;
  /** CARRIER_PROVIDER (also used by the carrier webhook). @default 'sandbox' */
  readonly carrier?: string;
}

/** Fails synth naming the prop when a provider name is not one the Lambdas know. */
export function checkProviders(providers: SagaProviders | undefined): void {
  const check = (prop: string, value: string | undefined, known: readonly string[]) => {
    if (value !== undefined && !known.includes(value))
      throw new ConfigurationError(`${prop}: ${JSON.stringify(value)} is not a known provider (known: ${known.join(', ')})`, {
        setting: prop,
      });
  };
  check('providers.payment', providers?.payment, PAYMENT_PROVIDERS);
  check('providers.carrier', providers?.carrier, CARRIER_PROVIDERS);
}

/** The functions the saga's definition invokes (SAGA_FUNCTIONS) and those that answer or start it. */
export type SagaServiceFunctions = Readonly<Record<SagaFunction, CutoverFunction>> & {
  readonly sagaCallback: CutoverFunction;
  readonly sagaStarter: CutoverFunction;
  /** Only with `saga.referenceMonolith`. */
  readonly referenceMonolith?: CutoverFunction;
};

const DESCRIPTIONS: Record<SagaFunction, string> = {
  inventory: 'Reference inventory service: reserve, confirm, release, fulfil',
  payment: 'Reference payment service: charge, fraud review, refund',
  shipping: 'Reference shipping service: book a carrier (task token), record dispatch, cancel',
  notification: 'Reference notification service: confirmation and cancellation notices',
  sagaCommands: 'Monolith-owned saga steps: file the task token, send the command through the bridge',
};

/**
 * The reference services (inventory, payment, shipping, notification), the Lambdas for the steps the
 * monolith owns (commands out, replies back), the starter, and the reference monolith, each granted what it
 * touches and nothing else. Created in the given scope so their logical ids stay those of earlier releases.
 */
export class SagaServices {
  public readonly functions: SagaServiceFunctions;

  public constructor(scope: Construct, props: SagaServicesProps) {
    const { spec, tables } = props;
    const saga = spec.saga!;
    checkProviders(props.providers);
    const common = {
      ...(props.faults ? { CUTOVER_FAULTS: JSON.stringify(props.faults) } : {}),
      ...(props.referenceRules ? { REFERENCE_RULES: JSON.stringify(props.referenceRules) } : {}),
    };
    const fn = (fid: string, functionDir: string, description: string, env: FunctionEnvironment) => {
      const f = new CutoverFunction(scope, fid, { spec, functionDir, description, environment: { ...common, ...env } });
      acknowledgeFunctionFindings(f);
      return f;
    };
    // The construct id is the folder's PascalCase name, as it has always been (it is in the logical ids).
    const invoked = (name: SagaFunction, env: FunctionEnvironment) => {
      const dir = SAGA_FUNCTIONS[name].functionDir;
      return fn(name[0].toUpperCase() + name.slice(1), dir, DESCRIPTIONS[name], env);
    };
    const inventory = invoked('inventory', {
      INVENTORY_TABLE_NAME: tables.inventory.tableName,
      RESERVATION_TTL_SECONDS: String(saga.reservation.ttlSeconds),
    });
    const payment = invoked('payment', {
      PAYMENT_TABLE_NAME: tables.payments.tableName,
      ...(props.providers?.payment ? { PAYMENT_PROVIDER: props.providers.payment } : {}),
    });
    const shipping = invoked('shipping', {
      SHIPMENTS_TABLE_NAME: tables.shipments.tableName,
      ...(props.providers?.carrier ? { CARRIER_PROVIDER: props.providers.carrier } : {}),
      SAGA_CALLBACKS_TABLE_NAME: tables.callbacks.tableName,
      SHIPPING_TIMEOUT_SECONDS: String(saga.shipping.timeoutSeconds),
    });
    const notification = invoked('notification', { NOTIFICATIONS_TABLE_NAME: tables.notifications.tableName });
    const sagaCommands = invoked('sagaCommands', {
      SERVICES_BUS_NAME: props.servicesBus.eventBusName,
      SAGA_CALLBACKS_TABLE_NAME: tables.callbacks.tableName,
    });
    const sagaCallback = fn('SagaCallback', 'saga-callback', "Completes waiting saga tasks from the monolith's translated replies", {
      SAGA_CALLBACKS_TABLE_NAME: tables.callbacks.tableName,
    });
    const sagaStarter = fn('SagaStarter', 'saga-starter', 'Starts the order saga for each order event, named by the order id', {
      ORDER_SAGA_ARN: props.stateMachineArn,
    });
    const referenceMonolith = tables.monolith
      ? fn('ReferenceMonolith', 'reference-monolith', "Plays the monolith for demos and tests: answers the saga's legacy commands", {
          MONOLITH_TABLE_NAME: tables.monolith.tableName,
          LEGACY_BUS_NAME: props.legacyBus.eventBusName,
        })
      : undefined;
    this.functions = { inventory, payment, shipping, notification, sagaCommands, sagaCallback, sagaStarter, referenceMonolith };

    // Least privilege per function: the items it reads and writes, nothing it does not.
    tables.grantInventoryService(inventory);
    tables.grantPaymentService(payment);
    tables.grantShippingService(shipping);
    tables.grantNotificationService(notification);
    for (const f of [shipping, sagaCommands]) tables.grantFileCallbacks(f);
    for (const f of [shipping, sagaCallback]) tables.grantCompleteCallbacks(f);
    tables.grantSweepCallbacks(shipping);
    props.servicesBus.grantPutEventsTo(sagaCommands);
    if (referenceMonolith) {
      tables.grantReferenceMonolith(referenceMonolith);
      props.legacyBus.grantPutEventsTo(referenceMonolith);
    }
    const taskResponse = new iam.PolicyStatement({
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      resources: [props.stateMachineArn],
    });
    for (const f of [shipping, sagaCommands, sagaCallback]) f.addToRolePolicy(taskResponse);
    sagaStarter.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachineArn] }));
  }
}
