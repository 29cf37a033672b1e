import type { FieldSchema, ObjectField, StringField } from '../spec/field-schema';
import type { FieldMapping } from '../spec/schema';
import { resolveTransform } from '../spec/transforms';
import { defaultMaxLength, signOf, validatePayload, type ResidualProof } from '../spec/validate-payload';

/*
 * Which checks of a service payload a legacy -> service mapping cannot fail, found once per translation.
 *
 * The translator checks the legacy payload, maps it field by field and checks the service payload it built.
 * Many of those second checks re-prove what the first already proved: `orderId` copied from `ORDER_NO`
 * under the same pattern, a timestamp the transform has just written in the service format. This module
 * proves, from the two schemas and the mapping alone, which service checks cannot fail on the output of
 * any legacy payload that passed its own checks, so the translator can leave out exactly those.
 *
 * Conservative by construction: a check is left out only when a rule below covers it; anything unknown
 * (a field the legacy schema does not declare, an object copied whole, a constant, a transform not listed,
 * two mappings writing the same place, a bound the legacy side does not carry) keeps its check.
 */

/** A service path's targets under one object level, by the path's first segment. */
interface Target {
  readonly mapping: FieldMapping;
  /** The rest of the service path below this level (empty: the mapping writes this field itself). */
  readonly rest: readonly string[];
}

/**
 * Names an object answers without owning them (`constructor`, `toString`, `__proto__`...): the mapping
 * reads paths with plain property access, so an absent field of such a name reads as the prototype's.
 * Never proven.
 */
const UNSAFE_SEGMENTS = { has: (name: string): boolean => name in Object.prototype || name === 'prototype' };

/**
 * The proof for a translation to a service payload, or `undefined` when the mapping's shape rules out any
 * (overlapping targets): the translator then checks everything.
 */
export function proveServiceChecks(
  mappings: readonly FieldMapping[],
  legacy: ObjectField,
  service: ObjectField,
): ResidualProof | undefined {
  const targets: Target[] = [];
  for (const m of mappings) {
    // mapToService skips these: they write nothing.
    if (!m.service) continue;
    if (m.legacy === undefined && m.constant === undefined) continue;
    const parts = m.service.split('.');
    if (parts.some((p) => UNSAFE_SEGMENTS.has(p))) return undefined;
    targets.push({ mapping: m, rest: parts });
  }
  if (overlapping(targets.map((t) => t.rest))) return undefined;
  return proveObject(targets, legacy, service);
}

/** Two targets at the same path, or one inside another: a later write replaces or reshapes an earlier one. */
function overlapping(paths: readonly (readonly string[])[]): boolean {
  const joined = paths.map((p) => p.join('.'));
  for (let i = 0; i < joined.length; i++)
    for (let j = 0; j < joined.length; j++) {
      if (i === j) continue;
      if (joined[i] === joined[j] || joined[j].startsWith(`${joined[i]}.`)) return true;
    }
  return false;
}

function proveObject(targets: readonly Target[], legacy: ObjectField, service: ObjectField): ResidualProof {
  const byName = new Map<string, Target[]>();
  for (const t of targets) {
    const name = t.rest[0];
    const list = byName.get(name) ?? [];
    list.push({ mapping: t.mapping, rest: t.rest.slice(1) });
    byName.set(name, list);
  }
  const noUndeclared = [...byName.keys()].every((n) => Object.hasOwn(service.fields, n));
  const skip = new Set<string>();
  const nested = new Map<string, ResidualProof>();
  for (const [name, field] of Object.entries(service.fields)) {
    const here = byName.get(name);
    if (!here) {
      // Nothing writes it: absent in every output, which only a required field refuses.
      if (field.required === false) skip.add(name);
      continue;
    }
    if (here.length === 1 && here[0].rest.length === 0) {
      const m = here[0].mapping;
      if (m.items) {
        const inner = proveItems(m, legacy, field);
        if (inner) nested.set(name, inner);
      } else if (leafCannotFail(m, legacy, field)) skip.add(name);
      continue;
    }
    // Several deeper targets: setParts builds a plain object here whenever one of them writes.
    if (field.type !== 'object') continue;
    const inner = proveObject(here, legacy, field);
    const allInnerSkipped = Object.keys(field.fields).every((n) => inner.skip.has(n));
    const present = here.some((t) => alwaysWritten(t.mapping, legacy));
    const closedOk = field.additional === true || inner.noUndeclared;
    if (allInnerSkipped && closedOk && !field.rules?.length && (present || field.required === false)) skip.add(name);
    else nested.set(name, inner);
  }
  return { skip, noUndeclared, nested };
}

/** A list mapped item by item: the items' own proof, when the legacy list is one of objects. */
function proveItems(m: FieldMapping, legacyRoot: ObjectField, field: FieldSchema): ResidualProof | undefined {
  if (field.type !== 'array' || field.items.type !== 'object') return undefined;
  const source = legacyField(legacyRoot, m.legacy);
  if (!source || source.field.type !== 'array') return undefined;
  const items = source.field.items;
  // A null item maps to an empty object: the item proofs assume the item's own fields were checked.
  if (items.type !== 'object' || items.nullable === true) return undefined;
  const targets: Target[] = [];
  for (const im of m.items ?? []) {
    if (!im.service) continue;
    if (im.legacy === undefined && im.constant === undefined) continue;
    const parts = im.service.split('.');
    if (parts.some((p) => UNSAFE_SEGMENTS.has(p))) return undefined;
    targets.push({ mapping: im, rest: parts });
  }
  if (overlapping(targets.map((t) => t.rest))) return undefined;
  return proveObject(targets, items, field.items);
}

/** The legacy field a dotted path names, and whether a checked payload always holds a non-null value there. */
function legacyField(
  root: ObjectField,
  path: string | undefined,
): { field: FieldSchema; present: boolean; parentsPresent: boolean } | undefined {
  if (path === undefined) return undefined;
  const parts = path.split('.');
  let cur: ObjectField = root;
  let parentsPresent = true;
  for (let i = 0; i < parts.length; i++) {
    // An undeclared legacy field passes the legacy check under a lenient drift policy: it may hold anything.
    if (UNSAFE_SEGMENTS.has(parts[i]) || !Object.hasOwn(cur.fields, parts[i])) return undefined;
    const f = cur.fields[parts[i]];
    if (i === parts.length - 1) return { field: f, present: parentsPresent && f.required !== false && f.nullable !== true, parentsPresent };
    if (f.type !== 'object') return undefined;
    if (f.required === false || f.nullable === true) parentsPresent = false;
    cur = f;
  }
  return undefined;
}

type Named = 'identity' | 'emptyAsAbsent' | 'centsToDecimal' | 'intString' | 'legacyDateTime' | 'yesNo' | 'lowerCase' | 'other';
function transformName(m: FieldMapping): Named | 'map' {
  const t = m.transform;
  if (t === undefined) return 'identity';
  if (typeof t === 'object') return 'map';
  switch (t) {
    case 'identity':
    case 'emptyAsAbsent':
    case 'centsToDecimal':
    case 'intString':
    case 'legacyDateTime':
    case 'yesNo':
    case 'lowerCase':
      return t;
    default:
      return 'other';
  }
}

/** The mapping writes a value (never skips) for every checked legacy payload. */
function alwaysWritten(m: FieldMapping, legacyRoot: ObjectField): boolean {
  if (m.legacy === undefined || m.items) return false;
  const src = legacyField(legacyRoot, m.legacy);
  return !!src && src.present && transformName(m) !== 'emptyAsAbsent';
}

/** Every check of service field `target` passes for what mapping `m` writes from any checked legacy payload. */
function leafCannotFail(m: FieldMapping, legacyRoot: ObjectField, target: FieldSchema): boolean {
  // Constants are written as given: left to the check.
  if (m.legacy === undefined) return false;
  const src = legacyField(legacyRoot, m.legacy);
  if (!src) return false;
  const name = transformName(m);
  if (name === 'other') return false;
  const source = src.field;
  const mayBeAbsent = !src.present || name === 'emptyAsAbsent';
  // Null reaches the output only through the transforms that pass values through; the others refuse it.
  const mayBeNull = source.nullable === true && (name === 'identity' || name === 'emptyAsAbsent');
  if (mayBeAbsent && target.required !== false) return false;
  if (mayBeNull && target.nullable !== true) return false;
  // Parents may be null (read as absent), the field itself only where nullable: values below are non-null.
  const finite = finiteOutputs(m, source);
  if (finite) return finite.every((v) => passes(target, v));
  switch (name) {
    case 'identity':
    case 'emptyAsAbsent':
      return scalarContained(source, target);
    case 'legacyDateTime':
      return isoDateTimeFits(target);
    case 'centsToDecimal':
      return centsFit(source, target);
    case 'intString':
      return intFits(source, target);
    default:
      return false;
  }
}

/** Every value the mapping can write, when there are few: a legacy enum or boolean, a value map, yes/no. */
function finiteOutputs(m: FieldMapping, source: FieldSchema): unknown[] | undefined {
  let inputs: unknown[] | undefined;
  if (source.type === 'string' && source.enum) inputs = [...source.enum];
  else if (source.type === 'boolean') inputs = [true, false];
  if (!inputs) {
    if (typeof m.transform === 'object') return Object.values(m.transform.map);
    if (m.transform === 'yesNo') return [true, false];
    return undefined;
  }
  const t = resolveTransform(m.transform);
  const out: unknown[] = [];
  for (const v of inputs) {
    let mapped: unknown;
    try {
      mapped = t.toService(v);
    } catch {
      // Refused by the transform: that event is quarantined before the service check.
      continue;
    }
    if (mapped !== undefined) out.push(mapped);
  }
  return out;
}

/** The service check itself, run on one candidate value at build time. */
function passes(target: FieldSchema, value: unknown): boolean {
  const probe: ObjectField = { type: 'object', fields: { v: { ...target, required: true, nullable: false } as FieldSchema } };
  return validatePayload(probe, { v: value }).length === 0;
}

function bounded(f: StringField): boolean {
  return f.minimum !== undefined || f.exclusiveMinimum !== undefined || f.maximum !== undefined;
}

/** `strong` admits no value `weak` refuses, as a sign. */
function signImplies(strong: 'positive' | 'non-negative' | 'any', weak: 'positive' | 'non-negative' | 'any'): boolean {
  if (weak === 'any') return true;
  if (weak === 'non-negative') return strong !== 'any';
  return strong === 'positive';
}

function emptyMayPassFormat(f: StringField): boolean {
  return f.minLength === undefined && f.required === false;
}

/** Bounds of the target implied by the source's (same unit: same type, or same string format). */
function boundsImplied(
  source: { minimum?: number; exclusiveMinimum?: number; maximum?: number },
  target: { minimum?: number; exclusiveMinimum?: number; maximum?: number },
): boolean {
  if (target.minimum !== undefined) {
    const ok =
      (source.minimum !== undefined && source.minimum >= target.minimum) ||
      (source.exclusiveMinimum !== undefined && source.exclusiveMinimum >= target.minimum);
    if (!ok) return false;
  }
  if (target.exclusiveMinimum !== undefined) {
    const ok =
      (source.minimum !== undefined && source.minimum > target.exclusiveMinimum) ||
      (source.exclusiveMinimum !== undefined && source.exclusiveMinimum >= target.exclusiveMinimum);
    if (!ok) return false;
  }
  if (target.maximum !== undefined && !(source.maximum !== undefined && source.maximum <= target.maximum)) return false;
  return true;
}

/** A value copied as it is: every value the source schema admits, the target admits. Scalars only. */
function scalarContained(source: FieldSchema, target: FieldSchema): boolean {
  if (source.type === 'boolean') return target.type === 'boolean';
  if (source.type === 'integer' || source.type === 'number') {
    if (target.type !== 'number' && !(target.type === 'integer' && source.type === 'integer')) return false;
    return boundsImplied(source, target);
  }
  if (source.type !== 'string' || target.type !== 'string') return false;
  // Enums on the source are handled as finite values; an enum on the target only so.
  if (source.enum || target.enum) return false;
  if (target.pattern !== undefined && target.pattern !== source.pattern) return false;
  if (target.format !== undefined) {
    if (target.format !== source.format) return false;
    if (emptyMayPassFormat(source) && !emptyMayPassFormat(target)) return false;
  } else {
    // The target scans free text for control characters; a formatted source was never scanned.
    if (source.format !== undefined) return false;
    if (source.multiline === true && target.multiline !== true) return false;
  }
  if (target.minLength !== undefined && !((source.minLength ?? 0) >= target.minLength)) return false;
  if ((source.maxLength ?? defaultMaxLength(source)) > (target.maxLength ?? defaultMaxLength(target))) return false;
  const targetNumeric = signOf(target) !== 'any' || bounded(target);
  if (targetNumeric) {
    const sourceNumeric = signOf(source) !== 'any' || bounded(source);
    if (!sourceNumeric || target.format !== source.format) return false;
    if (!signImplies(signOf(source), signOf(target))) return false;
    if (!boundsImplied(source, target)) return false;
  }
  return true;
}

/** legacyDateTime writes "YYYY-MM-DDTHH:MM:SSZ" (20 characters, a real date) for every value it accepts. */
function isoDateTimeFits(target: FieldSchema): boolean {
  if (target.type !== 'string' || target.enum || target.pattern !== undefined) return false;
  if (target.format !== undefined && target.format !== 'iso-datetime') return false;
  if (signOf(target) !== 'any' || bounded(target)) return false;
  return (target.minLength ?? 0) <= 20 && (target.maxLength ?? defaultMaxLength(target)) >= 20;
}

/**
 * centsToDecimal writes digits, a point and two digits, with a minus exactly when the cents had one, and
 * a zero exactly when they were zero; at most one character longer than the cents (at least "0.05").
 */
function centsFit(source: FieldSchema, target: FieldSchema): boolean {
  if (source.type !== 'string' || source.format !== 'cents') return false;
  if (target.type !== 'string' || target.enum || target.pattern !== undefined || bounded(target)) return false;
  if (target.format !== undefined && target.format !== 'decimal') return false;
  if (!signImplies(signOf(source), signOf(target))) return false;
  const longest = Math.max(source.maxLength ?? defaultMaxLength(source), 4) + 1;
  return (target.minLength ?? 0) <= 4 && (target.maxLength ?? defaultMaxLength(target)) >= longest;
}

/** Patterns whose every match, read as a whole number, is at least this much. */
const PATTERN_FLOOR: Readonly<Record<string, number>> = { '^[1-9][0-9]*$': 1, '^(0|[1-9][0-9]*)$': 0 };

/** intString writes a safe integer; its lower bound comes from the source's pattern, sign or minimum. */
function intFits(source: FieldSchema, target: FieldSchema): boolean {
  if (source.type !== 'string') return false;
  if (target.type !== 'integer' && target.type !== 'number') return false;
  if (target.maximum !== undefined) return false;
  if (target.minimum === undefined && target.exclusiveMinimum === undefined) return true;
  const floors: number[] = [];
  if (source.pattern !== undefined && Object.hasOwn(PATTERN_FLOOR, source.pattern)) floors.push(PATTERN_FLOOR[source.pattern]);
  const sign = signOf(source);
  // A whole number above zero is at least one.
  if (sign === 'positive') floors.push(1);
  if (sign === 'non-negative') floors.push(0);
  // Whole-number strings carry bounds in their own unit (decimal strings are never whole numbers here).
  if (source.format !== 'decimal' && source.minimum !== undefined) floors.push(Math.ceil(source.minimum));
  if (floors.length === 0) return false;
  const floor = Math.max(...floors);
  if (target.minimum !== undefined && floor < target.minimum) return false;
  if (target.exclusiveMinimum !== undefined && floor <= target.exclusiveMinimum) return false;
  return true;
}
