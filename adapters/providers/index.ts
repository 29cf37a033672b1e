import { ConfigurationError } from '../../core/errors';
import { CARRIER_PROVIDERS, type CarrierProvider } from '../../core/providers/carrier';
import { PAYMENT_PROVIDERS, type PaymentProvider } from '../../core/providers/payment';
import { SandboxCarrierProvider } from '../../core/providers/sandbox-carrier';
import { SandboxPaymentProvider } from '../../core/providers/sandbox-payment';
import type { ReferenceRules } from '../../core/saga/reference';

/*
 * The providers a Lambda can be configured with (PAYMENT_PROVIDER, CARRIER_PROVIDER; `sandbox` when unset).
 * A real PSP or carrier is one class implementing the interface in core/providers/, here beside the sandbox
 * (it does I/O: its client is injected with a default, as the stores do), one line in each table below and
 * its name in core/providers' PAYMENT_PROVIDERS / CARRIER_PROVIDERS (which lib/ checks at synth).
 */

export interface ProviderContext {
  readonly rules: ReferenceRules;
}

const PAYMENT: Record<(typeof PAYMENT_PROVIDERS)[number], (ctx: ProviderContext) => PaymentProvider> = {
  sandbox: (ctx) => new SandboxPaymentProvider(ctx.rules),
};

const CARRIER: Record<(typeof CARRIER_PROVIDERS)[number], (ctx: ProviderContext) => CarrierProvider> = {
  sandbox: (ctx) => new SandboxCarrierProvider(ctx.rules),
};

function pick<T>(
  kind: string,
  setting: string,
  table: Record<string, (ctx: ProviderContext) => T>,
  name: string | undefined,
  ctx: ProviderContext,
): T {
  const chosen = name === undefined || name.trim() === '' ? 'sandbox' : name.trim();
  const make = Object.prototype.hasOwnProperty.call(table, chosen) ? table[chosen] : undefined;
  if (!make)
    throw new ConfigurationError(
      `${setting}: no ${kind} provider named ${JSON.stringify(chosen)} (known: ${Object.keys(table).join(', ')})`,
      {
        setting,
        value: chosen,
      },
    );
  return make(ctx);
}

export function paymentProvider(name: string | undefined, ctx: ProviderContext): PaymentProvider {
  return pick('payment', 'PAYMENT_PROVIDER', PAYMENT, name, ctx);
}

export function carrierProvider(name: string | undefined, ctx: ProviderContext): CarrierProvider {
  return pick('carrier', 'CARRIER_PROVIDER', CARRIER, name, ctx);
}
