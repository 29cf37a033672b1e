import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { SyncSwitch, type SyncSwitchStatus } from '../../adapters/aws/sync-switch';
import { AwsContext, explainAwsError } from '../aws-context';
import { runCli, type CliIo, type Out } from './io';
import { OUTPUTS } from '../../core/contract';

/** Stack outputs of the sync stack (core/contract.ts). */
const RULE_OUTPUT = OUTPUTS.sync.relayRuleName;
const STREAM_FUNCTION_OUTPUT = OUTPUTS.sync.streamFunctionName;
const SECRET_OUTPUT = OUTPUTS.sync.sourceSecretArn;

export interface SwitchOptions {
  readonly json?: boolean;
}

/** The deployed sync's switch, named by the Sync stack's outputs. */
export async function syncSwitchOf(context: AwsContext): Promise<SyncSwitch> {
  const config = context.sdkConfig();
  return new SyncSwitch({
    relayRuleName: await context.output(RULE_OUTPUT),
    streamFunctionName: await context.output(STREAM_FUNCTION_OUTPUT),
    sourceSecretArn: await context.output(SECRET_OUTPUT),
    lambda: new LambdaClient(config),
    eventBridge: new EventBridgeClient(config),
    secrets: new SecretsManagerClient(config),
  });
}

export function printSwitch(out: Out, s: SyncSwitchStatus, json?: boolean): void {
  if (json) {
    out.stdout(`${JSON.stringify(s)}\n`);
    return;
  }
  out.stdout(`sync: ${s.state}\n  relay schedule: ${s.relaySchedule}\n`);
  for (const m of s.streams) out.stdout(`  stream ${m.table}: ${m.state}\n`);
  if (s.state === 'stopped')
    out.stdout('  (service writes wait in the streams for up to 24 h, monolith changes in cutover_changes: cutover sync start)\n');
  if (s.state === 'partial') out.stdout('  (a start or stop did not finish: run it again)\n');
}

async function run(action: 'start' | 'stop', opts: SwitchOptions, io: CliIo, given?: SyncSwitch): Promise<number> {
  return runCli(io, async (out) => {
    const sw = given ?? (await syncSwitchOf(io.context ?? new AwsContext()));
    let status: SyncSwitchStatus;
    try {
      status = action === 'start' ? await sw.start() : await sw.stop();
    } catch (cause) {
      throw explainAwsError(cause, `${action === 'start' ? 'starting' : 'stopping'} the sync`);
    }
    printSwitch(out, status, opts.json);
    return 0;
  });
}

/** `cutover sync start`: the source secret checked, then the stream mappings and the relay schedule on. */
export function syncStartCommand(opts: SwitchOptions, io: CliIo = {}, given?: SyncSwitch): Promise<number> {
  return run('start', opts, io, given);
}

/** `cutover sync stop`: the relay schedule off, then the stream mappings. */
export function syncStopCommand(opts: SwitchOptions, io: CliIo = {}, given?: SyncSwitch): Promise<number> {
  return run('stop', opts, io, given);
}

export function register(program: Command): void {
  const sync =
    program.commands.find((c) => c.name() === 'sync') ??
    program.command('sync').description('two-way data sync between the monolith database and the services (capture, relay, conflicts)');
  sync
    .command('start')
    .description(
      'start the deployed sync (after cutover sync install and filling the source secret): relay schedule and stream mappings on',
    )
    .option('--json', 'JSON output')
    .action(async (opts: SwitchOptions, command: Command) => {
      process.exitCode = await syncStartCommand(opts, { context: AwsContext.fromCommand(command) });
    });
  sync
    .command('stop')
    .description('stop the deployed sync: relay schedule off, then the stream mappings (nothing is lost for 24 h)')
    .option('--json', 'JSON output')
    .action(async (opts: SwitchOptions, command: Command) => {
      process.exitCode = await syncStopCommand(opts, { context: AwsContext.fromCommand(command) });
    });
}
