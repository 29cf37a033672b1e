import type { MonolithExchange, SagaSection } from '../spec/saga';
import { ConfigurationError, SpecError } from '../errors';
import { checkImplementation, REFERENCE_IMPLEMENTATION, type ActionImplementation } from './implementations';
import {
  COMPENSATION_OF,
  ROUTABLE_STEPS,
  SAGA_STEPS,
  SERVICE_OF,
  SERVICE_REJECTIONS,
  type ReferenceService,
  type SagaCompensation,
  type SagaStep,
  type StepOwner,
} from './steps';

/*
 * The saga plan: the spec's saga section turned into the ordered list of actions the state machine runs,
 * each with who performs it, how, which errors mean "did nothing", and where compensation starts when it
 * fails. The state machine definition (asl.ts), the simulation model (model.ts) and the CLI all read it,
 * so they cannot disagree about the order of steps or compensations.
 */

/** How an action is performed. */
export type ActionKind =
  /** A direct DynamoDB call from the state machine (the orders table belongs to the saga's own service). */
  | 'orders-table'
  /** A Lambda of a reference service, called and answered at once. */
  | 'service'
  /** A Lambda of a reference service that answers later through a task token (the carrier's confirmation). */
  | 'service-callback'
  /** A command to the monolith through the bridge; its translated reply completes the task token. */
  | 'monolith';

interface ActionBase {
  /** State name and the id the audit log, the callback registry and the CLI use. */
  readonly id: string;
  /** The saga step it belongs to (ConfirmReservation belongs to ReserveInventory). */
  readonly step: SagaStep;
  readonly owner: StepOwner;
  readonly kind: ActionKind;
  /** The reference service for `service` kinds; for `monolith`, the service the step will move to. */
  readonly service: ReferenceService;
  /** The `action` field the service's Lambda dispatches on. */
  readonly operation: string;
  /** For `monolith` kinds: the command and replies. */
  readonly exchange?: MonolithExchange;
  /** Who performs a service-owned action: the reference service (the default) or the user's own. */
  readonly implementation: ActionImplementation;
  /**
   * Present when the step is routed per order (owner `routed`): `kind`, `operation` and `implementation`
   * then describe the service side, and this the monolith side and how the side is chosen.
   */
  readonly route?: ActionRoute;
}

/** How a routed action chooses its side, and what the monolith side does. */
export interface ActionRoute {
  /** The routing capability whose entry decides. */
  readonly capability: string;
  /** Dot path of the sticky key in the order. */
  readonly keyField: string;
  /**
   * The step whose decision is stamped at `$.routes.<step>` (see `routePath`). The step's own forward action
   * (`id === decidedBy`) asks and stamps; every other action of the step (ConfirmReservation of
   * ReserveInventory) and its compensation only read the stamp, so they go to the side that did the step.
   */
  readonly decidedBy: SagaStep;
  /**
   * The monolith side: the command and its replies. Absent when the monolith side has nothing to do for
   * this action, which then passes without a call (ConfirmReservation: see `buildSagaPlan`).
   */
  readonly monolith?: MonolithExchange;
  /** Business errors of the monolith side's replies (forward actions only). */
  readonly monolithRejections: readonly string[];
}

/** Where a routed step's decision is stamped in the execution's state. */
export function routePath(step: SagaStep): string {
  return `$.routes.${step}`;
}

export interface ForwardAction extends ActionBase {
  readonly compensation?: SagaCompensation;
  /** Error names meaning the action did nothing (caught by name, never retried). */
  readonly rejections: readonly string[];
  /** Where compensation starts after a rejection: the latest compensation of the actions before this one. */
  readonly compensateFromOnRejection: SagaCompensation | null;
  /** Where it starts after any other error: this action's own compensation (its effect may have landed). */
  readonly compensateFromOnError: SagaCompensation | null;
  /**
   * Present when the action may hold its result for a review (answer `status: "review"`): the saga waits
   * and asks again with `operation`, at most `maxChecks` times (the payment service's fraud review).
   */
  readonly review?: ReviewLoop;
}

export interface ReviewLoop extends FraudReviewPlan {
  /** The `action` field of the re-check request. */
  readonly operation: string;
}

export interface CompensationAction extends ActionBase {
  readonly id: SagaCompensation;
  /** Next compensation in the chain (reverse order), or null for the last one. */
  readonly next: SagaCompensation | null;
}

export interface FraudReviewPlan {
  readonly waitSeconds: number;
  readonly maxChecks: number;
}

export interface SagaPlan {
  readonly name: string;
  /** Forward actions in execution order. */
  readonly forward: readonly ForwardAction[];
  /** Compensations in the order they run (reverse of the forward steps). */
  readonly compensations: readonly CompensationAction[];
  /** Present when ProcessPayment is service-owned or routed: the payment service may hold a payment for review. */
  readonly fraudReview?: FraudReviewPlan;
  readonly stepTimeoutSeconds: number;
  readonly shipping: SagaSection['shipping'];
  readonly retry: SagaSection['retry'];
  readonly reservationTtlSeconds: number;
  /** Owner of each step, for printing and for the audit events. */
  readonly owners: Readonly<Record<SagaStep, StepOwner>>;
}

const SERVICE_OPERATIONS: Record<SagaStep, { forward: string; compensation: string }> = {
  CreateOrder: { forward: 'create', compensation: 'cancel' },
  ReserveInventory: { forward: 'reserve', compensation: 'release' },
  ProcessPayment: { forward: 'charge', compensation: 'refund' },
  ScheduleShipping: { forward: 'schedule', compensation: 'cancel' },
  NotifyCustomer: { forward: 'confirm', compensation: 'cancellation' },
};

function serviceKind(step: SagaStep): ActionKind {
  if (step === 'CreateOrder') return 'orders-table';
  if (step === 'ScheduleShipping') return 'service-callback';
  return 'service';
}

export interface SagaPlanOptions {
  /**
   * The user's implementation per action id (`ProcessPayment`, `RefundPayment`, ...). Actions not named keep
   * the reference service. See implementations.ts for the contract.
   * @default - every action by its reference service
   */
  readonly implementations?: Readonly<Record<string, ActionImplementation | undefined>>;
}

/**
 * Builds the plan from a validated saga section. Throws `SpecError` when a monolith step lacks its commands
 * and `ConfigurationError` when an implementation names an unknown action or one it cannot replace.
 */
export function buildSagaPlan(section: SagaSection, options: SagaPlanOptions = {}): SagaPlan {
  const owners = Object.fromEntries(SAGA_STEPS.map((s) => [s, section.steps[s].owner])) as Record<SagaStep, StepOwner>;
  type Draft = Omit<ForwardAction, 'compensateFromOnRejection' | 'compensateFromOnError' | 'implementation'>;
  const drafts: Draft[] = [];
  for (const step of SAGA_STEPS) {
    const cfg = section.steps[step];
    const service = SERVICE_OF[step];
    if (cfg.owner === 'monolith') {
      if (!cfg.monolith) throw new SpecError([`saga.steps.${step}.monolith: required when owner is "monolith"`]);
      drafts.push({
        id: step,
        step,
        owner: 'monolith',
        kind: 'monolith',
        service,
        operation: 'forward',
        exchange: cfg.monolith.forward,
        compensation: COMPENSATION_OF[step],
        rejections: [...new Set(Object.values(cfg.monolith.forward.failure))],
      });
    } else {
      const extra = step === 'ScheduleShipping' ? Object.values(section.shipping.rejectedBy) : [];
      const serviceRejections = [...SERVICE_REJECTIONS[step], ...extra];
      const route = cfg.owner === 'routed' ? routeOf(section, step, 'forward') : undefined;
      drafts.push({
        id: step,
        step,
        owner: cfg.owner,
        kind: serviceKind(step),
        service,
        operation: SERVICE_OPERATIONS[step].forward,
        compensation: COMPENSATION_OF[step],
        // Either side may say no: both sides' business errors are caught as rejections.
        rejections: [...new Set([...serviceRejections, ...(route?.monolithRejections ?? [])])],
        ...(route ? { route } : {}),
      });
    }
    // The service's reservation expires: after payment, the saga confirms it is still held (the oversell guard).
    // A monolith-owned ReserveInventory has no such action: the monolith's reservation holds until it is
    // released. A routed one confirms on the side ReserveInventory took for the order, read from its stamp:
    // the service commits, the monolith side passes (as with owner "monolith"; the spec declares no monolith
    // command for it, and a side is the whole step, so an order reserved by the monolith is never confirmed
    // by the service, nor the reverse).
    if (step === 'ProcessPayment' && owners.ReserveInventory !== 'monolith') {
      const reserve = owners.ReserveInventory === 'routed' ? routeOf(section, 'ReserveInventory', 'forward') : undefined;
      drafts.push({
        id: 'ConfirmReservation',
        step: 'ReserveInventory',
        owner: owners.ReserveInventory,
        kind: 'service',
        service: 'inventory',
        operation: 'commit',
        rejections: ['ReservationExpired'],
        ...(reserve
          ? { route: { capability: reserve.capability, keyField: reserve.keyField, decidedBy: reserve.decidedBy, monolithRejections: [] } }
          : {}),
      });
    }
  }
  const impls = options.implementations ?? {};
  const implementationOf = (a: Parameters<typeof checkImplementation>[0]): ActionImplementation => {
    const impl = impls[a.id] ?? REFERENCE_IMPLEMENTATION;
    checkImplementation(a, impl);
    return impl;
  };
  const forward: ForwardAction[] = drafts.map((d, i) => {
    const before =
      drafts
        .slice(0, i)
        .reverse()
        .find((x) => x.compensation)?.compensation ?? null;
    // The payment service may hold a payment for fraud review: whoever performs a service-owned ProcessPayment answers the re-checks.
    const review = d.step === 'ProcessPayment' && d.kind !== 'monolith' ? { ...section.fraudReview, operation: 'review' } : undefined;
    return {
      ...d,
      implementation: implementationOf(d),
      compensateFromOnRejection: before,
      compensateFromOnError: d.compensation ?? before,
      ...(review ? { review } : {}),
    };
  });
  const compSteps = [...SAGA_STEPS].reverse();
  const compensations: CompensationAction[] = compSteps.map((step, i) => {
    const cfg = section.steps[step];
    const next = i + 1 < compSteps.length ? COMPENSATION_OF[compSteps[i + 1]] : null;
    const base = { id: COMPENSATION_OF[step], step, owner: cfg.owner, service: SERVICE_OF[step], next };
    const route = cfg.owner === 'routed' ? routeOf(section, step, 'compensation') : undefined;
    const draft: Omit<CompensationAction, 'implementation'> =
      cfg.owner === 'monolith'
        ? { ...base, kind: 'monolith', operation: 'compensate', exchange: cfg.monolith!.compensation }
        : {
            ...base,
            kind: step === 'CreateOrder' ? 'orders-table' : 'service',
            operation: SERVICE_OPERATIONS[step].compensation,
            ...(route ? { route } : {}),
          };
    return { ...draft, implementation: implementationOf(draft) };
  });
  const known = new Set([...forward, ...compensations].map((a) => a.id));
  for (const id of Object.keys(impls)) {
    if (!known.has(id))
      throw new ConfigurationError(`implementations.${id}: not an action of the saga; known: ${[...known].join(', ')}`, {
        setting: `implementations.${id}`,
      });
  }
  return {
    name: section.name,
    forward,
    compensations,
    fraudReview: owners.ProcessPayment !== 'monolith' ? { ...section.fraudReview } : undefined,
    stepTimeoutSeconds: section.stepTimeoutSeconds,
    shipping: section.shipping,
    retry: section.retry,
    reservationTtlSeconds: section.reservation.ttlSeconds,
    owners,
  };
}

function routeOf(section: SagaSection, step: SagaStep, side: 'forward' | 'compensation'): ActionRoute {
  const cfg = section.steps[step];
  if (!(ROUTABLE_STEPS as readonly string[]).includes(step))
    throw new SpecError([`saga.steps.${step}.owner: "routed" is not supported for ${step}; routable steps: ${ROUTABLE_STEPS.join(', ')}`]);
  if (!cfg.monolith) throw new SpecError([`saga.steps.${step}.monolith: required when owner is "routed"`]);
  const exchange = cfg.monolith[side];
  return {
    capability: cfg.route?.capability ?? SERVICE_OF[step],
    keyField: cfg.route?.keyField ?? 'orderId',
    decidedBy: step,
    monolith: exchange,
    monolithRejections: side === 'forward' ? [...new Set(Object.values(exchange.failure))] : [],
  };
}

/** Actions routed per order (forward and compensation), in plan order. */
export function routedActions(plan: SagaPlan): Array<ForwardAction | CompensationAction> {
  return [...plan.forward, ...plan.compensations].filter((a) => a.route !== undefined);
}

/**
 * The compensations that run, in order, when `failedAction` fails: `rejected` says the failure was one of
 * its business errors (it did nothing). Used by tests and the model as the oracle for the state machine.
 */
export function compensationsAfter(plan: SagaPlan, failedAction: string, rejected: boolean): SagaCompensation[] {
  const action = plan.forward.find((a) => a.id === failedAction);
  if (!action) throw new Error(`unknown saga action ${failedAction}; known: ${plan.forward.map((a) => a.id).join(', ')}`);
  let cur = rejected ? action.compensateFromOnRejection : action.compensateFromOnError;
  const out: SagaCompensation[] = [];
  while (cur) {
    out.push(cur);
    cur = plan.compensations.find((c) => c.id === cur)!.next;
  }
  return out;
}

/** Actions that wait for a task token, with their callback registry ids (forward and compensation). */
export function awaitedActions(plan: SagaPlan): Array<ForwardAction | CompensationAction> {
  // A routed action may wait for the monolith's reply, whichever side its service side is (unless its monolith side does nothing).
  return [...plan.forward, ...plan.compensations].filter(
    (a) => a.kind === 'monolith' || a.kind === 'service-callback' || a.route?.monolith !== undefined,
  );
}
