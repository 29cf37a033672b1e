import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseOutputs, type StackOutputs } from '../e2e/harness';

/* What the benches that run against a deployed emulator share: its stack outputs, how it was started, p50/p95. */

const ROOT = path.join(__dirname, '..', '..');

/** The stack outputs of the deploy on `endpoint` (CUTOVER_OUTPUTS_FILE, else .cutover/outputs-<port>.json). */
export function outputsFor(endpoint: string): StackOutputs {
  const port = new URL(endpoint).port;
  const file = process.env.CUTOVER_OUTPUTS_FILE ?? path.join(ROOT, '.cutover', `outputs-${port}.json`);
  if (!existsSync(file))
    throw new Error(`no stack outputs at ${file}: deploy first (CUTOVER_ENDPOINT=${endpoint} npm run e2e, or localstack/deploy.sh)`);
  return parseOutputs(readFileSync(file, 'utf8'), file);
}

/**
 * How the emulator on `endpoint` runs, for the figures' notes: "MiniStack as published", or with the
 * benchmark-only FIFO dedup fix when localstack/start.sh --fifo-dedup-fix started it (it leaves
 * .ministack/<port>/patches), or "an emulator not started here" when this checkout did not start it.
 */
export function emulatorLabel(endpoint: string): string {
  const dir = path.join(ROOT, '.ministack', new URL(endpoint).port);
  if (!existsSync(path.join(dir, 'pid'))) return 'emulator: not started by this checkout (patches unknown)';
  const patches = path.join(dir, 'patches');
  return existsSync(patches) && readFileSync(patches, 'utf8').includes('fifo-dedup-fix')
    ? 'emulator: MiniStack with the FIFO dedup fix (start.sh --fifo-dedup-fix)'
    : 'emulator: MiniStack as published';
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
