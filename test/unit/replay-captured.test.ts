import {
  CaptureRuleError,
  CapturedKeyError,
  assembleInteraction,
  captureExpiresAt,
  capturedItemKeys,
  compilePiiRules,
  formatCapturedLine,
  hashMask,
  hourBuckets,
  looksTruncated,
  maskPii,
  parseCapturedLine,
  validateCapturedInteraction,
  type CapturedEventRecord,
  type CapturedInteraction,
} from '../../core/replay';
import { captureReferenceIssues, captureSectionSchema, captureSettingsFor } from '../../core/spec/capture';

const good: CapturedInteraction = {
  id: 'i-1',
  capturedAt: '2026-03-01T10:00:00.000Z',
  sequence: 3,
  entity: { type: 'order', key: 'A-1' },
  input: { type: 'ORDER_PLACED', version: 1, payload: { ORDER_NO: 'A-1' } },
  outcomes: [{ type: 'order.created', version: 1, payload: { orderId: 'A-1' } }],
};

function without(path: string[]): unknown {
  const copy = structuredClone(good) as unknown as Record<string, unknown>;
  let cur = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  delete cur[path[path.length - 1]];
  return copy;
}

function withValue(path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(good) as unknown as Record<string | number, unknown>;
  let cur = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = value;
  return copy;
}

describe('Function: validateCapturedInteraction', () => {
  it('accepts a complete record and keeps it as it was', () => {
    const r = validateCapturedInteraction(structuredClone(good));
    expect(r).toEqual({ ok: true, interaction: good });
  });

  it('accepts a numeric entity key as its decimal string', () => {
    const r = validateCapturedInteraction(withValue(['entity', 'key'], 1001));
    expect(r.ok && r.interaction.entity.key).toBe('1001');
  });

  it.each<[string, unknown, string, string, string]>([
    ['no id', without(['id']), 'missing-field', 'id', 'missing field id'],
    ['no entity key', without(['entity', 'key']), 'missing-field', 'entity.key', 'missing field entity.key'],
    ['no input', without(['input']), 'missing-field', 'input', 'missing field input'],
    ['no input payload', without(['input', 'payload']), 'missing-field', 'input.payload', 'missing field input.payload'],
    ['no outcomes', without(['outcomes']), 'missing-field', 'outcomes', 'missing field outcomes'],
    [
      'outcome without type',
      withValue(['outcomes', 0, 'type'], ''),
      'invalid-field',
      'outcomes[0].type',
      'outcomes[0].type must be a non-empty string, got ""',
    ],
    [
      'bad time',
      withValue(['capturedAt'], 'yesterday'),
      'invalid-field',
      'capturedAt',
      'capturedAt must be an ISO 8601 time, got "yesterday"',
    ],
    ['negative sequence', withValue(['sequence'], -1), 'invalid-field', 'sequence', 'sequence must be a whole number from 0, got -1'],
    ['outcomes not a list', withValue(['outcomes'], {}), 'invalid-field', 'outcomes', 'outcomes must be an array, got {}'],
    [
      'fractional version',
      withValue(['input', 'version'], 1.5),
      'invalid-field',
      'input.version',
      'input.version must be a whole number from 1, got 1.5',
    ],
    ['unknown format', withValue(['format'], 2), 'unknown-version', 'format', 'format 2 is not known (known: 1)'],
    ['not an object', [1, 2], 'invalid-record', '$', 'a captured interaction must be a JSON object, got [1,2]'],
  ])('skips a record with %s, naming the field and value', (_name, value, code, field, reason) => {
    // Act
    const r = validateCapturedInteraction(value, { line: 7 });

    // Assess
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.skipped).toMatchObject({ code, field, line: 7, reason: `line 7: ${reason}` });
    expect(r.skipped.id).toBe(field === 'id' || code === 'invalid-record' ? 'line:7' : 'i-1');
  });

  it('skips an event version the target does not know', () => {
    // Act
    const r = validateCapturedInteraction(withValue(['outcomes', 0, 'version'], 7), {
      knownVersions: (t) => (t === 'order.created' ? [1, 2] : undefined),
    });

    // Assess
    expect(r).toMatchObject({ ok: false, skipped: { code: 'unknown-version', field: 'outcomes[0].version', value: 7 } });
    expect(!r.ok && r.skipped.reason).toContain('outcomes[0].version 7 of order.created is not known (known: 1, 2)');
  });
});

describe('Function: parseCapturedLine', () => {
  const line = formatCapturedLine(good);

  it('round-trips a formatted line', () => {
    expect(parseCapturedLine(line, 1)).toEqual({ ok: true, interaction: good });
  });

  it('ignores blank lines', () => {
    expect(parseCapturedLine('   ', 3)).toBeUndefined();
  });

  it.each([10, 40, line.length - 1])('reports a line cut after %i characters as truncated, with the id when readable', (cut) => {
    // Act
    const r = parseCapturedLine(line.slice(0, cut), 5);

    // Assess
    expect(r).toMatchObject({ ok: false, skipped: { code: 'truncated-json', line: 5, field: '$' } });
    expect(!r?.ok && r?.skipped.reason).toContain('line 5: truncated JSON');
    expect(!r?.ok && r?.skipped.id).toBe(cut >= 14 ? 'i-1' : 'line:5');
  });

  it('reports complete but malformed JSON as invalid, not truncated', () => {
    const r = parseCapturedLine('{"id":"x",}', 2);
    expect(r).toMatchObject({ ok: false, skipped: { code: 'invalid-json', id: 'x' } });
  });

  it('looksTruncated follows strings and escapes', () => {
    expect(looksTruncated('{"a":"}')).toBe(true);
    expect(looksTruncated('{"a":"\\"}"}')).toBe(false);
    expect(looksTruncated('{"a":[1,2')).toBe(true);
    expect(looksTruncated('{"a":1}}')).toBe(false);
  });
});

describe('Function: capturedItemKeys', () => {
  const input: CapturedEventRecord = {
    role: 'input',
    eventId: 'e-1',
    correlationId: 'c-1',
    capturedAt: '2026-03-01T10:15:02.120+01:00',
    sequence: 42,
    entity: { type: 'order', key: 'A-1' },
    event: { type: 'ORDER_PLACED', payload: {} },
  };

  it('keys an input by entity, sorted by UTC time then sequence, with an hour bucket', () => {
    expect(capturedItemKeys(input)).toEqual({
      pk: 'ENTITY#order#A-1',
      sk: '2026-03-01T09:15:02.120Z#000000000042#e-1',
      gsi1pk: 'HOUR#2026-03-01T09',
      gsi1sk: '2026-03-01T09:15:02.120Z#000000000042#e-1',
    });
  });

  it('keys an outcome by correlationId', () => {
    const k = capturedItemKeys({ ...input, role: 'outcome', eventId: 'o-1', entity: undefined });
    expect(k).toEqual({ pk: 'CORR#c-1', sk: '2026-03-01T09:15:02.120Z#000000000042#o-1' });
  });

  it('sort keys order events as captured', () => {
    const sks = [
      { capturedAt: '2026-03-01T10:00:00.000Z', sequence: 10 },
      { capturedAt: '2026-03-01T10:00:00.000Z', sequence: 9 },
      { capturedAt: '2026-03-01T09:59:59.999Z', sequence: 99 },
    ].map((x, i) => capturedItemKeys({ ...input, ...x, eventId: `e${i}` }).sk);
    expect([...sks].sort()).toEqual([sks[2], sks[1], sks[0]]);
  });

  it('refuses an input without entity, naming the event', () => {
    expect(() => capturedItemKeys({ ...input, entity: undefined })).toThrow('e-1: an input event needs an entity');
  });

  it('lists the hour buckets of a window', () => {
    expect(hourBuckets(Date.parse('2026-03-01T09:30:00Z'), Date.parse('2026-03-01T11:00:00Z'))).toEqual([
      'HOUR#2026-03-01T09',
      'HOUR#2026-03-01T10',
    ]);
    expect(() => hourBuckets(2, 1)).toThrow(CapturedKeyError);
  });

  it('assembles an interaction with outcomes in capture order', () => {
    // Prepare
    const o = (id: string, seq: number): CapturedEventRecord => ({
      role: 'outcome',
      eventId: id,
      correlationId: 'c-1',
      capturedAt: '2026-03-01T09:15:03Z',
      sequence: seq,
      event: { type: id, payload: {} },
    });

    // Act
    const i = assembleInteraction(input, [o('b.second', 2), o('a.first', 1)]);

    // Assess
    expect(i.outcomes.map((x) => x.type)).toEqual(['a.first', 'b.second']);
    expect(validateCapturedInteraction(i).ok).toBe(true);
    expect(() => assembleInteraction(input, [{ ...o('x.y', 1), correlationId: 'other' }])).toThrow('does not match');
  });
});

describe('Function: maskPii', () => {
  const payload = {
    CUSTOMER_EMAIL: 'ann@example.com',
    CARD_NO: '4111111111111111',
    PIN: 1234,
    NOTE: 'keep me',
    ADDRESS: { STREET: '1 Main St', CITY: 'Lyon' },
    LINES: [
      { SKU: 'A', GIFT_MSG: 'Happy birthday Ann' },
      { SKU: 'B', GIFT_MSG: null },
    ],
  };
  const rules = [
    { path: 'CUSTOMER_EMAIL', action: 'mask' as const },
    { path: 'CARD_NO', action: 'mask' as const, style: 'last4' as const },
    { path: 'PIN', action: 'drop' as const },
    { path: 'ADDRESS.STREET', action: 'mask' as const },
    { path: 'LINES[*].GIFT_MSG', action: 'drop' as const },
  ];

  it('masks and drops the declared fields and nothing else', () => {
    // Act
    const out = maskPii(payload, rules, { salt: 's3cret' });

    // Assess
    expect(out).toEqual({
      CUSTOMER_EMAIL: hashMask('ann@example.com', 's3cret'),
      CARD_NO: '************1111',
      NOTE: 'keep me',
      ADDRESS: { STREET: hashMask('1 Main St', 's3cret'), CITY: 'Lyon' },
      LINES: [{ SKU: 'A' }, { SKU: 'B' }],
    });
    expect(JSON.stringify(out)).not.toContain('ann@example.com');
    expect(JSON.stringify(out)).not.toContain('birthday');
  });

  it('is deterministic per salt and leaves the input untouched', () => {
    const before = structuredClone(payload);
    const a = maskPii(payload, rules, { salt: 'x' }) as Record<string, unknown>;
    const b = maskPii(structuredClone(payload), rules, { salt: 'x' }) as Record<string, unknown>;
    const c = maskPii(payload, rules, { salt: 'y' }) as Record<string, unknown>;
    expect(a).toEqual(b);
    expect(c.CUSTOMER_EMAIL).not.toBe(a.CUSTOMER_EMAIL);
    expect(String(a.CUSTOMER_EMAIL)).toMatch(/^masked:[0-9a-f]{16}$/);
    expect(payload).toEqual(before);
  });

  it.each<[unknown, unknown]>([
    ['1234', '****'],
    ['12345', '*2345'],
    [4111111111111111, '************1111'],
    [null, null],
  ])('last4 masks %j as %j', (value, masked) => {
    expect(compilePiiRules([{ path: 'v', action: 'mask', style: 'last4' }])({ v: value })).toEqual({ v: masked });
  });

  it('lets drop win over mask on one field, and drops array items matched by index', () => {
    const mask = compilePiiRules([
      { path: 'a', action: 'mask' },
      { path: 'a', action: 'drop' },
      { path: 'list[1]', action: 'drop' },
    ]);
    expect(mask({ a: 1, list: [1, 2, 3] })).toEqual({ list: [1, 3] });
  });

  it('rejects a bad rule naming it', () => {
    expect(() => compilePiiRules([{ path: 'a..b', action: 'mask' }])).toThrow(CaptureRuleError);
    expect(() => compilePiiRules([{ path: 'a', action: 'hide' as never }])).toThrow('pii[0] a: action must be mask or drop, got "hide"');
  });
});

describe('Function: captureExpiresAt', () => {
  it('adds the retention to the capture time, in epoch seconds', () => {
    expect(captureExpiresAt(Date.parse('2026-03-01T00:00:00.500Z'), 30)).toBe(Date.parse('2026-03-31T00:00:00Z') / 1000);
    expect(() => captureExpiresAt(0, 0)).toThrow('retentionDays must be a whole number from 1, got 0');
  });
});

describe('Schema: capture section', () => {
  const section = {
    retentionDays: 14,
    events: {
      ORDER_PLACED: { pii: [{ path: 'CUSTOMER_EMAIL', action: 'mask' }] },
      ORDER_CONFIRMED: { role: 'outcome', retentionDays: 7 },
      HEARTBEAT: { capture: false },
    },
    compare: {
      default: { ignore: ['**.createdAt', 'metadata.*'] },
      capabilities: { orders: { normalise: [{ path: 'lines', op: 'sortArray', by: 'sku' }] } },
      events: { 'order.created': { tolerance: [{ path: 'total', abs: 0.01 }] } },
    },
  };

  it('accepts a full section', () => {
    expect(captureSectionSchema.safeParse(section).success).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['a bad path pattern', { events: { A: { pii: [{ path: 'a..b', action: 'mask' }] } } }, 'empty segment'],
    ['a style on drop', { events: { A: { pii: [{ path: 'a', action: 'drop', style: 'last4' }] } } }, 'style applies to mask only'],
    ['an unknown normaliser', { events: {}, compare: { default: { normalise: [{ path: 'a', op: 'upper' }] } } }, 'op'],
    ['a tolerance without bound', { events: {}, compare: { default: { tolerance: [{ path: 'a' }] } } }, 'give abs and/or rel'],
    ['a lower-case legacy type', { events: { order_placed: {} } }, 'UPPER_SNAKE_CASE'],
    ['zero retention', { retentionDays: 0, events: {} }, 'retentionDays'],
  ])('rejects %s', (_name, value, message) => {
    const r = captureSectionSchema.safeParse(value);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });

  it('resolves per-type settings with defaults', () => {
    const parsed = captureSectionSchema.parse(section);
    expect(captureSettingsFor(parsed, 'ORDER_PLACED', { type: 'order', keyField: 'ORDER_NO' })).toEqual({
      capture: true,
      role: 'input',
      retentionDays: 14,
      entity: { type: 'order', keyField: 'ORDER_NO' },
      pii: [{ path: 'CUSTOMER_EMAIL', action: 'mask' }],
    });
    expect(captureSettingsFor(parsed, 'ORDER_CONFIRMED')).toMatchObject({ capture: true, role: 'outcome', retentionDays: 7 });
    expect(captureSettingsFor(parsed, 'HEARTBEAT').capture).toBe(false);
    expect(captureSettingsFor(parsed, 'NOT_LISTED')).toMatchObject({ capture: false, retentionDays: 14 });
    expect(captureSettingsFor(undefined, 'X').retentionDays).toBe(30);
  });

  it('reports references to unknown event types by field path', () => {
    const issues = captureReferenceIssues({
      bridge: { legacyEvents: { ORDER_PLACED: { entity: {} }, NO_ENTITY: {} }, serviceEvents: { 'order.created': {} } },
      capture: captureSectionSchema.parse({
        events: { ORDER_PLACED: {}, GHOST: {}, NO_ENTITY: {} },
        compare: { events: { 'order.created': {}, 'order.ghost': {} } },
      }),
    });
    expect(issues).toEqual([
      'capture.events.GHOST: GHOST is not a legacy event in bridge.legacyEvents',
      'capture.events.NO_ENTITY.entity: an input event needs an entity to replay in order, and the catalog declares none',
      'capture.compare.events.order.ghost: order.ghost is not a service event in bridge.serviceEvents',
    ]);
  });
});
