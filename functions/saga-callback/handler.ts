import type { EventBridgeLike } from '../../core/translate/incoming';
import { documentClient, stepFunctionsClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';
import { isServiceEvent, type ServiceEvent } from '../../core/events/envelope';
import { orderIdOfReply, replyRoutes, type ReplyRoute } from '../../core/saga/exchange';
import type { SagaSection } from '../../core/spec/saga';
import { CallbackRegistry, TaskCallbacks } from '../../adapters/dynamodb/callback-registry';
import { ConfigurationError } from '../../core/errors';

/*
 * Completes the saga's waiting tasks from the services bus. Fed by a rule matching every monolith reply the
 * spec declares (the translated replies of each exchange), whoever owns the step today, so sagas started
 * before an owner switch still hear their reply. (The carrier's answers go to the shipping service, which
 * records the dispatch before it completes ScheduleShipping.)
 * A reply for an order with nothing waiting (a payment captured outside a saga, a duplicate delivery, a
 * reply after the wait timed out) is logged and dropped: the audit log keeps the event itself.
 * Env: SAGA_CALLBACKS_TABLE_NAME; the spec is bundled in.
 */

export type CallbackResult =
  | { readonly status: 'completed' | 'failed'; readonly orderId: string; readonly action: string }
  | { readonly status: 'ignored'; readonly reason: string; readonly orderId?: string; readonly action?: string };

export interface SagaCallbackDeps {
  readonly routes: Map<string, ReplyRoute>;
  readonly registry: CallbackRegistry;
  readonly callbacks: TaskCallbacks;
  readonly logger?: Logger;
}

export function createSagaCallbackHandler(deps: SagaCallbackDeps): (event: unknown) => Promise<CallbackResult> {
  const logger = deps.logger ?? new Logger('saga-callback');
  return async (event: unknown) => {
    const e = event as EventBridgeLike;
    const type = typeof e?.['detail-type'] === 'string' ? e['detail-type'] : undefined;
    const route = type ? deps.routes.get(type) : undefined;
    if (!type || !route) return { status: 'ignored', reason: `no saga action waits for ${JSON.stringify(type)}` };
    if (!isServiceEvent(e.detail)) return { status: 'ignored', reason: `${type}: detail is not a service event envelope` };
    const reply = e.detail as ServiceEvent;
    const orderId = orderIdOfReply(reply);
    if (!orderId) return { status: 'ignored', reason: `${type}: no order id in the envelope or the data` };
    const log = logger.child({ orderId, action: route.action, reply: type, correlationId: reply.metadata.correlationId });
    const waiting = await deps.registry.find(orderId, route.action);
    if (!waiting) {
      log.info('nothing waits for this reply');
      return { status: 'ignored', reason: 'nothing waits', orderId, action: route.action };
    }
    if (waiting.completedAt) {
      log.info('already settled (a duplicate reply)', { completedAt: waiting.completedAt });
      return { status: 'ignored', reason: 'already settled', orderId, action: route.action };
    }
    const delivery =
      route.outcome === 'success'
        ? await deps.callbacks.succeed(waiting.taskToken, { ...reply.data, replyEventId: reply.metadata.eventId, replyType: type })
        : await deps.callbacks.fail(waiting.taskToken, route.error ?? 'Rejected', JSON.stringify({ reply: type, data: reply.data }));
    await deps.registry.markCompleted(
      orderId,
      route.action,
      waiting.taskToken,
      delivery === 'sent' ? route.outcome : 'stale',
      reply.metadata.eventId,
    );
    if (delivery === 'stale') {
      log.warn('the task had already closed (timed out or settled)');
      return { status: 'ignored', reason: 'task already closed', orderId, action: route.action };
    }
    log.info(route.outcome === 'success' ? 'task completed' : 'task failed', { error: route.error });
    return { status: route.outcome === 'success' ? 'completed' : 'failed', orderId, action: route.action };
  };
}

let instance: ((event: unknown) => Promise<CallbackResult>) | undefined;

export async function handler(event: unknown): Promise<CallbackResult> {
  if (!instance) {
    const saga = loadSpec().saga as SagaSection | undefined;
    if (!saga) throw new ConfigurationError('the spec has no saga section; saga-callback has nothing to do', { setting: 'spec.saga' });
    instance = createSagaCallbackHandler({
      routes: replyRoutes(saga),
      registry: new CallbackRegistry({ ddb: documentClient(), tableName: requireEnv('SAGA_CALLBACKS_TABLE_NAME') }),
      callbacks: new TaskCallbacks(stepFunctionsClient()),
    });
  }
  return instance(event);
}
