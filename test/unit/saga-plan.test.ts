import { readFileSync } from 'node:fs';
import { buildSagaDefinition, COMPENSATION_FAILED_ERROR, STATE, type AslDefinition } from '../../core/saga/asl';
import { BUSINESS_ERRORS, TRANSIENT_ERRORS } from '../../core/saga/errors';
import { awaitedActions, buildSagaPlan, compensationsAfter, type SagaPlan } from '../../core/saga/plan';
import type { SagaStep, StepOwner } from '../../core/saga/steps';
import { parseSpec, type Spec } from '../../core/spec';
import '../../core/saga';
import config from '../../cutover.config';
import { ASL_FILE, renderReferenceDefinition } from '../../statemachines/render';

const BASE: Spec = parseSpec(config);

function planWith(owners: Partial<Record<SagaStep, StepOwner>> = {}): SagaPlan {
  const spec = structuredClone(BASE);
  for (const [s, o] of Object.entries(owners)) spec.saga!.steps[s as SagaStep].owner = o;
  return buildSagaPlan(parseSpec(spec).saga!);
}

type State = Record<string, unknown> & {
  Type: string;
  Next?: string;
  Retry?: Array<Record<string, unknown>>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string | null }>;
};
const states = (d: AslDefinition) => d.States as unknown as Record<string, State>;

describe('Function: buildSagaPlan', () => {
  it("orders the forward actions as the issue says, with the oversell guard after payment when inventory is the service's", () => {
    expect(planWith().forward.map((a) => `${a.id}:${a.kind}`)).toEqual([
      'CreateOrder:orders-table',
      'ReserveInventory:service',
      'ProcessPayment:monolith',
      'ConfirmReservation:service',
      'ScheduleShipping:service-callback',
      'NotifyCustomer:service',
    ]);
    expect(planWith({ ReserveInventory: 'monolith' }).forward.map((a) => a.id)).not.toContain('ConfirmReservation');
  });

  it('runs compensations in the reverse order of the steps', () => {
    expect(planWith().compensations.map((c) => c.id)).toEqual([
      'SendCancellationNotice',
      'CancelShipment',
      'RefundPayment',
      'ReleaseInventory',
      'CancelOrder',
    ]);
  });

  it.each([
    ['CreateOrder', false, ['CancelOrder']],
    ['ReserveInventory', true, ['CancelOrder']],
    ['ReserveInventory', false, ['ReleaseInventory', 'CancelOrder']],
    ['ProcessPayment', true, ['ReleaseInventory', 'CancelOrder']],
    ['ConfirmReservation', true, ['RefundPayment', 'ReleaseInventory', 'CancelOrder']],
    ['ScheduleShipping', false, ['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder']],
    ['NotifyCustomer', false, ['SendCancellationNotice', 'CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder']],
  ])('after %s fails (business: %s) it compensates %j', (action, rejected, expected) => {
    expect(compensationsAfter(planWith(), action, rejected)).toEqual(expected);
  });

  it('takes the business errors of a monolith step from the spec, and of a service step from the service', () => {
    const ref = planWith();
    expect(ref.forward.find((a) => a.id === 'ProcessPayment')!.rejections).toEqual(['CardDeclined']);
    expect(planWith({ ReserveInventory: 'monolith' }).forward.find((a) => a.id === 'ReserveInventory')).toMatchObject({
      kind: 'monolith',
      rejections: ['OutOfStock'],
      exchange: { command: 'inventory.reserve-requested' },
    });
  });

  it("waits on tokens for the monolith's actions and the carrier", () => {
    expect(awaitedActions(planWith()).map((a) => a.id)).toEqual(['ProcessPayment', 'ScheduleShipping', 'RefundPayment']);
  });

  it('throws naming the field when an unknown action is asked for', () => {
    expect(() => compensationsAfter(planWith(), 'Teleport', false)).toThrow(/unknown saga action Teleport/);
  });
});

describe('Function: buildSagaDefinition', () => {
  const def = buildSagaDefinition(planWith());
  const s = states(def);

  it("statemachines/order-saga.asl.json is the builder's output for the reference spec (run `npx tsx statemachines/render.ts`)", () => {
    expect(readFileSync(ASL_FILE, 'utf8')).toBe(renderReferenceDefinition());
  });

  it('never retries a business error, and every forward step is caught', () => {
    for (const id of ['ReserveInventory', 'ProcessPayment', 'ConfirmReservation', 'ScheduleShipping', 'NotifyCustomer']) {
      const retried = (s[id].Retry ?? []).flatMap((r) => r.ErrorEquals as string[]);
      for (const b of BUSINESS_ERRORS) expect({ id, b, retried: retried.includes(b) }).toEqual({ id, b, retried: false });
      expect(s[id].Catch!.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], Next: STATE.failed(id) });
    }
  });

  it('catches business errors by name into the "rejected" path', () => {
    expect(s.ReserveInventory.Catch![0]).toMatchObject({ ErrorEquals: ['OutOfStock'], Next: 'ReserveInventory Rejected' });
    expect(s['ReserveInventory Rejected']).toMatchObject({
      Result: { step: 'ReserveInventory', kind: 'rejected', compensateFrom: 'CancelOrder' },
    });
    expect(s['ReserveInventory Failed']).toMatchObject({
      Result: { step: 'ReserveInventory', kind: 'error', compensateFrom: 'ReleaseInventory' },
    });
  });

  it('retries transient errors with backoff and full jitter', () => {
    expect(s.ReserveInventory.Retry).toEqual([
      {
        ErrorEquals: [...TRANSIENT_ERRORS],
        IntervalSeconds: 1,
        MaxAttempts: 4,
        BackoffRate: 2,
        MaxDelaySeconds: 20,
        JitterStrategy: 'FULL',
      },
    ]);
  });

  it('waits for the carrier with a task token, a heartbeat and an overall timeout that compensates', () => {
    expect(s.ScheduleShipping).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 3 * 86_400,
      HeartbeatSeconds: 86_400,
      Parameters: { FunctionName: '${ShippingFunctionArn}', Payload: { 'taskToken.$': '$$.Task.Token' } },
    });
  });

  it("sends the monolith's step through saga-commands and resends on a reply timeout", () => {
    expect(s.ProcessPayment).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: 120,
      Parameters: { FunctionName: '${SagaCommandsFunctionArn}' },
    });
    expect(s.ProcessPayment.Retry![0]).toMatchObject({ ErrorEquals: expect.arrayContaining(['States.Timeout']), MaxAttempts: 2 });
  });

  it('retries compensations on anything but a refusal, then goes to CompensationFailed', () => {
    expect(s.RefundPayment.Retry).toEqual([
      { ErrorEquals: ['CompensationRefused', 'InvalidStepInput'], MaxAttempts: 0 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
    ]);
    expect(s.RefundPayment.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.compensationFailure', Next: 'RefundPayment Failed' },
    ]);
    expect(s['RefundPayment Failed'].Next).toBe(STATE.recordNeedsAttention);
    expect(s[STATE.compensationFailed]).toMatchObject({ Type: 'Fail', Error: COMPENSATION_FAILED_ERROR });
  });

  it('chains each compensation to the next one in reverse order, through its audit event', () => {
    const chain: string[] = [];
    let cur: string | undefined = 'SendCancellationNotice';
    while (cur && cur !== STATE.recordCompensated) {
      chain.push(cur);
      cur = s[s[cur].Next!].Next;
    }
    expect(chain).toEqual(['SendCancellationNotice', 'CancelShipment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder']);
  });

  it('holds a payment for fraud review in a Wait state only when the payment service owns the step', () => {
    expect(s[STATE.fraudWait]).toBeUndefined();
    const svc = states(buildSagaDefinition(planWith({ ProcessPayment: 'service' })));
    expect(svc[STATE.fraudWait]).toMatchObject({ Type: 'Wait', Seconds: 60, Next: STATE.fraudCheck });
    expect(svc.ProcessPayment.Next).toBe(STATE.fraudHeld);
  });

  it('emits the audit events with the putEvents integration, never through a Lambda', () => {
    const audits = Object.entries(s).filter(([n]) => n.startsWith('Audit '));
    expect(audits.length).toBeGreaterThan(10);
    for (const [, st] of audits) expect(st.Resource).toBe('arn:aws:states:::events:putEvents');
  });

  it('every Next names a state of the definition, and every state is reachable', () => {
    const names = new Set(Object.keys(s));
    const targets = new Set<string>([def.StartAt]);
    for (const st of Object.values(s)) {
      for (const n of [
        st.Next,
        st.Default,
        ...(st.Catch ?? []).map((c) => c.Next),
        ...((st.Choices as Array<{ Next: string }>) ?? []).map((c) => c.Next),
      ]) {
        if (typeof n === 'string') {
          expect(names.has(n)).toBe(true);
          targets.add(n);
        }
      }
    }
    expect([...names].filter((n) => !targets.has(n))).toEqual([]);
  });
});
