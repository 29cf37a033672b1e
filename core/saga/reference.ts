import { z } from 'zod';
import { toCents } from './input';
import { ConfigurationError } from '../errors';

/*
 * The business rules of the reference services and the reference monolith: deterministic sandbox rules in
 * the manner of a payment provider's test cards, so a demo or a test picks an outcome by picking the input
 * (customer C99999's card is always declined, country ZZ is never delivered to). Override them per
 * deployment with the REFERENCE_RULES environment variable (JSON, any subset).
 */

const decimal = z.string().regex(/^(0|[1-9][0-9]*)\.[0-9]{2}$/, 'a decimal amount such as "100.00"');
const customer = z.string().regex(/^C[0-9]{5,8}$/, 'a customer id such as C99999');

export const referenceRulesSchema = z
  .object({
    payment: z
      .object({
        /** Their cards are always declined (CardDeclined). */
        declineCustomers: z.array(customer).default(['C99999']),
        /** Amounts above this are declined (the card's limit). */
        declineAbove: decimal.default('20000.00'),
        /** Amounts above this are held for fraud review instead of captured. */
        reviewAbove: decimal.default('5000.00'),
        /** A review of their payments ends in FraudRejected. */
        fraudCustomers: z.array(customer).default(['C66666']),
        /** A held payment is approved at this review check. */
        approveAfterChecks: z.number().int().min(1).default(1),
      })
      .strict()
      .prefault({}),
    shipping: z
      .object({
        /** Addresses in these countries are refused (AddressRejected). */
        rejectCountries: z.array(z.string().regex(/^[A-Z]{2}$/)).default(['ZZ']),
        carrierByCountry: z.record(z.string(), z.enum(['dhl', 'ups', 'dpd', 'rm'])).default({ GB: 'rm', DE: 'dhl', US: 'ups' }),
        defaultCarrier: z.enum(['dhl', 'ups', 'dpd', 'rm']).default('dpd'),
      })
      .strict()
      .prefault({}),
    monolith: z
      .object({
        /** The monolith declines their payments (PAYMENT_DECLINED). */
        declineCustomers: z.array(customer).default(['C99999']),
        /** The monolith has none of these (STOCK_REJECTED). */
        outOfStockSkus: z.array(z.string()).default(['OUT-0000']),
        /** The monolith never answers commands about their orders (for reply-timeout tests). */
        silentCustomers: z.array(customer).default([]),
        /** Delay before each reply. */
        replyDelayMs: z.number().int().min(0).max(60_000).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type ReferenceRules = z.infer<typeof referenceRulesSchema>;

export const DEFAULT_REFERENCE_RULES: ReferenceRules = referenceRulesSchema.parse({});

export function parseReferenceRules(json: string | undefined): ReferenceRules {
  if (json === undefined || json.trim() === '') return DEFAULT_REFERENCE_RULES;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (cause) {
    throw new ConfigurationError(`REFERENCE_RULES is not JSON: ${(cause as Error).message}`, { setting: 'REFERENCE_RULES' }, { cause });
  }
  const parsed = referenceRulesSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigurationError(`REFERENCE_RULES: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
      setting: 'REFERENCE_RULES',
    });
  return parsed.data;
}

export type ChargeDecision = 'captured' | 'review' | 'declined';

export function decideCharge(rules: ReferenceRules, customerId: string, amount: string): ChargeDecision {
  const cents = toCents(amount);
  if (rules.payment.declineCustomers.includes(customerId) || cents > toCents(rules.payment.declineAbove)) return 'declined';
  if (cents > toCents(rules.payment.reviewAbove)) return 'review';
  return 'captured';
}

export type ReviewDecision = 'captured' | 'review' | 'rejected';

/** `checks` counts this check (1 for the first). */
export function decideReview(rules: ReferenceRules, customerId: string, checks: number): ReviewDecision {
  if (rules.payment.fraudCustomers.includes(customerId)) return 'rejected';
  return checks >= rules.payment.approveAfterChecks ? 'captured' : 'review';
}

export type AddressDecision =
  { readonly ok: true; readonly carrier: 'dhl' | 'ups' | 'dpd' | 'rm' } | { readonly ok: false; readonly reason: string };

export function decideAddress(rules: ReferenceRules, country: string): AddressDecision {
  if (rules.shipping.rejectCountries.includes(country)) return { ok: false, reason: `no carrier delivers to ${country}` };
  return { ok: true, carrier: rules.shipping.carrierByCountry[country] ?? rules.shipping.defaultCarrier };
}
