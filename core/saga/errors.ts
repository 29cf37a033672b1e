import { BusinessError, CutoverError, TransientError } from '../errors';

/*
 * The saga's typed errors. A Lambda error's name is its Step Functions error type, so every name here is
 * a literal (not the class name, which a minifier may rename): the state machine catches business errors
 * by these exact names and never retries them.
 */

/** A reference service said no: the step did nothing, so only the steps before it are compensated. */
export class SagaBusinessError extends BusinessError {
  public constructor(name: BusinessErrorName, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = name;
  }
}

/** A compensation that cannot be done, whatever the retries (the parcel already left): goes to needs-attention. */
export class CompensationRefused extends CutoverError {
  public constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'CompensationRefused';
  }
}

/** A passing fault (throttling, a timeout, a flaky dependency): retried with backoff and jitter. */
export class StepTransientError extends TransientError {
  public constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'TransientError';
  }
}

/** The step's input is not what the saga sends: a bug or a tampered call, never retried. */
export class InvalidStepInput extends CutoverError {
  public constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'InvalidStepInput';
  }
}

export const BUSINESS_ERRORS = [
  'OutOfStock',
  'CardDeclined',
  'AddressRejected',
  'ReservationExpired',
  'FraudRejected',
  'FraudReviewTimeout',
] as const;
export type BusinessErrorName = (typeof BUSINESS_ERRORS)[number];

/** Error types worth a retry: ours, and what Lambda and the SDK report for passing faults. */
export const TRANSIENT_ERRORS = [
  'TransientError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
  'States.Timeout',
] as const;

/** Compensation errors that retrying cannot fix; they go straight to the CompensationFailed path. */
export const PERMANENT_COMPENSATION_ERRORS = ['CompensationRefused', 'InvalidStepInput'] as const;

/** SDK exception names (AWS SDK v3 `error.name`) that mean "try again later". */
const TRANSIENT_SDK_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TooManyRequestsException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
]);

/** True when an error thrown by an SDK call is a passing fault. */
export function isTransientSdkError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  if (typeof e.name === 'string' && TRANSIENT_SDK_ERRORS.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_SDK_ERRORS.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/**
 * What a step handler throws for an unexpected error: a transient SDK fault becomes `TransientError` (so
 * the state machine retries it), our typed errors pass through, anything else keeps its name.
 */
export function toStepError(err: unknown, context: Record<string, unknown> = {}): Error {
  if (err instanceof CutoverError) return err;
  if (isTransientSdkError(err)) {
    const name = (err as { name?: string }).name ?? 'Error';
    return new StepTransientError(`${name}: ${(err as Error).message ?? String(err)}`, context, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
