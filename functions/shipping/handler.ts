import { documentClient, stepFunctionsClient } from '../shared/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { FaultInjector, parseFaultPlan } from '../../core/saga/faults';
import { parseStepInput } from '../../core/saga/input';
import { InvalidStepInput, toStepError } from '../../core/saga/errors';
import { parseReferenceRules } from '../../core/saga/reference';
import { CallbackRegistry, TaskCallbacks } from '../saga-callback/registry';
import { ShippingService } from './shipping';

/*
 * The shipping service's Lambda.
 *  - schedule (ScheduleShipping, called with .waitForTaskToken): books the carrier and files the task token
 *    in the saga's callback registry under (orderId, ScheduleShipping); the carrier's confirmation
 *    (shipment.dispatched), hours or days later, completes it through saga-callback. Every outcome is
 *    reported through the token, never only as a thrown error: an emulator may not fail a callback task
 *    when its Lambda throws.
 *  - cancel (CancelShipment).
 *  - shipment.dispatched events from the services bus: the shipment is marked dispatched.
 * Env: SHIPMENTS_TABLE_NAME, SAGA_CALLBACKS_TABLE_NAME, SHIPPING_TIMEOUT_SECONDS, REFERENCE_RULES, CUTOVER_FAULTS.
 */

export interface ShippingHandlerDeps {
  readonly service: ShippingService;
  readonly registry: CallbackRegistry;
  readonly callbacks: TaskCallbacks;
  readonly timeoutSeconds: number;
  readonly faults?: FaultInjector;
  readonly logger?: Logger;
}

export function createShippingHandler(deps: ShippingHandlerDeps): (event: unknown) => Promise<unknown> {
  const faults = deps.faults ?? new FaultInjector();
  const logger = deps.logger ?? new Logger('shipping');
  return async (event: unknown) => {
    const e = event as { 'detail-type'?: string; detail?: { data?: Record<string, unknown> } };
    if (e && e['detail-type'] === 'shipment.dispatched') {
      const data = e.detail?.data ?? {};
      if (typeof data.orderId !== 'string') throw new InvalidStepInput(`shipment.dispatched: detail.data.orderId missing, got ${JSON.stringify(data.orderId)}`);
      const shipment = await deps.service.recordDispatch(data.orderId, {
        trackingNumber: typeof data.trackingNumber === 'string' ? data.trackingNumber : undefined,
        dispatchedAt: typeof data.dispatchedAt === 'string' ? data.dispatchedAt : undefined,
      });
      if (shipment?.dispatchedAfterCancel) logger.error('dispatched after the saga cancelled the shipment: recall the parcel', { orderId: data.orderId });
      return { orderId: data.orderId, status: shipment?.status ?? 'unknown' };
    }
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
        await deps.callbacks.succeed(token, { orderId: shipment.orderId, shipmentId: shipment.shipmentId, carrier: shipment.carrier, status: 'dispatched', dispatchedAt: shipment.dispatchedAt });
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
    instance = createShippingHandler({
      service: new ShippingService({ ddb, tableName: requireEnv('SHIPMENTS_TABLE_NAME'), rules: parseReferenceRules(process.env.REFERENCE_RULES) }),
      registry: new CallbackRegistry({ ddb, tableName: requireEnv('SAGA_CALLBACKS_TABLE_NAME') }),
      callbacks: new TaskCallbacks(stepFunctionsClient()),
      timeoutSeconds: Number(optionalEnv('SHIPPING_TIMEOUT_SECONDS', String(3 * 86_400))),
      faults: new FaultInjector(parseFaultPlan(process.env.CUTOVER_FAULTS), Math.random),
    });
  }
  return instance(event);
}
