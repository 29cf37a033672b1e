import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { BridgeHandler, type BridgeResult } from '../shared/bridge-handler';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { loadSpec } from '../shared/spec';

/*
 * Legacy bus -> services bus. Fed by the rule `source: [<legacySource>]`: every event the monolith puts,
 * whatever its type (an unknown type is quarantined, not dropped).
 * Env: SERVICES_BUS_NAME, QUARANTINE_TABLE_NAME, AUDIT_TABLE_NAME.
 */
let instance: BridgeHandler | undefined;

function fromEnv(): BridgeHandler {
  return new BridgeHandler({
    direction: 'toService',
    spec: loadSpec(),
    targetBusName: requireEnv('SERVICES_BUS_NAME'),
    sourceBus: 'legacy',
    events: eventBridgeClient(),
    quarantine: new QuarantineStore({ tableName: requireEnv('QUARANTINE_TABLE_NAME') }),
    audit: new AuditStore({ tableName: requireEnv('AUDIT_TABLE_NAME') }),
    logger: new Logger('translate-legacy'),
  });
}

export async function handler(event: unknown): Promise<BridgeResult> {
  instance ??= fromEnv();
  return instance.handle(event);
}
