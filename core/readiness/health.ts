/*
 * Health with a time to live. A service that declared `healthTtlSeconds` when it registered promises a
 * health report at least that often; once its last report (or, before any report, its registration) is
 * older than that, it counts as unhealthy: a service that went quiet is not trusted with traffic.
 */

export interface HealthRecord {
  /** The last reported health, if any report came in. */
  readonly health?: string;
  /** When that report came in (ISO). */
  readonly healthAt?: string;
  /** When the service registered (ISO): the clock starts here until the first report. */
  readonly registeredAt?: string;
  /** The TTL the service declared; none = reports never go stale. */
  readonly healthTtlSeconds?: number;
}

export interface EffectiveHealth {
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  /** True when the health is `unhealthy` only because the last report is older than the TTL. */
  readonly stale: boolean;
  /** Seconds since the last report (or the registration), when known. */
  readonly ageSeconds?: number;
}

/** The health to act on at `now`. A report time that cannot be read counts as stale when a TTL is declared. */
export function effectiveHealth(record: HealthRecord, now: Date): EffectiveHealth {
  const reported = record.health === 'healthy' || record.health === 'unhealthy' ? record.health : 'unknown';
  const since = record.healthAt ?? record.registeredAt;
  const ageSeconds = since === undefined || Number.isNaN(Date.parse(since)) ? undefined : (now.getTime() - Date.parse(since)) / 1000;
  const ttl = record.healthTtlSeconds;
  if (ttl === undefined || !(ttl > 0)) return { health: reported, stale: false, ...(ageSeconds !== undefined ? { ageSeconds } : {}) };
  if (ageSeconds === undefined || ageSeconds > ttl)
    return { health: 'unhealthy', stale: reported !== 'unhealthy', ...(ageSeconds !== undefined ? { ageSeconds } : {}) };
  return { health: reported, stale: false, ageSeconds };
}
