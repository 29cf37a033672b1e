import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DataApiEngine } from '../../core/api/engine';
import type { ApiEntityModel, ApiServiceModel } from '../../core/api/model';
import type { OpenApiDocument } from '../../core/api/openapi';
import { ApiProblem, PROBLEM_CONTENT_TYPE, badRequest } from '../../core/api/problem';

/** One request's outcome, for metrics per route (count, latency, 4xx, 5xx). */
export interface RouteSample {
  readonly route: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly correlationId: string;
}

export interface DataApiAppOptions {
  readonly service: ApiServiceModel;
  readonly engine: DataApiEngine;
  readonly openapi: OpenApiDocument;
  /** Called once per request after the response is ready. @default - nothing */
  readonly record?: (sample: RouteSample) => void;
  /** Called for 5xx with the error. @default - nothing */
  readonly onError?: (error: unknown, correlationId: string) => void;
}

/** DynamoDB's item limit: a bigger body can never be stored, so it is refused before parsing. */
export const MAX_BODY_BYTES = 400 * 1024;
const WRITE_TYPES = ['application/json', 'application/merge-patch+json'];

type Env = { Variables: { correlationId: string } };

function problem(c: Context<Env>, p: ApiProblem): Response {
  return c.body(JSON.stringify(p.toProblem(c.get('correlationId'))), p.status as ContentfulStatusCode, {
    'content-type': PROBLEM_CONTENT_TYPE,
  });
}

async function readBody(c: Context<Env>): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!WRITE_TYPES.includes(type))
    throw new ApiProblem(415, 'unsupported-media-type', `send the body as ${WRITE_TYPES.join(' or ')}`, 'Content-Type', type || undefined);
  const text = await c.req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw new ApiProblem(
      413,
      'too-large',
      `the body is over ${MAX_BODY_BYTES} bytes, more than one item can hold`,
      '(body)',
      Buffer.byteLength(text),
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw badRequest('(body)', text.length > 80 ? `${text.slice(0, 77)}...` : text, `the body is not JSON: ${(cause as Error).message}`);
  }
}

function queryParams(c: Context<Env>): Record<string, string | string[]> {
  const all = c.req.queries();
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
}

function routes(app: Hono<Env>, engine: DataApiEngine, e: ApiEntityModel, version: number): void {
  const collection = `/v${version}/${e.path}`;
  const itemPath = `${collection}${e.params.map((p) => `/:${p}`).join('')}`;
  app.get(collection, async (c) => c.json(await engine.list(e, version, queryParams(c))));
  app.get(itemPath, async (c) => {
    const r = await engine.get(e, version, c.req.param(), c.req.query('fields'));
    return c.json(r.item, 200, { etag: r.etag });
  });
  if (!e.writes) {
    // A 405 rather than a 404: the item exists, it is only not writable here.
    app.on(['PUT', 'PATCH', 'DELETE'], itemPath, (c) => {
      c.header('allow', 'GET');
      throw new ApiProblem(405, 'read-only', `${e.entity} is read-only through this API`, 'method', c.req.method);
    });
    return;
  }
  app.put(itemPath, async (c) => {
    const body = await readBody(c);
    const r = await engine.put(e, version, c.req.param(), body, {
      ifMatch: c.req.header('if-match'),
      ifNoneMatch: c.req.header('if-none-match'),
    });
    return c.json(r.item, r.status as 200 | 201, { etag: r.etag });
  });
  app.patch(itemPath, async (c) => {
    const body = await readBody(c);
    const r = await engine.patch(e, version, c.req.param(), body, c.req.header('if-match'));
    return c.json(r.item, 200, { etag: r.etag });
  });
}

/**
 * The generated API of one service as a hono app: routes from the API model, problem+json for every
 * error, a correlation id on every response, and a sample per request for the route metrics.
 */
export function createDataApiApp(options: DataApiAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    const started = performance.now();
    const given = c.req.header('x-correlation-id');
    const correlationId = given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    c.set('correlationId', correlationId);
    await next();
    c.header('x-correlation-id', correlationId);
    options.record?.({
      route: `${c.req.method} ${c.req.routePath}`,
      status: c.res.status,
      latencyMs: performance.now() - started,
      correlationId,
    });
  });
  app.get('/health', (c) => c.json({ status: 'ok', service: options.service.service }));
  app.get('/openapi.json', (c) => c.json(options.openapi));
  for (const e of options.service.entities) {
    for (const version of [1, ...e.versions.map((v) => v.version)]) routes(app, options.engine, e, version);
  }
  app.notFound((c) =>
    problem(c, new ApiProblem(404, 'no-such-route', `no route ${c.req.method} ${c.req.path}; see /openapi.json`, 'path', c.req.path)),
  );
  app.onError((error, c) => {
    if (error instanceof ApiProblem) return problem(c, error);
    options.onError?.(error, c.get('correlationId'));
    return problem(c, new ApiProblem(500, 'internal', `the request failed; quote correlation id ${c.get('correlationId')}`));
  });
  return app;
}
