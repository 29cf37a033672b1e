/**
 * Progressive cutover, the pure part: sticky buckets, the route entry model, the routing decision, the
 * state machine of changes, the table cache, version negotiation and the automatic rollback verdict.
 * Adapters (DynamoDB table, router Lambda, CLI) stay thin around these.
 */
export * from './model';
export * from './errors';
export * from './bucket';
export * from './entry';
export * from './decide';
export * from './transitions';
export * from './cache';
export * from './version';
export * from './rollback';
export * from './plan';
export * from './wire';
export * from './registration';
