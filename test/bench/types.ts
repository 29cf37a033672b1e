/** One figure a benchmark reports. Ratios are against a baseline run in the same process. */
export interface BenchResult {
  readonly name: string;
  readonly figure: number;
  readonly unit: string;
  /** The same measure for the baseline (e.g. a bare hash, JSON.parse + stringify). */
  readonly baseline?: number;
  /** figure / baseline, or whatever the benchmark defines; say which in `note`. */
  readonly ratio?: number;
  /** Human-readable target, e.g. ">= 1,000,000/s" or "<= 3x floor". */
  readonly target?: string;
  /** Whether the target was met (undefined when there is none). */
  readonly ok?: boolean;
  readonly note?: string;
}

export interface BenchModule {
  run(): Promise<BenchResult[]>;
}
