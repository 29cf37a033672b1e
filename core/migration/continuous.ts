import type { Item } from './attribute-value';
import { makeCanonicalizer, type CanonicalOptions } from './canonical';
import { compareItems, type FieldDiff } from './compare';
import type { CompiledEntity, RowReject, SqlRow, SqlValue } from './mapping';
import type { KeyValues } from './segments';

/**
 * Continuous validation: while both sides are live (the monolith still writes, the services read), a
 * scheduled job checks a rolling sample of rows and raises `consistency.divergence` for each real
 * difference. Rows changed within the lag tolerance are in flight (the sync has not caught up yet), not
 * divergent: they are counted and looked at again in a later sample.
 *
 * This file is the pure core: which rows to sample next, how to judge them, the event's shape. A Lambda
 * wraps it with a source reader and DynamoDB reads.
 */

export const DIVERGENCE_EVENT_SOURCE = 'cutover.migration';
export const DIVERGENCE_DETAIL_TYPE = 'consistency.divergence';
export const DEFAULT_LAG_SECONDS = 60;

/** Where the sweep is: it walks the key space in windows and starts over at the end (a new lap). */
export interface SweepState {
  readonly cursor: KeyValues | null;
  readonly lap: number;
}

/**
 * The rows to read next. `sweep`: the next `limit` rows in key order after `after`, so over laps every
 * row is checked. `recent`: rows updated in [from, to) (newest first, at most `limit`), so fresh changes
 * are checked soon after the lag has passed. Times are ISO 8601 UTC.
 */
export type SampleQuery =
  | { readonly kind: 'sweep'; readonly after: KeyValues | null; readonly limit: number }
  | { readonly kind: 'recent'; readonly from: string; readonly to: string; readonly limit: number };

export function startSweep(): SweepState {
  return { cursor: null, lap: 0 };
}

export function sweepQuery(state: SweepState, limit: number): SampleQuery {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`sample size must be a whole number >= 1, got ${limit}`);
  return { kind: 'sweep', after: state.cursor, limit };
}

/** The state after a sweep window: on past the last key read, or back to the start when the table ended. */
export function advanceSweep(state: SweepState, lastKey: KeyValues | null, rowsRead: number, limit: number): SweepState {
  if (rowsRead < limit || lastKey === null) return { cursor: null, lap: state.lap + 1 };
  return { cursor: [...lastKey], lap: state.lap };
}

/** Rows updated in the `lookbackSeconds` before the lag window, i.e. changes that should have arrived. */
export function recentQuery(now: Date, lagSeconds: number, lookbackSeconds: number, limit: number): SampleQuery {
  const to = new Date(now.getTime() - lagSeconds * 1000);
  const from = new Date(to.getTime() - lookbackSeconds * 1000);
  return { kind: 'recent', from: from.toISOString(), to: to.toISOString(), limit };
}

/** A row read for the sample: the root row with its child rows (as the mapping wants them). */
export interface SampledRow {
  readonly row: SqlRow;
  readonly children: readonly (readonly SqlRow[])[];
}

export type DivergenceKind = 'missing' | 'extra' | 'different';

export interface Divergence {
  readonly entity: string;
  readonly kind: DivergenceKind;
  /** The item key (canonical.ts `keyText`). */
  readonly itemKey: string;
  /** The root row's key columns, when the source has the row. */
  readonly rowKey?: Record<string, SqlValue>;
  readonly fields?: readonly FieldDiff[];
  /** The source row's last-modified time, when the entity declares `source.updatedAt`. */
  readonly sourceUpdatedAt?: string;
}

export interface SampleVerdict {
  readonly checked: number;
  readonly matched: number;
  readonly divergences: Divergence[];
  /** Differences on rows changed within the lag: not alarms. */
  readonly inFlight: Divergence[];
  readonly rejected: RowReject[];
}

/** Parses SQL timestamp text (UTC) or ISO text into epoch milliseconds; NaN when it cannot. */
export function parseUtc(text: string): number {
  const iso = /[zZ]|[+-]\d\d(:?\d\d)?$/.test(text) ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`;
  return Date.parse(iso.replace(/([+-]\d\d)$/, '$1:00'));
}

export interface JudgeOptions extends CanonicalOptions {
  readonly now: Date;
  /** @default 60 */
  readonly lagSeconds?: number;
}

/**
 * Judges a sample: maps each source row, compares with the target items fetched for it (by key, plus the
 * rest of each partition for item collections), and sorts the differences into divergences and in-flight.
 * `targetItems` holds every target item fetched for the sample, whatever entity it belongs to.
 */
export function judgeSample(
  entity: CompiledEntity,
  rows: readonly SampledRow[],
  targetItems: readonly Item[],
  options: JudgeOptions,
): SampleVerdict {
  const lagMs = (options.lagSeconds ?? DEFAULT_LAG_SECONDS) * 1000;
  const canonical = makeCanonicalizer(options);
  const target = new Map<string, Item>();
  for (const item of targetItems) if (entity.owns(item)) target.set(entity.keyOf(item), item);

  const divergences: Divergence[] = [];
  const inFlight: Divergence[] = [];
  const rejected: RowReject[] = [];
  const seen = new Set<string>();
  const partitionsOfRow = new Map<string, { rowKey: Record<string, SqlValue>; updatedAt?: string }>();
  let checked = 0;
  let matched = 0;

  const file = (d: Divergence, updatedAt: string | undefined) => {
    const t = updatedAt === undefined ? NaN : parseUtc(updatedAt);
    if (!Number.isNaN(t) && options.now.getTime() - t < lagMs) inFlight.push(d);
    else divergences.push(d);
  };

  for (const { row, children } of rows) {
    const rowKey = entity.rootKey(row);
    const updatedAt = entity.root.updatedAtIndex === undefined ? undefined : (row[entity.root.updatedAtIndex] ?? undefined);
    const result = entity.mapRow(row, children);
    if (result.reject) {
      rejected.push(result.reject);
      continue;
    }
    for (const item of result.items) {
      checked++;
      const key = entity.keyOf(item);
      seen.add(key);
      partitionsOfRow.set(JSON.stringify(item[entity.keyAttributes[0]]), { rowKey, updatedAt });
      const actual = target.get(key);
      const base = { entity: entity.name, itemKey: key, rowKey, ...(updatedAt ? { sourceUpdatedAt: updatedAt } : {}) };
      if (!actual) {
        file({ ...base, kind: 'missing' }, updatedAt);
      } else if (canonical(item) === canonical(actual)) {
        matched++;
      } else {
        const fields = compareItems(item, actual, options);
        if (fields.length === 0) matched++;
        else file({ ...base, kind: 'different', fields }, updatedAt);
      }
    }
  }
  // Items of this entity in a sampled partition that no sampled row produced: left behind in the target.
  for (const [key, item] of target) {
    if (seen.has(key)) continue;
    const owner = partitionsOfRow.get(JSON.stringify(item[entity.keyAttributes[0]]));
    if (!owner) continue;
    checked++;
    file(
      {
        entity: entity.name,
        kind: 'extra',
        itemKey: key,
        rowKey: owner.rowKey,
        ...(owner.updatedAt ? { sourceUpdatedAt: owner.updatedAt } : {}),
      },
      owner.updatedAt,
    );
  }
  return { checked, matched, divergences, inFlight, rejected };
}

export interface DivergenceEvent {
  readonly source: typeof DIVERGENCE_EVENT_SOURCE;
  readonly detailType: typeof DIVERGENCE_DETAIL_TYPE;
  readonly detail: {
    readonly entity: string;
    readonly table: string;
    readonly kind: DivergenceKind;
    readonly itemKey: string;
    readonly rowKey?: Record<string, SqlValue>;
    readonly fields?: readonly { path: string; kind: string; detail: string }[];
    readonly sourceUpdatedAt?: string;
    readonly detectedAt: string;
    readonly lagSeconds: number;
    readonly sample: SampleQuery;
  };
}

/** The event put on the services bus for one divergence (one event per item, so alarms can count them). */
export function divergenceEvent(
  d: Divergence,
  context: { table: string; detectedAt: Date; lagSeconds: number; sample: SampleQuery },
): DivergenceEvent {
  return {
    source: DIVERGENCE_EVENT_SOURCE,
    detailType: DIVERGENCE_DETAIL_TYPE,
    detail: {
      entity: d.entity,
      table: context.table,
      kind: d.kind,
      itemKey: d.itemKey,
      ...(d.rowKey ? { rowKey: d.rowKey } : {}),
      ...(d.fields ? { fields: d.fields.map((f) => ({ path: f.path, kind: f.kind, detail: f.detail })) } : {}),
      ...(d.sourceUpdatedAt ? { sourceUpdatedAt: d.sourceUpdatedAt } : {}),
      detectedAt: context.detectedAt.toISOString(),
      lagSeconds: context.lagSeconds,
      sample: context.sample,
    },
  };
}

/**
 * Rows of one entity the rolling sweep covers in a day: half of each run's rows go to the sweep (the other
 * half to recent changes), times the runs a day. A full pass over N rows takes N / this many days.
 */
export function sweepRowsPerDay(rowsPerRun: number, scheduleSeconds: number): number {
  return Math.max(1, Math.floor(rowsPerRun / 2)) * Math.floor(86_400 / scheduleSeconds);
}
