/**
 * Event types the kit itself puts on the buses (saga progress, routing deliveries, registry reports,
 * replay requests, sync and consistency notices). They are the kit's control plane, not the migration's
 * catalog, so the map does not ask them for a translation or a catalog schema.
 */
export const SERVICE_KIT_PREFIXES = ['cutover.', 'saga.', 'replay.', 'sync.', 'consistency.'] as const;
export const LEGACY_KIT_PREFIXES = [] as const satisfies readonly string[];
