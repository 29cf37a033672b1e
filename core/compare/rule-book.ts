import { compileCompareRules, CompareRuleError, type Comparator, type CompileOptions } from './comparator';
import { mergeCompareRules, type CompareRules } from './rules';

/**
 * Compare rules as the spec declares them (`capture.compare`): a default set, a set per capability and a
 * set per (service) event type. The rules for one outcome type are default + capability + event type,
 * concatenated.
 */
export interface CompareSection {
  readonly default?: CompareRules;
  readonly capabilities?: Readonly<Record<string, CompareRules>>;
  readonly events?: Readonly<Record<string, CompareRules>>;
}

export interface RuleBookOptions extends CompileOptions {
  /** The capability under test: its rule set joins the default one. */
  readonly capability?: string;
}

/** Compiled comparators per outcome type. Every set is compiled up front, so a bad rule fails at start. */
export class RuleBook {
  private readonly base: CompareRules;
  private readonly baseComparator: Comparator;
  private readonly byType = new Map<string, Comparator>();

  public constructor(
    section: CompareSection = {},
    private readonly options: RuleBookOptions = {},
  ) {
    const cap = options.capability !== undefined ? section.capabilities?.[options.capability] : undefined;
    this.base = mergeCompareRules(section.default, cap);
    this.baseComparator = this.compile(
      this.base,
      options.capability !== undefined ? `compare.default + compare.capabilities.${options.capability}` : 'compare.default',
    );
    for (const [type, rules] of Object.entries(section.events ?? {})) {
      this.byType.set(type, this.compile(mergeCompareRules(this.base, rules), `compare.events.${type}`));
    }
  }

  private compile(rules: CompareRules, where: string): Comparator {
    try {
      return compileCompareRules(rules, this.options);
    } catch (e) {
      if (e instanceof CompareRuleError) throw new CompareRuleError(`${where}: ${e.message}`, { where, ...e.context }, { cause: e });
      throw e;
    }
  }

  public comparatorFor(outcomeType: string): Comparator {
    return this.byType.get(outcomeType) ?? this.baseComparator;
  }
}
