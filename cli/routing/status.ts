import type { RouteEntry, RouteHistoryRecord } from '../../core/routing';

/** One capability's line of `cutover route status`. */
export interface StatusRow {
  readonly capability: string;
  /** `undefined` when the row is invalid (see `problems`): the router then sends everything to the monolith. */
  readonly entry?: RouteEntry;
  /** True when no row is stored yet and the spec seed applies. */
  readonly seeded?: boolean;
  readonly problems?: readonly string[];
  /** Registered versions (`v1`, `v2*` marks the candidate). */
  readonly versions: readonly string[];
  readonly legacy?: RateFigures;
  readonly candidate?: RateFigures;
}

/** A side's figures over the status window; a figure left out means "no data". */
export interface RateFigures {
  readonly deliveries: number;
  readonly errorRate?: number;
  readonly p95LatencyMs?: number;
  readonly comparisons?: number;
  readonly mismatchRate?: number;
}

const COLUMNS = [
  'capability',
  'mode',
  '%',
  'candidate',
  'versions',
  'health',
  'err legacy',
  'err new',
  'mismatch',
  'p95 new',
  'rev',
  'last change',
] as const;

/** The status table as aligned text: a header, one line per capability, and notes for invalid rows. */
export function renderStatusTable(rows: readonly StatusRow[], windowMinutes: number): string {
  const lines: string[][] = [[...COLUMNS]];
  const notes: string[] = [];
  for (const r of rows) {
    const e = r.entry;
    if (e === undefined) {
      lines.push([r.capability, 'INVALID', '-', '-', r.versions.join(',') || '-', '-', '-', '-', '-', '-', '-', 'routes to the monolith']);
      notes.push(`${r.capability}: the stored row is invalid, so every event goes to the monolith: ${(r.problems ?? []).join('; ')}`);
      continue;
    }
    lines.push([
      r.capability,
      e.mode,
      String(e.percent),
      `${e.candidate.version} (${e.candidate.target})`,
      r.versions.length > 0 ? r.versions.join(',') : '-',
      e.health,
      rate(r.legacy?.errorRate, r.legacy?.deliveries),
      rate(r.candidate?.errorRate, r.candidate?.deliveries),
      rate(r.candidate?.mismatchRate, r.candidate?.comparisons),
      r.candidate?.p95LatencyMs === undefined ? '-' : `${Math.round(r.candidate.p95LatencyMs)} ms`,
      String(e.revision),
      r.seeded ? 'not stored yet (spec seed)' : `${e.updatedAt.slice(0, 19)}Z ${e.updatedBy}: ${truncate(e.reason, 48)}`,
    ]);
  }
  const widths = COLUMNS.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const text = lines.map((l) =>
    l
      .map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
  return [
    ...text,
    '',
    `rates over the last ${windowMinutes} min: errors per delivery (legacy vs new), mismatches per compared shadow event; "-" = no data`,
    ...notes,
  ].join('\n');
}

/** `12.5% (8)`: the rate and the number of samples behind it. */
function rate(value: number | undefined, samples: number | undefined): string {
  if (value === undefined || !samples) return '-';
  return `${Number((value * 100).toFixed(1))}% (${samples})`;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** One history record as a line: revision, time, who, what moved, why. */
export function renderHistoryLine(h: RouteHistoryRecord): string {
  const from = `${h.from.mode}${h.from.mode === 'canary' ? ` ${h.from.percent}%` : ''}`;
  const to = `${h.to.mode}${h.to.mode === 'canary' ? ` ${h.to.percent}%` : ''}`;
  const moved = [
    from !== to ? `${from} -> ${to}` : undefined,
    h.from.health !== h.to.health ? `health ${h.from.health} -> ${h.to.health}` : undefined,
    h.from.candidate.version !== h.to.candidate.version || h.from.candidate.target !== h.to.candidate.target
      ? `candidate ${h.from.candidate.version} -> ${h.to.candidate.version} (${h.to.candidate.target})`
      : undefined,
    h.from.mirrorInCanary !== h.to.mirrorInCanary ? `mirrorInCanary ${h.to.mirrorInCanary}` : undefined,
    h.from.legacyShadowInPrimary !== h.to.legacyShadowInPrimary ? `legacyShadowInPrimary ${h.to.legacyShadowInPrimary}` : undefined,
  ].filter(Boolean);
  return `#${String(h.revision).padEnd(4)} ${h.at}  ${h.actor.padEnd(24)} ${h.change.kind.padEnd(12)} ${moved.join(', ') || '(no visible change)'}\n      why: ${h.reason}`;
}
