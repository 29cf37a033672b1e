/**
 * A deterministic generator of the reference monolith's data. The same options give the same rows, byte
 * for byte, on any machine: every order draws from its own PRNG stream seeded from (seed, order index),
 * so the data does not depend on chunk sizes and any single order can be regenerated on its own.
 *
 * Rows come out as SQL text (string | null) in the column order of `MONOLITH_COLUMNS`, ready for COPY or
 * a multi-row INSERT.
 */

export type SeedRow = (string | null)[];

export const MONOLITH_COLUMNS = {
  customers: ['cust_no', 'email', 'first_name', 'last_name', 'phone', 'marketing_opt_in', 'tier', 'created_dt', 'updated_at'],
  products: ['sku', 'name', 'price_cents', 'weight_kg', 'active', 'updated_at'],
  stock: ['sku', 'warehouse_cd', 'on_hand', 'reserved', 'updated_at'],
  orders: [
    'order_no',
    'cust_no',
    'order_dt',
    'status',
    'total_cents',
    'currency',
    'channel',
    'coupon_code',
    'ship_street',
    'ship_city',
    'ship_zip',
    'ship_country',
    'updated_at',
  ],
  order_lines: ['order_no', 'line_no', 'sku', 'qty', 'unit_price_cents'],
  payments: ['payment_id', 'order_no', 'amount_cents', 'currency', 'method', 'captured_dt', 'updated_at'],
  shipments: ['shipment_id', 'order_no', 'carrier_cd', 'tracking_no', 'parcels', 'dispatch_dt', 'updated_at'],
} as const;
export type MonolithTable = keyof typeof MONOLITH_COLUMNS;
export const MONOLITH_TABLES = Object.keys(MONOLITH_COLUMNS) as MonolithTable[];

export interface SeedOptions {
  /** Number of orders. */
  readonly orders: number;
  /** @default 42 */
  readonly seed?: number;
  /** Rows with values the reference mapping rejects (an unknown status, an impossible date). @default 0 */
  readonly badRows?: number;
}

export const FIRST_ORDER_NO = 1_000_001;

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stream seed for item `index` of kind `stream` under `seed` (splitmix-style mixing). */
function streamSeed(seed: number, stream: number, index: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Linus',
  'Margaret',
  'Edsger',
  'Barbara',
  'Ken',
  'Frances',
  'Dennis',
  'Radia',
  'Tim',
  'Hedy',
  'John',
  'Katherine',
  'Donald',
];
const LAST = [
  'Byron',
  'Hopper',
  'Turing',
  'Torvalds',
  'Hamilton',
  'Dijkstra',
  'Liskov',
  'Thompson',
  'Allen',
  'Ritchie',
  'Perlman',
  'Berners-Lee',
  'Lamarr',
  'Backus',
  'Johnson',
  'Knuth',
];
const STREETS = [
  'Harbour Lane',
  'Market Street',
  'Mill Road',
  'Station Approach',
  'Church Walk',
  'Kingsway',
  'Rosenweg',
  'Hauptstrasse',
  'Rue de la Paix',
  'Canal Side',
];
const PLACES: [string, string, string][] = [
  ['Bristol', 'BS1 4QA', 'GB'],
  ['Leeds', 'LS1 5DL', 'GB'],
  ['Berlin', '10115', 'DE'],
  ['Hamburg', '20095', 'DE'],
  ['Lyon', '69002', 'FR'],
  ['Utrecht', '3511 LX', 'NL'],
  ['Dublin', 'D02 X285', 'IE'],
];
const SKU_PREFIX = ['MUG', 'TEA', 'PAN', 'CUP', 'BAG', 'HAT', 'PEN', 'LMP', 'RUG', 'MAT'];
const NOUNS = ['mug', 'teapot', 'pan', 'cup', 'tote bag', 'hat', 'pen', 'lamp', 'rug', 'mat'];
const ADJ = ['blue', 'large', 'classic', 'enamel', 'linen', 'oak', 'stoneware', 'travel', 'glazed', 'recycled'];
const WAREHOUSES = ['BRS1', 'LDN2', 'MAN3'];
const CURRENCY_OF: Record<string, string> = { GB: 'GBP', DE: 'EUR', FR: 'EUR', NL: 'EUR', IE: 'EUR' };
const CHANNELS = ['WEB', 'WEB', 'WEB', 'STORE', 'PHONE'];
const METHODS = ['CARD', 'CARD', 'PAYPAL', 'INVOICE'];
const CARRIERS = ['DHL', 'UPS', 'DPD', 'RM'];
const TIERS = ['STANDARD', 'STANDARD', 'STANDARD', 'SILVER', 'GOLD'];

const EPOCH = Date.UTC(2024, 0, 1);
const SPAN_MS = 900 * 24 * 3600 * 1000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** 'YYYYMMDD HHMMSS' (the monolith's business timestamps). */
export function legacyTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
}

/** 'YYYY-MM-DD HH:MM:SS' (SQL TIMESTAMP/DATETIME text, UTC). */
export function sqlTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

export function customerCount(o: SeedOptions): number {
  return Math.max(100, Math.ceil(o.orders / 10));
}

export function productCount(o: SeedOptions): number {
  return Math.min(20_000, Math.max(50, Math.ceil(o.orders / 50)));
}

export function customerNo(index: number): string {
  return `C${pad(index + 1, 6)}`;
}

export function sku(index: number): string {
  return `${SKU_PREFIX[index % SKU_PREFIX.length]}-${pad(Math.floor(index / SKU_PREFIX.length) + 1, 4)}`;
}

function productPriceCents(seed: number, index: number): number {
  const r = mulberry32(streamSeed(seed, 2, index));
  return 199 + Math.floor(r() * 9800);
}

export function customerRow(o: SeedOptions, index: number): SeedRow {
  const seed = o.seed ?? 42;
  const r = mulberry32(streamSeed(seed, 1, index));
  const first = FIRST[Math.floor(r() * FIRST.length)];
  const last = LAST[Math.floor(r() * LAST.length)];
  const created = EPOCH - Math.floor(r() * 365 * 24 * 3600 * 1000);
  const phone = r() < 0.6 ? `+44 7${pad(Math.floor(r() * 1e9), 9)}` : '';
  return [
    customerNo(index),
    `${first}.${last}.${index + 1}@example.com`.toLowerCase(),
    first,
    last,
    phone,
    r() < 0.35 ? 'Y' : 'N',
    TIERS[Math.floor(r() * TIERS.length)],
    legacyTimestamp(created),
    sqlTimestamp(created + Math.floor(r() * SPAN_MS)),
  ];
}

export function productRow(o: SeedOptions, index: number): SeedRow {
  const seed = o.seed ?? 42;
  const r = mulberry32(streamSeed(seed, 3, index));
  const noun = NOUNS[index % NOUNS.length];
  const weight = r() < 0.05 ? null : String(Math.round((0.05 + r() * 4.95) * 1000) / 1000);
  return [
    sku(index),
    `${ADJ[Math.floor(r() * ADJ.length)]} ${noun}`,
    String(productPriceCents(seed, index)),
    weight,
    r() < 0.93 ? 'Y' : 'N',
    sqlTimestamp(EPOCH + Math.floor(r() * SPAN_MS)),
  ];
}

export function stockRows(o: SeedOptions, productIndex: number): SeedRow[] {
  const seed = o.seed ?? 42;
  const r = mulberry32(streamSeed(seed, 4, productIndex));
  const count = 1 + Math.floor(r() * WAREHOUSES.length);
  const out: SeedRow[] = [];
  for (let w = 0; w < count; w++) {
    const onHand = Math.floor(r() * 500);
    out.push([
      sku(productIndex),
      WAREHOUSES[w],
      String(onHand),
      String(Math.floor(r() * Math.min(onHand + 1, 40))),
      sqlTimestamp(EPOCH + Math.floor(r() * SPAN_MS)),
    ]);
  }
  return out;
}

/** Indices of the orders that carry a planted bad value, and which. */
export function badOrders(o: SeedOptions): Map<number, 'status' | 'date'> {
  const n = Math.min(o.badRows ?? 0, o.orders);
  const out = new Map<number, 'status' | 'date'>();
  for (let k = 0; k < n; k++) out.set(Math.floor(((k + 0.5) * o.orders) / n), k % 2 === 0 ? 'status' : 'date');
  return out;
}

export interface OrderRows {
  readonly order: SeedRow;
  readonly lines: SeedRow[];
  readonly payment?: SeedRow;
  readonly shipment?: SeedRow;
}

/** Everything about order number `index` (0-based; its order_no is FIRST_ORDER_NO + index). */
export function orderRows(o: SeedOptions, index: number, bad?: 'status' | 'date'): OrderRows {
  const seed = o.seed ?? 42;
  const r = mulberry32(streamSeed(seed, 5, index));
  const orderNo = String(FIRST_ORDER_NO + index);
  const slot = SPAN_MS / Math.max(1, o.orders);
  const placed = EPOCH + Math.floor(index * slot + r() * slot);
  const customers = customerCount(o);
  const products = productCount(o);
  const place = PLACES[Math.floor(r() * PLACES.length)];
  const currency = CURRENCY_OF[place[2]];

  const roll = r();
  const lineCount = roll < 0.3 ? 1 : roll < 0.6 ? 2 : roll < 0.8 ? 3 : roll < 0.92 ? 4 : 5;
  const lines: SeedRow[] = [];
  let total = 0;
  for (let l = 1; l <= lineCount; l++) {
    const p = Math.floor(r() * products);
    const qty = 1 + Math.floor(r() * r() * 6);
    const price = productPriceCents(seed, p);
    total += qty * price;
    lines.push([orderNo, String(l), sku(p), String(qty), String(price)]);
  }
  const coupon = r() < 0.15 ? `SAVE${pad(Math.floor(r() * 100), 2)}` : '';
  if (coupon) total = Math.floor(total * 0.9);

  const cancelled = r() < 0.05;
  const paid = !cancelled || r() < 0.5;
  const shipped = paid && !cancelled && r() < 0.87;
  const delivered = shipped && r() < 0.8;
  let updated = placed + 60_000;

  let payment: SeedRow | undefined;
  if (paid) {
    const captured = placed + 5_000 + Math.floor(r() * 60_000);
    payment = [
      `PAY${pad(index + 1, 10)}`,
      orderNo,
      String(total),
      currency,
      METHODS[Math.floor(r() * METHODS.length)],
      legacyTimestamp(captured),
      sqlTimestamp(captured),
    ];
  }
  let shipment: SeedRow | undefined;
  if (shipped) {
    const dispatched = placed + 3_600_000 + Math.floor(r() * 3 * 24 * 3_600_000);
    updated = dispatched;
    const tracking = r() < 0.7 ? pad(Math.floor(r() * 1e9), 9) + pad(Math.floor(r() * 1e5), 5) : '';
    shipment = [
      `SHP${pad(index + 1, 10)}`,
      orderNo,
      CARRIERS[Math.floor(r() * CARRIERS.length)],
      tracking,
      String(1 + Math.floor(r() * r() * 3)),
      legacyTimestamp(dispatched),
      sqlTimestamp(dispatched),
    ];
  }
  const status = cancelled ? 'X' : delivered ? 'D' : shipped ? 'S' : 'P';
  const order: SeedRow = [
    orderNo,
    customerNo(Math.floor(r() * customers)),
    bad === 'date' ? `${legacyTimestamp(placed).slice(0, 4)}0231 120000` : legacyTimestamp(placed),
    bad === 'status' ? 'Q' : status,
    String(total),
    currency,
    CHANNELS[Math.floor(r() * CHANNELS.length)],
    coupon,
    `${1 + Math.floor(r() * 200)} ${STREETS[Math.floor(r() * STREETS.length)]}`,
    place[0],
    place[1],
    place[2],
    sqlTimestamp(updated),
  ];
  return { order, lines, payment, shipment };
}

export interface OrderBatch {
  readonly orders: SeedRow[];
  readonly order_lines: SeedRow[];
  readonly payments: SeedRow[];
  readonly shipments: SeedRow[];
}

/** Orders [from, to) and their lines, payments and shipments, in chunks of `chunk` orders. */
export function* orderBatches(o: SeedOptions, chunk = 10_000, from = 0, to = o.orders): Generator<OrderBatch> {
  const bad = badOrders(o);
  for (let start = from; start < to; start += chunk) {
    const batch: OrderBatch = { orders: [], order_lines: [], payments: [], shipments: [] };
    const end = Math.min(to, start + chunk);
    for (let i = start; i < end; i++) {
      const rows = orderRows(o, i, bad.get(i));
      batch.orders.push(rows.order);
      for (const l of rows.lines) batch.order_lines.push(l);
      if (rows.payment) batch.payments.push(rows.payment);
      if (rows.shipment) batch.shipments.push(rows.shipment);
    }
    yield batch;
  }
}

/** Customers, products and stock rows, in chunks. */
export function* referenceBatches(
  o: SeedOptions,
  chunk = 10_000,
): Generator<{ table: 'customers' | 'products' | 'stock'; rows: SeedRow[] }> {
  for (let start = 0; start < customerCount(o); start += chunk) {
    const rows: SeedRow[] = [];
    for (let i = start; i < Math.min(customerCount(o), start + chunk); i++) rows.push(customerRow(o, i));
    yield { table: 'customers', rows };
  }
  for (let start = 0; start < productCount(o); start += chunk) {
    const products: SeedRow[] = [];
    const stock: SeedRow[] = [];
    for (let i = start; i < Math.min(productCount(o), start + chunk); i++) {
      products.push(productRow(o, i));
      stock.push(...stockRows(o, i));
    }
    yield { table: 'products', rows: products };
    yield { table: 'stock', rows: stock };
  }
}
