import type { SQSRecord, SQSRecordAttributes } from 'aws-lambda';
/*
 * Monolith traffic for the capture/replay tests, the e2e test, the demo and the bench: ORDER_PLACED inputs
 * and the STOCK_RESERVED outcome the reference monolith emits for each (always warehouse BRS1), shaped to
 * pass the reference spec's legacy schemas. Deterministic: the same arguments give the same events.
 */
export interface OrderFixture {
  readonly orderNo: string;
  readonly country: string;
  readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number; readonly cents: number }>;
  /** Legacy timestamp "YYYYMMDD HHMMSS". */
  readonly at: string;
}

export function legacyTimestamp(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

const SKUS = ['MUG-0001', 'TEA-0042', 'CUP-0007', 'POT-0100', 'SPN-0003'];

/** Order `n` of a run: every `foreignEvery`-th order ships to DE (where the candidate differs), the rest to GB. */
export function orderFixture(n: number, options: { prefix?: number; foreignEvery?: number; at?: Date } = {}): OrderFixture {
  const prefix = options.prefix ?? 7;
  const foreignEvery = options.foreignEvery ?? 3;
  const lineCount = 1 + (n % 3);
  const lines = Array.from({ length: lineCount }, (_, i) => ({
    sku: SKUS[(n + i * 2) % SKUS.length],
    qty: 1 + ((n + i) % 4),
    cents: 199 + 100 * ((n * 7 + i) % 30),
  }));
  // Distinct SKUs per order (the generator above may repeat one when the order is long enough).
  const seen = new Set<string>();
  const unique = lines.filter((l) => (seen.has(l.sku) ? false : (seen.add(l.sku), true)));
  return {
    orderNo: `${prefix}${String(n).padStart(6, '0')}`.slice(0, 10),
    country: foreignEvery > 0 && n % foreignEvery === foreignEvery - 1 ? 'DE' : 'GB',
    lines: unique,
    at: legacyTimestamp(options.at ?? new Date(Date.UTC(2026, 10, 21, 14, 30, 0) + n * 1000)),
  };
}

export function orderPlaced(o: OrderFixture): Record<string, unknown> {
  const total = o.lines.reduce((s, l) => s + l.qty * l.cents, 0);
  return {
    MSG_ID: `MSG-${o.orderNo}-P`,
    ORDER_NO: o.orderNo,
    CUST_NO: `C${o.orderNo.slice(-5).padStart(5, '0')}`,
    ORDER_DT: o.at,
    TOTAL_CENTS: String(total),
    CURRENCY: 'EUR',
    CHANNEL: 'WEB',
    COUPON_CODE: '',
    LINES: o.lines.map((l, i) => ({ LINE_NO: String(i + 1), SKU: l.sku, QTY: String(l.qty), UNIT_PRICE_CENTS: String(l.cents) })),
    SHIP_ADDR: { STREET: `${o.orderNo.slice(-3)} Harbour Lane`, CITY: 'Bristol', ZIP: 'BS1 4QA', COUNTRY: o.country },
  };
}

/** What the monolith emits for the order: always BRS1, lines in order-line order. */
export function stockReserved(o: OrderFixture): Record<string, unknown> {
  return {
    MSG_ID: `MSG-${o.orderNo}-R`,
    ORDER_NO: o.orderNo,
    RESERVATION_ID: `RSV${o.orderNo.replace(/\D/g, '').padStart(6, '0').slice(-12)}`,
    WAREHOUSE_CD: 'BRS1',
    EXPIRES_DT: o.at,
    LINES: o.lines.map((l) => ({ SKU: l.sku, QTY: String(l.qty) })),
  };
}

/** An EventBridge event as a rule target receives it. */
export function busEvent(id: string, detailType: string, detail: unknown, time = '2026-11-21T14:30:00Z'): Record<string, unknown> {
  return {
    version: '0',
    id,
    source: 'shop.monolith',
    'detail-type': detailType,
    time,
    account: '000000000000',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

/** An SQS record carrying an EventBridge event, as the capture queue delivers it. */
/** An SQS record as Lambda delivers it from a standard queue: `body` is the text, `attributes` override. */
export function sqsMessage(messageId: string, body: string, attributes: Partial<SQSRecordAttributes> = {}): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'AIDEXAMPLE',
      ApproximateFirstReceiveTimestamp: '0',
      ...attributes,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:queue',
    awsRegion: 'us-east-1',
  };
}

/** An EventBridge event delivered through an SQS queue, sent at `sentAtMs`. */
export function sqsRecord(messageId: string, event: unknown, sentAtMs: number): SQSRecord {
  return sqsMessage(messageId, JSON.stringify(event), { SentTimestamp: String(sentAtMs) });
}
