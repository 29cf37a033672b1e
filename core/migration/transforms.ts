import { describe, resolveTransform, TransformError, type TransformName } from '../spec/transforms';
import type { MigrationTransformRef, SqlTransformName } from '../spec/migration';

/** A one-way value function from SQL text to a service value. Throws `TransformError` naming the value. */
export type ValueTransform = (value: unknown) => unknown;

const SQL_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]00(?::?00)?)?$/;

/**
 * SQL timestamp text ("2026-11-21 14:30:00", "2026-11-21 14:30:00.25+00") -> ISO 8601 in UTC
 * ("2026-11-21T14:30:00Z", "2026-11-21T14:30:00.25Z"). Only UTC is accepted: the source adapters set the
 * session time zone to UTC, so an offset means a value was read some other way.
 */
const sqlTimestamp: ValueTransform = (value) => {
  if (typeof value !== 'string') throw new TransformError(`expected a timestamp as text, got ${describe(value)}`);
  const m = SQL_TIMESTAMP.exec(value);
  if (!m) throw new TransformError(`expected a UTC timestamp such as "2026-11-21 14:30:00", got ${describe(value)}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const t = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (
    t.getUTCDate() !== Number(d) ||
    t.getUTCMonth() !== Number(mo) - 1 ||
    t.getUTCHours() !== Number(h) ||
    t.getUTCMinutes() !== Number(mi) ||
    t.getUTCSeconds() !== Number(s)
  ) {
    throw new TransformError(`${describe(value)} is not a valid date and time`);
  }
  const fraction = frac ? frac.replace(/0+$/, '') : '';
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction ? `.${fraction}` : ''}Z`;
};

const TRUE = new Set(['t', 'true', '1', 'y', 'yes']);
const FALSE = new Set(['f', 'false', '0', 'n', 'no']);
/** SQL boolean text in any of its spellings ("t", "1", "true", "Y") -> true/false. */
const sqlBoolean: ValueTransform = (value) => {
  if (typeof value !== 'string') throw new TransformError(`expected a boolean as text, got ${describe(value)}`);
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new TransformError(`expected a boolean such as "t", "f", "1" or "0", got ${describe(value)}`);
};

/** Strips the blanks CHAR(n) columns pad with. */
const trim: ValueTransform = (value) => {
  if (typeof value !== 'string') throw new TransformError(`expected text, got ${describe(value)}`);
  return value.trim();
};

/** "" -> NULL (then `nulls` decides: absent or a NULL attribute). */
const nullIfEmpty: ValueTransform = (value) => (value === '' ? null : value);

const SQL_TRANSFORMS: Record<SqlTransformName, ValueTransform> = { sqlTimestamp, sqlBoolean, trim, nullIfEmpty };

/** Resolves one reference or a chain into a function; bridge transforms run in their `toService` direction. */
export function resolveValueTransform(ref: MigrationTransformRef | MigrationTransformRef[] | undefined): ValueTransform | undefined {
  if (ref === undefined) return undefined;
  if (Array.isArray(ref)) {
    const chain = ref.map((r) => resolveValueTransform(r) as ValueTransform);
    return (value) => {
      let v = value;
      for (const t of chain) {
        if (v === undefined || v === null) return v;
        v = t(v);
      }
      return v;
    };
  }
  if (typeof ref === 'string' && Object.prototype.hasOwnProperty.call(SQL_TRANSFORMS, ref)) {
    return SQL_TRANSFORMS[ref as SqlTransformName];
  }
  const t = resolveTransform(ref as TransformName | { map: Record<string, string> });
  return t.toService;
}

export { TransformError };
