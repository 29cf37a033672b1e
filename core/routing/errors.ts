import type { z } from 'zod';
import { CutoverError } from '../errors';

/** Something about routing is wrong: a route entry, a change, a metric. Base of the routing errors. */
export class RoutingError extends CutoverError {}

/** A route entry (from the table or from a caller) does not satisfy the model. `issues` name field and value. */
export class RouteEntryError extends RoutingError {
  public constructor(
    public readonly issues: string[],
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`invalid route entry:\n  - ${issues.join('\n  - ')}`, { ...context, issues }, options);
  }
}

/**
 * A requested change is not allowed from the entry's current state (e.g. `legacy -> primary` skips steps,
 * `setPercent` outside canary, a missing reason). Never retried: the request itself must change.
 */
export class TransitionError extends RoutingError {}

/** Render a value for an error message: short, JSON where possible, `nothing` for undefined. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) return String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * Turn zod issues into `path: message, got <value>` lines. The value is read back from the input by the
 * issue's path, so every line names the field and what was there.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, root = '(entry)'): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const where = path === '' ? root : path;
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${issue.keys.join(', ')}`;
    return `${where}: ${issue.message}, got ${show(valueAt(input, issue.path))}`;
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
