import { z } from 'zod';
import { decideAddress, type ReferenceRules } from '../saga/reference';
import type {
  BookShipmentRequest,
  BookShipmentResult,
  CancelShipmentRequest,
  CancelShipmentResult,
  CarrierProvider,
  WebhookRequest,
  WebhookVerdict,
} from './carrier';
import { checkProviderRequest } from './payment';
import { verifySignature } from './webhook-signature';

export interface SandboxCarrierOptions {
  /** Bookings to these countries answer `transient`, for retry tests. @default none */
  readonly unavailableCountries?: readonly string[];
}

const isoDateTime = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: 'an ISO 8601 date-time such as 2026-11-22T09:15:00Z',
  });

/** The sandbox carrier's webhook body. A real carrier has its own; its provider maps it to a CarrierEvent. */
export const sandboxWebhookSchema = z
  .object({
    eventId: z.string().min(1).max(128),
    type: z.enum(['shipment.dispatched', 'shipment.failed']),
    orderId: z.string().min(1).max(64),
    shipmentId: z.string().min(1).max(64).optional(),
    carrier: z.string().min(1).max(32),
    trackingNumber: z.string().min(1).max(40).optional(),
    parcels: z.number().int().min(0).optional(),
    occurredAt: isoDateTime,
    reason: z.string().min(1).max(500).optional(),
  })
  .strict();
export type SandboxWebhookBody = z.infer<typeof sandboxWebhookSchema>;

/**
 * The sandbox carrier: books by the reference rules (country ZZ is refused, GB goes with rm...), cancels
 * anything, and signs its webhooks with the scheme in webhook-signature.ts.
 */
export class SandboxCarrierProvider implements CarrierProvider {
  public readonly name = 'sandbox';

  public constructor(
    private readonly rules: ReferenceRules,
    private readonly options: SandboxCarrierOptions = {},
  ) {}

  public async bookShipment(request: BookShipmentRequest): Promise<BookShipmentResult> {
    const { idempotencyKey, orderId, shipmentId } = request;
    checkProviderRequest(this.name, 'bookShipment', { idempotencyKey, orderId, shipmentId, 'address.country': request.address?.country });
    const country = request.address.country;
    if (this.options.unavailableCountries?.includes(country)) return { kind: 'transient', reason: 'sandbox: carrier unavailable' };
    const decision = decideAddress(this.rules, country);
    if (!decision.ok) return { kind: 'rejected', reason: decision.reason };
    return { kind: 'booked', carrier: decision.carrier, bookingRef: `SBX-${shipmentId}` };
  }

  public async cancelShipment(request: CancelShipmentRequest): Promise<CancelShipmentResult> {
    const { idempotencyKey, orderId, bookingRef } = request;
    checkProviderRequest(this.name, 'cancelShipment', { idempotencyKey, orderId, bookingRef });
    return { kind: 'cancelled' };
  }

  public verifyWebhook(request: WebhookRequest): WebhookVerdict {
    const signature = verifySignature(request);
    if (!signature.ok) return { ok: false, status: 401, error: signature.error };
    let raw: unknown;
    try {
      raw = JSON.parse(request.body);
    } catch (cause) {
      return { ok: false, status: 400, error: `body is not JSON: ${(cause as Error).message}`, field: 'body' };
    }
    const parsed = sandboxWebhookSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
      const value = issue.path.reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
        raw,
      );
      return { ok: false, status: 400, error: `${field}: ${issue.message}, got ${JSON.stringify(value)?.slice(0, 120)}`, field };
    }
    const b = parsed.data;
    if (b.type === 'shipment.failed' && !b.reason)
      return { ok: false, status: 400, error: 'reason: required for shipment.failed, got undefined', field: 'reason' };
    return {
      ok: true,
      event: {
        eventId: b.eventId,
        kind: b.type === 'shipment.dispatched' ? 'dispatched' : 'failed',
        orderId: b.orderId,
        shipmentId: b.shipmentId,
        carrier: b.carrier,
        trackingNumber: b.trackingNumber,
        parcels: b.parcels,
        occurredAt: b.occurredAt,
        reason: b.reason,
      },
    };
  }
}
