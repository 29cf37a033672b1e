import { Command } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RehearsalError, loadRehearsalHandler, registerRehearseCommand, rehearse, type RehearsalInput } from '../../cli/rehearse';
import type { CapturedInteraction, RecordedEvent } from '../../core/replay';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

function rec(id: string, key: string, offsetMs: number, total: string, extra: Partial<CapturedInteraction> = {}): CapturedInteraction {
  return {
    id,
    capturedAt: new Date(T0 + offsetMs).toISOString(),
    entity: { type: 'order', key },
    input: { type: 'ORDER_PLACED', version: 1, payload: { ORDER_NO: key, TOTAL: total } },
    outcomes: [{ type: 'order.created', version: 1, payload: { orderId: key, total, createdAt: `t${offsetMs}` } }],
    ...extra,
  };
}

/** A new service that echoes the total, except where told otherwise by the input. */
async function service(input: RehearsalInput): Promise<RecordedEvent[]> {
  const p = input.payload as { ORDER_NO: string; TOTAL: string };
  if (p.TOTAL === 'boom') throw new RangeError('cannot price this order');
  if (p.TOTAL === 'slow') return new Promise(() => undefined);
  if (p.TOTAL === 'junk') return { not: 'a list' } as never;
  const total = p.TOTAL === '10.00' && p.ORDER_NO === 'B' ? '10.01' : p.TOTAL;
  return [{ type: 'order.created', version: 1, payload: { orderId: p.ORDER_NO, total, createdAt: 'now' } }];
}

describe('Function: rehearse', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-test-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function write(lines: string[]): string {
    const file = path.join(dir, 'export.jsonl');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it('replays in per-entity order, compares, and reports every kind of outcome', async () => {
    // Prepare: A's events are out of order in the file; one line is cut off; one id is repeated.
    const lines = [
      JSON.stringify(rec('a2', 'A', 2000, '2.00')),
      JSON.stringify(rec('b1', 'B', 1500, '10.00')),
      JSON.stringify(rec('a1', 'A', 1000, '1.00')),
      JSON.stringify(rec('c1', 'C', 500, 'boom')),
      JSON.stringify(rec('d1', 'D', 600, 'junk')),
      JSON.stringify(rec('e1', 'E', 700, '5.00')).slice(0, 60),
      '',
      JSON.stringify(rec('a1', 'A', 1000, '1.00')),
      JSON.stringify({ ...rec('f1', 'F', 800, '1.00'), outcomes: undefined }),
    ];
    const calls: string[] = [];
    const progress: string[] = [];

    // Act
    const report = await rehearse({
      captured: write(lines),
      handler: (input) => {
        calls.push(`${input.entity.key}:${input.replay.interactionId}`);
        return service(input);
      },
      compare: { default: { ignore: ['createdAt'] } },
      replayId: 'r-test',
      progressEveryMs: 0,
      onProgress: (p) => progress.push(p.phase),
    });

    // Assess
    expect(calls.filter((c) => c.startsWith('A:'))).toEqual(['A:a1', 'A:a2']);
    expect(calls).toHaveLength(5);
    expect(report.totals).toEqual({
      read: 8,
      compared: 3,
      matched: 2,
      differed: 1,
      missingOutcome: 0,
      extraOutcome: 0,
      skippedInvalid: 3,
      failed: 2,
      matchedWithNoise: 0,
    });
    expect(report.fieldsRanked.map((f) => [f.outcomeType, f.field, f.count])).toEqual([['order.created', 'total', 1]]);
    expect(report.fieldsRanked[0].examples[0]).toMatchObject({ interactionId: 'b1', expected: '10.00', actual: '10.01' });
    expect(report.skipped.byCode).toEqual([
      { code: 'duplicate-id', count: 1 },
      { code: 'missing-field', count: 1 },
      { code: 'truncated-json', count: 1 },
    ]);
    expect(report.skipped.examples.find((s) => s.code === 'truncated-json')).toMatchObject({ line: 6, id: 'e1' });
    expect(report.skipped.examples.find((s) => s.code === 'missing-field')).toMatchObject({ id: 'f1', field: 'outcomes' });
    expect(report.failures.byName).toEqual([
      { name: 'InvalidHandlerOutputError', count: 1 },
      { name: 'RangeError', count: 1 },
    ]);
    expect(report.replayId).toBe('r-test');
    expect(progress).toContain('scan');
    expect(progress[progress.length - 1]).toBe('replay');
  });

  it('counts a handler that never answers as a timeout and goes on', async () => {
    // Prepare
    const file = write([JSON.stringify(rec('s1', 'S', 0, 'slow')), JSON.stringify(rec('s2', 'S', 10, '3.00'))]);

    // Act
    const report = await rehearse({ captured: file, handler: service, timeoutMs: 30, compare: { default: { ignore: ['createdAt'] } } });

    // Assess
    expect(report.failures.examples).toEqual([
      { interactionId: 's1', name: 'HandlerTimeoutError', message: 'the handler did not answer within 30 ms' },
    ]);
    expect(report.totals.matched).toBe(1);
  });

  it('applies the replay filter', async () => {
    const file = write([JSON.stringify(rec('a1', 'A', 0, '1.00')), JSON.stringify(rec('b1', 'B', 0, '1.00'))]);
    const report = await rehearse({ captured: file, handler: service, filter: { entityIds: ['B'] } });
    expect(report.totals.read).toBe(1);
  });

  it('fails clearly when the export does not exist', async () => {
    await expect(rehearse({ captured: path.join(dir, 'nope.jsonl'), handler: service })).rejects.toThrow(RehearsalError);
  });
});

describe('Function: loadRehearsalHandler', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-handler-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds handler.js in a service folder', async () => {
    fs.writeFileSync(path.join(dir, 'handler.js'), 'exports.handler = async (e) => [{ type: "x.y", payload: e.payload }];\n');
    const h = await loadRehearsalHandler(dir);
    expect(await h({ type: 'T', payload: 7 } as never)).toEqual([{ type: 'x.y', payload: 7 }]);
  });

  it('names what is missing', async () => {
    fs.writeFileSync(path.join(dir, 'other.js'), 'exports.nothing = 1;\n');
    await expect(loadRehearsalHandler(dir)).rejects.toThrow(
      'the folder has none of rehearse.ts, rehearse.js, handler.ts, handler.js, index.ts, index.js',
    );
    await expect(loadRehearsalHandler(path.join(dir, 'other.js'))).rejects.toThrow(
      'exports no rehearsalHandler, handler or default function',
    );
    await expect(loadRehearsalHandler(path.join(dir, 'absent'))).rejects.toThrow('no such file or folder');
  });
});

describe('Command: rehearse', () => {
  let dir: string;
  const savedConfig = process.env.CUTOVER_CONFIG;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-cmd-'));
    process.env.CUTOVER_CONFIG = path.join(dir, 'no-config.ts');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (savedConfig === undefined) delete process.env.CUTOVER_CONFIG;
    else process.env.CUTOVER_CONFIG = savedConfig;
    process.exitCode = undefined;
    jest.restoreAllMocks();
  });

  it('prints the report, writes JSON and HTML, and exits 2 when something differed', async () => {
    // Prepare
    const file = path.join(dir, 'export.jsonl');
    fs.writeFileSync(file, [rec('a1', 'A', 0, '1.00'), rec('b1', 'B', 0, '10.00')].map((r) => JSON.stringify(r)).join('\n'));
    fs.writeFileSync(
      path.join(dir, 'svc.js'),
      'exports.handler = async (e) => [{ type: "order.created", version: 1, payload: { orderId: e.payload.ORDER_NO, total: e.payload.ORDER_NO === "B" ? "9.99" : e.payload.TOTAL } }];\n',
    );
    const out: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerRehearseCommand(program);

    // Act
    await program.parseAsync([
      'node',
      'cutover',
      'rehearse',
      '--captured',
      file,
      '--service',
      path.join(dir, 'svc.js'),
      '--report',
      path.join(dir, 'r.json'),
      '--html',
      path.join(dir, 'r.html'),
    ]);

    // Assess
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8'));
    expect(json.totals).toMatchObject({ compared: 2, differed: 2 });
    expect(json.fieldsRanked.map((f: { field: string }) => f.field)).toEqual(['createdAt', 'total']);
    expect(fs.readFileSync(path.join(dir, 'r.html'), 'utf8')).toContain('<h2>Differing fields, most frequent first</h2>');
    expect(out.join('')).toContain('Differing fields, most frequent first');
    expect(process.exitCode).toBe(2);
  });

  it('rejects a bad --sample before doing anything', async () => {
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerRehearseCommand(program);
    await expect(program.parseAsync(['node', 'cutover', 'rehearse', '--captured', 'x', '--service', 'y', '--sample', '0'])).rejects.toThrow(
      'expected a percent above 0 and at most 100, got "0"',
    );
  });
});
