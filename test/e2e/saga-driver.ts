import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomInt } from 'node:crypto';
import { waitFor } from './harness';

/*
 * What the saga suites share: an order as the storefront sends it, the carrier's dispatch as it reaches
 * the services bus, and the wait for a saga to park on a task token.
 */

/** An order number the reference rules treat as an ordinary order. */
export const newOrderId = (): string => String(randomInt(60_000_000, 99_999_999));

/** A SKU of its own per test, so concurrent suites never share stock. */
export const newSku = (prefix = 'E'): string =>
  `${prefix}${String.fromCharCode(65 + randomInt(26))}${String.fromCharCode(65 + randomInt(26))}-${String(randomInt(10_000)).padStart(4, '0')}`;

/** A valid order of two units of `sku` (25.98 EUR), with fields replaced by `overrides`. */
export function sampleOrder(orderId: string, sku: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId,
    customerId: 'C00042',
    placedAt: '2026-11-21T14:30:00Z',
    amount: { total: '25.98', currency: 'EUR' },
    channel: 'web',
    lines: [{ lineNo: 1, sku, quantity: 2, unitPrice: '12.99' }],
    shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
    ...overrides,
  };
}

/** The carrier's `shipment.dispatched` for an order, as a PutEvents entry on the services bus. */
export function carrierDispatchEntry(busName: string, orderId: string): PutEventsRequestEntry {
  const detail = {
    metadata: {
      eventId: `carrier-${orderId}`,
      eventType: 'shipment.dispatched',
      version: 1,
      correlationId: `order-${orderId}`,
      origin: 'service',
      producer: 'carrier.dpd',
      occurredAt: new Date().toISOString(),
      entity: { type: 'order', key: orderId },
    },
    data: {
      orderId,
      shipmentId: `SHP${orderId}`,
      carrier: 'dpd',
      trackingNumber: `TRK${orderId}`,
      parcels: 1,
      dispatchedAt: '2026-11-22T09:15:00Z',
    },
  };
  return { EventBusName: busName, Source: 'carrier.dpd', DetailType: 'shipment.dispatched', Detail: JSON.stringify(detail) };
}

/** Resolves once the order's saga has filed its task token for `action` in the callbacks table. */
export async function waitingFor(
  doc: DynamoDBDocumentClient,
  callbacksTable: string,
  orderId: string,
  action: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => (await doc.send(new GetCommand({ TableName: callbacksTable, Key: { orderId, action }, ConsistentRead: true }))).Item,
    { what: `order ${orderId} to wait for ${action}`, timeoutMs, intervalMs: 1_000 },
  );
}
