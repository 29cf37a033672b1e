import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isServiceEvent, type ServiceEvent } from '../../core/events/envelope';
import { parseSpec, validatePayload } from '../../core/spec';
import { Translator } from '../../core/translate/translator';
import config from '../../cutover.config';
import { specCheckCommand, specExamples, specExamplesCommand } from '../../cli/commands/spec';
import { parseEventLine } from '../../cli/commands/events';

const spec = parseSpec(config);
const translator = new Translator(spec);
const now = new Date('2026-11-21T12:00:00Z');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

describe('Function: specExamples', () => {
  it('prints every legacy example, each valid against its schema', () => {
    // Act
    const lines = specExamples(spec, 'legacy', { now });

    // Assess
    const expected = Object.values(spec.bridge.legacyEvents).reduce((n, d) => n + d.examples.length, 0);
    expect(lines).toHaveLength(expected);
    for (const l of lines) expect(validatePayload(spec.bridge.legacyEvents[l.detailType].schema, l.detail)).toEqual([]);
  });

  it('prints every service example of every version in a service-origin envelope, each translatable when a translation exists', () => {
    // Act
    const lines = specExamples(spec, 'services', { now });

    // Assess
    const expected = Object.values(spec.bridge.serviceEvents).reduce(
      (n, d) => n + Object.values(d.versions).reduce((m, v) => m + v.examples.length, 0),
      0,
    );
    expect(lines).toHaveLength(expected);
    expect(
      lines.filter((l) => l.detailType === 'order.created').map((l) => (l.detail as unknown as ServiceEvent).metadata.version),
    ).toEqual([1, 2]);
    const toLegacy = new Set(spec.bridge.translations.filter((t) => t.direction !== 'toService').map((t) => t.service));
    for (const l of lines) {
      expect(isServiceEvent(l.detail)).toBe(true);
      const event = l.detail as unknown as ServiceEvent;
      expect(event.metadata).toMatchObject({ eventType: l.detailType, origin: 'service', occurredAt: '2026-11-21T12:00:00Z' });
      if (toLegacy.has(l.detailType)) expect(translator.toLegacy(event, { now }).status).toBe('translated');
    }
  });

  it('gives each service example a stable id, so putting the file twice gives the same ids', () => {
    const a = specExamples(spec, 'services', { now }).map((l) => (l.detail as unknown as ServiceEvent).metadata.eventId);
    const b = specExamples(spec, 'services', { now: new Date() }).map((l) => (l.detail as unknown as ServiceEvent).metadata.eventId);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
  });

  it('keeps only what the bridge translates away from that side with translatableOnly', () => {
    const legacy = specExamples(spec, 'legacy', { translatableOnly: true });
    for (const l of legacy) expect(translator.toService(l.detailType, l.detail, { now }).status).toBe('translated');
    expect(legacy.length).toBeLessThan(specExamples(spec, 'legacy').length);
  });

  it('prints lines that `events put` parses back', () => {
    for (const l of [...specExamples(spec, 'legacy'), ...specExamples(spec, 'services')]) {
      expect(parseEventLine(JSON.stringify(l), 1)).toMatchObject({ ok: true, detailType: l.detailType });
    }
  });
});

describe('Command: spec examples / spec check', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cutover-spec-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints JSON lines for one side', async () => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await specExamplesCommand({ config: path.join(__dirname, '../../cutover.config.ts'), side: 'legacy' }, io);

    // Assess
    expect(code).toBe(0);
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(specExamples(spec, 'legacy').length);
  });

  it('says ok with the counts for the reference spec', async () => {
    const { io, out } = capture();
    expect(await specCheckCommand({ config: 'cutover.config.ts' }, { ...io, cwd: path.join(__dirname, '../..') })).toBe(0);
    expect(out.join('')).toMatch(
      /^ok: .*cutover\.config\.ts\n {2}\d+ legacy events, \d+ service events \(\d+ versions\), \d+ translations/,
    );
  });

  it('lists every problem with its field path and exits 1 for a broken spec', async () => {
    // Prepare: a JSON spec module with two broken translations
    const broken = structuredClone(config) as { bridge: { translations: Array<{ fields: Array<{ legacy?: string }> }> } };
    broken.bridge.translations[0].fields[0].legacy = 'NOT_A_FIELD';
    broken.bridge.translations[1].fields[0].legacy = 'NOR_THIS';
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, JSON.stringify(broken));
    const { io, err } = capture();

    // Act
    const code = await specCheckCommand({ config: file }, io);

    // Assess
    expect(code).toBe(1);
    expect(err.join('')).toMatch(
      /the spec has 2 problem\(s\):\n {2}- bridge\.translations\[0\]\.fields\[0\]\.legacy: "NOT_A_FIELD" is not a field of the legacy schema\n {2}- bridge\.translations\[1\]/,
    );
  });

  it('names the missing file and the fix (exit 2)', async () => {
    const { io, err } = capture();
    expect(await specCheckCommand({ config: path.join(dir, 'nope.ts') }, io)).toBe(2);
    expect(err.join('')).toMatch(/does not exist\n {2}fix: run from the project directory or pass --config/);
  });
});
