import { CutoverError } from '../errors';

/**
 * An RFC 9457 problem (`application/problem+json`). Every error the generated APIs return is one, with
 * the offending field and value when there is one, so a client can tell what to fix without reading logs.
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The request field (query parameter, path parameter, header, body path) that caused it. */
  readonly field?: string;
  /** The value received for that field. */
  readonly value?: unknown;
  readonly correlationId?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  428: 'Precondition Required',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A request the API refuses (4xx) or cannot serve (5xx); `toProblem` is what the client receives. */
export class ApiProblem extends CutoverError {
  public constructor(
    public readonly status: number,
    public readonly slug: string,
    message: string,
    public readonly field?: string,
    public readonly value?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, { status, slug, field, value }, options);
  }

  public toProblem(correlationId?: string): ProblemDetails {
    return {
      type: `https://cutover.dev/problems/${this.slug}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.value !== undefined ? { value: this.value } : {}),
      ...(correlationId ? { correlationId } : {}),
    };
  }
}

export const badRequest = (field: string, value: unknown, message: string): ApiProblem =>
  new ApiProblem(400, 'invalid-request', message, field, value);
