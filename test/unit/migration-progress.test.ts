import { formatDuration, StderrProgress } from '../../cli/migration/progress';

const ESC = String.fromCharCode(27);

class Stream {
  public text = '';
  public constructor(public readonly isTTY: boolean) {}
  public write(t: string): boolean {
    this.text += t;
    return true;
  }
}

describe('Class: StderrProgress', () => {
  it('shows the bar, percent, count, rate over the last seconds and the ETA', () => {
    // Prepare
    let now = 0;
    const stream = new Stream(false);
    const progress = new StderrProgress(stream, { now: () => now, intervalMs: 1000 });

    // Act: 2,000 rows a second for 5 s.
    progress.start('orders -> orders', 100_000, 0);
    for (let s = 1; s <= 5; s++) {
      now = s * 1000;
      progress.update(s * 2000);
    }

    // Assess
    const last = stream.text.trim().split('\n').pop();
    expect(last).toBe('orders -> orders  [##----------------------]   10.0%  10,000/100,000  2,000 rows/s  ETA 0:45');
  });

  it('redraws in place on a terminal through cli-progress and ends the line when finished', () => {
    // Prepare
    let now = 0;
    const stream = new Stream(true);
    const progress = new StderrProgress(stream, { now: () => now, intervalMs: 200 });

    // Act
    progress.start('verify', 10, 0);
    const whileRunning = stream.text;
    now = 1000;
    progress.update(10);
    progress.finish('done');

    // Assess: no newline until the end, the line rewritten from column 1, the final line whole.
    expect(whileRunning).toContain('verify  [------------------------]    0.0%  0/10');
    expect(whileRunning).not.toContain('\n');
    expect(whileRunning).toContain('\x1b[1G');
    expect(stream.text.indexOf('\n')).toBe(stream.text.length - 1);
    expect(stream.text).toContain('verify  [########################]  100.0%  10/10  10 rows/s  ETA 0:00  done');
  });

  it('cuts a line longer than the terminal to its width instead of wrapping it', () => {
    // Prepare
    const stream = Object.assign(new Stream(true), { columns: 30 });
    const progress = new StderrProgress(stream, { now: () => 0 });

    // Act
    progress.start('a-very-long-table-name -> its-service-table', 100, 0);
    progress.finish();

    // Assess
    const drawn = stream.text.split(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]|\n`)).filter((t) => t.length > 0);
    expect(drawn.length).toBeGreaterThan(0);
    for (const line of drawn) expect(line.length).toBeLessThanOrEqual(30);
  });

  it('prints whole lines, never control characters, when stderr is not a terminal (CI logs)', () => {
    // Prepare
    let now = 0;
    const stream = new Stream(false);
    const progress = new StderrProgress(stream, { now: () => now, intervalMs: 1000 });

    // Act
    progress.start('backfill', 4, 0);
    now = 1000;
    progress.update(2);
    progress.finish('done');

    // Assess
    expect(stream.text).not.toContain('\r');
    expect(stream.text).not.toContain(ESC);
    expect(stream.text.split('\n')).toEqual([
      'backfill  [------------------------]    0.0%  0/4  0 rows/s',
      'backfill  [############------------]   50.0%  2/4  2 rows/s  ETA 0:01',
      'backfill  [############------------]   50.0%  2/4  2 rows/s  ETA 0:01  done',
      '',
    ]);
  });

  it.each([
    [0, '0:00'],
    [59.6, '1:00'],
    [3725, '1:02:05'],
    [Infinity, '--:--'],
  ])('formats %d seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
