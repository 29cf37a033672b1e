import { deterministicId } from '../events/envelope';
import { decideCharge, decideReview, type ReferenceRules } from '../saga/reference';
import {
  checkProviderRequest,
  ProviderRequestError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type PaymentStatusRequest,
  type PaymentStatusResult,
  type RefundRequest,
  type RefundResult,
} from './payment';

export interface SandboxPaymentOptions {
  /** Their calls answer `transient` (the provider is "down" for them), for retry tests. @default none */
  readonly unavailableCustomers?: readonly string[];
}

/**
 * The sandbox PSP: outcomes chosen by the input, like a PSP's test cards (REFERENCE_RULES.payment:
 * customer C99999 is declined, amounts above 5000.00 are held for review...). Stateless and deterministic:
 * the same request gives the same answer and the same reference, which is what idempotency asks of it.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  public readonly name = 'sandbox';

  public constructor(
    private readonly rules: ReferenceRules,
    private readonly options: SandboxPaymentOptions = {},
  ) {}

  public async charge(request: ChargeRequest): Promise<ChargeResult> {
    const { idempotencyKey, orderId, customerId, amount, currency } = request;
    checkProviderRequest(this.name, 'charge', { idempotencyKey, orderId, customerId, amount, currency }, ['amount']);
    if (this.options.unavailableCustomers?.includes(customerId)) return { kind: 'transient', reason: 'sandbox: provider unavailable' };
    const decision = decideCharge(this.rules, customerId, amount);
    if (decision === 'declined') return { kind: 'declined', reason: `the card of ${customerId} was declined for ${amount} ${currency}` };
    return { kind: decision, providerRef: `sbx_pay_${deterministicId('sandbox-charge', idempotencyKey).slice(0, 18)}` };
  }

  public async status(request: PaymentStatusRequest): Promise<PaymentStatusResult> {
    const { providerRef, orderId, customerId } = request;
    checkProviderRequest(this.name, 'status', { providerRef, orderId, customerId });
    if (!Number.isInteger(request.attempt) || request.attempt < 1)
      throw new ProviderRequestError(`${this.name} status: attempt must be a positive integer, got ${JSON.stringify(request.attempt)}`, {
        field: 'attempt',
        value: request.attempt,
      });
    if (this.options.unavailableCustomers?.includes(customerId)) return { kind: 'transient', reason: 'sandbox: provider unavailable' };
    const decision = decideReview(this.rules, customerId, request.attempt);
    if (decision === 'rejected') return { kind: 'rejected', reason: 'fraud review rejected the payment' };
    return { kind: decision };
  }

  public async refund(request: RefundRequest): Promise<RefundResult> {
    const { idempotencyKey, providerRef, orderId, amount, currency } = request;
    checkProviderRequest(this.name, 'refund', { idempotencyKey, providerRef, orderId, amount, currency }, ['amount']);
    return { kind: 'refunded', refundRef: `sbx_ref_${deterministicId('sandbox-refund', idempotencyKey).slice(0, 18)}` };
  }
}
