import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { BridgeHandler, type BridgeResult } from '../shared/bridge-handler';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { loadSpec } from '../shared/spec';

/*
 * Services bus -> legacy bus. Fed by the rule matching the service event types that have a translation to
 * legacy and whose `metadata.origin` is not `legacy` (a translated legacy event never goes back).
 * Env: LEGACY_BUS_NAME, QUARANTINE_TABLE_NAME, AUDIT_TABLE_NAME.
 */
let instance: BridgeHandler | undefined;

function fromEnv(): BridgeHandler {
  return new BridgeHandler({
    direction: 'toLegacy',
    spec: loadSpec(),
    targetBusName: requireEnv('LEGACY_BUS_NAME'),
    sourceBus: 'services',
    events: eventBridgeClient(),
    quarantine: new QuarantineStore({ tableName: requireEnv('QUARANTINE_TABLE_NAME') }),
    audit: new AuditStore({ tableName: requireEnv('AUDIT_TABLE_NAME') }),
    logger: new Logger('translate-services'),
  });
}

export async function handler(event: unknown): Promise<BridgeResult> {
  instance ??= fromEnv();
  return instance.handle(event);
}
