import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { documentClient, eventBridgeClient, instrumented, sqsClient } from '../../adapters/aws/clients';
import { CallbackRegistry } from '../../adapters/dynamodb/callback-registry';
import { carrierProvider } from '../../adapters/providers';
import { CarrierQuarantine, WebhookEventStore, WebhookSecrets } from '../../adapters/providers/carrier-webhook';
import { ENV } from '../../core/contract';
import type { CarrierProvider } from '../../core/providers/carrier';
import { CARRIER_WEBHOOK_SOURCE, carrierServiceEvent } from '../../core/providers/carrier-event';
import { parseReferenceRules } from '../../core/saga/reference';
import type { Spec } from '../../core/spec';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';

/*
 * POST /carrier/webhook (API Gateway REST, Lambda proxy). In this order, so nothing is half-done:
 *  1. the provider verifies the signature (401) and reads the body (400 naming the field): nothing stored;
 *  2. the event becomes the service event the saga already hears (shipment.dispatched...), validated
 *     against its schema (400 naming the field);
 *  3. the event id is claimed (409 for a replay);
 *  4. a genuine event no saga waits for goes to the quarantine queue (202), else it is put on the services
 *     bus (200), where the CarrierAnswers rule hands it to the shipping service, which records the dispatch
 *     and completes the waiting ScheduleShipping task;
 *  5. if 4 fails the claim is let go and the answer is 503, so the carrier's retry is taken.
 * Env: SERVICES_BUS_NAME, SAGA_CALLBACKS_TABLE_NAME, CARRIER_WEBHOOK_SECRET_ARN, CARRIER_WEBHOOK_EVENTS_TABLE_NAME,
 * CARRIER_QUARANTINE_QUEUE_URL, CARRIER_PROVIDER (optional, `sandbox`), REFERENCE_RULES (optional).
 */

export interface ProxyEvent {
  readonly httpMethod?: string;
  readonly headers?: Record<string, string | undefined> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface CarrierWebhookDeps {
  readonly spec: Spec;
  readonly provider: CarrierProvider;
  readonly secrets: Pick<WebhookSecrets, 'get'>;
  readonly events: Pick<WebhookEventStore, 'claim' | 'finish' | 'release'>;
  readonly registry: Pick<CallbackRegistry, 'find'>;
  readonly quarantine: Pick<CarrierQuarantine, 'put'>;
  readonly publisher: Pick<EventPublisher, 'publishAll'>;
  readonly busName: string;
  readonly now?: () => Date;
  readonly logger?: Logger;
}

const reply = (statusCode: number, body: Record<string, unknown>): ProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Largest body taken: a carrier notification is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

export function createCarrierWebhookHandler(deps: CarrierWebhookDeps): (event: ProxyEvent) => Promise<ProxyResult> {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? new Logger('carrier-webhook');
  return async (event: ProxyEvent) => {
    if (event?.httpMethod && event.httpMethod !== 'POST') return reply(405, { error: `method ${event.httpMethod} not allowed; POST` });
    const raw = event?.body ?? '';
    const body = event?.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES)
      return reply(413, { error: `body is ${Buffer.byteLength(body, 'utf8')} bytes; at most ${MAX_BODY_BYTES}`, field: 'body' });
    const at = now();
    let secrets: string[];
    try {
      secrets = await deps.secrets.get();
    } catch (err) {
      // Without the secret nothing can be verified: ask the carrier to retry rather than refuse it.
      logger.error('cannot read the signing secret', { error: err });
      return reply(503, { error: 'temporarily unavailable; retry' });
    }
    const verdict = deps.provider.verifyWebhook({ headers: event?.headers ?? {}, body, secrets, now: at });
    if (!verdict.ok) {
      logger.warn('webhook refused', { status: verdict.status, error: verdict.error, field: verdict.field });
      // A 401 says only that: which check failed is in our log, not a hint for whoever is probing.
      return verdict.status === 401
        ? reply(401, { error: 'unauthorized' })
        : reply(400, { error: verdict.error, ...(verdict.field ? { field: verdict.field } : {}) });
    }
    const ce = verdict.event;
    const log = logger.child({ carrierEventId: ce.eventId, orderId: ce.orderId, kind: ce.kind });
    const mapped = carrierServiceEvent(deps.spec, deps.provider.name, ce, at);
    if (!mapped.ok && mapped.kind === 'invalid') {
      log.warn('signed but not a valid service event', { error: mapped.error });
      return reply(400, { error: mapped.error, field: mapped.field });
    }
    const id = `${deps.provider.name}#${ce.eventId}`;
    if ((await deps.events.claim(id, at)) === 'replay') {
      log.warn('replayed event id refused');
      return reply(409, { error: `event ${ce.eventId} was already received`, field: 'eventId' });
    }
    try {
      const waiting = mapped.ok ? await deps.registry.find(ce.orderId, 'ScheduleShipping') : undefined;
      const unmatched = !mapped.ok ? mapped.error : !waiting ? `no saga waits for the shipment of order ${ce.orderId}` : undefined;
      if (unmatched) {
        await deps.quarantine.put({
          reason: unmatched,
          provider: deps.provider.name,
          eventId: ce.eventId,
          orderId: ce.orderId,
          event: ce,
          body,
          receivedAt: at.toISOString(),
        });
        await deps.events.finish(id, 'quarantined', { reason: unmatched });
        log.warn('quarantined', { reason: unmatched });
        return reply(202, { status: 'quarantined', eventId: ce.eventId, reason: unmatched });
      }
      if (!mapped.ok) throw new Error('unreachable: an unmapped event is quarantined above');
      await deps.publisher.publishAll(
        [
          {
            EventBusName: deps.busName,
            Source: CARRIER_WEBHOOK_SOURCE,
            DetailType: mapped.detailType,
            Detail: JSON.stringify(mapped.detail),
            Time: at,
          },
        ],
        'carrier event',
      );
      await deps.events.finish(id, 'published', { detailType: mapped.detailType, serviceEventId: mapped.detail.metadata.eventId });
      log.info('carrier event accepted', { detailType: mapped.detailType, settled: Boolean(waiting?.completedAt) });
      return reply(200, {
        status: 'accepted',
        eventId: ce.eventId,
        detailType: mapped.detailType,
        serviceEventId: mapped.detail.metadata.eventId,
      });
    } catch (err) {
      await deps.events.release(id).catch((releaseErr: unknown) => log.error('could not release the claim', { error: releaseErr }));
      log.error('carrier event not taken; the carrier should retry', { error: err });
      return reply(503, { error: 'temporarily unavailable; retry', eventId: ce.eventId });
    }
  };
}

let instance: ((event: ProxyEvent) => Promise<ProxyResult>) | undefined;

export async function handler(event: ProxyEvent): Promise<ProxyResult> {
  if (!instance) {
    const ddb = documentClient();
    const rules = parseReferenceRules(process.env[ENV.referenceRules]);
    instance = createCarrierWebhookHandler({
      spec: loadSpec(),
      provider: carrierProvider(process.env[ENV.carrierProvider], { rules }),
      secrets: new WebhookSecrets(instrumented(new SecretsManagerClient({})), requireEnv(ENV.carrierWebhookSecretArn)),
      events: new WebhookEventStore(ddb, requireEnv(ENV.carrierWebhookEventsTableName)),
      registry: new CallbackRegistry({ ddb, tableName: requireEnv(ENV.sagaCallbacksTableName) }),
      quarantine: new CarrierQuarantine(sqsClient(), requireEnv(ENV.carrierQuarantineQueueUrl)),
      publisher: new EventPublisher(eventBridgeClient()),
      busName: requireEnv(ENV.servicesBusName),
    });
  }
  return instance(event);
}
