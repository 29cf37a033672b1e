import { RoutingCache } from '../../core/routing/cache';
import type { RouteEntry, RoutingTable } from '../../core/routing/entry';
import type { RoutingStore } from '../dynamodb/routing-store';

/**
 * The routing table as the façade routes by it, the same way the event router does: the stored entry; the
 * spec's seed for a capability with no row yet; nothing (the monolith) for a row that failed validation.
 * Behind a `RoutingCache` whose TTL bounds how long a rollback can go unseen.
 */
export function routingTableCache(
  store: Pick<RoutingStore, 'load' | 'seedFor' | 'capabilities'>,
  ttlMs: number,
  onInvalid?: (capability: string, problems: readonly string[]) => void,
): RoutingCache<RoutingTable> {
  return new RoutingCache<RoutingTable>({
    ttlMs,
    load: async () => {
      const snapshot = await store.load();
      const table = new Map<string, RouteEntry>(snapshot.entries);
      const invalid = new Set(snapshot.invalid.map((i) => i.capability));
      for (const i of snapshot.invalid) onInvalid?.(i.capability, i.problems);
      for (const capability of store.capabilities())
        if (!table.has(capability) && !invalid.has(capability)) table.set(capability, store.seedFor(capability));
      return table;
    },
  });
}
