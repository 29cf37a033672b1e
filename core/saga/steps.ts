/*
 * The order saga's fixed shape: five forward steps in order, each with the compensation that undoes it.
 * Who performs a step (the monolith or the new service) comes from the spec; the shape does not.
 */

export const SAGA_STEPS = ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ScheduleShipping', 'NotifyCustomer'] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

export const COMPENSATION_OF = {
  CreateOrder: 'CancelOrder',
  ReserveInventory: 'ReleaseInventory',
  ProcessPayment: 'RefundPayment',
  ScheduleShipping: 'CancelShipment',
  NotifyCustomer: 'SendCancellationNotice',
} as const satisfies Record<SagaStep, string>;
export type SagaCompensation = (typeof COMPENSATION_OF)[SagaStep];
export const SAGA_COMPENSATIONS = SAGA_STEPS.map((s) => COMPENSATION_OF[s]);

/**
 * `routed`: the step asks the routing table, per order, which side performs it (see core/saga/routing.ts);
 * both the monolith's exchange and the service are declared.
 */
export const STEP_OWNERS = ['service', 'monolith', 'routed'] as const;
export type StepOwner = (typeof STEP_OWNERS)[number];

/**
 * Steps that may be routed per order. CreateOrder writes the saga's own orders table (nothing to route).
 * A routed ReserveInventory takes its ConfirmReservation (after payment) and ReleaseInventory with it: both
 * read the side ReserveInventory stamped (see plan.ts).
 */
export const ROUTABLE_STEPS = [
  'ReserveInventory',
  'ProcessPayment',
  'ScheduleShipping',
  'NotifyCustomer',
] as const satisfies readonly SagaStep[];

/** The reference service that performs a step when its owner is `service`. */
export const SERVICE_OF = {
  CreateOrder: 'orders',
  ReserveInventory: 'inventory',
  ProcessPayment: 'payment',
  ScheduleShipping: 'shipping',
  NotifyCustomer: 'notification',
} as const satisfies Record<SagaStep, string>;
export type ReferenceService = (typeof SERVICE_OF)[SagaStep];

/**
 * Business errors each service-owned step may throw. They mean "the step did nothing", so the saga
 * compensates only the steps before it. Any other error is ambiguous (the effect may have landed) and the
 * step's own compensation runs too; compensations are idempotent and do nothing when there is nothing to undo.
 */
export const SERVICE_REJECTIONS = {
  CreateOrder: [],
  ReserveInventory: ['OutOfStock'],
  ProcessPayment: ['CardDeclined'],
  ScheduleShipping: ['AddressRejected'],
  NotifyCustomer: [],
} as const satisfies Record<SagaStep, readonly string[]>;

/** The saga's own id for an awaited action (a step or a compensation), used as the callback registry's sort key. */
export type AwaitedAction = SagaStep | SagaCompensation;

export function isSagaStep(value: string): value is SagaStep {
  return (SAGA_STEPS as readonly string[]).includes(value);
}

export function isSagaCompensation(value: string): value is SagaCompensation {
  return (SAGA_COMPENSATIONS as readonly string[]).includes(value);
}

/** Why an order was cancelled, as the service events spell it, from the error that stopped the saga. */
export const CANCEL_REASONS = ['out-of-stock', 'payment-failed', 'shipping-failed', 'saga-failed'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export function cancelReasonFor(error: string | undefined, failedStep?: string): CancelReason {
  if (error === 'OutOfStock' || error === 'ReservationExpired') return 'out-of-stock';
  if (error === 'CardDeclined' || error === 'FraudRejected' || error === 'FraudReviewTimeout') return 'payment-failed';
  if (error === 'AddressRejected') return 'shipping-failed';
  if (failedStep === 'ReserveInventory' || failedStep === 'ConfirmReservation') return 'out-of-stock';
  if (failedStep === 'ProcessPayment') return 'payment-failed';
  if (failedStep === 'ScheduleShipping') return 'shipping-failed';
  return 'saga-failed';
}
