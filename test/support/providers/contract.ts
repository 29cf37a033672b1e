import type { CarrierProvider } from '../../../core/providers/carrier';
import type { ChargeRequest, PaymentProvider } from '../../../core/providers/payment';
import { signWebhook } from '../../../core/providers/webhook-signature';

/*
 * The contract every provider implementation must pass. An implementation's test calls the function with a
 * factory and the inputs that provoke each outcome at that provider (its test cards, its sandbox accounts).
 */

export interface PaymentContractCases {
  /** A request the provider captures at once. */
  readonly captured: Omit<ChargeRequest, 'idempotencyKey'>;
  /** One it declines. */
  readonly declined: Omit<ChargeRequest, 'idempotencyKey'>;
  /** One it holds for review, then captures on a later status check. */
  readonly review: Omit<ChargeRequest, 'idempotencyKey'>;
  /** One whose review ends in rejection. */
  readonly reviewRejected: Omit<ChargeRequest, 'idempotencyKey'>;
  /** One it answers `transient` (provider unavailable). */
  readonly transient: Omit<ChargeRequest, 'idempotencyKey'>;
  /** Status checks before a held payment is decided, at most. */
  readonly maxReviewChecks: number;
}

let sequence = 0;
const key = (what: string) => `${what}:${Date.now()}:${++sequence}`;

export function paymentProviderContract(name: string, make: () => PaymentProvider, cases: PaymentContractCases): void {
  describe(`PaymentProvider contract: ${name}`, () => {
    let provider: PaymentProvider;
    beforeEach(() => {
      provider = make();
    });

    it('has a name to store on payment records', () => {
      expect(provider.name).toMatch(/^[a-z0-9-]+$/);
    });

    it('captures, and answers a retried charge (same key) with the same reference', async () => {
      // Prepare
      const k = key('charge');
      // Act
      const first = await provider.charge({ ...cases.captured, idempotencyKey: k });
      const again = await provider.charge({ ...cases.captured, idempotencyKey: k });
      // Assess
      expect(first.kind).toBe('captured');
      expect(again).toEqual(first);
      expect(first.kind === 'captured' && first.providerRef).toEqual(expect.any(String));
    });

    it('gives different charges (different keys) different references', async () => {
      const a = await provider.charge({ ...cases.captured, idempotencyKey: key('charge') });
      const b = await provider.charge({ ...cases.captured, orderId: `${cases.captured.orderId}9`, idempotencyKey: key('charge') });
      expect(a.kind === 'captured' && b.kind === 'captured' && a.providerRef !== b.providerRef).toBe(true);
    });

    it('declines with a reason and no reference', async () => {
      const r = await provider.charge({ ...cases.declined, idempotencyKey: key('charge') });
      expect(r).toEqual({ kind: 'declined', reason: expect.stringMatching(/\S/) });
    });

    it('answers transient when it cannot decide now', async () => {
      const r = await provider.charge({ ...cases.transient, idempotencyKey: key('charge') });
      expect(r).toEqual({ kind: 'transient', reason: expect.stringMatching(/\S/) });
    });

    it('holds for review, then decides within the checks it promised', async () => {
      const held = await provider.charge({ ...cases.review, idempotencyKey: key('charge') });
      expect(held.kind).toBe('review');
      if (held.kind !== 'review') return;
      let last = '';
      for (let attempt = 1; attempt <= cases.maxReviewChecks && last !== 'captured'; attempt++) {
        last = (
          await provider.status({
            providerRef: held.providerRef,
            orderId: cases.review.orderId,
            customerId: cases.review.customerId,
            attempt,
          })
        ).kind;
      }
      expect(last).toBe('captured');
    });

    it('rejects a held payment that fails review', async () => {
      const held = await provider.charge({ ...cases.reviewRejected, idempotencyKey: key('charge') });
      expect(held.kind).toBe('review');
      if (held.kind !== 'review') return;
      const r = await provider.status({
        providerRef: held.providerRef,
        orderId: cases.reviewRejected.orderId,
        customerId: cases.reviewRejected.customerId,
        attempt: 1,
      });
      expect(r).toEqual({ kind: 'rejected', reason: expect.stringMatching(/\S/) });
    });

    it('refunds a capture, the same refund for the same key', async () => {
      const c = await provider.charge({ ...cases.captured, idempotencyKey: key('charge') });
      if (c.kind !== 'captured') throw new Error(`expected a capture, got ${c.kind}`);
      const k = key('refund');
      const request = {
        idempotencyKey: k,
        providerRef: c.providerRef,
        orderId: cases.captured.orderId,
        amount: cases.captured.amount,
        currency: cases.captured.currency,
      };
      const first = await provider.refund(request);
      expect(first).toEqual({ kind: 'refunded', refundRef: expect.any(String) });
      expect(await provider.refund(request)).toEqual(first);
    });

    it.each([
      ['idempotencyKey', { idempotencyKey: '' }],
      ['amount', { amount: '12.5' }],
      ['customerId', { customerId: '' }],
    ])('refuses a charge without a valid %s, naming it', async (field, override) => {
      await expect(provider.charge({ ...cases.captured, idempotencyKey: key('charge'), ...override })).rejects.toMatchObject({
        context: { field },
      });
    });

    it('refuses a refund without an idempotency key', async () => {
      await expect(
        provider.refund({ idempotencyKey: '', providerRef: 'x', orderId: cases.captured.orderId, amount: '1.00', currency: 'EUR' }),
      ).rejects.toMatchObject({ context: { field: 'idempotencyKey' } });
    });
  });
}

export interface CarrierContractCases {
  readonly deliverable: { orderId: string; shipmentId: string; address: { country: string } };
  readonly undeliverable: { orderId: string; shipmentId: string; address: { country: string } };
  readonly unavailable: { orderId: string; shipmentId: string; address: { country: string } };
  /** A webhook body the carrier would send for a dispatch of `deliverable`, and for a failure. */
  readonly dispatchedBody: (eventId: string) => string;
  readonly failedBody: (eventId: string) => string;
  /** How the carrier signs (its headers for a body and secret at a time). */
  readonly sign: (secret: string, body: string, at: Date) => Record<string, string>;
}

export function carrierProviderContract(name: string, make: () => CarrierProvider, cases: CarrierContractCases): void {
  describe(`CarrierProvider contract: ${name}`, () => {
    let provider: CarrierProvider;
    const secret = 'contract-secret-0123456789';
    const now = new Date('2026-12-06T09:00:00Z');
    beforeEach(() => {
      provider = make();
    });

    it('books a deliverable shipment with a carrier and a reference, the same for the same key', async () => {
      const k = key('book');
      const first = await provider.bookShipment({ ...cases.deliverable, idempotencyKey: k });
      expect(first).toEqual({ kind: 'booked', carrier: expect.stringMatching(/\S/), bookingRef: expect.stringMatching(/\S/) });
      expect(await provider.bookShipment({ ...cases.deliverable, idempotencyKey: k })).toEqual(first);
    });

    it('rejects an address it cannot serve, with the reason', async () => {
      expect(await provider.bookShipment({ ...cases.undeliverable, idempotencyKey: key('book') })).toEqual({
        kind: 'rejected',
        reason: expect.stringMatching(/\S/),
      });
    });

    it('answers transient when it is unavailable', async () => {
      expect((await provider.bookShipment({ ...cases.unavailable, idempotencyKey: key('book') })).kind).toBe('transient');
    });

    it('cancels a booking', async () => {
      const b = await provider.bookShipment({ ...cases.deliverable, idempotencyKey: key('book') });
      if (b.kind !== 'booked') throw new Error(`expected a booking, got ${b.kind}`);
      const r = await provider.cancelShipment({
        idempotencyKey: key('cancel'),
        orderId: cases.deliverable.orderId,
        bookingRef: b.bookingRef,
      });
      expect(['cancelled', 'too-late']).toContain(r.kind);
    });

    it('refuses a booking without an idempotency key, naming it', async () => {
      await expect(provider.bookShipment({ ...cases.deliverable, idempotencyKey: '' })).rejects.toMatchObject({
        context: { field: 'idempotencyKey' },
      });
    });

    it('reads a signed dispatch webhook', () => {
      const body = cases.dispatchedBody('evt-contract-1');
      const v = provider.verifyWebhook({ headers: cases.sign(secret, body, now), body, secrets: [secret], now });
      expect(v).toEqual({
        ok: true,
        event: expect.objectContaining({ eventId: 'evt-contract-1', kind: 'dispatched', orderId: cases.deliverable.orderId }),
      });
    });

    it('reads a signed failure webhook with its reason', () => {
      const body = cases.failedBody('evt-contract-2');
      const v = provider.verifyWebhook({ headers: cases.sign(secret, body, now), body, secrets: [secret], now });
      expect(v.ok && v.event.kind === 'failed' && v.event.reason).toEqual(expect.stringMatching(/\S/));
    });

    it.each([
      ['a wrong secret', (body: string) => cases.sign('another-secret', body, now), (b: string) => b],
      ['a changed body', (body: string) => cases.sign(secret, body, now), (b: string) => b.replace('"', ' "')],
      ['a stale timestamp', (body: string) => cases.sign(secret, body, new Date(now.getTime() - 301_000)), (b: string) => b],
      ['no headers', () => ({}), (b: string) => b],
    ])('answers 401 to %s', (_what, headers, tamper) => {
      const body = cases.dispatchedBody('evt-contract-3');
      expect(provider.verifyWebhook({ headers: headers(body), body: tamper(body), secrets: [secret], now })).toMatchObject({
        ok: false,
        status: 401,
      });
    });

    it('answers 400 naming the field to a signed body it cannot read', () => {
      const body = JSON.stringify({ ...JSON.parse(cases.dispatchedBody('evt-contract-4')), orderId: 42 });
      expect(provider.verifyWebhook({ headers: cases.sign(secret, body, now), body, secrets: [secret], now })).toMatchObject({
        ok: false,
        status: 400,
        field: 'orderId',
      });
    });
  });
}

/** The sandbox carrier's webhook bodies (also what a test or demo POSTs). */
export const sandboxWebhookBody = (fields: Record<string, unknown>) =>
  JSON.stringify({ type: 'shipment.dispatched', carrier: 'rm', occurredAt: '2026-12-06T08:59:00Z', ...fields });

export const sandboxSign = (secret: string, body: string, at: Date) => signWebhook(secret, body, at);
