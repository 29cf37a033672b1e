import { LEGACY_META_KEY, type ServiceEvent } from '../../core/events/envelope';
import { parseSpec, validatePayload, type SpecInput } from '../../core/spec';
import { f } from '../../core/spec/dsl';
import { describe as describeValue } from '../../core/spec/transforms';
import { Translator } from '../../core/translate/translator';
import config from '../../cutover.config';

/*
 * The trust rules of the schema language (money sign and bounds, text hygiene, default lengths, cross-field
 * sums) and of the envelope, each with the value that used to get through.
 */
const spec = parseSpec(config);
const translator = new Translator(spec);
const ctx = { now: new Date('2026-11-21T14:31:00Z') };
const legacy = (type: string) => structuredClone(spec.bridge.legacyEvents[type].examples[0]);
const service = (type: string, version = 1) => structuredClone(spec.bridge.serviceEvents[type].versions[String(version)].examples[0]);

function serviceEvent(type: string, data: Record<string, unknown>, meta: Record<string, unknown> = {}): ServiceEvent {
  const def = spec.bridge.serviceEvents[type];
  const key = String(data[def.entity.keyField]);
  return {
    metadata: {
      eventId: `svc-${type}`,
      eventType: type,
      version: 1,
      correlationId: `order-${key}`,
      origin: 'service',
      producer: def.owner,
      occurredAt: '2026-11-21T14:30:00Z',
      entity: { type: def.entity.type, key },
      ...meta,
    },
    data,
  } as ServiceEvent;
}

describe('Function: validatePayload (trust rules)', () => {
  it.each([
    [
      'a negative cents amount (default sign non-negative)',
      f.object({ A: f.cents() }),
      { A: '-5497' },
      /A: "-5497" is negative \[rule: sign non-negative\]/,
    ],
    ['"-0.00" as a decimal', f.object({ a: f.decimal() }), { a: '-0.00' }, /a: "-0\.00" is negative/],
    ['zero where positive', f.object({ A: f.cents({ sign: 'positive' }) }), { A: '0' }, /A: "0" is not above zero \[rule: sign positive\]/],
    [
      'below a decimal minimum (in whole units)',
      f.object({ a: f.decimal({ minimum: 1 }) }),
      { a: '0.99' },
      /a: "0\.99" is below the minimum 1 \[rule: minimum\]/,
    ],
    [
      'at an exclusive minimum',
      f.object({ a: f.intString({ exclusiveMinimum: 5 }) }),
      { a: '5' },
      /a: "5" is not above 5 \[rule: exclusiveMinimum\]/,
    ],
    ['at an exclusive minimum (number)', f.object({ a: f.integer({ exclusiveMinimum: 0 }) }), { a: 0 }, /a: 0 is not above 0/],
    [
      'a NUL character',
      f.object({ s: f.string() }),
      { s: 'Ada\u0000' },
      /s: "Ada\\u0000" holds a control or bidi character \[rule: text hygiene\]/,
    ],
    [
      'a right-to-left override, escaped in the message',
      f.object({ s: f.string() }),
      { s: 'evil\u202Etxt.exe' },
      /s: "evil\\u202etxt\.exe" holds a control or bidi character/,
    ],
    ['a bidi isolate', f.object({ s: f.string() }), { s: '\u2066x\u2069' }, /holds a control or bidi character/],
    ['a line break in a one-line field', f.object({ s: f.string() }), { s: 'a\nb' }, /holds a control or bidi character/],
    [
      'leading white space',
      f.object({ s: f.string() }),
      { s: ' Bristol' },
      /s: " Bristol" has leading or trailing white space \[rule: text hygiene\]/,
    ],
    ['trailing no-break space', f.object({ s: f.string() }), { s: 'Bristol\u00a0' }, /has leading or trailing white space/],
    [
      'a 200 KB street (default maxLength 1000)',
      f.object({ s: f.string() }),
      { s: 'x'.repeat(200_000) },
      /s: "x+\.\.\. is longer than 1000 characters \(200000\) \[rule: maxLength\]/,
    ],
    ['16 digits of cents (default maxLength 15)', f.object({ A: f.cents() }), { A: '1'.repeat(16) }, /longer than 15 characters/],
    [
      'lines that do not add up to the total',
      f.object(
        { T: f.cents(), L: f.array(f.object({ Q: f.intString(), P: f.cents() })) },
        { rules: [{ rule: 'sum', items: 'L', quantity: 'Q', price: 'P', total: 'T' }] },
      ),
      { T: '1000', L: [{ Q: '2', P: '400' }] },
      /T: "1000" is not the sum of L\[\]\.Q x L\[\]\.P \(800\) \[rule: sum, tolerance 0\]/,
    ],
  ] as const)('refuses %s, naming field, escaped value and rule', (_what, schema, payload, problem) => {
    // Act
    const problems = validatePayload(schema, payload);

    // Assess
    expect(problems.join('\n')).toMatch(problem);
  });

  it.each([
    ['zero cents (non-negative)', f.object({ A: f.cents() }), { A: '0' }],
    ['a declared negative amount', f.object({ A: f.cents({ sign: 'any' }) }), { A: '-100' }],
    ['a multiline note with a line break', f.object({ s: f.string({ multiline: true }) }), { s: 'line one\nline two' }],
    ['an empty optional-by-convention string', f.object({ s: f.maybeEmpty() }), { s: '' }],
    ['a long value under an explicit maxLength', f.object({ s: f.string({ maxLength: 5000 }) }), { s: 'y'.repeat(4000) }],
    [
      'decimal lines within the tolerance',
      f.object(
        { t: f.decimal(), l: f.array(f.object({ p: f.decimal() })) },
        { rules: [{ rule: 'sum', items: 'l', price: 'p', total: 't', tolerance: 1 }] },
      ),
      { t: '10.01', l: [{ p: '5.00' }, { p: '5.00' }] },
    ],
  ] as const)('accepts %s', (_what, schema, payload) => {
    expect(validatePayload(schema, payload)).toEqual([]);
  });

  it('refuses a spec whose sum rule names no field', () => {
    const input = structuredClone(config) as SpecInput;
    (input.bridge.legacyEvents.ORDER_PLACED.schema as unknown as { rules: unknown[] }).rules = [
      { rule: 'sum', items: 'LINEZ', price: 'UNIT_PRICE_CENTS', total: 'TOTAL_CENTS' },
    ];
    expect(() => parseSpec(input)).toThrow(
      /bridge\.legacyEvents\.ORDER_PLACED\.schema\.rules\[0\]\.items: "LINEZ" is not a list of objects/,
    );
  });
});

describe('Function: describe', () => {
  it.each([
    ['\u202e', '"\\u202e"'],
    ['a\u0000b', '"a\\u0000b"'],
    ['\u2028', '"\\u2028"'],
  ])('escapes %j so a message cannot reorder or break a log line', (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });
});

describe('Class: Translator (trust rules in the reference spec)', () => {
  it.each([
    ['a negative order total', 'ORDER_PLACED', { TOTAL_CENTS: '-5497' }],
    ['a zero capture', 'PAYMENT_CAPTURED', { AMOUNT_CENTS: '0' }],
    ['a negative refund', 'PAYMENT_REFUNDED', { AMOUNT_CENTS: '-1' }],
    [
      'a negative unit price',
      'ORDER_PLACED',
      { LINES: [{ LINE_NO: '1', SKU: 'MUG-0001', QTY: '1', UNIT_PRICE_CENTS: '-5497' }], TOTAL_CENTS: '5497' },
    ],
    ['lines not adding up', 'ORDER_PLACED', { TOTAL_CENTS: '9999' }],
    ['a NUL in a name', 'CUSTOMER_UPDATED', { FIRST_NAME: 'Ada\u0000' }],
    ['an RTL override in a tracking number', 'SHIPMENT_DISPATCHED', { TRACKING_NO: '1550\u202e123' }],
    ['a padded street', 'ORDER_PLACED', { SHIP_ADDR: { STREET: ' 12 Harbour Lane', CITY: 'Bristol', ZIP: 'BS1 4QA', COUNTRY: 'GB' } }],
    ['a 200 KB street', 'ORDER_PLACED', { SHIP_ADDR: { STREET: 'x'.repeat(200_000), CITY: 'Bristol', ZIP: 'BS1 4QA', COUNTRY: 'GB' } }],
    ['a note with a bidi isolate', 'ORDER_CANCELLED', { NOTE: 'ok\u2066' }],
  ])('legacy -> services quarantines %s (schema)', (_what, type, change) => {
    const out = translator.toService(type, { ...legacy(type), ...change }, ctx);
    expect(out).toMatchObject({ status: 'quarantine', reason: 'schema' });
  });

  it.each([
    ['a capture command of "-54.97"', 'payment.capture-requested', { amount: '-54.97' }],
    ['a refund of "-0.01"', 'payment.refunded', { amount: '-0.01' }],
    [
      'a street with a bidi override',
      'order.created',
      { shippingAddress: { street: '12 \u202eHarbour', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' } },
    ],
  ])('services -> legacy quarantines %s (schema)', (_what, type, change) => {
    const out = translator.toLegacy(serviceEvent(type, { ...service(type), ...change }), ctx);
    expect(out).toMatchObject({ status: 'quarantine', reason: 'schema' });
  });

  it("decides a monolith event's correlation from its entity, never from a stamp it carries", () => {
    // A monolith event claiming another order's correlation through the bridge's stamp is refused...
    const forged = translator.toService(
      'ORDER_CANCELLED',
      { ...legacy('ORDER_CANCELLED'), [LEGACY_META_KEY]: { origin: 'legacy', correlationId: 'order-9999999' } },
      ctx,
    );
    expect(forged).toMatchObject({ status: 'quarantine', reason: 'envelope' });
    // ...and an unstamped one is correlated by its own order number.
    const plain = translator.toService('ORDER_CANCELLED', legacy('ORDER_CANCELLED'), ctx);
    expect(plain.status === 'translated' && plain.correlationId).toBe('order-1000001');
  });

  it.each([
    ['a correlation id with NUL and RTL', { correlationId: 'order-1\u0000\u202e' }, /metadata\.correlationId/],
    [
      'an entity the payload is not about',
      { entity: { type: 'order', key: '7777777' } },
      /metadata\.entity: .* is not what the payload is about/,
    ],
    ['a producer with a control character', { producer: 'orders\u0007' }, /metadata\.producer/],
    ['an occurredAt that is not a time', { occurredAt: 'yesterday' }, /metadata\.occurredAt/],
    ['a metadata field nobody declared', { trusted: true }, /metadata: .*trusted/i],
  ])('services -> legacy quarantines %s (envelope)', (_what, meta, problem) => {
    const out = translator.toLegacy(serviceEvent('order.cancelled', service('order.cancelled'), meta), { ...ctx, source: 'orders' });
    expect(out).toMatchObject({ status: 'quarantine', reason: 'envelope' });
    expect(out.status === 'quarantine' && out.problems.join('\n')).toMatch(problem);
  });

  it('stamps origin "service" on what it sends to the monolith, whatever the producer said', () => {
    const out = translator.toLegacy(serviceEvent('order.cancelled', service('order.cancelled')), { ...ctx, source: 'orders' });
    expect(out.status === 'translated' && (out.detail[LEGACY_META_KEY] as { origin: string }).origin).toBe('service');
  });
});
