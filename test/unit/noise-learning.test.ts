import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareInteraction, learnNoise, NoiseProfile, RuleBook, type LearnedNoiseJson } from '../../core/compare';
import { formatCapturedLine, type CapturedInteraction } from '../../core/replay/captured';
import { learnNoiseCommand } from '../../cli/replay/learn-noise';

/*
 * Two recordings of the monolith handling the same five orders. Planted volatile fields: the generated
 * order number (orderId), the clock (createdAt), each line's generated id (lines[*].id), and a receipt
 * event that the monolith sometimes emits twice. Everything else is the same in both runs.
 */
function run(tag: string, offsetMs: number, receipts: (i: number) => number): CapturedInteraction[] {
  return [1, 2, 3, 4, 5].map((i) => ({
    id: `${tag}-${i}`,
    capturedAt: new Date(Date.UTC(2026, 11, 1, 10, 0, i) + offsetMs).toISOString(),
    entity: { type: 'order', key: `A-${i}` },
    input: { type: 'ORDER_PLACED', version: 1, payload: { ORDER_NO: `A-${i}`, SKU: 'S1', QTY: i } },
    outcomes: [
      {
        type: 'order.created',
        version: 1,
        payload: {
          orderId: `${tag}-order-${i * 7}`,
          customer: `c-${i}`,
          total: i * 100,
          createdAt: new Date(Date.UTC(2026, 11, 1, 10, 0, i) + offsetMs).toISOString(),
          lines: [
            { id: `${tag}-l-${i}-1`, sku: 'S1', qty: i },
            { id: `${tag}-l-${i}-2`, sku: 'S2', qty: 1 },
          ],
        },
      },
      ...Array.from({ length: receipts(i) }, () => ({ type: 'receipt.sent', payload: { to: `c-${i}` } })),
    ],
  }));
}

const first = run('one', 0, () => 1);
// The second run: captured in another order (entity pairing must not care), receipts doubled for order 4.
const second = run('two', 3_600_000, (i) => (i === 4 ? 2 : 1)).reverse();

describe('Function: learnNoise', () => {
  it('names exactly the planted volatile fields and the unstable count, with counts and examples', () => {
    // Act
    const { json } = learnNoise(first, second);

    // Assess
    expect(json.fields).toEqual({ 'order.created': ['createdAt', 'lines[*].id', 'orderId'] });
    expect(json.unstableCounts).toEqual(['receipt.sent']);
    expect(json.learnedFrom).toMatchObject({ pairBy: 'entity', pairs: 5, unpairedFirst: 0, unpairedSecond: 0 });
    expect(json.evidence['order.created'].orderId).toMatchObject({ differed: 5, compared: 5 });
    expect(json.evidence['order.created']['lines[*].id'].differed).toBe(5);
    expect(json.evidence['order.created'].orderId.examples[0]).toEqual({
      first: 'one-1',
      second: 'two-1',
      path: 'orderId',
      firstValue: 'one-order-7',
      secondValue: 'two-order-7',
    });
    expect(json.countEvidence['receipt.sent']).toEqual({
      differed: 1,
      compared: 5,
      examples: [{ first: 'one-4', second: 'two-4', firstCount: 1, secondCount: 2 }],
    });
  });

  it('leaves out what the compare rules already excuse', () => {
    const rules = new RuleBook({ default: { ignore: ['createdAt'] } });
    expect(learnNoise(first, second, { rules }).json.fields['order.created']).toEqual(['lines[*].id', 'orderId']);
  });

  it('pairs by position when asked, and counts what has no counterpart', () => {
    // Prepare: the second recording in capture order, one interaction short.
    const shorter = run('two', 3_600_000, () => 1).slice(0, 4);

    // Act
    const { json } = learnNoise(first, shorter, { pairBy: 'position', examples: 1 });

    // Assess
    expect(json.learnedFrom).toMatchObject({
      pairBy: 'position',
      pairs: 4,
      unpairedFirst: 1,
      unpairedSecond: 0,
      unpairedExamples: ['one-5'],
    });
    expect(json.evidence['order.created'].orderId.examples).toHaveLength(1);
    expect(json.unstableCounts).toEqual([]);
  });

  it('hides the noise from a comparison with the new service, and a real difference still shows', () => {
    // Prepare: the profile as --noise reads it (through JSON), and a new service that gets the total wrong.
    const written = JSON.parse(JSON.stringify(learnNoise(first, second).json)) as LearnedNoiseJson;
    const noise = NoiseProfile.fromJSON(written);
    const recorded = first[1];
    const service = run('svc', 60_000, () => 1)[1];
    const wrongTotal = {
      ...service,
      outcomes: service.outcomes.map((o) => (o.type === 'order.created' ? { ...o, payload: { ...(o.payload as object), total: 999 } } : o)),
    };
    const rules = new RuleBook();

    // Act
    const same = compareInteraction(recorded.id, recorded.outcomes, service.outcomes, { rules, noise });
    const wrong = compareInteraction(recorded.id, recorded.outcomes, wrongTotal.outcomes, { rules, noise });
    const withoutProfile = compareInteraction(recorded.id, recorded.outcomes, service.outcomes, { rules });

    // Assess
    expect(same.status).toBe('matched');
    expect(same.outcomes[0].noiseDiffs.map((d) => d.field).sort()).toEqual(['createdAt', 'lines[*].id', 'lines[*].id', 'orderId']);
    expect(wrong.status).toBe('differed');
    expect(wrong.outcomes[0].diffs.map((d) => d.field)).toEqual(['total']);
    expect(withoutProfile.status).toBe('differed');
  });
});

describe('Command: replay learn-noise', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-noise-'));
  const write = (name: string, list: CapturedInteraction[], extra = '') =>
    fs.writeFileSync(path.join(dir, name), `${list.map(formatCapturedLine).join('\n')}\n${extra}`);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function cli(args: { a: string; b: string; pairBy?: 'entity' | 'position'; json?: boolean }) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await learnNoiseCommand(
      args.a,
      args.b,
      { out: 'profiles/noise.json', pairBy: args.pairBy, json: args.json },
      { cwd: dir, stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
    );
    return { code, out: out.join(''), err: err.join('') };
  }

  it('writes the profile --noise reads and summarises it, skipping unreadable lines', async () => {
    // Prepare
    write('run1.jsonl', first, '{"id": "broken"\n');
    write('run2.jsonl', second);

    // Act
    const { code, out, err } = await cli({ a: 'run1.jsonl', b: 'run2.jsonl' });

    // Assess
    expect(code).toBe(0);
    const profile = JSON.parse(fs.readFileSync(path.join(dir, 'profiles/noise.json'), 'utf8')) as LearnedNoiseJson;
    expect(profile.fields).toEqual({ 'order.created': ['createdAt', 'lines[*].id', 'orderId'] });
    expect(out).toContain('learned from 5 pair(s) of the same input (paired by entity)');
    expect(out).toMatch(/orderId\s+differed in 5\/5 pair\(s\), e\.g\. "one-order-7" vs "two-order-7"/);
    expect(out).toContain('receipt.sent: the number of outcomes varied in 1/5 pair(s), e.g. 1 vs 2');
    expect(err).toContain('skipped 1 unreadable line(s)');
  });

  it('says there is no noise when the runs agree, and prints JSON with --json', async () => {
    write('same.jsonl', first);
    const text = await cli({ a: 'same.jsonl', b: 'same.jsonl' });
    expect(text.out).toContain('no noise: the two recordings agree on every compared field');
    const json = await cli({ a: 'same.jsonl', b: 'same.jsonl', json: true });
    expect(JSON.parse(json.out)).toMatchObject({ fields: {}, unstableCounts: [] });
  });

  it('exits 2 naming the fix when nothing pairs or a file is missing', async () => {
    write(
      'other.jsonl',
      first.map((i) => ({ ...i, entity: { type: 'order', key: `Z-${i.id}` } })),
    );
    const none = await cli({ a: 'run1.jsonl', b: 'other.jsonl' });
    expect(none.code).toBe(2);
    expect(none.err).toContain(
      'fix: record the same inputs twice; if the monolith makes up the entity keys, pair by order with --pair-by position',
    );
    const missing = await cli({ a: 'nope.jsonl', b: 'other.jsonl' });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.jsonl: no such file/);
  });
});
