import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * The handlers' logger: Powertools Logger behind the small surface the handlers use (`child`, `debug`, `info`,
 * `warn`, `error`, each with a message and fields). Powertools writes one JSON object per line, takes the level
 * from Lambda's own setting (AWS_LAMBDA_LOG_LEVEL, else POWERTOOLS_LOG_LEVEL or LOG_LEVEL, default info), sends
 * warn and error to stderr, and writes an Error among the fields with its name, message, stack and cause.
 *
 * `child` adds keys to every line of the child; a `correlationId` among them becomes the line's
 * `correlation_id`, so every line about one order or event can be found by it.
 */
export class Logger {
  private readonly inner: PowertoolsLogger;

  public constructor(service: string, base: Record<string, unknown> = {}, inner?: PowertoolsLogger) {
    this.inner = inner ?? new PowertoolsLogger({ serviceName: service });
    const { correlationId, ...keys } = base;
    if (Object.keys(keys).length > 0) this.inner.appendKeys(keys as Parameters<PowertoolsLogger['appendKeys']>[0]);
    if (typeof correlationId === 'string' && correlationId !== '') this.inner.setCorrelationId(correlationId);
  }

  public child(extra: Record<string, unknown>): Logger {
    return new Logger('', extra, this.inner.createChild());
  }

  public debug(message: string, fields: Record<string, unknown> = {}): void {
    this.inner.debug(message, fields);
  }
  public info(message: string, fields: Record<string, unknown> = {}): void {
    this.inner.info(message, fields);
  }
  public warn(message: string, fields: Record<string, unknown> = {}): void {
    this.inner.warn(message, fields);
  }
  public error(message: string, fields: Record<string, unknown> = {}): void {
    this.inner.error(message, fields);
  }
}
