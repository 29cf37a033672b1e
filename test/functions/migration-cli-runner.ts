import { Command } from 'commander';
import { register as registerBackfill } from '../../cli/commands/backfill';
import { register as registerVerify } from '../../cli/commands/verify';

// The two commands on a bare program, as bin/cutover.ts registers them: the CLI tests run it as a child
// process so they can kill it.
const program = new Command('cutover').exitOverride();
registerBackfill(program);
registerVerify(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
