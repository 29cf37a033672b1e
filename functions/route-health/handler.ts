import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { RoutingControl } from '../../adapters/aws/routing-control';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { loadSpec } from '../shared/spec';
import { Registry, type RegistryOutcome } from './registry';
import { ConfigurationError } from '../../core/errors';

/*
 * Service registrations and health reports from the services bus (cutover.service-registered,
 * cutover.service-health). Env: ROUTING_TABLE_NAME, ROUTING_HISTORY_TABLE_NAME, SERVICES_BUS_NAME,
 * QUARANTINE_TABLE_NAME, AUDIT_TABLE_NAME.
 */
let registry: Registry | undefined;

export async function handler(event: unknown): Promise<RegistryOutcome[]> {
  if (registry === undefined) {
    const spec = loadSpec();
    if (spec.routing === undefined)
      throw new ConfigurationError('the spec has no routing section: there is nothing to register with', { setting: 'spec.routing' });
    const logger = new Logger('route-health');
    registry = new Registry({
      spec,
      control: new RoutingControl({
        store: new RoutingStore({
          tableName: requireEnv('ROUTING_TABLE_NAME'),
          historyTableName: requireEnv('ROUTING_HISTORY_TABLE_NAME'),
          routing: spec.routing,
          serviceEvents: spec.bridge.serviceEvents,
        }),
        audit: new AuditStore({ tableName: requireEnv('AUDIT_TABLE_NAME') }),
        events: { client: eventBridgeClient(), busName: requireEnv('SERVICES_BUS_NAME') },
        logger,
      }),
      quarantine: new QuarantineStore({ tableName: requireEnv('QUARANTINE_TABLE_NAME') }),
      logger,
    });
  }
  return registry.handle(event);
}
