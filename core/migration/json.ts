/**
 * JSON text with object keys sorted, so equal plain values print the same whatever their key order (the
 * checkpoint's definition fingerprint): the kit's one canonical JSON, core/canonical-json.ts.
 */
export { canonicalJson } from '../canonical-json';
