import { SAGA_COMPENSATIONS } from './steps';

/*
 * `cutover saga status`: a saga's steps, times, current state and compensations, read from the execution
 * history (the Step Functions record of what ran) rather than from what the local spec says should run: a
 * saga started before an owner switch keeps the shape it started with.
 */

/** The part of a GetExecutionHistory event the summary reads (AWS and the emulators agree on these). */
export interface HistoryEvent {
  readonly type: string;
  readonly timestamp: string | Date;
  readonly stateEnteredEventDetails?: { readonly name?: string };
  readonly stateExitedEventDetails?: { readonly name?: string };
  readonly taskFailedEventDetails?: { readonly error?: string; readonly cause?: string };
  readonly executionFailedEventDetails?: { readonly error?: string; readonly cause?: string };
}

export type ActionStatus = 'running' | 'succeeded' | 'failed';

export interface ActionSummary {
  readonly id: string;
  readonly kind: 'step' | 'compensation';
  readonly status: ActionStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  /** Calls made (retries included). */
  readonly attempts: number;
  readonly error?: string;
}

export interface SagaStatusSummary {
  readonly actions: readonly ActionSummary[];
  /** The state the execution is in now (running) or ended in. */
  readonly currentState?: string;
  readonly failedStep?: string;
  readonly error?: string;
}

const FORWARD_IDS = ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ConfirmReservation', 'ScheduleShipping', 'NotifyCustomer'];
const iso = (t: string | Date) => (t instanceof Date ? t.toISOString() : new Date(t).toISOString());

/**
 * The action a state performs: its own name, or the action whose monolith side it is (a routed action's
 * `<Action> Via Monolith`, or `<Action> Not Needed On Monolith` when that side has nothing to do).
 */
function actionOfState(name: string): string {
  const side = / (Via Monolith|Not Needed On Monolith)$/.exec(name);
  return side ? name.slice(0, side.index) : name;
}

export function summarizeHistory(events: readonly HistoryEvent[]): SagaStatusSummary {
  const actions = new Map<
    string,
    {
      id: string;
      kind: 'step' | 'compensation';
      startedAt: string;
      endedAt?: string;
      attempts: number;
      status: ActionStatus;
      error?: string;
    }
  >();
  let current: string | undefined;
  let open: string | undefined;
  let failedStep: string | undefined;
  let error: string | undefined;
  for (const e of events) {
    const enteredState = e.stateEnteredEventDetails?.name;
    if (e.type.endsWith('StateEntered') && enteredState) {
      current = enteredState;
      const entered = actionOfState(enteredState);
      const kind = FORWARD_IDS.includes(entered)
        ? 'step'
        : (SAGA_COMPENSATIONS as readonly string[]).includes(entered)
          ? 'compensation'
          : undefined;
      if (kind) {
        actions.set(entered, { id: entered, kind, startedAt: iso(e.timestamp), attempts: 0, status: 'running' });
        open = entered;
      }
      const failure = /^(.+) (Failed|Rejected)$/.exec(entered);
      if (failure && actions.has(failure[1])) {
        const a = actions.get(failure[1])!;
        a.status = 'failed';
        a.endedAt ??= iso(e.timestamp);
        if (a.kind === 'step') failedStep = a.id;
      }
    }
    if ((e.type === 'TaskScheduled' || e.type === 'TaskStarted') && open && actions.has(open)) {
      if (e.type === 'TaskScheduled') actions.get(open)!.attempts++;
    }
    if (e.type === 'TaskFailed' && open && actions.has(open)) {
      const a = actions.get(open)!;
      a.error = e.taskFailedEventDetails?.error;
      if (a.kind === 'step') error = a.error;
    }
    const exitedState = e.stateExitedEventDetails?.name;
    const exited = exitedState === undefined ? undefined : actionOfState(exitedState);
    if (e.type.endsWith('StateExited') && exited && actions.has(exited)) {
      const a = actions.get(exited)!;
      if (a.status === 'running') a.status = 'succeeded';
      a.endedAt = iso(e.timestamp);
      open = undefined;
    }
    if (e.type === 'ExecutionFailed') error ??= e.executionFailedEventDetails?.error;
  }
  return { actions: [...actions.values()], currentState: current, failedStep, error };
}
