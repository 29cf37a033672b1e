import {
  absDifference,
  canonicalNumber,
  compareMagnitude,
  decimalToText,
  describeValue,
  parseDecimal,
  typeOf,
  type AttributeValue,
  type Item,
} from './attribute-value';
import { canonicalValue, type CanonicalOptions } from './canonical';

/**
 * What is wrong with one attribute of an item:
 * - `missingField` / `extraField`: present on one side only;
 * - `type`: both present with different DynamoDB types ("3" against 3);
 * - `truncated`: the target text is a strict prefix of the source text (a column too short somewhere);
 * - `numeric`: two numbers further apart than the tolerance (a float against a decimal, or a real change);
 * - `value`: any other difference.
 */
export type FieldDiffKind = 'missingField' | 'extraField' | 'type' | 'truncated' | 'numeric' | 'value';

export interface FieldDiff {
  /** Where: `amount.total`, `lines[1].quantity`. */
  readonly path: string;
  readonly kind: FieldDiffKind;
  /** What the mapping of the source row gives. */
  readonly expected?: AttributeValue;
  /** What the target holds. */
  readonly actual?: AttributeValue;
  /** One line for a person. */
  readonly detail: string;
}

interface Rules {
  ignore: Set<string>;
  tolerances: Map<string, number>;
  numericTolerance: number;
}

function rules(options: CanonicalOptions): Rules {
  return {
    ignore: new Set((options.ignore ?? []).map((p) => p.replace(/\[\]/g, ''))),
    tolerances: new Map(Object.entries(options.tolerances ?? {}).map(([p, t]) => [p.replace(/\[\]/g, ''), t])),
    numericTolerance: options.numericTolerance ?? 0,
  };
}

function toleranceText(t: number): string {
  return parseDecimal(String(t)) ? decimalToText(parseDecimal(String(t))!) : String(t);
}

function diffValue(
  e: AttributeValue | undefined,
  a: AttributeValue | undefined,
  path: string,
  norm: string,
  r: Rules,
  out: FieldDiff[],
): void {
  if (r.ignore.has(norm)) return;
  if (e === undefined && a === undefined) return;
  if (e === undefined) {
    out.push({ path, kind: 'extraField', actual: a, detail: `not expected, found ${describeValue(a)}` });
    return;
  }
  if (a === undefined) {
    out.push({ path, kind: 'missingField', expected: e, detail: `expected ${describeValue(e)}, found nothing` });
    return;
  }
  const te = typeOf(e);
  const ta = typeOf(a);
  if (te !== ta) {
    out.push({ path, kind: 'type', expected: e, actual: a, detail: `expected ${te} ${describeValue(e)}, found ${ta} ${describeValue(a)}` });
    return;
  }
  if ('M' in e && 'M' in a) {
    const keys = [...new Set([...Object.keys(e.M), ...Object.keys(a.M)])].sort();
    for (const k of keys) diffValue(e.M[k], a.M[k], path ? `${path}.${k}` : k, norm ? `${norm}.${k}` : k, r, out);
    return;
  }
  if ('L' in e && 'L' in a) {
    const n = Math.max(e.L.length, a.L.length);
    for (let i = 0; i < n; i++) diffValue(e.L[i], a.L[i], `${path}[${i}]`, norm, r, out);
    return;
  }
  if ('S' in e && 'S' in a) {
    if (e.S === a.S) return;
    if (a.S.length < e.S.length && e.S.startsWith(a.S)) {
      out.push({
        path,
        kind: 'truncated',
        expected: e,
        actual: a,
        detail: `expected ${e.S.length} characters ${describeValue(e)}, found the first ${a.S.length}: ${describeValue(a)}`,
      });
    } else {
      out.push({ path, kind: 'value', expected: e, actual: a, detail: `expected ${describeValue(e)}, found ${describeValue(a)}` });
    }
    return;
  }
  if ('N' in e && 'N' in a) {
    if (canonicalNumber(e.N) === canonicalNumber(a.N)) return;
    const de = parseDecimal(e.N);
    const da = parseDecimal(a.N);
    if (!de || !da) {
      out.push({ path, kind: 'value', expected: e, actual: a, detail: `expected ${e.N}, found ${a.N}` });
      return;
    }
    const tolerance = r.tolerances.has(norm) ? (r.tolerances.get(norm) as number) : r.numericTolerance;
    const delta = absDifference(de, da);
    const t = parseDecimal(String(tolerance));
    if (tolerance > 0 && t && compareMagnitude(delta, t) <= 0) return;
    out.push({
      path,
      kind: 'numeric',
      expected: e,
      actual: a,
      detail: `expected ${e.N}, found ${a.N}: off by ${decimalToText(delta)}${tolerance > 0 ? `, over the tolerance ${toleranceText(tolerance)}` : ''}`,
    });
    return;
  }
  if (canonicalValue(e) !== canonicalValue(a)) {
    out.push({ path, kind: 'value', expected: e, actual: a, detail: `expected ${describeValue(e)}, found ${describeValue(a)}` });
  }
}

/**
 * Attribute by attribute differences between the item the mapping expects and the item the target holds,
 * under the same ignore and tolerance rules as the canonical form. Empty means the items agree.
 */
export function compareItems(expected: Item, actual: Item, options: CanonicalOptions = {}): FieldDiff[] {
  const out: FieldDiff[] = [];
  diffValue({ M: expected }, { M: actual }, '', '', rules(options), out);
  return out;
}
