import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AslDefinition } from '../../core/saga/asl';
import { STATE } from '../../core/saga/asl';
import type { FaultPlan } from '../../core/saga/faults';
import type { ActionImplementation } from '../../core/saga/implementations';
import { compensationsAfter, routedActions, type SagaPlan } from '../../core/saga/plan';
import type { SagaStep, StepOwner } from '../../core/saga/steps';
import { startDynalite, type Dynalite } from '../support/saga/dynalite';
import { makeOrder, SagaWorld, type SagaRunResult } from '../support/saga/world';

/*
 * Proof that the saga's failure handling is exercised in full: for each owner layout, every Catch of every
 * state in the definition (business rejections, ambiguous errors, bookkeeping failures, compensations that
 * fail) is taken at least once, every compensation both succeeds and fails, and compensation starts from
 * each possible point. The branches are read from the definition, not listed by hand, so a new Catch
 * without a scenario that takes it fails this test.
 */

const STOCK = { 'MUG-0001': 10, 'TEA-0042': 5 };
const BOOKKEEPING_ERROR_PATH = '$.bookkeepingError';

interface Scenario {
  readonly name: string;
  readonly faults?: FaultPlan;
  /** States whose integration (DynamoDB, putEvents) fails every time. */
  readonly failStates?: readonly string[];
  readonly order?: Record<string, unknown>;
  /** The order is in the orders table before the saga starts (a redelivered CreateOrder). */
  readonly orderExists?: boolean;
  /** For a plan with routed steps: the side every decision answers, or a decision task that fails. */
  readonly route?: 'service' | 'monolith' | 'fail';
}

type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string | null };

/** Every catcher of the definition as "<state> -> <next> on <errors>". */
function catchBranches(definition: AslDefinition): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) =>
    ((state.Catch ?? []) as unknown as Catcher[]).map((c) => branchId(name, c)),
  );
}
const branchId = (state: string, c: Catcher) => `${state} -> ${c.Next} on ${c.ErrorEquals.join('|')}`;

/** Task states whose only Catch is the bookkeeping one: their failure must never stop the saga. */
function bookkeepingStates(definition: AslDefinition): string[] {
  return Object.entries(definition.States)
    .filter(([, state]) => ((state.Catch ?? []) as unknown as Catcher[]).some((c) => c.ResultPath === BOOKKEEPING_ERROR_PATH))
    .map(([name]) => name);
}

/** The scenarios for a plan, derived from its actions: each forward action rejected and failed, each compensation refused. */
function scenariosFor(plan: SagaPlan, definition: AslDefinition): Scenario[] {
  const big = { amount: { total: '6000.00', currency: 'EUR' } };
  const out: Scenario[] = [
    { name: 'happy path', order: plan.fraudReview ? big : undefined },
    { name: 'CreateOrder redelivered', orderExists: true },
  ];
  for (const a of plan.forward) {
    if (a.rejections.length > 0)
      out.push({ name: `${a.id} rejects with ${a.rejections[0]}`, faults: { [a.id]: { failAlways: a.rejections[0] } } });
    out.push({ name: `${a.id} fails with Boom`, faults: { [a.id]: { failAlways: 'Boom' } } });
  }
  if (plan.fraudReview)
    out.push({ name: 'the fraud review check fails', order: big, faults: { CheckFraudReview: { failAlways: 'Boom' } } });
  for (const c of plan.compensations) {
    // The step's own failure starts compensation at c; a refusal is permanent, so c fails at once.
    out.push({ name: `${c.id} is refused`, faults: { [c.step]: { failAlways: 'Boom' }, [c.id]: { failAlways: 'CompensationRefused' } } });
  }
  const bookkeeping = bookkeepingStates(definition);
  const last = plan.forward.at(-1)!.id;
  const beforeLast = plan.forward.at(-2)!.id;
  out.push(
    { name: 'every bookkeeping write fails on the happy path', failStates: bookkeeping, order: plan.fraudReview ? big : undefined },
    // Failing the last step runs its own compensation; failing the one before runs every other one.
    ...[last, beforeLast].map((id) => ({
      name: `every bookkeeping write fails while compensating ${id}`,
      failStates: bookkeeping,
      faults: { [id]: { failAlways: 'Boom' } },
    })),
    {
      name: `every bookkeeping write fails when a compensation fails after ${last}`,
      failStates: bookkeeping,
      faults: { [last]: { failAlways: 'Boom' }, [plan.compensations[0].id]: { failAlways: 'CompensationRefused' } },
    },
  );
  if (routedActions(plan).length === 0) return out;
  // Routed steps: every scenario on each side of the decision, and a decision that fails (the monolith then).
  return [
    ...out.map((sc) => ({ ...sc, route: 'service' as const })),
    ...out.map((sc) => ({ ...sc, name: `${sc.name} (monolith side)`, route: 'monolith' as const })),
    { name: 'the routing decision fails', route: 'fail' },
  ];
}

/** A decision task answering one side for every order, or failing as an unreachable table would. */
function fixedRoute(route: Scenario['route']): ((event: unknown) => Promise<unknown>) | undefined {
  if (route === undefined) return undefined;
  return async (event) => {
    if (route === 'fail') throw Object.assign(new Error('routing table unreachable'), { name: 'ResourceNotFoundException' });
    const { capability } = event as { capability: string };
    return {
      capability,
      side: route,
      bucket: 7,
      reason: route === 'service' ? 'canary-in' : 'canary-out',
      version: 'v1',
      revision: 1,
      mode: 'canary',
    };
  };
}

interface Layout {
  readonly owners: Partial<Record<SagaStep, StepOwner>>;
  readonly implementations?: Readonly<Record<string, ActionImplementation>>;
}

// Bring your own services: each kind of user implementation on some actions, the reference services on the rest.
const OWN_SERVICES: Layout = {
  owners: { ProcessPayment: 'service' },
  implementations: {
    ProcessPayment: { kind: 'http', rejections: { 402: 'CardDeclined' } },
    RefundPayment: { kind: 'http', method: 'POST' },
    ReserveInventory: { kind: 'stateMachine' },
    ReleaseInventory: { kind: 'stateMachine' },
    ScheduleShipping: { kind: 'lambda' },
    NotifyCustomer: { kind: 'lambda' },
    SendCancellationNotice: { kind: 'lambda' },
  },
};

const layouts: Layout[] = [
  { owners: {} },
  { owners: { ProcessPayment: 'service' } },
  { owners: { ReserveInventory: 'monolith' } },
  OWN_SERVICES,
  { owners: { ProcessPayment: 'routed' } },
  // ConfirmReservation and ReleaseInventory follow ReserveInventory's stamp (ConfirmReservation passes on the monolith side).
  { owners: { ReserveInventory: 'routed' } },
];

describe('State machine: order saga branch coverage', () => {
  let db: Dynalite;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });

  describe.each(layouts)('layout %j', ({ owners, implementations }) => {
    let definition: AslDefinition;
    let plan: SagaPlan;
    const runs: Array<{ scenario: Scenario; run: SagaRunResult; userCalls: SagaWorld['userCalls'] }> = [];

    beforeAll(async () => {
      ({ definition, plan } = await SagaWorld.create({ db, owners, implementations, sagaRoute: fixedRoute('monolith') }));
      for (const scenario of scenariosFor(plan, definition)) {
        const w = await SagaWorld.create({ db, owners, implementations, faults: scenario.faults, sagaRoute: fixedRoute(scenario.route) });
        await w.stock(STOCK);
        for (const s of scenario.failStates ?? []) w.integrationFaults.set(s, { error: 'Boom', times: 1_000 });
        const order = makeOrder(scenario.order);
        if (scenario.orderExists)
          await db.doc.send(new PutCommand({ TableName: w.tables.orders, Item: { orderId: order.orderId, status: 'pending' } }));
        runs.push({ scenario, run: await w.run(order), userCalls: w.userCalls });
      }
    }, 600_000);

    const caught = () =>
      new Set(
        runs.flatMap(({ run }) =>
          run.log
            .filter((e) => e.type === 'StateCaught')
            .map((e) => branchId((e.state as { name: string }).name, (e.catch as { catcher: Catcher }).catcher)),
        ),
      );
    const entered = () =>
      runs.map(({ run }) => run.log.filter((e) => e.type === 'StateEntered').map((e) => (e.state as { name: string }).name));

    it('takes every Catch of the definition at least once', () => {
      // Prepare
      const all = catchBranches(definition);

      // Act
      const taken = caught();

      // Assess
      expect(all.length).toBeGreaterThan(plan.forward.length + plan.compensations.length);
      expect(all.filter((b) => !taken.has(b))).toEqual([]);
    });

    it('runs every compensation to success and to failure', () => {
      // Prepare
      const paths = entered();
      // A user implementation's answer may be read (and checked for a reported error) between the task and its audit.
      const followed = (from: string, to: string) =>
        paths.some((p) =>
          p.some(
            (s, i) => s === from && p.slice(i + 1).find((n) => !n.startsWith(`Read ${from} `) && !n.startsWith(`${from} Reported`)) === to,
          ),
        );

      // Act
      const missing = plan.compensations.flatMap((c) => [
        ...(followed(c.id, STATE.auditCompensation(c.id)) ? [] : [`${c.id} succeeded`]),
        ...(followed(c.id, STATE.compensationFailedFor(c.id)) ? [] : [`${c.id} failed`]),
      ]);

      // Assess
      expect(missing).toEqual([]);
    });

    it('starts compensation from each compensation the routing Choice names', () => {
      // Prepare
      const paths = entered();
      const choices = (definition.States[STATE.routeCompensation].Choices as Array<{ Next: string }>).map((c) => c.Next);

      // Act
      const started = new Set(paths.flatMap((p) => p.flatMap((s, i) => (s === STATE.routeCompensation ? [p[i + 1]] : []))));

      // Assess
      expect(choices.filter((c) => !started.has(c))).toEqual([]);
    });

    it('treats a business error as a rejection whichever kind reported it, compensating only what came before', () => {
      // Prepare
      const rejecting = plan.forward.filter((a) => a.rejections.length > 0);

      // Act
      const seen = rejecting.map((a) => {
        const { run } = runs.find(({ scenario }) => scenario.name === `${a.id} rejects with ${a.rejections[0]}`)!;
        const failed = run.audit.find((e) => e.type === 'saga.step-failed')?.data;
        const undone = run.audit.filter((e) => e.type === 'saga.compensation-succeeded').map((e) => e.data.compensation);
        return { action: a.id, kind: failed?.kind, error: (failed?.error as { Error?: string } | undefined)?.Error, undone };
      });

      // Assess
      expect(seen).toEqual(
        rejecting.map((a) => ({ action: a.id, kind: 'rejected', error: a.rejections[0], undone: compensationsAfter(plan, a.id, true) })),
      );
    });

    it('calls the user implementations, never the reference service, for the actions they replace', () => {
      // Prepare
      const replaced = Object.entries(implementations ?? {}).filter(([, impl]) => impl.kind !== 'reference');
      const happy = runs.find(({ scenario }) => scenario.name === 'happy path')!;

      // Act
      const called = new Map(runs.flatMap((r) => r.userCalls).map((c) => [c.action, c.kind]));

      // Assess
      expect(happy.run.outcome).toBe('completed');
      expect(Object.fromEntries(called)).toEqual(Object.fromEntries(replaced.map(([id, impl]) => [id, impl.kind])));
    });

    it('ends every scenario completed, compensated or in CompensationFailed, never in an unexpected failure', () => {
      // Act
      const unexpected = runs
        .filter(({ run }) => run.outcome === 'failed')
        .map(({ scenario, run }) => `${scenario.name}: ${run.error?.name}`);

      // Assess
      expect(unexpected).toEqual([]);
    });
  });
});
