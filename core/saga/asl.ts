import { PERMANENT_COMPENSATION_ERRORS, TRANSIENT_ERRORS } from './errors';
import { functionOf, SAGA_FUNCTION_NAMES, SAGA_FUNCTIONS } from './functions';
import { HTTP_TRANSIENT_STATUS, httpStatusError, implementationSubstitutions, REFERENCE_IMPLEMENTATION } from './implementations';
import { routePath, type CompensationAction, type ForwardAction, type SagaPlan } from './plan';

/*
 * The order saga as Amazon States Language, built from the plan. Pure data: lib/ hands it to CloudFormation
 * with definition substitutions for the ARNs and names (`${InventoryFunctionArn}`...), the statemachine
 * tests and the in-process benchmark run it with aws-local-stepfunctions after `substitute()`.
 *
 * Shape (JSONPath):
 *   Prepare -> Record Saga Started -> Audit Saga Started -> <forward actions, each followed by an audit
 *   event> -> Record Completed -> Audit Saga Completed -> Completed
 *   A rejected action (business error) -> compensation from the previous action's; any other error -> from
 *   its own (the effect may have landed). Compensations run in reverse order, each audited; one that still
 *   fails after its retries -> Record Needs Attention -> ... -> CompensationFailed (Fail).
 * Audit events (saga.*) go straight to the services bus through the putEvents integration, and the saga's
 * own bookkeeping straight to DynamoDB: no Lambda where one would add nothing but a cold start.
 */

export const SAGA_EVENT_SOURCE = 'cutover.saga';
export const SAGA_EVENT_TYPES = {
  started: 'saga.started',
  stepStarted: 'saga.step-started',
  /** A routed step's decision (which side serves this order), as stamped at `$.routes.<step>`. */
  stepRouted: 'saga.step-routed',
  stepSucceeded: 'saga.step-succeeded',
  stepFailed: 'saga.step-failed',
  compensationSucceeded: 'saga.compensation-succeeded',
  completed: 'saga.completed',
  compensated: 'saga.compensated',
  compensationFailed: 'saga.compensation-failed',
} as const;

/** Error of the execution when a compensation failed for good. */
export const COMPENSATION_FAILED_ERROR = 'Saga.CompensationFailed';

/** The placeholders the definition may use; lib/ maps each to a resource (the functions' from SAGA_FUNCTIONS). */
export const SUBSTITUTION_KEYS = [
  'OrdersTable',
  'SagaStateTable',
  'NeedsAttentionTable',
  'ServicesBusName',
  ...SAGA_FUNCTION_NAMES.map((f) => SAGA_FUNCTIONS[f].substitution),
] as const;

/** The decision Lambda of routed steps (functions/saga-route): used, and so required, only when a step is routed. */
export const SAGA_ROUTE_SUBSTITUTION = 'SagaRouteFunctionArn';
/**
 * The fixed placeholders, and those of user implementations (`<Action>Implementation`, `<Action>Endpoint`,
 * `<Action>Connection`, see implementations.ts), which exist only when the plan names one.
 */
export type SubstitutionKey =
  | (typeof SUBSTITUTION_KEYS)[number]
  | typeof SAGA_ROUTE_SUBSTITUTION
  | `${string}Implementation`
  | `${string}Endpoint`
  | `${string}Connection`;

/** The placeholder of the Lambda that performs an action: the user's, or the reference service's (see functions.ts). */
function functionArnOf(action: ForwardAction | CompensationAction): string {
  if (action.implementation.kind === 'lambda') return sub(implementationSubstitutions(action.id).target as SubstitutionKey);
  const f = functionOf(action);
  if (!f) throw new Error(`saga action ${action.id} (${action.kind}) is not performed by a Lambda`);
  return sub(SAGA_FUNCTIONS[f].substitution);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };
export interface AslDefinition {
  readonly Comment: string;
  readonly StartAt: string;
  readonly States: Record<string, JsonObject>;
}

/** Names of the states the tests and tools refer to. */
export const STATE = {
  prepare: 'Prepare',
  recordStarted: 'Record Saga Started',
  auditStarted: 'Audit Saga Started',
  confirmOrder: 'Confirm Order',
  recordCompleted: 'Record Completed',
  auditCompleted: 'Audit Saga Completed',
  completed: 'Completed',
  auditStepFailed: 'Audit Step Failed',
  routeCompensation: 'Route Compensation',
  recordCompensated: 'Record Compensated',
  auditCompensated: 'Audit Saga Compensated',
  compensated: 'Compensated',
  recordNeedsAttention: 'Record Needs Attention',
  recordCompensationFailed: 'Record Compensation Failed',
  auditCompensationFailed: 'Audit Compensation Failed',
  compensationFailed: 'CompensationFailed',
  fraudHeld: 'Payment Held For Review?',
  fraudWait: 'Fraud Review Hold',
  fraudCheck: 'Check Fraud Review',
  fraudDecided: 'Fraud Review Decided?',
  fraudExpired: 'Fraud Review Expired',
  /** After a state machine or HTTP implementation: its answer (the execution's output, the response body) becomes the result. */
  readResult: (id: string) => `Read ${id} Result`,
  /** A state machine implementation answered `{ error }`: a business failure or an ambiguous one. */
  reportedError: (id: string) => `${id} Reported An Error?`,
  reportedFailure: (id: string) => `${id} Reported Failure`,
  reportedKind: (id: string) => `${id} Failure Kind?`,
  /** An HTTP implementation answered a status its rejections map to a business error. */
  answered: (id: string, status: number | string) => `${id} Answered ${status}`,
  auditSucceeded: (id: string) => `Audit ${id} Succeeded`,
  rejected: (id: string) => `${id} Rejected`,
  failed: (id: string) => `${id} Failed`,
  createOrderExists: 'CreateOrder Already Done',
  auditCompensation: (id: string) => `Audit ${id}`,
  compensationFailedFor: (id: string) => `${id} Failed`,
  /** Routed steps: the decision task, its fallback, its audit event, and the Choice between the sides. */
  routeDecision: (step: string) => `Route ${step}`,
  routeFallback: (step: string) => `Route ${step} Failed`,
  auditRouted: (step: string) => `Audit ${step} Routed`,
  routedTo: (id: string) => `${id} Routed To?`,
  /** The monolith side of a routed action (the service side keeps the action's own name). */
  viaMonolith: (id: string) => `${id} Via Monolith`,
  /** The monolith side of a routed action the monolith has nothing to do for (ConfirmReservation): it passes. */
  skippedOnMonolith: (id: string) => `${id} Not Needed On Monolith`,
} as const;

/** The state a forward action or a compensation starts at: the decision (or the Choice) for a routed one. */
function entryOf(action: ForwardAction | CompensationAction, direction: 'forward' | 'compensation'): string {
  if (!action.route) return action.id;
  // Only the step's own forward action asks; the step's other actions and its compensation read the stamp.
  return direction === 'forward' && action.route.decidedBy === action.id ? STATE.routeDecision(action.id) : STATE.routedTo(action.id);
}

const sub = (key: SubstitutionKey): string => '${' + key + '}';

function retrier(
  errors: readonly string[],
  r: { maxAttempts: number; intervalSeconds: number; backoffRate: number; maxDelaySeconds: number },
): JsonObject {
  return {
    ErrorEquals: [...errors],
    IntervalSeconds: r.intervalSeconds,
    MaxAttempts: r.maxAttempts,
    BackoffRate: r.backoffRate,
    MaxDelaySeconds: r.maxDelaySeconds,
    JitterStrategy: 'FULL',
  };
}

/** Bookkeeping (audit events, the saga's own tables) retries anything a few times and never stops the saga. */
const INFRA_RETRY: JsonObject = {
  ErrorEquals: ['States.ALL'],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  MaxDelaySeconds: 10,
  JitterStrategy: 'FULL',
};
function infraCatch(next: string): Json[] {
  return [{ ErrorEquals: ['States.ALL'], ResultPath: '$.bookkeepingError', Next: next }];
}

/** The payload every step Lambda receives (the audit's "input" of the step omits the task token). */
function stepPayload(action: { id: string; step: string; operation: string; kind: string }, compensation: boolean): JsonObject {
  const payload: JsonObject = {
    action: action.operation,
    step: action.id,
    'orderId.$': '$.order.orderId',
    'correlationId.$': '$.correlationId',
    'sagaId.$': '$.sagaId',
    'order.$': '$.order',
  };
  if (compensation) {
    payload['failure.$'] = '$.failure';
    payload['failedStep.$'] = '$.failureInfo.step';
  }
  return payload;
}

function metadata(eventType: string, eventKey: string): JsonObject {
  return {
    'eventId.$': `States.Format('saga-{}-${eventKey}', $.sagaId)`,
    eventType,
    version: 1,
    'correlationId.$': '$.correlationId',
    'causationId.$': '$$.Execution.Id',
    origin: 'service',
    producer: SAGA_EVENT_SOURCE,
    'occurredAt.$': '$$.State.EnteredTime',
    entity: { type: 'order', 'key.$': '$.order.orderId' },
  };
}

function entry(eventType: string, eventKey: string, data: JsonObject): JsonObject {
  return {
    EventBusName: sub('ServicesBusName'),
    Source: SAGA_EVENT_SOURCE,
    DetailType: eventType,
    Detail: { metadata: metadata(eventType, eventKey), data },
  };
}

function putEvents(entries: JsonObject[], next: string, comment: string): JsonObject {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: 'arn:aws:states:::events:putEvents',
    Parameters: { Entries: entries },
    ResultPath: null,
    Retry: [INFRA_RETRY],
    Catch: infraCatch(next),
    Next: next,
  };
}

const s = (value: string): JsonObject => ({ S: value });
const sPath = (path: string): JsonObject => ({ 'S.$': path });

export interface BuildOptions {
  /** Included in the definition's Comment (e.g. the spec hash), so a deploy shows what changed. */
  readonly version?: string;
}

/** Builds the ASL definition for a plan. */
export function buildSagaDefinition(plan: SagaPlan, options: BuildOptions = {}): AslDefinition {
  const states: Record<string, JsonObject> = {};
  const forward = plan.forward;
  const first = forward[0];

  const startedEntry = (a: ForwardAction): JsonObject =>
    entry('saga.step-started', `${a.id}-started`, { step: a.id, owner: a.owner, kind: a.kind, input: stepPayload(a, false) });
  const succeededEntry = (a: ForwardAction): JsonObject =>
    entry('saga.step-succeeded', `${a.id}-succeeded`, {
      step: a.id,
      owner: a.owner,
      'result.$': `$.results.${a.id}`,
      ...(a.route ? { 'route.$': routePath(a.route.decidedBy) } : {}),
    });

  states[STATE.prepare] = {
    Type: 'Pass',
    Comment: 'Keep the order, derive the correlation id (order-<orderId>) and an id for this run of the saga.',
    Parameters: {
      'order.$': '$.order',
      'correlationId.$': "States.Format('order-{}', $.order.orderId)",
      'sagaId.$': "States.Format('{}-{}', $.order.orderId, $$.Execution.StartTime)",
      results: {},
      compensations: {},
      // Routed steps stamp their decision here; a compensation reads it and never asks again.
      routes: {},
    },
    Next: STATE.recordStarted,
  };
  states[STATE.recordStarted] = {
    Type: 'Task',
    Comment: 'The saga state table answers `cutover saga list` without reading every execution.',
    Resource: 'arn:aws:states:::dynamodb:putItem',
    Parameters: {
      TableName: sub('SagaStateTable'),
      Item: {
        orderId: sPath('$.order.orderId'),
        sagaState: s('running'),
        startedAt: sPath('$$.Execution.StartTime'),
        updatedAt: sPath('$$.State.EnteredTime'),
        executionArn: sPath('$$.Execution.Id'),
        customerId: sPath('$.order.customerId'),
        owners: s(JSON.stringify(plan.owners)),
      },
    },
    ResultPath: null,
    Retry: [INFRA_RETRY],
    Catch: infraCatch(STATE.auditStarted),
    Next: STATE.auditStarted,
  };
  states[STATE.auditStarted] = putEvents(
    [
      entry(SAGA_EVENT_TYPES.started, 'started', { 'order.$': '$.order', owners: plan.owners as unknown as JsonObject }),
      startedEntry(first),
    ],
    entryOf(first, 'forward'),
    'saga.started and the first step-started event, straight to the services bus.',
  );

  forward.forEach((action, i) => {
    const next = forward[i + 1];
    const afterSuccess = STATE.auditSucceeded(action.id);
    Object.assign(states, forwardStates(plan, action, afterSuccess));
    const ordersOwned = forward[0].kind === 'orders-table';
    const nextTarget = next ? entryOf(next, 'forward') : ordersOwned ? STATE.confirmOrder : STATE.recordCompleted;
    states[afterSuccess] = putEvents(
      next ? [succeededEntry(action), startedEntry(next)] : [succeededEntry(action)],
      nextTarget,
      next ? `${action.id} succeeded; ${next.id} starts.` : `${action.id} succeeded; the saga is complete.`,
    );
    if (action.rejections.length > 0) states[STATE.rejected(action.id)] = failurePass(action, 'rejected', action.compensateFromOnRejection);
    states[STATE.failed(action.id)] = failurePass(action, 'error', action.compensateFromOnError);
  });

  if (first.kind === 'orders-table') {
    states[STATE.confirmOrder] = {
      Type: 'Task',
      Comment: 'Every step is done: the order is confirmed in the orders table.',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        TableName: sub('OrdersTable'),
        Key: { orderId: sPath('$.order.orderId') },
        UpdateExpression: 'SET #status = :confirmed, confirmedAt = if_not_exists(confirmedAt, :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':confirmed': s('confirmed'), ':now': sPath('$$.State.EnteredTime') },
      },
      ResultPath: null,
      Retry: [INFRA_RETRY],
      Catch: infraCatch(STATE.recordCompleted),
      Next: STATE.recordCompleted,
    };
  }
  states[STATE.recordCompleted] = recordOutcome('completed', STATE.auditCompleted, {});
  states[STATE.auditCompleted] = putEvents(
    [entry(SAGA_EVENT_TYPES.completed, 'completed', { 'results.$': '$.results' })],
    STATE.completed,
    'saga.completed.',
  );
  states[STATE.completed] = {
    Type: 'Pass',
    Comment: 'The order went through every step.',
    Parameters: { 'orderId.$': '$.order.orderId', outcome: 'completed', 'results.$': '$.results' },
    End: true,
  };

  // Failure routing: one audit event, then a Choice on where compensation starts.
  states[STATE.auditStepFailed] = putEvents(
    [
      entry(SAGA_EVENT_TYPES.stepFailed, 'failed', {
        'step.$': '$.failureInfo.step',
        'kind.$': '$.failureInfo.kind',
        'compensateFrom.$': '$.failureInfo.compensateFrom',
        'error.$': '$.failure',
      }),
    ],
    STATE.routeCompensation,
    'saga.step-failed with the error and where compensation starts.',
  );
  states[STATE.routeCompensation] = {
    Type: 'Choice',
    Comment: 'Compensation starts at the latest compensation of the actions that may have had an effect.',
    Choices: plan.compensations.map((c) => ({
      Variable: '$.failureInfo.compensateFrom',
      StringEquals: c.id,
      Next: entryOf(c, 'compensation'),
    })),
    Default: STATE.recordCompensated,
  };

  for (const comp of plan.compensations) Object.assign(states, compensationStates(plan, comp));

  states[STATE.recordCompensated] = recordOutcome('compensated', STATE.auditCompensated, {
    failedStep: sPath('$.failureInfo.step'),
    failure: sPath('$.failure.Error'),
  });
  states[STATE.auditCompensated] = putEvents(
    [
      entry(SAGA_EVENT_TYPES.compensated, 'compensated', {
        'failure.$': '$.failure',
        'failedStep.$': '$.failureInfo.step',
        'compensations.$': '$.compensations',
      }),
    ],
    STATE.compensated,
    'saga.compensated: every effect was undone.',
  );
  states[STATE.compensated] = {
    Type: 'Pass',
    Comment: 'The order failed and every completed step was undone: a consistent end, not an execution failure.',
    Parameters: {
      'orderId.$': '$.order.orderId',
      outcome: 'compensated',
      'failure.$': '$.failure',
      'failedStep.$': '$.failureInfo.step',
      'results.$': '$.results',
      'compensations.$': '$.compensations',
    },
    End: true,
  };

  states[STATE.recordNeedsAttention] = {
    Type: 'Task',
    Comment: 'An operator must finish this order by hand: record it where `cutover saga list` and the alarm find it.',
    Resource: 'arn:aws:states:::dynamodb:putItem',
    Parameters: {
      TableName: sub('NeedsAttentionTable'),
      Item: {
        orderId: sPath('$.order.orderId'),
        failedCompensation: sPath('$.compensationFailure.compensation'),
        error: sPath('$.compensationFailure.Error'),
        detail: sPath('States.JsonToString($.compensationFailure)'),
        failedStep: sPath('$.failureInfo.step'),
        stepError: sPath('$.failure.Error'),
        compensationsDone: sPath('States.JsonToString($.compensations)'),
        executionArn: sPath('$$.Execution.Id'),
        recordedAt: sPath('$$.State.EnteredTime'),
      },
    },
    ResultPath: null,
    Retry: [INFRA_RETRY],
    Catch: infraCatch(STATE.recordCompensationFailed),
    Next: STATE.recordCompensationFailed,
  };
  states[STATE.recordCompensationFailed] = recordOutcome('compensation-failed', STATE.auditCompensationFailed, {
    failedStep: sPath('$.failureInfo.step'),
    failure: sPath('$.failure.Error'),
    failedCompensation: sPath('$.compensationFailure.compensation'),
  });
  states[STATE.auditCompensationFailed] = putEvents(
    [
      entry(SAGA_EVENT_TYPES.compensationFailed, 'compensation-failed', {
        'compensation.$': '$.compensationFailure.compensation',
        'error.$': '$.compensationFailure',
        'failure.$': '$.failure',
        'failedStep.$': '$.failureInfo.step',
        'compensations.$': '$.compensations',
      }),
    ],
    STATE.compensationFailed,
    'saga.compensation-failed on the services bus.',
  );
  states[STATE.compensationFailed] = {
    Type: 'Fail',
    Comment: 'A compensation failed after its retries: the execution fails, so the ExecutionsFailed alarm fires.',
    Error: COMPENSATION_FAILED_ERROR,
    Cause: 'a compensation failed after its retries; the order is in the needs-attention table',
  };

  return {
    Comment: `cutover order saga "${plan.name}": ${forward.map((a) => `${a.id}(${a.owner})`).join(' -> ')}${options.version ? ` [${options.version}]` : ''}`,
    StartAt: STATE.prepare,
    States: states,
  };
}

function recordOutcome(outcome: string, next: string, extra: JsonObject): JsonObject {
  const names: JsonObject = { '#st': 'sagaState' };
  const values: JsonObject = { ':st': s(outcome), ':t': sPath('$$.State.EnteredTime') };
  const sets = ['#st = :st', 'updatedAt = :t', 'endedAt = :t'];
  Object.entries(extra).forEach(([field, value], i) => {
    names[`#x${i}`] = field;
    values[`:x${i}`] = value;
    sets.push(`#x${i} = :x${i}`);
  });
  return {
    Type: 'Task',
    Comment: `The saga state table records the outcome: ${outcome}.`,
    Resource: 'arn:aws:states:::dynamodb:updateItem',
    Parameters: {
      TableName: sub('SagaStateTable'),
      Key: { orderId: sPath('$.order.orderId') },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
    ResultPath: null,
    Retry: [INFRA_RETRY],
    Catch: infraCatch(next),
    Next: next,
  };
}

function failurePass(action: ForwardAction, kind: 'rejected' | 'error', compensateFrom: string | null): JsonObject {
  // Only whole objects are copied from the error output: a missing field in a path would be a States.Runtime
  // error, which no Catch can handle.
  return {
    Type: 'Pass',
    Comment:
      kind === 'rejected'
        ? `${action.id} said no (a business error): it did nothing, so compensation starts before it.`
        : `${action.id} failed after its retries: its effect may have landed, so its own compensation runs too.`,
    Result: { step: action.id, kind, compensateFrom: compensateFrom ?? 'none' },
    ResultPath: '$.failureInfo',
    Next: STATE.auditStepFailed,
  };
}

/** The monolith side of a routed action: its replies' business errors are rejections, anything else ambiguous. */
function monolithCatches(action: ForwardAction): Json[] {
  const rejections = action.route?.monolithRejections ?? [];
  return [
    ...(rejections.length > 0 ? [{ ErrorEquals: [...rejections], ResultPath: '$.failure', Next: STATE.rejected(action.id) }] : []),
    { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: STATE.failed(action.id) },
  ];
}

function catches(action: ForwardAction): Json[] {
  const out: Json[] = [];
  // Only a Lambda reports a business error by its name; a state machine answers { error }, an API a status code.
  const byName = action.implementation.kind !== 'stateMachine' && action.implementation.kind !== 'http';
  if (byName && action.rejections.length > 0)
    out.push({ ErrorEquals: [...action.rejections], ResultPath: '$.failure', Next: STATE.rejected(action.id) });
  out.push({ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: STATE.failed(action.id) });
  return out;
}

/** How a service-owned action is invoked, by its implementation's kind (the answer may need reading first). */
interface Performed {
  /** The Task state without ResultPath, Retry, Catch and Next. */
  readonly task: JsonObject;
  /** Errors this kind of call may retry (a throttled Lambda, a provider's 429/5xx). */
  readonly transient: readonly string[];
  /** Where in the raw result the implementation's answer is: the child execution's output, the response body. */
  readonly answerIn?: 'Output' | 'ResponseBody';
}

function perform(
  action: ForwardAction | CompensationAction,
  payload: JsonObject,
  options: { readonly timeoutSeconds: number; readonly waitForToken?: boolean; readonly heartbeatSeconds?: number },
): Performed {
  const impl = action.implementation;
  const keys = implementationSubstitutions(action.id);
  const timeouts = { TimeoutSeconds: options.timeoutSeconds };
  switch (impl.kind) {
    case 'reference':
    case 'lambda': {
      const whose = impl.kind === 'lambda' ? 'Your function' : `${action.service} service`;
      if (options.waitForToken) {
        return {
          task: {
            Type: 'Task',
            Comment: `${whose} keeps the task token and completes it when the outside party answers (hours or days later). Waiting costs nothing.`,
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: functionArnOf(action), Payload: { ...payload, 'taskToken.$': '$$.Task.Token' } },
            ...timeouts,
            ...(options.heartbeatSeconds ? { HeartbeatSeconds: options.heartbeatSeconds } : {}),
          },
          transient: TRANSIENT_ERRORS,
        };
      }
      return {
        task: {
          Type: 'Task',
          Comment: `${whose}: ${action.operation}.`,
          Resource: functionArnOf(action),
          Parameters: payload,
          ...timeouts,
        },
        transient: TRANSIENT_ERRORS,
      };
    }
    case 'stateMachine':
      return {
        task: {
          Type: 'Task',
          Comment: `Your state machine runs ${action.id} (${action.operation}) to its end; its output is the answer.`,
          Resource: 'arn:aws:states:::states:startExecution.sync:2',
          Parameters: {
            StateMachineArn: sub(keys.target as SubstitutionKey),
            Input: { ...payload, 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
          },
          ...timeouts,
        },
        transient: [...TRANSIENT_ERRORS, 'StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException'],
        answerIn: 'Output',
      };
    case 'http':
      return {
        task: {
          Type: 'Task',
          Comment: `The provider's HTTP API performs ${action.id} (${action.operation}); the EventBridge connection signs the request.`,
          Resource: 'arn:aws:states:::http:invoke',
          Parameters: {
            ApiEndpoint: sub(keys.endpoint as SubstitutionKey),
            Method: impl.method ?? 'POST',
            Authentication: { ConnectionArn: sub(keys.connection as SubstitutionKey) },
            Headers: { 'Content-Type': 'application/json', ...(impl.headers ?? {}) },
            RequestBody: payload,
          },
          ...timeouts,
        },
        transient: ['States.Timeout', ...HTTP_TRANSIENT_STATUS.map(httpStatusError)],
        answerIn: 'ResponseBody',
      };
  }
}

/**
 * The Task for a performed action and, when its answer must be read out of the raw result, the states that
 * read it and route an answer carrying `error` (a state machine's way to report a failure, see
 * implementations.ts) to `onReportedError`.
 */
function answerStates(
  name: string,
  performed: Performed,
  o: {
    readonly comment?: string;
    readonly resultPath: string;
    readonly next: string;
    readonly retry: Json[];
    readonly catch: Json[];
    readonly onReportedError: { readonly failurePath: string; readonly next: string } | ReportedErrorRouting;
  },
): Record<string, JsonObject> {
  const task = {
    ...performed.task,
    ...(o.comment ? { Comment: o.comment } : {}),
    ResultPath: o.resultPath,
    Retry: o.retry,
    Catch: o.catch,
  };
  if (!performed.answerIn) return { [name]: { ...task, Next: o.next } };
  const states: Record<string, JsonObject> = {
    [name]: { ...task, Next: STATE.readResult(name) },
    // A Pass without Parameters outputs its (filtered) input: the answer replaces the raw result.
    [STATE.readResult(name)]: {
      Type: 'Pass',
      Comment: `The answer is the ${performed.answerIn === 'Output' ? "child execution's output" : 'response body'}.`,
      InputPath: `${o.resultPath}.${performed.answerIn}`,
      ResultPath: o.resultPath,
      Next: performed.answerIn === 'Output' ? STATE.reportedError(name) : o.next,
    },
  };
  if (performed.answerIn === 'Output') {
    const routing =
      'rejected' in o.onReportedError ? o.onReportedError : { ...o.onReportedError, rejected: [], rejectedNext: o.onReportedError.next };
    states[STATE.reportedError(name)] = {
      Type: 'Choice',
      Comment: 'A state machine reports a failure by answering { error, cause }.',
      Choices: [{ Variable: `${o.resultPath}.error`, IsPresent: true, Next: STATE.reportedFailure(name) }],
      Default: o.next,
    };
    states[STATE.reportedFailure(name)] = {
      Type: 'Pass',
      Comment: 'The reported error becomes the failure, as a thrown one would.',
      Parameters: { 'Error.$': `${o.resultPath}.error`, 'Cause.$': `States.JsonToString(${o.resultPath})` },
      ResultPath: routing.failurePath,
      Next: routing.rejected.length > 0 ? STATE.reportedKind(name) : routing.next,
    };
    if (routing.rejected.length > 0) {
      states[STATE.reportedKind(name)] = {
        Type: 'Choice',
        Comment: 'A business error means the action did nothing; any other is ambiguous.',
        Choices: routing.rejected.map((r) => ({ Variable: `${routing.failurePath}.Error`, StringEquals: r, Next: routing.rejectedNext })),
        Default: routing.next,
      };
    }
  }
  return states;
}

interface ReportedErrorRouting {
  readonly failurePath: string;
  /** Ambiguous errors. */
  readonly next: string;
  readonly rejected: readonly string[];
  readonly rejectedNext: string;
}

function reportedErrorRouting(action: ForwardAction): ReportedErrorRouting {
  return { failurePath: '$.failure', next: STATE.failed(action.id), rejected: action.rejections, rejectedNext: STATE.rejected(action.id) };
}

/** An HTTP implementation's status codes that mean a business error: caught before anything else. */
function httpRejectionCatches(action: ForwardAction): Json[] {
  if (action.implementation.kind !== 'http') return [];
  return Object.keys(action.implementation.rejections ?? {}).map((status) => ({
    ErrorEquals: [httpStatusError(Number(status))],
    ResultPath: '$.failure',
    Next: STATE.answered(action.id, status),
  }));
}

function httpRejectionStates(action: ForwardAction): Record<string, JsonObject> {
  if (action.implementation.kind !== 'http') return {};
  return Object.fromEntries(
    Object.entries(action.implementation.rejections ?? {}).map(([status, name]) => [
      STATE.answered(action.id, status),
      {
        Type: 'Pass',
        Comment: `The provider answered ${status}: ${name}, a business error (the action did nothing).`,
        Parameters: { Error: name, 'Cause.$': 'States.JsonToString($.failure)' },
        ResultPath: '$.failure',
        Next: STATE.rejected(action.id),
      },
    ]),
  );
}

function forwardStates(plan: SagaPlan, action: ForwardAction, afterSuccess: string): Record<string, JsonObject> {
  if (!action.route) return sideStates(plan, action, afterSuccess);
  const route = action.route;
  const path = routePath(route.decidedBy);
  const serviceSide = sideStates(plan, action, afterSuccess);
  // The monolith side is always a command through the bridge, whoever implements the service side, or
  // nothing at all when the monolith has nothing to do for the action.
  const monolithEntry = route.monolith ? STATE.viaMonolith(action.id) : STATE.skippedOnMonolith(action.id);
  const monolithSide: Record<string, JsonObject> = route.monolith
    ? sideStates(
        plan,
        { ...action, kind: 'monolith', exchange: route.monolith, operation: 'forward', implementation: REFERENCE_IMPLEMENTATION },
        afterSuccess,
        monolithEntry,
      )
    : {
        [monolithEntry]: {
          Type: 'Pass',
          Comment: `${route.decidedBy} went to the monolith for this order: the monolith has no ${action.id} to do (as when it owns ${route.decidedBy}), and the service never saw the order.`,
          Parameters: { skipped: true, side: 'monolith', 'route.$': path },
          ResultPath: `$.results.${action.id}`,
          Next: afterSuccess,
        },
      };
  const sides = {
    [STATE.routedTo(action.id)]: sideChoice(path, action.id, monolithEntry, `the decision ${route.decidedBy} stamped at ${path}`),
    ...serviceSide,
    ...monolithSide,
  };
  // An action of a step decided before (ConfirmReservation of ReserveInventory) reads the stamp: no new decision.
  if (route.decidedBy !== action.id) return sides;
  return {
    [STATE.routeDecision(action.id)]: {
      Type: 'Task',
      Comment: `Which side serves ${action.id} for this order: the ${route.capability} routing entry decides on the order's ${route.keyField} (sticky).`,
      Resource: sub(SAGA_ROUTE_SUBSTITUTION),
      Parameters: {
        step: action.id,
        capability: route.capability,
        keyField: route.keyField,
        'orderId.$': '$.order.orderId',
        'order.$': '$.order',
      },
      TimeoutSeconds: plan.stepTimeoutSeconds,
      ResultPath: path,
      Retry: [retrier(TRANSIENT_ERRORS, plan.retry.step)],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: path, Next: STATE.routeFallback(action.id) }],
      Next: STATE.auditRouted(action.id),
    },
    [STATE.routeFallback(action.id)]: {
      Type: 'Pass',
      Comment: 'No decision could be had: the monolith, which owned the step before cutover, is the safe side.',
      Parameters: {
        capability: route.capability,
        side: 'monolith',
        bucket: null,
        reason: 'decision-failed',
        version: null,
        revision: null,
        mode: 'none',
        'error.$': `${path}.Error`,
      },
      ResultPath: path,
      Next: STATE.auditRouted(action.id),
    },
    [STATE.auditRouted(action.id)]: putEvents(
      [entry(SAGA_EVENT_TYPES.stepRouted, `${action.id}-routed`, { step: action.id, 'route.$': path })],
      STATE.routedTo(action.id),
      `saga.step-routed: the side ${action.id} takes for this order, as stamped.`,
    ),
    ...sides,
  };
}

/** The Choice between the sides of a routed action: the service only when the stamp says so, else the monolith. */
function sideChoice(path: string, service: string, monolith: string, what: string): JsonObject {
  return {
    Type: 'Choice',
    Comment: `The service side only when ${what} says "service"; anything else (or nothing) is the monolith, the safe side.`,
    Choices: [
      {
        And: [
          { Variable: `${path}.side`, IsPresent: true },
          { Variable: `${path}.side`, StringEquals: 'service' },
        ],
        Next: service,
      },
    ],
    Default: monolith,
  };
}

/** The states performing one side of a forward action, the first named `name`. */
function sideStates(plan: SagaPlan, action: ForwardAction, afterSuccess: string, name: string = action.id): Record<string, JsonObject> {
  const states: Record<string, JsonObject> = {};
  const resultPath = `$.results.${action.id}`;
  const stepRetry = (errors: readonly string[]) => [retrier(errors, plan.retry.step)];
  switch (action.kind) {
    case 'orders-table': {
      states[action.id] = {
        Type: 'Task',
        Comment: "The orders table is the saga service's own: written directly, idempotent on orderId.",
        Resource: 'arn:aws:states:::dynamodb:putItem',
        Parameters: {
          TableName: sub('OrdersTable'),
          Item: {
            orderId: sPath('$.order.orderId'),
            customerId: sPath('$.order.customerId'),
            status: s('pending'),
            order: sPath('States.JsonToString($.order)'),
            createdAt: sPath('$$.State.EnteredTime'),
            executionArn: sPath('$$.Execution.Id'),
          },
          ConditionExpression: 'attribute_not_exists(orderId)',
        },
        ResultSelector: { status: 'pending' },
        ResultPath: resultPath,
        Retry: stepRetry([
          'DynamoDB.ProvisionedThroughputExceededException',
          'DynamoDB.ThrottlingException',
          'DynamoDB.InternalServerErrorException',
          'DynamoDB.RequestLimitExceeded',
          'States.Timeout',
        ]),
        Catch: [
          // A second delivery of the same step: the order is already there.
          { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: STATE.createOrderExists },
          ...catches(action),
        ],
        Next: afterSuccess,
      };
      states[STATE.createOrderExists] = {
        Type: 'Pass',
        Comment: 'The order record exists already (a redelivered step): nothing more to do.',
        Result: { status: 'pending', existing: true },
        ResultPath: resultPath,
        Next: afterSuccess,
      };
      break;
    }
    case 'service':
    case 'service-callback': {
      const callback = action.kind === 'service-callback';
      const afterAnswer = action.review ? STATE.fraudHeld : afterSuccess;
      const performed = perform(action, stepPayload(action, false), {
        timeoutSeconds: callback ? plan.shipping.timeoutSeconds : plan.stepTimeoutSeconds,
        ...(callback ? { waitForToken: true, heartbeatSeconds: plan.shipping.heartbeatSeconds } : {}),
      });
      // A timeout (or a missed heartbeat) of a callback is the carrier not answering: compensate rather than wait again.
      const transient = callback ? performed.transient.filter((e) => e !== 'States.Timeout') : performed.transient;
      Object.assign(
        states,
        answerStates(action.id, performed, {
          resultPath,
          next: afterAnswer,
          retry: stepRetry(transient),
          catch: [...httpRejectionCatches(action), ...catches(action)],
          onReportedError: reportedErrorRouting(action),
        }),
        httpRejectionStates(action),
      );
      if (action.review) Object.assign(states, fraudStates(plan, action, afterSuccess));
      break;
    }
    case 'monolith': {
      const ex = action.exchange!;
      states[name] = {
        Type: 'Task',
        Comment: `The monolith owns ${action.step}: the command ${ex.command} goes through the bridge; its reply (${ex.success.join(', ')}) completes the task token, which the saga keeps by (orderId, ${action.id}).`,
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: functionArnOf(action), Payload: { ...stepPayload(action, false), 'taskToken.$': '$$.Task.Token' } },
        TimeoutSeconds: ex.replyTimeoutSeconds,
        ResultPath: resultPath,
        // No reply in time: send the command again (it keeps its message id, so the monolith de-duplicates).
        Retry: [retrier(TRANSIENT_ERRORS, { ...plan.retry.step, maxAttempts: ex.maxAttempts - 1 })],
        Catch: action.route ? monolithCatches(action) : catches(action),
        Next: afterSuccess,
      };
      break;
    }
  }
  return states;
}

function fraudStates(plan: SagaPlan, action: ForwardAction, afterSuccess: string): Record<string, JsonObject> {
  const review = action.review!;
  const status = `$.results.${action.id}.status`;
  return {
    [STATE.fraudHeld]: {
      Type: 'Choice',
      Comment: 'The payment service may hold a payment for fraud review instead of capturing it.',
      Choices: [
        // An answer without a status is not a hold (and a Choice on a missing path would fail the execution).
        { Not: { Variable: status, IsPresent: true }, Next: afterSuccess },
        { Variable: status, StringEquals: 'review', Next: STATE.fraudWait },
      ],
      Default: afterSuccess,
    },
    [STATE.fraudWait]: {
      Type: 'Wait',
      Comment: 'A Standard workflow waiting in a Wait state costs nothing until it wakes.',
      Seconds: review.waitSeconds,
      Next: STATE.fraudCheck,
    },
    ...answerStates(
      STATE.fraudCheck,
      perform(action, { ...stepPayload(action, false), action: review.operation }, { timeoutSeconds: plan.stepTimeoutSeconds }),
      {
        comment: 'Has the review decided? Captured, still under review, or FraudRejected.',
        resultPath: `$.results.${action.id}`,
        next: STATE.fraudDecided,
        retry: [retrier(TRANSIENT_ERRORS, plan.retry.step)],
        // Held money must be released whatever the reason: every failure here compensates the payment too.
        catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: STATE.failed(action.id) }],
        onReportedError: { failurePath: '$.failure', next: STATE.failed(action.id) },
      },
    ),
    [STATE.fraudDecided]: {
      Type: 'Choice',
      Choices: [
        // A re-check must say `status` and, while under review, `reviewChecks` (the checks so far); one that does not ends the review.
        { Not: { Variable: status, IsPresent: true }, Next: STATE.fraudExpired },
        { Variable: status, StringEquals: 'captured', Next: afterSuccess },
        { Not: { Variable: `$.results.${action.id}.reviewChecks`, IsPresent: true }, Next: STATE.fraudExpired },
        {
          And: [
            { Variable: status, StringEquals: 'review' },
            { Variable: `$.results.${action.id}.reviewChecks`, NumericLessThan: review.maxChecks },
          ],
          Next: STATE.fraudWait,
        },
      ],
      Default: STATE.fraudExpired,
    },
    [STATE.fraudExpired]: {
      Type: 'Pass',
      Comment: `No decision after ${review.maxChecks} checks: release the held payment and everything before it.`,
      Result: { Error: 'FraudReviewTimeout', Cause: `fraud review undecided after ${review.maxChecks} checks` },
      ResultPath: '$.failure',
      Next: STATE.failed(action.id),
    },
  };
}

function compensationStates(plan: SagaPlan, comp: CompensationAction): Record<string, JsonObject> {
  const nextComp = comp.next ? plan.compensations.find((c) => c.id === comp.next) : undefined;
  const next = nextComp ? entryOf(nextComp, 'compensation') : STATE.recordCompensated;
  if (comp.route) {
    // The side that did the forward step undoes it: read from the stamp, never decided again.
    const path = routePath(comp.route.decidedBy);
    if (!comp.route.monolith) throw new Error(`compensation ${comp.id}: a routed compensation needs its monolith exchange`);
    const monolith: CompensationAction = {
      ...comp,
      kind: 'monolith',
      exchange: comp.route.monolith,
      operation: 'compensate',
      implementation: REFERENCE_IMPLEMENTATION,
    };
    const monolithSide = compensationSide(plan, monolith, next, STATE.viaMonolith(comp.id));
    return {
      [STATE.routedTo(comp.id)]: sideChoice(path, comp.id, STATE.viaMonolith(comp.id), `the decision ${comp.step} stamped at ${path}`),
      ...compensationSide(plan, comp, next),
      [STATE.viaMonolith(comp.id)]: monolithSide[STATE.viaMonolith(comp.id)],
    };
  }
  return compensationSide(plan, comp, next);
}

/** The states performing one side of a compensation (the task named `name`), its audit event and its failure. */
function compensationSide(plan: SagaPlan, comp: CompensationAction, next: string, name: string = comp.id): Record<string, JsonObject> {
  const audit = STATE.auditCompensation(comp.id);
  const failed = STATE.compensationFailedFor(comp.id);
  const resultPath = `$.compensations.${comp.id}`;
  const retry: Json[] = [
    { ErrorEquals: [...PERMANENT_COMPENSATION_ERRORS], MaxAttempts: 0 },
    retrier(['States.ALL'], plan.retry.compensation),
  ];
  const catchAll: Json[] = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.compensationFailure', Next: failed }];
  const tail: Record<string, JsonObject> = {
    [audit]: putEvents(
      [
        entry(SAGA_EVENT_TYPES.compensationSucceeded, `${comp.id}-compensated`, {
          compensation: comp.id,
          step: comp.step,
          owner: comp.owner,
          'result.$': resultPath,
          ...(comp.route ? { 'route.$': routePath(comp.route.decidedBy) } : {}),
        }),
      ],
      next,
      `${comp.id} done${comp.next ? `; ${comp.next} next` : '; every compensation ran'}.`,
    ),
    [failed]: {
      Type: 'Pass',
      Comment: `${comp.id} still failed after its retries.`,
      Result: comp.id,
      ResultPath: '$.compensationFailure.compensation',
      Next: STATE.recordNeedsAttention,
    },
  };
  let task: JsonObject;
  switch (comp.kind) {
    case 'orders-table':
      task = {
        Type: 'Task',
        Comment: 'Mark the order cancelled (idempotent: setting the same status twice changes nothing).',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: sub('OrdersTable'),
          Key: { orderId: sPath('$.order.orderId') },
          UpdateExpression:
            'SET #status = :cancelled, cancelledAt = if_not_exists(cancelledAt, :now), cancelReason = if_not_exists(cancelReason, :reason)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':cancelled': s('cancelled'),
            ':now': sPath('$$.State.EnteredTime'),
            ':reason': sPath('$.failure.Error'),
          },
        },
        ResultSelector: { status: 'cancelled' },
      };
      break;
    case 'service':
      return {
        ...answerStates(comp.id, perform(comp, stepPayload(comp, true), { timeoutSeconds: plan.stepTimeoutSeconds }), {
          comment: `${comp.service} service: ${comp.operation} (idempotent, a no-op when there is nothing to undo).`,
          resultPath,
          next: audit,
          retry,
          catch: catchAll,
          onReportedError: { failurePath: '$.compensationFailure', next: failed },
        }),
        ...tail,
      };
    case 'monolith': {
      const ex = comp.exchange!;
      task = {
        Type: 'Task',
        Comment: `The monolith undoes ${comp.step}: ${ex.command} through the bridge, completed by ${ex.success.join(', ')}.`,
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: functionArnOf(comp), Payload: { ...stepPayload(comp, true), 'taskToken.$': '$$.Task.Token' } },
        TimeoutSeconds: ex.replyTimeoutSeconds,
      };
      break;
    }
    default:
      throw new Error(`compensation ${comp.id}: unexpected kind ${comp.kind}`);
  }
  return { [name]: { ...task, ResultPath: resultPath, Retry: retry, Catch: catchAll, Next: audit }, ...tail };
}

/** The substitution keys a definition uses (the fixed ones and those of user implementations), each once. */
export function usedSubstitutions(definition: AslDefinition): SubstitutionKey[] {
  const text = JSON.stringify(definition);
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1] as SubstitutionKey))];
}

/** Replaces `${Key}` placeholders, as CloudFormation's DefinitionSubstitutions does. Throws on a missing value. */
export function substitute(definition: AslDefinition, values: Partial<Record<SubstitutionKey, string>>): AslDefinition {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, key: string) => {
    const v = values[key as SubstitutionKey];
    if (v === undefined) throw new Error(`no value for definition substitution \${${key}}`);
    return v.replace(/["\\]/g, (c) => `\\${c}`);
  });
  return JSON.parse(text) as AslDefinition;
}
