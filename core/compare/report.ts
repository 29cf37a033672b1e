import type { SkippedRecord } from '../replay/captured';
import type { Diff, DiffKind } from './comparator';
import type { InteractionComparison } from './interaction';

/**
 * The diff report of one replay (or rehearsal): totals, the differing fields ranked by how often they
 * differ, a few example pairs per field, missing/extra outcomes per type, noise, skipped records and
 * handler failures. It accumulates one interaction at a time in bounded memory (counts plus at most a few
 * examples per field), so it suits 10^5..10^6 interactions. `toJSON()` is the stable, versioned form the
 * renderers take, so a saved report can be rendered again later.
 */
export interface ReportTotals {
  /** Every record read: compared + failed + skippedInvalid. */
  readonly read: number;
  readonly compared: number;
  readonly matched: number;
  readonly differed: number;
  readonly missingOutcome: number;
  readonly extraOutcome: number;
  readonly skippedInvalid: number;
  /** The new service threw (or timed out) instead of producing outcomes. */
  readonly failed: number;
  /** Matched interactions that had differences, all explained by noise. */
  readonly matchedWithNoise: number;
}

export interface OutcomeTotals {
  readonly paired: number;
  readonly matched: number;
  readonly differed: number;
  readonly missing: number;
  readonly extra: number;
}

export interface ReportExample {
  readonly interactionId: string;
  readonly path: string;
  readonly kind: DiffKind;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

export interface RankedField {
  readonly outcomeType: string;
  readonly field: string;
  /** Differences seen (an interaction with three differing line items counts three). */
  readonly count: number;
  /** Interactions with at least one difference here. */
  readonly interactions: number;
  readonly kinds: Readonly<Record<DiffKind, number>>;
  readonly examples: readonly ReportExample[];
}

export interface RankedOutcomeType {
  readonly outcomeType: string;
  readonly missing: number;
  readonly extra: number;
  /** Of those, explained by noise (the monolith's own count varies). */
  readonly noise: number;
  readonly examples: readonly string[];
}

export interface DiffReportJson {
  readonly reportVersion: 1;
  readonly replayId?: string;
  readonly target?: string;
  readonly source?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly totals: ReportTotals;
  readonly outcomes: OutcomeTotals;
  readonly fieldsRanked: readonly RankedField[];
  readonly outcomeTypesRanked: readonly RankedOutcomeType[];
  readonly noiseRanked: readonly RankedField[];
  readonly skipped: {
    readonly byCode: ReadonlyArray<{ readonly code: string; readonly count: number }>;
    readonly examples: readonly SkippedRecord[];
  };
  readonly failures: {
    readonly byName: ReadonlyArray<{ readonly name: string; readonly count: number }>;
    readonly examples: ReadonlyArray<{ readonly interactionId: string; readonly name: string; readonly message: string }>;
  };
  /** Any interaction had more differences than the comparator lists; counts are then lower bounds. */
  readonly truncatedInteractions: number;
}

export interface DiffReportMeta {
  readonly replayId?: string;
  readonly target?: string;
  readonly source?: string;
  readonly startedAt?: string;
}

export interface DiffReportOptions {
  /** @default 3 */
  readonly examplesPerField?: number;
  /** @default 20 */
  readonly maxSkippedExamples?: number;
  /** @default 20 */
  readonly maxFailureExamples?: number;
  /** Longest JSON text kept for an example value; longer ones are cut and marked. @default 500 */
  readonly maxExampleChars?: number;
}

interface FieldAcc {
  outcomeType: string;
  field: string;
  count: number;
  interactions: number;
  lastInteraction: string | undefined;
  kinds: Record<DiffKind, number>;
  examples: ReportExample[];
}

function rankFields(map: Map<string, FieldAcc>): RankedField[] {
  return [...map.values()]
    .sort(
      (a, b) =>
        b.count - a.count ||
        b.interactions - a.interactions ||
        (a.outcomeType < b.outcomeType ? -1 : a.outcomeType > b.outcomeType ? 1 : a.field < b.field ? -1 : a.field > b.field ? 1 : 0),
    )
    .map((f) => ({
      outcomeType: f.outcomeType,
      field: f.field,
      count: f.count,
      interactions: f.interactions,
      kinds: { ...f.kinds },
      examples: [...f.examples],
    }));
}

export class DiffReport {
  private readonly t = {
    read: 0,
    compared: 0,
    matched: 0,
    differed: 0,
    missingOutcome: 0,
    extraOutcome: 0,
    skippedInvalid: 0,
    failed: 0,
    matchedWithNoise: 0,
  };
  private readonly o = { paired: 0, matched: 0, differed: 0, missing: 0, extra: 0 };
  private readonly fields = new Map<string, FieldAcc>();
  private readonly noise = new Map<string, FieldAcc>();
  private readonly outcomeTypes = new Map<string, { missing: number; extra: number; noise: number; examples: string[] }>();
  private readonly skippedByCode = new Map<string, number>();
  private readonly skippedExamples: SkippedRecord[] = [];
  private readonly failuresByName = new Map<string, number>();
  private readonly failureExamples: Array<{ interactionId: string; name: string; message: string }> = [];
  private truncated = 0;
  private finishedAt: string | undefined;
  private readonly examplesPerField: number;
  private readonly maxSkipped: number;
  private readonly maxFailures: number;
  private readonly maxChars: number;

  public constructor(
    private readonly meta: DiffReportMeta = {},
    options: DiffReportOptions = {},
  ) {
    this.examplesPerField = options.examplesPerField ?? 3;
    this.maxSkipped = options.maxSkippedExamples ?? 20;
    this.maxFailures = options.maxFailureExamples ?? 20;
    this.maxChars = options.maxExampleChars ?? 500;
  }

  public get totals(): ReportTotals {
    return { ...this.t };
  }

  /** Keep example values small: a huge payload is cut to a marked preview string. */
  private clip(v: unknown): unknown {
    if (v === undefined || v === null || typeof v !== 'object') {
      if (typeof v === 'string' && v.length > this.maxChars) return `${v.slice(0, this.maxChars)}... (${v.length} characters)`;
      return v;
    }
    const s = JSON.stringify(v);
    if (s.length <= this.maxChars) return v;
    return `${s.slice(0, this.maxChars)}... (${s.length} characters of JSON)`;
  }

  private addDiff(map: Map<string, FieldAcc>, type: string, interactionId: string, d: Diff): void {
    const key = `${type}\u0000${d.field}`;
    let acc = map.get(key);
    if (!acc) {
      acc = {
        outcomeType: type,
        field: d.field,
        count: 0,
        interactions: 0,
        lastInteraction: undefined,
        kinds: { changed: 0, missing: 0, extra: 0, type: 0 },
        examples: [],
      };
      map.set(key, acc);
    }
    acc.count += 1;
    acc.kinds[d.kind] += 1;
    if (acc.lastInteraction !== interactionId) {
      acc.interactions += 1;
      acc.lastInteraction = interactionId;
      // One example per interaction, so the few examples show different cases.
      if (acc.examples.length < this.examplesPerField) {
        acc.examples.push({
          interactionId,
          path: d.path,
          kind: d.kind,
          ...(d.expected !== undefined ? { expected: this.clip(d.expected) } : {}),
          ...(d.actual !== undefined ? { actual: this.clip(d.actual) } : {}),
        });
      }
    }
  }

  private outcomeType(type: string) {
    let acc = this.outcomeTypes.get(type);
    if (!acc) this.outcomeTypes.set(type, (acc = { missing: 0, extra: 0, noise: 0, examples: [] }));
    return acc;
  }

  public addComparison(c: InteractionComparison): void {
    this.t.read += 1;
    this.t.compared += 1;
    let anyNoise = false;
    let anyTruncated = false;
    for (const o of c.outcomes) {
      if (o.status === 'missing' || o.status === 'extra') {
        const acc = this.outcomeType(o.type);
        if (o.status === 'missing') {
          this.o.missing += 1;
          acc.missing += 1;
        } else {
          this.o.extra += 1;
          acc.extra += 1;
        }
        if (o.noise) {
          acc.noise += 1;
          anyNoise = true;
        }
        if (acc.examples.length < this.examplesPerField && !acc.examples.includes(c.id)) acc.examples.push(c.id);
        continue;
      }
      this.o.paired += 1;
      if (o.status === 'matched') this.o.matched += 1;
      else this.o.differed += 1;
      if (o.truncated) anyTruncated = true;
      for (const d of o.diffs) this.addDiff(this.fields, o.type, c.id, d);
      for (const d of o.noiseDiffs) {
        anyNoise = true;
        this.addDiff(this.noise, o.type, c.id, d);
      }
    }
    if (anyTruncated) this.truncated += 1;
    switch (c.status) {
      case 'matched':
        this.t.matched += 1;
        if (anyNoise) this.t.matchedWithNoise += 1;
        break;
      case 'differed':
        this.t.differed += 1;
        break;
      case 'missing-outcome':
        this.t.missingOutcome += 1;
        break;
      case 'extra-outcome':
        this.t.extraOutcome += 1;
        break;
    }
  }

  public addSkipped(s: SkippedRecord): void {
    this.t.read += 1;
    this.t.skippedInvalid += 1;
    this.skippedByCode.set(s.code, (this.skippedByCode.get(s.code) ?? 0) + 1);
    if (this.skippedExamples.length < this.maxSkipped) {
      this.skippedExamples.push(s.value !== undefined ? { ...s, value: this.clip(s.value) } : s);
    }
  }

  /** The new service failed on this interaction (threw, timed out): no outcome to compare. */
  public addFailure(interactionId: string, error: { name?: string; message?: string }): void {
    this.t.read += 1;
    this.t.failed += 1;
    const name = error.name ?? 'Error';
    this.failuresByName.set(name, (this.failuresByName.get(name) ?? 0) + 1);
    if (this.failureExamples.length < this.maxFailures) {
      this.failureExamples.push({ interactionId, name, message: String(this.clip(error.message ?? '')) });
    }
  }

  public finish(at: Date = new Date()): this {
    this.finishedAt = at.toISOString();
    return this;
  }

  public toJSON(): DiffReportJson {
    const byCount = <K extends string>(m: Map<string, number>, key: K) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([k, count]) => ({ [key]: k, count }) as { [P in K]: string } & { count: number });
    return {
      reportVersion: 1,
      ...(this.meta.replayId !== undefined ? { replayId: this.meta.replayId } : {}),
      ...(this.meta.target !== undefined ? { target: this.meta.target } : {}),
      ...(this.meta.source !== undefined ? { source: this.meta.source } : {}),
      ...(this.meta.startedAt !== undefined ? { startedAt: this.meta.startedAt } : {}),
      ...(this.finishedAt !== undefined ? { finishedAt: this.finishedAt } : {}),
      totals: { ...this.t },
      outcomes: { ...this.o },
      fieldsRanked: rankFields(this.fields),
      outcomeTypesRanked: [...this.outcomeTypes.entries()]
        .map(([outcomeType, a]) => ({ outcomeType, missing: a.missing, extra: a.extra, noise: a.noise, examples: [...a.examples] }))
        .sort((a, b) => b.missing + b.extra - (a.missing + a.extra) || (a.outcomeType < b.outcomeType ? -1 : 1)),
      noiseRanked: rankFields(this.noise),
      skipped: { byCode: byCount(this.skippedByCode, 'code'), examples: [...this.skippedExamples] },
      failures: { byName: byCount(this.failuresByName, 'name'), examples: [...this.failureExamples] },
      truncatedInteractions: this.truncated,
    };
  }
}
