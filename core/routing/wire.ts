import type { RoutingSection } from '../spec/routing';
import type { Side } from './model';

/**
 * The wire contract of routing: what the router puts on the services bus, what the control plane emits,
 * and the metric names the implementations publish and the alarms watch. Pure constants and helpers, so
 * the CDK constructs, the handlers and the CLI agree without importing each other.
 */

/** EventBridge `source` of every routed copy. The router's own rule never matches it (no loops). */
export const ROUTER_SOURCE = 'cutover.router';

/**
 * EventBridge `detail-type` of every routed copy. Deliberately not the original type: a rule written for
 * `order.created` (a saga starter, the bridge's service -> legacy translator) must not see the copies the
 * router makes of it. The original type travels as `detail.metadata.eventType`.
 */
export const ROUTED_DETAIL_TYPE = 'cutover.routed';

/** `source` of the routing control plane's own events (changes, rollbacks). */
export const ROUTING_SOURCE = 'cutover.routing';

/** Emitted after every committed change of a route entry. */
export const ROUTE_CHANGED_TYPE = 'cutover.route-changed';
/** Emitted after every rollback, manual or automatic. */
export const ROLLED_BACK_TYPE = 'cutover.rolled-back';
/** A service announces itself: capability, version, target, the events it accepts and emits. */
export const SERVICE_REGISTERED_TYPE = 'cutover.service-registered';
/** A service reports its health: `healthy | unhealthy | unknown`, with a reason. */
export const SERVICE_HEALTH_TYPE = 'cutover.service-health';

/** The EventBridge pattern delivering one (capability, target)'s routed copies. */
export function routedTargetPattern(
  capability: string,
  target: string,
): {
  source: string[];
  detailType: string[];
  detail: { metadata: { routing: { capability: string[]; target: string[] } } };
} {
  return {
    source: [ROUTER_SOURCE],
    detailType: [ROUTED_DETAIL_TYPE],
    detail: { metadata: { routing: { capability: [capability], target: [target] } } },
  };
}

/** Every service event type some capability routes, sorted (the router rule's detail-type list). */
export function routedEventTypes(routing: RoutingSection | undefined): string[] {
  if (routing === undefined) return [];
  const types = new Set<string>();
  for (const cap of Object.values(routing.capabilities)) for (const type of Object.keys(cap.events)) types.add(type);
  return [...types].sort();
}

/** Every (capability, target) pair the spec can route to: the monolith's and each implementation's. */
export function routedTargets(
  routing: RoutingSection | undefined,
): Array<{ capability: string; target: string; side: Side; version?: string }> {
  if (routing === undefined) return [];
  const out: Array<{ capability: string; target: string; side: Side; version?: string }> = [];
  for (const [capability, cap] of Object.entries(routing.capabilities)) {
    out.push({ capability, target: cap.legacy.target, side: 'legacy' });
    for (const [version, impl] of Object.entries(cap.implementations))
      out.push({ capability, target: impl.target, side: 'candidate', version });
  }
  return out;
}

// --- metrics ----------------------------------------------------------------------------------------------

/** CloudWatch namespace of the routing metrics. */
export const ROUTING_METRIC_NAMESPACE = 'Cutover/Routing';

/**
 * The per-delivery metrics. Rates are published as 0/1 samples so the `Average` statistic *is* the rate
 * and `SampleCount` the number of deliveries: an alarm needs no metric math (which MiniStack cannot deploy)
 * and the auto-rollback can judge `minSamples` from the same series.
 *  - `ErrorRate`: 1 when the implementation failed on a copy, else 0.
 *  - `LatencyMs`: handling time of a copy.
 *  - `MismatchRate`: 1 when a shadow outcome differed from the authoritative one, else 0 (published once
 *    per compared event, under the candidate side).
 */
export const ROUTING_METRICS = ['ErrorRate', 'LatencyMs', 'MismatchRate'] as const;
export type RoutingMetric = (typeof ROUTING_METRICS)[number];

/**
 * The metric name of one capability, side and measure, e.g. `inventory.candidate.ErrorRate`. The name is
 * unique per series (dimensions `Capability` and `Side` are added too) because MiniStack ignores dimensions
 * when it evaluates alarms: a name shared across capabilities would let one capability's data move
 * another's alarm.
 */
export function routingMetricName(capability: string, side: Side, metric: RoutingMetric): string {
  return `${capability}.${side}.${metric}`;
}

/** The dimensions published with every routing metric (AWS uses them; the name alone is unique too). */
export function routingMetricDimensions(capability: string, side: Side): Array<{ Name: string; Value: string }> {
  return [
    { Name: 'Capability', Value: capability },
    { Name: 'Side', Value: side },
  ];
}

/** The alarm name for a capability's threshold, e.g. `cutover-inventory-ErrorRate` (with an optional prefix). */
export function rollbackAlarmName(prefix: string, capability: string, metric: RoutingMetric): string {
  return `${prefix}-${capability}-${metric}`;
}
