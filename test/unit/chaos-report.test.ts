import { accountOrder, buildChaosReport, renderChaosReport, type OrderRun } from '../../core/chaos/report';
import { CHAOS_SCENARIOS, chaosScenario } from '../../core/chaos/scenarios';
import { validateFaultPlan } from '../../core/saga/faults';
import { summarizeHistory, type HistoryEvent } from '../../core/saga/status';

/** A fake execution history: each action entered, called `attempts` times (failing all but the last unless it fails), exited. */
function history(actions: Array<{ id: string; attempts?: number; error?: string; fails?: boolean }>): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let t = Date.parse('2026-11-21T14:00:00Z');
  const at = () => new Date((t += 100));
  for (const a of actions) {
    events.push({ type: 'TaskStateEntered', timestamp: at(), stateEnteredEventDetails: { name: a.id } });
    const attempts = a.attempts ?? 1;
    for (let i = 1; i <= attempts; i++) {
      events.push({ type: 'TaskScheduled', timestamp: at() });
      if (i < attempts || a.fails)
        events.push({ type: 'TaskFailed', timestamp: at(), taskFailedEventDetails: { error: a.error ?? 'TransientError' } });
      else events.push({ type: 'TaskSucceeded', timestamp: at() });
    }
    if (a.fails) events.push({ type: 'PassStateEntered', timestamp: at(), stateEnteredEventDetails: { name: `${a.id} Failed` } });
    events.push({ type: 'TaskStateExited', timestamp: at(), stateExitedEventDetails: { name: a.id } });
  }
  return events;
}

const completed = (orderId: string, paymentAttempts = 1): OrderRun => ({
  orderId,
  status: 'SUCCEEDED',
  output: { outcome: 'completed' },
  history: summarizeHistory(
    history([
      { id: 'CreateOrder' },
      { id: 'ReserveInventory' },
      { id: 'ProcessPayment', attempts: paymentAttempts },
      { id: 'ConfirmReservation' },
      { id: 'ScheduleShipping' },
      { id: 'NotifyCustomer' },
    ]),
  ),
});

const expired = (orderId: string): OrderRun => ({
  orderId,
  status: 'SUCCEEDED',
  output: {
    outcome: 'compensated',
    failure: {
      Error: 'ReservationExpired',
      Cause: '{"errorMessage": "order 2: reservation RSV2 is expired", "errorType": "ReservationExpired"}',
    },
  },
  history: summarizeHistory(
    history([
      { id: 'CreateOrder' },
      { id: 'ReserveInventory' },
      { id: 'ProcessPayment' },
      { id: 'ConfirmReservation', error: 'ReservationExpired', fails: true },
      { id: 'RefundPayment', attempts: 2 },
      { id: 'ReleaseInventory' },
      { id: 'CancelOrder' },
    ]),
  ),
});

describe('Function: accountOrder', () => {
  it('reads retries per action and the errors behind them from the history', () => {
    // Act
    const report = accountOrder(completed('1000001', 3));

    // Assess
    expect(report).toMatchObject({ outcome: 'completed', retries: { ProcessPayment: 2 }, totalRetries: 2, errors: { TransientError: 2 } });
    expect(report.compensations).toEqual([]);
  });

  it('lists the compensations that ran and the error that stopped the order', () => {
    // Act
    const report = accountOrder(expired('1000002'));

    // Assess
    expect(report).toMatchObject({
      outcome: 'compensated',
      error: 'ReservationExpired',
      failedStep: 'ConfirmReservation',
      cause: 'order 2: reservation RSV2 is expired',
      compensations: ['RefundPayment', 'ReleaseInventory', 'CancelOrder'],
      retries: { RefundPayment: 1 },
    });
  });

  it.each([
    ['a running saga', { orderId: '1', status: 'RUNNING' }, 'stuck'],
    ['no execution', { orderId: '1', status: 'NOT_FOUND' }, 'lost'],
    ['an aborted execution', { orderId: '1', status: 'ABORTED' }, 'lost'],
    ['a succeeded execution without an outcome', { orderId: '1', status: 'SUCCEEDED', output: {} }, 'lost'],
    [
      'a failed compensation',
      { orderId: '1', status: 'FAILED', history: { actions: [], currentState: 'CompensationFailed', error: 'TransientError' } },
      'compensation-failed',
    ],
  ] as Array<[string, OrderRun, string]>)('calls %s %s', (_what, run, outcome) => {
    // Assess
    expect(accountOrder(run).outcome).toBe(outcome);
  });
});

describe('Function: buildChaosReport', () => {
  it('is accounted for when every order completed or was compensated and no dead-letter queue grew', () => {
    // Act
    const report = buildChaosReport('oversell', [completed('1'), expired('2')], [{ name: 'saga', before: 3, after: 3 }]);

    // Assess
    expect(report).toMatchObject({ ok: true, accountedFor: true, problems: [], retries: 1, compensations: 3 });
    expect(report.totals).toEqual({ completed: 1, compensated: 1, 'compensation-failed': 0, stuck: 0, lost: 0 });
  });

  it('fails naming each stuck or lost order, a grown dead-letter queue and the scenario problems', () => {
    // Act
    const report = buildChaosReport(
      'payment-flaky',
      [completed('1'), { orderId: '2', status: 'RUNNING' }, { orderId: '3', status: 'NOT_FOUND' }, { orderId: '4', status: 'ABORTED' }],
      [{ name: 'saga', before: 0, after: 2 }],
      ['oversold: 2 orders'],
    );

    // Assess
    expect(report.ok).toBe(false);
    expect(report.accountedFor).toBe(false);
    expect(report.problems).toEqual([
      'order 2 is stuck: its saga is still running',
      'order 3 is lost: no saga execution for it',
      'order 4 is lost: its execution ended ABORTED',
      'dead-letter queue saga grew from 0 to 2',
      'oversold: 2 orders',
    ]);
  });

  it('reports a grown queue outside the saga path without failing the run', () => {
    // Act
    const report = buildChaosReport('oversell', [completed('1')], [{ name: 'sync-relay', before: 0, after: 4, gates: false }]);

    // Assess
    expect(report.ok).toBe(true);
    expect(renderChaosReport(report)).toContain('dead letters sync-relay: 0 -> 4 (not the saga path: reported only)');
  });

  it('is not ok with no order at all', () => {
    // Assess
    expect(buildChaosReport('x', [], []).ok).toBe(false);
  });

  it('renders one line per order with its outcome, compensations and retries', () => {
    // Act
    const text = renderChaosReport(
      buildChaosReport('oversell', [completed('1', 2), expired('2')], [{ name: 'saga', before: 0, after: 0 }]),
    );

    // Assess
    expect(text).toContain('  1  completed; retries: ProcessPayment×1; errors: TransientError×1');
    expect(text).toContain(
      '  2  compensated after ReservationExpired in ConfirmReservation (order 2: reservation RSV2 is expired); undone: RefundPayment, ReleaseInventory, CancelOrder',
    );
    expect(text).toContain('accounted for: every order ended completed or compensated');
  });
});

describe('Chaos scenarios', () => {
  it.each(CHAOS_SCENARIOS.map((s) => [s.name, s]))('%s: its fault profile is valid', (_name, scenario) => {
    // Assess
    expect(() => validateFaultPlan(scenario.faults(['1000001', '1000002']))).not.toThrow();
  });

  it('oversell: passes one sale and one ReservationExpired refund, and names an oversell', () => {
    // Prepare
    const oversell = chaosScenario('oversell')!;
    const outcomes = [
      { orderId: '1', outcome: 'compensated', error: 'ReservationExpired', failedStep: 'ConfirmReservation' },
      { orderId: '2', outcome: 'completed' },
    ];

    // Act
    const good = oversell.check!({ outcomes, sold: ['2'], stockBefore: 1, stockAfter: 0, retries: 0 });
    const bad = oversell.check!({
      outcomes: [
        { orderId: '1', outcome: 'completed' },
        { orderId: '2', outcome: 'completed' },
      ],
      sold: ['1', '2'],
      stockBefore: 1,
      stockAfter: -1,
      retries: 0,
    });

    // Assess
    expect(good).toEqual([]);
    expect(bad).toEqual([
      'oversold: 2 orders (1, 2) sold 1 unit(s) in stock',
      'stock went negative: -1',
      'expected exactly one order completed, got 2',
      'expected exactly one order compensated after its ConfirmReservation failed (ReservationExpired), got 0',
    ]);
  });

  it('oversell: the slow confirmation only for the first order, the second started once the first reservation expired', () => {
    // Act
    const oversell = chaosScenario('oversell')!;

    // Assess
    expect(oversell.faults(['A', 'B'])['inventory.ConfirmReservation'].orderIds).toEqual(['A']);
    expect(oversell.plan!(['A', 'B'])).toEqual([{ orderId: 'A' }, { orderId: 'B', startAfterReservationOf: 'A' }]);
  });
});
