import type { EventBridgeLike } from '../../core/translate/incoming';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { replayMarkOf } from '../../core/replay/shadow-event';
import { candidateOutcomes, outcomeEventId } from './candidate';

/*
 * The inventory candidate's Lambda, in shadow mode only: the replay invokes it with a service event that
 * carries `metadata.replay`, and it puts its outcome events on the SHADOW bus (never the services bus, whose
 * rules would carry them into the monolith and the live sagas), each marked with the same replay mark, so
 * the outcome collector can hand them to the compare step. It keeps no state. An event without a replay
 * mark is not for it: logged and ignored.
 * Env: SHADOW_BUS_NAME.
 */
export interface CandidateDeps {
  readonly events: EventBridgeClient;
  readonly busName: string;
  readonly logger?: Logger;
  readonly now?: () => Date;
}

export interface CandidateResult {
  readonly emitted: number;
  readonly ignored?: string;
}

export function createCandidateHandler(deps: CandidateDeps): (event: unknown) => Promise<CandidateResult> {
  const logger = deps.logger ?? new Logger('inventory-candidate');
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    const e = event as EventBridgeLike<{ metadata?: Record<string, unknown>; data?: Record<string, unknown> }>;
    const mark = replayMarkOf(e?.detail);
    if (!mark) {
      logger.warn('ignored: the candidate runs in shadow mode only, and this event carries no metadata.replay', { id: e?.id });
      return { emitted: 0, ignored: 'not a replayed event' };
    }
    const type = e['detail-type'] ?? String(e.detail?.metadata?.eventType ?? '');
    const meta = e.detail?.metadata ?? {};
    const outcomes = candidateOutcomes({ type, data: e.detail?.data ?? {}, now: now() });
    if (outcomes.length === 0) return { emitted: 0, ignored: `${type} is not handled` };
    const inputEventId = String(meta.eventId ?? mark.replayEventId);
    const entries = outcomes.map((o, i) => ({
      EventBusName: deps.busName,
      Source: 'inventory-candidate',
      DetailType: o.type,
      Detail: JSON.stringify({
        metadata: {
          eventId: outcomeEventId(inputEventId, o.type, i),
          eventType: o.type,
          version: o.version ?? 1,
          correlationId: meta.correlationId,
          causationId: inputEventId,
          origin: 'service',
          producer: 'inventory-candidate',
          occurredAt: now().toISOString(),
          entity: meta.entity,
          replay: mark,
        },
        data: o.payload,
      }),
    }));
    const out = await new EventPublisher(deps.events).publish(entries.map((entry) => ({ entry, ref: undefined })));
    // Thrown: the replay counts the interaction as a service failure instead of a missing outcome.
    if (out.failed.length > 0) throw new Error(`the shadow bus refused ${out.failed.length} outcome(s): ${out.failed[0].code}`);
    logger.info('emitted', { replayId: mark.replayId, interactionId: mark.interactionId, types: outcomes.map((o) => o.type) });
    return { emitted: entries.length };
  };
}

let instance: ((event: unknown) => Promise<CandidateResult>) | undefined;

export async function handler(event: unknown): Promise<CandidateResult> {
  instance ??= createCandidateHandler({ events: eventBridgeClient(), busName: requireEnv('SHADOW_BUS_NAME') });
  return instance(event);
}
