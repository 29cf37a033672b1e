/**
 * Compare rules: what may differ between the monolith's recorded outcome and the new service's outcome
 * without counting as a regression. Plain data, so they live in the migration spec (`capture.compare`).
 * Every `path` is a path pattern (see path.ts): `createdAt`, `lines[*].id`, `metadata.*`, `**.updatedAt`.
 */
export interface CompareRules {
  /** Paths whose value is never compared: timestamps, generated ids, trace data. */
  readonly ignore?: readonly string[];
  /** Applied to both sides before comparing, in declaration order. */
  readonly normalise?: readonly Normaliser[];
  /** Numbers (or numeric strings) at these paths are equal within the bound. */
  readonly tolerance?: readonly Tolerance[];
}

export type Normaliser =
  /** Sort an array by the value at `by` in each item (or by the whole item when `by` is absent). */
  | { readonly path: string; readonly op: 'sortArray'; readonly by?: string }
  /** A numeric string becomes a number: "19.90" and 19.9 compare equal. */
  | { readonly path: string; readonly op: 'number' }
  | { readonly path: string; readonly op: 'lowercase' }
  | { readonly path: string; readonly op: 'trim' };

export type NormaliserOp = Normaliser['op'];
export const NORMALISER_OPS: readonly NormaliserOp[] = ['sortArray', 'number', 'lowercase', 'trim'];

/**
 * `|expected - actual| <= abs`, or `<= rel * max(|expected|, |actual|)`; either bound suffices. When several
 * tolerances cover one path, the most lenient bound of each kind applies.
 */
export interface Tolerance {
  readonly path: string;
  readonly abs?: number;
  readonly rel?: number;
}

/** Join rule sets: lists are concatenated, so a more specific set adds to a general one. */
export function mergeCompareRules(...sets: Array<CompareRules | undefined>): CompareRules {
  const ignore: string[] = [];
  const normalise: Normaliser[] = [];
  const tolerance: Tolerance[] = [];
  for (const s of sets) {
    if (!s) continue;
    if (s.ignore) ignore.push(...s.ignore);
    if (s.normalise) normalise.push(...s.normalise);
    if (s.tolerance) tolerance.push(...s.tolerance);
  }
  return { ignore, normalise, tolerance };
}
