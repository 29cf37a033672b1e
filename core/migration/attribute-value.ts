/**
 * DynamoDB values in their wire form ("DynamoDB JSON"), the same shape the SDK's low-level client and an
 * S3 table export use. Numbers stay decimal strings end to end, so nothing is rounded through a float.
 * The type is structural: it matches `@aws-sdk/client-dynamodb`'s AttributeValue without importing it.
 */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { B: Uint8Array | string }
  | { BS: (Uint8Array | string)[] };

export type Item = Record<string, AttributeValue>;

export type AttributeType = 'S' | 'N' | 'BOOL' | 'NULL' | 'L' | 'M' | 'SS' | 'NS' | 'B' | 'BS';

export function typeOf(value: AttributeValue): AttributeType {
  for (const k in value) return k as AttributeType;
  throw new TypeError('empty attribute value');
}

/** A decimal number split into sign, significant digits and a power of ten: value = ±digits × 10^exp. */
export interface Decimal {
  readonly negative: boolean;
  /** No leading or trailing zeros; "0" for zero. */
  readonly digits: string;
  readonly exp: number;
}

const NUMBER = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal string ("19.90", "-1.5E3", "007"). Returns undefined when the text is not a number. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int.length + frac.length === 0) return undefined;
  let digits = int + frac;
  let exp = (m[4] ? Number(m[4]) : 0) - frac.length;
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  digits = digits.slice(start);
  if (digits === '0') return { negative: false, digits: '0', exp: 0 };
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  exp += digits.length - end;
  digits = digits.slice(0, end);
  return { negative: m[1] === '-', digits, exp };
}

export function isNumberText(text: string): boolean {
  return parseDecimal(text) !== undefined;
}

/** One spelling per number: `-1999e-2` for "-19.990". Equal numbers give equal text. */
export function canonicalNumber(text: string): string {
  const d = parseDecimal(text);
  if (!d) return `?${text}`;
  return `${d.negative ? '-' : ''}${d.digits}e${d.exp}`;
}

/** Plain decimal text of a Decimal (no exponent), for reports. */
export function decimalToText(d: Decimal): string {
  let s: string;
  if (d.exp >= 0) s = d.digits + '0'.repeat(d.digits === '0' ? 0 : d.exp);
  else {
    const point = d.digits.length + d.exp;
    s = point > 0 ? `${d.digits.slice(0, point)}.${d.digits.slice(point)}` : `0.${'0'.repeat(-point)}${d.digits}`;
  }
  return d.negative ? `-${s}` : s;
}

function scaled(d: Decimal, exp: number): bigint {
  const v = BigInt(d.digits) * 10n ** BigInt(d.exp - exp);
  return d.negative ? -v : v;
}

/** |a - b| as a Decimal, computed exactly. */
export function absDifference(a: Decimal, b: Decimal): Decimal {
  const exp = Math.min(a.exp, b.exp);
  let diff = scaled(a, exp) - scaled(b, exp);
  if (diff < 0n) diff = -diff;
  return parseDecimal(`${diff.toString()}e${exp}`) as Decimal;
}

/** Compares two non-negative decimals: -1, 0 or 1. */
export function compareMagnitude(a: Decimal, b: Decimal): number {
  const exp = Math.min(a.exp, b.exp);
  const x = scaled({ ...a, negative: false }, exp);
  const y = scaled({ ...b, negative: false }, exp);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Number text truncated (toward zero) to a multiple of 10^step. Two numbers with the same truncation
 * differ by less than 2 × 10^step; verification picks the step so that stays within the tolerance.
 */
export function truncateNumber(text: string, step: number): string {
  const d = parseDecimal(text);
  if (!d) return `?${text}`;
  let q: string;
  if (d.digits === '0') q = '0';
  else if (d.exp >= step) q = d.digits + '0'.repeat(d.exp - step);
  else {
    const drop = step - d.exp;
    q = drop >= d.digits.length ? '0' : d.digits.slice(0, d.digits.length - drop);
  }
  return `${d.negative && q !== '0' ? '-' : ''}${q}~${step}`;
}

/** Short human text of a value for reports: `"abc"`, `19.99`, `true`, `[3 items]`. */
export function describeValue(value: AttributeValue | undefined): string {
  if (value === undefined) return 'nothing';
  if ('S' in value) return JSON.stringify(value.S.length > 60 ? `${value.S.slice(0, 57)}...` : value.S);
  if ('N' in value) return value.N;
  if ('BOOL' in value) return String(value.BOOL);
  if ('NULL' in value) return 'null';
  if ('L' in value) return `[${value.L.length} items]`;
  if ('M' in value) return `{${Object.keys(value.M).length} fields}`;
  if ('SS' in value) return `<string set of ${value.SS.length}>`;
  if ('NS' in value) return `<number set of ${value.NS.length}>`;
  if ('B' in value) return '<binary>';
  return `<binary set of ${value.BS.length}>`;
}
