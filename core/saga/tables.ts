/*
 * The saga's tables and their keys: the contract between lib/ (which creates them), the handlers and the
 * CLI (which read and write them) and the tests (which create them in dynalite). Attribute names are the
 * DynamoDB attribute names.
 */

export interface TableShape {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Time-to-live attribute (epoch seconds), when items expire. */
  readonly ttl?: string;
  readonly indexes?: ReadonlyArray<{ readonly name: string; readonly partitionKey: string; readonly sortKey?: string }>;
}

export const SAGA_TABLES = {
  /** The orders service (the saga's own): one order per item, written by the state machine. */
  orders: { partitionKey: 'orderId' },
  /** One row per saga run: running / completed / compensated / compensation-failed, for `saga list`. */
  sagaState: { partitionKey: 'orderId', indexes: [{ name: 'bySagaState', partitionKey: 'sagaState', sortKey: 'updatedAt' }] },
  /** Orders an operator must finish by hand (a compensation failed after its retries). */
  needsAttention: { partitionKey: 'orderId' },
  /** Task tokens of awaited actions by (orderId, action). */
  callbacks: { partitionKey: 'orderId', sortKey: 'action', ttl: 'ttl' },
  /** Inventory: SKU#<sku> stock items and RES#<orderId> reservations. */
  inventory: { partitionKey: 'pk', ttl: 'ttl' },
  /** Payments, one per order. */
  payments: { partitionKey: 'orderId' },
  /** Shipments, one per order. */
  shipments: { partitionKey: 'orderId' },
  /** Notification outbox: <orderId>#<kind>. */
  notifications: { partitionKey: 'id' },
  /** The reference monolith's own state (MSG#<id> de-duplication, PAY#<order> payments). */
  monolith: { partitionKey: 'pk' },
} as const satisfies Record<string, TableShape>;

export type SagaTableName = keyof typeof SAGA_TABLES;
