import { canonicalValue } from '../migration/canonical';
import { parseDecimal, type AttributeValue } from '../migration/attribute-value';

/**
 * The engine compares and merges both sides in one domain: the service's attribute values, flattened by
 * attribute path (`amount.total`). Monolith rows are mapped forward with the spec's migration mapping
 * (always defined), item images are flattened; only the result of a service change goes back to SQL text
 * (core/sync/reverse.ts). Comparing in one domain means "19.90" and "19.9" are the same price and a
 * timestamp's SQL spelling does not fake a conflict.
 *
 * An absent attribute is `undefined` (not a key of the record).
 */
export type SyncRecord = Readonly<Record<string, AttributeValue>>;

/** Equal values, numbers compared exactly ("1.50" = "1.5"). */
export function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalValue(a) === canonicalValue(b);
}

/** Whether two records hold the same values for these fields (a null record has none). */
export function sameFields(a: SyncRecord | null, b: SyncRecord | null, fields: Iterable<string>): boolean {
  for (const f of fields) if (!sameValue(a?.[f], b?.[f])) return false;
  return true;
}

/** Attributes present in either record. */
export function fieldsOf(...records: (SyncRecord | null)[]): Set<string> {
  const out = new Set<string>();
  for (const r of records) if (r) for (const k of Object.keys(r)) out.add(k);
  return out;
}

/** The fields whose values differ between two records. */
export function changedFields(from: SyncRecord | null, to: SyncRecord | null): string[] {
  return [...fieldsOf(from, to)].filter((f) => !sameValue(from?.[f], to?.[f])).sort();
}

/** A whole-number-scaled decimal: value = units / 10^scale, so sums are exact. */
function toScaled(v: AttributeValue | undefined): { units: bigint; scale: number } | undefined {
  if (v === undefined) return { units: 0n, scale: 0 };
  if (!('N' in v)) return undefined;
  const d = parseDecimal(v.N);
  if (!d) return undefined;
  const scale = Math.max(0, -d.exp);
  const units = BigInt(d.digits) * 10n ** BigInt(Math.max(0, d.exp));
  return { units: d.negative ? -units : units, scale };
}

function rescale(x: { units: bigint; scale: number }, scale: number): bigint {
  return x.units * 10n ** BigInt(scale - x.scale);
}

/**
 * `current + (after - before)`, exactly: the other side's increment applied on top of this side's value,
 * so both increments survive (a counter such as stock on hand). An absent number counts as 0. Returns
 * undefined when a value is not a number (the caller falls back to another policy).
 */
export function addDelta(
  current: AttributeValue | undefined,
  before: AttributeValue | undefined,
  after: AttributeValue | undefined,
): AttributeValue | undefined {
  const c = toScaled(current);
  const b = toScaled(before);
  const a = toScaled(after);
  if (!c || !b || !a) return undefined;
  const scale = Math.max(c.scale, b.scale, a.scale);
  const units = rescale(c, scale) + rescale(a, scale) - rescale(b, scale);
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  if (scale > 0) digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '');
  return { N: `${negative ? '-' : ''}${digits}` };
}
