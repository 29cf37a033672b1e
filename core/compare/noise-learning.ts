import type { CapturedInteraction, RecordedEvent } from '../replay/captured';
import { compareOutcomes } from './interaction';
import { NoiseProfile, type NoiseProfileJson } from './noise';
import { RuleBook } from './rule-book';

/**
 * How interactions of two recordings are paired as "the same input":
 * - `entity`: the n-th input of a type for an entity in one recording with the n-th in the other (the
 *   inputs were sent again in any order, each entity's own inputs in order);
 * - `position`: the n-th interaction of one with the n-th of the other (the inputs were sent again in the
 *   same order, and the monolith generates the entity keys).
 */
export type NoisePairing = 'entity' | 'position';

export interface LearnNoiseOptions {
  readonly rules?: RuleBook;
  /** @default 'entity' */
  readonly pairBy?: NoisePairing;
  /** Examples kept per noisy field and per unstable count. @default 3 */
  readonly examples?: number;
}

/** One observed difference between the two recordings, for a person to judge the profile by. */
export interface NoiseExample {
  /** The interaction ids in the first and the second recording. */
  readonly first: string;
  readonly second: string;
  /** The concrete path (`lines[2].id`), the first recording's value and the second's. */
  readonly path?: string;
  readonly firstValue?: unknown;
  readonly secondValue?: unknown;
  /** For an unstable count: how many outcomes of the type each recording had. */
  readonly firstCount?: number;
  readonly secondCount?: number;
}

export interface NoiseEvidence {
  /** Pairs in which the field differed (or the count varied). */
  readonly differed: number;
  /** Pairs in which an outcome of the type was compared. */
  readonly compared: number;
  readonly examples: readonly NoiseExample[];
}

/**
 * What `cutover replay learn-noise` writes: the profile `--noise` consumes (`fields`, `unstableCounts`),
 * and the evidence behind each entry. Readers of a profile take the first two and ignore the rest.
 */
export interface LearnedNoiseJson extends NoiseProfileJson {
  readonly learnedFrom: {
    readonly pairBy: NoisePairing;
    readonly pairs: number;
    /** Interactions with no counterpart in the other recording (not learned from). */
    readonly unpairedFirst: number;
    readonly unpairedSecond: number;
    readonly unpairedExamples: readonly string[];
  };
  /** Per outcome type, per field: how often it differed and examples. */
  readonly evidence: Readonly<Record<string, Readonly<Record<string, NoiseEvidence>>>>;
  /** Per outcome type whose number of occurrences varied. */
  readonly countEvidence: Readonly<Record<string, NoiseEvidence>>;
}

/** The pairing key of each interaction of a recording, in capture order. */
function keysOf(recording: readonly CapturedInteraction[], pairBy: NoisePairing): Map<string, CapturedInteraction> {
  const ordered = [...recording].sort(
    (a, b) => a.capturedAt.localeCompare(b.capturedAt) || (a.sequence ?? 0) - (b.sequence ?? 0) || a.id.localeCompare(b.id),
  );
  const out = new Map<string, CapturedInteraction>();
  const seen = new Map<string, number>();
  ordered.forEach((interaction, index) => {
    if (pairBy === 'position') {
      out.set(String(index), interaction);
      return;
    }
    const base = JSON.stringify([interaction.entity.type, interaction.entity.key, interaction.input.type]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.set(`${base}#${n}`, interaction);
  });
  return out;
}

function count(events: readonly RecordedEvent[], type: string): number {
  return events.filter((e) => e.type === type).length;
}

/**
 * Learns the noise of the monolith from two recordings of the same inputs: every field of an outcome that
 * differs between the two runs of one input (after the compare rules: ignored paths and normalised values
 * are not noise) is noisy, and a type whose number of outcomes differs has an unstable count.
 */
export function learnNoise(
  first: readonly CapturedInteraction[],
  second: readonly CapturedInteraction[],
  options: LearnNoiseOptions = {},
): { readonly profile: NoiseProfile; readonly json: LearnedNoiseJson } {
  const pairBy = options.pairBy ?? 'entity';
  const rules = options.rules ?? new RuleBook();
  const keep = options.examples ?? 3;
  const a = keysOf(first, pairBy);
  const b = keysOf(second, pairBy);
  const profile = new NoiseProfile();
  const evidence = new Map<string, Map<string, { differed: number; examples: NoiseExample[] }>>();
  const countEvidence = new Map<string, { differed: number; examples: NoiseExample[] }>();
  const compared = new Map<string, number>();
  const unpaired: string[] = [];
  let pairs = 0;
  let unpairedFirst = 0;

  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) {
      unpairedFirst += 1;
      if (unpaired.length < keep) unpaired.push(x.id);
      continue;
    }
    pairs += 1;
    const types = new Set([...x.outcomes, ...y.outcomes].map((e) => e.type));
    for (const t of types) compared.set(t, (compared.get(t) ?? 0) + 1);
    const fieldsThisPair = new Set<string>();
    const countsThisPair = new Set<string>();
    for (const o of compareOutcomes(x.outcomes, y.outcomes, { rules })) {
      if (o.status === 'missing' || o.status === 'extra') {
        profile.addUnstableCount(o.type);
        if (countsThisPair.has(o.type)) continue;
        countsThisPair.add(o.type);
        let ev = countEvidence.get(o.type);
        if (!ev) countEvidence.set(o.type, (ev = { differed: 0, examples: [] }));
        ev.differed += 1;
        if (ev.examples.length < keep)
          ev.examples.push({ first: x.id, second: y.id, firstCount: count(x.outcomes, o.type), secondCount: count(y.outcomes, o.type) });
        continue;
      }
      const diffs = o.truncated ? [{ field: '$', path: '$', expected: undefined, actual: undefined }, ...o.diffs] : o.diffs;
      for (const d of diffs) {
        profile.addField(o.type, d.field);
        const id = `${o.type}\u0000${d.field}`;
        if (fieldsThisPair.has(id)) continue;
        fieldsThisPair.add(id);
        let byField = evidence.get(o.type);
        if (!byField) evidence.set(o.type, (byField = new Map()));
        let ev = byField.get(d.field);
        if (!ev) byField.set(d.field, (ev = { differed: 0, examples: [] }));
        ev.differed += 1;
        if (ev.examples.length < keep)
          ev.examples.push({ first: x.id, second: y.id, path: d.path, firstValue: d.expected, secondValue: d.actual });
      }
    }
  }
  const pairedSecond = [...b.keys()].filter((k) => a.has(k)).length;
  for (const [key, y] of b) if (!a.has(key) && unpaired.length < keep * 2) unpaired.push(y.id);

  const sortedRecord = <T, U>(m: Map<string, T>, f: (v: T, k: string) => U): Record<string, U> =>
    Object.fromEntries([...m.keys()].sort().map((k) => [k, f(m.get(k) as T, k)]));
  const json: LearnedNoiseJson = {
    ...profile.toJSON(),
    learnedFrom: {
      pairBy,
      pairs,
      unpairedFirst,
      unpairedSecond: b.size - pairedSecond,
      unpairedExamples: unpaired,
    },
    evidence: sortedRecord(evidence, (byField, type) =>
      sortedRecord(byField, (ev) => ({ differed: ev.differed, compared: compared.get(type) ?? 0, examples: ev.examples })),
    ),
    countEvidence: sortedRecord(countEvidence, (ev, type) => ({
      differed: ev.differed,
      compared: compared.get(type) ?? 0,
      examples: ev.examples,
    })),
  };
  return { profile, json };
}
