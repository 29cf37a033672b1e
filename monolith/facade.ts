import type { FacadeSectionInput } from '../core/spec/facade';

/**
 * The reference façade (core/spec/facade.ts): the storefront routes of the monolith's HTTP API
 * (monolith/http-api.ts). The customer routes move with the `customers` routing capability, so
 * `cutover route set customers --mode canary --percent 20` moves a fifth of the customers' profile pages
 * and their customer.updated events together; everything else stays on the monolith until its capability
 * is declared. A customer is known by the X-Customer-Id header, the `customer` cookie or the `sub` claim of
 * a bearer token, the first one present.
 */
export const shopFacade: FacadeSectionInput = {
  stickyKey: { header: 'X-Customer-Id', cookie: 'customer', jwtClaim: 'sub' },
  routes: [
    {
      method: 'GET',
      path: '/customers/{customerId}',
      capability: 'customers',
      stickyKey: { header: 'X-Customer-Id', cookie: 'customer', jwtClaim: 'sub', pathParam: 'customerId' },
    },
    {
      method: 'PUT',
      path: '/customers/{customerId}',
      capability: 'customers',
      stickyKey: { header: 'X-Customer-Id', cookie: 'customer', jwtClaim: 'sub', pathParam: 'customerId' },
    },
    { method: 'GET', path: '/customers/{customerId}/orders' },
    { method: 'GET', path: '/products' },
    { method: 'GET', path: '/products/{sku}' },
    { method: 'GET', path: '/cart' },
    { method: 'POST', path: '/cart/items' },
    { method: 'DELETE', path: '/cart/items/{sku}' },
    { method: 'POST', path: '/orders' },
    { method: 'GET', path: '/orders/{orderNo}' },
  ],
  timeoutMs: 5000,
  retries: 1,
  cacheTtlMs: 500,
};
