export { CanonicalJsonError, canonicalJson } from '../canonical-json';
export * from './chain';
export * from './keys';
export * from './stream';
export * from './bounds';
export * from './drift';
export * from './queue';
