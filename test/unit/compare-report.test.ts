import {
  CompareRuleError,
  DiffReport,
  NoiseProfile,
  RuleBook,
  compareInteraction,
  detectNoise,
  escapeHtml,
  renderHtmlReport,
  renderTerminalReport,
  type DiffReportJson,
} from '../../core/compare';
import type { RecordedEvent } from '../../core/replay';

const ev = (type: string, payload: unknown, version?: number): RecordedEvent =>
  version === undefined ? { type, payload } : { type, version, payload };

describe('Class: RuleBook', () => {
  it('joins default, capability and event rules for an outcome type', () => {
    // Prepare
    const book = new RuleBook(
      {
        default: { ignore: ['createdAt'] },
        capabilities: { orders: { ignore: ['orderId'] }, payments: { ignore: ['total'] } },
        events: { 'order.created': { tolerance: [{ path: 'total', abs: 0.01 }] } },
      },
      { capability: 'orders' },
    );
    const e = { createdAt: 1, orderId: 'a', total: 10 };
    const a = { createdAt: 2, orderId: 'b', total: 10.01 };

    // Act
    const created = book.comparatorFor('order.created').compare(e, a);
    const other = book.comparatorFor('order.cancelled').compare(e, a);

    // Assess
    expect(created.equal).toBe(true);
    expect(other.diffs.map((d) => d.path)).toEqual(['total']);
  });

  it('fails at construction naming the rule set that is wrong', () => {
    const act = () => new RuleBook({ events: { 'order.created': { ignore: ['a..b'] } } });
    expect(act).toThrow(CompareRuleError);
    expect(act).toThrow('compare.events.order.created');
  });
});

describe('Function: compareInteraction', () => {
  const rules = new RuleBook({ default: { ignore: ['at'] } });

  it('pairs outcomes by type and occurrence, whatever the order across types', () => {
    // Prepare
    const expected = [ev('order.created', { id: 1 }), ev('payment.taken', { n: 1 }), ev('payment.taken', { n: 2 })];
    const actual = [ev('payment.taken', { n: 1 }), ev('order.created', { id: 1, at: 5 }), ev('payment.taken', { n: 2 })];

    // Act
    const r = compareInteraction('i-1', expected, actual, { rules });

    // Assess
    expect(r.status).toBe('matched');
    expect(r.outcomes.map((o) => [o.type, o.occurrence, o.status])).toEqual([
      ['order.created', 0, 'matched'],
      ['payment.taken', 0, 'matched'],
      ['payment.taken', 1, 'matched'],
    ]);
  });

  it.each<[string, RecordedEvent[], RecordedEvent[], string]>([
    ['missing beats extra', [ev('a.b', {}), ev('a.c', {})], [ev('a.b', {}), ev('a.d', {})], 'missing-outcome'],
    ['extra', [ev('a.b', {})], [ev('a.b', {}), ev('a.b', {})], 'extra-outcome'],
    ['differed', [ev('a.b', { x: 1 })], [ev('a.b', { x: 2 })], 'differed'],
    ['version differs', [ev('a.b', { x: 1 }, 1)], [ev('a.b', { x: 1 }, 2)], 'differed'],
    ['no outcomes on either side', [], [], 'matched'],
  ])('classifies: %s', (_name, expected, actual, status) => {
    expect(compareInteraction('i', expected, actual, { rules }).status).toBe(status);
  });

  it('reports a version difference as the $version field', () => {
    const r = compareInteraction('i', [ev('a.b', {}, 1)], [ev('a.b', {}, 2)], { rules });
    expect(r.outcomes[0].diffs).toEqual([{ path: '$version', field: '$version', kind: 'changed', expected: 1, actual: 2 }]);
  });

  it('keeps differences explained by noise apart, and does not count them', () => {
    // Prepare
    const noise = new NoiseProfile();
    noise.addField('order.created', 'orderNo');
    noise.addUnstableCount('coupon.issued');

    // Act
    const r = compareInteraction(
      'i',
      [ev('order.created', { orderNo: 'A1', total: 5 }), ev('coupon.issued', {})],
      [ev('order.created', { orderNo: 'B7', total: 5 })],
      { rules, noise },
    );

    // Assess
    expect(r.status).toBe('matched');
    expect(r.outcomes[0].diffs).toEqual([]);
    expect(r.outcomes[0].noiseDiffs.map((d) => d.path)).toEqual(['orderNo']);
    expect(r.outcomes[1]).toMatchObject({ type: 'coupon.issued', status: 'missing', noise: true });
  });
});

describe('Function: detectNoise', () => {
  it('marks fields that differ between recordings of the monolith itself, and unstable counts', () => {
    // Prepare
    const recordings: RecordedEvent[][] = [
      [ev('order.created', { orderNo: 'A1', total: 5, lines: [{ id: 'x', q: 1 }], at: 1 })],
      [ev('order.created', { orderNo: 'A2', total: 5, lines: [{ id: 'y', q: 1 }], at: 2 }), ev('mail.sent', {})],
      [ev('order.created', { orderNo: 'A3', total: 5, lines: [{ id: 'z', q: 1 }], at: 3 })],
    ];

    // Act
    const noise = detectNoise(recordings, new RuleBook({ default: { ignore: ['at'] } }));

    // Assess
    expect(noise.toJSON()).toEqual({ fields: { 'order.created': ['lines[*].id', 'orderNo'] }, unstableCounts: ['mail.sent'] });
  });

  it('finds nothing when the monolith agrees with itself', () => {
    const same = [ev('a.b', { x: [1, 2] })];
    expect(detectNoise([same, structuredClone(same), structuredClone(same)]).size).toBe(0);
  });

  it('covers the subtree of a noisy field, not its siblings', () => {
    const noise = NoiseProfile.fromJSON({ fields: { 't.x': ['meta', 'lines[*].id'] }, unstableCounts: [] });
    expect(noise.isNoise('t.x', 'meta.trace.span')).toBe(true);
    expect(noise.isNoise('t.x', 'lines[*].id')).toBe(true);
    expect(noise.isNoise('t.x', 'lines[*].sku')).toBe(false);
    expect(noise.isNoise('t.x', 'metadata')).toBe(false);
    expect(noise.isNoise('other.type', 'meta')).toBe(false);
  });
});

describe('Class: DiffReport', () => {
  const rules = new RuleBook();

  function build(): DiffReportJson {
    const report = new DiffReport({ replayId: 'r-1', target: 'orders', startedAt: '2026-01-01T00:00:00.000Z' });
    // total differs in 5 interactions, status in 2, lines[*].q twice within one interaction.
    for (let i = 0; i < 5; i += 1) {
      report.addComparison(
        compareInteraction(
          `t${i}`,
          [ev('order.created', { total: 10, status: 'NEW' })],
          [ev('order.created', { total: 11 + i, status: i < 2 ? 'new' : 'NEW' })],
          { rules },
        ),
      );
    }
    report.addComparison(
      compareInteraction(
        'q',
        [ev('order.created', { lines: [{ q: 1 }, { q: 2 }] })],
        [ev('order.created', { lines: [{ q: 3 }, { q: 4 }] })],
        { rules },
      ),
    );
    report.addComparison(compareInteraction('m1', [ev('order.created', {})], [ev('order.created', {})], { rules }));
    report.addComparison(compareInteraction('miss', [ev('order.created', {}), ev('mail.sent', {})], [ev('order.created', {})], { rules }));
    report.addSkipped({ id: 'line:4', line: 4, code: 'truncated-json', reason: 'line 4: truncated JSON', field: '$' });
    report.addSkipped({ id: 'x', code: 'missing-field', reason: 'missing field entity.key', field: 'entity.key' });
    report.addSkipped({ id: 'y', code: 'missing-field', reason: 'missing field input', field: 'input' });
    report.addFailure('f1', { name: 'TimeoutError', message: 'took too long' });
    return report.finish(new Date('2026-01-01T00:01:00.000Z')).toJSON();
  }

  it('counts totals by interaction status', () => {
    const r = build();
    expect(r.totals).toEqual({
      read: 12,
      compared: 8,
      matched: 1,
      differed: 6,
      missingOutcome: 1,
      extraOutcome: 0,
      skippedInvalid: 3,
      failed: 1,
      matchedWithNoise: 0,
    });
    expect(r.outcomes).toEqual({ paired: 8, matched: 2, differed: 6, missing: 1, extra: 0 });
  });

  it('ranks fields by frequency, counting interactions apart from differences', () => {
    const r = build();
    expect(r.fieldsRanked.map((f) => [f.field, f.count, f.interactions])).toEqual([
      ['total', 5, 5],
      // Same count: the field touching more interactions ranks first.
      ['status', 2, 2],
      ['lines[*].q', 2, 1],
    ]);
  });

  it('keeps at most three examples per field, from different interactions', () => {
    const total = build().fieldsRanked[0];
    expect(total.examples).toEqual([
      { interactionId: 't0', path: 'total', kind: 'changed', expected: 10, actual: 11 },
      { interactionId: 't1', path: 'total', kind: 'changed', expected: 10, actual: 12 },
      { interactionId: 't2', path: 'total', kind: 'changed', expected: 10, actual: 13 },
    ]);
  });

  it('lists missing outcome types, skipped records by reason, failures by name', () => {
    const r = build();
    expect(r.outcomeTypesRanked).toEqual([{ outcomeType: 'mail.sent', missing: 1, extra: 0, noise: 0, examples: ['miss'] }]);
    expect(r.skipped.byCode).toEqual([
      { code: 'missing-field', count: 2 },
      { code: 'truncated-json', count: 1 },
    ]);
    expect(r.failures.byName).toEqual([{ name: 'TimeoutError', count: 1 }]);
  });

  it('survives a JSON round trip unchanged', () => {
    const r = build();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('cuts huge example values to a marked preview', () => {
    // Prepare
    const report = new DiffReport({}, { maxExampleChars: 20 });
    const big = 'x'.repeat(100);

    // Act
    report.addComparison(compareInteraction('b', [ev('a.b', { s: 'short' })], [ev('a.b', { s: big })], { rules }));

    // Assess
    const ex = report.toJSON().fieldsRanked[0].examples[0];
    expect(ex.expected).toBe('short');
    expect(ex.actual).toBe(`${'x'.repeat(20)}... (100 characters)`);
  });

  it('counts matched interactions whose only differences were noise', () => {
    const noise = NoiseProfile.fromJSON({ fields: { 'a.b': ['n'] }, unstableCounts: [] });
    const report = new DiffReport();
    report.addComparison(compareInteraction('n', [ev('a.b', { n: 1 })], [ev('a.b', { n: 2 })], { rules, noise }));
    const r = report.toJSON();
    expect(r.totals.matched).toBe(1);
    expect(r.totals.matchedWithNoise).toBe(1);
    expect(r.fieldsRanked).toEqual([]);
    expect(r.noiseRanked.map((f) => [f.field, f.count])).toEqual([['n', 1]]);
  });
});

describe('Function: renderTerminalReport', () => {
  it('prints totals, ranked fields with examples, and the other sections', () => {
    // Prepare
    const report = new DiffReport({ replayId: 'r-9', target: 'orders' });
    report.addComparison(
      compareInteraction('i-1', [ev('order.created', { total: '10.00' })], [ev('order.created', { total: '10.50' })], {
        rules: new RuleBook(),
      }),
    );
    report.addSkipped({ id: 'line:2', line: 2, code: 'truncated-json', reason: 'line 2: truncated JSON', field: '$' });

    // Act
    const text = renderTerminalReport(report.toJSON());

    // Assess
    expect(text).toContain('Replay report r-9 -> orders');
    expect(text).toMatch(/ {2}differed\s+1\s+100\.0%/);
    expect(text).toMatch(/1\s+order\.created\s+total\s+1\s+1\s+changed 1/);
    expect(text).toContain('i-1  total  expected "10.00"  actual "10.50"');
    expect(text).toContain('line:2: line 2: truncated JSON');
    expect(text).not.toContain('Service failures');
  });
});

describe('Function: renderHtmlReport', () => {
  it('escapes every value taken from the data', () => {
    // Prepare
    const hostile = '<script>alert("x")</script>';
    const report = new DiffReport({ replayId: `<b>${hostile}`, target: "o'rders" });
    report.addComparison(
      compareInteraction(`id-${hostile}`, [ev('a.b', { [`k`]: hostile })], [ev('a.b', { k: 'fine & dandy' })], { rules: new RuleBook() }),
    );
    report.addFailure(hostile, { name: hostile, message: hostile });

    // Act
    const html = renderHtmlReport(report.toJSON());

    // Assess
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b><');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('fine &amp; dandy');
    expect(html).toContain('o&#39;rders');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    // Self-contained: no external resource.
    expect(html).not.toMatch(/<(link|script|img)\b/);
  });

  it('escapeHtml replaces the five special characters', () => {
    expect(escapeHtml(`&<>"'a`)).toBe('&amp;&lt;&gt;&quot;&#39;a');
  });
});
