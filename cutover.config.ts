import { defineSpec } from './core/spec';
import { f } from './core/spec/dsl';
import { shopMigration } from './monolith/mapping';
import { shopApi } from './monolith/api';
import { shopFacade } from './monolith/facade';

/**
 * The reference migration: an e-commerce monolith ("shop") whose order, payment, inventory, shipping and
 * customer capabilities move to new services one at a time. The legacy shapes are what the old system
 * really emits: UPPER_CASE fields, money as integer cents in strings, timestamps as "YYYYMMDD HHMMSS" in
 * UTC, quantities as strings, and optional values sent as "".
 */
const ORDER_NO = f.string({ pattern: '^[0-9]{6,10}$', description: 'order number' });
const CUST_NO = f.string({ pattern: '^C[0-9]{5,8}$', description: 'customer number' });
const MSG_ID = f.string({ pattern: '^[A-Z0-9-]{8,40}$', description: "the monolith's message id; duplicates share it" });
const SKU = f.string({ pattern: '^[A-Z]{3}-[0-9]{4}$' });
const CURRENCY = f.string({ enum: ['EUR', 'GBP', 'USD'] });

const orderLineLegacy = f.object({
  LINE_NO: f.positiveIntString(),
  SKU,
  QTY: f.positiveIntString(),
  UNIT_PRICE_CENTS: f.cents({ sign: 'positive' }),
});
const addressLegacy = f.object({
  STREET: f.string({ minLength: 1 }),
  CITY: f.string({ minLength: 1 }),
  ZIP: f.string({ minLength: 3, maxLength: 10 }),
  COUNTRY: f.string({ pattern: '^[A-Z]{2}$' }),
});
const orderLine = f.object({
  lineNo: f.integer({ minimum: 1 }),
  sku: f.string({ pattern: '^[A-Z]{3}-[0-9]{4}$' }),
  quantity: f.integer({ minimum: 1 }),
  unitPrice: f.decimal({ sign: 'positive' }),
});
const address = f.object({
  street: f.string({ minLength: 1 }),
  city: f.string({ minLength: 1 }),
  postalCode: f.string({ minLength: 3, maxLength: 10 }),
  country: f.string({ pattern: '^[A-Z]{2}$' }),
});
const orderId = f.string({ pattern: '^[0-9]{6,10}$' });
const currency = f.string({ enum: ['EUR', 'GBP', 'USD'] });
const channelMap = { WEB: 'web', STORE: 'store', PHONE: 'phone' };
const cancelReasonMap = { CUST: 'customer-request', FRAUD: 'fraud', STOCK: 'out-of-stock', PAY: 'payment-failed', SHIP: 'shipping-failed' };
// The saga's commands to the monolith (steps it still owns) and its answers. Commands only go to legacy.
const sagaReasonMap = { STOCK: 'out-of-stock', PAY: 'payment-failed', SHIP: 'shipping-failed', FAIL: 'saga-failed' };
const declineMap = { CARD: 'card-declined', FUNDS: 'insufficient-funds', FRAUD: 'fraud-suspected' };
const stockRejectMap = { NO_STOCK: 'no-stock', DISCONTINUED: 'discontinued' };

/** The lines of an order add up to its total, to the cent (no discounts in this shop's events). */
const orderLinesAddUp = (items: string, quantity: string, price: string, total: string) => ({
  rule: 'sum' as const,
  items,
  quantity,
  price,
  total,
  tolerance: 0,
});

const placedExample = {
  MSG_ID: 'MSG-20261121-000001',
  ORDER_NO: '1000001',
  CUST_NO: 'C00042',
  ORDER_DT: '20261121 143000',
  TOTAL_CENTS: '5497',
  CURRENCY: 'EUR',
  CHANNEL: 'WEB',
  COUPON_CODE: '',
  LINES: [
    { LINE_NO: '1', SKU: 'MUG-0001', QTY: '2', UNIT_PRICE_CENTS: '1299' },
    { LINE_NO: '2', SKU: 'TEA-0042', QTY: '1', UNIT_PRICE_CENTS: '2899' },
  ],
  SHIP_ADDR: { STREET: '12 Harbour Lane', CITY: 'Bristol', ZIP: 'BS1 4QA', COUNTRY: 'GB' },
};

export default defineSpec({
  name: 'shop',
  buses: { legacy: 'shop-legacy', services: 'shop-services' },
  bridge: {
    legacySource: 'shop.monolith',
    legacyEvents: {
      ORDER_PLACED: {
        description: 'A customer placed an order in the monolith.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object(
          {
            MSG_ID,
            ORDER_NO,
            CUST_NO,
            ORDER_DT: f.legacyDateTime(),
            TOTAL_CENTS: f.cents({ sign: 'positive' }),
            CURRENCY,
            CHANNEL: f.string({ enum: Object.keys(channelMap) }),
            COUPON_CODE: f.maybeEmpty({ pattern: '^([A-Z0-9]{4,12})?$' }),
            LINES: f.array(orderLineLegacy, { minItems: 1 }),
            SHIP_ADDR: addressLegacy,
          },
          { rules: [orderLinesAddUp('LINES', 'QTY', 'UNIT_PRICE_CENTS', 'TOTAL_CENTS')] },
        ),
        examples: [
          placedExample,
          {
            ...placedExample,
            MSG_ID: 'MSG-20261121-000002',
            ORDER_NO: '1000002',
            CUST_NO: 'C00077',
            TOTAL_CENTS: '1299',
            CHANNEL: 'PHONE',
            COUPON_CODE: 'WINTER10',
            LINES: [{ LINE_NO: '1', SKU: 'MUG-0001', QTY: '1', UNIT_PRICE_CENTS: '1299' }],
          },
        ],
      },
      ORDER_CANCELLED: {
        description: 'An order was cancelled in the monolith.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          CANCEL_DT: f.legacyDateTime(),
          REASON_CD: f.string({ enum: Object.keys(cancelReasonMap) }),
          NOTE: f.maybeEmpty({ maxLength: 200 }),
        }),
        examples: [{ MSG_ID: 'MSG-20261121-000003', ORDER_NO: '1000001', CANCEL_DT: '20261121 150210', REASON_CD: 'CUST', NOTE: '' }],
      },
      PAYMENT_CAPTURED: {
        description: 'The monolith captured a payment for an order.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          PAYMENT_ID: f.string({ pattern: '^PAY[0-9]{6,12}$' }),
          AMOUNT_CENTS: f.cents({ sign: 'positive' }),
          CURRENCY,
          METHOD: f.string({ enum: ['CARD', 'PAYPAL', 'INVOICE'] }),
          CAPTURED_DT: f.legacyDateTime(),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261121-000004',
            ORDER_NO: '1000001',
            PAYMENT_ID: 'PAY0000123',
            AMOUNT_CENTS: '5497',
            CURRENCY: 'EUR',
            METHOD: 'CARD',
            CAPTURED_DT: '20261121 143012',
          },
        ],
      },
      PAYMENT_REFUNDED: {
        description: 'The monolith refunded (part of) a payment.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          PAYMENT_ID: f.string({ pattern: '^PAY[0-9]{6,12}$' }),
          REFUND_ID: f.string({ pattern: '^REF[0-9]{6,12}$' }),
          // Zero is a refund of nothing (the saga voids a payment that was never taken): never negative.
          AMOUNT_CENTS: f.cents(),
          CURRENCY,
          REFUNDED_DT: f.legacyDateTime(),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261121-000005',
            ORDER_NO: '1000001',
            PAYMENT_ID: 'PAY0000123',
            REFUND_ID: 'REF0000007',
            AMOUNT_CENTS: '5497',
            CURRENCY: 'EUR',
            REFUNDED_DT: '20261121 150500',
          },
        ],
      },
      STOCK_RESERVED: {
        description: 'The monolith reserved stock for an order.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          RESERVATION_ID: f.string({ pattern: '^RSV[0-9]{6,12}$' }),
          WAREHOUSE_CD: f.string({ pattern: '^[A-Z]{3}[0-9]$' }),
          EXPIRES_DT: f.legacyDateTime(),
          LINES: f.array(f.object({ SKU, QTY: f.positiveIntString() }), { minItems: 1 }),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261121-000006',
            ORDER_NO: '1000001',
            RESERVATION_ID: 'RSV0000555',
            WAREHOUSE_CD: 'BRS1',
            EXPIRES_DT: '20261121 153000',
            LINES: [
              { SKU: 'MUG-0001', QTY: '2' },
              { SKU: 'TEA-0042', QTY: '1' },
            ],
          },
        ],
      },
      STOCK_RELEASED: {
        description: 'The monolith released a stock reservation.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          RESERVATION_ID: f.string({ pattern: '^RSV[0-9]{6,12}$' }),
          RELEASED_DT: f.legacyDateTime(),
          REASON_CD: f.string({ enum: ['CANCEL', 'EXPIRED', 'FAILED'] }),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261121-000007',
            ORDER_NO: '1000001',
            RESERVATION_ID: 'RSV0000555',
            RELEASED_DT: '20261121 150300',
            REASON_CD: 'CANCEL',
          },
        ],
      },
      SHIPMENT_DISPATCHED: {
        description: 'The warehouse dispatched an order.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          SHIPMENT_ID: f.string({ pattern: '^SHP[0-9]{6,12}$' }),
          CARRIER_CD: f.string({ enum: ['DHL', 'UPS', 'DPD', 'RM'] }),
          TRACKING_NO: f.maybeEmpty({ maxLength: 40 }),
          PARCELS: f.intString(),
          DISPATCH_DT: f.legacyDateTime(),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261122-000008',
            ORDER_NO: '1000001',
            SHIPMENT_ID: 'SHP0000901',
            CARRIER_CD: 'DPD',
            TRACKING_NO: '15501234567890',
            PARCELS: '1',
            DISPATCH_DT: '20261122 091500',
          },
        ],
      },
      CUSTOMER_UPDATED: {
        description: "A customer's profile changed in the monolith.",
        idField: 'MSG_ID',
        entity: { type: 'customer', keyField: 'CUST_NO' },
        schema: f.object({
          MSG_ID,
          CUST_NO,
          EMAIL: f.string({ pattern: '^[^@\\s]+@[^@\\s]+$' }),
          FIRST_NAME: f.string({ minLength: 1, maxLength: 60 }),
          LAST_NAME: f.string({ minLength: 1, maxLength: 60 }),
          PHONE: f.maybeEmpty({ pattern: '^(\\+?[0-9 ]{6,20})?$' }),
          MARKETING_OPT_IN: f.string({ format: 'yes-no' }),
          TIER: f.string({ enum: ['STANDARD', 'SILVER', 'GOLD'] }),
          UPDATED_DT: f.legacyDateTime(),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261121-000009',
            CUST_NO: 'C00042',
            EMAIL: 'ada@example.com',
            FIRST_NAME: 'Ada',
            LAST_NAME: 'Byron',
            PHONE: '',
            MARKETING_OPT_IN: 'N',
            TIER: 'GOLD',
            UPDATED_DT: '20261121 101500',
          },
        ],
      },
      CAPTURE_PAYMENT_REQUESTED: {
        description: 'The order saga asks the monolith to capture payment for an order (while the monolith owns payment).',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          CUST_NO,
          AMOUNT_CENTS: f.cents({ sign: 'positive' }),
          CURRENCY,
          REQUESTED_DT: f.legacyDateTime(),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261121-000010',
            ORDER_NO: '1000001',
            CUST_NO: 'C00042',
            AMOUNT_CENTS: '5497',
            CURRENCY: 'EUR',
            REQUESTED_DT: '20261121 143005',
          },
        ],
      },
      PAYMENT_DECLINED: {
        description: 'The monolith could not take payment for an order.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          AMOUNT_CENTS: f.cents({ sign: 'positive' }),
          CURRENCY,
          DECLINE_CD: f.string({ enum: Object.keys(declineMap) }),
          DECLINED_DT: f.legacyDateTime(),
        }),
        examples: [
          {
            MSG_ID: 'MSG-20261121-000011',
            ORDER_NO: '1000001',
            AMOUNT_CENTS: '5497',
            CURRENCY: 'EUR',
            DECLINE_CD: 'CARD',
            DECLINED_DT: '20261121 143007',
          },
        ],
      },
      REFUND_PAYMENT_REQUESTED: {
        description: 'The order saga asks the monolith to refund (or void) the payment of a failed order.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({ MSG_ID, ORDER_NO, REASON_CD: f.string({ enum: Object.keys(sagaReasonMap) }), REQUESTED_DT: f.legacyDateTime() }),
        examples: [{ MSG_ID: 'MSG-20261121-000012', ORDER_NO: '1000001', REASON_CD: 'SHIP', REQUESTED_DT: '20261121 150400' }],
      },
      RESERVE_STOCK_REQUESTED: {
        description: 'The order saga asks the monolith to reserve stock for an order (while the monolith owns inventory).',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          LINES: f.array(f.object({ SKU, QTY: f.positiveIntString() }), { minItems: 1 }),
          REQUESTED_DT: f.legacyDateTime(),
        }),
        examples: [
          { MSG_ID: 'MSG-20261121-000013', ORDER_NO: '1000001', LINES: [{ SKU: 'MUG-0001', QTY: '2' }], REQUESTED_DT: '20261121 143001' },
        ],
      },
      STOCK_REJECTED: {
        description: 'The monolith could not reserve stock for an order.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({
          MSG_ID,
          ORDER_NO,
          SKU,
          REASON_CD: f.string({ enum: Object.keys(stockRejectMap) }),
          REJECTED_DT: f.legacyDateTime(),
        }),
        examples: [
          { MSG_ID: 'MSG-20261121-000014', ORDER_NO: '1000001', SKU: 'MUG-0001', REASON_CD: 'NO_STOCK', REJECTED_DT: '20261121 143002' },
        ],
      },
      RELEASE_STOCK_REQUESTED: {
        description: 'The order saga asks the monolith to release the stock reserved for a failed order.',
        idField: 'MSG_ID',
        entity: { type: 'order', keyField: 'ORDER_NO' },
        schema: f.object({ MSG_ID, ORDER_NO, REASON_CD: f.string({ enum: Object.keys(sagaReasonMap) }), REQUESTED_DT: f.legacyDateTime() }),
        examples: [{ MSG_ID: 'MSG-20261121-000015', ORDER_NO: '1000001', REASON_CD: 'PAY', REQUESTED_DT: '20261121 150200' }],
      },
    },
    serviceEvents: {
      'order.created': {
        description: 'An order exists and its saga can start.',
        owner: 'orders',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 2,
        versions: {
          '1': {
            schema: f.object(
              {
                orderId,
                customerId: f.string({ pattern: '^C[0-9]{5,8}$' }),
                placedAt: f.isoDateTime(),
                total: f.decimal({ sign: 'positive' }),
                currency,
                channel: f.string({ enum: Object.values(channelMap) }),
                couponCode: f.string({ required: false, pattern: '^[A-Z0-9]{4,12}$' }),
                lines: f.array(orderLine, { minItems: 1 }),
                shippingAddress: address,
              },
              { rules: [orderLinesAddUp('lines', 'quantity', 'unitPrice', 'total')] },
            ),
            examples: [
              {
                orderId: '1000001',
                customerId: 'C00042',
                placedAt: '2026-11-21T14:30:00Z',
                total: '54.97',
                currency: 'EUR',
                channel: 'web',
                lines: [
                  { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
                  { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
                ],
                shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
              },
            ],
          },
          '2': {
            schema: f.object(
              {
                orderId,
                customerId: f.string({ pattern: '^C[0-9]{5,8}$' }),
                placedAt: f.isoDateTime(),
                amount: f.object({ total: f.decimal({ sign: 'positive' }), currency }),
                channel: f.string({ enum: Object.values(channelMap) }),
                couponCode: f.string({ required: false, pattern: '^[A-Z0-9]{4,12}$' }),
                lines: f.array(orderLine, { minItems: 1 }),
                shippingAddress: address,
              },
              { rules: [orderLinesAddUp('lines', 'quantity', 'unitPrice', 'amount.total')] },
            ),
            examples: [
              {
                orderId: '1000001',
                customerId: 'C00042',
                placedAt: '2026-11-21T14:30:00Z',
                amount: { total: '54.97', currency: 'EUR' },
                channel: 'web',
                lines: [
                  { lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' },
                  { lineNo: 2, sku: 'TEA-0042', quantity: 1, unitPrice: '28.99' },
                ],
                shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
              },
            ],
          },
        },
        // v2 groups the money fields: total and currency move under `amount`.
        upcasts: [
          {
            from: 1,
            ops: [
              { op: 'rename', from: 'total', to: 'amount.total' },
              { op: 'rename', from: 'currency', to: 'amount.currency' },
            ],
          },
        ],
      },
      'order.cancelled': {
        description: 'An order was cancelled.',
        owner: 'orders',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              cancelledAt: f.isoDateTime(),
              reason: f.string({ enum: Object.values(cancelReasonMap) }),
              note: f.string({ required: false, minLength: 1, maxLength: 200 }),
            }),
            examples: [{ orderId: '1000001', cancelledAt: '2026-11-21T15:02:10Z', reason: 'customer-request' }],
          },
        },
      },
      'payment.captured': {
        description: 'Money for an order was captured.',
        owner: 'payment',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              paymentId: f.string({ pattern: '^PAY[0-9]{6,12}$' }),
              amount: f.decimal({ sign: 'positive' }),
              currency,
              method: f.string({ enum: ['card', 'paypal', 'invoice'] }),
              capturedAt: f.isoDateTime(),
            }),
            examples: [
              {
                orderId: '1000001',
                paymentId: 'PAY0000123',
                amount: '54.97',
                currency: 'EUR',
                method: 'card',
                capturedAt: '2026-11-21T14:30:12Z',
              },
            ],
          },
        },
      },
      'payment.refunded': {
        description: 'Money for an order was refunded.',
        owner: 'payment',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              paymentId: f.string({ pattern: '^PAY[0-9]{6,12}$' }),
              refundId: f.string({ pattern: '^REF[0-9]{6,12}$' }),
              amount: f.decimal(),
              currency,
              refundedAt: f.isoDateTime(),
            }),
            examples: [
              {
                orderId: '1000001',
                paymentId: 'PAY0000123',
                refundId: 'REF0000007',
                amount: '54.97',
                currency: 'EUR',
                refundedAt: '2026-11-21T15:05:00Z',
              },
            ],
          },
        },
      },
      'inventory.reserved': {
        description: 'Stock was reserved for an order until `expiresAt`.',
        owner: 'inventory',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              reservationId: f.string({ pattern: '^RSV[0-9]{6,12}$' }),
              warehouse: f.string({ pattern: '^[A-Z]{3}[0-9]$' }),
              expiresAt: f.isoDateTime(),
              items: f.array(f.object({ sku: f.string({ pattern: '^[A-Z]{3}-[0-9]{4}$' }), quantity: f.integer({ minimum: 1 }) }), {
                minItems: 1,
              }),
            }),
            examples: [
              {
                orderId: '1000001',
                reservationId: 'RSV0000555',
                warehouse: 'BRS1',
                expiresAt: '2026-11-21T15:30:00Z',
                items: [{ sku: 'MUG-0001', quantity: 2 }],
              },
            ],
          },
        },
      },
      'inventory.released': {
        description: 'A stock reservation was released.',
        owner: 'inventory',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              reservationId: f.string({ pattern: '^RSV[0-9]{6,12}$' }),
              releasedAt: f.isoDateTime(),
              reason: f.string({ enum: ['cancelled', 'expired', 'failed'] }),
            }),
            examples: [{ orderId: '1000001', reservationId: 'RSV0000555', releasedAt: '2026-11-21T15:03:00Z', reason: 'cancelled' }],
          },
        },
      },
      'shipment.dispatched': {
        description: 'An order left the warehouse.',
        owner: 'shipping',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              shipmentId: f.string({ pattern: '^SHP[0-9]{6,12}$' }),
              carrier: f.string({ enum: ['dhl', 'ups', 'dpd', 'rm'] }),
              trackingNumber: f.string({ required: false, minLength: 1, maxLength: 40 }),
              parcels: f.integer({ minimum: 0 }),
              dispatchedAt: f.isoDateTime(),
            }),
            examples: [
              {
                orderId: '1000001',
                shipmentId: 'SHP0000901',
                carrier: 'dpd',
                trackingNumber: '15501234567890',
                parcels: 1,
                dispatchedAt: '2026-11-22T09:15:00Z',
              },
            ],
          },
        },
      },
      'customer.updated': {
        description: "A customer's profile changed.",
        owner: 'customers',
        entity: { type: 'customer', keyField: 'customerId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              customerId: f.string({ pattern: '^C[0-9]{5,8}$' }),
              email: f.string({ pattern: '^[^@\\s]+@[^@\\s]+$' }),
              firstName: f.string({ minLength: 1, maxLength: 60 }),
              lastName: f.string({ minLength: 1, maxLength: 60 }),
              phone: f.string({ required: false, pattern: '^\\+?[0-9 ]{6,20}$' }),
              marketingOptIn: f.boolean(),
              tier: f.string({ enum: ['standard', 'silver', 'gold'] }),
              updatedAt: f.isoDateTime(),
            }),
            examples: [
              {
                customerId: 'C00042',
                email: 'ada@example.com',
                firstName: 'Ada',
                lastName: 'Byron',
                marketingOptIn: false,
                tier: 'gold',
                updatedAt: '2026-11-21T10:15:00Z',
              },
            ],
          },
        },
      },
      'payment.capture-requested': {
        description: 'The order saga asks for payment to be captured (a command; the monolith answers while it owns payment).',
        owner: 'orders',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              customerId: f.string({ pattern: '^C[0-9]{5,8}$' }),
              amount: f.decimal({ sign: 'positive' }),
              currency,
              requestedAt: f.isoDateTime(),
            }),
            examples: [{ orderId: '1000001', customerId: 'C00042', amount: '54.97', currency: 'EUR', requestedAt: '2026-11-21T14:30:05Z' }],
          },
        },
      },
      'payment.declined': {
        description: 'Payment for an order could not be taken.',
        owner: 'payment',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              amount: f.decimal({ sign: 'positive' }),
              currency,
              reason: f.string({ enum: Object.values(declineMap) }),
              declinedAt: f.isoDateTime(),
            }),
            examples: [
              { orderId: '1000001', amount: '54.97', currency: 'EUR', reason: 'card-declined', declinedAt: '2026-11-21T14:30:07Z' },
            ],
          },
        },
      },
      'payment.refund-requested': {
        description: 'The order saga asks for the payment of a failed order to be refunded or voided (a command).',
        owner: 'orders',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({ orderId, reason: f.string({ enum: Object.values(sagaReasonMap) }), requestedAt: f.isoDateTime() }),
            examples: [{ orderId: '1000001', reason: 'shipping-failed', requestedAt: '2026-11-21T15:04:00Z' }],
          },
        },
      },
      'inventory.reserve-requested': {
        description: 'The order saga asks for stock to be reserved (a command; the monolith answers while it owns inventory).',
        owner: 'orders',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              items: f.array(f.object({ sku: f.string({ pattern: '^[A-Z]{3}-[0-9]{4}$' }), quantity: f.integer({ minimum: 1 }) }), {
                minItems: 1,
              }),
              requestedAt: f.isoDateTime(),
            }),
            examples: [{ orderId: '1000001', items: [{ sku: 'MUG-0001', quantity: 2 }], requestedAt: '2026-11-21T14:30:01Z' }],
          },
        },
      },
      'inventory.rejected': {
        description: 'Stock for an order could not be reserved.',
        owner: 'inventory',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({
              orderId,
              sku: f.string({ pattern: '^[A-Z]{3}-[0-9]{4}$' }),
              reason: f.string({ enum: Object.values(stockRejectMap) }),
              rejectedAt: f.isoDateTime(),
            }),
            examples: [{ orderId: '1000001', sku: 'MUG-0001', reason: 'no-stock', rejectedAt: '2026-11-21T14:30:02Z' }],
          },
        },
      },
      'inventory.release-requested': {
        description: 'The order saga asks for the stock of a failed order to be released (a command).',
        owner: 'orders',
        entity: { type: 'order', keyField: 'orderId' },
        latest: 1,
        versions: {
          '1': {
            schema: f.object({ orderId, reason: f.string({ enum: Object.values(sagaReasonMap) }), requestedAt: f.isoDateTime() }),
            examples: [{ orderId: '1000001', reason: 'payment-failed', requestedAt: '2026-11-21T15:02:00Z' }],
          },
        },
      },
    },
    translations: [
      {
        legacy: 'ORDER_PLACED',
        service: 'order.created',
        serviceVersion: 2,
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'CUST_NO', service: 'customerId' },
          { legacy: 'ORDER_DT', service: 'placedAt', transform: 'legacyDateTime' },
          { legacy: 'TOTAL_CENTS', service: 'amount.total', transform: 'centsToDecimal' },
          { legacy: 'CURRENCY', service: 'amount.currency' },
          { legacy: 'CHANNEL', service: 'channel', transform: { map: channelMap } },
          { legacy: 'COUPON_CODE', service: 'couponCode', transform: 'emptyAsAbsent' },
          {
            legacy: 'LINES',
            service: 'lines',
            items: [
              { legacy: 'LINE_NO', service: 'lineNo', transform: 'intString' },
              { legacy: 'SKU', service: 'sku' },
              { legacy: 'QTY', service: 'quantity', transform: 'intString' },
              { legacy: 'UNIT_PRICE_CENTS', service: 'unitPrice', transform: 'centsToDecimal' },
            ],
          },
          { legacy: 'SHIP_ADDR.STREET', service: 'shippingAddress.street' },
          { legacy: 'SHIP_ADDR.CITY', service: 'shippingAddress.city' },
          { legacy: 'SHIP_ADDR.ZIP', service: 'shippingAddress.postalCode' },
          { legacy: 'SHIP_ADDR.COUNTRY', service: 'shippingAddress.country' },
        ],
      },
      {
        legacy: 'ORDER_CANCELLED',
        service: 'order.cancelled',
        serviceVersion: 1,
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'CANCEL_DT', service: 'cancelledAt', transform: 'legacyDateTime' },
          { legacy: 'REASON_CD', service: 'reason', transform: { map: cancelReasonMap } },
          { legacy: 'NOTE', service: 'note', transform: 'emptyAsAbsent' },
        ],
      },
      {
        legacy: 'PAYMENT_CAPTURED',
        service: 'payment.captured',
        serviceVersion: 1,
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'PAYMENT_ID', service: 'paymentId' },
          { legacy: 'AMOUNT_CENTS', service: 'amount', transform: 'centsToDecimal' },
          { legacy: 'CURRENCY', service: 'currency' },
          { legacy: 'METHOD', service: 'method', transform: 'lowerCase' },
          { legacy: 'CAPTURED_DT', service: 'capturedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'PAYMENT_REFUNDED',
        service: 'payment.refunded',
        serviceVersion: 1,
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'PAYMENT_ID', service: 'paymentId' },
          { legacy: 'REFUND_ID', service: 'refundId' },
          { legacy: 'AMOUNT_CENTS', service: 'amount', transform: 'centsToDecimal' },
          { legacy: 'CURRENCY', service: 'currency' },
          { legacy: 'REFUNDED_DT', service: 'refundedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'STOCK_RESERVED',
        service: 'inventory.reserved',
        serviceVersion: 1,
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'RESERVATION_ID', service: 'reservationId' },
          { legacy: 'WAREHOUSE_CD', service: 'warehouse' },
          { legacy: 'EXPIRES_DT', service: 'expiresAt', transform: 'legacyDateTime' },
          {
            legacy: 'LINES',
            service: 'items',
            items: [
              { legacy: 'SKU', service: 'sku' },
              { legacy: 'QTY', service: 'quantity', transform: 'intString' },
            ],
          },
        ],
      },
      {
        legacy: 'STOCK_RELEASED',
        service: 'inventory.released',
        serviceVersion: 1,
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'RESERVATION_ID', service: 'reservationId' },
          { legacy: 'RELEASED_DT', service: 'releasedAt', transform: 'legacyDateTime' },
          { legacy: 'REASON_CD', service: 'reason', transform: { map: { CANCEL: 'cancelled', EXPIRED: 'expired', FAILED: 'failed' } } },
        ],
      },
      {
        legacy: 'SHIPMENT_DISPATCHED',
        service: 'shipment.dispatched',
        serviceVersion: 1,
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'SHIPMENT_ID', service: 'shipmentId' },
          { legacy: 'CARRIER_CD', service: 'carrier', transform: 'lowerCase' },
          { legacy: 'TRACKING_NO', service: 'trackingNumber', transform: 'emptyAsAbsent' },
          { legacy: 'PARCELS', service: 'parcels', transform: 'intString' },
          { legacy: 'DISPATCH_DT', service: 'dispatchedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'CUSTOMER_UPDATED',
        service: 'customer.updated',
        serviceVersion: 1,
        fields: [
          { legacy: 'CUST_NO', service: 'customerId' },
          { legacy: 'EMAIL', service: 'email' },
          { legacy: 'FIRST_NAME', service: 'firstName' },
          { legacy: 'LAST_NAME', service: 'lastName' },
          { legacy: 'PHONE', service: 'phone', transform: 'emptyAsAbsent' },
          { legacy: 'MARKETING_OPT_IN', service: 'marketingOptIn', transform: 'yesNo' },
          { legacy: 'TIER', service: 'tier', transform: 'lowerCase' },
          { legacy: 'UPDATED_DT', service: 'updatedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'CAPTURE_PAYMENT_REQUESTED',
        service: 'payment.capture-requested',
        serviceVersion: 1,
        direction: 'toLegacy',
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'CUST_NO', service: 'customerId' },
          { legacy: 'AMOUNT_CENTS', service: 'amount', transform: 'centsToDecimal' },
          { legacy: 'CURRENCY', service: 'currency' },
          { legacy: 'REQUESTED_DT', service: 'requestedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'PAYMENT_DECLINED',
        service: 'payment.declined',
        serviceVersion: 1,
        direction: 'toService',
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'AMOUNT_CENTS', service: 'amount', transform: 'centsToDecimal' },
          { legacy: 'CURRENCY', service: 'currency' },
          { legacy: 'DECLINE_CD', service: 'reason', transform: { map: declineMap } },
          { legacy: 'DECLINED_DT', service: 'declinedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'REFUND_PAYMENT_REQUESTED',
        service: 'payment.refund-requested',
        serviceVersion: 1,
        direction: 'toLegacy',
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'REASON_CD', service: 'reason', transform: { map: sagaReasonMap } },
          { legacy: 'REQUESTED_DT', service: 'requestedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'RESERVE_STOCK_REQUESTED',
        service: 'inventory.reserve-requested',
        serviceVersion: 1,
        direction: 'toLegacy',
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          {
            legacy: 'LINES',
            service: 'items',
            items: [
              { legacy: 'SKU', service: 'sku' },
              { legacy: 'QTY', service: 'quantity', transform: 'intString' },
            ],
          },
          { legacy: 'REQUESTED_DT', service: 'requestedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'STOCK_REJECTED',
        service: 'inventory.rejected',
        serviceVersion: 1,
        direction: 'toService',
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'SKU', service: 'sku' },
          { legacy: 'REASON_CD', service: 'reason', transform: { map: stockRejectMap } },
          { legacy: 'REJECTED_DT', service: 'rejectedAt', transform: 'legacyDateTime' },
        ],
      },
      {
        legacy: 'RELEASE_STOCK_REQUESTED',
        service: 'inventory.release-requested',
        serviceVersion: 1,
        direction: 'toLegacy',
        fields: [
          { legacy: 'ORDER_NO', service: 'orderId' },
          { legacy: 'REASON_CD', service: 'reason', transform: { map: sagaReasonMap } },
          { legacy: 'REQUESTED_DT', service: 'requestedAt', transform: 'legacyDateTime' },
        ],
      },
    ],
  },
  // Progressive cutover, per capability. This only seeds the routing table: once a capability has a row,
  // its mode, percent and health change through `cutover route ...` (or an automatic rollback), never
  // through a redeploy. Each capability keys its split on the order, so every event of one order goes to
  // the same implementation.
  routing: {
    capabilities: {
      inventory: {
        description: 'Stock reservations: reserve on order.created, release on order.cancelled.',
        stickyKey: 'orderId',
        events: {
          'order.created': { keyField: 'orderId' },
          'order.cancelled': { keyField: 'orderId' },
        },
        legacy: { target: 'monolith' },
        implementations: {
          // Built against order.created v1: the router downcasts the bridge's v2 events for it.
          v1: { target: 'inventory-v1', accepts: { 'order.created': [1], 'order.cancelled': [1] } },
          v2: { target: 'inventory-v2', accepts: { 'order.created': [2], 'order.cancelled': [1] } },
        },
        candidate: 'v2',
        autoRollback: { maxErrorRate: 0.02, maxP95LatencyMs: 2000, maxMismatchRate: 0.01, minSamples: 50 },
      },
      payment: {
        description: 'Takes payment on order.created, refunds on order.cancelled.',
        stickyKey: 'orderId',
        events: {
          'order.created': { keyField: 'orderId' },
          'order.cancelled': { keyField: 'orderId' },
        },
        legacy: { target: 'monolith' },
        implementations: {
          v1: { target: 'payment-v1', accepts: { 'order.created': [1, 2], 'order.cancelled': [1] } },
        },
        candidate: 'v1',
        // Money: roll back on the first signs of trouble.
        autoRollback: { maxErrorRate: 0.01, maxP95LatencyMs: 3000, maxMismatchRate: 0.001, minSamples: 20 },
      },
      shipping: {
        description: 'Schedules shipping once payment is captured; stops it when the order is cancelled.',
        stickyKey: 'orderId',
        events: {
          'payment.captured': { keyField: 'orderId' },
          'order.cancelled': { keyField: 'orderId' },
        },
        legacy: { target: 'monolith' },
        implementations: {
          v1: { target: 'shipping-v1', accepts: { 'payment.captured': [1], 'order.cancelled': [1] } },
        },
        candidate: 'v1',
        autoRollback: { maxErrorRate: 0.02, maxMismatchRate: 0.01, minSamples: 50 },
      },
      notification: {
        description: 'Customer e-mails about an order. Harmless to shadow: the new service sends nothing in shadow.',
        stickyKey: 'orderId',
        events: {
          'order.created': { keyField: 'orderId' },
          'payment.refunded': { keyField: 'orderId' },
          'shipment.dispatched': { keyField: 'orderId' },
          'order.cancelled': { keyField: 'orderId' },
        },
        legacy: { target: 'monolith' },
        implementations: {
          v1: {
            target: 'notification-v1',
            accepts: { 'order.created': [2], 'payment.refunded': [1], 'shipment.dispatched': [1], 'order.cancelled': [1] },
          },
        },
        candidate: 'v1',
        initial: { mode: 'shadow' },
        autoRollback: { maxErrorRate: 0.05, maxP95LatencyMs: 5000, minSamples: 100 },
      },
      customers: {
        description: 'Customer profiles, split per customer.',
        stickyKey: 'customerId',
        events: { 'customer.updated': { keyField: 'customerId' } },
        legacy: { target: 'monolith' },
        implementations: { v1: { target: 'customers-v1', accepts: { 'customer.updated': [1] } } },
        candidate: 'v1',
        autoRollback: { maxErrorRate: 0.02, maxMismatchRate: 0.01, minSamples: 50 },
      },
    },
  },
  // The order saga. Payment still lives in the monolith (it moves last: card data), so ProcessPayment is a
  // command through the bridge answered by PAYMENT_CAPTURED / PAYMENT_DECLINED; the other steps are the new
  // services'. Moving a step is a change of `owner` and a deploy: sagas already running keep the definition
  // they started with, and the callback rule keeps listening for every reply declared here.
  capture: {
    retentionDays: 30,
    events: {
      ORDER_PLACED: { role: 'input', pii: [{ path: 'SHIP_ADDR.STREET', action: 'mask' }] },
      ORDER_CANCELLED: { role: 'input', pii: [{ path: 'NOTE', action: 'drop' }] },
      CUSTOMER_UPDATED: {
        role: 'input',
        pii: [
          { path: 'EMAIL', action: 'mask' },
          { path: 'FIRST_NAME', action: 'mask' },
          { path: 'LAST_NAME', action: 'mask' },
          { path: 'PHONE', action: 'mask', style: 'last4' },
        ],
      },
      PAYMENT_CAPTURED: { role: 'outcome' },
      PAYMENT_DECLINED: { role: 'outcome' },
      STOCK_RESERVED: { role: 'outcome' },
      STOCK_REJECTED: { role: 'outcome' },
      SHIPMENT_DISPATCHED: { role: 'outcome', retentionDays: 14 },
    },
    compare: {
      // Clocks and generated ids differ between any two runs: never a regression.
      default: { ignore: ['**.placedAt', '**.capturedAt', '**.refundedAt', '**.releasedAt', '**.dispatchedAt', '**.expiresAt'] },
      capabilities: {
        payment: { ignore: ['paymentId', 'refundId'] },
        inventory: { ignore: ['reservationId'] },
        shipping: { ignore: ['shipmentId', 'trackingNumber'] },
      },
      events: {
        'order.created': { normalise: [{ path: 'lines', op: 'sortArray', by: 'lineNo' }] },
        'inventory.reserved': { normalise: [{ path: 'items', op: 'sortArray', by: 'sku' }] },
      },
    },
  },
  saga: {
    steps: {
      // Latency profiles (start to finish of each step) feed the checkout's budget in `cutover map`.
      CreateOrder: { owner: 'service', latency: { p50Ms: 40, p95Ms: 150 } },
      ReserveInventory: {
        owner: 'service',
        latency: { p50Ms: 120, p95Ms: 600 },
        monolith: {
          forward: {
            command: 'inventory.reserve-requested',
            data: { orderId: 'order.orderId', items: 'order.lines', requestedAt: 'now' },
            success: ['inventory.reserved'],
            failure: { 'inventory.rejected': 'OutOfStock' },
            replyTimeoutSeconds: 120,
          },
          compensation: {
            command: 'inventory.release-requested',
            data: { orderId: 'order.orderId', reason: 'reason', requestedAt: 'now' },
            success: ['inventory.released'],
            replyTimeoutSeconds: 120,
          },
        },
      },
      ProcessPayment: {
        owner: 'monolith',
        // A command through the bridge and the monolith's reply: two bus hops and the card processor.
        latency: { p50Ms: 1_500, p95Ms: 8_000 },
        monolith: {
          forward: {
            command: 'payment.capture-requested',
            data: {
              orderId: 'order.orderId',
              customerId: 'order.customerId',
              amount: 'order.amount.total',
              currency: 'order.amount.currency',
              requestedAt: 'now',
            },
            success: ['payment.captured'],
            failure: { 'payment.declined': 'CardDeclined' },
            replyTimeoutSeconds: 120,
          },
          compensation: {
            command: 'payment.refund-requested',
            data: { orderId: 'order.orderId', reason: 'reason', requestedAt: 'now' },
            success: ['payment.refunded'],
            replyTimeoutSeconds: 120,
          },
        },
      },
      // Ends when the carrier confirms dispatch (a task token): hours, not milliseconds.
      ScheduleShipping: { owner: 'service', latency: { p50Ms: 6 * 3_600_000, p95Ms: 30 * 3_600_000 } },
      NotifyCustomer: { owner: 'service', latency: { p50Ms: 150, p95Ms: 900 } },
    },
    reservation: { ttlSeconds: 900 },
    fraudReview: { waitSeconds: 60, maxChecks: 30 },
    // The carrier confirms within three days and reports progress at least daily, or the order is undone.
    shipping: { timeoutSeconds: 3 * 86_400, heartbeatSeconds: 86_400, confirmedBy: ['shipment.dispatched'] },
    referenceMonolith: true,
  },
  // Data migration: where the monolith's tables go in the services' DynamoDB tables (monolith/mapping.ts).
  migration: shopMigration,
  // Generated REST APIs over the migrated data: what each service exposes (monolith/api.ts).
  api: shopApi,
  // Two-way sync while the monolith and the services both write (core/spec/sync.ts, README "Two-way sync").
  sync: {
    source: 'shop',
    lagToleranceSeconds: 60,
    entities: {
      // Both sides sell and restock: each side's increments survive (the sum is preserved).
      stock: { policy: { mergeFields: { fallback: { prefer: 'monolith' } } }, fields: { onHand: 'delta', reserved: 'delta' } },
      // An order edited on both sides: the later updatedAt wins the whole row.
      orders: { policy: 'lastWriterWins', clock: 'updatedAt' },
      // A customer's fields merge; a field both sides changed keeps the monolith's value (it owns customers).
      customers: { policy: { mergeFields: { fallback: { prefer: 'monolith' } } } },
      // A price changed on both sides needs a person: the product is parked until someone decides.
      products: { policy: 'manual' },
    },
  },
  // `cutover readiness <capability>`: the evidence a capability needs before it moves on. Thresholds not
  // given here take the defaults in core/spec/readiness.ts; absent evidence is NO-GO unless waived with a reason.
  readiness: {
    defaults: { windowMinutes: 60, maxMismatchRate: 0.01, maxErrorRate: 0.01, maxP95Ratio: 1.2, maxBackfillAgeHours: 24 },
    capabilities: {
      inventory: { entities: ['stock'] },
      // Money: stricter than the default.
      payment: { entities: ['payments'], maxMismatchRate: 0.001, maxErrorRateIncrease: 0 },
      shipping: { entities: ['shipments'] },
      notification: {
        waive: {
          backfill: 'notifications are an outbox: nothing to copy from the monolith',
          sync: 'notifications are an outbox: no table both sides write, so nothing to sync',
        },
      },
    },
  },
  // The HTTP strangler façade in front of the monolith's storefront API (monolith/facade.ts).
  facade: shopFacade,
});
