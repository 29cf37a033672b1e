/**
 * Typed errors. Each sets `name` (a Lambda error's name is its Step Functions error type, so a state
 * machine can catch business errors by name), carries structured `context`, and keeps the `cause`.
 */
export class CutoverError extends Error {
  public readonly context: Record<string, unknown>;
  public constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** The migration spec is invalid. `issues` name each offending field path. */
export class SpecError extends CutoverError {
  public constructor(
    public readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid migration spec:\n  - ${issues.join('\n  - ')}`, { issues }, options);
  }
}

/** A payload does not satisfy its declared schema. `problems` name the field path and the value. */
export class SchemaValidationError extends CutoverError {
  public constructor(
    public readonly eventType: string,
    public readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${eventType}: ${problems.join('; ')}`, { eventType, problems }, options);
  }
}

/** An event cannot be translated (unknown type, unknown version, a transform rejected a value). */
export class TranslationError extends CutoverError {}

/** A business rule said no: never retried (out of stock, card declined, address rejected...). */
export class BusinessError extends CutoverError {}

/** A passing fault worth retrying with backoff (throttling, timeouts). */
export class TransientError extends CutoverError {}

/**
 * The deployment or the spec lacks something a component needs: an environment variable, a spec section,
 * a construct prop out of range. Never retried (a retry meets the same configuration); `context.setting`
 * names the variable, section or prop to fix.
 */
export class ConfigurationError extends CutoverError {}

/** The boundary analysis cannot run on its input (unparseable schema, a pin naming no table, bad options). */
export class BoundaryError extends CutoverError {}
