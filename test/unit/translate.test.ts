import fc from 'fast-check';
import { BRIDGE_SOURCE, deterministicId, LEGACY_META_KEY, type EventMetadata, type ServiceEvent } from '../../core/events/envelope';
import { parseSpec, validatePayload, type LegacyEventDef } from '../../core/spec';
import { isoTextOf, translateBatch, type IncomingEvent } from '../../core/translate/batch';
import { Translator } from '../../core/translate/translator';
import config from '../../cutover.config';
import { objectArbitrary } from './translate-arbitraries';

const spec = parseSpec(config);
const translator = new Translator(spec);
const now = new Date('2026-11-21T14:31:00.000Z');
const ctx = { now };
const legacyTypes = Object.keys(spec.bridge.legacyEvents);
const directionOf = (legacyType: string) =>
  spec.bridge.translations.filter((t) => t.legacy === legacyType).map((t) => t.direction ?? 'both');
/** Monolith events the bridge carries to services (both ways or one way). */
const toServiceTypes = legacyTypes.filter((t) => directionOf(t).some((d) => d !== 'toLegacy'));
/** Types translated both ways: the round-trip law applies to them. */
const roundTripTypes = legacyTypes.filter((t) => directionOf(t).includes('both'));
/** Legacy events only the bridge emits (commands to the monolith): the monolith never puts them. */
const toLegacyOnlyTypes = legacyTypes.filter((t) => !toServiceTypes.includes(t));

function serviceEvent(eventType: string, version: number, data: Record<string, unknown>, meta: Partial<EventMetadata> = {}): ServiceEvent {
  const def = spec.bridge.serviceEvents[eventType];
  const key = String(data[def.entity.keyField]);
  return {
    metadata: {
      eventId: `svc-${eventType}-${version}`,
      eventType,
      version,
      correlationId: `${def.entity.type}-${key}`,
      origin: 'service',
      producer: def.owner,
      occurredAt: '2026-11-21T14:30:00Z',
      entity: { type: def.entity.type, key },
      ...meta,
    },
    data,
  };
}

/** The ISO form of an example's only top-level legacy-datetime field. */
function legacyTimeOf(def: LegacyEventDef, ex: Record<string, unknown>): string {
  const [field] = Object.entries(def.schema.fields).filter(([, f]) => f.type === 'string' && f.format === 'legacy-datetime');
  const t = String(ex[field[0]]);
  return `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.000Z`;
}

function withoutIdAndStamp(legacyType: string, payload: Record<string, unknown>): Record<string, unknown> {
  const { [LEGACY_META_KEY]: _stamp, [spec.bridge.legacyEvents[legacyType].idField]: _id, ...rest } = payload;
  void _stamp;
  void _id;
  return rest;
}

describe('Class: Translator', () => {
  describe('Method: toService', () => {
    const examples = toServiceTypes.flatMap((type) => spec.bridge.legacyEvents[type].examples.map((ex, i) => ({ type, i, ex })));

    it.each(examples.map((e) => [`${e.type} example ${e.i}`, e]))('translates %s into a valid service event', (_name, { type, ex }) => {
      // Prepare
      const t = spec.bridge.translations.find((x) => x.legacy === type && x.direction !== 'toLegacy')!;
      const def = spec.bridge.legacyEvents[type];

      // Act
      const out = translator.toService(type, ex, ctx);

      // Assess
      expect(out.status).toBe('translated');
      if (out.status !== 'translated') return;
      expect(out.detailType).toBe(t.service);
      const versionDef = spec.bridge.serviceEvents[t.service].versions[String(t.serviceVersion)];
      expect(validatePayload(versionDef.schema, out.detail.data)).toEqual([]);
      const key = String(ex[def.entity.keyField]);
      expect(out.detail.metadata).toEqual({
        eventId: deterministicId('legacy', type, String(ex[def.idField]), t.service),
        eventType: t.service,
        version: t.serviceVersion,
        correlationId: `${def.entity.type}-${key}`,
        causationId: ex[def.idField],
        origin: 'legacy',
        producer: BRIDGE_SOURCE,
        // When the monolith says it happened (its one legacy-datetime field), not when the bridge saw it.
        occurredAt: legacyTimeOf(def, ex),
        entity: { type: def.entity.type, key },
      });
    });

    it('maps the reference order field by field (money exact, dates ISO, codes to words, "" to absent)', () => {
      // Act
      const out = translator.toService('ORDER_PLACED', spec.bridge.legacyEvents.ORDER_PLACED.examples[0], ctx);

      // Assess
      expect(out.status === 'translated' && out.detail.data).toEqual({
        orderId: '1000001',
        customerId: 'C00042',
        placedAt: '2026-11-21T14:30:00Z',
        amount: { total: '54.97', currency: 'EUR' },
        channel: 'web',
        lines: [
          { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
          { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
        ],
        shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
      });
    });

    it('gives a redelivered message the same event id, and another message another id', () => {
      // Prepare
      const ex = spec.bridge.legacyEvents.PAYMENT_CAPTURED.examples[0];

      // Act
      const a = translator.toService('PAYMENT_CAPTURED', ex, ctx);
      const b = translator.toService('PAYMENT_CAPTURED', structuredClone(ex), { now: new Date() });
      const c = translator.toService('PAYMENT_CAPTURED', { ...ex, MSG_ID: 'MSG-OTHER-0001' }, ctx);

      // Assess
      expect(a.status === 'translated' && b.status === 'translated' && a.eventId === b.eventId).toBe(true);
      expect(a.status === 'translated' && c.status === 'translated' && a.eventId !== c.eventId).toBe(true);
    });

    it.each([
      ['an unknown type', 'ORDER_SHREDDED', {}, 'unknown-type', /detail-type: "ORDER_SHREDDED" is not a legacy event type/],
      ['a money field that is not cents', 'ORDER_PLACED', { TOTAL_CENTS: '54.97' }, 'schema', /TOTAL_CENTS: "54.97" is not cents/],
      ['a missing required field', 'ORDER_CANCELLED', { REASON_CD: undefined }, 'schema', /REASON_CD: is required but missing/],
      [
        'an impossible date',
        'SHIPMENT_DISPATCHED',
        { DISPATCH_DT: '20261131 091500' },
        'schema',
        /DISPATCH_DT: "20261131 091500" is not legacy-datetime/,
      ],
      // The legacy schema refuses what the service would refuse, so the reason names the monolith's own field.
      [
        'a zero quantity',
        'STOCK_RESERVED',
        { LINES: [{ SKU: 'MUG-0001', QTY: '0' }] },
        'schema',
        /LINES\[0\]\.QTY: "0" does not match \^\[1-9\]\[0-9\]\*\$/,
      ],
    ])('quarantines %s with a reason naming the field and value', (_what, type, change, reason, problem) => {
      // Prepare
      const base = spec.bridge.legacyEvents[type]?.examples[0] ?? {};
      const payload: Record<string, unknown> = { ...base, ...change };
      for (const [k, v] of Object.entries(change)) if (v === undefined) delete payload[k];

      // Act
      const out = translator.toService(type, payload, ctx);

      // Assess
      expect(out.status).toBe('quarantine');
      expect(out.status === 'quarantine' && out.reason).toBe(reason);
      expect(out.status === 'quarantine' && out.problems.join('\n')).toMatch(problem);
    });

    it.each(toLegacyOnlyTypes)('quarantines %s from the monolith as no-translation (it only flows to the monolith)', (type) => {
      const out = translator.toService(type, spec.bridge.legacyEvents[type].examples[0], ctx);
      expect(out.status === 'quarantine' && out.reason).toBe('no-translation');
    });

    it('ignores a legacy event the bridge made from a service event (no loop)', () => {
      const ex = {
        ...spec.bridge.legacyEvents.ORDER_CANCELLED.examples[0],
        [LEGACY_META_KEY]: { origin: 'service', eventId: 'x', correlationId: 'c' },
      };
      expect(translator.toService('ORDER_CANCELLED', ex, ctx)).toMatchObject({ status: 'ignored', reason: 'loop' });
    });
  });

  describe('Method: toLegacy', () => {
    const translatable = new Set(spec.bridge.translations.filter((t) => t.direction !== 'toService').map((t) => t.service));
    const examples = Object.entries(spec.bridge.serviceEvents)
      .filter(([type]) => translatable.has(type))
      .flatMap(([type, def]) =>
        Object.entries(def.versions).flatMap(([v, vd]) => vd.examples.map((ex, i) => ({ type, v: Number(v), i, ex }))),
      );

    it.each(examples.map((e) => [`${e.type} v${e.v} example ${e.i}`, e]))(
      'translates %s into a valid legacy event with the bridge stamp',
      (_name, { type, v, ex }) => {
        // Prepare
        const t = spec.bridge.translations.find((x) => x.service === type && x.direction !== 'toService')!;
        const event = serviceEvent(type, v, ex);

        // Act
        const out = translator.toLegacy(event, ctx);

        // Assess
        expect(out.status).toBe('translated');
        if (out.status !== 'translated') return;
        expect(out.detailType).toBe(t.legacy);
        expect(validatePayload(spec.bridge.legacyEvents[t.legacy].schema, out.detail, [LEGACY_META_KEY])).toEqual([]);
        expect(out.detail[LEGACY_META_KEY]).toEqual({
          origin: 'service',
          eventId: deterministicId('service', event.metadata.eventId, t.legacy),
          correlationId: event.metadata.correlationId,
          causationId: event.metadata.eventId,
          serviceEventType: type,
        });
      },
    );

    it('upcasts order.created v1 before translating (v1 and v2 of one order give the same legacy order)', () => {
      // Prepare
      const v1 = spec.bridge.serviceEvents['order.created'].versions['1'].examples[0];
      const { total, currency, ...rest } = v1 as Record<string, unknown>;
      const v2 = { ...rest, amount: { total, currency } };

      // Act
      const a = translator.toLegacy(serviceEvent('order.created', 1, v1), ctx);
      const b = translator.toLegacy(serviceEvent('order.created', 2, v2), ctx);

      // Assess
      expect(a.status).toBe('translated');
      expect(a.status === 'translated' && a.detail.TOTAL_CENTS).toBe('5497');
      expect(a.status === 'translated' && withoutIdAndStamp('ORDER_PLACED', a.detail)).toEqual(
        b.status === 'translated' && withoutIdAndStamp('ORDER_PLACED', b.detail),
      );
    });

    it.each([
      [
        'an unknown version',
        serviceEvent('order.created', 3, {}),
        'unknown-version',
        /metadata.version: 3 is not a version of order.created \(known: 1, 2\)/,
      ],
      [
        'an unknown type',
        serviceEvent('payment.captured', 1, {}, { eventType: 'payment.lost' }),
        'unknown-type',
        /metadata.eventType: "payment.lost"/,
      ],
      [
        'a time the monolith cannot hold (milliseconds)',
        serviceEvent('order.cancelled', 1, { orderId: '1000001', cancelledAt: '2026-11-21T15:02:10.123Z', reason: 'fraud' }),
        'untranslatable',
        /cancelledAt: expected an ISO timestamp such as "2026-11-21T14:30:00Z", got "2026-11-21T15:02:10.123Z"/,
      ],
    ])('quarantines %s with the reason', (_what, event, reason, problem) => {
      const out = translator.toLegacy(event, ctx);
      expect(out.status === 'quarantine' && out.reason).toBe(reason);
      expect(out.status === 'quarantine' && out.problems.join('\n')).toMatch(problem);
    });

    it('ignores a service event of legacy origin (a translation is never translated back)', () => {
      const ex = spec.bridge.serviceEvents['order.cancelled'].versions['1'].examples[0];
      expect(translator.toLegacy(serviceEvent('order.cancelled', 1, ex, { origin: 'legacy' }), ctx)).toMatchObject({
        status: 'ignored',
        reason: 'loop',
      });
    });
  });

  describe('Law: valid monolith events translate or are refused by the service schema, never crash', () => {
    it.each(toServiceTypes)('holds for generated %s payloads', (type) => {
      const def = spec.bridge.legacyEvents[type];
      fc.assert(
        fc.property(objectArbitrary(def.schema), (payload) => {
          const out = translator.toService(type, payload, ctx);
          expect(
            out.status === 'translated' || (out.status === 'quarantine' && out.reason === 'untranslatable' && out.problems.length > 0),
          ).toBe(true);
        }),
        { numRuns: 40 },
      );
    });
  });

  describe('Law: legacy -> service -> legacy is the identity', () => {
    it('covers the reference order, payment, stock, shipment and customer events', () => {
      expect(roundTripTypes).toEqual(
        expect.arrayContaining([
          'ORDER_PLACED',
          'ORDER_CANCELLED',
          'PAYMENT_CAPTURED',
          'PAYMENT_REFUNDED',
          'STOCK_RESERVED',
          'STOCK_RELEASED',
          'SHIPMENT_DISPATCHED',
          'CUSTOMER_UPDATED',
        ]),
      );
    });

    it.each(roundTripTypes)('holds for generated %s payloads (the id field is regenerated, the stamp added)', (type) => {
      // Prepare
      const def = spec.bridge.legacyEvents[type];
      let translated = 0;

      fc.assert(
        fc.property(objectArbitrary(def.schema), (payload) => {
          // The generator only makes schema-valid payloads: check that, so the law is not vacuous.
          expect(validatePayload(def.schema, payload)).toEqual([]);

          // Act
          const there = translator.toService(type, payload, ctx);
          // Valid legacy input is translated, or refused by the *service* schema; never a schema failure.
          expect(there.status === 'translated' || (there.status === 'quarantine' && there.reason === 'untranslatable')).toBe(true);
          fc.pre(there.status === 'translated');
          if (there.status !== 'translated') return;
          translated += 1;
          // The way back only takes events of service origin: this one plays a service emitting the same fact.
          const back = translator.toLegacy({ ...there.detail, metadata: { ...there.detail.metadata, origin: 'service' } }, ctx);

          // Assess
          expect(back.status).toBe('translated');
          if (back.status !== 'translated') return;
          expect(back.detailType).toBe(type);
          expect(withoutIdAndStamp(type, back.detail)).toEqual(withoutIdAndStamp(type, payload));
        }),
        { numRuns: 60 },
      );
      expect(translated).toBeGreaterThanOrEqual(60);
    });
  });
});

describe('Function: translateBatch', () => {
  const junk: fc.Arbitrary<IncomingEvent> = fc.record(
    {
      id: fc.uuid(),
      source: fc.constantFrom('shop.monolith', BRIDGE_SOURCE, 'orders', undefined),
      detailType: fc.option(fc.constantFrom(...legacyTypes, 'order.created', 'NOPE', ''), { nil: undefined }),
      time: fc.option(fc.constantFrom('2026-11-21T14:30:00Z', 'not a time'), { nil: undefined }),
      detail: fc.oneof(
        fc.anything(),
        fc.constantFrom(...legacyTypes.map((t) => spec.bridge.legacyEvents[t].examples[0])),
        fc.constant(serviceEvent('order.cancelled', 1, spec.bridge.serviceEvents['order.cancelled'].versions['1'].examples[0])),
      ),
    },
    { requiredKeys: ['detail'] },
  );

  it.each(['toService', 'toLegacy'] as const)('accounts for every event %s, whatever arrives, without throwing', (direction) => {
    fc.assert(
      fc.property(fc.array(junk, { maxLength: 12 }), (events) => {
        // Act
        const out = translateBatch(translator, direction, events, () => now);

        // Assess
        expect(out.translated.length + out.quarantined.length + out.ignored.length).toBe(events.length);
        const indexes = [...out.translated, ...out.quarantined, ...out.ignored].map((x) => x.index).sort((a, b) => a - b);
        expect(indexes).toEqual(events.map((_e, i) => i));
        for (const q of out.quarantined) expect(q.problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('ignores anything the bridge itself put, whatever it contains', () => {
    const ex = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
    const out = translateBatch(translator, 'toService', [{ source: BRIDGE_SOURCE, detailType: 'ORDER_PLACED', detail: ex }]);
    expect(out.ignored).toHaveLength(1);
    expect(out.translated).toHaveLength(0);
  });

  it("uses the monolith's own time, so a resend minutes later translates to the very same event", () => {
    // Prepare
    const event = {
      id: 'eb-1',
      source: 'shop.monolith',
      detailType: 'ORDER_CANCELLED',
      time: '2026-11-21T15:02:11Z',
      detail: spec.bridge.legacyEvents.ORDER_CANCELLED.examples[0],
    };
    const resent = { ...event, id: 'eb-2', time: '2026-11-21T15:07:40Z' };

    // Act
    const a = translateBatch(translator, 'toService', [event], () => new Date(1));
    const b = translateBatch(translator, 'toService', [resent], () => new Date(2));

    // Assess
    expect(a.translated[0].detail).toEqual(b.translated[0].detail);
    // CANCEL_DT "20261121 150210", not the EventBridge time.
    expect((a.translated[0].detail.metadata as EventMetadata).occurredAt).toBe('2026-11-21T15:02:10.000Z');
  });

  it.each([
    [
      'a detail that is not an object',
      'toService',
      { source: 'shop.monolith', detailType: 'ORDER_PLACED', detail: [1, 2] },
      'schema',
      /detail: expected a JSON object, got \[1,2\]/,
    ],
    ['a missing detail-type', 'toService', { source: 'shop.monolith', detail: {} }, 'unknown-type', /detail-type: missing/],
    ['a missing source', 'toService', { detailType: 'ORDER_PLACED', detail: {} }, 'envelope', /source: missing/],
    [
      'a payload without an envelope',
      'toLegacy',
      { source: 'orders', detailType: 'order.cancelled', detail: { orderId: '1' } },
      'envelope',
      /detail\.metadata: .*\(missing\)/,
    ],
    [
      'an envelope without a correlation id',
      'toLegacy',
      {
        source: 'orders',
        detailType: 'order.cancelled',
        detail: { metadata: { eventId: 'e', eventType: 'order.cancelled', version: 1, origin: 'service' }, data: {} },
      },
      'envelope',
      /detail\.metadata\.correlationId: .*\(missing\)/,
    ],
    [
      'a detail-type that disagrees with the envelope',
      'toLegacy',
      {
        source: 'orders',
        detailType: 'order.created',
        detail: serviceEvent('order.cancelled', 1, spec.bridge.serviceEvents['order.cancelled'].versions['1'].examples[0]),
      },
      'envelope',
      /detail-type: "order.created" differs from metadata.eventType "order.cancelled"/,
    ],
  ] as const)('quarantines %s with the reason and a problem naming it', (_what, direction, event, reason, problem) => {
    const out = translateBatch(translator, direction, [event as IncomingEvent]);
    expect(out.quarantined).toHaveLength(1);
    expect(out.quarantined[0].reason).toBe(reason);
    expect(out.quarantined[0].problems.join('\n')).toMatch(problem);
  });
});

describe('Function: deterministicId', () => {
  // The layout the ids were first defined with: SHA-256 bytes, version 5 in byte 6, variant 10xx in byte 8.
  const reference = (...parts: string[]) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const h = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(parts.join('\u001f')).digest();
    h[6] = (h[6] & 0x0f) | 0x50;
    h[8] = (h[8] & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  };

  it('gives the same ids as the byte-level definition, so ids stay stable across versions (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 4 }), (parts) => {
        expect(deterministicId(...parts)).toBe(reference(...parts));
      }),
      { numRuns: 500 },
    );
  });

  it('is a version-5 layout UUID', () => {
    expect(deterministicId('legacy', 'ORDER_PLACED', 'MSG-1', 'order.created')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('Function: isoTextOf', () => {
  it('writes EventBridge times exactly as Date.prototype.toISOString would (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.boolean(),
        (d, millis) => {
          const iso = d.toISOString();
          const time = millis ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
          expect(isoTextOf(time)).toBe(new Date(time).toISOString());
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([undefined, 'yesterday', '2026-11-21T14:30:00+01:00', '2026-02-30T00:00:00Z', '2026-11-21T14:30:00.5Z'])(
    'leaves %p to the Date parser',
    (time) => {
      expect(isoTextOf(time)).toBeUndefined();
    },
  );
});
