import { bucketOf } from '../../../core/routing/bucket';
import { parseRouteEntry, seedEntry, type RouteEntry } from '../../../core/routing';
import type { Spec } from '../../../core/spec';

/** The routing table as the saga's decision handler reads it: one entry per capability, editable by the test. */
export class RoutingTableStub {
  public readonly entries = new Map<string, RouteEntry>();
  public reads = 0;
  public constructor(private readonly spec: Spec) {}

  public async getEntry(capability: string): Promise<RouteEntry | undefined> {
    this.reads++;
    return this.entries.get(capability);
  }

  public seedFor(capability: string): RouteEntry {
    return seedEntry(capability, this.spec.routing!.capabilities[capability], new Date());
  }

  /** Sets a capability's mode and percent, as `cutover route` would (a new revision). */
  public set(capability: string, mode: RouteEntry['mode'], percent: number): void {
    const current = this.entries.get(capability) ?? this.seedFor(capability);
    this.entries.set(
      capability,
      parseRouteEntry({ ...current, mode, percent, health: 'healthy', revision: current.revision + 1, reason: `test: ${mode} ${percent}` }),
    );
  }
}

/**
 * Fresh order ids from `base` in steps of `stride`, each on the asked side of a 50% split: a bucket below 50
 * (the service) or at/above it (the monolith).
 */
export function orderIdsOn(base: number, stride: number): (side: 'service' | 'monolith') => string {
  let seq = 0;
  return (side) => {
    for (;;) {
      const id = String(base + ++seq * stride);
      if (bucketOf(id) < 50 === (side === 'service')) return id;
    }
  };
}
