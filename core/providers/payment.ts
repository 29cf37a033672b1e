import { CutoverError } from '../errors';

/*
 * A payment provider (PSP) as the payment service sees it. The service owns the order's payment record and
 * its idempotency; the provider moves the money. Every call that can move money carries an idempotency key,
 * so a retried call (a Lambda retry, a timeout after the PSP answered) never charges or refunds twice.
 * Results are values, not exceptions: the service decides what each kind means for the saga (declined ->
 * CardDeclined, transient -> retried with backoff). A provider throws only for a request it cannot read
 * (ProviderRequestError, naming the field and value).
 */

/** The payment services this kit can call, by the name PAYMENT_PROVIDER selects. */
export const PAYMENT_PROVIDERS = ['sandbox'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];

export interface ChargeRequest {
  /** The same key for every attempt of one charge (the payment service uses `charge:<orderId>`). Required. */
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly customerId: string;
  /** Decimal with two places, e.g. "54.97". */
  readonly amount: string;
  readonly currency: string;
}

export type ChargeResult =
  | { readonly kind: 'captured'; readonly providerRef: string }
  /** Held for the provider's fraud review: ask `status` until it decides. */
  | { readonly kind: 'review'; readonly providerRef: string }
  | { readonly kind: 'declined'; readonly reason: string }
  /** Try again later (provider down, throttled): nothing was charged. */
  | { readonly kind: 'transient'; readonly reason: string };

export interface PaymentStatusRequest {
  readonly providerRef: string;
  readonly orderId: string;
  readonly customerId: string;
  /** How many times the status has been asked for this payment, this time included (1 for the first). */
  readonly attempt: number;
}

export type PaymentStatusResult =
  | { readonly kind: 'captured' }
  | { readonly kind: 'review' }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'transient'; readonly reason: string };

export interface RefundRequest {
  /** The same key for every attempt of one refund (the payment service uses `refund:<orderId>`). Required. */
  readonly idempotencyKey: string;
  readonly providerRef: string;
  readonly orderId: string;
  /** Decimal with two places: what to give back. */
  readonly amount: string;
  readonly currency: string;
  readonly reason?: string;
}

export type RefundResult =
  | { readonly kind: 'refunded'; readonly refundRef: string }
  | { readonly kind: 'declined'; readonly reason: string }
  | { readonly kind: 'transient'; readonly reason: string };

export interface PaymentProvider {
  /** Stored on each payment record, so an operator knows where to look. */
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  status(request: PaymentStatusRequest): Promise<PaymentStatusResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
}

/** A provider was called with a request it cannot read: `context.field` and `context.value` say which. */
export class ProviderRequestError extends CutoverError {}

const DECIMAL = /^(0|[1-9][0-9]*)\.[0-9]{2}$/;

/** Checks what every provider needs, naming the field and the value: implementations call it first. */
export function checkProviderRequest(
  provider: string,
  operation: string,
  fields: Record<string, unknown>,
  decimals: readonly string[] = [],
): void {
  for (const [field, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || value.trim() === '')
      throw new ProviderRequestError(`${provider} ${operation}: ${field} is required, got ${JSON.stringify(value)}`, { field, value });
    if (decimals.includes(field) && !DECIMAL.test(value))
      throw new ProviderRequestError(`${provider} ${operation}: ${field} must be a decimal such as "54.97", got ${JSON.stringify(value)}`, {
        field,
        value,
      });
  }
}
