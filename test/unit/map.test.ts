import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { buildSagaPlan } from '../../core/saga';
import { parseSpec, type Spec, type SpecInput } from '../../core/spec';
import {
  budgetOf,
  buildTransactionMap,
  forwardWithoutCompensation,
  HopObserver,
  percentile,
  readAppFacts,
  renderHtml,
  renderMermaid,
  renderSummary,
  type AppFacts,
  type PathHop,
  type Risk,
} from '../../core/map';
import config from '../../cutover.config';
import { ASL_FILE } from '../../statemachines/render';

/*
 * The transaction-boundary map: what it says about the reference spec, and each consistency rule on a spec
 * (or an app) that has the flaw, named with where and why.
 */

const reference = parseSpec(config);
/** The reference spec without its sync section (if it has one), for rules about unsynced data. */
const unsynced = { ...reference, sync: undefined } as unknown as Spec;

function variant(edit: (spec: Record<string, any>) => void): Spec {
  const copy = structuredClone(config) as Record<string, any>;
  edit(copy);
  return parseSpec(copy as SpecInput);
}

const byRule = (risks: readonly Risk[], rule: Risk['rule']) => risks.filter((r) => r.rule === rule);

/** App facts holding only the saga's state machine, with the reference definition edited. */
function appWithDefinition(edit: (states: Record<string, Record<string, any>>) => void): AppFacts {
  const states = (JSON.parse(readFileSync(ASL_FILE, 'utf8')) as { States: Record<string, Record<string, any>> }).States;
  edit(states);
  return readAppFacts(
    [
      {
        stack: 'Cutover-Saga',
        template: {
          Resources: {
            OrderSagaStateMachine15260A25: {
              Type: 'AWS::StepFunctions::StateMachine',
              Properties: { DefinitionString: JSON.stringify({ StartAt: 'Prepare', States: states }) },
            },
          },
        },
      },
    ],
    reference.buses,
  );
}

describe('Function: buildTransactionMap', () => {
  describe('the reference spec', () => {
    const map = buildTransactionMap(reference);

    it('names each service with the side that owns it now and why', () => {
      // Assess
      const owners = Object.fromEntries(map.services.map((s) => [s.name, s.owner]));
      expect(owners).toEqual({
        customers: 'monolith',
        inventory: 'monolith',
        notification: 'monolith',
        orders: 'service',
        payment: 'monolith',
        shipping: 'monolith',
      });
      expect(map.services.find((s) => s.name === 'notification')!.ownerWhy).toMatch(/shadow mode/);
      expect(map.services.find((s) => s.name === 'orders')!.ownerWhy).toMatch(/CreateOrder \(service\)/);
    });

    it('has a flow for every translation in each direction it runs, with the translation', () => {
      // Assess
      for (const t of reference.bridge.translations) {
        const dir = t.direction ?? 'both';
        const toService = map.flows.filter((f) => f.translation?.legacy === t.legacy && f.from === 'monolith');
        expect({ t: t.legacy, n: toService.length }).toEqual({ t: t.legacy, n: dir === 'toLegacy' ? 0 : 1 });
      }
      expect(map.flows).toContainEqual(
        expect.objectContaining({
          kind: 'event',
          from: 'monolith',
          eventType: 'ORDER_PLACED',
          translation: expect.objectContaining({ service: 'order.created', serviceVersion: 2 }),
        }),
      );
      expect(map.flows).toContainEqual(
        expect.objectContaining({
          kind: 'command',
          from: 'saga',
          to: 'monolith',
          eventType: 'payment.capture-requested',
          translation: expect.objectContaining({ legacy: 'CAPTURE_PAYMENT_REQUESTED' }),
        }),
      );
      expect(map.flows).toContainEqual(
        expect.objectContaining({ kind: 'reply', from: 'monolith', to: 'saga', eventType: 'PAYMENT_DECLINED' }),
      );
    });

    it('leaves out the commands of steps the services perform (kept in the spec only for switching back)', () => {
      // Assess
      expect(
        map.flows.filter((f) => f.eventType === 'inventory.reserve-requested' || f.eventType === 'inventory.release-requested'),
      ).toEqual([]);
    });

    it('routes to the monolith in legacy mode and to both in shadow mode', () => {
      // Assess
      const routed = (to: string, type: string) => map.flows.some((f) => f.kind === 'routed' && f.to === to && f.eventType === type);
      expect([routed('monolith', 'customer.updated'), routed('svc:customers', 'customer.updated')]).toEqual([true, false]);
      expect([routed('monolith', 'shipment.dispatched'), routed('svc:notification', 'shipment.dispatched')]).toEqual([true, true]);
    });

    it('lists the saga actions with owner, compensation, attempts, waits and timeouts', () => {
      // Assess
      const fwd = Object.fromEntries(map.saga!.forward.map((a) => [a.id, a]));
      expect(map.saga!.forward.map((a) => a.id)).toEqual([
        'CreateOrder',
        'ReserveInventory',
        'ProcessPayment',
        'ConfirmReservation',
        'ScheduleShipping',
        'NotifyCustomer',
      ]);
      expect(fwd.ProcessPayment).toMatchObject({
        owner: 'monolith',
        compensation: 'RefundPayment',
        command: 'payment.capture-requested',
        maxAttempts: 3,
      });
      expect(fwd.ProcessPayment.waits).toContainEqual(expect.objectContaining({ kind: 'reply', seconds: 120 }));
      expect(fwd.ScheduleShipping.waits.map((w) => [w.kind, w.seconds])).toEqual([
        ['callback', 3 * 86_400],
        ['heartbeat', 86_400],
      ]);
      expect(fwd.ReserveInventory.waits).toContainEqual(expect.objectContaining({ kind: 'reservation', seconds: 900 }));
      expect(fwd.ConfirmReservation.compensation).toBeUndefined();
      expect(map.saga!.compensations.map((c) => c.id)).toEqual([
        'SendCancellationNotice',
        'CancelShipment',
        'RefundPayment',
        'ReleaseInventory',
        'CancelOrder',
      ]);
    });

    it('finds exactly the data written on both sides without sync, and nothing else', () => {
      // Prepare: orders, shipments and stock are written on both sides; those the spec syncs are safe.
      const synced = new Set(map.syncLinks?.map((l) => l.entity) ?? []);
      const expected = ['orders', 'shipments', 'stock'].filter((e) => !synced.has(e));

      // Assess
      expect(map.risks.map((r) => [r.rule, r.where.split(' ')[0]])).toEqual(
        expected.map((e) => ['unsynced-write', `migration.entities.${e}`]),
      );
    });

    it('says why stock is at risk when nothing syncs it: owner and writer on each side', () => {
      // Prepare
      // Act
      const stock = buildTransactionMap(unsynced).risks.find((r) => r.where.startsWith('migration.entities.stock'))!;

      // Assess
      expect(stock.why).toMatch(/owned by the monolith \(routing.capabilities.inventory is in legacy mode/);
      expect(stock.why).toMatch(/saga.steps.ReserveInventory is owned by the service/);
      expect(stock.why).toMatch(/the spec has no sync section/);
    });

    it('budgets the checkout from the declared latency profiles', () => {
      // Prepare
      const steps = ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ScheduleShipping'] as const;
      const declared = steps.map((s) => reference.saga!.steps[s].latency!);

      // Act
      const checkout = map.criticalPaths.find((p) => p.name === 'checkout')!;

      // Assess
      expect(checkout.hops.map((h) => [h.action, h.wait])).toEqual([
        ['CreateOrder', 'call'],
        ['ReserveInventory', 'call'],
        ['ProcessPayment', 'reply'],
        ['ScheduleShipping', 'callback'],
      ]);
      expect(checkout.budget.p50Ms).toBe(declared.reduce((n, l) => n + l.p50Ms, 0));
      expect(checkout.budget.p95Ms).toBe(declared.reduce((n, l) => n + l.p95Ms, 0));
      expect(checkout.budget.interactiveP95Ms).toBe(declared.slice(0, 3).reduce((n, l) => n + l.p95Ms, 0));
      expect(checkout.budget.undeclared).toEqual([]);
      expect(checkout.observed).toBeUndefined();
    });
  });

  it('says which hops have no latency profile, so the budget is known to be incomplete', () => {
    // Prepare
    const spec = variant((s) => {
      delete s.saga.steps.ProcessPayment.latency;
    });

    // Act
    const checkout = buildTransactionMap(spec).criticalPaths[0];

    // Assess
    expect(checkout.budget.undeclared).toEqual(['ProcessPayment']);
    expect(renderSummary(buildTransactionMap(spec))).toMatch(/INCOMPLETE, no profile for ProcessPayment/);
  });

  it('rejects a latency profile whose p95 is below its p50, naming the field', () => {
    // Act
    const act = () =>
      variant((s) => {
        s.saga.steps.CreateOrder.latency = { p50Ms: 100, p95Ms: 50 };
      });

    // Assess
    expect(act).toThrow(/saga\.steps\.CreateOrder\.latency\.p95Ms: must be at least p50Ms/);
  });

  it('takes live routing modes over the spec seeds and says so', () => {
    // Act
    const map = buildTransactionMap(reference, { routes: { customers: { mode: 'primary', percent: 100 } } });

    // Assess
    const customers = map.services.find((s) => s.name === 'customers')!;
    expect(customers).toMatchObject({ owner: 'service', routing: { mode: 'primary', source: 'routing-table' } });
    expect(map.flows.some((f) => f.kind === 'routed' && f.to === 'svc:customers')).toBe(true);
  });
});

describe('Consistency rules', () => {
  describe('Rule: forward-without-compensation', () => {
    it('flags a forward state of the synthesized definition that has no catch-all', () => {
      // Prepare
      const app = appWithDefinition((states) => {
        states.ReserveInventory.Catch = states.ReserveInventory.Catch.filter(
          (c: { ErrorEquals: string[] }) => !c.ErrorEquals.includes('States.ALL'),
        );
      });

      // Act
      const risks = byRule(buildTransactionMap(reference, { app }).risks, 'forward-without-compensation');

      // Assess
      expect(risks).toEqual([
        expect.objectContaining({
          where: 'Cutover-Saga/OrderSagaStateMachine States.ReserveInventory',
          why: expect.stringMatching(/no Catch for States.ALL.*ReleaseInventory/),
        }),
      ]);
    });

    it("flags an action whose failure never reaches its step's compensation", () => {
      // Prepare
      const plan = buildSagaPlan(reference.saga!);
      const broken = {
        ...plan,
        forward: plan.forward.map((a) =>
          a.id === 'ScheduleShipping' ? { ...a, compensation: undefined, compensateFromOnError: null } : a,
        ),
      };

      // Act
      const risks = forwardWithoutCompensation({ spec: reference, plan: broken, services: [], entities: [], consumers: [] });

      // Assess
      expect(risks).toEqual([
        expect.objectContaining({
          where: 'saga.steps.ScheduleShipping (ScheduleShipping)',
          why: expect.stringMatching(/never reach CancelShipment/),
        }),
      ]);
    });

    it('accepts ConfirmReservation, whose failure runs ReleaseInventory through the chain', () => {
      // Act
      const risks = forwardWithoutCompensation({
        spec: reference,
        plan: buildSagaPlan(reference.saga!),
        services: [],
        entities: [],
        consumers: [],
      });

      // Assess
      expect(risks).toEqual([]);
    });
  });

  describe('Rule: crossing-without-idempotency', () => {
    it("flags a command whose legacy message id is taken from the payload, not the saga's event id", () => {
      // Prepare
      const spec = variant((s) => {
        const t = s.bridge.translations.find((x: { service: string }) => x.service === 'payment.capture-requested');
        t.fields.push({ legacy: 'MSG_ID', service: 'orderId' });
      });

      // Act
      const risks = byRule(buildTransactionMap(spec).risks, 'crossing-without-idempotency');

      // Assess
      expect(risks).toEqual([
        expect.objectContaining({
          where: expect.stringContaining('saga.steps.ProcessPayment (ProcessPayment)'),
          why: expect.stringMatching(/de-duplicates CAPTURE_PAYMENT_REQUESTED on MSG_ID.*fills it from orderId/),
        }),
      ]);
    });

    it('flags a service call whose request carries no saga run id', () => {
      // Prepare
      const app = appWithDefinition((states) => {
        delete states.ReserveInventory.Parameters['sagaId.$'];
      });

      // Act
      const risks = byRule(buildTransactionMap(reference, { app }).risks, 'crossing-without-idempotency');

      // Assess
      expect(risks).toEqual([
        expect.objectContaining({
          where: 'Cutover-Saga/OrderSagaStateMachine States.ReserveInventory',
          why: expect.stringMatching(/inventory service.*no sagaId/),
        }),
      ]);
    });

    it('accepts the reference definition (every crossing action sends the saga run id)', () => {
      // Act
      const map = buildTransactionMap(reference, { app: appWithDefinition(() => undefined) });

      // Assess
      expect(map.saga!.definitionFrom).toBe('app');
      expect(byRule(map.risks, 'crossing-without-idempotency')).toEqual([]);
    });
  });

  describe('Rule: unsynced-write', () => {
    it('flags data owned by the services but still written by the monolith', () => {
      // Prepare: payment moved to the service (primary), while the saga still asks the monolith to take payment.
      const map = buildTransactionMap(reference, { routes: { payment: { mode: 'primary', percent: 100 } } });

      // Act
      const risk = map.risks.find((r) => r.where.startsWith('migration.entities.payments'));

      // Assess
      expect(risk).toMatchObject({
        rule: 'unsynced-write',
        why: expect.stringMatching(
          /owned by the service \(routing.capabilities.payment is in primary mode.*written by the monolith \(.*saga.steps.ProcessPayment is owned by the monolith/,
        ),
      });
    });

    it('is satisfied by a sync link for the entity', () => {
      // Prepare
      const spec = { ...reference, sync: { entities: { stock: { policy: 'delta' } } } } as unknown as Spec;

      // Act
      const map = buildTransactionMap(spec);

      // Assess
      expect(map.risks.filter((r) => r.where.startsWith('migration.entities.stock'))).toEqual([]);
      expect(map.entities.find((e) => e.name === 'stock')!.sync).toMatchObject({ policy: 'delta' });
      expect(map.risks.find((r) => r.where.startsWith('migration.entities.orders'))!.why).toMatch(/sync has no link for orders/);
    });
  });

  describe('Rule: untranslated-consumption', () => {
    it('flags an event a capability consumes that nothing produces (no translation, owner not running)', () => {
      // Prepare
      const spec = variant((s) => {
        s.bridge.translations = s.bridge.translations.filter((t: { legacy: string }) => t.legacy !== 'CUSTOMER_UPDATED');
      });

      // Act
      const risks = byRule(buildTransactionMap(spec).risks, 'untranslated-consumption');

      // Assess
      expect(risks).toEqual([
        expect.objectContaining({
          where: 'routing.capabilities.customers.events.customer.updated',
          why: expect.stringMatching(/no translation produces it.*owner customers does not run yet/),
        }),
      ]);
    });

    it("flags a rule of the synthesized app that consumes an event without a schema, but not the kit's own events", () => {
      // Prepare
      const template = {
        Resources: {
          ServicesBusF68FAC46: { Type: 'AWS::Events::EventBus', Properties: { Name: 'shop-services' } },
          GiftRule12345678: {
            Type: 'AWS::Events::Rule',
            Properties: {
              EventBusName: { Ref: 'ServicesBusF68FAC46' },
              EventPattern: { 'detail-type': ['gift.wrapped', 'cutover.routed'] },
              Targets: [{ Arn: { 'Fn::GetAtt': ['GiftFunctionABCDEF12', 'Arn'] } }],
            },
          },
        },
      };

      // Act
      const risks = byRule(
        buildTransactionMap(reference, { app: readAppFacts([{ stack: 'Gifts', template }], reference.buses) }).risks,
        'untranslated-consumption',
      );

      // Assess
      expect(risks).toEqual([
        expect.objectContaining({
          where: 'Gifts/GiftRule',
          why: expect.stringMatching(/rule GiftRule -> GiftFunction consumes gift.wrapped, which has no schema/),
        }),
      ]);
    });
  });

  describe('Rule: sync-without-policy', () => {
    it('flags a sync link with no conflict policy', () => {
      // Prepare
      const spec = { ...reference, sync: { entities: { customers: { fields: {} } } } } as unknown as Spec;

      // Act
      const risks = byRule(buildTransactionMap(spec).risks, 'sync-without-policy');

      // Assess
      expect(risks).toEqual([
        expect.objectContaining({ where: 'sync.entities.customers', why: expect.stringMatching(/no conflict policy/) }),
      ]);
    });

    it.each([
      ['lastWriterWins', 'lastWriterWins'],
      ['manual', 'manual'],
      [{ prefer: 'service' }, 'prefer service'],
      [{ custom: 'stockResolver' }, 'custom stockResolver'],
      [{ mergeFields: { fallback: { prefer: 'monolith' } } }, 'mergeFields (fallback prefer monolith)'],
      [{ kind: 'delta' }, 'delta'],
    ])("reads the sync section's policy %j as %s", (policy, name) => {
      // Prepare
      const spec = {
        ...reference,
        sync: { source: 'shop', entities: { stock: { policy, fields: { onHand: 'delta', reserved: { delta: { fallback: 'manual' } } } } } },
      } as unknown as Spec;

      // Act
      const map = buildTransactionMap(spec);

      // Assess
      expect(map.syncLinks).toEqual([
        {
          entity: 'stock',
          policy: name,
          fieldPolicies: { onHand: 'delta', reserved: 'delta (fallback manual)' },
          where: 'sync.entities.stock',
        },
      ]);
      expect(byRule(map.risks, 'sync-without-policy')).toEqual([]);
    });

    it('accepts field-level policies and policy objects', () => {
      // Prepare
      const spec = {
        ...reference,
        sync: { entities: { customers: { fields: { email: 'lastWriterWins' } }, stock: { policy: { kind: 'delta' } } } },
      } as unknown as Spec;

      // Act
      const map = buildTransactionMap(spec);

      // Assess
      expect(byRule(map.risks, 'sync-without-policy')).toEqual([]);
      expect(map.syncLinks).toEqual([
        expect.objectContaining({ entity: 'customers', fieldPolicies: { email: 'lastWriterWins' } }),
        expect.objectContaining({ entity: 'stock', policy: 'delta' }),
      ]);
    });
  });

  describe('Rule: canary-without-sync', () => {
    it('flags a capability in canary whose data has no sync link', () => {
      // Act
      const map = buildTransactionMap(unsynced, { routes: { customers: { mode: 'canary', percent: 10 } } });

      // Assess
      expect(byRule(map.risks, 'canary-without-sync')).toEqual([
        expect.objectContaining({
          where: 'routing.capabilities.customers (entity customers)',
          why: expect.stringMatching(/canary at 10% \(routing table\)/),
        }),
      ]);
      expect(map.services.find((s) => s.name === 'customers')!.owner).toBe('split');
    });

    it('is satisfied by a sync link with a policy', () => {
      // Prepare
      const spec = { ...reference, sync: { entities: { customers: { policy: 'lastWriterWins' } } } } as unknown as Spec;

      // Act
      const map = buildTransactionMap(spec, { routes: { customers: { mode: 'canary', percent: 10 } } });

      // Assess
      expect(byRule(map.risks, 'canary-without-sync')).toEqual([]);
    });
  });
});

describe('Class: HopObserver', () => {
  const entry = (stream: string, type: string, step: string, at: string) => ({
    stream,
    detailType: type,
    payload: JSON.stringify({ metadata: { occurredAt: at }, data: { step } }),
  });

  it('keeps the first start and the first success of each action per stream, and counts unreadable entries', () => {
    // Prepare
    const o = new HopObserver();

    // Act
    o.add(entry('order-1', 'saga.step-succeeded', 'CreateOrder', '2026-01-01T00:00:00.300Z'));
    o.add(entry('order-1', 'saga.step-started', 'CreateOrder', '2026-01-01T00:00:00.100Z'));
    o.add(entry('order-1', 'saga.step-started', 'CreateOrder', '2026-01-01T00:00:00.200Z'));
    o.add({ stream: 'order-1', detailType: 'saga.step-started', payload: '{not json' });
    o.add({ stream: 'order-1', detailType: 'order.created', payload: '{}' });
    const result = o.result();

    // Assess
    expect(result.runs).toEqual([
      {
        stream: 'order-1',
        actions: { CreateOrder: { startMs: Date.parse('2026-01-01T00:00:00.100Z'), endMs: Date.parse('2026-01-01T00:00:00.300Z') } },
      },
    ]);
    expect([result.entriesRead, result.entriesSkipped]).toEqual([5, 1]);
  });

  it('overlays p50/p95 per hop and end to end on the checkout', () => {
    // Prepare: 20 runs, ReserveInventory takes 100, 110, ... 290 ms.
    const o = new HopObserver();
    for (let i = 0; i < 20; i++) {
      const t0 = Date.UTC(2026, 0, 1, 0, 0, i);
      const at = (ms: number) => new Date(t0 + ms).toISOString();
      o.add(entry(`order-${i}`, 'saga.step-started', 'CreateOrder', at(0)));
      o.add(entry(`order-${i}`, 'saga.step-succeeded', 'CreateOrder', at(10)));
      o.add(entry(`order-${i}`, 'saga.step-started', 'ReserveInventory', at(20)));
      o.add(entry(`order-${i}`, 'saga.step-succeeded', 'ReserveInventory', at(20 + 100 + i * 10)));
    }

    // Act
    const checkout = buildTransactionMap(reference, { observed: o.result() }).criticalPaths[0];

    // Assess
    expect(checkout.hops.find((h) => h.action === 'ReserveInventory')!.observed).toEqual({ p50Ms: 190, p95Ms: 280, samples: 20 });
    expect(checkout.hops.find((h) => h.action === 'ProcessPayment')!.observed).toBeUndefined();
    expect(checkout.observed).toBeUndefined(); // no run completed the whole path
  });
});

describe('Function: percentile', () => {
  it.each([
    [[5], 50, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 95, 4],
    [[10, 1, 7], 0, 1],
    [[], 50, undefined],
  ])('percentile(%j, %d) is %s (nearest rank)', (samples, p, expected) => {
    expect(percentile(samples, p)).toBe(expected);
  });

  it('is one of the samples, and never decreases as p grows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e7 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (samples, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(samples).toContain(percentile(samples, lo));
          expect(percentile(samples, lo)!).toBeLessThanOrEqual(percentile(samples, hi)!);
        },
      ),
      { seed: 12, numRuns: 200 },
    );
  });
});

describe('Function: budgetOf', () => {
  const hop = fc.record({
    wait: fc.constantFrom<'call' | 'reply' | 'callback'>('call', 'reply', 'callback'),
    declared: fc.option(fc.record({ p50Ms: fc.integer({ min: 0, max: 1e6 }), extra: fc.integer({ min: 0, max: 1e6 }) }), {
      nil: undefined,
    }),
  });

  it('sums declared hops, keeps callbacks out of the interactive budget, and lists the undeclared', () => {
    fc.assert(
      fc.property(fc.array(hop, { maxLength: 8 }), (raw) => {
        // Prepare
        const hops: PathHop[] = raw.map((h, i) => ({
          action: `A${i}`,
          from: 'x',
          to: 'y',
          owner: 'service',
          wait: h.wait,
          ...(h.declared ? { declared: { p50Ms: h.declared.p50Ms, p95Ms: h.declared.p50Ms + h.declared.extra } } : {}),
        }));

        // Act
        const b = budgetOf(hops);

        // Assess
        expect(b.p50Ms).toBe(hops.reduce((n, h) => n + (h.declared?.p50Ms ?? 0), 0));
        expect(b.interactiveP95Ms).toBe(hops.filter((h) => h.wait !== 'callback').reduce((n, h) => n + (h.declared?.p95Ms ?? 0), 0));
        expect(b.interactiveP50Ms).toBeLessThanOrEqual(b.p50Ms);
        expect(b.p50Ms).toBeLessThanOrEqual(b.p95Ms);
        expect(b.undeclared).toEqual(hops.filter((h) => !h.declared).map((h) => h.action));
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('Function: readAppFacts', () => {
  it('places rules on the spec buses through Ref and Fn::ImportValue, and reads Fn::Join definitions', () => {
    // Prepare
    const bridge = { Resources: { LegacyBusD866B3A7: { Type: 'AWS::Events::EventBus', Properties: { Name: 'shop-legacy' } } } };
    const saga = {
      Resources: {
        Commands12345678: {
          Type: 'AWS::Events::Rule',
          Properties: {
            EventBusName: { 'Fn::ImportValue': 'Cutover-Bridge:ExportsOutputRefLegacyBusD866B3A7ADEF5BD8' },
            EventPattern: { 'detail-type': ['RESERVE_STOCK_REQUESTED'] },
            Targets: [{ Arn: { 'Fn::GetAtt': ['MonolithFnAAAABBBB', 'Arn'] } }],
          },
        },
        Heartbeat12345678: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(6 hours)', Targets: [] } },
        MachineABCDEF12: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: { DefinitionString: { 'Fn::Join': ['', ['{"States":{"A":{"Resource":"', { Ref: 'Fn' }, '"}}}']] } },
        },
        BrokenABCDEF12: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: '{oops' } },
      },
    };

    // Act
    const facts = readAppFacts(
      [
        { stack: 'Cutover-Bridge', template: bridge },
        { stack: 'Cutover-Saga', template: saga },
      ],
      reference.buses,
    );

    // Assess
    expect(facts.rules.map((r) => [r.id, r.bus, r.detailTypes, r.targets])).toEqual([
      ['Commands12345678', 'legacy', ['RESERVE_STOCK_REQUESTED'], ['MonolithFn']],
      ['Heartbeat12345678', undefined, [], []],
    ]);
    expect(facts.stateMachines[0].definition).toEqual({ States: { A: { Resource: '${token}' } } });
    expect(facts.stateMachines[1].problem).toMatch(/not JSON/);
  });
});

describe('Renderers', () => {
  const map = buildTransactionMap(unsynced, { routes: { customers: { mode: 'canary', percent: 25 } } });

  it('Mermaid: one node per service coloured by owner, risky data marked, labels escaped', () => {
    // Act
    const mermaid = renderMermaid(map);

    // Assess
    expect(mermaid.startsWith('flowchart LR\n')).toBe(true);
    for (const s of map.services) expect(mermaid).toContain(`svc_${s.name}["${s.name}<br/>owner: ${s.owner}`);
    expect(mermaid).toMatch(/svc_customers\["customers<br\/>owner: split · canary 25%"\]:::split/);
    expect(mermaid).toMatch(/data_stock\[\("stock<br\/>stock → inventory"\)\]:::risk/);
    expect(mermaid).toMatch(/data_products\[\("products<br\/>products → catalog"\)\]:::data/);
    expect(mermaid).not.toMatch(/\|"[^"\n]*"[^|\n]*"\|/); // no raw quote inside an edge label
  });

  it('Mermaid: a synced entity shows its policy and is no longer marked at risk', () => {
    // Prepare
    const spec = { ...reference, sync: { source: 'shop', entities: { stock: { policy: { prefer: 'monolith' } } } } } as unknown as Spec;

    // Act
    const mermaid = renderMermaid(buildTransactionMap(spec));

    // Assess
    expect(mermaid).toMatch(/data_stock\[\("stock<br\/>stock → inventory<br\/>sync: prefer monolith"\)\]:::data/);
  });

  it('HTML: self-contained (no script, no external reference), with every risk and the checkout budget', () => {
    // Act
    const html = renderHtml(map);

    // Assess
    expect(html).not.toMatch(/<script|<link|src=|url\(http|href="http/i);
    expect(html).toContain('<svg');
    for (const r of map.risks) expect(html).toContain(r.where.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(html).toMatch(/checkout: CreateOrder → ReserveInventory → ProcessPayment → ScheduleShipping/);
  });

  it('summary: every risk with where and why', () => {
    // Act
    const text = renderSummary(map);

    // Assess
    for (const r of map.risks) {
      expect(text).toContain(`${r.rule} at ${r.where}`);
      expect(text).toContain(r.why);
    }
  });
});
