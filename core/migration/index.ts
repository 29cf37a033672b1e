/**
 * Data migration core: mapping monolith rows to service items, canonical form and digests, bucket folds
 * and drill-down, segments, checkpoints and continuous validation. Pure: no SDK, no I/O.
 */
export * from './attribute-value';
export * from './buckets';
export * from './canonical';
export * from './checkpoint';
export * from './compare';
export * from './continuous';
export * from './digest';
export * from './drill';
export * from './errors';
export * from './hash';
export * from './json';
export * from './mapping';
export * from './retry';
export * from './segments';
export { resolveValueTransform, type ValueTransform } from './transforms';
export * from './export-rows';
