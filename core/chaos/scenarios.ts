import type { FaultPlan, FaultService } from '../saga/faults';

/*
 * The named chaos scenarios `cutover chaos run <scenario>` drives on a deployed (emulated) kit: the faults
 * each sets on the reference services, the orders it places, and what it must show beyond "every order
 * accounted for". Pure data and checks; the runner (cli/chaos) does the I/O.
 */

/** How the runner places one order of a scenario. */
export interface ChaosOrder {
  readonly orderId: string;
  /** Start this order only once the reservation of `orderIds[n]` has expired (the oversell race). */
  readonly startAfterReservationOf?: string;
}

export interface ChaosScenario {
  readonly name: string;
  readonly title: string;
  /** What a run shows, for `cutover chaos list` and the README. */
  readonly shows: string;
  /** Orders placed unless --orders says otherwise. */
  readonly defaultOrders: number;
  /** Fixed order count (the oversell race is two orders), or undefined when --orders may change it. */
  readonly fixedOrders?: number;
  /** Units of the scenario's SKU in stock at the start; undefined: enough for every order. */
  readonly stock?: number;
  /** Milliseconds between two order starts (spreading them across a partition window). @default 0 */
  readonly staggerMs?: number;
  /** The fault profile, given the run's order ids. */
  faults(orderIds: readonly string[]): FaultPlan;
  /** Other environment the scenario sets on a service's function for the run (restored afterwards). */
  readonly environment?: Partial<Record<FaultService, Record<string, string>>>;
  /** How to place the orders, given their ids. @default every order at once (or staggered) */
  plan?(orderIds: readonly string[]): ChaosOrder[];
  /** Checks beyond the accounting, over the report's outcomes; each problem makes the run fail. */
  check?(evidence: ChaosEvidence): string[];
}

/** What the runner measured, for a scenario's own checks. */
export interface ChaosEvidence {
  readonly outcomes: ReadonlyArray<{
    readonly orderId: string;
    readonly outcome: string;
    readonly error?: string;
    readonly failedStep?: string;
  }>;
  /** Orders whose reservation of the scenario's SKU ended committed or fulfilled: what was sold. */
  readonly sold: readonly string[];
  /** The SKU's stock at the start and the end. */
  readonly stockBefore?: number;
  readonly stockAfter?: number;
  readonly retries: number;
}

export const OVERSELL_TTL_SECONDS = 12;
/** The first order's ConfirmReservation waits this long: past its reservation's expiry and the second order's reserve. */
export const OVERSELL_CONFIRM_DELAY_MS = 20_000;

export const CHAOS_SCENARIOS: readonly ChaosScenario[] = [
  {
    name: 'payment-flaky',
    title: 'A slow, flaky payment: lognormal latency (p50 500 ms, p95 1.5 s) and 3% transient failures',
    shows: 'transient failures retried with backoff; every order completed (or compensated once retries run out), nothing lost',
    defaultOrders: 8,
    faults: () => ({
      ProcessPayment: { latency: { dist: 'lognormal', p50: 500, p95: 1500 }, failRate: 0.03 },
    }),
  },
  {
    name: 'carrier-partition',
    title: 'The carrier unreachable for 15 s: ScheduleShipping fails as unreachable inside the window',
    shows:
      'orders inside the window retried, then compensated (refund, release, cancel) when the window outlasts the retries; orders after it complete',
    defaultOrders: 4,
    staggerMs: 5_000,
    faults: () => ({
      'shipping.ScheduleShipping': { partition: { afterSeconds: 0, forSeconds: 15 } },
    }),
  },
  {
    name: 'oversell',
    title: `Oversell: one unit in stock, two orders, reservations expire after ${OVERSELL_TTL_SECONDS} s`,
    shows:
      "the first order's payment lands after its reservation expired and the second order reclaimed the unit: ConfirmReservation fails with ReservationExpired and the first is refunded; the unit is sold once",
    defaultOrders: 2,
    fixedOrders: 2,
    stock: 1,
    environment: { inventory: { RESERVATION_TTL_SECONDS: String(OVERSELL_TTL_SECONDS) } },
    faults: (ids) => ({
      'inventory.ConfirmReservation': { latency: { dist: 'fixed', ms: OVERSELL_CONFIRM_DELAY_MS }, orderIds: [ids[0]] },
    }),
    plan: (ids) => [{ orderId: ids[0] }, { orderId: ids[1], startAfterReservationOf: ids[0] }],
    check: (e) => {
      const problems: string[] = [];
      if (e.stockBefore !== undefined && e.sold.length > e.stockBefore)
        problems.push(`oversold: ${e.sold.length} orders (${e.sold.join(', ')}) sold ${e.stockBefore} unit(s) in stock`);
      if (e.stockAfter !== undefined && e.stockAfter < 0) problems.push(`stock went negative: ${e.stockAfter}`);
      const completed = e.outcomes.filter((o) => o.outcome === 'completed');
      // ReservationExpired on AWS; an emulator that loses Lambda error names (MiniStack) still fails the step.
      const expired = e.outcomes.filter((o) => o.outcome === 'compensated' && o.failedStep === 'ConfirmReservation');
      if (completed.length !== 1) problems.push(`expected exactly one order completed, got ${completed.length}`);
      if (expired.length !== 1)
        problems.push(
          `expected exactly one order compensated after its ConfirmReservation failed (ReservationExpired), got ${expired.length}`,
        );
      return problems;
    },
  },
];

export function chaosScenario(name: string): ChaosScenario | undefined {
  return CHAOS_SCENARIOS.find((s) => s.name === name);
}
