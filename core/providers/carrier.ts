/*
 * A carrier as the shipping service sees it: book a shipment, cancel it, and read the carrier's webhooks
 * (the answer, hours or days later, that the parcel left or could not be taken). The shipping service owns
 * the shipment record and decides what each result means for the saga; the provider speaks the carrier's
 * API. Booking and cancelling carry an idempotency key; results are values (see payment.ts).
 */

/** The carriers this kit can call, by the name CARRIER_PROVIDER selects. */
export const CARRIER_PROVIDERS = ['sandbox'] as const;
export type CarrierProviderName = (typeof CARRIER_PROVIDERS)[number];

export interface ShippingAddress {
  readonly street?: string;
  readonly city?: string;
  readonly postalCode?: string;
  /** ISO 3166 alpha-2. */
  readonly country: string;
}

export interface BookShipmentRequest {
  /** The same key for every attempt of one booking (the shipping service uses `book:<orderId>`). Required. */
  readonly idempotencyKey: string;
  readonly orderId: string;
  /** Our reference for the shipment: the carrier echoes it in its webhooks. */
  readonly shipmentId: string;
  readonly address: ShippingAddress;
}

export type BookShipmentResult =
  | { readonly kind: 'booked'; readonly carrier: string; readonly bookingRef: string }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'transient'; readonly reason: string };

export interface CancelShipmentRequest {
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly bookingRef: string;
}

export type CancelShipmentResult =
  | { readonly kind: 'cancelled' }
  /** The parcel already left: the carrier will not bring it back on its own. */
  | { readonly kind: 'too-late'; readonly reason: string }
  | { readonly kind: 'transient'; readonly reason: string };

/** One carrier notification, in the kit's words. */
export interface CarrierEvent {
  /** The carrier's id for this notification: replays are refused by it. */
  readonly eventId: string;
  readonly kind: 'dispatched' | 'failed';
  readonly orderId: string;
  readonly shipmentId?: string;
  readonly carrier: string;
  readonly trackingNumber?: string;
  readonly parcels?: number;
  /** ISO 8601: when the carrier says it happened. */
  readonly occurredAt: string;
  /** For `failed`: the carrier's reason. */
  readonly reason?: string;
}

export interface WebhookRequest {
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body, exactly as received (the signature covers these bytes). */
  readonly body: string;
  /** The shared signing secret(s): more than one while a rotation is under way. */
  readonly secrets: readonly string[];
  readonly now: Date;
}

export type WebhookVerdict =
  | { readonly ok: true; readonly event: CarrierEvent }
  /** 401: not from the carrier (signature, stale timestamp). 400: signed but unreadable, `field` names what. */
  | { readonly ok: false; readonly status: 400 | 401; readonly error: string; readonly field?: string };

export interface CarrierProvider {
  readonly name: string;
  bookShipment(request: BookShipmentRequest): Promise<BookShipmentResult>;
  cancelShipment(request: CancelShipmentRequest): Promise<CancelShipmentResult>;
  /** Checks the webhook's signature and reads it. Pure: no I/O (the replay check is the caller's). */
  verifyWebhook(request: WebhookRequest): WebhookVerdict;
}
