import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';
import { BRIDGE_SOURCE, type ServiceEvent } from '../../../core/events/envelope';
import {
  buildSagaDefinition,
  SAGA_ROUTE_SUBSTITUTION,
  substitute,
  SUBSTITUTION_KEYS,
  usedSubstitutions,
  type AslDefinition,
  type SubstitutionKey,
} from '../../../core/saga/asl';
import { carrierRoutes, replyRoutes } from '../../../core/saga/exchange';
import { FaultInjector, type FaultPlan } from '../../../core/saga/faults';
import { functionOf, SAGA_FUNCTION_NAMES, SAGA_FUNCTIONS, type SagaFunction } from '../../../core/saga/functions';
import { httpStatusError, implementationSubstitutions, type ActionImplementation } from '../../../core/saga/implementations';
import { buildSagaPlan, type CompensationAction, type ForwardAction, type SagaPlan } from '../../../core/saga/plan';
import { DEFAULT_REFERENCE_RULES, type ReferenceRules } from '../../../core/saga/reference';
import { SAGA_STEPS, type SagaStep, type StepOwner } from '../../../core/saga/steps';
import type { SagaTableName } from '../../../core/saga/tables';
import { parseSpec, type Spec } from '../../../core/spec';
import { Translator } from '../../../core/translate/translator';
import '../../../core/saga';
import referenceSpec from '../../../cutover.config';
import { Logger } from '../../../functions/shared/logger';
import { createInventoryHandler } from '../../../functions/inventory/handler';
import { InventoryService } from '../../../functions/inventory/inventory';
import { createNotificationHandler } from '../../../functions/notification/handler';
import { NotificationService } from '../../../functions/notification/notification';
import { createPaymentHandler } from '../../../functions/payment/handler';
import { PaymentService } from '../../../functions/payment/payment';
import { createReferenceMonolithHandler } from '../../../functions/reference-monolith/handler';
import { HANDLED_COMMANDS, ReferenceMonolith } from '../../../functions/reference-monolith/monolith';
import { createSagaCallbackHandler } from '../../../functions/saga-callback/handler';
import { CallbackRegistry, TaskCallbacks } from '../../../adapters/dynamodb/callback-registry';
import { createSagaCommandsHandler } from '../../../functions/saga-commands/handler';
import { createShippingHandler } from '../../../functions/shipping/handler';
import { ShippingService } from '../../../functions/shipping/shipping';
import { createSagaTables, type Dynalite } from './dynalite';

/*
 * The order saga in one process: the synthesized definition run by aws-local-stepfunctions, every Task state
 * mapped to the real handler (or, for the state machine's direct integrations, to the same DynamoDB call
 * against dynalite, and PutEvents to an in-memory pair of buses). The buses route like the deployed rules:
 * commands through the real translator to the reference monolith, its replies back through the translator
 * to saga-callback, which completes the waiting task through a fake SendTaskSuccess. aws-local-stepfunctions
 * has no task tokens: a `.waitForTaskToken` state is overridden by "invoke the handler with a fresh token,
 * then wait until something calls SendTaskSuccess/Failure with it, or time out (States.Timeout)".
 */

// The handlers log every step; tests only want errors (set before any Logger is built).
process.env.LOG_LEVEL ??= 'error';

export const FUNCTION_ARN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
/** Where the world puts a user implementation of an action, per kind (the values of its definition placeholders). */
export const USER_IMPLEMENTATION = {
  lambda: (action: string) => FUNCTION_ARN(`user-${action}`),
  stateMachine: (action: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:user-${action}`,
  endpoint: (action: string) => `https://provider.example.com/${action}`,
  connection: (action: string) => `arn:aws:events:us-east-1:000000000000:connection/provider-${action}/0000`,
} as const;

/** A call the saga made to a user implementation, as the user's function, state machine or API received it. */
export interface UserCall {
  readonly action: string;
  readonly kind: ActionImplementation['kind'];
  /** The request: the Lambda event, the execution input, the HTTP request (method, headers, body). */
  readonly request: Record<string, unknown>;
}
const functionArnOf = (f: SagaFunction) => FUNCTION_ARN(SAGA_FUNCTIONS[f].functionDir);

export interface BusEvent {
  readonly bus: 'services' | 'legacy';
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

/** What the carrier does once a shipment is booked. */
export type CarrierBehaviour = 'confirm' | 'silent';

export interface WorldOptions {
  readonly db: Dynalite;
  readonly spec?: Spec;
  readonly owners?: Partial<Record<SagaStep, StepOwner>>;
  readonly faults?: FaultPlan;
  readonly rules?: ReferenceRules;
  readonly carrier?: CarrierBehaviour;
  /** How long a token task waits before States.Timeout in this process. @default 3000 */
  readonly tokenTimeoutMs?: number;
  readonly reservationTtlSeconds?: number;
  readonly now?: () => Date;
  /**
   * User implementations by action id. The world plays the user's function, state machine or provider API:
   * each answers with the reference service's behaviour (rules and faults included) through its own kind's
   * protocol (a thrown error's name; a child's `{ error }` output; an HTTP status), and records the call.
   * @default - every action by its reference service
   */
  readonly implementations?: Readonly<Record<string, ActionImplementation>>;
  /**
   * The decision task of routed steps (functions/saga-route's handler over a test store, or a fake).
   * @default - none: a definition with a routed step cannot run
   */
  readonly sagaRoute?: (event: unknown) => Promise<unknown>;
}

export interface TaskCall {
  readonly state: string;
  readonly input: unknown;
}

export interface SagaRunResult {
  readonly orderId: string;
  /** completed | compensated from the output; compensation-failed / failed from the error. */
  readonly outcome: 'completed' | 'compensated' | 'compensation-failed' | 'failed';
  readonly output?: Record<string, unknown>;
  readonly error?: { name: string; cause: string };
  /** Task states in the order they ran (a retry appears twice). */
  readonly tasks: readonly TaskCall[];
  /** Interpreter events (StateEntered, StateRetried, StateCaught...). */
  readonly log: ReadonlyArray<Record<string, unknown>>;
  /** saga.* events of this order, in order. */
  readonly audit: ReadonlyArray<{ type: string; data: Record<string, unknown> }>;
}

class TokenBroker {
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  public heartbeats = 0;

  public expect(token: string, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        reject(named('States.Timeout', `no callback for ${token} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(token, { resolve, reject, timer });
    });
  }

  public settle(token: string, outcome: { output?: string; error?: string; cause?: string }): void {
    const w = this.waiting.get(token);
    if (!w) throw named('TaskTimedOut', `task ${token} is not waiting`);
    this.waiting.delete(token);
    clearTimeout(w.timer);
    if (outcome.error !== undefined) w.reject(named(outcome.error, outcome.cause ?? ''));
    else w.resolve(JSON.parse(outcome.output ?? '{}'));
  }

  public isWaiting(token: string): boolean {
    return this.waiting.has(token);
  }
}

// Validating a definition costs aws-local-stepfunctions about half a second: validate each distinct
// definition once (before substitution, which only changes names), then build runs without validation.
const validated = new Set<string>();
function machineFor(raw: AslDefinition, definition: AslDefinition): StateMachine {
  const key = JSON.stringify(raw);
  if (!validated.has(key)) {
    new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    validated.add(key);
  }
  return new StateMachine(definition as never, { validationOptions: { noValidate: true } });
}

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

export function referenceSpecWith(owners: Partial<Record<SagaStep, StepOwner>> = {}, spec: Spec = parseSpec(referenceSpec)): Spec {
  const copy = structuredClone(spec);
  for (const [step, owner] of Object.entries(owners)) copy.saga!.steps[step as SagaStep].owner = owner;
  return parseSpec(copy);
}

export class SagaWorld {
  public readonly spec: Spec;
  public readonly plan: SagaPlan;
  public readonly definition: AslDefinition;
  public readonly events: BusEvent[] = [];
  public tables!: Record<SagaTableName, string>;
  public inventory!: InventoryService;
  public payment!: PaymentService;
  public shipping!: ShippingService;
  public notification!: NotificationService;
  public registry!: CallbackRegistry;
  public readonly broker = new TokenBroker();
  public readonly faults: FaultInjector;
  /** Error names to raise from the state machine's service integrations (DynamoDB and EventBridge putEvents states), by state name. */
  public readonly integrationFaults = new Map<string, { error: string; times: number }>();
  /** Extra work to run before a task state's handler (for interleaving sagas in a test). */
  public readonly beforeTask = new Map<string, (input: unknown) => Promise<void>>();
  private readonly translator: Translator;
  private readonly functions = new Map<string, (event: unknown) => Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly quiet = new Logger('test', {});
  private carrier: CarrierBehaviour;
  private tokenSeq = 0;
  /** Calls to user implementations, in order. */
  public readonly userCalls: UserCall[] = [];

  private constructor(private readonly options: WorldOptions) {
    this.spec = options.spec ?? referenceSpecWith(options.owners ?? {});
    this.plan = buildSagaPlan(this.spec.saga!, { implementations: options.implementations });
    this.definition = buildSagaDefinition(this.plan);
    this.translator = new Translator(this.spec);
    this.faults = new FaultInjector(options.faults ?? {});
    this.carrier = options.carrier ?? 'confirm';
  }

  public static async create(options: WorldOptions): Promise<SagaWorld> {
    const world = new SagaWorld(options);
    await world.init();
    return world;
  }

  public setCarrier(carrier: CarrierBehaviour): void {
    this.carrier = carrier;
  }

  private get doc() {
    return this.options.db.doc;
  }

  private async init(): Promise<void> {
    this.tables = await createSagaTables(this.options.db);
    const now = this.options.now;
    const rules = this.options.rules ?? DEFAULT_REFERENCE_RULES;
    const events = { send: (cmd: unknown) => this.putEvents(cmd as PutEventsCommand, 'services') } as unknown as EventBridgeClient;
    const legacyEvents = { send: (cmd: unknown) => this.putEvents(cmd as PutEventsCommand, 'legacy') } as unknown as EventBridgeClient;
    const sfn = { send: (cmd: unknown) => this.sfnSend(cmd) } as unknown as SFNClient;
    const callbacks = new TaskCallbacks(sfn);
    this.registry = new CallbackRegistry({ ddb: this.doc, tableName: this.tables.callbacks, now });
    this.inventory = new InventoryService({
      ddb: this.doc,
      tableName: this.tables.inventory,
      reservationTtlSeconds: this.options.reservationTtlSeconds ?? this.plan.reservationTtlSeconds,
      now,
    });
    this.payment = new PaymentService({ ddb: this.doc, tableName: this.tables.payments, rules, now });
    this.shipping = new ShippingService({ ddb: this.doc, tableName: this.tables.shipments, rules, now });
    this.notification = new NotificationService({ ddb: this.doc, tableName: this.tables.notifications, now });
    const logger = this.quiet;
    // One handler per function the definition may invoke (a missing one fails to compile), under the ARN
    // substitutions() gives its placeholder.
    const invoked: Record<SagaFunction, (event: unknown) => Promise<unknown>> = {
      inventory: createInventoryHandler({ service: this.inventory, faults: this.faults, logger }),
      payment: createPaymentHandler({ service: this.payment, faults: this.faults, logger }),
      shipping: createShippingHandler({
        service: this.shipping,
        registry: this.registry,
        callbacks,
        timeoutSeconds: this.plan.shipping.timeoutSeconds,
        carrierRoutes: carrierRoutes(this.spec.saga!),
        faults: this.faults,
        logger,
      }),
      notification: createNotificationHandler({ service: this.notification, faults: this.faults, logger }),
      sagaCommands: createSagaCommandsHandler({
        spec: this.spec,
        busName: 'services',
        events,
        registry: this.registry,
        callbacks,
        now,
        faults: this.faults,
        logger,
      }),
    };
    for (const f of SAGA_FUNCTION_NAMES) this.functions.set(functionArnOf(f), invoked[f]);
    for (const action of this.userActions()) {
      const provider = invoked[functionOf({ kind: 'service', service: action.service })!];
      this.userProviders.set(action.id, { action, provider });
      if (action.implementation.kind === 'lambda') {
        this.functions.set(USER_IMPLEMENTATION.lambda(action.id), async (event) => {
          this.userCalls.push({ action: action.id, kind: 'lambda', request: event as Record<string, unknown> });
          return provider(event);
        });
      }
    }
    if (this.options.sagaRoute) this.functions.set(FUNCTION_ARN('saga-route'), this.options.sagaRoute);
    this.functions.set(
      FUNCTION_ARN('saga-callback'),
      createSagaCallbackHandler({ routes: replyRoutes(this.spec.saga!), registry: this.registry, callbacks, logger }),
    );
    this.functions.set(
      FUNCTION_ARN('reference-monolith'),
      createReferenceMonolithHandler({
        monolith: new ReferenceMonolith({ ddb: this.doc, tableName: this.tables.monolith, rules, now }),
        events: legacyEvents,
        busName: 'legacy',
        source: this.spec.bridge.legacySource,
        rules,
        logger,
      }),
    );
  }

  private readonly userProviders = new Map<
    string,
    { action: ForwardAction | CompensationAction; provider: (event: unknown) => Promise<unknown> }
  >();

  private userActions(): Array<ForwardAction | CompensationAction> {
    return [...this.plan.forward, ...this.plan.compensations].filter((a) => a.implementation.kind !== 'reference');
  }

  /** A user's state machine: runs the provider; a business error is answered as `{ error }`, anything else fails the child. */
  private async childExecution(input: { StateMachineArn: string; Input: Record<string, unknown> }): Promise<unknown> {
    const id = input.StateMachineArn.split(':user-')[1];
    const { action, provider } = this.userProviders.get(id) ?? {};
    if (!action || !provider) throw new Error(`no user state machine ${input.StateMachineArn}`);
    this.userCalls.push({ action: id, kind: 'stateMachine', request: input.Input });
    try {
      return { Status: 'SUCCEEDED', Output: await provider(input.Input) };
    } catch (err) {
      const name = (err as Error).name;
      if ('rejections' in action && action.rejections.includes(name))
        return { Status: 'SUCCEEDED', Output: { error: name, cause: (err as Error).message } };
      throw named('States.TaskFailed', JSON.stringify({ Status: 'FAILED', Error: name, Cause: (err as Error).message }));
    }
  }

  /** A provider's HTTP API: the provider's business errors as the status codes the implementation maps, 503 for a transient one, else 500. */
  private async httpCall(input: {
    ApiEndpoint: string;
    Method: string;
    Headers: unknown;
    RequestBody: Record<string, unknown>;
  }): Promise<unknown> {
    const id = input.ApiEndpoint.split('/').at(-1)!;
    const { action, provider } = this.userProviders.get(id) ?? {};
    if (!action || !provider || action.implementation.kind !== 'http') throw new Error(`no provider API at ${input.ApiEndpoint}`);
    this.userCalls.push({ action: id, kind: 'http', request: { method: input.Method, headers: input.Headers, body: input.RequestBody } });
    try {
      return { StatusCode: 200, StatusText: 'OK', Headers: {}, ResponseBody: await provider(input.RequestBody) };
    } catch (err) {
      const name = (err as Error).name;
      const mapped = Object.entries(action.implementation.rejections ?? {}).find(([, n]) => n === name)?.[0];
      const status = mapped ? Number(mapped) : name === 'TransientError' ? 503 : 500;
      throw named(httpStatusError(status), JSON.stringify({ status, error: name, message: (err as Error).message }));
    }
  }

  /** Seeds stock: `{ 'MUG-0001': 10 }`. */
  public async stock(levels: Record<string, number>): Promise<void> {
    for (const [sku, n] of Object.entries(levels)) await this.inventory.setStock(sku, n);
  }

  public substitutions(): Record<SubstitutionKey, string> {
    const values: Record<SubstitutionKey, string> = {
      OrdersTable: this.tables.orders,
      SagaStateTable: this.tables.sagaState,
      NeedsAttentionTable: this.tables.needsAttention,
      ServicesBusName: 'services',
      ...Object.fromEntries(SAGA_FUNCTION_NAMES.map((f) => [SAGA_FUNCTIONS[f].substitution, functionArnOf(f)])),
    } as Record<SubstitutionKey, string>;
    for (const k of SUBSTITUTION_KEYS) if (!values[k]) throw new Error(`no test value for ${k}`);
    if (usedSubstitutions(this.definition).includes(SAGA_ROUTE_SUBSTITUTION)) {
      if (!this.options.sagaRoute) throw new Error('the definition routes a step: give the world a sagaRoute function');
      values[SAGA_ROUTE_SUBSTITUTION] = FUNCTION_ARN('saga-route');
    }
    for (const a of this.userActions()) {
      const keys = implementationSubstitutions(a.id);
      if (a.implementation.kind === 'lambda') values[keys.target as SubstitutionKey] = USER_IMPLEMENTATION.lambda(a.id);
      if (a.implementation.kind === 'stateMachine') values[keys.target as SubstitutionKey] = USER_IMPLEMENTATION.stateMachine(a.id);
      if (a.implementation.kind === 'http') {
        values[keys.endpoint as SubstitutionKey] = USER_IMPLEMENTATION.endpoint(a.id);
        values[keys.connection as SubstitutionKey] = USER_IMPLEMENTATION.connection(a.id);
      }
    }
    return values;
  }

  /** Runs one saga to its end and waits for the buses to go quiet. */
  public async run(order: Record<string, unknown>): Promise<SagaRunResult> {
    const definition = substitute(this.definition, this.substitutions());
    const machine = machineFor(this.definition, definition);
    const tasks: TaskCall[] = [];
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const retryOverrides: Record<string, number> = {};
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Retry) retryOverrides[name] = 0;
      if (state.Type !== 'Task') continue;
      handlers[name] = async (input: unknown) => {
        tasks.push({ state: name, input });
        const before = this.beforeTask.get(name);
        if (before) await before(input);
        return this.task(name, String(state.Resource), input as Record<string, unknown>);
      };
    }
    const orderId = String(order.orderId);
    const execution = machine.run({ order } as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: retryOverrides,
        waitTimeOverrides: { 'Fraud Review Hold': 0 },
      },
      context: {
        Execution: { Name: orderId, Id: `arn:aws:states:us-east-1:000000000000:execution:shop-order-saga:${orderId}` },
        State: { EnteredTime: (this.options.now?.() ?? new Date()).toISOString() },
        Task: { Token: 'replaced-per-task' },
      } as never,
    });
    const log: Array<Record<string, unknown>> = [];
    const collecting = (async () => {
      for await (const ev of execution.eventLogs) log.push(ev as unknown as Record<string, unknown>);
    })();
    let result: SagaRunResult;
    try {
      const output = (await execution.result) as Record<string, unknown>;
      result = { orderId, outcome: output.outcome as 'completed' | 'compensated', output, tasks, log, audit: [] };
    } catch (err) {
      const cause = (err as { cause?: Error }).cause ?? (err as Error);
      result = {
        orderId,
        outcome: cause.name === 'Saga.CompensationFailed' ? 'compensation-failed' : 'failed',
        error: { name: cause.name, cause: cause.message },
        tasks,
        log,
        audit: [],
      };
    }
    await collecting.catch(() => undefined);
    await this.settle();
    return { ...result, audit: this.auditOf(orderId) };
  }

  /** Money taken from the customer for an order, in cents: by the payment service and by the monolith. */
  public async netChargedCents(orderId: string): Promise<number> {
    const p = await this.payment.get(orderId);
    const service = p ? p.capturedCents - p.refundedCents : 0;
    const m = await this.item('monolith', { pk: `PAY#${orderId}` });
    const monolith = m?.status === 'captured' ? Number(m.amountCents) : 0;
    return service + monolith;
  }

  /** available + held: stock the inventory still accounts for. */
  public async stockAccountedFor(sku: string): Promise<{ available: number; held: number; holders: string[] }> {
    const level = await this.inventory.stock(sku);
    const holds = level?.holds ?? {};
    return { available: level?.available ?? 0, held: Object.values(holds).reduce((a, b) => a + b, 0), holders: Object.keys(holds) };
  }

  public async item(table: SagaTableName, key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables[table], Key: key, ConsistentRead: true }));
    return out.Item;
  }

  /** saga.* events of one order, in the order they were put. */
  public auditOf(orderId: string): Array<{ type: string; data: Record<string, unknown> }> {
    return this.events
      .filter((e) => e.bus === 'services' && e.detailType.startsWith('saga.'))
      .map((e) => e.detail as unknown as ServiceEvent)
      .filter((d) => d.metadata.entity.key === orderId)
      .map((d) => ({ type: d.metadata.eventType, data: d.data }));
  }

  /** Waits until no bus delivery is in flight. */
  public async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Puts a service event on the services bus, as another service (or a carrier) would. */
  public emitServiceEvent(detailType: string, data: Record<string, unknown>, origin: 'service' | 'legacy' = 'service'): void {
    const orderId = String(data.orderId);
    const detail: ServiceEvent = {
      metadata: {
        eventId: `evt-${detailType}-${orderId}-${++this.tokenSeq}`,
        eventType: detailType,
        version: 1,
        correlationId: `order-${orderId}`,
        origin,
        producer: 'test',
        occurredAt: new Date().toISOString(),
        entity: { type: 'order', key: orderId },
      },
      data,
    };
    this.put({ bus: 'services', source: 'test.carrier', detailType, detail: detail as unknown as Record<string, unknown> });
  }

  private async task(state: string, resource: string, input: Record<string, unknown>): Promise<unknown> {
    const integration = resource.startsWith('arn:aws:states:::dynamodb:') || resource === 'arn:aws:states:::events:putEvents';
    const fault = integration ? this.integrationFaults.get(state) : undefined;
    if (fault && fault.times > 0) {
      fault.times--;
      throw named(fault.error, `injected ${fault.error} in ${state}`);
    }
    if (resource.startsWith('arn:aws:states:::dynamodb:')) {
      const op = resource.slice('arn:aws:states:::dynamodb:'.length);
      if (state !== 'CreateOrder' && state !== 'CancelOrder') return this.dynamodb(op, input);
      // The saga's own order writes take injected faults too, named as the DynamoDB integration names them.
      const key = (input.Item ?? input.Key) as { orderId: { S: string } };
      return this.faults
        .around(state, key.orderId.S, () => this.dynamodb(op, input))
        .catch((err: Error) => {
          if (err.name === 'TransientError') throw named('DynamoDB.ProvisionedThroughputExceededException', err.message);
          throw err;
        });
    }
    if (resource === 'arn:aws:states:::events:putEvents') {
      await this.putEvents(new PutEventsCommand(input as never), 'services');
      return { FailedEntryCount: 0 };
    }
    if (resource === 'arn:aws:states:::states:startExecution.sync:2') return this.childExecution(input as never);
    if (resource === 'arn:aws:states:::http:invoke') return this.httpCall(input as never);
    if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      const fn = this.fn(String(input.FunctionName));
      const payload = input.Payload as Record<string, unknown>;
      const token = `tok-${String(payload.orderId)}-${state}-${++this.tokenSeq}`;
      const waiting = this.broker.expect(token, this.options.tokenTimeoutMs ?? 3000);
      waiting.catch(() => undefined);
      const out = (await fn({ ...payload, taskToken: token })) as { status?: string; shipmentId?: string } | undefined;
      if (state === 'ScheduleShipping' && out?.status === 'awaiting-carrier' && this.carrier === 'confirm') {
        this.emitServiceEvent('shipment.dispatched', {
          orderId: payload.orderId,
          shipmentId: out.shipmentId,
          carrier: 'dpd',
          trackingNumber: `TRK${String(payload.orderId)}`,
          parcels: 1,
          dispatchedAt: '2026-11-22T09:15:00Z',
        });
      }
      return waiting;
    }
    return this.fn(resource)(input);
  }

  private fn(arn: string): (event: unknown) => Promise<unknown> {
    const fn = this.functions.get(arn);
    if (!fn) throw new Error(`no in-process function for ${arn}`);
    return fn;
  }

  /** The state machine's optimized DynamoDB integration, against dynalite, with its error names. */
  private async dynamodb(op: string, params: Record<string, unknown>): Promise<unknown> {
    const client: DynamoDBClient = this.options.db.client;
    try {
      if (op === 'putItem') return await client.send(new PutItemCommand(params as never));
      if (op === 'updateItem') return await client.send(new UpdateItemCommand(params as never));
    } catch (err) {
      throw named(`DynamoDB.${(err as Error).name}`, (err as Error).message);
    }
    throw new Error(`dynamodb:${op} is not emulated here`);
  }

  private async putEvents(cmd: PutEventsCommand, defaultBus: 'services' | 'legacy'): Promise<unknown> {
    for (const entry of cmd.input.Entries ?? []) {
      const bus = entry.EventBusName === 'legacy' ? 'legacy' : entry.EventBusName === 'services' ? 'services' : defaultBus;
      const detail = typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : (entry.Detail as unknown as Record<string, unknown>);
      this.put({ bus, source: entry.Source ?? '', detailType: entry.DetailType ?? '', detail: structuredClone(detail) });
    }
    return { FailedEntryCount: 0, Entries: (cmd.input.Entries ?? []).map((_, i) => ({ EventId: `e-${this.events.length}-${i}` })) };
  }

  private async sfnSend(cmd: unknown): Promise<unknown> {
    if (cmd instanceof SendTaskSuccessCommand) this.broker.settle(cmd.input.taskToken!, { output: cmd.input.output });
    else if (cmd instanceof SendTaskFailureCommand)
      this.broker.settle(cmd.input.taskToken!, { error: cmd.input.error ?? 'TaskFailed', cause: cmd.input.cause });
    else if (cmd instanceof SendTaskHeartbeatCommand) {
      if (!this.broker.isWaiting(cmd.input.taskToken!)) throw named('TaskTimedOut', 'not waiting');
      this.broker.heartbeats++;
    } else throw new Error(`fake SFN: ${(cmd as object).constructor.name} not supported`);
    return {};
  }

  /** Records an event and delivers it asynchronously to the rules that match, as EventBridge would. */
  private put(event: BusEvent): void {
    this.events.push(event);
    const delivery = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.route(event));
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  private async route(event: BusEvent): Promise<void> {
    const awsLike = {
      id: `bus-${this.events.indexOf(event)}`,
      source: event.source,
      'detail-type': event.detailType,
      detail: event.detail,
    };
    if (event.bus === 'legacy') {
      if (event.source !== BRIDGE_SOURCE) {
        const out = this.translator.toService(event.detailType, event.detail, { now: new Date() });
        if (out.status === 'translated')
          this.put({
            bus: 'services',
            source: BRIDGE_SOURCE,
            detailType: out.detailType,
            detail: out.detail as unknown as Record<string, unknown>,
          });
        else if (out.status === 'quarantine') throw new Error(`legacy ${event.detailType} quarantined: ${out.problems.join('; ')}`);
      } else if ((HANDLED_COMMANDS as readonly string[]).includes(event.detailType)) {
        await this.fn(FUNCTION_ARN('reference-monolith'))(awsLike);
      }
      return;
    }
    if (event.detailType.startsWith('saga.')) return;
    const detail = event.detail as unknown as ServiceEvent;
    if (detail.metadata.origin !== 'legacy') {
      const out = this.translator.toLegacy(detail, { now: new Date() });
      if (out.status === 'translated') this.put({ bus: 'legacy', source: BRIDGE_SOURCE, detailType: out.detailType, detail: out.detail });
    }
    // One rule per consumer, as deployed; EventBridge gives no order between them.
    if (carrierRoutes(this.spec.saga!).has(event.detailType)) await this.fn(FUNCTION_ARN('shipping'))(awsLike);
    if (event.detailType === 'shipment.dispatched') await this.fn(FUNCTION_ARN('inventory'))(awsLike);
    if (replyRoutes(this.spec.saga!).has(event.detailType)) await this.fn(FUNCTION_ARN('saga-callback'))(awsLike);
  }
}

/** The saga's step owners in a compact form for test names: "CreateOrder:service ReserveInventory:monolith ...". */
export function describeOwners(plan: SagaPlan): string {
  return SAGA_STEPS.map((s) => `${s}:${plan.owners[s]}`).join(' ');
}

let orderSeq = 0;
/** A valid order (order.created v2 data) with a fresh id. */
export function makeOrder(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const orderId = String(2_000_000 + ++orderSeq * 7 + Math.floor(Math.random() * 5));
  return {
    orderId,
    customerId: 'C00042',
    placedAt: '2026-11-21T14:30:00Z',
    amount: { total: '54.97', currency: 'EUR' },
    channel: 'web',
    lines: [
      { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
      { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
    ],
    shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
    ...overrides,
  };
}
