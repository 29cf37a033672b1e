import type { EventBridgeLike } from '../../core/translate/incoming';
import { documentClient, stepFunctionsClient } from '../../adapters/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { FaultInjector, parseFaultPlan } from '../../core/saga/faults';
import { parseStepInput } from '../../core/saga/input';
import { InvalidStepInput, toStepError } from '../../core/saga/errors';
import { parseReferenceRules } from '../../core/saga/reference';
import { isServiceEvent } from '../../core/events/envelope';
import { carrierRoutes, orderIdOfReply, type ReplyRoute } from '../../core/saga/exchange';
import { loadSpec } from '../shared/spec';
import { CallbackRegistry, TaskCallbacks } from '../../adapters/dynamodb/callback-registry';
import { ShippingService } from './shipping';
import { carrierProvider } from '../../adapters/providers';
import { ENV } from '../../core/contract';

/*
 * The shipping service's Lambda.
 *  - schedule (ScheduleShipping, called with .waitForTaskToken): books the carrier and files the task token
 *    in the saga's callback registry under (orderId, ScheduleShipping). Every outcome is reported through
 *    the token, never only as a thrown error: an emulator may not fail a callback task when its Lambda throws.
 *  - the carrier's answer (saga.shipping.confirmedBy, e.g. shipment.dispatched, hours or days later): the
 *    dispatch is recorded, then the waiting task completed, in that order.
 *  - cancel (CancelShipment): refused once the parcel left.
 *  - { action: 'heartbeat' } (a schedule): SendTaskHeartbeat for every booking still with the carrier.
 * Env: SHIPMENTS_TABLE_NAME, SAGA_CALLBACKS_TABLE_NAME, SHIPPING_TIMEOUT_SECONDS, CARRIER_PROVIDER (optional, `sandbox`),
 * REFERENCE_RULES, CUTOVER_FAULTS.
 */

export interface ShippingHandlerDeps {
  readonly service: ShippingService;
  readonly registry: CallbackRegistry;
  readonly callbacks: TaskCallbacks;
  readonly timeoutSeconds: number;
  /** The carrier's answers (from the spec's saga.shipping): event type -> success, or failure with its error. */
  readonly carrierRoutes: Map<string, ReplyRoute>;
  readonly faults?: FaultInjector;
  readonly logger?: Logger;
}

export function createShippingHandler(deps: ShippingHandlerDeps): (event: unknown) => Promise<unknown> {
  const faults = deps.faults ?? new FaultInjector();
  const logger = deps.logger ?? new Logger('shipping');

  /** The carrier answered: record it first, then complete the saga's waiting task (if one waits). */
  async function onCarrierEvent(type: string, route: ReplyRoute, detail: unknown): Promise<unknown> {
    if (!isServiceEvent(detail)) throw new InvalidStepInput(`${type}: detail is not a service event envelope`);
    const orderId = orderIdOfReply(detail);
    if (!orderId) throw new InvalidStepInput(`${type}: no order id in the envelope or the data`);
    const data = detail.data as Record<string, unknown>;
    const log = logger.child({ orderId, reply: type, correlationId: detail.metadata.correlationId });
    if (route.outcome === 'success') {
      const shipment = await deps.service.recordDispatch(orderId, {
        trackingNumber: typeof data.trackingNumber === 'string' ? data.trackingNumber : undefined,
        dispatchedAt: typeof data.dispatchedAt === 'string' ? data.dispatchedAt : undefined,
      });
      if (shipment?.dispatchedAfterCancel) log.error('dispatched after the saga cancelled the shipment: recall the parcel');
    }
    const waiting = await deps.registry.find(orderId, 'ScheduleShipping');
    if (!waiting || waiting.completedAt) return { orderId, status: 'recorded', saga: waiting ? 'already settled' : 'nothing waits' };
    const delivery =
      route.outcome === 'success'
        ? await deps.callbacks.succeed(waiting.taskToken, {
            ...data,
            status: 'dispatched',
            replyEventId: detail.metadata.eventId,
            replyType: type,
          })
        : await deps.callbacks.fail(waiting.taskToken, route.error ?? 'AddressRejected', JSON.stringify({ reply: type, data }));
    await deps.registry.markCompleted(
      orderId,
      'ScheduleShipping',
      waiting.taskToken,
      delivery === 'sent' ? route.outcome : 'stale',
      detail.metadata.eventId,
    );
    log.info(delivery === 'sent' ? 'saga task completed' : 'the saga task had already closed', { outcome: route.outcome });
    return { orderId, status: 'recorded', saga: delivery === 'sent' ? route.outcome : 'stale' };
  }

  /**
   * The heartbeat sweep (a schedule, a few times per heartbeat interval): every booking still with the
   * carrier tells its saga it is alive. A shipping service that stops sweeping lets the saga time out early.
   */
  async function heartbeats(): Promise<unknown> {
    let sent = 0;
    let stale = 0;
    for await (const wait of deps.registry.openWaits('ScheduleShipping')) {
      const shipment = await deps.service.get(wait.orderId);
      if (shipment?.status !== 'requested') continue;
      if ((await deps.callbacks.heartbeat(wait.taskToken)) === 'sent') sent++;
      else stale++;
    }
    logger.info('heartbeats sent', { sent, stale });
    return { heartbeats: sent, stale };
  }

  return async (event: unknown) => {
    const e = event as EventBridgeLike & { action?: string };
    if (e?.action === 'heartbeat') return heartbeats();
    const route = typeof e?.['detail-type'] === 'string' ? deps.carrierRoutes.get(e['detail-type']) : undefined;
    if (route) return onCarrierEvent(e['detail-type']!, route, e.detail);
    const input = parseStepInput(event, ['schedule', 'cancel']);
    const log = logger.child({ orderId: input.orderId, step: input.step, correlationId: input.correlationId });
    if (input.action === 'cancel') {
      const shipment = await faults.around(input.step, input.orderId, () => deps.service.cancel(input.orderId));
      log.info('cancelled', { status: shipment.status });
      return { shipmentId: shipment.shipmentId, status: shipment.status };
    }
    const token = input.taskToken;
    if (!token) throw new InvalidStepInput('schedule: taskToken is required (the state machine calls it with .waitForTaskToken)');
    try {
      const outcome = await faults.around(input.step, input.orderId, () => deps.service.book(input.order));
      if (outcome.kind === 'rejected') {
        await deps.callbacks.fail(token, outcome.error, outcome.reason);
        log.info('rejected', { error: outcome.error, reason: outcome.reason });
        return { status: 'rejected', error: outcome.error };
      }
      const { shipment } = outcome;
      if (outcome.kind === 'already-dispatched') {
        await deps.callbacks.succeed(token, {
          orderId: shipment.orderId,
          shipmentId: shipment.shipmentId,
          carrier: shipment.carrier,
          status: 'dispatched',
          dispatchedAt: shipment.dispatchedAt,
        });
        return { status: 'dispatched', shipmentId: shipment.shipmentId };
      }
      await deps.registry.register(input.orderId, input.step, token, { timeoutSeconds: deps.timeoutSeconds });
      log.info('booked; waiting for the carrier', { shipmentId: shipment.shipmentId, carrier: shipment.carrier });
      return { status: 'awaiting-carrier', shipmentId: shipment.shipmentId, carrier: shipment.carrier };
    } catch (err) {
      const error = toStepError(err, { orderId: input.orderId });
      log.warn('schedule failed; failing the task', { error });
      await deps.callbacks.fail(token, error.name, error.message);
      return { status: 'failed', error: error.name };
    }
  };
}

let instance: ((event: unknown) => Promise<unknown>) | undefined;

export async function handler(event: unknown): Promise<unknown> {
  if (!instance) {
    const ddb = documentClient();
    const rules = parseReferenceRules(process.env[ENV.referenceRules]);
    instance = createShippingHandler({
      service: new ShippingService({
        ddb,
        tableName: requireEnv('SHIPMENTS_TABLE_NAME'),
        rules,
        provider: carrierProvider(process.env[ENV.carrierProvider], { rules }),
      }),
      registry: new CallbackRegistry({ ddb, tableName: requireEnv('SAGA_CALLBACKS_TABLE_NAME') }),
      callbacks: new TaskCallbacks(stepFunctionsClient()),
      timeoutSeconds: Number(optionalEnv('SHIPPING_TIMEOUT_SECONDS', String(3 * 86_400))),
      carrierRoutes: carrierRoutes(loadSpec().saga!),
      faults: new FaultInjector(parseFaultPlan(process.env[ENV.cutoverFaults]), Math.random, undefined, { service: 'shipping' }),
    });
  }
  return instance(event);
}
