import { formatDuration, StderrProgress } from '../../cli/migration/progress';

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

  it('redraws in place on a terminal and ends the line when finished', () => {
    let now = 0;
    const stream = new Stream(true);
    const progress = new StderrProgress(stream, { now: () => now, intervalMs: 200 });
    progress.start('verify', 10, 0);
    now = 1000;
    progress.update(10);
    progress.finish('done');
    expect(stream.text.startsWith('\r\x1b[2K')).toBe(true);
    expect(stream.text.endsWith('100.0%  10/10  10 rows/s  ETA 0:00  done\n')).toBe(true);
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
