import { buildSagaDefinition, STATE, substitute, usedSubstitutions, type AslDefinition } from '../../core/saga/asl';
import { ConfigurationError } from '../../core/errors';
import { TRANSIENT_ERRORS } from '../../core/saga/errors';
import {
  checkImplementation,
  httpStatusError,
  implementationSubstitutions,
  type ActionImplementation,
} from '../../core/saga/implementations';
import { buildSagaPlan, type SagaPlan } from '../../core/saga/plan';
import type { SagaStep, StepOwner } from '../../core/saga/steps';
import { parseSpec, type Spec } from '../../core/spec';
import '../../core/saga';
import config from '../../cutover.config';

const BASE: Spec = parseSpec(config);
const SERVICE_PAYMENT = { ProcessPayment: 'service' } as const;

function planWith(
  implementations: Record<string, ActionImplementation>,
  owners: Partial<Record<SagaStep, StepOwner>> = SERVICE_PAYMENT,
): SagaPlan {
  const spec = structuredClone(BASE);
  for (const [s, o] of Object.entries(owners)) spec.saga!.steps[s as SagaStep].owner = o;
  return buildSagaPlan(parseSpec(spec).saga!, { implementations });
}

type State = Record<string, unknown> & {
  Type: string;
  Next?: string;
  Default?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Retry?: Array<{ ErrorEquals: string[] }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Choices?: Array<Record<string, unknown>>;
};
const states = (d: AslDefinition) => d.States as unknown as Record<string, State>;

describe('Function: buildSagaPlan with implementations', () => {
  it('keeps the reference service for every action not named, and the named kind for the others', () => {
    // Act
    const plan = planWith({ ProcessPayment: { kind: 'http' }, ReleaseInventory: { kind: 'stateMachine' } });

    // Assess
    const kinds = Object.fromEntries([...plan.forward, ...plan.compensations].map((a) => [a.id, a.implementation.kind]));
    expect(kinds).toMatchObject({
      ProcessPayment: 'http',
      ReleaseInventory: 'stateMachine',
      ReserveInventory: 'reference',
      RefundPayment: 'reference',
    });
  });

  it('puts the review loop on the action that holds for review, whoever implements it', () => {
    // Act
    const plan = planWith({ ProcessPayment: { kind: 'lambda' } });

    // Assess
    expect(plan.forward.filter((a) => a.review).map((a) => [a.id, a.review!.operation])).toEqual([['ProcessPayment', 'review']]);
    expect(planWith({}, {}).forward.some((a) => a.review)).toBe(false);
  });

  it.each<[string, Record<string, ActionImplementation>, Partial<Record<SagaStep, StepOwner>>, RegExp]>([
    [
      'an unknown action',
      { ChargeCard: { kind: 'lambda' } },
      SERVICE_PAYMENT,
      /implementations\.ChargeCard: not an action of the saga; known: .*ProcessPayment/,
    ],
    ['a monolith-owned step', { ProcessPayment: { kind: 'lambda' } }, {}, /owned by the monolith/],
    ['a monolith-owned compensation', { RefundPayment: { kind: 'http' } }, {}, /RefundPayment is owned by the monolith/],
    ["the saga's own orders table", { CreateOrder: { kind: 'lambda' } }, SERVICE_PAYMENT, /orders table directly/],
    ['an HTTP task on a callback step', { ScheduleShipping: { kind: 'http' } }, SERVICE_PAYMENT, /cannot hand over/],
    [
      'a rejection that is not a status code',
      { ProcessPayment: { kind: 'http', rejections: { 200: 'CardDeclined' } } },
      SERVICE_PAYMENT,
      /200 is not a non-2xx/,
    ],
    [
      'a rejection naming no business error',
      { ProcessPayment: { kind: 'http', rejections: { 402: 'OutOfStock' } } },
      SERVICE_PAYMENT,
      /"OutOfStock" is not a business error of ProcessPayment; known: CardDeclined/,
    ],
    [
      'an unknown method',
      { ProcessPayment: { kind: 'http', method: 'TRACE' as never } },
      SERVICE_PAYMENT,
      /method: expected one of GET, POST/,
    ],
  ])('refuses %s, naming the setting', (_name, implementations, owners, message) => {
    // Act
    const build = () => planWith(implementations, owners);

    // Assess
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(message);
  });

  it('accepts the reference kind anywhere, even where no other kind may go', () => {
    expect(() => checkImplementation({ id: 'CreateOrder', owner: 'service', kind: 'orders-table' }, { kind: 'reference' })).not.toThrow();
  });
});

describe('Function: buildSagaDefinition with implementations', () => {
  it("invokes the user's Lambda through its own placeholder, catching its business errors by name", () => {
    // Act
    const d = buildSagaDefinition(planWith({ ProcessPayment: { kind: 'lambda' }, RefundPayment: { kind: 'lambda' } }));

    // Assess
    const pay = states(d).ProcessPayment;
    expect(pay.Resource).toBe('${ProcessPaymentImplementation}');
    expect(pay.Parameters).toMatchObject({ action: 'charge', step: 'ProcessPayment', 'order.$': '$.order' });
    expect(pay.Catch![0]).toEqual({ ErrorEquals: ['CardDeclined'], ResultPath: '$.failure', Next: STATE.rejected('ProcessPayment') });
    expect(states(d)[STATE.fraudCheck].Resource).toBe('${ProcessPaymentImplementation}');
    expect(states(d).RefundPayment.Resource).toBe('${RefundPaymentImplementation}');
    expect(usedSubstitutions(d)).toEqual(expect.arrayContaining(['ProcessPaymentImplementation', 'RefundPaymentImplementation']));
    expect(usedSubstitutions(d)).not.toContain('PaymentFunctionArn');
  });

  it("keeps the task token for a callback step on the user's Lambda", () => {
    // Act
    const d = buildSagaDefinition(planWith({ ScheduleShipping: { kind: 'lambda' } }));

    // Assess
    const ship = states(d).ScheduleShipping;
    expect(ship.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(ship.Parameters).toMatchObject({
      FunctionName: '${ScheduleShippingImplementation}',
      Payload: { 'taskToken.$': '$$.Task.Token' },
    });
    expect(ship.Retry![0].ErrorEquals).not.toContain('States.Timeout');
  });

  it('runs a state machine to its end, reads its output, and routes a reported business error to the rejected path', () => {
    // Act
    const d = buildSagaDefinition(planWith({ ReserveInventory: { kind: 'stateMachine' }, ReleaseInventory: { kind: 'stateMachine' } }));

    // Assess
    const s = states(d);
    expect(s.ReserveInventory).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: {
        StateMachineArn: '${ReserveInventoryImplementation}',
        Input: { action: 'reserve', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
      },
      Next: STATE.readResult('ReserveInventory'),
    });
    expect(s.ReserveInventory.Catch!.map((c) => c.ErrorEquals)).toEqual([['States.ALL']]);
    expect(s[STATE.readResult('ReserveInventory')]).toMatchObject({ Type: 'Pass', InputPath: '$.results.ReserveInventory.Output' });
    expect(s[STATE.reportedError('ReserveInventory')].Default).toBe(STATE.auditSucceeded('ReserveInventory'));
    expect(s[STATE.reportedKind('ReserveInventory')]).toMatchObject({
      Choices: [{ StringEquals: 'OutOfStock', Next: STATE.rejected('ReserveInventory') }],
      Default: STATE.failed('ReserveInventory'),
    });
    // A compensation's reported error is its failure: on to the needs-attention path.
    expect(s[STATE.reportedFailure('ReleaseInventory')]).toMatchObject({
      ResultPath: '$.compensationFailure',
      Next: STATE.compensationFailedFor('ReleaseInventory'),
    });
  });

  it("calls a provider's HTTP API with the connection, mapping its status codes to business errors and retrying its 429/5xx", () => {
    // Act
    const d = buildSagaDefinition(
      planWith({
        ProcessPayment: { kind: 'http', method: 'PUT', rejections: { 402: 'CardDeclined' }, headers: { 'Idempotency-Key': 'x' } },
      }),
    );

    // Assess
    const s = states(d);
    expect(s.ProcessPayment).toMatchObject({
      Resource: 'arn:aws:states:::http:invoke',
      Parameters: {
        ApiEndpoint: '${ProcessPaymentEndpoint}',
        Method: 'PUT',
        Authentication: { ConnectionArn: '${ProcessPaymentConnection}' },
        Headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'x' },
        RequestBody: { action: 'charge', step: 'ProcessPayment' },
      },
    });
    expect(s.ProcessPayment.Catch![0]).toEqual({
      ErrorEquals: [httpStatusError(402)],
      ResultPath: '$.failure',
      Next: STATE.answered('ProcessPayment', 402),
    });
    expect(s[STATE.answered('ProcessPayment', 402)]).toMatchObject({
      Parameters: { Error: 'CardDeclined' },
      Next: STATE.rejected('ProcessPayment'),
    });
    expect(s.ProcessPayment.Retry![0].ErrorEquals).toEqual(['States.Timeout', ...[429, 500, 502, 503, 504].map(httpStatusError)]);
    expect(s.ProcessPayment.Retry![0].ErrorEquals).not.toContain(TRANSIENT_ERRORS[0]);
    // The answer is the response body; the fraud hold reads it.
    expect(s[STATE.readResult('ProcessPayment')]).toMatchObject({
      InputPath: '$.results.ProcessPayment.ResponseBody',
      Next: STATE.fraudHeld,
    });
    expect(s[STATE.fraudCheck].Resource).toBe('arn:aws:states:::http:invoke');
  });

  it('names every placeholder it uses, so substitute() fills a definition with user implementations', () => {
    // Prepare
    const d = buildSagaDefinition(planWith({ ProcessPayment: { kind: 'http' }, NotifyCustomer: { kind: 'stateMachine' } }));
    const keys = usedSubstitutions(d);

    // Act
    const filled = JSON.stringify(substitute(d, Object.fromEntries(keys.map((k) => [k, `x-${k}`]))));

    // Assess
    const { endpoint, connection } = implementationSubstitutions('ProcessPayment');
    expect(keys).toEqual(expect.arrayContaining([endpoint, connection, implementationSubstitutions('NotifyCustomer').target]));
    expect(filled).not.toMatch(/\$\{/);
  });

  it('every Next and Default names a state of the definition', () => {
    // Prepare
    const d = buildSagaDefinition(
      planWith({
        ProcessPayment: { kind: 'http', rejections: { 402: 'CardDeclined' } },
        RefundPayment: { kind: 'http' },
        ReserveInventory: { kind: 'stateMachine' },
        ScheduleShipping: { kind: 'stateMachine' },
        NotifyCustomer: { kind: 'lambda' },
      }),
    );

    // Act
    const targets = Object.values(states(d)).flatMap((st) => [
      ...(st.Next ? [st.Next] : []),
      ...(st.Default ? [st.Default] : []),
      ...(st.Catch ?? []).map((c) => c.Next),
      ...((st.Choices ?? []) as Array<{ Next: string }>).map((c) => c.Next),
    ]);

    // Assess
    expect(targets.filter((t) => !(t in d.States))).toEqual([]);
  });
});
