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
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

const CENTS = /^-?(0|[1-9][0-9]*)$/;
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

const LEGACY_DATETIME = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
/** The monolith's UTC timestamp "20261121 143000" <-> ISO 8601 "2026-11-21T14:30:00Z". */
const legacyDateTime: Transform = {
  toService(value) {
    const m = LEGACY_DATETIME.exec(expectString(value, 'a timestamp'));
    if (!m || !validDate(m[1], m[2], m[3], m[4], m[5], m[6])) {
      throw new TransformError(`expected a timestamp such as "20261121 143000", got ${describe(value)}`);
    }
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  },
  toLegacy(value) {
    const m = ISO_DATETIME.exec(expectString(value, 'an ISO timestamp'));
    if (!m || !validDate(m[1], m[2], m[3], m[4], m[5], m[6])) {
      throw new TransformError(`expected an ISO timestamp such as "2026-11-21T14:30:00Z", got ${describe(value)}`);
    }
    return `${m[1]}${m[2]}${m[3]} ${m[4]}${m[5]}${m[6]}`;
  },
};

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
  // Arithmetic, not Date objects: this runs for every timestamp of every event. Years below 100 stay
  // invalid (Date.UTC would read them as 19xx).
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1)) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
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
        throw new TransformError(`${describe(value)} is not one of ${Object.keys(map).map((k) => JSON.stringify(k)).join(', ')}`);
      }
      return map[s];
    },
    toLegacy(value) {
      const s = expectString(value, 'a value');
      if (!Object.prototype.hasOwnProperty.call(inverse, s)) {
        throw new TransformError(`${describe(value)} is not one of ${Object.keys(inverse).map((k) => JSON.stringify(k)).join(', ')}`);
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
