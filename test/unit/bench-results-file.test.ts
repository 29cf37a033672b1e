import { appendRun, formatRun, RESULTS_HEADER, type RunContext, type SavedResult } from '../bench/results-file';

const ctx: RunContext = {
  at: new Date('2026-12-06T03:40:00.123Z'),
  commit: 'abc1234',
  dirty: false,
  node: 'v20.20.2',
  cpus: 2,
  cpuModel: 'Test CPU',
  memoryGb: 23.5,
  platform: 'Linux 6 x64',
  loadStart: [15.2, 12, 9.5],
  loadEnd: [16, 12.25, 9.75],
  args: 'translate --save',
  env: { BENCH_ORDERS: '200000' },
};

const result = (over: Partial<SavedResult> = {}): SavedResult => ({
  bench: 'translate',
  name: 'legacy->service',
  figure: 12_345.6,
  unit: 'events/s',
  baseline: 40_000,
  ratio: 3.24,
  target: '<= 3x',
  ok: false,
  note: 'baseline: JSON | parse',
  ...over,
});

describe('Module: bench results file', () => {
  describe('Method: formatRun', () => {
    it('names the machine, load, commit and settings, and puts every figure beside its baseline and ratio', () => {
      // Prepare
      const results = [
        result(),
        result({
          name: 'service->legacy',
          figure: 0.5,
          ratio: undefined,
          baseline: undefined,
          ok: undefined,
          target: undefined,
          note: undefined,
        }),
      ];

      // Act
      const text = formatRun(ctx, results);

      // Assess
      expect(text.split('\n')[0]).toBe('## 2026-12-06T03:40:00Z — translate');
      expect(text).toContain('- commit: `abc1234`\n');
      expect(text).toContain('2 × Test CPU, 24 GB memory');
      expect(text).toContain('15.20 / 12.00 / 9.50 at start, 16.00 / 12.25 / 9.75 at end');
      expect(text).toContain('`BENCH_ORDERS=200000`');
      const rows = text.split('\n').filter((l) => l.startsWith('| translate |'));
      expect(rows).toEqual([
        '| translate | legacy->service | 12,346 | events/s | 40,000 | 3.24 | <= 3x | MISSED | baseline: JSON \\| parse |',
        '| translate | service->legacy | 0.5 | events/s | - | - |  |  |  |',
      ]);
    });

    it('marks uncommitted code and lists benches that failed', () => {
      // Act
      const text = formatRun({ ...ctx, dirty: true }, [result()], ['saga-ministack']);

      // Assess
      expect(text).toContain('(with uncommitted changes)');
      expect(text).toContain('- failed (no figures): saga-ministack');
      expect(text.split('\n')[0]).toContain('translate, saga-ministack');
    });
  });

  describe('Method: appendRun', () => {
    it('starts a new file with the header and appends later runs after the earlier ones', () => {
      // Prepare
      const first = formatRun(ctx, [result()]);
      const second = formatRun({ ...ctx, at: new Date('2026-12-06T04:00:00Z') }, [result({ figure: 20_000 })]);

      // Act
      const once = appendRun(undefined, first);
      const twice = appendRun(once, second);

      // Assess
      expect(once.startsWith(RESULTS_HEADER)).toBe(true);
      expect(twice.startsWith(once.trimEnd())).toBe(true);
      expect(twice.indexOf('03:40:00Z')).toBeLessThan(twice.indexOf('04:00:00Z'));
      expect(twice.match(/^# Benchmark results/gm)).toHaveLength(1);
    });
  });
});
