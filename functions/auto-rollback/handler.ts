import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { RoutingControl } from '../../adapters/aws/routing-control';
import { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { loadSpec } from '../shared/spec';
import { AutoRollback, type AutoRollbackOutcome } from './auto-rollback';
import { ConfigurationError } from '../../core/errors';

/*
 * Subscribed to the rollback alarms' SNS topic. Env: ROUTING_TABLE_NAME, ROUTING_HISTORY_TABLE_NAME,
 * SERVICES_BUS_NAME, AUDIT_TABLE_NAME.
 */
let instance: AutoRollback | undefined;

export async function handler(event: unknown): Promise<AutoRollbackOutcome[]> {
  if (instance === undefined) {
    const spec = loadSpec();
    if (spec.routing === undefined)
      throw new ConfigurationError('the spec has no routing section: there is nothing to roll back', { setting: 'spec.routing' });
    const logger = new Logger('auto-rollback');
    const audit = new AuditStore({ tableName: requireEnv('AUDIT_TABLE_NAME') });
    instance = new AutoRollback({
      spec,
      control: new RoutingControl({
        store: new RoutingStore({
          tableName: requireEnv('ROUTING_TABLE_NAME'),
          historyTableName: requireEnv('ROUTING_HISTORY_TABLE_NAME'),
          routing: spec.routing,
          serviceEvents: spec.bridge.serviceEvents,
        }),
        audit,
        events: { client: eventBridgeClient(), busName: requireEnv('SERVICES_BUS_NAME') },
        logger,
      }),
      metrics: new RoutingMetrics(),
      audit,
      logger,
    });
  }
  return instance.handle(event);
}
