/**
 * A small structured logger: one JSON object per line, which CloudWatch Logs Insights can query.
 * Level from LOG_LEVEL (debug | info | warn | error), default info.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

export class Logger {
  private readonly threshold: number;
  public constructor(
    private readonly service: string,
    private readonly base: Record<string, unknown> = {},
  ) {
    const level = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as Level;
    this.threshold = LEVELS[level] ?? LEVELS.info;
  }

  public child(extra: Record<string, unknown>): Logger {
    return new Logger(this.service, { ...this.base, ...extra });
  }

  public debug(message: string, fields: Record<string, unknown> = {}): void {
    this.write('debug', message, fields);
  }
  public info(message: string, fields: Record<string, unknown> = {}): void {
    this.write('info', message, fields);
  }
  public warn(message: string, fields: Record<string, unknown> = {}): void {
    this.write('warn', message, fields);
  }
  public error(message: string, fields: Record<string, unknown> = {}): void {
    this.write('error', message, fields);
  }

  private write(level: Level, message: string, fields: Record<string, unknown>): void {
    if (LEVELS[level] < this.threshold) return;
    const line = { level, service: this.service, message, timestamp: new Date().toISOString(), ...this.base, ...fields };
    const text = JSON.stringify(line, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message } : v));
    if (level === 'error' || level === 'warn') console.error(text);
    else console.log(text);
  }
}
