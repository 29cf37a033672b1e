import { ConfigurationError } from '../errors';

/*
 * Bring your own services: who performs a service-owned saga action when it is not the reference service.
 * Pure data. lib/ maps each kind to a resource (a function, a state machine, an EventBridge connection) and
 * fills the definition's placeholders with their ARNs; the ASL builder (asl.ts) writes the Task for each kind.
 *
 * The contract every implementation honours, whatever its kind:
 *
 * Request (the same JSON for every kind; a Lambda gets it as its event, a state machine as its execution
 * input, an HTTP API as the request body):
 *   { action, step, orderId, correlationId, sagaId, order }        forward actions
 *   + { failure: { Error, Cause }, failedStep }                     compensations (why the saga is undoing)
 *   + { taskToken }                                                 awaited actions on a Lambda (see below)
 * `action` is the operation (`charge`, `refund`, `reserve`...), `step` the saga action id (`ProcessPayment`),
 * `order` the order.created payload. Deliver it twice and it must do nothing twice: key the effect on
 * (orderId, step) — every retry sends the same request.
 *
 * Response: a JSON object, stored at `$.results.<action>` (forward) or `$.compensations.<action>` and put on
 * the saga.step-succeeded audit event. An action with a review loop (ProcessPayment's fraud review) may
 * answer `{ "status": "review" }`: it is then called again with `action: "review"` until it answers
 * `{ "status": "captured" }`, at most `fraudReview.maxChecks` times.
 *
 * Business failures ("did nothing": CardDeclined, OutOfStock, AddressRejected, ReservationExpired — the
 * action's `rejections` in the plan) are reported per kind:
 *   lambda        throw an error whose name is the business error (`error.name = 'CardDeclined'`): Lambda
 *                 reports it as the error type, which Step Functions catches by name.
 *   stateMachine  end the execution successfully with `{ "error": "CardDeclined", "cause": "..." }`. A failed
 *                 child surfaces in the parent as States.TaskFailed with the child's error inside a Cause
 *                 string, which the parent cannot read without an intrinsic that fails on a non-JSON Cause;
 *                 a successful answer is unambiguous. A failed child execution is an ambiguous error.
 *   http          answer with a status code the implementation maps to the business error
 *                 (`rejections: { 402: 'CardDeclined' }`, the shape of a payment provider's "card declined").
 * Any other failure (a timeout, a 5xx, a thrown error of another name, a failed child execution) is
 * ambiguous: the action's own compensation runs too, so compensations must do nothing when there is nothing
 * to undo. Compensations report failure by failing (a thrown error, a failed execution, a non-2xx status, or
 * for a state machine an `error` field): they are retried, then the order goes to the needs-attention table.
 */

/** The reference service's Lambda (or the saga's own orders table): the default. */
export interface ReferenceImplementation {
  readonly kind: 'reference';
}

/** A Lambda function of the user's, invoked with the request as its event. */
export interface LambdaImplementation {
  readonly kind: 'lambda';
}

/** A state machine of the user's, run to its end (`startExecution.sync:2`) with the request as its input. */
export interface StateMachineImplementation {
  readonly kind: 'stateMachine';
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A provider's HTTP API, called by the Step Functions HTTP Task with an EventBridge connection for auth. */
export interface HttpImplementation {
  readonly kind: 'http';
  /** @default 'POST' */
  readonly method?: HttpMethod;
  /** Status codes meaning a business failure, mapped to the error name: `{ 402: 'CardDeclined' }`. @default - none */
  readonly rejections?: Readonly<Record<number, string>>;
  /** Extra request headers (the connection adds the credentials). @default - none */
  readonly headers?: Readonly<Record<string, string>>;
}

export type ActionImplementation = ReferenceImplementation | LambdaImplementation | StateMachineImplementation | HttpImplementation;
export type ImplementationKind = ActionImplementation['kind'];

export const REFERENCE_IMPLEMENTATION: ReferenceImplementation = { kind: 'reference' };

/** Status codes the HTTP task retries (a provider's throttling and outages); any other non-2xx is final. */
export const HTTP_TRANSIENT_STATUS = [429, 500, 502, 503, 504] as const;

/** The Step Functions error of an HTTP task answered with `status`. */
export function httpStatusError(status: number): string {
  return `States.Http.StatusCode.${status}`;
}

/**
 * The definition placeholders of a user implementation (filled by lib/ with the resource's ARN). One per
 * action, so two actions may use two functions, or the same one.
 */
export function implementationSubstitutions(actionId: string): { target: string; endpoint: string; connection: string } {
  return { target: `${actionId}Implementation`, endpoint: `${actionId}Endpoint`, connection: `${actionId}Connection` };
}

/** What an action must be for a user implementation to replace it (from its plan entry). */
export interface ImplementableAction {
  readonly id: string;
  readonly owner: 'service' | 'monolith' | 'routed';
  readonly kind: string;
  /** Business errors of a forward action; none for a compensation. */
  readonly rejections?: readonly string[];
}

/**
 * Checks a user implementation against the action it replaces; throws a ConfigurationError naming the
 * setting `implementations.<action>` and what would make it valid.
 */
export function checkImplementation(action: ImplementableAction, impl: ActionImplementation): void {
  const setting = `implementations.${action.id}`;
  if (impl.kind === 'reference') return;
  if (action.owner === 'monolith')
    throw new ConfigurationError(
      `${setting}: ${action.id} is owned by the monolith (saga.steps owner "monolith"); set its owner to "service" to bring your own implementation`,
      { setting },
    );
  if (action.kind === 'orders-table')
    throw new ConfigurationError(`${setting}: ${action.id} writes the saga's own orders table directly; it takes no implementation`, {
      setting,
    });
  if (impl.kind === 'http') {
    if (action.kind === 'service-callback')
      throw new ConfigurationError(
        `${setting}: ${action.id} waits for a callback (task token), which an HTTP task cannot hand over; use a lambda or stateMachine implementation`,
        { setting },
      );
    if (impl.method !== undefined && !(HTTP_METHODS as readonly string[]).includes(impl.method))
      throw new ConfigurationError(`${setting}.method: expected one of ${HTTP_METHODS.join(', ')}, got ${JSON.stringify(impl.method)}`, {
        setting,
      });
    for (const [status, name] of Object.entries(impl.rejections ?? {})) {
      const code = Number(status);
      if (!Number.isInteger(code) || code < 300 || code > 599)
        throw new ConfigurationError(`${setting}.rejections: ${status} is not a non-2xx HTTP status code`, { setting });
      if (!(action.rejections ?? []).includes(name))
        throw new ConfigurationError(
          `${setting}.rejections[${status}]: ${JSON.stringify(name)} is not a business error of ${action.id}; known: ${(action.rejections ?? []).join(', ') || 'none'}`,
          { setting },
        );
    }
  }
}
