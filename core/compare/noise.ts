import type { RecordedEvent } from '../replay/captured';
import { compareOutcomes } from './interaction';
import { RuleBook } from './rule-book';

/**
 * Noise: what differs between two recordings of the monolith itself for the same input (a generated
 * order number, a clock, a random coupon). If the monolith does not agree with itself on a field, a
 * difference there from the new service says nothing about a regression, so it is reported as noise.
 *
 * A profile holds, per outcome type, the noisy fields (indices generalised, `lines[*].id`) and the types
 * whose number of occurrences varies. A noisy field covers its subtree: noise at `metadata` explains a
 * difference at `metadata.trace`.
 */
export interface NoiseProfileJson {
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly unstableCounts: readonly string[];
}

export class NoiseProfile {
  private readonly fields = new Map<string, Set<string>>();
  private readonly counts = new Set<string>();

  public static fromJSON(json: NoiseProfileJson): NoiseProfile {
    const p = new NoiseProfile();
    for (const [type, fields] of Object.entries(json.fields ?? {})) for (const f of fields) p.addField(type, f);
    for (const t of json.unstableCounts ?? []) p.addUnstableCount(t);
    return p;
  }

  public addField(type: string, field: string): void {
    let set = this.fields.get(type);
    if (!set) this.fields.set(type, (set = new Set()));
    set.add(field);
  }

  public addUnstableCount(type: string): void {
    this.counts.add(type);
  }

  public hasType(type: string): boolean {
    return this.fields.has(type);
  }

  public isNoise(type: string, field: string): boolean {
    const set = this.fields.get(type);
    if (!set) return false;
    if (set.has('$')) return true;
    let f = field;
    for (;;) {
      if (set.has(f)) return true;
      const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
      if (cut <= 0) return false;
      f = f.slice(0, cut);
    }
  }

  public isCountNoise(type: string): boolean {
    return this.counts.has(type);
  }

  public get size(): number {
    let n = this.counts.size;
    for (const s of this.fields.values()) n += s.size;
    return n;
  }

  public merge(other: NoiseProfile): this {
    const j = other.toJSON();
    for (const [type, fields] of Object.entries(j.fields)) for (const f of fields) this.addField(type, f);
    for (const t of j.unstableCounts) this.addUnstableCount(t);
    return this;
  }

  /**
   * Learn from several monolith recordings of one input: each is compared with the first, and every field
   * that differs (after the compare rules, so ignored paths and normalised values are not noise) is noisy.
   */
  public learn(recordings: ReadonlyArray<readonly RecordedEvent[]>, rules: RuleBook = new RuleBook()): this {
    if (recordings.length < 2) return this;
    const [first, ...rest] = recordings;
    for (const other of rest) {
      for (const o of compareOutcomes(first, other, { rules })) {
        if (o.status === 'missing' || o.status === 'extra') this.addUnstableCount(o.type);
        for (const d of o.diffs) this.addField(o.type, d.field);
        if (o.truncated) this.addField(o.type, '$');
      }
    }
    return this;
  }

  public toJSON(): NoiseProfileJson {
    const fields: Record<string, string[]> = {};
    for (const type of [...this.fields.keys()].sort()) fields[type] = [...(this.fields.get(type) as Set<string>)].sort();
    return { fields, unstableCounts: [...this.counts].sort() };
  }
}

/** The noise profile of several monolith recordings of the same input. */
export function detectNoise(recordingsOfSameInput: ReadonlyArray<readonly RecordedEvent[]>, rules?: RuleBook): NoiseProfile {
  return new NoiseProfile().learn(recordingsOfSameInput, rules);
}
