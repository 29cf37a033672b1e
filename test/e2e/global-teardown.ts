/** Jest global teardown for the e2e tier: stop MiniStack if (and only if) the global setup started it. */
import { existsSync } from 'node:fs';
import { CONTEXT_FILE_ENV, loadE2eContext, stopEmulator, type Emulator } from './harness';
import { EMULATOR_KEY } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  let emulator = (globalThis as Record<string, unknown>)[EMULATOR_KEY] as Emulator | undefined;
  if (!emulator) {
    const file = process.env[CONTEXT_FILE_ENV];
    if (!file || !existsSync(file)) return;
    const context = loadE2eContext(file);
    emulator = { endpoint: context.endpoint, port: context.port, startedByUs: context.startedByUs };
  }
  if (!emulator.startedByUs) return;
  if (process.env.CUTOVER_E2E_KEEP === '1') {
    process.stderr.write(
      `[e2e] CUTOVER_E2E_KEEP=1: MiniStack left running at ${emulator.endpoint} (localstack/stop.sh --port ${emulator.port})\n`,
    );
    return;
  }
  await stopEmulator(emulator);
}
