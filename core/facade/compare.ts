import type { Comparator, Diff } from '../compare/comparator';
import type { HeaderMap } from './headers';

/** A response as the comparison sees it. */
export interface ComparableResponse {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: string;
}

export interface ResponseComparison {
  readonly equal: boolean;
  /** `status` when the statuses differ; the body's differences otherwise (paths as the spec's rules write them). */
  readonly diffs: readonly Diff[];
}

function parsed(r: ComparableResponse): unknown {
  const type = r.headers['content-type'] ?? '';
  if (/json/i.test(type)) {
    try {
      return JSON.parse(r.body);
    } catch {
      return r.body;
    }
  }
  return r.body;
}

/**
 * Compares the candidate's response with the monolith's under the spec's compare rules (ignore paths,
 * normalisers, tolerances) applied to the body, so `ignore: ['**.placedAt']` means the same for HTTP as
 * for events. A different status is always a mismatch: a 404 against a 200 is never noise.
 */
export function compareResponses(comparator: Comparator, legacy: ComparableResponse, candidate: ComparableResponse): ResponseComparison {
  if (legacy.status !== candidate.status)
    return {
      equal: false,
      diffs: [{ path: 'status', field: 'status', kind: 'changed', expected: legacy.status, actual: candidate.status }],
    };
  const result = comparator.compare(parsed(legacy), parsed(candidate));
  return { equal: result.equal, diffs: result.diffs };
}
