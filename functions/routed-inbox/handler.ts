import { eventBridgeClient } from '../../adapters/aws/clients';
import { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import { ShadowOutcomeStore } from '../../adapters/dynamodb/shadow-outcome-store';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import { createRoutedInboxHandler, type InboxBatchResult, type InboxRecord } from './inbox';

/*
 * The reference consumer of the routing inboxes (see inbox.ts), behind an SQS event source per inbox with
 * partial batch failures. Env: SERVICES_BUS_NAME, SHADOW_OUTCOMES_TABLE_NAME.
 */
let handle: ((event: { Records?: readonly InboxRecord[] }) => Promise<InboxBatchResult>) | undefined;

export async function handler(event: { Records?: readonly InboxRecord[] }): Promise<InboxBatchResult> {
  handle ??= createRoutedInboxHandler({
    spec: loadSpec(),
    events: { client: eventBridgeClient(), busName: requireEnv('SERVICES_BUS_NAME') },
    outcomes: new ShadowOutcomeStore({ tableName: requireEnv('SHADOW_OUTCOMES_TABLE_NAME') }),
    metrics: new RoutingMetrics(),
    logger: new Logger('routed-inbox'),
  });
  return handle(event);
}
