#!/usr/bin/env node
import { Command } from 'commander';
import { DEFAULT_PREFIX } from '../cli/aws-context';
import { registerCommands } from '../cli/commands';

/*
 * The cutover CLI. Commands live in cli/commands (registered from cli/commands/index.ts). AWS access works
 * like the AWS CLI: AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE and ~/.aws; --region and --profile override.
 * Deployed names come from the outputs of the stacks named <prefix>-*.
 */
export function buildProgram(): Command {
  const program = new Command('cutover')
    .description('move a monolith to services one capability at a time: events, audit log, spec, migration')
    .option('--prefix <prefix>', `stack name prefix to read outputs from (env CUTOVER_PREFIX, default ${DEFAULT_PREFIX})`)
    .option('--region <region>', 'AWS region (default: AWS_REGION / profile)')
    .option('--profile <profile>', 'AWS profile (default: AWS_PROFILE)')
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError();
  return registerCommands(program);
}

if (require.main === module || process.env.CUTOVER_CLI_MAIN === '1') {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    });
}
