import fc from 'fast-check';
import { parseSpec } from '../../core/spec';
import type { FieldSchema, ObjectField } from '../../core/spec/field-schema';
import { interpretedObjectCheck, validatePayloadDetailed, type Sink } from '../../core/spec/validate-payload';
import { isIso, isIsoBySchema } from '../../core/events/envelope-schema';
import config from '../../cutover.config';
import { objectArbitrary } from './translate-arbitraries';

/*
 * The object checkers are written out per schema node (specialisedObjectCheck). Each is held to the
 * interpreted loop it replaced, on every object node of every schema in the reference spec, for valid
 * payloads and for payloads broken in the ways a producer breaks them (missing, null, wrong-typed and
 * undeclared fields, inherited keys), in both modes (undeclared fields as problems, or collected).
 */
const spec = parseSpec(config);

function objectNodes(field: FieldSchema, out: ObjectField[]): ObjectField[] {
  if (field.type === 'object') {
    out.push(field);
    for (const f of Object.values(field.fields)) objectNodes(f, out);
  } else if (field.type === 'array') objectNodes(field.items, out);
  return out;
}

const nodes: [string, ObjectField][] = [];
for (const [type, def] of Object.entries(spec.bridge.legacyEvents))
  objectNodes(def.schema, []).forEach((n, i) => nodes.push([`${type}#${i}`, n]));
for (const [type, def] of Object.entries(spec.bridge.serviceEvents))
  for (const [version, v] of Object.entries(def.versions))
    objectNodes(v.schema, []).forEach((n, i) => nodes.push([`${type} v${version}#${i}`, n]));

/** A payload of `schema`, then damaged: fields dropped, nulled, replaced by anything, undeclared ones added. */
function damaged(schema: ObjectField): fc.Arbitrary<Record<string, unknown>> {
  const names = Object.keys(schema.fields);
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), name: fc.constantFrom(...names) }),
    fc.record({ kind: fc.constant('null' as const), name: fc.constantFrom(...names) }),
    fc.record({ kind: fc.constant('set' as const), name: fc.constantFrom(...names), value: fc.anything() }),
    fc.record({ kind: fc.constant('set' as const), name: fc.constantFrom('EXTRA', 'toString', '__x', '_cutover'), value: fc.anything() }),
  );
  return fc.tuple(objectArbitrary(schema), fc.array(edit, { maxLength: 4 })).map(([payload, edits]) => {
    const out: Record<string, unknown> = { ...payload };
    for (const e of edits) {
      if (e.kind === 'drop') delete out[e.name];
      else if (e.kind === 'null') out[e.name] = null;
      else out[e.name] = e.value;
    }
    return out;
  });
}

function run(
  check: ReturnType<typeof interpretedObjectCheck>,
  value: Record<string, unknown>,
  collect: boolean,
  ignore: readonly string[],
) {
  const sink: Sink = { problems: [], unknown: collect ? [] : undefined };
  check(value, 'p', sink, ignore);
  return sink;
}

describe('Function: validatePayloadDetailed (object checkers written out per schema node)', () => {
  it.each(nodes)('%s: gives the problems and undeclared fields of the interpreted checker', (_name, schema) => {
    const reference = interpretedObjectCheck(schema);
    // The specialised checker, reached the way the validator reaches it, at the top level.
    const specialised = (value: Record<string, unknown>, collect: boolean, ignore: readonly string[]) => {
      const sink: Sink = { problems: [], unknown: collect ? [] : undefined };
      const r = validatePayloadDetailed(schema, value, { unknownFields: collect ? 'collect' : 'problem', ignoreKeys: ignore });
      sink.problems.push(...r.problems.map((p) => `p.${p}`));
      return { problems: sink.problems, unknownFields: r.unknownFields };
    };
    fc.assert(
      fc.property(
        fc.oneof(objectArbitrary(schema), damaged(schema)),
        fc.boolean(),
        fc.constantFrom([], ['_cutover']),
        (value, collect, ignore) => {
          const want = run(reference, value, collect, ignore);
          const got = specialised(value, collect, ignore);
          expect(got.problems).toEqual(want.problems.map((p) => (p.startsWith('p.') || p.startsWith('p[') ? p : `p.${p}`)));
          const wantUnknown = collect ? [...new Set(want.unknown!.map((p) => p.replace(/^p\./, '').replace(/\[[0-9]+\]/g, '[]')))] : [];
          expect(got.unknownFields).toEqual(wantUnknown);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads only own fields: an inherited value is missing, an inherited key is not undeclared', () => {
    const schema = nodes[0][1];
    const proto = { [Object.keys(schema.fields)[0]]: 'inherited', INHERITED_EXTRA: 1 };
    const value = Object.create(proto) as Record<string, unknown>;
    const want = run(interpretedObjectCheck(schema), value, false, []).problems;
    expect(want.some((p) => p.includes(': is required but missing') || p.length > 0)).toBe(true);
    expect(validatePayloadDetailed(schema, value).problems.map((p) => `p.${p}`)).toEqual(want);
  });
});

describe('Function: isIso (date-time fast path of the envelope checks)', () => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
  // Date-time shaped text, in and out of range, with 0-4 fraction digits and Z or an offset or junk at the end.
  const dateLike = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
      two(14),
      two(32),
      two(25),
      two(61),
      two(61),
      fc.constantFrom('', '.1', '.12', '.123', '.1234', '.x'),
      fc.constantFrom('Z', 'z', '+01:00', '', ' Z'),
      fc.constantFrom('T', ' ', 't'),
    )
    .map(([y, mo, d, h, mi, s, frac, zone, t]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${frac}${zone}`);

  it('says what the schema test says, for date-like text and anything else', () => {
    fc.assert(
      fc.property(fc.oneof(dateLike, fc.string(), fc.anything()), (v) => {
        expect(isIso(v)).toBe(isIsoBySchema(v));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes real and unreal dates the way Date.parse does', () => {
    expect(isIso('2026-11-21T14:30:00Z')).toBe(true);
    expect(isIso('2026-11-21T14:30:00.123Z')).toBe(true);
    expect(isIso('2024-02-29T00:00:00Z')).toBe(true);
    expect(isIso('2026-11-21T14:30:00+01:00')).toBe(true);
    expect(isIso('2026-13-21T14:30:00Z')).toBe(false);
    expect(isIso('2026-11-21 14:30:00Z')).toBe(false);
  });
});
