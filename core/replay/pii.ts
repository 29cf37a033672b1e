import { createHash } from 'node:crypto';
import { CutoverError } from '../errors';
import { canonicalJson } from '../compare/canonical';
import { PathMatcher, PathPatternError, type MatchState } from '../compare/path';

/**
 * PII handling at capture: a captured payload never holds the raw value of a field the spec declares as
 * personal data. Rules come from the spec (`capture.events.<TYPE>.pii`); paths are path patterns
 * (`customer.email`, `lines[*].giftMessage`, `**.phone`).
 *
 * - `drop`: the field is removed (an array item matched by index is removed from the array).
 * - `mask` with style `hash` (default): the value becomes `"masked:" + 16 hex digits` of SHA-256 over the
 *   salt and the value's canonical JSON. Equal values mask equally, so two captures of one customer still
 *   match each other and compare works on masked data; without the salt, guessing is a dictionary attack,
 *   so pass a secret salt (from the environment, never from the spec) in production.
 * - `mask` with style `last4`: a string keeps its length and last four characters, the rest become `*`
 *   (`4111111111111111` -> `************1111`); a number is masked as its decimal string; any other value is
 *   hashed as above. Four characters or fewer are fully starred.
 *
 * `null` is kept as `null` (there is nothing to hide). Masking never mutates its input.
 */
export interface PiiRule {
  readonly path: string;
  readonly action: 'mask' | 'drop';
  /** @default 'hash' */
  readonly style?: 'hash' | 'last4';
}

export interface MaskOptions {
  /** Secret mixed into hashes. @default '' */
  readonly salt?: string;
}

export class CaptureRuleError extends CutoverError {}

type Action = { readonly drop: boolean; readonly style: 'hash' | 'last4' };

export function hashMask(value: unknown, salt = ''): string {
  const digest = createHash('sha256').update(salt).update('\u0000').update(canonicalJson(value)).digest('hex');
  return `masked:${digest.slice(0, 16)}`;
}

function last4(value: unknown, salt: string): unknown {
  const s = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (s === undefined) return hashMask(value, salt);
  const chars = Array.from(s);
  if (chars.length <= 4) return '*'.repeat(chars.length);
  return '*'.repeat(chars.length - 4) + chars.slice(-4).join('');
}

function actionOf(state: MatchState<Action>): Action | undefined {
  if (state.values.length === 0) return undefined;
  if (state.memo !== undefined) return state.memo as Action;
  // Drop wins over mask; between masks the first declared style wins.
  const drop = state.values.some((v) => v.drop);
  const a: Action = drop ? { drop: true, style: 'hash' } : state.values[0];
  state.memo = a;
  return a;
}

export type PiiMasker = (payload: unknown) => unknown;

/** Compile PII rules once; the returned function masks a payload (a new value; the input is untouched). */
export function compilePiiRules(rules: readonly PiiRule[], options: MaskOptions = {}): PiiMasker {
  const salt = options.salt ?? '';
  const entries = rules.map((r, i) => {
    if (r.action !== 'mask' && r.action !== 'drop') {
      throw new CaptureRuleError(`pii[${i}] ${r.path}: action must be mask or drop, got ${JSON.stringify(r.action)}`, { rule: r });
    }
    if (r.style !== undefined && r.style !== 'hash' && r.style !== 'last4') {
      throw new CaptureRuleError(`pii[${i}] ${r.path}: style must be hash or last4, got ${JSON.stringify(r.style)}`, { rule: r });
    }
    return { pattern: r.path, value: { drop: r.action === 'drop', style: r.style ?? 'hash' } as Action };
  });
  let matcher: PathMatcher<Action>;
  try {
    matcher = new PathMatcher(entries);
  } catch (e) {
    if (e instanceof PathPatternError) throw new CaptureRuleError(`pii rule: ${e.message}`, { pattern: e.pattern }, { cause: e });
    throw e;
  }
  const DROP = Symbol('drop');

  const visit = (value: unknown, state: MatchState<Action>): unknown => {
    if (state.dead || value === undefined) return value;
    const action = actionOf(state);
    if (action) {
      if (action.drop) return DROP;
      if (value === null) return null;
      return action.style === 'last4' ? last4(value, salt) : hashMask(value, salt);
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i += 1) {
        const v = visit(value[i], state.next(i));
        if (v !== DROP) out.push(v);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = visit((value as Record<string, unknown>)[k], state.next(k));
      if (v !== DROP) out[k] = v;
    }
    return out;
  };

  return (payload) => {
    const out = visit(payload, matcher.root);
    // Dropping the whole payload leaves an empty object: a captured event always has a payload.
    return out === DROP ? {} : out;
  };
}

const compiled = new WeakMap<readonly PiiRule[], Map<string, PiiMasker>>();

/** Mask `payload` by `rules` (compiled once per rules array and salt, then cached). */
export function maskPii(payload: unknown, rules: readonly PiiRule[], options: MaskOptions = {}): unknown {
  if (rules.length === 0) return payload;
  let bySalt = compiled.get(rules);
  if (!bySalt) compiled.set(rules, (bySalt = new Map()));
  const salt = options.salt ?? '';
  let masker = bySalt.get(salt);
  if (!masker) bySalt.set(salt, (masker = compilePiiRules(rules, options)));
  return masker(payload);
}

/** DynamoDB TTL attribute (epoch seconds) for a record captured at `capturedAtMs` kept `retentionDays`. */
export function captureExpiresAt(capturedAtMs: number, retentionDays: number): number {
  if (!Number.isFinite(capturedAtMs)) throw new CaptureRuleError(`capturedAt must be epoch milliseconds, got ${String(capturedAtMs)}`);
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw new CaptureRuleError(`retentionDays must be a whole number from 1, got ${String(retentionDays)}`);
  return Math.floor(capturedAtMs / 1000) + retentionDays * 86400;
}
