import type { ObservedLatency } from './model';

/*
 * Measured step durations from the audit log. The saga puts `saga.step-started` and `saga.step-succeeded`
 * on the services bus (with `metadata.occurredAt`, the state's entered time in ms) and the audit writer
 * files them in the order's stream, so one stream holds one order's run. Pure: the adapter feeds entries.
 */

/** The fields of an audit entry the overlay reads. */
export interface ObservedEntry {
  readonly stream: string;
  readonly detailType?: string;
  readonly eventTime?: string;
  readonly recordedAt?: string;
  readonly payload: string;
}

/** One saga run (one audit stream): when each action started and succeeded, in ms since the epoch. */
export interface ObservedRun {
  readonly stream: string;
  readonly actions: Readonly<Record<string, { readonly startMs?: number; readonly endMs?: number }>>;
}

export interface ObservedHops {
  readonly runs: readonly ObservedRun[];
  /** Entries read, and those that could not be used (unparseable payload or time), for the summary. */
  readonly entriesRead: number;
  readonly entriesSkipped: number;
}

const STARTED = 'saga.step-started';
const SUCCEEDED = 'saga.step-succeeded';

/** Collects runs from audit entries in any order; keeps the first start and the first success after it. */
export class HopObserver {
  private readonly runs = new Map<string, Map<string, { startMs?: number; endMs?: number }>>();
  private read = 0;
  private skipped = 0;

  public add(entry: ObservedEntry): void {
    this.read++;
    if (entry.detailType !== STARTED && entry.detailType !== SUCCEEDED) return;
    let detail: { metadata?: { occurredAt?: unknown }; data?: { step?: unknown } };
    try {
      detail = JSON.parse(entry.payload) as typeof detail;
    } catch {
      this.skipped++;
      return;
    }
    const step = detail?.data?.step;
    const at = Date.parse(String(detail?.metadata?.occurredAt ?? entry.eventTime ?? entry.recordedAt ?? ''));
    if (typeof step !== 'string' || Number.isNaN(at)) {
      this.skipped++;
      return;
    }
    const run = this.runs.get(entry.stream) ?? new Map<string, { startMs?: number; endMs?: number }>();
    this.runs.set(entry.stream, run);
    const t = run.get(step) ?? {};
    if (entry.detailType === STARTED) t.startMs = t.startMs === undefined ? at : Math.min(t.startMs, at);
    else t.endMs = t.endMs === undefined ? at : Math.min(t.endMs, at);
    run.set(step, t);
  }

  public result(): ObservedHops {
    const runs = [...this.runs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([stream, actions]) => ({ stream, actions: Object.fromEntries(actions) }));
    return { runs, entriesRead: this.read, entriesSkipped: this.skipped };
  }
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; undefined for none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function summarise(samples: readonly number[]): ObservedLatency | undefined {
  if (samples.length === 0) return undefined;
  return { p50Ms: percentile(samples, 50)!, p95Ms: percentile(samples, 95)!, samples: samples.length };
}

/** Durations of one action over every run that both started and succeeded it (a succeeded-before-start run is skipped). */
export function durationsOf(hops: ObservedHops, action: string): number[] {
  const out: number[] = [];
  for (const run of hops.runs) {
    const t = run.actions[action];
    if (t?.startMs !== undefined && t.endMs !== undefined && t.endMs >= t.startMs) out.push(t.endMs - t.startMs);
  }
  return out;
}

/** End to end over a path: runs that completed every action, from the first start to the last success. */
export function pathDurations(hops: ObservedHops, actions: readonly string[]): number[] {
  const out: number[] = [];
  for (const run of hops.runs) {
    const first = run.actions[actions[0]]?.startMs;
    const last = run.actions[actions[actions.length - 1]]?.endMs;
    if (first === undefined || last === undefined || last < first) continue;
    if (actions.every((a) => run.actions[a]?.endMs !== undefined)) out.push(last - first);
  }
  return out;
}
