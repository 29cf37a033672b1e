/**
 * Named value transforms between the legacy and the service shape. Each is a pair of functions:
 * `toService` and `toLegacy`, inverse of each other on valid input, so legacy -> service -> legacy is the
 * identity. A transform that cannot convert a value throws a `TransformError` naming the value.
 * `undefined` means "absent": a transform may turn a present value into an absent one (emptyAsAbsent).
 */
export class TransformError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'TransformError';
  }
}

export interface Transform {
  readonly toService: (value: unknown) => unknown;
  readonly toLegacy: (value: unknown) => unknown;
}

function expectString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TransformError(`expected ${what} as a string, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // Too deep or cyclic: the message still names the kind of value without printing it.
    return Array.isArray(value) ? '[a list too deep to print]' : '{an object too deep to print}';
  }
  if (json === undefined) return String(value);
  // JSON escapes C0 controls; escape what it leaves raw and a reader must still see: DEL, C1, bidi
  // controls, line/paragraph separators. A message names the value, it must not reorder the log line.
  const shown = json.length > 80 ? `${json.slice(0, 77)}...` : json;
  return shown.replace(
    /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const CENTS = /^(0|-?[1-9][0-9]*)$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)\.[0-9]{2}$/;
/** Integer cents in a string ("1999") <-> a decimal string with two places ("19.99"). Exact: no floats. */
const centsToDecimal: Transform = {
  toService(value) {
    const s = expectString(value, 'integer cents');
    if (!CENTS.test(s)) throw new TransformError(`expected integer cents such as "1999", got ${describe(value)}`);
    const negative = s.startsWith('-');
    const digits = (negative ? s.slice(1) : s).padStart(3, '0');
    const out = `${digits.slice(0, -2)}.${digits.slice(-2)}`;
    return negative && out !== '0.00' ? `-${out}` : out;
  },
  toLegacy(value) {
    const s = expectString(value, 'a decimal amount');
    if (!DECIMAL.test(s)) throw new TransformError(`expected a decimal amount with two places such as "19.99", got ${describe(value)}`);
    const negative = s.startsWith('-');
    const cents = (negative ? s.slice(1) : s).replace('.', '').replace(/^0+(?=\d)/, '');
    return negative && cents !== '0' ? `-${cents}` : cents;
  },
};

/** A whole number in a string ("3") <-> a number (3). */
const intString: Transform = {
  toService(value) {
    const s = expectString(value, 'a whole number');
    if (!CENTS.test(s)) throw new TransformError(`expected a whole number such as "3", got ${describe(value)}`);
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw new TransformError(`whole number ${describe(value)} is too large`);
    return n;
  },
  toLegacy(value) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw new TransformError(`expected a whole number, got ${describe(value)}`);
    }
    return String(value);
  },
};

/** The monolith's UTC timestamp "20261121 143000" <-> ISO 8601 "2026-11-21T14:30:00Z". */
const legacyDateTime: Transform = {
  toService(value) {
    const s = expectString(value, 'a timestamp');
    if (!isLegacyDateTime(s)) throw new TransformError(`expected a timestamp such as "20261121 143000", got ${describe(value)}`);
    return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
  },
  toLegacy(value) {
    const s = expectString(value, 'an ISO timestamp');
    if (!isIsoDateTime(s, false))
      throw new TransformError(`expected an ISO timestamp such as "2026-11-21T14:30:00Z", got ${describe(value)}`);
    return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)} ${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}`;
  },
};

/*
 * Timestamps are read digit by digit rather than with a regular expression and Date: every event carries
 * one or more, each is checked by the schema and converted by the transform, and this is the hot path.
 */
/** `count` decimal digits of `s` from `at` as a number, or -1 if any is not a digit. */
function digits(s: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** "YYYYMMDD HHMMSS", a real UTC date and time. */
export function isLegacyDateTime(s: string): boolean {
  return (
    s.length === 15 &&
    s.charCodeAt(8) === 32 &&
    validDateParts(digits(s, 0, 4), digits(s, 4, 2), digits(s, 6, 2), digits(s, 9, 2), digits(s, 11, 2), digits(s, 13, 2))
  );
}

/** "YYYY-MM-DDTHH:MM:SSZ", a real UTC date and time; with `fraction`, also ".d" to ".ddd" before the Z. */
export function isIsoDateTime(s: string, fraction: boolean): boolean {
  const n = s.length;
  if (n !== 20 && !(fraction && n >= 22 && n <= 24 && s.charCodeAt(19) === 46 && digits(s, 20, n - 21) >= 0)) return false;
  return (
    s.charCodeAt(n - 1) === 90 &&
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 &&
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58 &&
    validDateParts(digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2))
  );
}

const LEGACY_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** "20261121" <-> "2026-11-21". */
const legacyDate: Transform = {
  toService(value) {
    const m = LEGACY_DATE.exec(expectString(value, 'a date'));
    if (!m || !validDate(m[1], m[2], m[3])) throw new TransformError(`expected a date such as "20261121", got ${describe(value)}`);
    return `${m[1]}-${m[2]}-${m[3]}`;
  },
  toLegacy(value) {
    const m = ISO_DATE.exec(expectString(value, 'an ISO date'));
    if (!m || !validDate(m[1], m[2], m[3])) throw new TransformError(`expected an ISO date such as "2026-11-21", got ${describe(value)}`);
    return `${m[1]}${m[2]}${m[3]}`;
  },
};

export function validDate(y: string, mo: string, d: string, h = '00', mi = '00', s = '00'): boolean {
  return validDateParts(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
}

/**
 * A real UTC date and time, by arithmetic (no Date objects: this runs for every timestamp of every event).
 * Years below 100 are invalid, as they were when this was checked with Date.UTC (which reads them as 19xx).
 */
export function validDateParts(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): boolean {
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1)) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/** The monolith's "" for "not given" <-> an absent field. */
const emptyAsAbsent: Transform = {
  toService(value) {
    if (value === '' || value === undefined) return undefined;
    return value;
  },
  toLegacy(value) {
    return value === undefined || value === null ? '' : value;
  },
};

/** "Y"/"N" <-> true/false. */
const yesNo: Transform = {
  toService(value) {
    if (value === 'Y') return true;
    if (value === 'N') return false;
    throw new TransformError(`expected "Y" or "N", got ${describe(value)}`);
  },
  toLegacy(value) {
    if (typeof value !== 'boolean') throw new TransformError(`expected true or false, got ${describe(value)}`);
    return value ? 'Y' : 'N';
  },
};

/** "GOLD" <-> "gold". */
const lowerCase: Transform = {
  toService: (value) => expectString(value, 'text').toLowerCase(),
  toLegacy: (value) => expectString(value, 'text').toUpperCase(),
};

const identity: Transform = { toService: (v) => v, toLegacy: (v) => v };

export const TRANSFORMS = {
  identity,
  centsToDecimal,
  intString,
  legacyDateTime,
  legacyDate,
  emptyAsAbsent,
  yesNo,
  lowerCase,
} as const satisfies Record<string, Transform>;

export type TransformName = keyof typeof TRANSFORMS;
export const TRANSFORM_NAMES = Object.keys(TRANSFORMS) as [TransformName, ...TransformName[]];

/** A value map such as `{ P: 'pending' }`, inverted for the way back. The spec checks it is one-to-one. */
export function mapTransform(map: Readonly<Record<string, string>>): Transform {
  const inverse = Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k]));
  return {
    toService(value) {
      const s = expectString(value, 'a code');
      if (!Object.prototype.hasOwnProperty.call(map, s)) {
        throw new TransformError(
          `${describe(value)} is not one of ${Object.keys(map)
            .map((k) => JSON.stringify(k))
            .join(', ')}`,
        );
      }
      return map[s];
    },
    toLegacy(value) {
      const s = expectString(value, 'a value');
      if (!Object.prototype.hasOwnProperty.call(inverse, s)) {
        throw new TransformError(
          `${describe(value)} is not one of ${Object.keys(inverse)
            .map((k) => JSON.stringify(k))
            .join(', ')}`,
        );
      }
      return inverse[s];
    },
  };
}

export function resolveTransform(ref: TransformName | { map: Readonly<Record<string, string>> } | undefined): Transform {
  if (ref === undefined) return identity;
  if (typeof ref === 'string') return TRANSFORMS[ref];
  return mapTransform(ref.map);
}
