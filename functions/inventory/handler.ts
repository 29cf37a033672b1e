import type { EventBridgeLike } from '../../core/translate/incoming';
import { documentClient } from '../../adapters/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { FaultInjector, parseFaultPlan } from '../../core/saga/faults';
import { parseStepInput } from '../../core/saga/input';
import { InvalidStepInput } from '../../core/saga/errors';
import { InventoryService } from './inventory';
import { ENV } from '../../core/contract';

/*
 * The inventory service's Lambda: the saga's ReserveInventory (reserve), ConfirmReservation (commit) and
 * ReleaseInventory (release), and `shipment.dispatched` events from the services bus (fulfil).
 * Env: INVENTORY_TABLE_NAME, RESERVATION_TTL_SECONDS, CUTOVER_FAULTS (optional).
 */

export interface InventoryHandlerDeps {
  readonly service: InventoryService;
  readonly faults?: FaultInjector;
  readonly logger?: Logger;
}

export function createInventoryHandler(deps: InventoryHandlerDeps): (event: unknown) => Promise<unknown> {
  const faults = deps.faults ?? new FaultInjector();
  const logger = deps.logger ?? new Logger('inventory');
  return async (event: unknown) => {
    const e = event as EventBridgeLike<{ data?: { orderId?: unknown } }> | null;
    if (e && e['detail-type'] === 'shipment.dispatched') {
      const orderId = e.detail?.data?.orderId;
      if (typeof orderId !== 'string')
        throw new InvalidStepInput(`shipment.dispatched: detail.data.orderId missing, got ${JSON.stringify(orderId)}`);
      const result = await deps.service.fulfil(orderId);
      logger.info('fulfilled', { orderId, ...result });
      return result;
    }
    const input = parseStepInput(event, ['reserve', 'commit', 'release']);
    const log = logger.child({ orderId: input.orderId, step: input.step, correlationId: input.correlationId });
    const result = await faults.around(input.step, input.orderId, async () => {
      switch (input.action) {
        case 'reserve':
          return deps.service.reserve(input.orderId, input.order.lines);
        case 'commit':
          return deps.service.commit(input.orderId);
        default:
          return deps.service.release(input.orderId, input.order.lines, input.failure?.Error);
      }
    });
    log.info(`${input.action} done`, { result });
    return result;
  };
}

let instance: ((event: unknown) => Promise<unknown>) | undefined;

export async function handler(event: unknown): Promise<unknown> {
  instance ??= createInventoryHandler({
    service: new InventoryService({
      ddb: documentClient(),
      tableName: requireEnv('INVENTORY_TABLE_NAME'),
      reservationTtlSeconds: Number(optionalEnv('RESERVATION_TTL_SECONDS', '900')),
    }),
    faults: new FaultInjector(parseFaultPlan(process.env[ENV.cutoverFaults]), Math.random, undefined, { service: 'inventory' }),
  });
  return instance(event);
}
