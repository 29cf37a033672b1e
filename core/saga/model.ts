import { quantitiesBySku, toCents, type OrderLine } from './input';
import type { CompensationAction, ForwardAction, SagaPlan } from './plan';
import { decideCharge, decideReview, decideAddress, type ReferenceRules } from './reference';

/*
 * The saga model: the order saga and the reference services in memory, with the same rules as the state
 * machine (retries, business vs ambiguous failures, where compensation starts, reverse order) and the same
 * idempotent semantics as the handlers (holds per (SKU, order), charge once per order, tombstones). Many
 * sagas share one stock and one clock and advance one action at a time in any interleaving, with faults
 * injected per call. The property tests run thousands of random schedules through it; the statemachine
 * tier checks the real definition and handlers agree with it.
 */

/** What one call of an action does, by injection. Calls beyond the list behave normally. */
export type ForwardFault = 'ok' | 'transient-before' | 'transient-after' | 'unknown-error';
export type CompensationFault = 'ok' | 'transient-before' | 'transient-after' | 'refused';

export interface ModelOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: string;
  readonly country: string;
  readonly lines: readonly OrderLine[];
  /** The carrier confirms the booking, or never answers (timeout). */
  readonly carrier: 'confirm' | 'silent';
  readonly faults: Readonly<Record<string, readonly (ForwardFault | CompensationFault)[]>>;
}

export type ModelOutcome = 'completed' | 'compensated' | 'compensation-failed';

export interface ModelSagaResult {
  readonly orderId: string;
  readonly outcome: ModelOutcome;
  readonly failedAction?: string;
  readonly error?: string;
  readonly compensations: readonly string[];
  readonly failedCompensation?: string;
}

type ResStatus = 'reserving' | 'reserved' | 'committed' | 'fulfilled' | 'released' | 'expired';

class BusinessFailure extends Error {
  public constructor(public readonly errorName: string) {
    super(errorName);
  }
}
class TransientFailure extends Error {}
class UnknownFailure extends Error {}
class RefusedFailure extends Error {}

/** The reference services' state, shared by every saga of a model run. */
export class ModelServices {
  public now: number;
  public readonly stock = new Map<string, { available: number; holds: Map<string, number> }>();
  public readonly reservations = new Map<
    string,
    { status: ResStatus; items: Array<{ sku: string; quantity: number }>; expiresAt: number; reason?: string }
  >();
  public readonly payments = new Map<
    string,
    {
      status: 'captured' | 'review' | 'refunded' | 'voided' | 'rejected';
      amountCents: number;
      capturedCents: number;
      refundedCents: number;
      checks: number;
      customerId: string;
    }
  >();
  public readonly shipments = new Map<string, 'requested' | 'dispatched' | 'cancelled'>();
  public readonly notifications = new Set<string>();
  public readonly orders = new Map<string, 'pending' | 'confirmed' | 'cancelled'>();
  /** Reservations the monolith holds (it keeps its own stock, out of the services' sight). */
  public readonly monolithReservations = new Set<string>();
  /** Set when any SKU's available count went below zero (must never happen). */
  public negativeStockSeen = false;

  public constructor(
    initialStock: Readonly<Record<string, number>>,
    public readonly rules: ReferenceRules,
    public readonly reservationTtlMs: number,
    startMs = Date.parse('2026-11-21T14:30:00Z'),
  ) {
    this.now = startMs;
    for (const [sku, n] of Object.entries(initialStock)) this.stock.set(sku, { available: n, holds: new Map() });
  }

  private hold(sku: string, orderId: string, q: number): boolean {
    const s = this.stock.get(sku);
    if (!s) return false;
    if (s.holds.has(orderId)) return true;
    if (s.available < q) return false;
    s.available -= q;
    s.holds.set(orderId, q);
    if (s.available < 0) this.negativeStockSeen = true;
    return true;
  }

  private unhold(sku: string, orderId: string): number {
    const s = this.stock.get(sku);
    const q = s?.holds.get(orderId);
    if (!s || q === undefined) return 0;
    s.available += q;
    s.holds.delete(orderId);
    return q;
  }

  private reclaim(sku: string): number {
    const s = this.stock.get(sku);
    if (!s) return 0;
    let freed = 0;
    for (const holder of [...s.holds.keys()].slice(0, 25)) {
      const r = this.reservations.get(holder);
      if (!r) continue;
      if ((r.status === 'reserved' || r.status === 'reserving') && r.expiresAt <= this.now) r.status = 'expired';
      if (r.status !== 'expired' && r.status !== 'released') continue;
      for (const it of r.items) if (this.unhold(it.sku, holder) > 0 && it.sku === sku) freed++;
    }
    return freed;
  }

  public reserve(orderId: string, lines: readonly OrderLine[]): void {
    let r = this.reservations.get(orderId);
    if (r && (r.status === 'released' || r.status === 'expired'))
      throw new BusinessFailure(r.reason === 'out-of-stock' ? 'OutOfStock' : 'ReservationExpired');
    if (!r) {
      r = { status: 'reserving', items: quantitiesBySku(lines), expiresAt: this.now + this.reservationTtlMs };
      this.reservations.set(orderId, r);
    }
    const held: string[] = [];
    for (const it of r.items) {
      let ok = this.hold(it.sku, orderId, it.quantity);
      if (!ok && this.reclaim(it.sku) > 0) ok = this.hold(it.sku, orderId, it.quantity);
      if (!ok) {
        for (const sku of held) this.unhold(sku, orderId);
        if (r.status === 'reserving' || r.status === 'reserved') {
          r.status = 'released';
          r.reason ??= 'out-of-stock';
        }
        throw new BusinessFailure('OutOfStock');
      }
      held.push(it.sku);
    }
    if (r.status === 'reserving') r.status = 'reserved';
  }

  public commit(orderId: string): void {
    const r = this.reservations.get(orderId);
    if (r?.status === 'committed') return;
    if (r?.status === 'reserved' && r.expiresAt > this.now) {
      r.status = 'committed';
      return;
    }
    throw new BusinessFailure('ReservationExpired');
  }

  public release(orderId: string, lines: readonly OrderLine[]): void {
    const r = this.reservations.get(orderId);
    for (const it of r?.items ?? quantitiesBySku(lines)) this.unhold(it.sku, orderId);
    if (r && (r.status === 'reserving' || r.status === 'reserved' || r.status === 'committed')) r.status = 'released';
  }

  public fulfil(orderId: string): void {
    const r = this.reservations.get(orderId);
    if (r?.status !== 'committed') return;
    for (const it of r.items) this.stock.get(it.sku)?.holds.delete(orderId);
    r.status = 'fulfilled';
  }

  /** `viaMonolith`: the monolith captures or declines, it never holds for review. */
  public charge(o: ModelOrder, viaMonolith = false): 'captured' | 'review' {
    const p = this.payments.get(o.orderId);
    if (p) return p.status === 'review' ? 'review' : 'captured';
    const d = viaMonolith
      ? this.rules.monolith.declineCustomers.includes(o.customerId)
        ? 'declined'
        : 'captured'
      : decideCharge(this.rules, o.customerId, o.amount);
    if (d === 'declined') throw new BusinessFailure('CardDeclined');
    const cents = toCents(o.amount);
    this.payments.set(o.orderId, {
      status: d,
      amountCents: cents,
      capturedCents: d === 'captured' ? cents : 0,
      refundedCents: 0,
      checks: 0,
      customerId: o.customerId,
    });
    return d;
  }

  public review(orderId: string): { status: 'captured' | 'review'; checks: number } {
    const p = this.payments.get(orderId);
    if (!p || (p.status !== 'review' && p.status !== 'captured')) throw new BusinessFailure('FraudRejected');
    if (p.status === 'captured') return { status: 'captured', checks: p.checks };
    p.checks++;
    const d = decideReview(this.rules, p.customerId, p.checks);
    if (d === 'rejected') {
      p.status = 'rejected';
      throw new BusinessFailure('FraudRejected');
    }
    if (d === 'captured') {
      p.status = 'captured';
      p.capturedCents = p.amountCents;
    }
    return { status: d, checks: p.checks };
  }

  public refund(orderId: string): void {
    const p = this.payments.get(orderId);
    if (!p) {
      this.payments.set(orderId, {
        status: 'voided',
        amountCents: 0,
        capturedCents: 0,
        refundedCents: 0,
        checks: 0,
        customerId: 'unknown',
      });
      return;
    }
    if (p.status === 'captured') {
      p.status = 'refunded';
      p.refundedCents = p.capturedCents;
    } else if (p.status === 'review' || p.status === 'rejected') {
      p.status = 'voided';
    }
  }

  public book(o: ModelOrder): 'booked' | 'dispatched' {
    if (!decideAddress(this.rules, o.country).ok) throw new BusinessFailure('AddressRejected');
    const s = this.shipments.get(o.orderId);
    if (s === 'dispatched') return 'dispatched';
    if (s === 'cancelled') throw new UnknownFailure('ShipmentCancelled');
    this.shipments.set(o.orderId, 'requested');
    return 'booked';
  }

  public dispatch(orderId: string): void {
    if (this.shipments.get(orderId) === 'requested') this.shipments.set(orderId, 'dispatched');
    this.fulfil(orderId);
  }

  public cancelShipment(orderId: string): void {
    const s = this.shipments.get(orderId);
    if (s === 'dispatched') throw new RefusedFailure('parcel already left');
    this.shipments.set(orderId, 'cancelled');
  }

  /** Money taken from the customer for an order. */
  public netChargedCents(orderId: string): number {
    const p = this.payments.get(orderId);
    return p ? p.capturedCents - p.refundedCents : 0;
  }
}

type Phase =
  | { kind: 'forward'; index: number; attempt: number }
  | { kind: 'fraud-check'; checks: number; attempt: number }
  | { kind: 'compensate'; id: string | null; attempt: number }
  | { kind: 'done' };

/** One saga, advanced one action call at a time by `step()`. */
export class ModelSaga {
  private phase: Phase = { kind: 'forward', index: 0, attempt: 0 };
  private readonly calls = new Map<string, number>();
  private readonly compensationsRun: string[] = [];
  private failedAction?: string;
  private error?: string;
  private outcome?: ModelOutcome;
  private failedCompensation?: string;

  public constructor(
    private readonly plan: SagaPlan,
    private readonly services: ModelServices,
    public readonly order: ModelOrder,
  ) {}

  public get done(): boolean {
    return this.phase.kind === 'done';
  }

  public result(): ModelSagaResult {
    if (!this.outcome) throw new Error(`saga ${this.order.orderId} has not finished`);
    return {
      orderId: this.order.orderId,
      outcome: this.outcome,
      failedAction: this.failedAction,
      error: this.error,
      compensations: this.compensationsRun,
      failedCompensation: this.failedCompensation,
    };
  }

  /** Runs the saga to its end without interleaving. */
  public runToEnd(): ModelSagaResult {
    while (!this.done) this.step();
    return this.result();
  }

  private fault(action: string): ForwardFault | CompensationFault {
    const n = this.calls.get(action) ?? 0;
    this.calls.set(action, n + 1);
    return this.order.faults[action]?.[n] ?? 'ok';
  }

  /** One call of the current action, with its injected fault; then the state machine's transition. */
  public step(): void {
    const p = this.phase;
    if (p.kind === 'done') return;
    if (p.kind === 'compensate') return this.stepCompensation(p);
    if (p.kind === 'fraud-check') return this.stepFraudCheck(p);
    const action = this.plan.forward[p.index];
    const fault = this.fault(action.id);
    try {
      if (fault === 'transient-before') throw new TransientFailure();
      if (fault === 'unknown-error') throw new UnknownFailure('Boom');
      const next = this.perform(action);
      if (fault === 'transient-after') throw new TransientFailure();
      if (next === 'await-carrier') {
        // The carrier answers the booking the saga is waiting on, or never does (the wait times out).
        if (this.order.carrier === 'silent') throw new UnknownFailure('States.Timeout');
        this.services.dispatch(this.order.orderId);
      }
      if (next === 'fraud-review') {
        this.services.now += (this.plan.fraudReview?.waitSeconds ?? 0) * 1000;
        this.phase = { kind: 'fraud-check', checks: 0, attempt: 0 };
        return;
      }
      this.advance(p.index);
    } catch (err) {
      this.onForwardError(action, err, p.attempt, () => (this.phase = { ...p, attempt: p.attempt + 1 }));
    }
  }

  private advance(index: number): void {
    if (index + 1 < this.plan.forward.length) {
      this.phase = { kind: 'forward', index: index + 1, attempt: 0 };
      return;
    }
    if (this.plan.forward[0].kind === 'orders-table') this.services.orders.set(this.order.orderId, 'confirmed');
    this.outcome = 'completed';
    this.phase = { kind: 'done' };
  }

  private maxRetries(action: ForwardAction): number {
    return action.kind === 'monolith' ? action.exchange!.maxAttempts - 1 : this.plan.retry.step.maxAttempts;
  }

  private onForwardError(action: ForwardAction, err: unknown, attempt: number, retry: () => void): void {
    if (err instanceof TransientFailure && attempt < this.maxRetries(action)) return retry();
    const business = err instanceof BusinessFailure && action.rejections.includes(err.errorName);
    this.failedAction = action.id;
    this.error =
      err instanceof BusinessFailure ? err.errorName : err instanceof TransientFailure ? 'TransientError' : (err as Error).message;
    this.phase = { kind: 'compensate', id: business ? action.compensateFromOnRejection : action.compensateFromOnError, attempt: 0 };
    this.finishIfNothingToCompensate();
  }

  private finishIfNothingToCompensate(): void {
    if (this.phase.kind === 'compensate' && this.phase.id === null) {
      this.outcome = 'compensated';
      this.phase = { kind: 'done' };
    }
  }

  private perform(action: ForwardAction): 'next' | 'fraud-review' | 'await-carrier' {
    const s = this.services;
    const o = this.order;
    switch (action.id) {
      case 'CreateOrder':
        if (!s.orders.has(o.orderId)) s.orders.set(o.orderId, 'pending');
        return 'next';
      case 'ReserveInventory':
        if (action.kind === 'monolith') {
          if (o.lines.some((l) => s.rules.monolith.outOfStockSkus.includes(l.sku))) throw new BusinessFailure('OutOfStock');
          s.monolithReservations.add(o.orderId);
        } else {
          s.reserve(o.orderId, o.lines);
        }
        return 'next';
      case 'ProcessPayment':
        return s.charge(o, action.kind === 'monolith') === 'review' && this.plan.fraudReview ? 'fraud-review' : 'next';
      case 'ConfirmReservation':
        s.commit(o.orderId);
        return 'next';
      case 'ScheduleShipping': {
        return s.book(o) === 'dispatched' ? 'next' : 'await-carrier';
      }
      case 'NotifyCustomer':
        s.notifications.add(`${o.orderId}#confirmation`);
        return 'next';
      default:
        throw new Error(`model: unknown action ${action.id}`);
    }
  }

  private stepFraudCheck(p: Extract<Phase, { kind: 'fraud-check' }>): void {
    const review = this.plan.fraudReview!;
    const index = this.plan.forward.findIndex((a) => a.id === 'ProcessPayment');
    const action = this.plan.forward[index];
    const fault = this.fault('CheckFraudReview');
    try {
      if (fault === 'transient-before') throw new TransientFailure();
      if (fault === 'unknown-error') throw new UnknownFailure('Boom');
      const r = this.services.review(this.order.orderId);
      if (fault === 'transient-after') throw new TransientFailure();
      if (r.status === 'captured') return this.advance(index);
      if (r.checks < review.maxChecks) {
        this.services.now += review.waitSeconds * 1000;
        this.phase = { kind: 'fraud-check', checks: r.checks, attempt: 0 };
        return;
      }
      throw new UnknownFailure('FraudReviewTimeout');
    } catch (err) {
      if (err instanceof TransientFailure && p.attempt < this.plan.retry.step.maxAttempts) {
        this.phase = { ...p, attempt: p.attempt + 1 };
        return;
      }
      // Every failure in review releases the held payment too (the definition catches all into "Failed").
      this.failedAction = action.id;
      this.error =
        err instanceof BusinessFailure ? err.errorName : err instanceof TransientFailure ? 'TransientError' : (err as Error).message;
      this.phase = { kind: 'compensate', id: action.compensateFromOnError, attempt: 0 };
      this.finishIfNothingToCompensate();
    }
  }

  private stepCompensation(p: Extract<Phase, { kind: 'compensate' }>): void {
    const comp = this.plan.compensations.find((c) => c.id === p.id)!;
    const fault = this.fault(comp.id) as CompensationFault;
    try {
      if (fault === 'refused') throw new RefusedFailure('injected');
      if (fault === 'transient-before') throw new TransientFailure();
      this.compensate(comp);
      if (fault === 'transient-after') throw new TransientFailure();
      if (this.compensationsRun.at(-1) !== comp.id) this.compensationsRun.push(comp.id);
      if (comp.next) this.phase = { kind: 'compensate', id: comp.next, attempt: 0 };
      else {
        this.outcome = 'compensated';
        this.phase = { kind: 'done' };
      }
    } catch (err) {
      if (this.compensationsRun.at(-1) !== comp.id) this.compensationsRun.push(comp.id);
      if (!(err instanceof RefusedFailure) && p.attempt < this.plan.retry.compensation.maxAttempts) {
        this.phase = { ...p, attempt: p.attempt + 1 };
        return;
      }
      this.failedCompensation = comp.id;
      this.outcome = 'compensation-failed';
      this.phase = { kind: 'done' };
    }
  }

  private compensate(comp: CompensationAction): void {
    const s = this.services;
    const o = this.order;
    switch (comp.id) {
      case 'CancelOrder':
        s.orders.set(o.orderId, 'cancelled');
        return;
      case 'ReleaseInventory':
        if (comp.kind === 'monolith') s.monolithReservations.delete(o.orderId);
        else s.release(o.orderId, o.lines);
        return;
      case 'RefundPayment':
        s.refund(o.orderId);
        return;
      case 'CancelShipment':
        s.cancelShipment(o.orderId);
        return;
      case 'SendCancellationNotice':
        if (s.notifications.has(`${o.orderId}#confirmation`)) s.notifications.add(`${o.orderId}#cancellation`);
        return;
      default:
        throw new Error(`model: unknown compensation ${comp.id}`);
    }
  }
}
