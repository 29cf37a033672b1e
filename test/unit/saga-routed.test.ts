import { SpecError } from '../../core/errors';
import { parseRouteEntry, type RouteEntry } from '../../core/routing';
import { bucketOf } from '../../core/routing/bucket';
import '../../core/saga';
import { buildSagaDefinition, SAGA_ROUTE_SUBSTITUTION, STATE, usedSubstitutions } from '../../core/saga/asl';
import { awaitedActions, buildSagaPlan, compensationsAfter, routedActions, routePath } from '../../core/saga/plan';
import { decideSagaRoute, parseSagaRouteRequest } from '../../core/saga/routing';
import { parseSpec, type SpecInput } from '../../core/spec';
import config from '../../cutover.config';

/*
 * Routed saga steps (owner `routed`): the spec's rules, the plan, the definition's decision and Choice
 * states, and the saga's reading of a routing decision.
 */

type Editable = SpecInput & { saga: Record<string, any>; routing: Record<string, any> };
function variant(edit: (spec: Editable) => void): SpecInput {
  const copy = structuredClone(config) as Editable;
  edit(copy);
  return copy;
}

function problemsOf(input: SpecInput): string[] {
  try {
    parseSpec(input);
    return [];
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
}

const routedPayment = variant((s) => (s.saga.steps.ProcessPayment.owner = 'routed'));

function entry(overrides: Partial<RouteEntry> = {}): RouteEntry {
  return parseRouteEntry({
    capability: 'payment',
    mode: 'canary',
    percent: 50,
    legacy: { target: 'monolith' },
    candidate: { version: 'v1', target: 'payment-v1' },
    stickyKey: 'orderId',
    mirrorInCanary: true,
    legacyShadowInPrimary: false,
    health: 'healthy',
    updatedAt: '2026-11-21T14:30:00Z',
    updatedBy: 'test',
    reason: 'test',
    revision: 3,
    ...overrides,
  });
}

/** An order id whose bucket is below (or at/above) 50. */
function orderIdIn(side: 'below' | 'above'): string {
  for (let i = 0; i < 10_000; i++) {
    const id = String(3_000_000 + i);
    if (bucketOf(id) < 50 === (side === 'below')) return id;
  }
  throw new Error('no such id');
}

describe('Saga: routed steps', () => {
  describe('Spec: owner "routed"', () => {
    it('accepts a routed ProcessPayment with the defaults (its service as capability, orderId as key)', () => {
      // Act
      const spec = parseSpec(routedPayment);

      // Assess
      expect(spec.saga!.steps.ProcessPayment.owner).toBe('routed');
      expect(problemsOf(routedPayment)).toEqual([]);
    });

    it.each([
      [
        'a routed step without the monolith exchange',
        (s: Editable) => (s.saga.steps.NotifyCustomer = { owner: 'routed' }),
        'saga.steps.NotifyCustomer.monolith: owner is "routed"',
      ],
      [
        'a step that cannot be routed',
        (s: Editable) => (s.saga.steps.CreateOrder.owner = 'routed'),
        'saga.steps.CreateOrder.owner: "routed" is not supported for CreateOrder; routable steps: ReserveInventory, ProcessPayment, ScheduleShipping, NotifyCustomer',
      ],
      [
        'a routed ReserveInventory keyed on another key than the inventory capability’s',
        (s: Editable) => Object.assign(s.saga.steps.ReserveInventory, { owner: 'routed', route: { keyField: 'customerId' } }),
        'saga.steps.ReserveInventory.route.keyField: "customerId" is not the sticky key of inventory ("orderId")',
      ],
      [
        'a routed ReserveInventory without its monolith exchange',
        (s: Editable) => (s.saga.steps.ReserveInventory = { owner: 'routed' }),
        'saga.steps.ReserveInventory.monolith: owner is "routed"',
      ],
      [
        'a route on a step that is not routed',
        (s: Editable) => (s.saga.steps.ProcessPayment.route = { capability: 'payment' }),
        'saga.steps.ProcessPayment.route: only a step with owner "routed" asks the routing table; owner is "monolith"',
      ],
      [
        'a capability the routing section does not have',
        (s: Editable) => Object.assign(s.saga.steps.ProcessPayment, { owner: 'routed', route: { capability: 'billing' } }),
        'saga.steps.ProcessPayment.route.capability: "billing" is not a capability of the routing section (known: inventory, payment',
      ],
      [
        'a key field the order does not carry',
        (s: Editable) => Object.assign(s.saga.steps.ProcessPayment, { owner: 'routed', route: { keyField: 'buyer.id' } }),
        'saga.steps.ProcessPayment.route.keyField: "buyer.id" is not a field of order.created',
      ],
      [
        "a key other than the capability's sticky key",
        (s: Editable) => Object.assign(s.saga.steps.ProcessPayment, { owner: 'routed', route: { keyField: 'customerId' } }),
        'saga.steps.ProcessPayment.route.keyField: "customerId" is not the sticky key of payment ("orderId")',
      ],
      [
        'a bad key path',
        (s: Editable) => Object.assign(s.saga.steps.ProcessPayment, { owner: 'routed', route: { keyField: 'order id' } }),
        'saga.steps.ProcessPayment.route.keyField',
      ],
    ])('rejects %s, naming the field and the value', (_name, edit, expected) => {
      // Act
      const problems = problemsOf(variant(edit));

      // Assess
      expect(problems.some((p) => p.includes(expected))).toBe(true);
    });

    it('accepts a key on another capability when it is that capability’s sticky key', () => {
      // Prepare
      const input = variant((s) => {
        s.saga.steps.ProcessPayment.owner = 'routed';
        s.saga.steps.ProcessPayment.route = { capability: 'customers', keyField: 'customerId' };
      });

      // Act
      const plan = buildSagaPlan(parseSpec(input).saga!);

      // Assess
      expect(plan.forward.find((a) => a.id === 'ProcessPayment')!.route).toMatchObject({ capability: 'customers', keyField: 'customerId' });
    });
  });

  describe('Plan', () => {
    it('plans the service side with the monolith side and both sides’ business errors', () => {
      // Act
      const plan = buildSagaPlan(parseSpec(routedPayment).saga!);
      const pay = plan.forward.find((a) => a.id === 'ProcessPayment')!;
      const refund = plan.compensations.find((c) => c.id === 'RefundPayment')!;

      // Assess
      expect(pay).toMatchObject({ owner: 'routed', kind: 'service', operation: 'charge' });
      expect(pay.route).toMatchObject({
        capability: 'payment',
        keyField: 'orderId',
        decidedBy: 'ProcessPayment',
        monolith: { command: 'payment.capture-requested' },
        monolithRejections: ['CardDeclined'],
      });
      expect(refund).toMatchObject({ owner: 'routed', kind: 'service', operation: 'refund' });
      expect(refund.route).toMatchObject({ decidedBy: 'ProcessPayment', monolith: { command: 'payment.refund-requested' } });
      // The service side may hold a payment for review.
      expect(plan.fraudReview).toBeDefined();
      expect(routedActions(plan).map((a) => a.id)).toEqual(['ProcessPayment', 'RefundPayment']);
    });
  });

  describe('Definition', () => {
    const plan = buildSagaPlan(parseSpec(routedPayment).saga!);
    const def = buildSagaDefinition(plan);
    const path = routePath('ProcessPayment');

    it('asks the decision task before the forward step and stamps its answer at $.routes.ProcessPayment', () => {
      // Act
      const decision = def.States[STATE.routeDecision('ProcessPayment')];
      const before = def.States[STATE.auditSucceeded('ReserveInventory')];

      // Assess
      expect(before.Next).toBe(STATE.routeDecision('ProcessPayment'));
      expect(decision).toMatchObject({ Type: 'Task', Resource: `\${${SAGA_ROUTE_SUBSTITUTION}}`, ResultPath: path });
      expect(decision.Parameters).toMatchObject({ step: 'ProcessPayment', capability: 'payment', keyField: 'orderId' });
      expect(usedSubstitutions(def)).toContain(SAGA_ROUTE_SUBSTITUTION);
    });

    it('falls back to the monolith when the decision task fails', () => {
      // Act
      const decision = def.States[STATE.routeDecision('ProcessPayment')];
      const fallback = def.States[STATE.routeFallback('ProcessPayment')];

      // Assess
      expect(decision.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: path, Next: STATE.routeFallback('ProcessPayment') }]);
      expect(fallback.Parameters).toMatchObject({ side: 'monolith', reason: 'decision-failed' });
      expect(fallback.ResultPath).toBe(path);
    });

    it('audits the decision as saga.step-routed, then chooses the side; the compensation reads the same stamp', () => {
      // Act
      const audit = def.States[STATE.auditRouted('ProcessPayment')] as any;
      const forward = def.States[STATE.routedTo('ProcessPayment')] as any;
      const back = def.States[STATE.routedTo('RefundPayment')] as any;

      // Assess
      expect(audit.Parameters.Entries[0]).toMatchObject({ DetailType: 'saga.step-routed', Detail: { data: { 'route.$': path } } });
      for (const [choice, service, monolith] of [
        [forward, 'ProcessPayment', 'ProcessPayment Via Monolith'],
        [back, 'RefundPayment', 'RefundPayment Via Monolith'],
      ]) {
        expect(choice.Type).toBe('Choice');
        expect(JSON.stringify(choice.Choices)).toContain(`"${path}.side"`);
        expect(choice.Choices[0].Next).toBe(service);
        expect(choice.Default).toBe(monolith);
      }
      expect(def.States['ProcessPayment Via Monolith'].Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(def.States['RefundPayment Via Monolith'].Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      // No decision task anywhere on the compensation path.
      const decisionTasks = Object.values(def.States).filter((s) => s.Resource === `\${${SAGA_ROUTE_SUBSTITUTION}}`);
      expect(decisionTasks).toHaveLength(1);
    });

    it('enters the routed compensation at its Choice from wherever compensation starts', () => {
      // Act
      const route = def.States[STATE.routeCompensation].Choices as Array<{ StringEquals: string; Next: string }>;
      const after = def.States[STATE.auditCompensation('CancelShipment')];

      // Assess
      expect(route.find((c) => c.StringEquals === 'RefundPayment')!.Next).toBe(STATE.routedTo('RefundPayment'));
      expect(after.Next).toBe(STATE.routedTo('RefundPayment'));
    });

    it('leaves the reference definition without a decision task', () => {
      // Act
      const reference = buildSagaDefinition(buildSagaPlan(parseSpec(config).saga!));

      // Assess
      expect(usedSubstitutions(reference)).not.toContain(SAGA_ROUTE_SUBSTITUTION);
    });
  });

  describe('a routed ReserveInventory: ConfirmReservation and ReleaseInventory follow its stamp', () => {
    const routedInventory = variant((s) => (s.saga.steps.ReserveInventory.owner = 'routed'));
    const plan = buildSagaPlan(parseSpec(routedInventory).saga!);
    const def = buildSagaDefinition(plan);
    const path = routePath('ReserveInventory');
    const action = (id: string) => [...plan.forward, ...plan.compensations].find((a) => a.id === id)!;

    it('plans the decision on ReserveInventory (the inventory capability, keyed on orderId) and both sides of it', () => {
      // Act
      const reserve = action('ReserveInventory');

      // Assess
      expect(problemsOf(routedInventory)).toEqual([]);
      expect(reserve).toMatchObject({ owner: 'routed', kind: 'service', operation: 'reserve', rejections: ['OutOfStock'] });
      expect(reserve.route).toMatchObject({
        capability: 'inventory',
        keyField: 'orderId',
        decidedBy: 'ReserveInventory',
        monolith: { command: 'inventory.reserve-requested' },
        monolithRejections: ['OutOfStock'],
      });
    });

    it('plans ConfirmReservation on the stamp of ReserveInventory, with no monolith side to call', () => {
      // Act
      const confirm = action('ConfirmReservation');
      const release = action('ReleaseInventory');

      // Assess
      expect(plan.forward.map((a) => a.id)).toEqual([
        'CreateOrder',
        'ReserveInventory',
        'ProcessPayment',
        'ConfirmReservation',
        'ScheduleShipping',
        'NotifyCustomer',
      ]);
      expect(confirm).toMatchObject({ step: 'ReserveInventory', owner: 'routed', kind: 'service', operation: 'commit' });
      expect(confirm.route).toEqual({
        capability: 'inventory',
        keyField: 'orderId',
        decidedBy: 'ReserveInventory',
        monolithRejections: [],
      });
      expect(release.route).toMatchObject({ decidedBy: 'ReserveInventory', monolith: { command: 'inventory.release-requested' } });
      expect(routedActions(plan).map((a) => a.id)).toEqual(['ReserveInventory', 'ConfirmReservation', 'ReleaseInventory']);
      // ConfirmReservation never waits for the monolith: nothing is filed in the callback registry for it.
      expect(awaitedActions(plan).map((a) => a.id)).toEqual([
        'ReserveInventory',
        'ProcessPayment',
        'ScheduleShipping',
        'RefundPayment',
        'ReleaseInventory',
      ]);
      // An expired reservation after payment refunds, then releases (on the stamped side).
      expect(compensationsAfter(plan, 'ConfirmReservation', true)).toEqual(['RefundPayment', 'ReleaseInventory', 'CancelOrder']);
    });

    it('asks once, before ReserveInventory; ConfirmReservation and ReleaseInventory only read the stamp', () => {
      // Act
      const decisions = Object.entries(def.States).filter(([, st]) => st.Resource === `\${${SAGA_ROUTE_SUBSTITUTION}}`);
      const afterPayment = def.States[STATE.auditSucceeded('ProcessPayment')];

      // Assess
      expect(decisions.map(([name]) => name)).toEqual([STATE.routeDecision('ReserveInventory')]);
      expect(decisions[0][1]).toMatchObject({ ResultPath: path, Parameters: { step: 'ReserveInventory', capability: 'inventory' } });
      expect(afterPayment.Next).toBe(STATE.routedTo('ConfirmReservation'));
      expect(def.States[STATE.routeDecision('ConfirmReservation')]).toBeUndefined();
      for (const id of ['ReserveInventory', 'ConfirmReservation', 'ReleaseInventory']) {
        const choice = def.States[STATE.routedTo(id)] as any;
        expect(JSON.stringify(choice.Choices)).toContain(`"${path}.side"`);
        expect(choice.Choices[0].Next).toBe(id);
      }
    });

    it('passes ConfirmReservation on the monolith side without a call, recording that it was skipped', () => {
      // Act
      const choice = def.States[STATE.routedTo('ConfirmReservation')] as any;
      const skip = def.States[STATE.skippedOnMonolith('ConfirmReservation')];

      // Assess
      expect(choice.Default).toBe(STATE.skippedOnMonolith('ConfirmReservation'));
      expect(skip).toMatchObject({
        Type: 'Pass',
        Parameters: { skipped: true, side: 'monolith', 'route.$': path },
        ResultPath: '$.results.ConfirmReservation',
        Next: STATE.auditSucceeded('ConfirmReservation'),
      });
      expect(def.States[STATE.viaMonolith('ConfirmReservation')]).toBeUndefined();
      expect(def.States[STATE.viaMonolith('ReleaseInventory')].Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      // Its success event carries the stamp it followed.
      expect((def.States[STATE.auditSucceeded('ConfirmReservation')] as any).Parameters.Entries[0].Detail.data['route.$']).toBe(path);
    });

    it('routes ReserveInventory and ProcessPayment each on its own decision when both are routed', () => {
      // Prepare
      const both = variant((s) => {
        s.saga.steps.ReserveInventory.owner = 'routed';
        s.saga.steps.ProcessPayment.owner = 'routed';
      });

      // Act
      const d = buildSagaDefinition(buildSagaPlan(parseSpec(both).saga!));
      const decisions = Object.entries(d.States).filter(([, st]) => st.Resource === `\${${SAGA_ROUTE_SUBSTITUTION}}`);

      // Assess
      expect(decisions.map(([name, st]) => [name, st.ResultPath])).toEqual([
        [STATE.routeDecision('ReserveInventory'), routePath('ReserveInventory')],
        [STATE.routeDecision('ProcessPayment'), routePath('ProcessPayment')],
      ]);
      expect(JSON.stringify((d.States[STATE.routedTo('ConfirmReservation')] as any).Choices)).toContain(routePath('ReserveInventory'));
      expect(JSON.stringify((d.States[STATE.routedTo('RefundPayment')] as any).Choices)).toContain(routePath('ProcessPayment'));
    });

    it('keeps a service-owned ReserveInventory’s ConfirmReservation unrouted, and a monolith-owned one without it', () => {
      // Act
      const service = buildSagaPlan(parseSpec(config).saga!);
      const monolith = buildSagaPlan(parseSpec(variant((s) => (s.saga.steps.ReserveInventory.owner = 'monolith'))).saga!);

      // Assess
      expect(service.forward.find((a) => a.id === 'ConfirmReservation')).toMatchObject({ owner: 'service' });
      expect(service.forward.find((a) => a.id === 'ConfirmReservation')!.route).toBeUndefined();
      expect(monolith.forward.map((a) => a.id)).not.toContain('ConfirmReservation');
    });
  });

  describe('decideSagaRoute', () => {
    it.each([
      ['below the percent', orderIdIn('below'), entry(), 'service', 'canary-in'],
      ['at or above the percent', orderIdIn('above'), entry(), 'monolith', 'canary-out'],
      ['legacy mode', orderIdIn('below'), entry({ mode: 'legacy', percent: 0 }), 'monolith', 'mode-legacy'],
      ['primary mode', orderIdIn('above'), entry({ mode: 'primary', percent: 100 }), 'service', 'mode-primary'],
      ['an unhealthy candidate', orderIdIn('below'), entry({ health: 'unhealthy' }), 'monolith', 'candidate-unhealthy'],
    ])('canary 50%%, an order %s: %s', (_name, orderId, e, side, reason) => {
      // Act
      const d = decideSagaRoute('payment', e, { orderId }, 'orderId');

      // Assess
      expect(d).toEqual({ capability: 'payment', side, bucket: bucketOf(orderId), reason, version: 'v1', revision: 3, mode: e.mode });
    });

    it('sends an invalid row, a missing entry and an order without a key to the monolith', () => {
      // Act
      const invalid = decideSagaRoute('payment', 'invalid', { orderId: '1' }, 'orderId');
      const none = decideSagaRoute('payment', undefined, { orderId: '1' }, 'orderId');
      const noKey = decideSagaRoute('payment', entry(), { customerId: 'C1' }, 'orderId');

      // Assess
      expect([invalid.side, invalid.reason]).toEqual(['monolith', 'invalid-route']);
      expect([none.side, none.reason]).toEqual(['monolith', 'no-route']);
      expect([noKey.side, noKey.reason, noKey.bucket]).toEqual(['monolith', 'canary-no-key', null]);
    });

    it('rejects a request without its fields, naming each', () => {
      // Act
      const act = () => parseSagaRouteRequest({ step: 'ProcessPayment', capability: '', order: 'x' });

      // Assess
      expect(act).toThrow(/capability: expected a non-empty string, got ""; keyField: .*; orderId: .*; order: expected an object, got "x"/);
    });
  });
});
