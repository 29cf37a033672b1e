import { documentClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { FaultInjector, parseFaultPlan } from '../../core/saga/faults';
import { parseStepInput } from '../../core/saga/input';
import { NotificationService } from './notification';
import { ENV } from '../../core/contract';

/*
 * The notification service's Lambda: NotifyCustomer (confirm) and SendCancellationNotice (cancellation).
 * Env: NOTIFICATIONS_TABLE_NAME, CUTOVER_FAULTS (optional).
 */

export interface NotificationHandlerDeps {
  readonly service: NotificationService;
  readonly faults?: FaultInjector;
  readonly logger?: Logger;
}

export function createNotificationHandler(deps: NotificationHandlerDeps): (event: unknown) => Promise<unknown> {
  const faults = deps.faults ?? new FaultInjector();
  const logger = deps.logger ?? new Logger('notification');
  return async (event: unknown) => {
    const input = parseStepInput(event, ['confirm', 'cancellation']);
    const result = await faults.around(input.step, input.orderId, () =>
      input.action === 'confirm' ? deps.service.confirm(input.order) : deps.service.cancellation(input.order, input.failure?.Error),
    );
    logger.info(`${input.action} done`, { orderId: input.orderId, correlationId: input.correlationId, sent: result.sent });
    return result;
  };
}

let instance: ((event: unknown) => Promise<unknown>) | undefined;

export async function handler(event: unknown): Promise<unknown> {
  instance ??= createNotificationHandler({
    service: new NotificationService({ ddb: documentClient(), tableName: requireEnv('NOTIFICATIONS_TABLE_NAME') }),
    faults: new FaultInjector(parseFaultPlan(process.env[ENV.cutoverFaults]), Math.random, undefined, { service: 'notification' }),
  });
  return instance(event);
}
