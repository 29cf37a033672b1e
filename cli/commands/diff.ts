import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderHtmlReport, renderTerminalReport } from '../../core/compare';
import { AwsContext, CliError, explainAwsError } from '../aws-context';
import { reportStore, stateStore } from '../replay/support';
import { runCli, type CliIo } from './io';
import { positiveInt } from './options';

export interface DiffReportOptions {
  readonly json?: boolean;
  /** Also write a self-contained HTML page here. */
  readonly html?: string;
  /** Most fields listed in the terminal. @default 20 */
  readonly maxFields?: number;
  readonly table?: string;
}

/**
 * Prints a replay's diff report: the terminal page (or the stored JSON), optionally an HTML page too.
 * Exit 0 when nothing differed, 1 when something did (missing, extra, differed or failed), so a pipeline
 * can gate a cutover on it.
 */
export async function diffReportCommand(replayId: string, opts: DiffReportOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    const reports = await reportStore(context, opts.table);
    let report;
    try {
      report = await reports.getReport(replayId);
    } catch (cause) {
      throw explainAwsError(cause, `reading the report of ${replayId} from ${reports.tableName}`);
    }
    if (!report) {
      const st = await (await stateStore(context)).get(replayId).catch(() => undefined);
      throw new CliError(
        st ? `replay ${replayId} has no report yet: it is ${st.status} (phase ${st.phase})` : `no replay ${replayId} and no report for it`,
        st ? `wait for it to finish: cutover replay status ${replayId} --watch` : 'check the replay id',
      );
    }
    out.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderTerminalReport(report, { maxFields: opts.maxFields }));
    if (opts.html) {
      const file = path.resolve(io.cwd ?? process.cwd(), opts.html);
      fs.writeFileSync(file, renderHtmlReport(report));
      out.stderr(`wrote ${file}\n`);
    }
    const t = report.totals;
    return t.differed + t.missingOutcome + t.extraOutcome + t.failed > 0 ? 1 : 0;
  });
}

export function register(program: Command): void {
  const diff = program.command('diff').description('diff reports of replays: the new service against the monolith');
  diff
    .command('report <replayId>')
    .description('print the diff report of a replay (exit 1 when anything differed)')
    .option('--json', 'the stored report as JSON')
    .option('--html <file>', 'also write a self-contained HTML page')
    .option('--max-fields <n>', 'differing fields listed in the terminal (default 20)', positiveInt)
    .option('--table <name>', 'the report table, instead of the DiffReportTableName stack output')
    .action(async (replayId: string, opts: DiffReportOptions, command: Command) => {
      process.exitCode = await diffReportCommand(replayId, opts, { context: AwsContext.fromCommand(command) });
    });
}
