import type { StackOutputs } from '../../test/e2e/harness';
import type { OutputKey } from '../../core/contract';

/** What every demo scenario receives: where the emulator is and what was deployed. */
export interface DemoContext {
  readonly endpoint: string;
  readonly outputs: StackOutputs;
  /** A stack output by key, from whichever stack has it; throws naming the key when none does. */
  output(key: OutputKey): string;
  /** Print a line of the scenario's story. */
  log(line: string): void;
}

export interface ScenarioResult {
  /** The scenario's summary lines, printed again at the end. */
  readonly summary: string[];
  /** False when anything is unaccounted for or a check failed: the demo then exits non-zero. */
  readonly ok: boolean;
}

export interface DemoScenario {
  readonly name: string;
  readonly title: string;
  run(ctx: DemoContext): Promise<ScenarioResult>;
}
