import type { EventBridgeLike } from '../../core/translate/incoming';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { documentClient, eventBridgeClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import { parseReferenceRules, type ReferenceRules } from '../../core/saga/reference';
import { StepTransientError } from '../../core/saga/errors';
import { ReferenceMonolith } from './monolith';
import { ENV } from '../../core/contract';

/*
 * The reference monolith's Lambda, on the legacy bus: answers the saga's legacy commands with legacy replies
 * (PAYMENT_CAPTURED, PAYMENT_DECLINED, STOCK_RESERVED...), which the bridge translates back to the services
 * bus. Env: MONOLITH_TABLE_NAME, LEGACY_BUS_NAME, REFERENCE_RULES (optional JSON).
 */

export interface ReferenceMonolithDeps {
  readonly monolith: ReferenceMonolith;
  readonly events: EventBridgeClient;
  readonly busName: string;
  readonly source: string;
  readonly rules: ReferenceRules;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger?: Logger;
}

export function createReferenceMonolithHandler(deps: ReferenceMonolithDeps): (event: unknown) => Promise<unknown> {
  const logger = deps.logger ?? new Logger('reference-monolith');
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return async (event: unknown) => {
    const e = event as EventBridgeLike<Record<string, unknown>>;
    const type = e?.['detail-type'];
    if (typeof type !== 'string' || !e.detail || typeof e.detail !== 'object')
      throw new Error(`not a legacy command event: ${JSON.stringify(event).slice(0, 200)}`);
    const reply = await deps.monolith.handle(type, e.detail);
    if (!reply) {
      logger.info('no reply (silent by configuration, or not a command the monolith knows)', { type, orderNo: e.detail.ORDER_NO });
      return { replied: false };
    }
    if (deps.rules.monolith.replyDelayMs > 0) await sleep(deps.rules.monolith.replyDelayMs);
    const out = await new EventPublisher(deps.events).publish([
      {
        ref: undefined,
        entry: { EventBusName: deps.busName, Source: deps.source, DetailType: reply.detailType, Detail: JSON.stringify(reply.detail) },
      },
    ]);
    if (out.failed.length > 0) throw new StepTransientError(`the legacy bus refused ${reply.detailType}: ${out.failed[0].code}`);
    logger.info('replied', { command: type, reply: reply.detailType, orderNo: e.detail.ORDER_NO });
    return { replied: true, reply: reply.detailType };
  };
}

let instance: ((event: unknown) => Promise<unknown>) | undefined;

export async function handler(event: unknown): Promise<unknown> {
  if (!instance) {
    const rules = parseReferenceRules(process.env[ENV.referenceRules]);
    instance = createReferenceMonolithHandler({
      monolith: new ReferenceMonolith({ ddb: documentClient(), tableName: requireEnv('MONOLITH_TABLE_NAME'), rules }),
      events: eventBridgeClient(),
      busName: requireEnv('LEGACY_BUS_NAME'),
      source: loadSpec().bridge.legacySource,
      rules,
    });
  }
  return instance(event);
}
