import type { FacadeRoute, FacadeSection, StickyKeySource } from '../spec/facade';

/**
 * Route matching for the façade: a request's method and path against the spec's route patterns. Pure.
 * A request no route matches is not an error: it goes to the monolith, which served it before the façade
 * existed (clients change nothing).
 */
export interface CompiledRoute {
  /** `GET /customers/{customerId}`: names the route in metrics, logs and problems. */
  readonly id: string;
  readonly method: FacadeRoute['method'];
  readonly pattern: string;
  readonly capability: string | undefined;
  readonly stickyKey: StickyKeySource;
  readonly segments: ReadonlyArray<{ readonly literal: string } | { readonly param: string; readonly greedy: boolean }>;
  /** Declaration order: the tie-breaker after specificity. */
  readonly order: number;
}

export interface RouteMatch {
  readonly route: CompiledRoute;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/** Literal segments outrank parameters, parameters outrank a greedy tail; then declaration order. */
function specificity(r: CompiledRoute): number[] {
  return r.segments.map((s) => ('literal' in s ? 0 : s.greedy ? 2 : 1));
}

function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const sa = specificity(a);
  const sb = specificity(b);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) if (sa[i] !== sb[i]) return sa[i] - sb[i];
  if (sa.length !== sb.length) return sb.length - sa.length;
  return a.order - b.order;
}

export function compileRoute(route: FacadeRoute, defaults: StickyKeySource, order: number): CompiledRoute {
  const segments =
    route.path === '/'
      ? []
      : route.path
          .slice(1)
          .split('/')
          .map((s) => {
            const m = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/.exec(s);
            return m ? { param: m[1], greedy: m[2] === '+' } : { literal: s };
          });
  return {
    id: `${route.method} ${route.path}`,
    method: route.method,
    pattern: route.path,
    capability: route.capability,
    stickyKey: route.stickyKey ?? defaults,
    segments,
    order,
  };
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Matches one compiled route against a path (no query string). `undefined` when it does not match. */
export function matchPath(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const parts = path === '/' || path === '' ? [] : path.replace(/^\//, '').split('/');
  const params: Record<string, string> = {};
  let i = 0;
  for (const seg of route.segments) {
    if ('literal' in seg) {
      if (parts[i] !== seg.literal) return undefined;
      i++;
      continue;
    }
    if (seg.greedy) {
      if (i >= parts.length) return undefined;
      const rest = decode(parts.slice(i).join('/'));
      if (rest === undefined || rest === '') return undefined;
      params[seg.param] = rest;
      return params;
    }
    const value = parts[i] === undefined ? undefined : decode(parts[i]);
    if (value === undefined || value === '') return undefined;
    params[seg.param] = value;
    i++;
  }
  return i === parts.length ? params : undefined;
}

/** The spec's routes compiled once, most specific first. */
export class RouteTable {
  public readonly routes: readonly CompiledRoute[];

  public constructor(section: Pick<FacadeSection, 'routes' | 'stickyKey'>) {
    this.routes = section.routes.map((r, i) => compileRoute(r, section.stickyKey, i)).sort(compareRoutes);
  }

  /** The route serving `method path`, or `undefined` (the monolith serves it, unrouted). HEAD falls back to a GET route. */
  public match(method: string, path: string): RouteMatch | undefined {
    const m = method.toUpperCase();
    const found = this.find(m, path);
    return found ?? (m === 'HEAD' ? this.find('GET', path) : undefined);
  }

  private find(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchPath(route, path);
      if (params !== undefined) return { route, params };
    }
    return undefined;
  }
}
