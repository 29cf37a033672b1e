import { canonicalNumber, decimalToText, parseDecimal, truncateNumber, type AttributeValue, type Item } from './attribute-value';
import { SYNC_BOOKKEEPING_ATTRIBUTES } from '../sync/bookkeeping';

/**
 * The canonical text of an item: one spelling for equal items, a different one for items that differ in
 * any value or type. Map keys are sorted (attribute order never matters), sets are sorted (their order
 * never matters), lists keep their order (it does), numbers are spelled one way ("19.90" and "19.9" are
 * the same number), and every value carries its type ("3" the string is not 3 the number).
 *
 *   S -> s<length>:<text>      N -> n<digits>e<exp>;      BOOL -> t / f      NULL -> z
 *   L -> [<v><v>...]           M -> {<length>:<key><v>...} (keys sorted)
 *   SS -> S[<s><s>...] (sorted)   NS -> N[<n><n>...] (sorted)   B -> b<length>:<base64>   BS -> B[...]
 *
 * Every value spells its own end (text is length-prefixed, numbers end in ;), so the spelling needs no
 * escaping and no separators and is still unambiguous: two different items never spell the same.
 *
 * With a numeric tolerance, numbers are truncated to a power of ten small enough that two numbers with
 * the same spelling are within the tolerance; numbers within the tolerance may still spell differently,
 * so the row comparison after the bucket drill-down has the last word (see compare.ts).
 */
export interface CanonicalOptions {
  /** Attribute paths left out (dot paths; `lines.note` skips `note` in every item of the `lines` list). */
  readonly ignore?: readonly string[];
  /** Default numeric tolerance; 0 or absent means exact. */
  readonly numericTolerance?: number;
  /** Tolerance per path (`lines[].unitPrice`, `weightKg`); overrides the default. */
  readonly tolerances?: Readonly<Record<string, number>>;
}

export type Canonicalizer = (item: Item) => string;

/** The power of ten to truncate to for a tolerance: the largest 10^k with 2 × 10^k <= tolerance. */
export function toleranceStep(tolerance: number): number | undefined {
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) return undefined;
  let k = Math.floor(Math.log10(tolerance / 2));
  // log10 of a float can land a hair off an integer; settle k exactly.
  while (2 * 10 ** k > tolerance) k--;
  while (2 * 10 ** (k + 1) <= tolerance) k++;
  return k;
}

function binaryText(b: Uint8Array | string): string {
  const text = typeof b === 'string' ? b : Buffer.from(b).toString('base64');
  return `${text.length}:${text}`;
}

type NumberSpeller = (text: string) => string;
type Loose = {
  S?: string;
  N?: string;
  BOOL?: boolean;
  NULL?: true;
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
  SS?: string[];
  NS?: string[];
  B?: Uint8Array | string;
  BS?: (Uint8Array | string)[];
};

const textOf = (s: string) => `s${s.length}:${s}`;

/**
 * `number` spells the numbers at this path (the value itself, a list's elements, a set's members);
 * `inner` spells those inside nested maps, whose paths are longer (a tolerance applies at one path).
 */
function encodeWith(value: AttributeValue, number: NumberSpeller, inner: NumberSpeller = number): string {
  // Property reads rather than `in` chains: this runs for every value of every row.
  const v = value as Loose;
  if (v.S !== undefined) return `s${v.S.length}:${v.S}`;
  if (v.N !== undefined) return `n${number(v.N)};`;
  if (v.M !== undefined) {
    const m = v.M;
    const keys = Object.keys(m).sort();
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      out += `${k.length}:${k}${encodeWith(m[k], inner, inner)}`;
    }
    return `${out}}`;
  }
  if (v.L !== undefined) {
    const l = v.L;
    let out = '[';
    for (let i = 0; i < l.length; i++) out += encodeWith(l[i], number, inner);
    return `${out}]`;
  }
  if (v.BOOL !== undefined) return v.BOOL ? 't' : 'f';
  if (v.NULL !== undefined) return 'z';
  if (v.SS !== undefined) return `S[${[...new Set(v.SS)].sort().map(textOf).join('')}]`;
  if (v.NS !== undefined) return `N[${[...new Set(v.NS.map((n) => `n${number(n)};`))].sort().join('')}]`;
  if (v.B !== undefined) return `b${binaryText(v.B)}`;
  if (v.BS !== undefined) return `B[${[...new Set(v.BS.map(binaryText))].sort().join('')}]`;
  return `?${JSON.stringify(value)}`;
}

/** Canonical text of one value, numbers exact. */
export function canonicalValue(value: AttributeValue): string {
  return encodeWith(value, canonicalNumber);
}

interface PathRules {
  ignore: Set<string>;
  steps: Map<string, number | undefined>;
  defaultStep: number | undefined;
  nested: boolean;
}

function rulesOf(options: CanonicalOptions): PathRules {
  const ignore = new Set((options.ignore ?? []).map((p) => p.replace(/\[\]/g, '')));
  const steps = new Map<string, number | undefined>();
  for (const [path, t] of Object.entries(options.tolerances ?? {})) steps.set(path.replace(/\[\]/g, ''), toleranceStep(t));
  const nested = [...ignore, ...steps.keys()].some((p) => p.includes('.'));
  return { ignore, steps, defaultStep: toleranceStep(options.numericTolerance ?? 0), nested };
}

/**
 * Builds the canonicalizer for a set of options. A rule names one path (`weightKg`, `lines.unitPrice`;
 * list elements share their list's path): ignoring a path leaves out its whole value, a tolerance applies
 * to the numbers at that path. With no rule below the top level it takes a fast path without path texts.
 */
export function makeCanonicalizer(options: CanonicalOptions = {}): Canonicalizer {
  const rules = rulesOf(options);
  const speller = (step: number | undefined): NumberSpeller => (step === undefined ? canonicalNumber : (t) => truncateNumber(t, step));
  const defaultSpeller = speller(rules.defaultStep);

  if (!rules.nested) {
    const topSpellers = new Map<string, NumberSpeller>();
    for (const [p, s] of rules.steps) topSpellers.set(p, speller(s));
    return (item) => {
      const keys = Object.keys(item).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (rules.ignore.size > 0 && rules.ignore.has(k)) continue;
        out += `${k.length}:${k}${encodeWith(item[k], topSpellers.get(k) ?? defaultSpeller, defaultSpeller)}`;
      }
      return `${out}}`;
    };
  }

  const encodePath = (value: AttributeValue, path: string): string => {
    if ('M' in value) {
      const keys = Object.keys(value.M).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const p = path ? `${path}.${k}` : k;
        if (rules.ignore.has(p)) continue;
        parts.push(`${k.length}:${k}${encodePath(value.M[k], p)}`);
      }
      return `{${parts.join('')}}`;
    }
    if ('L' in value) return `[${value.L.map((v) => encodePath(v, path)).join('')}]`;
    const step = rules.steps.has(path) ? rules.steps.get(path) : rules.defaultStep;
    return encodeWith(value, speller(step));
  };
  return (item) => encodePath({ M: item }, '');
}

/**
 * The text of an item's key, used to place it in a bucket, to sort and to look it up again. It is JSON
 * (`[{"S":"ORDER#1"},{"S":"ORDER"}]`) so a key read back from a spill file can be sent to GetItem as is;
 * numbers are written in plain decimal so "1.0" and "1" (the same DynamoDB key) give the same text.
 */
export function keyText(item: Item, keyAttributes: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < keyAttributes.length; i++) {
    const v = item[keyAttributes[i]];
    if (i > 0) out += ',';
    if (v === undefined) out += 'null';
    else if ('N' in v) {
      const d = parseDecimal(v.N);
      out += d ? `{"N":${JSON.stringify(decimalToText(d))}}` : JSON.stringify(v);
    } else out += JSON.stringify(v);
  }
  return `${out}]`;
}

/** The key item (`{ pk: {S:...}, sk: {S:...} }`) of a key text. */
export function keyFromText(text: string, keyAttributes: readonly string[]): Item {
  const values = JSON.parse(text) as AttributeValue[];
  const key: Item = {};
  keyAttributes.forEach((a, i) => {
    key[a] = values[i];
  });
  return key;
}

/**
 * An entity's verify rules as verify, the folds and continuous validation apply them: the spec's own
 * (`verify` on the entity) plus the two-way sync's bookkeeping attributes, which are never migrated data.
 */
export function verifyRulesOf(verify: CanonicalOptions | undefined): CanonicalOptions {
  const ignore = [...(verify?.ignore ?? [])];
  for (const a of SYNC_BOOKKEEPING_ATTRIBUTES) if (!ignore.includes(a)) ignore.push(a);
  return { ...(verify ?? {}), ignore };
}
