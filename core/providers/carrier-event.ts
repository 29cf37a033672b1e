import { deterministicId, type ServiceEvent } from '../events/envelope';
import type { Spec } from '../spec/schema';
import { validatePayload } from '../spec/validate-payload';
import { projectToSchema } from '../saga/exchange';
import type { CarrierEvent } from './carrier';

/** `source` of the events the carrier webhook puts on the services bus. */
export const CARRIER_WEBHOOK_SOURCE = 'cutover.carrier-webhook';

export type CarrierServiceEvent =
  | { readonly ok: true; readonly detailType: string; readonly detail: ServiceEvent }
  /** The event is genuine but cannot become a valid service event: 400, `field` names what. */
  | { readonly ok: false; readonly kind: 'invalid'; readonly error: string; readonly field: string }
  /** The spec declares no service event for it (a failure with no `saga.shipping.rejectedBy`): quarantine. */
  | { readonly ok: false; readonly kind: 'unroutable'; readonly error: string };

/**
 * A verified carrier event as the service event the saga already hears: a dispatch becomes the first of
 * `saga.shipping.confirmedBy` (shipment.dispatched in the reference spec), a failure the first of
 * `saga.shipping.rejectedBy`. The data carries what the carrier said under the names the event's schema
 * declares (`dispatchedAt` or `failedAt` for the time) and is validated against it. The envelope's id is
 * derived from the carrier's event id, so a redelivery has the same id downstream.
 */
export function carrierServiceEvent(spec: Spec, provider: string, event: CarrierEvent, receivedAt: Date): CarrierServiceEvent {
  const shipping = spec.saga?.shipping;
  const type = event.kind === 'dispatched' ? shipping?.confirmedBy[0] : Object.keys(shipping?.rejectedBy ?? {})[0];
  if (!type)
    return {
      ok: false,
      kind: 'unroutable',
      error: `the spec declares no ${event.kind === 'dispatched' ? 'saga.shipping.confirmedBy' : 'saga.shipping.rejectedBy'} event for a carrier ${event.kind} event`,
    };
  const def = spec.bridge.serviceEvents[type];
  if (!def) return { ok: false, kind: 'unroutable', error: `${type} is not a service event of the spec` };
  const schema = def.versions[String(def.latest)].schema;
  const raw: Record<string, unknown> = {
    orderId: event.orderId,
    shipmentId: event.shipmentId,
    carrier: event.carrier,
    trackingNumber: event.trackingNumber,
    parcels: event.parcels,
    reason: event.reason,
    occurredAt: event.occurredAt,
    [event.kind === 'dispatched' ? 'dispatchedAt' : 'failedAt']: event.occurredAt,
  };
  const data = projectToSchema(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)), schema) as Record<
    string,
    unknown
  >;
  const problems = validatePayload(schema, data);
  if (problems.length > 0) {
    const first = problems[0];
    return {
      ok: false,
      kind: 'invalid',
      error: `${type}: ${problems.join('; ')}`,
      field: first.slice(0, Math.max(0, first.indexOf(':'))) || 'body',
    };
  }
  return {
    ok: true,
    detailType: type,
    detail: {
      metadata: {
        eventId: deterministicId('carrier-webhook', provider, event.eventId),
        eventType: type,
        version: def.latest,
        correlationId: `carrier-${provider}-${event.eventId}`,
        causationId: event.eventId,
        origin: 'service',
        producer: CARRIER_WEBHOOK_SOURCE,
        occurredAt: receivedAt.toISOString(),
        entity: { type: def.entity.type, key: event.orderId },
      },
      data,
    },
  };
}
