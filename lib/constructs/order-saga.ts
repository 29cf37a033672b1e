import { Duration, RemovalPolicy, Stack, ArnFormat } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BRIDGE_SOURCE } from '../../core/events/envelope';
import { ConfigurationError } from '../../core/errors';
import { carrierRoutes, replyRoutes } from '../../core/saga/exchange';
import type { FaultPlan } from '../../core/saga/faults';
import { buildSagaPlan, type SagaPlan } from '../../core/saga/plan';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { ReferenceRules } from '../../core/saga/reference';
import { SAGA_STEPS } from '../../core/saga/steps';
import type { Spec } from '../../core/spec';
import { ASYNC_RETRY, TARGET_RETRY } from './audit-log';
import type { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { SagaServices, type SagaProviders, type SagaServiceFunctions } from './saga-services';
import { planImplementations, SagaStateMachine, type SagaImplementations } from './saga-state-machine';
import { SagaTables } from './saga-tables';

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
  /**
   * Your own implementation per saga action, by action id: a Lambda function, a state machine, or a
   * provider's HTTP API with an EventBridge connection. Only service-owned actions take one (not the saga's
   * own orders table). The request/response contract is in core/saga/implementations.ts and the README.
   * @default - every action by its reference service
   */
  readonly implementations?: SagaImplementations;
  /**
   * The decision task of routed steps (owner `routed`): functions/saga-route, which the routing stack builds
   * beside the routing table it reads. Required when a step is routed; referenced only then.
   * @default - none: no step may be routed
   */
  readonly sagaRouteFunction?: lambda.IFunction;
  /**
   * The payment provider (PSP) and carrier the reference payment and shipping services call, by name
   * (core/providers: PAYMENT_PROVIDERS, CARRIER_PROVIDERS; implementations in adapters/providers/).
   * @default - the sandbox for both
   */
  readonly providers?: SagaProviders;
}

/** Builds the plan, failing synth with the field named when the saga section is missing or an implementation cannot apply. */
export function sagaPlanOf(spec: Spec, implementations?: SagaImplementations): SagaPlan {
  if (!spec.saga)
    throw new ConfigurationError('OrderSaga: the spec has no `saga` section (add one to cutover.config.ts)', { setting: 'spec.saga' });
  return buildSagaPlan(spec.saga, { implementations: planImplementations(implementations) });
}

/** The legacy command types the saga can send (via bridge translations of its command events). */
export function legacyCommandTypes(spec: Spec): string[] {
  const commands = new Set<string>();
  for (const step of SAGA_STEPS) {
    const m = spec.saga?.steps[step].monolith;
    if (m) [m.forward.command, m.compensation.command].forEach((c) => commands.add(c));
  }
  return [
    ...new Set(
      spec.bridge.translations.filter((t) => commands.has(t.service) && (t.direction ?? 'both') !== 'toService').map((t) => t.legacy),
    ),
  ].sort();
}

/**
 * The order saga, composed of three parts and the wiring between them: the saga's tables with their
 * grants (SagaTables), the reference services and the Lambdas for steps the monolith owns (SagaServices),
 * and the Standard Step Functions workflow built from the spec (SagaStateMachine, core/saga/asl.ts handed
 * to CloudFormation with definition substitutions). Here: the rules that start sagas on `order.created` and
 * answer their waits, the dead-letter queue, and an alarm when a compensation fails for good. Which Lambda
 * performs which step is core/saga/functions.ts.
 *
 * The definition is built in core rather than with the CDK stepfunctions L2: it depends on the owner of
 * each step (a spec value), the statemachine tier runs it without synthesizing an app, and
 * statemachines/order-saga.asl.json is the same builder's output for the reference spec, for review.
 */
export class OrderSaga extends Construct {
  public readonly plan: SagaPlan;
  public readonly stateMachine: sfn.StateMachine;
  /** The saga's tables and the grants on them; `monolith` only with `saga.referenceMonolith`. */
  public readonly tables: SagaTables;
  public readonly functions: SagaServiceFunctions;
  public readonly deadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: OrderSagaProps) {
    super(scope, id);
    const { spec } = props;
    this.plan = sagaPlanOf(spec, props.implementations);
    const saga = spec.saga!;
    const stack = Stack.of(this);

    // The name is fixed so functions can be granted SendTask* on it without referring to the resource
    // (the definition refers to them: a reference back would be a cycle).
    const stateMachineName = `${stack.stackName}-${saga.name}`.slice(0, 80);
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const tables = new SagaTables(this, { referenceMonolith: saga.referenceMonolith, removalPolicy: props.removalPolicy });
    this.tables = tables;
    const services = new SagaServices(this, {
      spec,
      tables,
      legacyBus: props.legacyBus,
      servicesBus: props.servicesBus,
      stateMachineArn,
      faults: props.faults,
      referenceRules: props.referenceRules,
      providers: props.providers,
    });
    this.functions = services.functions;
    const { inventory, shipping, sagaCallback, sagaStarter, referenceMonolith } = services.functions;
    this.stateMachine = new SagaStateMachine(this, {
      plan: this.plan,
      stateMachineName,
      tables,
      functions: services.functions,
      servicesBus: props.servicesBus,
      removalPolicy: props.removalPolicy,
      implementations: props.implementations,
      sagaRouteFunction: props.sagaRouteFunction,
    }).stateMachine;
    // A user's Lambda on an awaited action keeps the task token and completes it: it may answer this saga only.
    const awaited = new Set(this.plan.forward.filter((a) => a.kind === 'service-callback').map((a) => a.id));
    for (const [id, impl] of Object.entries(props.implementations ?? {})) {
      if (impl?.kind === 'lambda' && awaited.has(id))
        impl.function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
            resources: [stateMachineArn],
          }),
        );
    }

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
        description: "The monolith's translated replies complete the saga tasks waiting for them",
        eventPattern: { detailType: replies },
        targets: [target(sagaCallback)],
      });
    }
    const carrier = [...carrierRoutes(saga).keys()].sort();
    new events.Rule(this, 'CarrierAnswers', {
      eventBus: props.servicesBus,
      description: "The carrier's answers: shipping records them, then completes ScheduleShipping",
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
        targets: [
          new targets.LambdaFunction(shipping, {
            event: events.RuleTargetInput.fromObject({ action: 'heartbeat' }),
            deadLetterQueue: this.deadLetterQueue,
            ...TARGET_RETRY,
          }),
        ],
      });
    }
    const commands = legacyCommandTypes(spec);
    if (referenceMonolith && commands.length > 0) {
      new events.Rule(this, 'ReferenceMonolithCommands', {
        eventBus: props.legacyBus,
        description: "The saga's legacy commands, for the reference monolith",
        eventPattern: { source: [BRIDGE_SOURCE], detailType: commands },
        targets: [target(referenceMonolith)],
      });
    }
  }
}
