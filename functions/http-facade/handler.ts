import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { invokeAsync } from '../../adapters/aws/lambda-invoke';
import { BufferedRoutingMetrics } from '../../adapters/cloudwatch/facade-metrics';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { HttpFacade, type FacadeRequest, type FacadeResponse } from '../../adapters/http/facade';
import { routingTableCache } from '../../adapters/http/routing-view';
import { ConfigurationError } from '../../core/errors';
import { RouteTable } from '../../core/facade/routes';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';

/*
 * The façade Lambda behind the HTTP API's $default route (payload 2.0). Env: MONOLITH_URL,
 * CANDIDATE_URLS (JSON {capability: base URL}), ROUTING_TABLE_NAME, ROUTING_HISTORY_TABLE_NAME,
 * SHADOW_FUNCTION_NAME. One façade per container: its routing cache is what keeps the table at one
 * DynamoDB read per TTL, and its HTTP pool keeps connections to the monolith warm.
 */

/** The API Gateway v2 event as a façade request; a named stage's prefix is removed from the path. */
export function toFacadeRequest(event: APIGatewayProxyEventV2): FacadeRequest {
  const stage = event.requestContext?.stage;
  let path = event.rawPath || '/';
  if (stage && stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) path = path.slice(stage.length + 1) || '/';
  const headers: Record<string, string> = { ...(event.headers as Record<string, string>) };
  // Payload 2.0 moves cookies out of the headers; the monolith expects its Cookie header back.
  if (event.cookies && event.cookies.length > 0) headers.cookie = event.cookies.join('; ');
  return {
    method: event.requestContext.http.method,
    path,
    rawQuery: event.rawQueryString || undefined,
    headers,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    sourceIp: event.requestContext.http.sourceIp,
    correlationId: headers['x-correlation-id'] ?? event.requestContext.requestId,
  };
}

export function toResult(res: FacadeResponse, method: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: res.status,
    headers: res.headers,
    cookies: res.setCookies.length > 0 ? [...res.setCookies] : undefined,
    body: method === 'HEAD' ? '' : res.bodyBase64,
    isBase64Encoded: method !== 'HEAD',
  };
}

let instance: { facade: HttpFacade; metrics: BufferedRoutingMetrics; logger: Logger } | undefined;

function build(): NonNullable<typeof instance> {
  const spec = loadSpec();
  if (!spec.facade) throw new ConfigurationError('the spec has no facade section: the façade has no routes', { setting: 'spec.facade' });
  if (!spec.routing)
    throw new ConfigurationError('the spec has no routing section: the façade has no table to route by', { setting: 'spec.routing' });
  const logger = new Logger('http-facade');
  const monolith = requireEnv('MONOLITH_URL');
  let candidates: Record<string, string>;
  try {
    candidates = JSON.parse(optionalEnv('CANDIDATE_URLS', '{}')) as Record<string, string>;
  } catch (err) {
    throw new ConfigurationError(`CANDIDATE_URLS is not JSON: ${String(err)}`, { setting: 'CANDIDATE_URLS' }, { cause: err });
  }
  const store = new RoutingStore({
    tableName: requireEnv('ROUTING_TABLE_NAME'),
    historyTableName: requireEnv('ROUTING_HISTORY_TABLE_NAME'),
    routing: spec.routing,
  });
  const cache = routingTableCache(store, spec.facade.cacheTtlMs, (capability, problems) =>
    logger.error('invalid route entry: routing the capability to the monolith', { capability, problems }),
  );
  const shadowFunction = requireEnv('SHADOW_FUNCTION_NAME');
  const metrics = new BufferedRoutingMetrics();
  const facade = new HttpFacade({
    section: spec.facade,
    routes: new RouteTable(spec.facade),
    table: () => cache.get(),
    urls: (side, capability) => (side === 'legacy' ? monolith : capability === undefined ? undefined : candidates[capability]),
    mirror: (job) => invokeAsync(shadowFunction, job),
    record: (s) => metrics.add(s),
    log: logger,
  });
  return { facade, metrics, logger };
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  instance ??= build();
  const req = toFacadeRequest(event);
  const res = await instance.facade.handle(req);
  instance.logger.info('served', {
    method: req.method,
    path: req.path,
    status: res.status,
    ...res.served,
    correlationId: res.headers['x-correlation-id'],
  });
  if (instance.metrics.due())
    await instance.metrics
      .flush()
      .catch((err: unknown) => instance?.logger.warn('routing metrics not sent (kept for the next flush)', { error: String(err) }));
  return toResult(res, req.method);
}
