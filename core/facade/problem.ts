import type { Side } from '../routing/model';

/**
 * The façade's own errors, as RFC 9457 problem+json. Each names what failed (which side, which route,
 * which limit), so a client or an operator can tell the façade's refusal from the monolith's answer.
 */
export type FacadeFailure =
  | { readonly kind: 'request-too-large'; readonly bytes: number; readonly limit: number }
  | { readonly kind: 'upstream-timeout'; readonly side: Side; readonly timeoutMs: number; readonly attempts: number }
  | { readonly kind: 'upstream-unreachable'; readonly side: Side; readonly attempts: number; readonly message: string }
  | { readonly kind: 'response-too-large'; readonly side: Side; readonly limit: number }
  | { readonly kind: 'routing-unavailable'; readonly message: string };

export interface FacadeProblem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly route?: string;
  readonly side?: Side;
  readonly correlationId?: string;
  readonly [extra: string]: unknown;
}

export const FACADE_PROBLEM_BASE = 'https://cutover.dev/problems/facade/';

export function facadeProblem(f: FacadeFailure, route: string | undefined, correlationId: string | undefined): FacadeProblem {
  const common = { route, correlationId };
  switch (f.kind) {
    case 'request-too-large':
      return {
        type: `${FACADE_PROBLEM_BASE}${f.kind}`,
        title: 'Content Too Large',
        status: 413,
        detail: `the request body is ${f.bytes} bytes; the façade accepts at most ${f.limit}`,
        field: 'body',
        value: f.bytes,
        limit: f.limit,
        ...common,
      };
    case 'upstream-timeout':
      return {
        type: `${FACADE_PROBLEM_BASE}${f.kind}`,
        title: 'Gateway Timeout',
        status: 504,
        detail: `the ${sideName(f.side)} did not answer within ${f.timeoutMs} ms (${f.attempts} attempt${f.attempts === 1 ? '' : 's'})`,
        side: f.side,
        attempts: f.attempts,
        ...common,
      };
    case 'upstream-unreachable':
      return {
        type: `${FACADE_PROBLEM_BASE}${f.kind}`,
        title: 'Bad Gateway',
        status: 502,
        detail: `the ${sideName(f.side)} could not be reached: ${f.message} (${f.attempts} attempt${f.attempts === 1 ? '' : 's'})`,
        side: f.side,
        attempts: f.attempts,
        ...common,
      };
    case 'response-too-large':
      return {
        type: `${FACADE_PROBLEM_BASE}${f.kind}`,
        title: 'Bad Gateway',
        status: 502,
        detail: `the ${sideName(f.side)}'s response is larger than ${f.limit} bytes, the façade's limit`,
        side: f.side,
        limit: f.limit,
        ...common,
      };
    case 'routing-unavailable':
      return {
        type: `${FACADE_PROBLEM_BASE}${f.kind}`,
        title: 'Service Unavailable',
        status: 503,
        detail: `the routing table could not be read: ${f.message}`,
        ...common,
      };
  }
}

function sideName(side: Side): string {
  return side === 'legacy' ? 'monolith (legacy side)' : 'new implementation (candidate side)';
}
