import { Command, Option } from 'commander';
import type { QuarantineReason } from '../../core/translate/translator';
import { describeReason, QUARANTINE_REASONS } from '../../core/translate/quarantine-reasons';
import { QuarantineStore, type QuarantineItem } from '../../adapters/dynamodb/quarantine-store';
import { AwsContext, explainAwsError } from '../aws-context';
import { runCli, type CliIo } from './io';
import { isoTime, positiveInt } from './options';

export interface QuarantineListOptions {
  readonly reason?: QuarantineReason;
  readonly since?: string;
  readonly until?: string;
  readonly limit?: number;
  readonly table?: string;
  readonly json?: boolean;
}

/** Lists quarantined events by reason and event time, newest first, with their problems. */
export async function quarantineListCommand(opts: QuarantineListOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    const tableName = opts.table ?? (await context.output('QuarantineTableName'));
    const store = new QuarantineStore({ tableName, client: context.documentClient() });
    const reasons = opts.reason ? [opts.reason] : QUARANTINE_REASONS;
    const found: QuarantineItem[] = [];
    try {
      for (const reason of reasons) {
        for await (const item of store.query({ reason, since: opts.since, until: opts.until, newestFirst: true })) {
          found.push(item);
          if (opts.limit !== undefined && found.filter((f) => f.reason === reason).length >= opts.limit) break;
        }
      }
    } catch (cause) {
      throw explainAwsError(cause, `reading quarantine table ${tableName}`);
    }
    found.sort((a, b) => (a.sk < b.sk ? 1 : -1));
    const shown = opts.limit !== undefined ? found.slice(0, opts.limit) : found;
    for (const q of shown) {
      if (opts.json) out.stdout(`${JSON.stringify(q)}\n`);
      else
        out.stdout(
          `${q.eventTime}  ${q.reason.padEnd(15)} ${(q.detailType ?? '-').padEnd(22)} ${q.bus.padEnd(8)} ${q.eventBridgeId}\n    ${q.problems.join('\n    ')}\n`,
        );
    }
    if (!opts.json)
      out.stdout(
        `${shown.length} quarantined event(s)${opts.reason ? ` with reason ${opts.reason} (${describeReason(opts.reason)})` : ''}\n`,
      );
    return 0;
  });
}

export function register(program: Command): void {
  const quarantine = program.command('quarantine').description('events the bridge could not translate, kept with the reason');
  quarantine
    .command('list')
    .description('list quarantined events by reason and event time, newest first')
    .addOption(new Option('--reason <reason>', 'only this reason').choices(QUARANTINE_REASONS))
    .option('--since <time>', 'event time from (ISO 8601, inclusive)', isoTime)
    .option('--until <time>', 'event time to (ISO 8601, exclusive)', isoTime)
    .option('--limit <n>', 'at most n events', positiveInt)
    .option('--table <name>', 'the quarantine table, instead of the QuarantineTableName stack output')
    .option('--json', 'whole records (with the original payload) as JSON lines')
    .action(async (opts: QuarantineListOptions, command: Command) => {
      process.exitCode = await quarantineListCommand(opts, { context: AwsContext.fromCommand(command) });
    });
}
