import { decide, decideWithoutEntry, type Decision } from '../routing/decide';
import type { RouteEntry, RoutingTable } from '../routing/entry';
import type { Side } from '../routing/model';
import type { HeaderMap } from './headers';
import type { RouteTable, RouteMatch } from './routes';
import { stickyKeyOfRequest, type StickySource } from './sticky';

/** Everything the façade decides about one request, before any I/O. */
export interface FacadePlan {
  readonly match: RouteMatch | undefined;
  readonly capability: string | undefined;
  readonly decision: Decision;
  readonly key: string | undefined;
  readonly keyFrom: StickySource | undefined;
}

/**
 * The plan for one request: the route, its capability's entry in the SAME routing table the event router
 * reads, the sticky key, and core/routing's `decide` with the SAME bucket function, so a customer's HTTP
 * requests and events land on the same side at a given percent.
 */
export function planRequest(routes: RouteTable, table: RoutingTable, method: string, path: string, headers: HeaderMap): FacadePlan {
  const match = routes.match(method, path);
  const capability = match?.route.capability;
  if (match === undefined || capability === undefined)
    return { match, capability, decision: decideWithoutEntry(undefined), key: undefined, keyFrom: undefined };
  const sticky = stickyKeyOfRequest(match.route.stickyKey, { headers, params: match.params });
  const entry: RouteEntry | undefined = table.get(capability);
  const decision = entry === undefined ? decideWithoutEntry(sticky?.key) : decide(entry, sticky?.key);
  return { match, capability, decision, key: sticky?.key, keyFrom: sticky?.from };
}

/** The side's base URL, or `undefined` when the deployment gave none (the plan then falls back, see `resolveSides`). */
export type UpstreamUrls = (side: Side, capability: string | undefined) => string | undefined;

/**
 * A plan whose candidate has no URL in this deployment cannot send to it: serve the monolith and drop the
 * shadow, and say so (`fallback`) rather than fail the customer's request.
 */
export function resolveSides(plan: FacadePlan, urls: UpstreamUrls): { authoritative: Side; shadow: Side | undefined; fallback: boolean } {
  const has = (s: Side) => urls(s, plan.capability) !== undefined;
  const { authoritative, shadow } = plan.decision;
  if (!has(authoritative)) return { authoritative: 'legacy', shadow: undefined, fallback: true };
  return { authoritative, shadow: shadow !== undefined && has(shadow) ? shadow : undefined, fallback: false };
}

/** Joins a base URL (which may carry a path prefix) with the request path and raw query string. */
export function upstreamUrl(base: string, path: string, rawQuery: string | undefined): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  const p = path.startsWith('/') ? path : `/${path}`;
  return `${b}${p}${rawQuery ? `?${rawQuery}` : ''}`;
}
