import { carrierServiceEvent } from '../../core/providers/carrier-event';
import type { CarrierEvent } from '../../core/providers/carrier';
import { f } from '../../core/spec/dsl';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';

const spec = parseSpec(config);
const at = new Date('2026-12-06T09:00:00Z');
const dispatched: CarrierEvent = {
  eventId: 'evt-1',
  kind: 'dispatched',
  orderId: '1000001',
  shipmentId: 'SHP1000001',
  carrier: 'dpd',
  trackingNumber: 'T1',
  parcels: 2,
  occurredAt: '2026-12-06T08:58:00Z',
};

/** The reference spec plus a `shipment.failed` event the saga treats as AddressRejected. */
function withRejection(): Spec {
  const failedDef = {
    ...spec.bridge.serviceEvents['shipment.dispatched'],
    description: 'The carrier could not take the parcel.',
    versions: {
      '1': {
        schema: f.object({
          orderId: f.string({ pattern: '^[0-9]{6,10}$' }),
          reason: f.string({ maxLength: 200 }),
          failedAt: f.isoDateTime(),
        }),
        examples: [],
      },
    },
  };
  return {
    ...spec,
    bridge: { ...spec.bridge, serviceEvents: { ...spec.bridge.serviceEvents, 'shipment.failed': failedDef } },
    saga: { ...spec.saga!, shipping: { ...spec.saga!.shipping, rejectedBy: { 'shipment.failed': 'AddressRejected' } } },
  } as Spec;
}

describe('Function: carrierServiceEvent', () => {
  it('makes a dispatch the first confirmedBy event, data under the schema names, in the service envelope', () => {
    const r = carrierServiceEvent(spec, 'sandbox', dispatched, at);
    expect(r).toEqual({
      ok: true,
      detailType: 'shipment.dispatched',
      detail: {
        metadata: expect.objectContaining({
          eventType: 'shipment.dispatched',
          version: 1,
          origin: 'service',
          producer: 'cutover.carrier-webhook',
          causationId: 'evt-1',
          occurredAt: at.toISOString(),
          entity: { type: 'order', key: '1000001' },
        }),
        data: {
          orderId: '1000001',
          shipmentId: 'SHP1000001',
          carrier: 'dpd',
          trackingNumber: 'T1',
          parcels: 2,
          dispatchedAt: '2026-12-06T08:58:00Z',
        },
      },
    });
  });

  it('gives a redelivery the same envelope id, another carrier event another one', () => {
    const id = (e: CarrierEvent, p = 'sandbox') => {
      const r = carrierServiceEvent(spec, p, e, at);
      return r.ok ? r.detail.metadata.eventId : undefined;
    };
    expect(id(dispatched)).toBe(id(dispatched));
    expect(id(dispatched)).not.toBe(id({ ...dispatched, eventId: 'evt-2' }));
    expect(id(dispatched)).not.toBe(id(dispatched, 'other-carrier'));
  });

  it.each([
    ['carrier', { carrier: 'fedex' }],
    ['shipmentId', { shipmentId: 'PARCEL-9' }],
    ['parcels', { parcels: undefined }],
  ])('refuses an event that does not fit the schema, naming %s', (field, override) => {
    const r = carrierServiceEvent(spec, 'sandbox', { ...dispatched, ...override } as CarrierEvent, at);
    expect(r).toMatchObject({ ok: false, kind: 'invalid', field });
  });

  it('calls a failure unroutable when the spec declares no rejectedBy event', () => {
    const r = carrierServiceEvent(spec, 'sandbox', { ...dispatched, kind: 'failed', reason: 'refused' }, at);
    expect(r).toMatchObject({ ok: false, kind: 'unroutable', error: expect.stringContaining('saga.shipping.rejectedBy') });
  });

  it('makes a failure the first rejectedBy event when the spec declares one', () => {
    const r = carrierServiceEvent(withRejection(), 'sandbox', { ...dispatched, kind: 'failed', reason: 'refused at depot' }, at);
    expect(r).toMatchObject({
      ok: true,
      detailType: 'shipment.failed',
      detail: { data: { orderId: '1000001', reason: 'refused at depot', failedAt: '2026-12-06T08:58:00Z' } },
    });
  });
});
