import { mulberry32 } from './seed';

/*
 * The shop monolith's own business transactions, as the application runs them: the SQL of placing an
 * order, reserving its stock, capturing its payment, shipping it, updating a customer, and the reads of
 * the shop front. `monolith/record-workload.ts` runs them against a real PostgreSQL and records what ran
 * (per transaction, with the server's transaction id) as the JSONL workload `cutover boundaries` reads.
 *
 * A monolith's transactions cross what will become service boundaries: capturing a payment reads the
 * order's amount, shipping reads the order's address and moves its status, a declined card cancels the
 * order and releases its stock in one transaction. That is the point:
 * the analysis has to find those and say what to do with them.
 */

export interface WorkloadStatement {
  readonly sql: string;
  readonly params: ReadonlyArray<string | number>;
}

/** One unit of work: statements that run in one transaction. */
export type WorkloadTransaction = { readonly name: string; readonly statements: WorkloadStatement[] };

export interface ShopWorkloadOptions {
  readonly orders: number;
  readonly seed?: number;
  readonly customers?: number;
  readonly products?: number;
}

const WAREHOUSES = ['W001', 'W002'];

/** Reference rows the transactions need (not recorded: this is the data, not the workload). */
export function shopSetup(o: ShopWorkloadOptions): WorkloadStatement[] {
  const out: WorkloadStatement[] = [];
  const customers = o.customers ?? 50;
  const products = o.products ?? 20;
  for (let c = 1; c <= customers; c++) {
    out.push({
      sql: `INSERT INTO customers (cust_no, email, first_name, last_name, created_dt, updated_at) VALUES ($1, $2, 'Ada', 'Shopper', '20260101 000000', now())`,
      params: [`C${c}`, `c${c}@example.com`],
    });
  }
  for (let p = 1; p <= products; p++) {
    out.push({
      sql: `INSERT INTO products (sku, name, price_cents, updated_at) VALUES ($1, $2, $3, now())`,
      params: [`SKU${p}`, `Product ${p}`, 500 + p * 100],
    });
    for (const w of WAREHOUSES)
      out.push({
        sql: `INSERT INTO stock (sku, warehouse_cd, on_hand, reserved, updated_at) VALUES ($1, $2, 1000000, 0, now())`,
        params: [`SKU${p}`, w],
      });
  }
  return out;
}

/** The transactions of `orders` orders, in the order the shop would run them. Deterministic per seed. */
export function* shopTransactions(o: ShopWorkloadOptions): Generator<WorkloadTransaction> {
  const rnd = mulberry32(o.seed ?? 7);
  const customers = o.customers ?? 50;
  const products = o.products ?? 20;
  const pick = (n: number): number => 1 + Math.floor(rnd() * n);
  for (let i = 0; i < o.orders; i++) {
    const orderNo = 1_000_001 + i;
    const cust = `C${pick(customers)}`;
    const lines = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({
      sku: `SKU${pick(products)}`,
      qty: 1 + Math.floor(rnd() * 2),
    }));
    // The shop front: product pages (catalog with availability) and the basket, several per order.
    for (let v = 0; v < 4; v++) {
      yield {
        name: 'view-product',
        statements: [
          {
            sql: `SELECT p.sku, p.name, p.price_cents, s.on_hand - s.reserved AS available FROM products p JOIN stock s ON s.sku = p.sku WHERE p.sku = $1 AND p.active = 'Y'`,
            params: [`SKU${pick(products)}`],
          },
        ],
      };
    }
    yield {
      name: 'list-products',
      statements: [{ sql: `SELECT sku, name, price_cents FROM products WHERE active = 'Y' ORDER BY name LIMIT 20`, params: [] }],
    };
    // Place the order: check the customer and prices, write the order and its lines.
    yield {
      name: 'place-order',
      statements: [
        { sql: `SELECT cust_no, email FROM customers WHERE cust_no = $1`, params: [cust] },
        ...lines.map((l) => ({ sql: `SELECT price_cents FROM products WHERE sku = $1`, params: [l.sku] })),
        {
          sql: `INSERT INTO orders (order_no, cust_no, order_dt, status, total_cents, currency, channel, ship_street, ship_city, ship_zip, ship_country, updated_at) VALUES ($1, $2, '20261201 120000', 'P', $3, 'EUR', 'WEB', '1 Main St', 'Lyon', '69001', 'FR', now())`,
          params: [orderNo, cust, 1000],
        },
        ...lines.map((l, n) => ({
          sql: `INSERT INTO order_lines (order_no, line_no, sku, qty, unit_price_cents) VALUES ($1, $2, $3, $4, $5)`,
          params: [orderNo, n + 1, l.sku, l.qty, 700],
        })),
      ],
    };
    // Reserve stock, one row lock per line.
    yield {
      name: 'reserve-stock',
      statements: lines.flatMap((l) => [
        { sql: `SELECT on_hand, reserved FROM stock WHERE sku = $1 AND warehouse_cd = $2 FOR UPDATE`, params: [l.sku, WAREHOUSES[0]] },
        {
          sql: `UPDATE stock SET reserved = reserved + $1, updated_at = now() WHERE sku = $2 AND warehouse_cd = $3`,
          params: [l.qty, l.sku, WAREHOUSES[0]],
        },
      ]),
    };
    const declined = rnd() < 0.06;
    if (declined) {
      // The card is declined: the order is cancelled and its stock released, in one transaction.
      yield {
        name: 'cancel-order',
        statements: [
          { sql: `UPDATE orders SET status = 'X', updated_at = now() WHERE order_no = $1`, params: [orderNo] },
          ...lines.map((l) => ({
            sql: `UPDATE stock SET reserved = reserved - $1, updated_at = now() WHERE sku = $2 AND warehouse_cd = $3`,
            params: [l.qty, l.sku, WAREHOUSES[0]],
          })),
        ],
      };
      continue;
    }
    // Capture the payment for the order's amount, read from the order in the same transaction.
    yield {
      name: 'capture-payment',
      statements: [
        { sql: `SELECT total_cents, currency FROM orders WHERE order_no = $1`, params: [orderNo] },
        {
          sql: `INSERT INTO payments (payment_id, order_no, amount_cents, currency, method, captured_dt, updated_at) VALUES ($1, $2, $3, 'EUR', 'CARD', '20261201 120100', now())`,
          params: [`PAY${orderNo}`, orderNo, 1000],
        },
      ],
    };
    // Ship it: read the address, write the shipment, move the status.
    yield {
      name: 'ship-order',
      statements: [
        { sql: `SELECT ship_street, ship_city, ship_zip, ship_country FROM orders WHERE order_no = $1`, params: [orderNo] },
        {
          sql: `INSERT INTO shipments (shipment_id, order_no, carrier_cd, parcels, dispatch_dt, updated_at) VALUES ($1, $2, 'UPS', 1, '20261202 090000', now())`,
          params: [`SHP${orderNo}`, orderNo],
        },
        { sql: `UPDATE orders SET status = 'S', updated_at = now() WHERE order_no = $1`, params: [orderNo] },
      ],
    };
    if (i % 5 === 0) {
      yield {
        name: 'order-history',
        statements: [
          {
            sql: `SELECT o.order_no, o.status, l.sku, l.qty FROM orders o JOIN order_lines l ON l.order_no = o.order_no WHERE o.cust_no = $1 ORDER BY o.order_no DESC LIMIT 50`,
            params: [cust],
          },
        ],
      };
      yield {
        name: 'track-shipment',
        statements: [{ sql: `SELECT s.carrier_cd, s.tracking_no FROM shipments s WHERE s.order_no = $1`, params: [orderNo] }],
      };
    }
    if (i % 10 === 0) {
      yield {
        name: 'update-customer',
        statements: [
          { sql: `UPDATE customers SET phone = $1, updated_at = now() WHERE cust_no = $2`, params: ['+33 1 23 45 67 89', cust] },
        ],
      };
    }
  }
}
