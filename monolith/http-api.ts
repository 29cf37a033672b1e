import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MonolithDb, Row } from './http-db';

/**
 * The reference monolith's HTTP API: the storefront endpoints the façade sits in front of, over the
 * reference database (monolith/schema). A plain node:http server on 127.0.0.1, as small as the demo and
 * the tests need, and with the habits a monolith's API has: the basket lives in the server's memory (a
 * session store), errors are problem+json, a customer is named by the X-Customer-Id header or the
 * `customer` cookie where the path does not name one.
 *
 *   GET  /health
 *   GET  /products?limit=20&after=<sku>      GET  /products/{sku}
 *   GET  /customers/{customerId}              PUT  /customers/{customerId}   {email?, firstName?, lastName?, phone?}
 *   GET  /cart                                POST /cart/items {sku, qty}     DELETE /cart/items/{sku}
 *   POST /orders  (places the basket)         GET  /orders/{orderNo}          GET /customers/{customerId}/orders
 */
export interface MonolithApiOptions {
  readonly db: MonolithDb;
  /** Table name prefix (the schema's {{prefix}}). @default '' */
  readonly prefix?: string;
  /** Largest request body read. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Added to every response before it is sent: a test's way to make the monolith slow. @default 0 */
  readonly delayMs?: () => number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

class HttpProblem extends Error {
  public constructor(
    public readonly status: number,
    message: string,
    public readonly field?: string,
    public readonly value?: unknown,
  ) {
    super(message);
  }
}

const STATUS_NAMES: Record<string, string> = { P: 'placed', S: 'shipped', D: 'delivered', X: 'cancelled' };

function legacyTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

function isoOfLegacy(v: unknown): string | undefined {
  const m = typeof v === 'string' ? /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/.exec(v) : null;
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : undefined;
}

const money = (cents: unknown): number => Number(cents) / 100;

function customerOf(r: Row) {
  return {
    customerId: r.cust_no,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    phone: r.phone === '' ? undefined : r.phone,
    marketingOptIn: r.marketing_opt_in === 'Y',
    tier: String(r.tier).toLowerCase(),
    createdAt: isoOfLegacy(r.created_dt),
  };
}

function productOf(r: Row) {
  return {
    sku: r.sku,
    name: r.name,
    price: money(r.price_cents),
    weightKg: r.weight_kg === null ? undefined : Number(r.weight_kg),
    active: r.active === 'Y',
    ...(r.available !== undefined ? { available: Number(r.available ?? 0) } : {}),
  };
}

export class MonolithApi {
  private readonly db: MonolithDb;
  private readonly p: string;
  private readonly maxBody: number;
  private readonly now: () => Date;
  /** customerId -> sku -> qty: the session basket, gone on restart as it always was. */
  private readonly carts = new Map<string, Map<string, number>>();
  private server: http.Server | undefined;
  /** Requests served, by `METHOD path-pattern`: tests check which side served what. */
  public readonly served = new Map<string, number>();

  public constructor(private readonly options: MonolithApiOptions) {
    this.db = options.db;
    this.p = options.prefix ?? '';
    if (!/^[A-Za-z0-9_]*$/.test(this.p)) throw new RangeError(`table prefix ${JSON.stringify(this.p)} may hold only letters, digits and _`);
    this.maxBody = options.maxBodyBytes ?? 1_048_576;
    this.now = options.now ?? (() => new Date());
  }

  /** Listens on 127.0.0.1 (port 0 = any free one) and returns the base URL. */
  public async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    return `http://${host}:${addr.port}`;
  }

  public async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://monolith');
    let status = 200;
    let body: unknown;
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json' };
    try {
      const raw = await this.readBody(req);
      const out = await this.route(req.method ?? 'GET', url, req.headers, raw);
      status = out.status ?? 200;
      body = out.body;
      if (out.setCookie) headers['set-cookie'] = out.setCookie;
    } catch (err) {
      const p = err instanceof HttpProblem ? err : new HttpProblem(500, err instanceof Error ? err.message : String(err));
      status = p.status;
      headers['content-type'] = 'application/problem+json';
      body = {
        type: 'about:blank',
        title: http.STATUS_CODES[p.status] ?? 'Error',
        status: p.status,
        detail: p.message,
        ...(p.field ? { field: p.field, value: p.value } : {}),
      };
    }
    const delay = this.options.delayMs?.() ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)), 'x-served-by': 'monolith' });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  private readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      req.on('data', (c: Buffer) => {
        total += c.byteLength;
        if (total > this.maxBody) {
          reject(new HttpProblem(413, `request body over ${this.maxBody} bytes`, 'body', total));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  private count(id: string): void {
    this.served.set(id, (this.served.get(id) ?? 0) + 1);
  }

  private t(name: string): string {
    return `${this.p}${name}`;
  }

  private async route(
    method: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    raw: string,
  ): Promise<{ status?: number; body?: unknown; setCookie?: string }> {
    const parts = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const json = (): Record<string, unknown> => {
      if (raw === '') return {};
      try {
        const v = JSON.parse(raw) as unknown;
        if (v === null || typeof v !== 'object' || Array.isArray(v))
          throw new HttpProblem(400, 'the body must be a JSON object', 'body', raw.slice(0, 80));
        return v as Record<string, unknown>;
      } catch (e) {
        if (e instanceof HttpProblem) throw e;
        throw new HttpProblem(400, `the body is not JSON: ${(e as Error).message}`, 'body', raw.slice(0, 80));
      }
    };
    const m = method === 'HEAD' ? 'GET' : method;
    const [a, b, c, d] = parts;
    if (m === 'GET' && a === 'health' && parts.length === 1) return { body: { status: 'ok' } };
    if (a === 'products') {
      if (m === 'GET' && parts.length === 1) {
        this.count('GET /products');
        const limit = Number(url.searchParams.get('limit') ?? '20');
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          throw new HttpProblem(400, 'limit must be a whole number 1..100', 'limit', url.searchParams.get('limit'));
        const after = url.searchParams.get('after') ?? '';
        const rows = await this.db.query(
          `SELECT sku, name, price_cents, weight_kg, active FROM ${this.t('products')} WHERE active = 'Y' AND sku > $1 ORDER BY sku LIMIT $2`,
          [after, limit],
        );
        return { body: { items: rows.map(productOf), next: rows.length === limit ? rows[rows.length - 1].sku : undefined } };
      }
      if (m === 'GET' && parts.length === 2) {
        this.count('GET /products/{sku}');
        const rows = await this.db.query(
          `SELECT p.sku, p.name, p.price_cents, p.weight_kg, p.active, COALESCE((SELECT SUM(s.on_hand - s.reserved) FROM ${this.t('stock')} s WHERE s.sku = p.sku), 0) AS available FROM ${this.t('products')} p WHERE p.sku = $1`,
          [b],
        );
        if (rows.length === 0) throw new HttpProblem(404, `no product ${b}`, 'sku', b);
        return { body: productOf(rows[0]) };
      }
    }
    if (a === 'customers' && b !== undefined) {
      if (parts.length === 2 && m === 'GET') {
        this.count('GET /customers/{customerId}');
        return { body: customerOf(await this.customer(b)) };
      }
      if (parts.length === 2 && m === 'PUT') {
        this.count('PUT /customers/{customerId}');
        const input = json();
        await this.customer(b);
        const columns: Record<string, string> = { email: 'email', firstName: 'first_name', lastName: 'last_name', phone: 'phone' };
        const sets: string[] = [];
        const values: unknown[] = [];
        for (const [field, value] of Object.entries(input)) {
          const col = columns[field];
          if (col === undefined)
            throw new HttpProblem(400, `${field} cannot be changed here (allowed: ${Object.keys(columns).join(', ')})`, field, value);
          if (typeof value !== 'string' || value.length > 120)
            throw new HttpProblem(400, `${field} must be a string of at most 120 characters`, field, value);
          if (field === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value))
            throw new HttpProblem(400, 'email is not an e-mail address', field, value);
          values.push(value);
          sets.push(`${col} = $${values.length}`);
        }
        if (sets.length > 0) {
          values.push(b);
          await this.db.query(
            `UPDATE ${this.t('customers')} SET ${sets.join(', ')}, updated_at = now() WHERE cust_no = $${values.length}`,
            values,
          );
        }
        return { body: customerOf(await this.customer(b)) };
      }
      if (parts.length === 3 && c === 'orders' && m === 'GET') {
        this.count('GET /customers/{customerId}/orders');
        await this.customer(b);
        const rows = await this.db.query(
          `SELECT order_no, order_dt, status, total_cents, currency FROM ${this.t('orders')} WHERE cust_no = $1 ORDER BY order_no DESC LIMIT 50`,
          [b],
        );
        return {
          body: {
            items: rows.map((r) => ({
              orderId: String(r.order_no),
              placedAt: isoOfLegacy(r.order_dt),
              status: STATUS_NAMES[String(r.status)] ?? String(r.status),
              total: money(r.total_cents),
              currency: r.currency,
            })),
          },
        };
      }
    }
    if (a === 'cart') {
      const customerId = this.customerOfRequest(headers);
      const cart = this.carts.get(customerId) ?? new Map<string, number>();
      if (m === 'GET' && parts.length === 1) {
        this.count('GET /cart');
        return { body: await this.cartView(customerId, cart) };
      }
      if (m === 'POST' && b === 'items' && parts.length === 2) {
        this.count('POST /cart/items');
        const input = json();
        const sku = input.sku;
        const qty = input.qty ?? 1;
        if (typeof sku !== 'string' || sku === '') throw new HttpProblem(400, 'sku must be a product SKU', 'sku', sku);
        if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1 || qty > 99)
          throw new HttpProblem(400, 'qty must be a whole number 1..99', 'qty', qty);
        const found = await this.db.query(`SELECT sku FROM ${this.t('products')} WHERE sku = $1 AND active = 'Y'`, [sku]);
        if (found.length === 0) throw new HttpProblem(404, `no active product ${sku}`, 'sku', sku);
        cart.set(sku, (cart.get(sku) ?? 0) + qty);
        this.carts.set(customerId, cart);
        return {
          status: 201,
          body: await this.cartView(customerId, cart),
          setCookie: `customer=${encodeURIComponent(customerId)}; Path=/; HttpOnly`,
        };
      }
      if (m === 'DELETE' && b === 'items' && parts.length === 3) {
        this.count('DELETE /cart/items/{sku}');
        cart.delete(c);
        return { body: await this.cartView(customerId, cart) };
      }
    }
    if (a === 'orders') {
      if (m === 'POST' && parts.length === 1) {
        this.count('POST /orders');
        const customerId = this.customerOfRequest(headers);
        const cart = this.carts.get(customerId);
        if (!cart || cart.size === 0) throw new HttpProblem(409, `the basket of ${customerId} is empty`, 'cart', customerId);
        const order = await this.placeOrder(customerId, cart);
        this.carts.delete(customerId);
        return { status: 201, body: order };
      }
      if (m === 'GET' && parts.length === 2) {
        this.count('GET /orders/{orderNo}');
        if (!/^\d{1,15}$/.test(b ?? '')) throw new HttpProblem(400, 'an order number is digits', 'orderNo', b);
        return { body: await this.order(b) };
      }
    }
    void d;
    throw new HttpProblem(404, `no route ${method} ${url.pathname}`, 'path', url.pathname);
  }

  private customerOfRequest(headers: http.IncomingHttpHeaders): string {
    const h = headers['x-customer-id'];
    if (typeof h === 'string' && h !== '') return h;
    const cookie = /(?:^|;\s*)customer=([^;]+)/.exec(headers.cookie ?? '');
    if (cookie) return decodeURIComponent(cookie[1]);
    throw new HttpProblem(401, 'no customer: send X-Customer-Id or the customer cookie', 'x-customer-id', undefined);
  }

  private async customer(id: string): Promise<Row> {
    const rows = await this.db.query(`SELECT * FROM ${this.t('customers')} WHERE cust_no = $1`, [id]);
    if (rows.length === 0) throw new HttpProblem(404, `no customer ${id}`, 'customerId', id);
    return rows[0];
  }

  private async cartView(customerId: string, cart: Map<string, number>) {
    const skus = [...cart.keys()].sort();
    const rows =
      skus.length === 0
        ? []
        : await this.db.query(`SELECT sku, name, price_cents FROM ${this.t('products')} WHERE sku = ANY($1::text[])`, [skus]);
    const bySku = new Map(rows.map((r) => [String(r.sku), r]));
    const lines = skus.map((sku) => ({
      sku,
      name: bySku.get(sku)?.name,
      qty: cart.get(sku) ?? 0,
      unitPrice: money(bySku.get(sku)?.price_cents ?? 0),
    }));
    return { customerId, lines, total: lines.reduce((s, l) => s + Math.round(l.unitPrice * 100) * l.qty, 0) / 100 };
  }

  private async placeOrder(customerId: string, cart: Map<string, number>) {
    const now = this.now();
    return this.db.transaction(async (q) => {
      const cust = await q(`SELECT cust_no FROM ${this.t('customers')} WHERE cust_no = $1`, [customerId]);
      if (cust.length === 0) throw new HttpProblem(404, `no customer ${customerId}`, 'customerId', customerId);
      const next = await q(`SELECT COALESCE(MAX(order_no), 1000000) + 1 AS n FROM ${this.t('orders')}`);
      const orderNo = Number(next[0].n);
      const skus = [...cart.keys()].sort();
      const prices = await q(`SELECT sku, price_cents FROM ${this.t('products')} WHERE sku = ANY($1::text[])`, [skus]);
      const price = new Map(prices.map((r) => [String(r.sku), Number(r.price_cents)]));
      let total = 0;
      for (const sku of skus) total += (price.get(sku) ?? 0) * (cart.get(sku) ?? 0);
      await q(
        `INSERT INTO ${this.t('orders')} (order_no, cust_no, order_dt, status, total_cents, currency, channel, ship_street, ship_city, ship_zip, ship_country, updated_at) VALUES ($1, $2, $3, 'P', $4, 'EUR', 'WEB', '1 Main St', 'Lyon', '69001', 'FR', now())`,
        [orderNo, customerId, legacyTimestamp(now), total],
      );
      let lineNo = 0;
      for (const sku of skus) {
        lineNo++;
        await q(`INSERT INTO ${this.t('order_lines')} (order_no, line_no, sku, qty, unit_price_cents) VALUES ($1, $2, $3, $4, $5)`, [
          orderNo,
          lineNo,
          sku,
          cart.get(sku),
          price.get(sku) ?? 0,
        ]);
      }
      return this.orderWith(q, String(orderNo));
    });
  }

  private order(orderNo: string) {
    return this.orderWith((sql, params) => this.db.query(sql, params), orderNo);
  }

  private async orderWith(q: (sql: string, params?: readonly unknown[]) => Promise<Row[]>, orderNo: string) {
    const rows = await q(`SELECT * FROM ${this.t('orders')} WHERE order_no = $1`, [orderNo]);
    if (rows.length === 0) throw new HttpProblem(404, `no order ${orderNo}`, 'orderNo', orderNo);
    const o = rows[0];
    const lines = await q(`SELECT line_no, sku, qty, unit_price_cents FROM ${this.t('order_lines')} WHERE order_no = $1 ORDER BY line_no`, [
      orderNo,
    ]);
    return {
      orderId: String(o.order_no),
      customerId: o.cust_no,
      placedAt: isoOfLegacy(o.order_dt),
      status: STATUS_NAMES[String(o.status)] ?? String(o.status),
      total: money(o.total_cents),
      currency: o.currency,
      lines: lines.map((l) => ({ lineNo: Number(l.line_no), sku: l.sku, qty: Number(l.qty), unitPrice: money(l.unit_price_cents) })),
    };
  }
}
