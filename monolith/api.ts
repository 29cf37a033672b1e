import type { ApiSectionInput } from '../core/spec/api';

/**
 * The reference generated APIs (core/spec/api.ts): what each new service exposes of the data migrated
 * by ./mapping.ts. Catalog and customers take writes through the API (the two-way sync carries them back
 * to the monolith); orders, owned by the saga, are read-only. Products have a v2 beside v1 that renames
 * `price` to `unitPrice` and adds the currency the catalog assumes.
 */
export const shopApi: ApiSectionInput = {
  services: {
    catalog: {
      description: 'Products and stock levels, migrated from the monolith.',
      entities: {
        products: {
          writes: true,
          filters: ['sku'],
          versions: {
            '2': {
              ops: [
                { op: 'rename', from: 'price', to: 'unitPrice' },
                { op: 'setDefault', path: 'currency', value: 'EUR' },
              ],
            },
          },
        },
        stock: { writes: true, filters: ['sku', 'warehouse'] },
      },
    },
    orders: {
      description: 'Orders (with their lines) and payments; read-only, the order saga writes them.',
      entities: {
        orders: {
          filters: ['orderId', 'customerId', 'placedAt'],
          indexes: { byCustomer: { partitionKey: 'customerId', sortKey: 'placedAt' } },
        },
        payments: { filters: ['orderId', 'paymentId'] },
      },
    },
    customers: {
      description: 'Customer profiles.',
      entities: { customers: { writes: true, filters: ['customerId'] } },
    },
  },
};
