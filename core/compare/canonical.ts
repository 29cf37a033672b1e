/**
 * A JSON text with object keys sorted, so two equal values print the same whatever their key order.
 * Used to sort arrays of objects without a key, and to key noise and examples: the kit's one canonical JSON
 * (core/canonical-json.ts) in its lenient form, which never throws.
 */
export { comparableJson as canonicalJson } from '../canonical-json';
