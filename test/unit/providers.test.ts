import { SandboxCarrierProvider } from '../../core/providers/sandbox-carrier';
import { SandboxPaymentProvider } from '../../core/providers/sandbox-payment';
import { DEFAULT_REFERENCE_RULES } from '../../core/saga/reference';
import { carrierProvider, paymentProvider } from '../../adapters/providers';
import { carrierProviderContract, paymentProviderContract, sandboxSign, sandboxWebhookBody } from '../support/providers/contract';

const order = { orderId: '1400001', customerId: 'C00042', amount: '54.97', currency: 'EUR' };

paymentProviderContract('sandbox', () => new SandboxPaymentProvider(DEFAULT_REFERENCE_RULES, { unavailableCustomers: ['C77777'] }), {
  captured: order,
  declined: { ...order, customerId: 'C99999' },
  review: { ...order, amount: '6000.00' },
  reviewRejected: { ...order, customerId: 'C66666', amount: '6000.00' },
  transient: { ...order, customerId: 'C77777' },
  maxReviewChecks: DEFAULT_REFERENCE_RULES.payment.approveAfterChecks,
});

carrierProviderContract('sandbox', () => new SandboxCarrierProvider(DEFAULT_REFERENCE_RULES, { unavailableCountries: ['XX'] }), {
  deliverable: { orderId: '1400001', shipmentId: 'SHP1400001', address: { country: 'GB' } },
  undeliverable: { orderId: '1400002', shipmentId: 'SHP1400002', address: { country: 'ZZ' } },
  unavailable: { orderId: '1400003', shipmentId: 'SHP1400003', address: { country: 'XX' } },
  dispatchedBody: (eventId) =>
    sandboxWebhookBody({ eventId, orderId: '1400001', shipmentId: 'SHP1400001', trackingNumber: 'RM123', parcels: 1 }),
  failedBody: (eventId) => sandboxWebhookBody({ eventId, orderId: '1400001', type: 'shipment.failed', reason: 'parcel refused at depot' }),
  sign: sandboxSign,
});

describe('Function: paymentProvider / carrierProvider', () => {
  it('builds the sandbox when nothing is set', () => {
    expect(paymentProvider(undefined, { rules: DEFAULT_REFERENCE_RULES }).name).toBe('sandbox');
    expect(carrierProvider('', { rules: DEFAULT_REFERENCE_RULES }).name).toBe('sandbox');
  });

  it.each([
    ['payment', () => paymentProvider('stripe', { rules: DEFAULT_REFERENCE_RULES }), 'PAYMENT_PROVIDER'],
    ['carrier', () => carrierProvider('toString', { rules: DEFAULT_REFERENCE_RULES }), 'CARRIER_PROVIDER'],
  ])('refuses an unknown %s provider, naming the setting and the value', (_kind, make, setting) => {
    expect(make).toThrow(expect.objectContaining({ name: 'ConfigurationError', context: expect.objectContaining({ setting }) }));
  });
});
