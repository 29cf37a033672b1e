import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { ENV } from '../../core/contract';
import { RouteEntryError, RoutingCache, type RouteEntry } from '../../core/routing';
import { InvalidStepInput } from '../../core/saga/errors';
import { decideSagaRoute, parseSagaRouteRequest, type SagaRouteDecision } from '../../core/saga/routing';
import { isSagaStep, SERVICE_OF, type SagaStep } from '../../core/saga/steps';
import type { Spec } from '../../core/spec';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';

/*
 * The decision task before a routed saga step (owner `routed`): which side performs this step for this
 * order. Reads the capability's routing entry (strongly consistent, through the same RoutingCache and the
 * same `decide` as the router, so a rollback reaches it within the cache's TTL) and answers
 * `{ side, bucket, reason, version, revision, mode, capability }`, which the state machine stamps at
 * `$.routes.<step>`. An invalid row routes to the monolith, as the router does; any other failure throws,
 * and the state machine, after its retries, falls back to the monolith (the safe side).
 * Env: ROUTING_TABLE_NAME, ROUTING_HISTORY_TABLE_NAME (names only: this function only reads the route
 * entries), ROUTING_CACHE_TTL_MS (optional, <= 1000).
 */

export interface SagaRouteDeps {
  readonly spec: Spec;
  /** The routing table: a capability's stored entry, and the spec's seed while none is stored. */
  readonly store: Pick<RoutingStore, 'getEntry' | 'seedFor'>;
  /** How long a loaded entry is used. At most 1000 (the rollback bound). @default 1000 */
  readonly cacheTtlMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  readonly logger?: Logger;
}

type Loaded = RouteEntry | 'invalid';

export function createSagaRouteHandler(deps: SagaRouteDeps): (event: unknown) => Promise<SagaRouteDecision> {
  const ttl = deps.cacheTtlMs ?? 1000;
  if (!Number.isFinite(ttl) || ttl < 0 || ttl > 1000)
    throw new RangeError(`cacheTtlMs must be 0..1000 (a rollback must reach the saga within a second), got ${ttl}`);
  const logger = deps.logger ?? new Logger('saga-route');
  const caches = new Map<string, RoutingCache<Loaded>>();
  const cacheOf = (capability: string): RoutingCache<Loaded> => {
    let cache = caches.get(capability);
    if (!cache) {
      cache = new RoutingCache<Loaded>({
        ttlMs: ttl,
        clock: deps.clock,
        load: async () => {
          try {
            return (await deps.store.getEntry(capability)) ?? deps.store.seedFor(capability);
          } catch (err) {
            if (err instanceof RouteEntryError) {
              logger.warn('invalid routing entry: the monolith serves the step', { capability, problems: err.issues });
              return 'invalid';
            }
            throw err;
          }
        },
      });
      caches.set(capability, cache);
    }
    return cache;
  };

  return async (event: unknown) => {
    const request = parseSagaRouteRequest(event);
    const cfg = isSagaStep(request.step) ? deps.spec.saga?.steps[request.step] : undefined;
    if (cfg?.owner !== 'routed')
      throw new InvalidStepInput(`step: ${JSON.stringify(request.step)} is not a routed step of the spec's saga`, { step: request.step });
    // The request must say what the bundled spec says: a stale or foreign definition is refused, not obeyed.
    const declared = {
      capability: cfg.route?.capability ?? SERVICE_OF[request.step as SagaStep],
      keyField: cfg.route?.keyField ?? 'orderId',
    };
    for (const field of ['capability', 'keyField'] as const) {
      if (request[field] !== declared[field])
        throw new InvalidStepInput(`${field}: ${request.step} is routed by ${declared[field]}, got ${JSON.stringify(request[field])}`, {
          step: request.step,
        });
    }
    const decision = decideSagaRoute(request.capability, await cacheOf(request.capability).get(), request.order, request.keyField);
    logger.info('saga step routed', { orderId: request.orderId, step: request.step, ...decision });
    return decision;
  };
}

let instance: ((event: unknown) => Promise<SagaRouteDecision>) | undefined;

export async function handler(event: unknown): Promise<SagaRouteDecision> {
  if (instance === undefined) {
    const spec = loadSpec();
    if (spec.routing === undefined) throw new InvalidStepInput('the spec has no routing section: no saga step can be routed');
    instance = createSagaRouteHandler({
      spec,
      store: new RoutingStore({
        tableName: requireEnv(ENV.routingTableName),
        historyTableName: requireEnv(ENV.routingHistoryTableName),
        routing: spec.routing,
      }),
      cacheTtlMs: Number(optionalEnv(ENV.routingCacheTtlMs, '1000')),
    });
  }
  return instance(event);
}
