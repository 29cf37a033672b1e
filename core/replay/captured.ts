/**
 * The captured-interaction format, and the checks every captured record passes before it is replayed.
 *
 * An interaction is one legacy input event and the outcome events the monolith emitted for it (linked by
 * correlationId at capture). The JSONL export (`cutover capture export`, read by `cutover rehearse`) holds
 * one interaction per line:
 *
 *   {
 *     "format": 1,                      optional; absent means 1. Any other value is skipped (unknown-version).
 *     "id": "9f1c...",                  unique per interaction; the replay checkpoint and reports name it.
 *     "capturedAt": "2026-03-01T10:15:02.120Z",   ISO 8601 time the input was captured.
 *     "sequence": 17,                   optional; breaks ties within one millisecond (capture order).
 *     "correlationId": "c-77",          optional; links the input to its outcomes.
 *     "entity": { "type": "order", "key": "A-1001" },   whose events must replay in order.
 *     "input":    { "type": "ORDER_PLACED", "version": 1, "payload": { ... } },
 *     "outcomes": [ { "type": "order.created", "version": 1, "payload": { ... } } ]
 *   }
 *
 * Outcomes are stored in the model they will be compared in (translated by the bridge at export time), so
 * a rehearsal compares like with like. Payloads are PII-masked at capture (see pii.ts). A record that fails
 * a check becomes a `SkippedRecord` naming the field and the value: it is reported, never silently lost.
 */
export interface RecordedEvent {
  readonly type: string;
  readonly version?: number;
  readonly payload: unknown;
}

export interface EntityRefValue {
  readonly type: string;
  readonly key: string;
}

export interface CapturedInteraction {
  readonly format?: 1;
  readonly id: string;
  readonly capturedAt: string;
  readonly sequence?: number;
  readonly correlationId?: string;
  readonly entity: EntityRefValue;
  readonly input: RecordedEvent;
  readonly outcomes: readonly RecordedEvent[];
}

export const CAPTURE_FORMAT_VERSION = 1;

export type SkipCode =
  'truncated-json' | 'invalid-json' | 'invalid-record' | 'missing-field' | 'invalid-field' | 'unknown-version' | 'duplicate-id';

/** A captured record that cannot be replayed, and why. `id` is `line:N` when the record has no readable id. */
export interface SkippedRecord {
  readonly id: string;
  readonly line?: number;
  readonly code: SkipCode;
  readonly reason: string;
  readonly field?: string;
  readonly value?: unknown;
}

export interface ValidateOptions {
  /** Versions the target knows per event type; a version outside the list is skipped as unknown. */
  readonly knownVersions?: (eventType: string) => readonly number[] | undefined;
  /** Line number in the export, for messages. */
  readonly line?: number;
}

export type ValidationOutcome =
  { readonly ok: true; readonly interaction: CapturedInteraction } | { readonly ok: false; readonly skipped: SkippedRecord };

function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch {
    s = undefined;
  }
  if (s === undefined) s = String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

class Reject {
  public constructor(
    public readonly code: SkipCode,
    public readonly field: string,
    public readonly reason: string,
    public readonly value?: unknown,
  ) {}
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function requireString(obj: Record<string, unknown>, key: string, field: string): string {
  const v = obj[key];
  if (v === undefined || v === null) throw new Reject('missing-field', field, `missing field ${field}`);
  if (typeof v !== 'string' || v.length === 0)
    throw new Reject('invalid-field', field, `${field} must be a non-empty string, got ${preview(v)}`, v);
  return v;
}

function checkEvent(v: unknown, field: string, options: ValidateOptions): RecordedEvent {
  if (v === undefined || v === null) throw new Reject('missing-field', field, `missing field ${field}`);
  if (!isObject(v)) throw new Reject('invalid-field', field, `${field} must be an object, got ${preview(v)}`, v);
  const type = requireString(v, 'type', `${field}.type`);
  const version = v.version;
  if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version) || version < 1)) {
    throw new Reject(
      'invalid-field',
      `${field}.version`,
      `${field}.version must be a whole number from 1, got ${preview(version)}`,
      version,
    );
  }
  if (!('payload' in v) || v.payload === undefined) throw new Reject('missing-field', `${field}.payload`, `missing field ${field}.payload`);
  const known = options.knownVersions?.(type);
  if (known && version !== undefined && !known.includes(version)) {
    throw new Reject(
      'unknown-version',
      `${field}.version`,
      `${field}.version ${version} of ${type} is not known (known: ${known.join(', ')})`,
      version,
    );
  }
  return version === undefined ? { type, payload: v.payload } : { type, version, payload: v.payload };
}

function checkInteraction(value: unknown, options: ValidateOptions): CapturedInteraction {
  if (!isObject(value))
    throw new Reject('invalid-record', '$', `a captured interaction must be a JSON object, got ${preview(value)}`, value);
  if (value.format !== undefined && value.format !== CAPTURE_FORMAT_VERSION) {
    throw new Reject(
      'unknown-version',
      'format',
      `format ${preview(value.format)} is not known (known: ${CAPTURE_FORMAT_VERSION})`,
      value.format,
    );
  }
  const id = requireString(value, 'id', 'id');
  const capturedAt = requireString(value, 'capturedAt', 'capturedAt');
  if (!Number.isFinite(Date.parse(capturedAt))) {
    throw new Reject('invalid-field', 'capturedAt', `capturedAt must be an ISO 8601 time, got ${preview(capturedAt)}`, capturedAt);
  }
  const sequence = value.sequence;
  if (sequence !== undefined && (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0)) {
    throw new Reject('invalid-field', 'sequence', `sequence must be a whole number from 0, got ${preview(sequence)}`, sequence);
  }
  const correlationId = value.correlationId;
  if (correlationId !== undefined && typeof correlationId !== 'string') {
    throw new Reject('invalid-field', 'correlationId', `correlationId must be a string, got ${preview(correlationId)}`, correlationId);
  }
  const entity = value.entity;
  if (entity === undefined || entity === null) throw new Reject('missing-field', 'entity', 'missing field entity');
  if (!isObject(entity)) throw new Reject('invalid-field', 'entity', `entity must be an object, got ${preview(entity)}`, entity);
  const entityType = requireString(entity, 'type', 'entity.type');
  let key = entity.key;
  if (typeof key === 'number' && Number.isFinite(key)) key = String(key);
  if (key === undefined || key === null) throw new Reject('missing-field', 'entity.key', 'missing field entity.key');
  if (typeof key !== 'string' || key.length === 0)
    throw new Reject('invalid-field', 'entity.key', `entity.key must be a non-empty string, got ${preview(key)}`, key);
  const input = checkEvent(value.input, 'input', options);
  const outcomesRaw = value.outcomes;
  if (outcomesRaw === undefined || outcomesRaw === null) throw new Reject('missing-field', 'outcomes', 'missing field outcomes');
  if (!Array.isArray(outcomesRaw))
    throw new Reject('invalid-field', 'outcomes', `outcomes must be an array, got ${preview(outcomesRaw)}`, outcomesRaw);
  const outcomes = outcomesRaw.map((o, i) => checkEvent(o, `outcomes[${i}]`, options));
  return {
    ...(value.format !== undefined ? { format: CAPTURE_FORMAT_VERSION } : {}),
    id,
    capturedAt,
    ...(sequence !== undefined ? { sequence: sequence as number } : {}),
    ...(correlationId !== undefined ? { correlationId: correlationId as string } : {}),
    entity: { type: entityType, key },
    input,
    outcomes,
  };
}

function idOf(value: unknown, line: number | undefined): string {
  if (isObject(value) && typeof value.id === 'string' && value.id.length > 0) return value.id;
  return line !== undefined ? `line:${line}` : 'unknown';
}

/** Check a parsed record against the format. */
export function validateCapturedInteraction(value: unknown, options: ValidateOptions = {}): ValidationOutcome {
  try {
    return { ok: true, interaction: checkInteraction(value, options) };
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    const at = options.line !== undefined ? `line ${options.line}: ` : '';
    return {
      ok: false,
      skipped: {
        id: idOf(value, options.line),
        ...(options.line !== undefined ? { line: options.line } : {}),
        code: e.code,
        reason: `${at}${e.reason}`,
        field: e.field,
        ...(e.value !== undefined ? { value: e.value } : {}),
      },
    };
  }
}

/**
 * True when the text ends inside a string or with brackets left open: the writer was cut off, as opposed
 * to a record that is complete but malformed.
 */
export function looksTruncated(text: string): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92 /* \ */) escaped = true;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) depth += 1;
    else if (c === 125 /* } */ || c === 93 /* ] */) depth -= 1;
  }
  return inString || depth > 0;
}

const ID_IN_TEXT = /"id"\s*:\s*"((?:[^"\\]|\\.){1,200})"/;

/**
 * Parse and check one JSONL line. Blank lines return `undefined` (not a record). A line that is not JSON
 * is skipped as truncated (cut off mid-record) or invalid, with the id recovered from the text if possible.
 */
export function parseCapturedLine(text: string, line: number, options: Omit<ValidateOptions, 'line'> = {}): ValidationOutcome | undefined {
  if (text.trim().length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = ID_IN_TEXT.exec(text);
    const id = m ? m[1] : `line:${line}`;
    const truncated = looksTruncated(text);
    const detail = (e as Error).message;
    return {
      ok: false,
      skipped: {
        id,
        line,
        code: truncated ? 'truncated-json' : 'invalid-json',
        reason: truncated
          ? `line ${line}: truncated JSON (the record ends after ${text.length} characters, inside an unfinished value)`
          : `line ${line}: invalid JSON (${detail})`,
        field: '$',
      },
    };
  }
  return validateCapturedInteraction(value, { ...options, line });
}

/** Serialise an interaction as one export line (no trailing newline). */
export function formatCapturedLine(interaction: CapturedInteraction): string {
  return JSON.stringify(interaction);
}
