import type { RecordedEvent } from '../replay/captured';
import type { Diff } from './comparator';
import type { RuleBook } from './rule-book';

/**
 * Comparing one interaction: the outcome events the monolith recorded against those the new service
 * produced for the same input, both in the same (service) model.
 *
 * Outcomes are paired by type, and within a type by order of occurrence (the first `order.created` with
 * the first). Order across types is not compared: a service may emit `payment.taken` before
 * `order.confirmed` where the monolith did the reverse. An expected outcome with no partner is missing;
 * an actual one with no partner is extra. Differences the noise profile explains are kept apart and do
 * not make the interaction differ.
 */
export type OutcomeStatus = 'matched' | 'differed' | 'missing' | 'extra';

export interface OutcomeComparison {
  readonly type: string;
  /** 0 for the first outcome of this type, 1 for the second... */
  readonly occurrence: number;
  readonly status: OutcomeStatus;
  /** Differences that count. */
  readonly diffs: readonly Diff[];
  /** Differences the noise profile explains. */
  readonly noiseDiffs: readonly Diff[];
  readonly truncated: boolean;
  /** A missing/extra outcome of a type whose count varies between monolith recordings too. */
  readonly noise?: boolean;
  readonly expected?: RecordedEvent;
  readonly actual?: RecordedEvent;
}

export type InteractionStatus = 'matched' | 'differed' | 'missing-outcome' | 'extra-outcome';

export interface InteractionComparison {
  readonly id: string;
  readonly status: InteractionStatus;
  readonly outcomes: readonly OutcomeComparison[];
}

/**
 * What a comparison asks of a noise profile. `NoiseProfile` (noise.ts) implements it; naming the shape here
 * keeps noise.ts (which compares recordings with `compareOutcomes`) and this file from importing each other.
 */
export interface NoiseLookup {
  hasType(type: string): boolean;
  isNoise(type: string, field: string): boolean;
  isCountNoise(type: string): boolean;
}

export interface CompareOutcomesOptions {
  readonly rules: RuleBook;
  readonly noise?: NoiseLookup;
}

function groupByType(events: readonly RecordedEvent[]): Map<string, RecordedEvent[]> {
  const out = new Map<string, RecordedEvent[]>();
  for (const e of events) {
    let list = out.get(e.type);
    if (!list) out.set(e.type, (list = []));
    list.push(e);
  }
  return out;
}

const VERSION_FIELD = '$version';

function compareOne(
  type: string,
  occurrence: number,
  expected: RecordedEvent,
  actual: RecordedEvent,
  options: CompareOutcomesOptions,
): OutcomeComparison {
  const result = options.rules.comparatorFor(type).compare(expected.payload, actual.payload);
  let all: Diff[] = result.diffs;
  if (expected.version !== undefined && actual.version !== undefined && expected.version !== actual.version) {
    all = [{ path: VERSION_FIELD, field: VERSION_FIELD, kind: 'changed', expected: expected.version, actual: actual.version }, ...all];
  }
  const noise = options.noise;
  let diffs: Diff[] = all;
  let noiseDiffs: Diff[] = [];
  if (noise && all.length > 0 && noise.hasType(type)) {
    diffs = [];
    noiseDiffs = [];
    for (const d of all) (noise.isNoise(type, d.field) ? noiseDiffs : diffs).push(d);
  }
  return {
    type,
    occurrence,
    // Truncated: some differences were not listed, so none can be known to be noise.
    status: diffs.length === 0 && !result.truncated ? 'matched' : 'differed',
    diffs,
    noiseDiffs,
    truncated: result.truncated,
    expected,
    actual,
  };
}

/** Pair and compare outcome lists. */
export function compareOutcomes(
  expected: readonly RecordedEvent[],
  actual: readonly RecordedEvent[],
  options: CompareOutcomesOptions,
): OutcomeComparison[] {
  const exp = groupByType(expected);
  const act = groupByType(actual);
  const out: OutcomeComparison[] = [];
  const types = [...exp.keys()];
  for (const t of act.keys()) if (!exp.has(t)) types.push(t);
  for (const type of types) {
    const es = exp.get(type) ?? [];
    const as = act.get(type) ?? [];
    const n = Math.max(es.length, as.length);
    const countNoise = es.length !== as.length && options.noise?.isCountNoise(type) === true;
    for (let i = 0; i < n; i += 1) {
      if (i < es.length && i < as.length) out.push(compareOne(type, i, es[i], as[i], options));
      else if (i < es.length) {
        out.push({
          type,
          occurrence: i,
          status: 'missing',
          diffs: [],
          noiseDiffs: [],
          truncated: false,
          ...(countNoise ? { noise: true } : {}),
          expected: es[i],
        });
      } else {
        out.push({
          type,
          occurrence: i,
          status: 'extra',
          diffs: [],
          noiseDiffs: [],
          truncated: false,
          ...(countNoise ? { noise: true } : {}),
          actual: as[i],
        });
      }
    }
  }
  return out;
}

/** Classify an interaction from its outcomes: missing beats extra beats differed; noise does not count. */
export function interactionStatus(outcomes: readonly OutcomeComparison[]): InteractionStatus {
  let missing = false;
  let extra = false;
  let differed = false;
  for (const o of outcomes) {
    if (o.noise) continue;
    if (o.status === 'missing') missing = true;
    else if (o.status === 'extra') extra = true;
    else if (o.status === 'differed') differed = true;
  }
  return missing ? 'missing-outcome' : extra ? 'extra-outcome' : differed ? 'differed' : 'matched';
}

/** Compare one interaction: the monolith's recorded outcomes against the new service's. */
export function compareInteraction(
  id: string,
  expected: readonly RecordedEvent[],
  actual: readonly RecordedEvent[],
  options: CompareOutcomesOptions,
): InteractionComparison {
  const outcomes = compareOutcomes(expected, actual, options);
  return { id, status: interactionStatus(outcomes), outcomes };
}
