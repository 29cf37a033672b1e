import type { EffectiveHealth } from '../../core/readiness';

/** What two-way sync says about one capability, or why nothing could be said. */
export type SyncFigures = { readonly lagSeconds: number; readonly openConflicts: number } | { readonly missing: string };

/** One capability's line of `cutover status`. */
export interface CapabilityStatus {
  readonly capability: string;
  /** Absent when the stored route entry is invalid (everything then goes to the monolith). */
  readonly mode?: string;
  readonly percent?: number;
  readonly candidate?: string;
  readonly health: EffectiveHealth | { readonly missing: string };
  readonly sync: SyncFigures;
  /** Events of its types quarantined in the window; a string says why the count is missing. */
  readonly quarantined: number | string;
}

export interface DeadLetterDepth {
  readonly visible?: number;
  readonly inFlight?: number;
  readonly error?: string;
}

/** One screen across capabilities, as `cutover status` prints it (or as JSON). */
export interface DeploymentStatus {
  readonly at: string;
  readonly windowMinutes: number;
  readonly capabilities: readonly CapabilityStatus[];
  /** Every dead-letter queue by name; a string says why none could be read. */
  readonly deadLetterQueues: Readonly<Record<string, DeadLetterDepth>> | string;
}

const HEAD = ['capability', 'mode', 'split', 'candidate', 'health', 'sync lag', 'conflicts', 'quarantined'] as const;

/** The status screen: a table of capabilities, then the dead-letter queues (non-empty ones flagged), then notes. */
export function renderDeploymentStatus(s: DeploymentStatus): string {
  const rows: string[][] = s.capabilities.map((c) => [
    c.capability,
    c.mode ?? 'INVALID',
    c.mode === undefined ? '-' : splitOf(c.mode, c.percent),
    c.candidate ?? '-',
    healthOf(c.health),
    'missing' in c.sync ? '-' : `${round(c.sync.lagSeconds)} s`,
    'missing' in c.sync ? '-' : String(c.sync.openConflicts),
    typeof c.quarantined === 'number' ? String(c.quarantined) : '?',
  ]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const notes: string[] = [];
  const syncMissing = [...new Set(s.capabilities.flatMap((c) => ('missing' in c.sync ? [c.sync.missing] : [])))];
  for (const m of syncMissing) notes.push(`sync: ${m}`);
  for (const c of s.capabilities) {
    if (typeof c.quarantined === 'string') notes.push(`${c.capability}: quarantine count unavailable: ${c.quarantined}`);
    if ('missing' in c.health) notes.push(`${c.capability}: health unavailable: ${c.health.missing}`);
    else if (c.health.stale)
      notes.push(`${c.capability}: the candidate's last health report is older than its TTL: it counts as unhealthy and is routed around`);
  }
  let dlq: string[];
  if (typeof s.deadLetterQueues === 'string') dlq = [`dead-letter queues: not read (${s.deadLetterQueues})`];
  else {
    const entries = Object.entries(s.deadLetterQueues).sort(([a], [b]) => a.localeCompare(b));
    const waiting = entries.filter(([, d]) => (d.visible ?? 0) + (d.inFlight ?? 0) > 0);
    const nameWidth = Math.max(0, ...entries.map(([n]) => n.length));
    dlq = [
      `dead-letter queues: ${entries.length === 0 ? 'none found' : waiting.length === 0 ? `all ${entries.length} empty` : `${waiting.length} of ${entries.length} NOT EMPTY`}`,
      ...entries.map(
        ([n, d]) =>
          `  ${n.padEnd(nameWidth)}  ${d.error !== undefined ? `unreadable: ${d.error}` : `${d.visible ?? 0} waiting${d.inFlight ? `, ${d.inFlight} in flight` : ''}${(d.visible ?? 0) + (d.inFlight ?? 0) > 0 ? '  <- look here' : ''}`}`,
      ),
    ];
  }
  return [
    `cutover status at ${s.at} (quarantine counts over the last ${s.windowMinutes} min)`,
    '',
    line(HEAD),
    ...rows.map(line),
    '',
    ...dlq,
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

function splitOf(mode: string, percent: number | undefined): string {
  if (mode === 'canary') return `${percent ?? 0}% new`;
  if (mode === 'legacy') return 'all old';
  if (mode === 'shadow') return 'old + shadow';
  return 'all new';
}

function healthOf(h: CapabilityStatus['health']): string {
  if ('missing' in h) return '?';
  return h.stale ? 'unhealthy (stale)' : h.health;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
