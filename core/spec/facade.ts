import { z } from 'zod';

/**
 * The HTTP strangler façade (issue 13 §2): which storefront routes (method + path pattern) belong to which
 * routing capability. The façade reads the SAME routing table as the event router, so `cutover route ...`
 * moves a capability's HTTP routes together with its events. Routes without a capability always go to the
 * monolith. Where the monolith and the candidate are reached is a deployment fact (construct props), not
 * the spec's.
 */
export const FACADE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const pathPattern = z
  .string()
  .regex(
    /^(\/(\{[A-Za-z_][A-Za-z0-9_]*\+?\}|[A-Za-z0-9._~-]+))+$|^\/$/,
    'must be a path such as /customers/{customerId} (a {name+} matches the rest)',
  )
  .refine((p) => !/\{[^}]+\+\}\//.test(p), { message: 'a greedy {name+} must be the last segment' });

/** Where the sticky key of a request is read: the first source that yields a non-empty value wins. */
export const stickyKeySourceSchema = z
  .object({
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be a header name')
      .optional(),
    cookie: z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a cookie name')
      .optional(),
    /** A claim of the bearer JWT (`Authorization: Bearer ...`), read without verifying: see README. */
    jwtClaim: z.string().min(1).optional(),
    /** A path parameter of the route, e.g. customerId in /customers/{customerId}. */
    pathParam: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
  })
  .strict()
  .refine((s) => s.header !== undefined || s.cookie !== undefined || s.jwtClaim !== undefined || s.pathParam !== undefined, {
    message: 'name at least one of header, cookie, jwtClaim, pathParam',
  });

export const facadeRouteSchema = z
  .object({
    method: z.enum(FACADE_METHODS),
    path: pathPattern,
    /** The routing capability this route moves with; absent = always the monolith. */
    capability: z.string().optional(),
    /** Overrides the section's sticky key sources for this route. */
    stickyKey: stickyKeySourceSchema.optional(),
  })
  .strict();

export const facadeSectionSchema = z
  .object({
    /** Default sticky key sources (customer id from a header, a cookie or a JWT claim). */
    stickyKey: stickyKeySourceSchema,
    routes: z.array(facadeRouteSchema).min(1, 'declare at least one route'),
    /** Per attempt, to either side. @default 5000 */
    timeoutMs: z.number().int().min(50).max(29_000).default(5000),
    /** Extra attempts for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) on a network error, a timeout or 502/503/504. @default 1 */
    retries: z.number().int().min(0).max(3).default(1),
    /** Larger request bodies are refused with 413 before anything is sent. @default 1 MiB */
    maxRequestBytes: z.number().int().min(1).max(6_000_000).default(1_048_576),
    /** Larger upstream responses are refused with 502 (the Lambda response limit is 6 MB). @default 5 MiB */
    maxResponseBytes: z.number().int().min(1).max(5_900_000).default(5_242_880),
    /** How long a routing table read is trusted: a rollback is honoured within this. @default 500 */
    cacheTtlMs: z.number().int().min(0).max(1000).default(500),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Map<string, number>();
    s.routes.forEach((r, i) => {
      const shape = `${r.method} ${r.path.replace(/\{[^}]+\}/g, '{}')}`;
      const first = seen.get(shape);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'path'],
          message: `${r.method} ${r.path} matches the same requests as routes[${first}]`,
        });
      else seen.set(shape, i);
    });
  });

export type FacadeSectionInput = z.input<typeof facadeSectionSchema>;
export type FacadeSection = z.output<typeof facadeSectionSchema>;
export type FacadeRoute = z.output<typeof facadeRouteSchema>;
export type StickyKeySource = z.output<typeof stickyKeySourceSchema>;
