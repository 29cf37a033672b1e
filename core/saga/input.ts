import { InvalidStepInput } from './errors';

/*
 * The payload every saga Lambda receives from the state machine (see `stepPayload` in asl.ts), checked
 * before use: a wrong call is a bug, named field by field, never guessed around.
 */

export interface OrderLine {
  readonly lineNo?: number;
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice?: string;
}

export interface SagaOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: { readonly total: string; readonly currency: string };
  readonly lines: readonly OrderLine[];
  readonly shippingAddress: { readonly street: string; readonly city: string; readonly postalCode: string; readonly country: string };
  readonly [key: string]: unknown;
}

export interface StepInput {
  readonly action: string;
  readonly step: string;
  readonly orderId: string;
  readonly correlationId: string;
  readonly sagaId: string;
  readonly order: SagaOrder;
  readonly failure?: { readonly Error?: string; readonly Cause?: string };
  readonly failedStep?: string;
  readonly taskToken?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const DECIMAL = /^(0|[1-9][0-9]*)\.[0-9]{2}$/;

function str(obj: Record<string, unknown>, key: string, where: string, problems: string[]): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') problems.push(`${where}${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return String(v);
}

/** Checks the step payload; throws `InvalidStepInput` listing every problem (field path and value). */
export function parseStepInput(event: unknown, allowedActions: readonly string[]): StepInput {
  const problems: string[] = [];
  if (!isObject(event)) throw new InvalidStepInput(`step input: expected an object, got ${JSON.stringify(event)}`);
  const action = str(event, 'action', '', problems);
  if (!allowedActions.includes(action)) problems.push(`action: ${JSON.stringify(event.action)} is not one of ${allowedActions.join(', ')}`);
  str(event, 'step', '', problems);
  const orderId = str(event, 'orderId', '', problems);
  str(event, 'correlationId', '', problems);
  str(event, 'sagaId', '', problems);
  const order = event.order;
  if (!isObject(order)) {
    problems.push(`order: expected an object, got ${JSON.stringify(order)}`);
  } else {
    if (order.orderId !== orderId)
      problems.push(`order.orderId: ${JSON.stringify(order.orderId)} differs from orderId ${JSON.stringify(orderId)}`);
    str(order, 'customerId', 'order.', problems);
    const amount = order.amount;
    if (!isObject(amount) || typeof amount.total !== 'string' || !DECIMAL.test(amount.total) || typeof amount.currency !== 'string') {
      problems.push(`order.amount: expected { total: "12.34", currency }, got ${JSON.stringify(amount)}`);
    }
    const lines = order.lines;
    if (!Array.isArray(lines) || lines.length === 0) {
      problems.push(`order.lines: expected a non-empty list, got ${JSON.stringify(lines)}`);
    } else {
      lines.forEach((l, i) => {
        if (!isObject(l) || typeof l.sku !== 'string' || !Number.isInteger(l.quantity) || (l.quantity as number) < 1) {
          problems.push(`order.lines[${i}]: expected { sku, quantity >= 1 }, got ${JSON.stringify(l)}`);
        }
      });
    }
    const addr = order.shippingAddress;
    if (!isObject(addr) || typeof addr.country !== 'string')
      problems.push(`order.shippingAddress: expected an address with a country, got ${JSON.stringify(addr)}`);
  }
  if (event.taskToken !== undefined && (typeof event.taskToken !== 'string' || event.taskToken === '')) {
    problems.push(`taskToken: expected a non-empty string, got ${JSON.stringify(event.taskToken)}`);
  }
  if (problems.length > 0) throw new InvalidStepInput(`invalid step input: ${problems.join('; ')}`, { problems });
  return event as unknown as StepInput;
}

/** Order lines added up per SKU (an order may list one SKU on two lines). Sorted, so writes happen in one order. */
export function quantitiesBySku(lines: readonly OrderLine[]): Array<{ sku: string; quantity: number }> {
  const by = new Map<string, number>();
  for (const l of lines) by.set(l.sku, (by.get(l.sku) ?? 0) + l.quantity);
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([sku, quantity]) => ({ sku, quantity }));
}

/** Money as integer cents, so sums and comparisons are exact. */
export function toCents(decimal: string): number {
  const negative = decimal.startsWith('-');
  const [whole, frac = '00'] = (negative ? decimal.slice(1) : decimal).split('.');
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2));
  return negative ? -cents : cents;
}

export function fromCents(cents: number): string {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  return `${negative ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
