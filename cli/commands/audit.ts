import type { Command } from 'commander';
import { ChainVerifier, type AuditEntry } from '../../core/audit';
import { AuditStore, type StreamReport } from '../../adapters/dynamodb/audit-store';
import { AwsContext, CliError, explainAwsError } from '../aws-context';
import { positiveInt } from './options';
import { runCli, type CliIo } from './io';

export interface AuditVerifyOptions {
  readonly stream?: string;
  /** The table name, instead of the AuditTableName stack output. */
  readonly table?: string;
  readonly json?: boolean;
}

export interface AuditTailOptions {
  readonly correlationId: string;
  readonly last?: number;
  readonly table?: string;
  readonly json?: boolean;
}

async function storeFor(opts: { table?: string }, io: CliIo): Promise<AuditStore> {
  const context = io.context ?? new AwsContext();
  const tableName = opts.table ?? (await context.output('AuditTableName'));
  return new AuditStore({ tableName, client: context.documentClient() });
}

/**
 * Recomputes every chain (or one stream's) from its first entry and checks each de-duplication marker
 * still points at its event's entry. Prints the first broken link per stream: stream, sequence, what was
 * expected and what was found. Exit 0 when everything verifies, 1 when anything is broken.
 */
export async function auditVerifyCommand(opts: AuditVerifyOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const store = await storeFor(opts, io);
    const verifier = new ChainVerifier();
    const reports: StreamReport[] = [];
    const started = Date.now();
    try {
      const streams = opts.stream !== undefined ? [opts.stream] : store.listStreams();
      for await (const stream of streams) {
        const report = await store.verifyStream(stream, { verifier });
        reports.push(report);
        if (opts.json) out.stdout(`${JSON.stringify(report)}\n`);
        else if (report.broken || report.markerProblems.length > 0) {
          out.stdout(`BROKEN ${JSON.stringify(stream)}\n`);
          if (report.broken) {
            out.stdout(
              `  at sequence ${report.broken.sequence} (${report.broken.check}): ${report.broken.message.replace(/^stream "[^"]*" breaks at sequence \d+: /, '')}\n`,
            );
            out.stdout(`    expected ${report.broken.expected}\n    found    ${report.broken.found}\n`);
          }
          for (const p of report.markerProblems) out.stdout(`  ${p}\n`);
        }
        if (reports.length % 500 === 0) out.stderr(`... ${reports.length} streams checked\n`);
      }
    } catch (cause) {
      throw explainAwsError(cause, `reading audit table ${store.tableName}`);
    }
    if (opts.stream !== undefined && reports[0]?.entries === 0) {
      throw new CliError(
        `no audit entries in stream ${JSON.stringify(opts.stream)} of ${store.tableName}`,
        'streams are correlation ids such as order-1000001; `cutover audit verify` without --stream checks them all',
      );
    }
    const broken = reports.filter((r) => r.broken || r.markerProblems.length > 0);
    const entries = reports.reduce((n, r) => n + r.entries, 0);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const summary =
      broken.length === 0
        ? `verified: ${entries} entries in ${reports.length} stream(s), every chain intact (${secs} s)`
        : `NOT VERIFIED: ${broken.length} of ${reports.length} stream(s) broken (${entries} entries read, ${secs} s)`;
    (opts.json ? out.stderr : out.stdout)(`${summary}\n`);
    return broken.length === 0 ? 0 : 1;
  });
}

function summarise(e: AuditEntry): string {
  let payload: unknown;
  try {
    payload = JSON.parse(e.payload);
  } catch {
    payload = e.payload;
  }
  if (e.kind === 'quarantine' && payload && typeof payload === 'object') {
    const q = payload as { reason?: string; problems?: string[] };
    return `quarantined (${q.reason}): ${(q.problems ?? []).join('; ')}`;
  }
  const text = JSON.stringify(payload);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** An order's (or any correlation's) history in append order: every event on both buses and every decision. */
export async function auditTailCommand(opts: AuditTailOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const store = await storeFor(opts, io);
    const kept: AuditEntry[] = [];
    let total = 0;
    try {
      for await (const e of store.readStream(opts.correlationId)) {
        total += 1;
        kept.push(e);
        if (opts.last !== undefined && kept.length > opts.last) kept.shift();
      }
    } catch (cause) {
      throw explainAwsError(cause, `reading audit table ${store.tableName}`);
    }
    if (total === 0) {
      throw new CliError(
        `no audit entries for correlation id ${JSON.stringify(opts.correlationId)} in ${store.tableName}`,
        'correlation ids look like order-1000001 (entity type and key); check the id, or wait a moment: the log is written asynchronously',
      );
    }
    for (const e of kept) {
      if (opts.json) out.stdout(`${JSON.stringify(e)}\n`);
      else
        out.stdout(
          `#${String(e.sequence).padStart(4)}  ${e.recordedAt}  ${(e.bus ?? '-').padEnd(8)} ${e.kind.padEnd(10)} ${(e.detailType ?? '-').padEnd(22)} ${(e.source ?? '-').padEnd(16)} ${summarise(e)}\n`,
        );
    }
    if (!opts.json && opts.last !== undefined && total > kept.length) out.stdout(`(${total - kept.length} earlier entries not shown)\n`);
    return 0;
  });
}

export function register(program: Command): void {
  const audit = program.command('audit').description('read and verify the hash-chained audit log');
  audit
    .command('verify')
    .description('recompute every chain and report the first broken link per stream (exit 1 if any)')
    .option('--stream <stream>', 'verify one stream (a correlation id such as order-1000001)')
    .option('--table <name>', 'the audit table, instead of the AuditTableName stack output')
    .option('--json', 'one JSON report per stream on stdout')
    .action(async (opts: AuditVerifyOptions, command: Command) => {
      process.exitCode = await auditVerifyCommand(opts, { context: AwsContext.fromCommand(command) });
    });
  audit
    .command('tail')
    .description("print a correlation's history in order: its events on both buses, quarantines and saga steps")
    .requiredOption('--correlation-id <id>', 'e.g. order-1000001')
    .option('--last <n>', 'only the last n entries', positiveInt)
    .option('--table <name>', 'the audit table, instead of the AuditTableName stack output')
    .option('--json', 'print whole entries as JSON lines')
    .action(async (opts: AuditTailOptions, command: Command) => {
      process.exitCode = await auditTailCommand(opts, { context: AwsContext.fromCommand(command) });
    });
}
