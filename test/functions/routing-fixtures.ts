import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { deterministicId, type ServiceEvent } from '../../core/events/envelope';
import { parseRouteEntry, type RouteEntry } from '../../core/routing';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import type { LocalDynamo } from './audit-dynalite';

/** The reference spec, parsed once per test file. */
export const spec: Spec = parseSpec(config);

/** A silent logger with the Logger surface the handlers use. */
export const quietLogger = (): never => {
  const l = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  return l as never;
};

/** An inventory entry valid for the spec; override any field (goes through the real parser). */
export function inventoryEntry(overrides: Partial<Record<keyof RouteEntry, unknown>> = {}): RouteEntry {
  const mode = (overrides.mode as string | undefined) ?? 'legacy';
  const implied: Record<string, number> = { legacy: 0, shadow: 0, canary: 10, primary: 100, retired: 100 };
  return parseRouteEntry({
    capability: 'inventory',
    mode,
    percent: implied[mode],
    legacy: { target: 'monolith' },
    candidate: { version: 'v2', target: 'inventory-v2' },
    stickyKey: 'orderId',
    mirrorInCanary: true,
    legacyShadowInPrimary: false,
    health: 'unknown',
    updatedAt: '2026-11-21T10:00:00.000Z',
    updatedBy: 'ops@example.com',
    reason: 'fixture',
    revision: 3,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  });
}

const orderV2 = (orderId: string) => ({
  orderId,
  customerId: 'C00042',
  placedAt: '2026-11-21T14:30:00Z',
  amount: { total: '54.97', currency: 'EUR' },
  channel: 'web',
  // The lines add up to the total (a rule of the reference spec).
  lines: [
    { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
    { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
  ],
  shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
});

/** An `order.created` v2 as the bridge puts it on the services bus, wrapped as EventBridge delivers it. */
export function orderCreated(
  orderId: string,
  options: { version?: number; data?: Record<string, unknown>; id?: string } = {},
): Record<string, unknown> {
  const detail: ServiceEvent = {
    metadata: {
      eventId: deterministicId('test', orderId),
      eventType: 'order.created',
      version: options.version ?? 2,
      correlationId: `order-${orderId}`,
      origin: 'legacy',
      producer: 'cutover.bridge',
      occurredAt: '2026-11-21T14:30:00Z',
      entity: { type: 'order', key: orderId },
    },
    data: options.data ?? orderV2(orderId),
  };
  return {
    id: options.id ?? `eb-${orderId}`,
    source: 'cutover.bridge',
    'detail-type': 'order.created',
    time: '2026-11-21T14:30:01Z',
    detail,
  };
}

/** Order ids `1000000 + i` (6 to 10 digits, as the spec's schema wants). */
export function orderIds(count: number, from = 2_000_000): string[] {
  return Array.from({ length: count }, (_, i) => String(from + i));
}

/** The routing table and its history table in dynalite (history sorts on a number). */
export async function createRoutingTables(db: LocalDynamo, names = { table: 'routing', history: 'routing-history' }): Promise<void> {
  await db.createTable(names.table, 'capability', 'sk');
  await db.client.send(
    new CreateTableCommand({
      TableName: names.history,
      AttributeDefinitions: [
        { AttributeName: 'capability', AttributeType: 'S' },
        { AttributeName: 'revision', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'capability', KeyType: 'HASH' },
        { AttributeName: 'revision', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
