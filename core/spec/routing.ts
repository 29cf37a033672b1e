import { z } from 'zod';
import {
  ROUTE_MODES,
  capabilityName,
  impliedPercent,
  rollbackThresholdsSchema,
  stickyKeyName,
  targetName,
  versionLabel,
} from '../routing/model';
import type { BridgeSection } from './schema';

// Same rules as in schema.ts (which imports this file, so they are restated rather than imported).
const serviceTypeName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'service event types are dotted lower case, e.g. order.created');
const fieldPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be a dot path such as customer.id');
const eventVersion = z.number().int().positive();

/** One event type a capability consumes, and where its sticky key lives in the payload. */
export const routedEventSchema = z
  .object({
    /** Dot path of the sticky key in this event's payload, e.g. `customerId` or `customer.id`. */
    keyField: fieldPath,
  })
  .strict();

/** A new implementation of the capability (one service version). */
export const implementationSchema = z
  .object({
    /** Delivery target name for this version, e.g. `inventory-v2`. */
    target: targetName,
    description: z.string().optional(),
    /**
     * Service event versions this implementation accepts, per routed event type. An event in another
     * version is cast through the spec's upcasts when a chain exists, else quarantined with the reason.
     */
    accepts: z.record(serviceTypeName, z.array(eventVersion).min(1, 'list at least one accepted version')),
  })
  .strict();

/**
 * How one capability is routed. The spec only seeds the routing table: once an entry exists, its mode,
 * percent, health and candidate live in the table and change through `cutover route ...` (or an automatic
 * rollback) with a history record. Redeploying never overwrites a live entry.
 */
export const capabilityRoutingSchema = z
  .object({
    description: z.string().optional(),
    /** Name of the sticky key, hashed into a bucket: every routed event must carry it. */
    stickyKey: stickyKeyName,
    /** The events the capability consumes, keyed by service event type. */
    events: z.record(serviceTypeName, routedEventSchema),
    /** How the monolith is reached for this capability (through the bridge). */
    legacy: z.object({ target: targetName, description: z.string().optional() }).strict(),
    /** The new implementations, keyed by version label (`v1`, `v2`). */
    implementations: z.record(versionLabel, implementationSchema),
    /** Which implementation is the candidate when the entry is first seeded. */
    candidate: versionLabel,
    /** Mode and percent of a freshly seeded entry. @default { mode: 'legacy' } */
    initial: z
      .object({
        mode: z.enum(ROUTE_MODES),
        /** Required for canary; implied by the other modes (0 for legacy/shadow, 100 for primary/retired). */
        percent: z.number().int().min(0).max(100).optional(),
      })
      .strict()
      .default({ mode: 'legacy' }),
    /**
     * In canary, also send the events of keys still routed to the monolith to the candidate as a shadow,
     * so comparison keeps covering the whole traffic while the percent ramps. @default true
     */
    mirrorInCanary: z.boolean().default(true),
    /**
     * In primary, send the monolith a shadow copy. Only safe when the monolith can handle the
     * capability's events without side effects (a dry-run path); most cannot. @default false
     */
    legacyShadowInPrimary: z.boolean().default(false),
    /** Thresholds for automatic rollback, judged over the candidate's metrics. */
    autoRollback: rollbackThresholdsSchema,
  })
  .strict()
  .superRefine((cap, ctx) => {
    const versions = Object.keys(cap.implementations);
    if (versions.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['implementations'], message: 'declare at least one new implementation' });
    }
    if (!Object.prototype.hasOwnProperty.call(cap.implementations, cap.candidate)) {
      ctx.addIssue({
        code: 'custom',
        path: ['candidate'],
        message: `"${cap.candidate}" is not one of the implementations (${versions.join(', ') || 'none'})`,
      });
    }
    const routed = Object.keys(cap.events);
    if (routed.length === 0) ctx.addIssue({ code: 'custom', path: ['events'], message: 'route at least one event type' });
    const targets = new Map<string, string>([[cap.legacy.target, 'legacy']]);
    for (const [version, impl] of Object.entries(cap.implementations)) {
      const clash = targets.get(impl.target);
      if (clash !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['implementations', version, 'target'],
          message: `target "${impl.target}" is already used by ${clash}; each implementation needs its own target`,
        });
      }
      targets.set(impl.target, `implementation ${version}`);
      for (const type of routed) {
        if (!Object.prototype.hasOwnProperty.call(impl.accepts, type)) {
          ctx.addIssue({
            code: 'custom',
            path: ['implementations', version, 'accepts'],
            message: `says nothing about routed event ${type}: list the versions of it this implementation accepts`,
          });
        }
      }
      for (const type of Object.keys(impl.accepts)) {
        if (!routed.includes(type)) {
          ctx.addIssue({
            code: 'custom',
            path: ['implementations', version, 'accepts', type],
            message: `${type} is not among the capability's routed events (${routed.join(', ')})`,
          });
        }
      }
    }
    const implied = impliedPercent(cap.initial.mode);
    if (cap.initial.mode === 'canary' && cap.initial.percent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['initial', 'percent'], message: 'a canary needs a percent (0..100)' });
    }
    if (implied !== undefined && cap.initial.percent !== undefined && cap.initial.percent !== implied) {
      ctx.addIssue({
        code: 'custom',
        path: ['initial', 'percent'],
        message: `${cap.initial.mode} mode implies percent ${implied}, got ${cap.initial.percent}`,
      });
    }
  });

/**
 * The `routing` section of the migration spec: per capability, its implementations (the monolith and
 * one or more service versions), the sticky key and where each event carries it, the initial mode, the
 * versions each implementation accepts and the automatic rollback thresholds.
 */
export const routingSectionSchema = z
  .object({
    capabilities: z.record(capabilityName, capabilityRoutingSchema),
  })
  .strict();

export type RoutingSectionInput = z.input<typeof routingSectionSchema>;
export type RoutingSection = z.output<typeof routingSectionSchema>;
export type CapabilityRouting = z.output<typeof capabilityRoutingSchema>;
export type CapabilityRoutingInput = z.input<typeof capabilityRoutingSchema>;
export type ImplementationDef = z.output<typeof implementationSchema>;

/**
 * Checks that need the bridge section too: every routed event type exists in the service catalog, every
 * accepted version exists for it, and each event's key field is declared in its latest schema. Returns
 * one message per problem, each naming the field path (`routing.capabilities.x...`) and the value; empty
 * when all is well. Meant to be called from the spec's top-level refinement.
 */
export function routingCrossIssues(routing: RoutingSection, bridge: BridgeSection): string[] {
  const issues: string[] = [];
  for (const [capability, cap] of Object.entries(routing.capabilities)) {
    const at = `routing.capabilities.${capability}`;
    for (const [type, routedEvent] of Object.entries(cap.events)) {
      const def = bridge.serviceEvents[type];
      if (def === undefined) {
        issues.push(`${at}.events.${type}: no service event "${type}" in bridge.serviceEvents`);
        continue;
      }
      const latest = def.versions[String(def.latest)];
      if (latest !== undefined && !hasField(latest.schema, routedEvent.keyField)) {
        issues.push(`${at}.events.${type}.keyField: "${routedEvent.keyField}" is not a field of ${type} v${def.latest}`);
      }
      for (const [version, impl] of Object.entries(cap.implementations)) {
        for (const v of impl.accepts[type] ?? []) {
          if (def.versions[String(v)] === undefined) {
            issues.push(
              `${at}.implementations.${version}.accepts.${type}: version ${v} is not declared (declared: ${Object.keys(def.versions).join(', ')})`,
            );
          }
        }
      }
    }
  }
  return issues;
}

interface FieldsNode {
  readonly type?: string;
  readonly fields?: Readonly<Record<string, FieldsNode>>;
}

function hasField(schema: FieldsNode, path: string): boolean {
  let node: FieldsNode | undefined = schema;
  for (const part of path.split('.')) {
    if (node === undefined || node.fields === undefined) return false;
    node = node.fields[part];
  }
  return node !== undefined;
}
