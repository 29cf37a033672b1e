import { documentClient } from '../../adapters/aws/clients';
import { requireEnv } from '../shared/env';
import { Logger } from '../shared/logger';
import { FaultInjector, parseFaultPlan } from '../../core/saga/faults';
import { parseStepInput } from '../../core/saga/input';
import { parseReferenceRules } from '../../core/saga/reference';
import { PaymentService } from './payment';
import { paymentProvider } from '../../adapters/providers';
import { ENV } from '../../core/contract';

/*
 * The payment service's Lambda: ProcessPayment (charge), Check Fraud Review (review), RefundPayment (refund).
 * Env: PAYMENT_TABLE_NAME, PAYMENT_PROVIDER (optional, `sandbox`), REFERENCE_RULES (optional JSON), CUTOVER_FAULTS (optional).
 */

export interface PaymentHandlerDeps {
  readonly service: PaymentService;
  readonly faults?: FaultInjector;
  readonly logger?: Logger;
}

export function createPaymentHandler(deps: PaymentHandlerDeps): (event: unknown) => Promise<unknown> {
  const faults = deps.faults ?? new FaultInjector();
  const logger = deps.logger ?? new Logger('payment');
  return async (event: unknown) => {
    const input = parseStepInput(event, ['charge', 'review', 'refund']);
    const key = input.action === 'review' ? 'CheckFraudReview' : input.step;
    const result = await faults.around(key, input.orderId, async () => {
      switch (input.action) {
        case 'charge':
          return deps.service.charge(input.orderId, input.order.customerId, input.order.amount.total, input.order.amount.currency);
        case 'review':
          return deps.service.review(input.orderId);
        default:
          return deps.service.refund(input.orderId, input.failure?.Error);
      }
    });
    logger.info(`${input.action} done`, { orderId: input.orderId, correlationId: input.correlationId, status: result.status });
    return result;
  };
}

let instance: ((event: unknown) => Promise<unknown>) | undefined;

export async function handler(event: unknown): Promise<unknown> {
  if (!instance) {
    const rules = parseReferenceRules(process.env[ENV.referenceRules]);
    instance = createPaymentHandler({
      service: new PaymentService({
        ddb: documentClient(),
        tableName: requireEnv('PAYMENT_TABLE_NAME'),
        rules,
        provider: paymentProvider(process.env[ENV.paymentProvider], { rules }),
      }),
      faults: new FaultInjector(parseFaultPlan(process.env[ENV.cutoverFaults]), Math.random, undefined, { service: 'payment' }),
    });
  }
  return instance(event);
}
