import type { Spec } from '../spec';

/**
 * The event types that belong to a routed capability: the service events it consumes and the legacy events
 * that translate into them. A quarantined event of one of these types is evidence against the capability.
 */
export function capabilityEventTypes(spec: Spec, capability: string): Set<string> {
  const service = Object.keys(spec.routing?.capabilities[capability]?.events ?? {});
  const types = new Set(service);
  for (const t of spec.bridge.translations) if (service.includes(t.service)) types.add(t.legacy);
  return types;
}
