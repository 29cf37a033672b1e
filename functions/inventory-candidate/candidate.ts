import { deterministicId } from '../../core/events/envelope';
import type { RecordedEvent } from '../../core/replay';

/*
 * "inventory-candidate": a deliberately different new version of the inventory capability, used by the
 * demo and the e2e tests to show what shadow replay finds. It answers `order.created` with
 * `inventory.reserved` and `order.cancelled` with `inventory.released`, like the monolith, except for ONE
 * planted difference:
 *
 *   the monolith reserves every order in warehouse BRS1; the candidate reserves orders shipping outside GB
 *   in AMS1 (a routing rule someone "improved" in the rewrite).
 *
 * Everything else differs only where the spec's compare rules say it may: the reservation expires at a
 * time taken from its own clock (`**.expiresAt` is ignored), and items come sorted by SKU and merged per
 * SKU (`inventory.reserved` normalises `items` by sku). Pure: the handler and the rehearsal adapter wrap it.
 */
export const PLANTED_DIFFERENCE = {
  outcomeType: 'inventory.reserved',
  field: 'warehouse',
  monolith: 'BRS1',
  candidate: 'AMS1',
  when: 'shippingAddress.country is not GB',
} as const;

export const RESERVATION_MINUTES = 15;

export interface CandidateInput {
  readonly type: string;
  readonly data: Record<string, unknown>;
  /** The time the reservation's clock starts (the candidate's own "now"). */
  readonly now: Date;
}

/** The reservation id both the monolith and the candidate derive from the order number. */
export function reservationIdFor(orderId: string): string {
  return `RSV${orderId.replace(/\D/g, '').padStart(6, '0').slice(-12)}`;
}

function warehouseFor(country: unknown): string {
  return country === 'GB' ? 'BRS1' : 'AMS1';
}

/** The outcome events the candidate emits for one input (none for a type it does not handle). */
export function candidateOutcomes(input: CandidateInput): RecordedEvent[] {
  const d = input.data;
  const orderId = String(d.orderId ?? '');
  if (input.type === 'order.created') {
    const lines = Array.isArray(d.lines) ? (d.lines as Array<{ sku?: unknown; quantity?: unknown }>) : [];
    const bySku = new Map<string, number>();
    for (const l of lines) bySku.set(String(l.sku), (bySku.get(String(l.sku)) ?? 0) + Number(l.quantity ?? 0));
    const items = [...bySku.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([sku, quantity]) => ({ sku, quantity }));
    const address = (d.shippingAddress ?? {}) as { country?: unknown };
    return [
      {
        type: 'inventory.reserved',
        version: 1,
        payload: {
          orderId,
          reservationId: reservationIdFor(orderId),
          warehouse: warehouseFor(address.country),
          expiresAt: new Date(input.now.getTime() + RESERVATION_MINUTES * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          items,
        },
      },
    ];
  }
  if (input.type === 'order.cancelled') {
    return [
      {
        type: 'inventory.released',
        version: 1,
        payload: {
          orderId,
          reservationId: reservationIdFor(orderId),
          releasedAt: input.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          reason: 'cancelled',
        },
      },
    ];
  }
  return [];
}

/** A stable id per (replayed input, outcome): a repeated send yields the same ids, which the collector de-duplicates. */
export function outcomeEventId(inputEventId: string, outcomeType: string, index: number): string {
  return deterministicId('inventory-candidate', inputEventId, outcomeType, String(index));
}
