import './quiet-node20';
import { REPO_ROOT, awsEnv, deploy, startEmulator, stackOutput, stopEmulator, type Emulator } from '../test/e2e/harness';
import type { DemoContext, DemoScenario, ScenarioResult } from './demo/types';
import { scenarios } from './demo/scenarios';

/*
 * `npm run demo`: start MiniStack on 127.0.0.1 (or use CUTOVER_ENDPOINT), deploy every stack, run the
 * reference migration scenario, print what happened, and exit non-zero if anything is unaccounted for.
 * `npm run demo -- bridge saga` runs only the named scenarios. CUTOVER_DEMO_KEEP=1 leaves MiniStack running.
 */
async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const chosen = wanted.length ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios;
  if (wanted.length && chosen.length !== wanted.length) {
    console.error(`unknown scenario in ${wanted.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const t0 = Date.now();
  say(`starting MiniStack (or using CUTOVER_ENDPOINT) ...`);
  const emulator: Emulator = await startEmulator();
  let code = 0;
  try {
    Object.assign(process.env, awsEnv(emulator.endpoint));
    say(`MiniStack at ${emulator.endpoint}; deploying the cutover stacks (first time: a few minutes) ...`);
    const deployStart = Date.now();
    const outputs = await deploy(emulator.endpoint, { appDir: REPO_ROOT });
    say(`deployed ${Object.keys(outputs).join(', ')} in ${((Date.now() - deployStart) / 1000).toFixed(0)} s`);
    const ctx: DemoContext = {
      endpoint: emulator.endpoint,
      outputs,
      output: (key) => stackOutput({ outputs }, key),
      log: (line) => console.log(`  ${line}`),
    };
    const results: Array<{ scenario: DemoScenario; result: ScenarioResult }> = [];
    for (const scenario of chosen) {
      console.log(`\n### ${scenario.title}`);
      let result: ScenarioResult;
      try {
        result = await scenario.run(ctx);
      } catch (err) {
        result = { ok: false, summary: [`failed: ${err instanceof Error ? err.message : String(err)}`] };
      }
      results.push({ scenario, result });
    }
    console.log('\n=== Summary');
    for (const { scenario, result } of results) {
      console.log(`${result.ok ? 'OK  ' : 'FAIL'} ${scenario.title}`);
      for (const line of result.summary) console.log(`     ${line}`);
    }
    const failed = results.filter((r) => !r.result.ok).length;
    console.log(
      `\n${results.length - failed} of ${results.length} scenarios accounted for every event, in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    code = failed === 0 ? 0 : 1;
  } finally {
    if (emulator.startedByUs && !process.env.CUTOVER_DEMO_KEEP) await stopEmulator(emulator);
    else if (emulator.startedByUs) say(`MiniStack left running at ${emulator.endpoint} (CUTOVER_DEMO_KEEP)`);
  }
  return code;
}

function say(line: string): void {
  console.log(`[demo] ${line}`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
