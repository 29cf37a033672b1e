import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { renderChaosReport } from '../../core/chaos/report';
import { CHAOS_SCENARIOS, chaosScenario } from '../../core/chaos/scenarios';
import { AwsContext, CliError, type GlobalOptions } from '../aws-context';
import { runChaosScenario, type ChaosClients } from '../chaos/runner';
import { runCli, type CliIo } from './io';
import { positiveInt } from './options';

/*
 * `cutover chaos list` and `cutover chaos run <scenario>`: named fault scenarios driven on a deployed kit
 * (an emulator or a test account, never production: the run changes the reference functions' environment
 * for its duration), reporting per order what the saga did and whether every order is accounted for.
 */

export interface ChaosRunCommandOptions {
  readonly orders?: number;
  readonly timeout?: number;
  readonly json?: boolean;
}

export type ChaosIo = CliIo & Partial<Omit<ChaosClients, 'context'>>;

export async function chaosListCommand(opts: { json?: boolean }, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    if (opts.json) {
      out.stdout(
        `${JSON.stringify(CHAOS_SCENARIOS.map((s) => ({ name: s.name, title: s.title, shows: s.shows, orders: s.fixedOrders ?? s.defaultOrders, faults: s.faults(['<order 1>', '<order 2>']), environment: s.environment })))}\n`,
      );
      return 0;
    }
    for (const s of CHAOS_SCENARIOS) out.stdout(`${s.name.padEnd(18)} ${s.title}\n${' '.repeat(19)}shows: ${s.shows}\n`);
    return 0;
  });
}

export async function chaosRunCommand(name: string, opts: ChaosRunCommandOptions, io: ChaosIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const scenario = chaosScenario(name);
    if (!scenario)
      throw new CliError(
        `no chaos scenario ${JSON.stringify(name)}`,
        `pick one of ${CHAOS_SCENARIOS.map((s) => s.name).join(', ')} (cutover chaos list)`,
      );
    if (scenario.fixedOrders !== undefined && opts.orders !== undefined && opts.orders !== scenario.fixedOrders)
      throw new CliError(`--orders ${opts.orders}: scenario ${name} always places ${scenario.fixedOrders} orders`, 'leave --orders out');
    const context = io.context ?? new AwsContext();
    const clients: ChaosClients = {
      context,
      sfn: io.sfn ?? new SFNClient(context.sdkConfig()),
      lambda: io.lambda ?? new LambdaClient(context.sdkConfig()),
      sqs: io.sqs ?? new SQSClient({ ...context.sdkConfig(), useQueueUrlAsEndpoint: false }),
    };
    const { report, sku, faults } = await runChaosScenario(scenario, clients, {
      orders: opts.orders,
      timeoutSeconds: opts.timeout,
      log: opts.json ? undefined : (line) => out.stderr(`${line}\n`),
    });
    if (opts.json) out.stdout(`${JSON.stringify({ ...report, sku, faults })}\n`);
    else out.stdout(renderChaosReport(report));
    return report.ok ? 0 : 1;
  });
}

function io(command: Command): ChaosIo {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const config = { ...(globals.region ? { region: globals.region } : {}), ...(globals.profile ? { profile: globals.profile } : {}) };
  return {
    context: AwsContext.fromCommand(command),
    sfn: new SFNClient(config),
    lambda: new LambdaClient(config),
    sqs: new SQSClient({ ...config, useQueueUrlAsEndpoint: false }),
  };
}

export function register(program: Command): void {
  const chaos = program
    .command('chaos')
    .description('drive named fault scenarios on a deployed kit and report what the saga did, with nothing lost')
    .addHelpText(
      'after',
      `
A scenario sets a fault profile (latency distributions, failure rates, throttling, partitions; see the
README "Chaos") as CUTOVER_FAULTS on the reference services for the length of the run, places orders,
answers for the carrier, waits for every saga to end, and puts the functions' environment back.
Run it against an emulator or a test account, never production.

Scenarios (cutover chaos list):
${CHAOS_SCENARIOS.map((s) => `  ${s.name.padEnd(18)} ${s.title}`).join('\n')}`,
    );
  chaos
    .command('list')
    .description('the scenarios, and what each shows')
    .option('--json', 'print JSON (with each fault profile)')
    .action(async (opts: { json?: boolean }) => {
      process.exitCode = await chaosListCommand(opts);
    });
  chaos
    .command('run <scenario>')
    .description('run one scenario; exit 0 when every order ended completed or compensated, 1 when any is lost or stuck')
    .option('--orders <n>', "orders to place (default: the scenario's)", positiveInt)
    .option('--timeout <seconds>', 'give up on sagas still running after this long (they are reported stuck)', positiveInt, 300)
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
The report: per order its outcome (completed, compensated, compensation-failed, stuck, lost), the error that
stopped it, the compensations that ran, the retries per action (from the execution history), the depth of
every dead-letter queue before and after, and whether every order is accounted for.

Example:
  npx cutover chaos run payment-flaky --orders 10
  npx cutover chaos run oversell --json`,
    )
    .action(async (name: string, opts: ChaosRunCommandOptions, command: Command) => {
      process.exitCode = await chaosRunCommand(name, opts, io(command));
    });
}
