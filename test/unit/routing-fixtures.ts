import { parseRouteEntry } from '../../core/routing';
import type { RouteEntry } from '../../core/routing';

/** A valid inventory entry; override any field. Goes through the real parser, so fixtures obey the model. */
export function routeEntry(overrides: Partial<Record<keyof RouteEntry, unknown>> = {}): RouteEntry {
  const mode = (overrides.mode as string | undefined) ?? 'legacy';
  const implied: Record<string, number> = { legacy: 0, shadow: 0, canary: 30, primary: 100, retired: 100 };
  return parseRouteEntry({
    capability: 'inventory',
    mode,
    percent: implied[mode],
    legacy: { target: 'monolith' },
    candidate: { version: 'v2', target: 'inventory-v2' },
    stickyKey: 'orderId',
    mirrorInCanary: false,
    legacyShadowInPrimary: false,
    health: 'healthy',
    updatedAt: '2026-11-21T10:00:00.000Z',
    updatedBy: 'ops@example.com',
    reason: 'fixture',
    revision: 7,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  });
}

/** Deterministic pseudo-random keys (mulberry32), so statistical checks cannot flake. */
export function randomKeys(count: number, seed: number): string[] {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const keys: string[] = [];
  for (let i = 0; i < count; i++)
    keys.push(
      `C${Math.floor(next() * 1e8)
        .toString()
        .padStart(8, '0')}-${Math.floor(next() * 1e6)}`,
    );
  return keys;
}
