import { SingleBar } from 'cli-progress';

/**
 * A progress line on stderr: bar, percent, count, rate over the last few seconds and ETA. On a terminal
 * cli-progress redraws it in place (throttled, cursor and line wrapping handled, restored on stop);
 * otherwise (CI logs, files) it prints a plain line every few seconds, which log collectors keep whole.
 */
export interface Progress {
  start(label: string, total: number | undefined, done?: number): void;
  update(done: number, note?: string): void;
  finish(note?: string): void;
}

export const silentProgress: Progress = { start() {}, update() {}, finish() {} };

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');

export class StderrProgress implements Progress {
  private label = '';
  private total: number | undefined;
  private done = 0;
  private samples: [number, number][] = [];
  private lastDraw = 0;
  private readonly now: () => number;
  private readonly interval: number;
  private readonly tty: boolean;
  /** The terminal renderer, between start and finish. */
  private bar: SingleBar | undefined;

  public constructor(
    private readonly stream: ProgressStream = process.stderr,
    options: { now?: () => number; intervalMs?: number; unit?: string } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tty = stream.isTTY === true;
    this.interval = options.intervalMs ?? (this.tty ? 200 : 5000);
    this.unit = options.unit ?? 'rows';
  }

  private readonly unit: string;

  public start(label: string, total: number | undefined, done = 0): void {
    // A restart ends the previous bar with its own figures, before they are replaced.
    this.bar?.stop();
    this.bar = undefined;
    this.label = label;
    this.total = total;
    this.done = done;
    this.samples = [[this.now(), done]];
    this.lastDraw = 0;
    if (!this.tty) {
      this.draw(true);
      return;
    }
    // The line is ours (rate over a sliding window, ETA from it); cli-progress owns the terminal.
    this.bar = new SingleBar({
      stream: this.stream as NodeJS.WritableStream,
      format: (_options, _params, payload: { note?: string }) => this.line(payload.note),
      fps: 1000 / this.interval,
      // Nothing that changes the terminal's modes or signal handling: a kill mid-run (resume is the answer to
      // it) must leave the terminal as it was and keep Ctrl-C's default. Long lines are cut to the width instead.
      hideCursor: false,
      linewrap: true,
      gracefulExit: false,
    });
    this.bar.start(total ?? 0, done, { note: undefined });
  }

  /** Rows per second over the last ~10 s. */
  public rate(): number {
    const [t0, d0] = this.samples[0];
    const [t1, d1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? ((d1 - d0) * 1000) / (t1 - t0) : 0;
  }

  public line(note?: string): string {
    const rate = this.rate();
    const parts = [this.label];
    if (this.total !== undefined && this.total > 0) {
      const f = Math.min(1, this.done / this.total);
      const width = 24;
      const filled = Math.round(f * width);
      parts.push(
        `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
        `${(f * 100).toFixed(1).padStart(5)}%`,
        `${number(this.done)}/${number(this.total)}`,
      );
    } else parts.push(number(this.done));
    parts.push(`${number(rate)} ${this.unit}/s`);
    if (this.total !== undefined && rate > 0) parts.push(`ETA ${formatDuration(Math.max(0, this.total - this.done) / rate)}`);
    if (note) parts.push(note);
    return parts.join('  ');
  }

  public update(done: number, note?: string): void {
    this.done = done;
    const t = this.now();
    this.samples.push([t, done]);
    while (this.samples.length > 2 && t - this.samples[0][0] > 10_000) this.samples.shift();
    if (this.bar) this.bar.update(done, { note });
    else if (t - this.lastDraw >= this.interval) this.draw(false, note);
  }

  private draw(force: boolean, note?: string): void {
    const t = this.now();
    if (!force && t - this.lastDraw < this.interval) return;
    this.lastDraw = t;
    this.stream.write(`${this.line(note)}\n`);
  }

  public finish(note?: string): void {
    if (!this.bar) {
      this.stream.write(`${this.line(note)}\n`);
      return;
    }
    // The last update carries the closing note; stop() draws it once more and ends the line.
    this.bar.update(this.done, { note });
    this.bar.stop();
    this.bar = undefined;
  }
}
