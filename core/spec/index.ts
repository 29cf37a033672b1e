import type { z } from 'zod';
import { SpecError } from '../errors';
import { getPath } from '../events/paths';
import { castPlan } from './cast';
import type { FieldSchema, ObjectField } from './field-schema';
import { specSchema, type FieldMapping, type Spec, type SpecInput } from './schema';
import { ruleIssues, validatePayload } from './validate-payload';
import { routingCrossIssues } from './routing';
import { captureReferenceIssues } from './capture';
import { checkSagaSection } from '../saga/spec-check';
import { buildApiModels } from '../api/model';
import { syncIssues } from './sync';
import { compileSyncEntity } from '../sync/mapping';
import { readinessCrossIssues } from './readiness';

export * from './schema';
export { validatePayload, validatePayloadDetailed } from './validate-payload';
export { castPayload, castPlan } from './cast';
export * from './readiness';

/** A check across sections that the zod shape cannot express. Returns problems as `path: message`. */
export type SpecCheck = (spec: Spec) => string[];

/**
 * Every cross-section rule `parseSpec` runs, listed here rather than registered by the modules that own
 * them: a rule that only ran when its module happened to be imported (the saga's did) was skipped by
 * `cdk synth` and `cutover spec check`, which never import it.
 */
export const SPEC_CHECKS: readonly SpecCheck[] = [
  (spec) => checkBridge(spec),
  (spec) => (spec.routing ? routingCrossIssues(spec.routing, spec.bridge) : []),
  (spec) => captureReferenceIssues(spec),
  (spec) => checkSagaSection(spec),
  (spec) => checkApiSection(spec),
  (spec) => checkSyncSection(spec),
  (spec) =>
    spec.readiness
      ? readinessCrossIssues(
          spec.readiness,
          Object.keys(spec.routing?.capabilities ?? {}),
          spec.migration ? Object.keys(spec.migration.entities) : undefined,
        )
      : [],
  (spec) => checkFacadeSection(spec),
];

/** The sync section against the migration entities it syncs (clocks, fallbacks, attributes that cannot go back). */
function checkSyncSection(spec: Spec): string[] {
  if (!spec.sync) return [];
  const entities = spec.migration?.entities ?? {};
  const compiled = new Map<string, ReturnType<typeof compileSyncEntity>>();
  const mapping = (name: string) => {
    if (!compiled.has(name)) compiled.set(name, compileSyncEntity(name, entities[name]));
    return compiled.get(name)!;
  };
  const irreversible = (name: string) => (entities[name] ? mapping(name).irreversible : []);
  const unsynced = (name: string) => (entities[name] ? mapping(name).unsynced : []);
  return syncIssues(spec.sync, entities, irreversible, unsynced).map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** Every façade route's capability is one the routing section routes (the same table moves both). */
function checkFacadeSection(spec: Spec): string[] {
  if (!spec.facade) return [];
  const known = Object.keys(spec.routing?.capabilities ?? {});
  return spec.facade.routes.flatMap((r, i) =>
    r.capability !== undefined && !known.includes(r.capability)
      ? [
          `facade.routes[${i}].capability: "${r.capability}" is not a routing capability (known: ${known.join(', ') || 'none: add a routing section'})`,
        ]
      : [],
  );
}

/** The api section against the migration entities it exposes (keys, filters that would scan, versions). */
function checkApiSection(spec: Spec): string[] {
  if (!spec.api) return [];
  try {
    buildApiModels(spec.api, spec.migration);
    return [];
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
}

const extraChecks: SpecCheck[] = [];
/** For rules outside the reference sections (a user's own); the built-in ones are in SPEC_CHECKS. */
export function registerSpecCheck(check: SpecCheck): void {
  if (!SPEC_CHECKS.includes(check) && !extraChecks.includes(check)) extraChecks.push(check);
}

function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    return `${path || '(spec)'}: ${issue.message}`;
  });
}

/** Validates a spec and returns it typed; throws `SpecError` listing every problem with its field path. */
export function parseSpec(input: unknown): Spec {
  const parsed = specSchema.safeParse(input);
  if (!parsed.success) throw new SpecError(formatZodIssues(parsed.error));
  const spec = parsed.data;
  const problems = [...SPEC_CHECKS, ...extraChecks].flatMap((c) => c(spec));
  if (problems.length > 0) throw new SpecError(problems);
  return spec;
}

/** Typed identity for cutover.config.ts: the editor checks the shape, `parseSpec` checks the rest. */
export function defineSpec(spec: SpecInput): SpecInput {
  return spec;
}

function fieldAt(schema: ObjectField, path: string): FieldSchema | undefined {
  let cur: FieldSchema | undefined = schema;
  for (const part of path.split('.')) {
    if (!cur || cur.type !== 'object') return undefined;
    cur = cur.fields[part];
  }
  return cur;
}

function checkMappings(
  fields: readonly FieldMapping[],
  legacy: ObjectField,
  service: ObjectField,
  where: string,
  problems: string[],
): void {
  fields.forEach((f, i) => {
    const at = `${where}[${i}]`;
    if (f.legacy !== undefined && !fieldAt(legacy, f.legacy))
      problems.push(`${at}.legacy: ${JSON.stringify(f.legacy)} is not a field of the legacy schema`);
    if (f.service !== undefined && !fieldAt(service, f.service))
      problems.push(`${at}.service: ${JSON.stringify(f.service)} is not a field of the service schema`);
    if (f.transform && typeof f.transform === 'object') {
      const values = Object.values(f.transform.map);
      if (new Set(values).size !== values.length) problems.push(`${at}.transform.map: values must be distinct so the map can be reversed`);
    }
    if (f.items) {
      const l = f.legacy ? fieldAt(legacy, f.legacy) : undefined;
      const s = f.service ? fieldAt(service, f.service) : undefined;
      if (l?.type !== 'array' || l.items.type !== 'object' || s?.type !== 'array' || s.items.type !== 'object') {
        problems.push(`${at}.items: item mappings need a list of objects on both sides`);
      } else {
        checkMappings(f.items, l.items, s.items, `${at}.items`, problems);
      }
    }
  });
}

function checkBridge(spec: Spec): string[] {
  const problems: string[] = [];
  const { legacyEvents, serviceEvents, translations } = spec.bridge;
  for (const [type, def] of Object.entries(legacyEvents)) {
    const at = `bridge.legacyEvents.${type}`;
    if (!fieldAt(def.schema, def.idField)) problems.push(`${at}.idField: ${JSON.stringify(def.idField)} is not a field of the schema`);
    if (!fieldAt(def.schema, def.entity.keyField))
      problems.push(`${at}.entity.keyField: ${JSON.stringify(def.entity.keyField)} is not a field of the schema`);
    if (def.timeField !== undefined) {
      const tf = fieldAt(def.schema, def.timeField);
      if (tf?.type !== 'string' || tf.format !== 'legacy-datetime')
        problems.push(`${at}.timeField: ${JSON.stringify(def.timeField)} is not a legacy-datetime field of the schema`);
    }
    rulesIssues(def.schema, `${at}.schema`, problems);
    def.examples.forEach((ex, i) => {
      for (const p of validatePayload(def.schema, ex)) problems.push(`${at}.examples[${i}].${p}`);
    });
  }
  for (const [type, def] of Object.entries(serviceEvents)) {
    const at = `bridge.serviceEvents.${type}`;
    const versions = Object.keys(def.versions)
      .map(Number)
      .sort((a, b) => a - b);
    if (!def.versions[String(def.latest)]) problems.push(`${at}.latest: version ${def.latest} is not declared in versions`);
    versions.forEach((v, i) => {
      if (v !== i + 1) problems.push(`${at}.versions: versions must run 1, 2, ... without gaps (found ${versions.join(', ')})`);
    });
    for (let v = 1; v < versions.length; v++) {
      if (!castPlan(def, v, v + 1)) problems.push(`${at}.upcasts: no upcast from version ${v} to ${v + 1}`);
    }
    for (const [v, vdef] of Object.entries(def.versions)) {
      rulesIssues(vdef.schema, `${at}.versions.${v}.schema`, problems);
      if (!fieldAt(vdef.schema, def.entity.keyField))
        problems.push(`${at}.versions.${v}: entity key ${JSON.stringify(def.entity.keyField)} is not a field of the schema`);
      vdef.examples.forEach((ex, i) => {
        for (const p of validatePayload(vdef.schema, ex)) problems.push(`${at}.versions.${v}.examples[${i}].${p}`);
      });
    }
  }
  const toService = new Map<string, number>();
  const toLegacy = new Map<string, number>();
  translations.forEach((t, i) => {
    const at = `bridge.translations[${i}]`;
    const l = legacyEvents[t.legacy];
    const s = serviceEvents[t.service];
    if (!l) problems.push(`${at}.legacy: ${JSON.stringify(t.legacy)} is not declared in bridge.legacyEvents`);
    if (!s) problems.push(`${at}.service: ${JSON.stringify(t.service)} is not declared in bridge.serviceEvents`);
    const v = s?.versions[String(t.serviceVersion)];
    if (s && !v) problems.push(`${at}.serviceVersion: ${t.serviceVersion} is not a version of ${t.service}`);
    const dir = t.direction ?? 'both';
    if (dir !== 'toLegacy') {
      if (toService.has(t.legacy))
        problems.push(`${at}.legacy: ${t.legacy} is already translated to services by translations[${toService.get(t.legacy)}]`);
      toService.set(t.legacy, i);
    }
    if (dir !== 'toService') {
      if (toLegacy.has(t.service))
        problems.push(`${at}.service: ${t.service} is already translated to legacy by translations[${toLegacy.get(t.service)}]`);
      toLegacy.set(t.service, i);
    }
    if (l && v) checkMappings(t.fields, l.schema, v.schema, `${at}.fields`, problems);
  });
  return problems;
}

/** The rules of an object schema and of every object inside it. */
function rulesIssues(schema: ObjectField, at: string, problems: string[]): void {
  (schema.rules ?? []).forEach((r, i) => {
    for (const issue of ruleIssues(schema, r)) problems.push(`${at}.rules[${i}].${issue}`);
  });
  for (const [name, field] of Object.entries(schema.fields)) {
    const inner = field.type === 'array' ? field.items : field;
    if (inner.type === 'object') rulesIssues(inner, `${at}.fields.${name}`, problems);
  }
}

export { getPath };
