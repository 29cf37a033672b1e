import type { SagaStatusSummary } from '../saga/status';

/*
 * What a chaos run did, order by order, and whether every order is accounted for: each order started must
 * end completed or compensated. An order still running when the run gives up is stuck; one whose saga never
 * started, or whose execution failed or was aborted, is lost; a compensation that failed for good is on the
 * needs-attention list, which a person must finish: none of these passes.
 */

/** One order as the runner found it at the end. */
export interface OrderRun {
  readonly orderId: string;
  /** The execution's status, or NOT_FOUND when no execution exists for the order. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'RUNNING' | 'ABORTED' | 'TIMED_OUT' | 'PENDING_REDRIVE' | 'NOT_FOUND';
  /** The execution's output (`{ outcome, failure }`), when it ended. */
  readonly output?: { readonly outcome?: string; readonly failure?: { readonly Error?: string; readonly Cause?: string } };
  /** The execution history, summarised (core/saga/status.ts). */
  readonly history?: SagaStatusSummary;
}

export type OrderOutcome = 'completed' | 'compensated' | 'compensation-failed' | 'stuck' | 'lost';

export interface OrderReport {
  readonly orderId: string;
  readonly outcome: OrderOutcome;
  /** The error that stopped the forward path, when it did. */
  readonly error?: string;
  readonly failedStep?: string;
  /** The failure's cause as the step reported it (where an emulator loses the error's name, the message still says what happened). */
  readonly cause?: string;
  /** Compensations that ran and succeeded, in order. */
  readonly compensations: readonly string[];
  /** Retries per action (calls beyond the first), only actions retried. */
  readonly retries: Readonly<Record<string, number>>;
  readonly totalRetries: number;
  /** Errors the retried or failed calls reported, by error name. */
  readonly errors: Readonly<Record<string, number>>;
}

export interface QueueDepth {
  readonly name: string;
  readonly before: number;
  readonly after: number;
  /**
   * A message here means an order's event went astray, so growth fails the run (the saga's and the
   * bridge's queues). Other capabilities' queues are reported only: their traffic is not the run's.
   * @default true
   */
  readonly gates?: boolean;
}

export interface ChaosReport {
  readonly scenario: string;
  readonly orders: readonly OrderReport[];
  readonly totals: Readonly<Record<OrderOutcome, number>>;
  readonly retries: number;
  readonly compensations: number;
  readonly deadLetterQueues: readonly QueueDepth[];
  /** Every order started ended completed or compensated. */
  readonly accountedFor: boolean;
  /** Everything that makes the run fail: unaccounted orders, dead letters that grew, the scenario's own checks. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

/** One order's outcome, from its execution's status, output and history. */
export function accountOrder(run: OrderRun): OrderReport {
  const retries: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const compensations: string[] = [];
  for (const a of run.history?.actions ?? []) {
    if (a.attempts > 1) retries[a.id] = a.attempts - 1;
    if (a.error) errors[a.error] = (errors[a.error] ?? 0) + Math.max(1, a.attempts - (a.status === 'succeeded' ? 1 : 0));
    if (a.kind === 'compensation' && a.status === 'succeeded') compensations.push(a.id);
  }
  const totalRetries = Object.values(retries).reduce((s, n) => s + n, 0);
  const reported = run.output?.outcome;
  let outcome: OrderOutcome;
  if (run.status === 'RUNNING' || run.status === 'PENDING_REDRIVE') outcome = 'stuck';
  else if (run.status === 'SUCCEEDED' && reported === 'completed') outcome = 'completed';
  else if (run.status === 'SUCCEEDED' && reported === 'compensated') outcome = 'compensated';
  else if (run.history?.currentState === 'CompensationFailed' || reported === 'compensation-failed') outcome = 'compensation-failed';
  else outcome = 'lost';
  return {
    orderId: run.orderId,
    outcome,
    // A completed order's history may name an error its retries got past: that did not stop it.
    error: outcome === 'completed' ? undefined : (run.output?.failure?.Error ?? run.history?.error),
    failedStep: outcome === 'completed' ? undefined : run.history?.failedStep,
    cause: outcome === 'completed' ? undefined : causeText(run.output?.failure?.Cause),
    compensations,
    retries,
    totalRetries,
    errors,
  };
}

/** A Lambda failure's cause is JSON with an errorMessage; anything else is shown as it is, shortened. */
function causeText(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  let text = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') text = parsed.errorMessage;
  } catch {
    // not JSON: keep the text
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Queues whose depth grew during the run: a message there is kept, but someone must look at it. */
export function grownQueues(queues: readonly QueueDepth[]): QueueDepth[] {
  return queues.filter((q) => q.after > q.before);
}

export function buildChaosReport(
  scenario: string,
  runs: readonly OrderRun[],
  deadLetterQueues: readonly QueueDepth[],
  scenarioProblems: readonly string[] = [],
): ChaosReport {
  const orders = runs.map(accountOrder);
  const totals: Record<OrderOutcome, number> = { completed: 0, compensated: 0, 'compensation-failed': 0, stuck: 0, lost: 0 };
  for (const o of orders) totals[o.outcome]++;
  const problems: string[] = [];
  for (const o of orders) {
    if (o.outcome === 'stuck') problems.push(`order ${o.orderId} is stuck: its saga is still running`);
    if (o.outcome === 'lost') {
      const status = runs.find((r) => r.orderId === o.orderId)?.status;
      problems.push(`order ${o.orderId} is lost: ${status === 'NOT_FOUND' ? 'no saga execution for it' : `its execution ended ${status}`}`);
    }
    if (o.outcome === 'compensation-failed') problems.push(`order ${o.orderId}: a compensation failed for good (needs attention)`);
  }
  for (const q of grownQueues(deadLetterQueues))
    if (q.gates !== false) problems.push(`dead-letter queue ${q.name} grew from ${q.before} to ${q.after}`);
  problems.push(...scenarioProblems);
  const accountedFor = orders.length > 0 && orders.every((o) => o.outcome === 'completed' || o.outcome === 'compensated');
  if (orders.length === 0) problems.push('no order was started');
  return {
    scenario,
    orders,
    totals,
    retries: orders.reduce((s, o) => s + o.totalRetries, 0),
    compensations: orders.reduce((s, o) => s + o.compensations.length, 0),
    deadLetterQueues,
    accountedFor,
    problems,
    ok: accountedFor && problems.length === 0,
  };
}

/** The report as people read it. */
export function renderChaosReport(report: ChaosReport): string {
  const lines: string[] = [];
  lines.push(`chaos ${report.scenario}: ${report.orders.length} order(s)`);
  for (const o of report.orders) {
    const retried = Object.entries(o.retries)
      .map(([a, n]) => `${a}×${n}`)
      .join(', ');
    const errs = Object.entries(o.errors)
      .map(([e, n]) => `${e}×${n}`)
      .join(', ');
    lines.push(
      `  ${o.orderId}  ${o.outcome}${o.error ? ` after ${o.error}${o.failedStep ? ` in ${o.failedStep}` : ''}${o.cause ? ` (${o.cause})` : ''}` : ''}` +
        `${o.compensations.length ? `; undone: ${o.compensations.join(', ')}` : ''}` +
        `${retried ? `; retries: ${retried}` : ''}${errs ? `; errors: ${errs}` : ''}`,
    );
  }
  const t = report.totals;
  lines.push(
    `totals: ${t.completed} completed, ${t.compensated} compensated, ${t['compensation-failed']} compensation-failed, ${t.stuck} stuck, ${t.lost} lost; ${report.retries} retries, ${report.compensations} compensations`,
  );
  for (const q of report.deadLetterQueues)
    lines.push(
      `dead letters ${q.name}: ${q.before} -> ${q.after}${q.gates === false && q.after > q.before ? ' (not the saga path: reported only)' : ''}`,
    );
  lines.push(report.accountedFor ? 'accounted for: every order ended completed or compensated' : 'NOT accounted for');
  for (const p of report.problems) lines.push(`problem: ${p}`);
  return `${lines.join('\n')}\n`;
}
