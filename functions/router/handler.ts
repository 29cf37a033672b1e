import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { loadSpec } from '../shared/spec';
import { Router, type RouterResult } from './router';
import { ConfigurationError } from '../../core/errors';

/*
 * The router Lambda, behind the services-bus rule for every event type a capability routes.
 * Env: ROUTING_TABLE_NAME, ROUTING_HISTORY_TABLE_NAME, SERVICES_BUS_NAME, QUARANTINE_TABLE_NAME,
 * AUDIT_TABLE_NAME, ROUTING_CACHE_TTL_MS (optional, <= 1000).
 * One Router per container: its table cache is what keeps a decision at a DynamoDB read per second.
 */
let router: Router | undefined;

export async function handler(event: unknown): Promise<RouterResult> {
  if (router === undefined) {
    const spec = loadSpec();
    if (spec.routing === undefined)
      throw new ConfigurationError('the spec has no routing section: the router has nothing to route', { setting: 'spec.routing' });
    router = new Router({
      spec,
      store: new RoutingStore({
        tableName: requireEnv('ROUTING_TABLE_NAME'),
        historyTableName: requireEnv('ROUTING_HISTORY_TABLE_NAME'),
        routing: spec.routing,
        serviceEvents: spec.bridge.serviceEvents,
      }),
      events: eventBridgeClient(),
      busName: requireEnv('SERVICES_BUS_NAME'),
      quarantine: new QuarantineStore({ tableName: requireEnv('QUARANTINE_TABLE_NAME') }),
      audit: new AuditStore({ tableName: requireEnv('AUDIT_TABLE_NAME') }),
      logger: new Logger('router'),
      cacheTtlMs: Number(optionalEnv('ROUTING_CACHE_TTL_MS', '1000')),
    });
  }
  return router.handle(event);
}
