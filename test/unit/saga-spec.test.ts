import { SpecError } from '../../core/errors';
import '../../core/saga';
import { parseSpec, type SpecInput } from '../../core/spec';
import config from '../../cutover.config';

/*
 * The spec's saga section: shape errors and the cross-section rules (commands and replies exist, have
 * translations in the right direction, command payloads can be built from the order, one reply per action).
 */

function variant(edit: (spec: SpecInput & { saga: Record<string, any> }) => void): SpecInput {
  const copy = structuredClone(config) as SpecInput & { saga: Record<string, any> };
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

describe('Spec section: saga', () => {
  it('accepts the reference spec and fills the defaults', () => {
    const spec = parseSpec(config);
    expect(spec.saga).toMatchObject({
      name: 'order-saga',
      orderEvent: 'order.created',
      autoStart: true,
      stepTimeoutSeconds: 60,
      retry: { step: { maxAttempts: 4 }, compensation: { maxAttempts: 6 } },
      steps: { ProcessPayment: { owner: 'monolith' }, ReserveInventory: { owner: 'service' } },
    });
  });

  it.each([
    [
      'a monolith owner without its commands',
      (s: any) => (s.saga.steps.NotifyCustomer = { owner: 'monolith' }),
      'saga.steps.NotifyCustomer.monolith: owner is "monolith"',
    ],
    ['an unknown owner', (s: any) => (s.saga.steps.CreateOrder.owner = 'partner'), 'saga.steps.CreateOrder.owner'],
    ['a missing step', (s: any) => delete s.saga.steps.NotifyCustomer, 'saga.steps.NotifyCustomer'],
    [
      'an unknown business error',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.failure = { 'payment.declined': 'Nope' }),
      'saga.steps.ProcessPayment.monolith.forward.failure.payment.declined',
    ],
    [
      'a heartbeat not shorter than the timeout',
      (s: any) => (s.saga.shipping = { timeoutSeconds: 60, heartbeatSeconds: 60 }),
      'saga.shipping.heartbeatSeconds: must be shorter',
    ],
    [
      'a command that is not a service event',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.command = 'payment.teleport-requested'),
      'saga.steps.ProcessPayment.monolith.forward.command: "payment.teleport-requested" is not declared',
    ],
    [
      'a command the bridge cannot take to legacy',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.command = 'payment.declined'),
      'has no translation to a legacy event',
    ],
    [
      'a reply the monolith can never send',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.success = ['payment.capture-requested']),
      'has no translation from a legacy event',
    ],
    [
      'a reply about a customer, not an order',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.success = ['customer.updated']),
      'is about "customer"',
    ],
    [
      'a command field that is not in its schema',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.data.tip = 'now'),
      'saga.steps.ProcessPayment.monolith.forward.data.tip: not a field of payment.capture-requested',
    ],
    [
      'a required command field left unmapped',
      (s: any) => delete s.saga.steps.ProcessPayment.monolith.forward.data.currency,
      'requires currency',
    ],
    [
      'an order path that does not exist',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.data.amount = 'order.total'),
      '"order.total" is not a field of order.created',
    ],
    [
      'a context path outside the grammar',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.forward.data.amount = 'process.env.SECRET'),
      'a context path',
    ],
    [
      'one reply settling two actions',
      (s: any) => (s.saga.steps.ProcessPayment.monolith.compensation.success = ['payment.captured']),
      'payment.captured already settles ProcessPayment',
    ],
  ])('names the field for %s', (_what, edit, expected) => {
    const problems = problemsOf(variant(edit));
    expect(problems.join('\n')).toContain(expected);
  });
});
