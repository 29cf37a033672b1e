import type { MigrationSectionInput } from '../core/spec/migration';

/**
 * The reference data migration of the shop monolith (schema in ./schema): where each table's rows go in
 * the new services' DynamoDB tables. The service shapes follow the service events of cutover.config.ts
 * (orderId as text, money as decimal text, ISO timestamps, lower-case codes).
 *
 * The orders service keeps a single table: an order is one item with its lines embedded, and its payments
 * and shipments are further items in the order's partition, so `Query pk = ORDER#1000001` returns the
 * whole order (an item collection). Customers, catalog and inventory each have their own table.
 */
export const shopMigration: MigrationSectionInput = {
  entities: {
    orders: {
      description: 'An order with its lines embedded: one item per order.',
      source: { table: 'orders', key: ['order_no'], updatedAt: 'updated_at' },
      target: { table: 'orders', partitionKey: 'pk', sortKey: 'sk' },
      fields: [
        { attribute: 'pk', template: 'ORDER#{order_no}' },
        { attribute: 'sk', constant: 'ORDER' },
        { attribute: 'orderId', column: 'order_no' },
        { attribute: 'customerId', column: 'cust_no', required: true },
        { attribute: 'placedAt', column: 'order_dt', transform: 'legacyDateTime' },
        { attribute: 'status', column: 'status', transform: { map: { P: 'placed', S: 'shipped', D: 'delivered', X: 'cancelled' } } },
        { attribute: 'amount.total', column: 'total_cents', transform: 'centsToDecimal' },
        { attribute: 'amount.currency', column: 'currency' },
        { attribute: 'channel', column: 'channel', transform: { map: { WEB: 'web', STORE: 'store', PHONE: 'phone' } } },
        { attribute: 'couponCode', column: 'coupon_code', transform: 'emptyAsAbsent' },
        { attribute: 'shippingAddress.street', column: 'ship_street' },
        { attribute: 'shippingAddress.city', column: 'ship_city' },
        { attribute: 'shippingAddress.postalCode', column: 'ship_zip' },
        { attribute: 'shippingAddress.country', column: 'ship_country' },
        { attribute: 'updatedAt', column: 'updated_at', transform: 'sqlTimestamp' },
      ],
      children: [
        {
          name: 'lines',
          table: 'order_lines',
          foreignKey: ['order_no'],
          orderBy: ['line_no'],
          shape: 'embed',
          fields: [
            { attribute: 'lineNo', column: 'line_no', transform: 'intString' },
            { attribute: 'sku', column: 'sku' },
            { attribute: 'quantity', column: 'qty', transform: 'intString' },
            { attribute: 'unitPrice', column: 'unit_price_cents', transform: 'centsToDecimal' },
          ],
        },
      ],
      verify: { ignore: ['version'], lagSeconds: 60 },
    },
    payments: {
      description: "A captured payment, in its order's partition.",
      source: { table: 'payments', key: ['payment_id'], updatedAt: 'updated_at' },
      target: { table: 'orders', partitionKey: 'pk', sortKey: 'sk' },
      fields: [
        { attribute: 'pk', template: 'ORDER#{order_no}' },
        { attribute: 'sk', template: 'PAYMENT#{payment_id}' },
        { attribute: 'paymentId', column: 'payment_id' },
        { attribute: 'orderId', column: 'order_no' },
        { attribute: 'amount', column: 'amount_cents', transform: 'centsToDecimal' },
        { attribute: 'currency', column: 'currency' },
        { attribute: 'method', column: 'method', transform: 'lowerCase' },
        { attribute: 'capturedAt', column: 'captured_dt', transform: 'legacyDateTime' },
      ],
    },
    shipments: {
      description: "A dispatched shipment, in its order's partition.",
      source: { table: 'shipments', key: ['shipment_id'], updatedAt: 'updated_at' },
      target: { table: 'orders', partitionKey: 'pk', sortKey: 'sk' },
      fields: [
        { attribute: 'pk', template: 'ORDER#{order_no}' },
        { attribute: 'sk', template: 'SHIPMENT#{shipment_id}' },
        { attribute: 'shipmentId', column: 'shipment_id' },
        { attribute: 'orderId', column: 'order_no' },
        { attribute: 'carrier', column: 'carrier_cd', transform: 'lowerCase' },
        { attribute: 'trackingNo', column: 'tracking_no', transform: 'emptyAsAbsent' },
        { attribute: 'parcels', column: 'parcels', transform: 'intString' },
        { attribute: 'dispatchedAt', column: 'dispatch_dt', transform: 'legacyDateTime' },
      ],
    },
    customers: {
      source: { table: 'customers', key: ['cust_no'], updatedAt: 'updated_at' },
      target: { table: 'customers', partitionKey: 'customerId' },
      fields: [
        { attribute: 'customerId', column: 'cust_no' },
        { attribute: 'email', column: 'email' },
        { attribute: 'firstName', column: 'first_name' },
        { attribute: 'lastName', column: 'last_name' },
        { attribute: 'phone', column: 'phone', transform: 'emptyAsAbsent' },
        { attribute: 'marketingOptIn', column: 'marketing_opt_in', transform: 'yesNo' },
        { attribute: 'tier', column: 'tier', transform: 'lowerCase' },
        { attribute: 'createdAt', column: 'created_dt', transform: 'legacyDateTime' },
      ],
    },
    products: {
      source: { table: 'products', key: ['sku'], updatedAt: 'updated_at' },
      target: { table: 'catalog', partitionKey: 'sku' },
      fields: [
        { attribute: 'sku', column: 'sku' },
        { attribute: 'name', column: 'name' },
        { attribute: 'price', column: 'price_cents', transform: 'centsToDecimal' },
        // A DOUBLE column: stored as a DynamoDB number, verified with a tolerance.
        { attribute: 'weightKg', column: 'weight_kg', type: 'N' },
        { attribute: 'active', column: 'active', transform: 'yesNo' },
      ],
      verify: { tolerances: { weightKg: 0.0005 } },
    },
    stock: {
      source: { table: 'stock', key: ['sku', 'warehouse_cd'], updatedAt: 'updated_at' },
      target: { table: 'inventory', partitionKey: 'sku', sortKey: 'warehouse' },
      fields: [
        { attribute: 'sku', column: 'sku' },
        { attribute: 'warehouse', column: 'warehouse_cd', transform: 'trim' },
        { attribute: 'onHand', column: 'on_hand', transform: 'intString' },
        { attribute: 'reserved', column: 'reserved', transform: 'intString' },
      ],
    },
  },
};
