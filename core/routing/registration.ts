import { RoutingError } from './errors';
import type { Health } from './model';
import type { RoutingSection } from '../spec/routing';

/** A service registration or health report does not match the spec (names the field and the value). */
export class ServiceRegistrationError extends RoutingError {}

/** One registered service version of a capability: what it says it accepts and emits, and its last health. */
export interface ServiceRegistration {
  readonly capability: string;
  /** The implementation's version label in the spec (`v2`). */
  readonly version: string;
  /** Its delivery target (`inventory-v2`): must be the spec's target for that version. */
  readonly target: string;
  /** A free-form service name for humans (`inventory-service`). */
  readonly service: string;
  /** Per routed event type, the versions it accepts (overrides the spec's list once registered). */
  readonly accepts: Readonly<Record<string, readonly number[]>>;
  readonly emits: readonly string[];
  readonly registeredAt: string;
  readonly registeredBy: string;
  readonly health?: Health;
  readonly healthReason?: string;
  readonly healthAt?: string;
  /** The service promises a health report at least this often; past it, it counts as unhealthy. */
  readonly healthTtlSeconds?: number;
}

/**
 * Everything wrong with a registration against the spec: the capability exists, the version is one of its
 * implementations with that target, and every event the capability routes is accepted in a declared version.
 * Each problem names the field and the value; empty when the registration is valid.
 */
export function registrationProblems(
  routing: RoutingSection,
  serviceEvents: Readonly<Record<string, { readonly versions: Readonly<Record<string, unknown>> }>> | undefined,
  input: { capability: string; version: string; target: string; accepts: Record<string, number[]>; emits?: string[] },
): string[] {
  const cap = Object.prototype.hasOwnProperty.call(routing.capabilities, input.capability)
    ? routing.capabilities[input.capability]
    : undefined;
  if (cap === undefined)
    return [`capability: ${JSON.stringify(input.capability)} is not routed by the spec (${Object.keys(routing.capabilities).join(', ')})`];
  const problems: string[] = [];
  const impl = Object.prototype.hasOwnProperty.call(cap.implementations, input.version) ? cap.implementations[input.version] : undefined;
  if (impl === undefined) {
    problems.push(
      `version: ${JSON.stringify(input.version)} is not an implementation of ${input.capability} (${Object.keys(cap.implementations).join(', ')})`,
    );
  } else if (impl.target !== input.target) {
    problems.push(
      `target: ${input.capability} ${input.version} delivers to ${JSON.stringify(impl.target)}, got ${JSON.stringify(input.target)}`,
    );
  }
  if (input.accepts === null || typeof input.accepts !== 'object' || Array.isArray(input.accepts)) {
    return [...problems, `accepts: must map event types to version lists, got ${JSON.stringify(input.accepts)}`];
  }
  for (const [type, versions] of Object.entries(input.accepts)) {
    if (!Object.prototype.hasOwnProperty.call(cap.events, type)) {
      problems.push(`accepts.${type}: ${input.capability} does not route ${type} (it routes ${Object.keys(cap.events).join(', ')})`);
      continue;
    }
    if (!Array.isArray(versions) || versions.length === 0 || versions.some((v) => !Number.isInteger(v) || v < 1)) {
      problems.push(`accepts.${type}: must be a non-empty list of whole versions >= 1, got ${JSON.stringify(versions)}`);
      continue;
    }
    const declared = serviceEvents?.[type]?.versions;
    if (declared !== undefined) {
      for (const v of versions)
        if (declared[String(v)] === undefined)
          problems.push(`accepts.${type}: version ${v} is not declared (declared: ${Object.keys(declared).join(', ')})`);
    }
  }
  for (const type of Object.keys(cap.events)) {
    if (!Object.prototype.hasOwnProperty.call(input.accepts, type))
      problems.push(`accepts: says nothing about ${type}, which ${input.capability} routes`);
  }
  if (input.emits !== undefined && (!Array.isArray(input.emits) || input.emits.some((e) => typeof e !== 'string' || e === ''))) {
    problems.push(`emits: must be a list of event types, got ${JSON.stringify(input.emits)}`);
  }
  return problems;
}
