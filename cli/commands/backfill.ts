import type { Command } from 'commander';
import * as path from 'node:path';
import { runBackfill, type BackfillSummary } from '../migration/backfill';
import {
  abortOnSignals,
  dynamoFromEnv,
  positiveInt,
  resolveIn,
  runCommand,
  safeName,
  type CommandDeps,
} from '../migration/command-support';
import { entityFrom, loadMigrationSection } from '../migration/config';
import { StderrProgress } from '../migration/progress';
import { openSource } from '../../adapters/sql/url';
import { FileCheckpointStore, RejectsFile } from '../migration/state';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { openAuditSink, type AuditSink, type AuditTargetOptions } from '../migration/audit';
import { AwsContext } from '../aws-context';

export interface BackfillCommandOptions extends AuditTargetOptions {
  readonly source: string;
  readonly entity: string;
  readonly segments: number;
  readonly table?: string;
  readonly pageSize: number;
  readonly stateDir: string;
  readonly restart?: boolean;
  readonly config: string;
  readonly json?: boolean;
}

function describeSummary(s: BackfillSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    s.status === 'alreadyComplete'
      ? `backfill ${s.entity} -> ${s.table}: already complete (${s.checkpoint}); --restart to copy again`
      : `backfill ${s.entity} -> ${s.table}: ${s.status === 'complete' ? 'complete' : 'stopped, run the same command to resume'}${s.resumed ? ' (resumed)' : ''}`,
    `  rows ${n(s.rows)}   items ${n(s.items)}   rejected ${n(s.rejected)}   segments ${s.segments}`,
  ];
  if (s.status !== 'alreadyComplete') {
    lines.push(
      `  this run: ${n(s.run.rows)} rows in ${(s.run.durationMs / 1000).toFixed(1)} s (${n(s.run.rowsPerSecond)} rows/s), ${n(s.run.requests)} requests, ${n(s.run.retries)} retries`,
    );
  }
  if (s.rejected > 0) lines.push(`  rejected rows (column, value and reason): ${s.rejectsFile}`);
  lines.push(`  checkpoint: ${s.checkpoint}`);
  return `${lines.join('\n')}\n`;
}

/** The command body, with its surroundings injected. Returns the exit code: 0 done, 130 stopped, 2 error. */
export async function backfillCommand(
  opts: BackfillCommandOptions,
  deps: CommandDeps & { audit?: AuditSink; context?: AwsContext } = {},
): Promise<number> {
  return runCommand(deps, async () => {
    const stdout = deps.stdout ?? process.stdout;
    const stderr = deps.stderr ?? process.stderr;
    const section = loadMigrationSection(resolveIn(deps.cwd, opts.config));
    const entity = entityFrom(section, opts.entity);
    const tableName = opts.table ?? entity.targetTable;
    const stateDir = resolveIn(deps.cwd, opts.stateDir);
    const base = `${safeName(entity.name)}-${safeName(tableName)}`;
    const dynamo = deps.dynamo ?? dynamoFromEnv();
    // Found before the source is read: a run that could not be audited must not start.
    const audit = deps.audit ?? (await openAuditSink(opts, { ...deps, dynamo })).sink;
    const source = await openSource(opts.source, { connections: opts.segments * 2 });
    try {
      const summary = await runBackfill({
        entity,
        source,
        target: new DynamoTable(dynamo, tableName, { keyAttributes: entity.keyAttributes }),
        tableName,
        checkpoints: new FileCheckpointStore(path.join(stateDir, `backfill-${base}.json`)),
        rejects: new RejectsFile(path.join(stateDir, `rejects-${base}.jsonl`)),
        segments: opts.segments,
        pageSize: opts.pageSize,
        restart: opts.restart,
        signal: deps.signal,
        progress: new StderrProgress(stderr),
        audit,
      });
      stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : describeSummary(summary));
      return summary.status === 'aborted' ? 130 : 0;
    } finally {
      await source.close();
    }
  });
}

/**
 * `cutover backfill --source <url> --entity <name> [--segments N]`: copies the entity's rows into its
 * DynamoDB table. Parallel key-range segments, BatchWriteItem of 25 with backoff and jitter, a checkpoint
 * after every batch (kill it at any time and run the same command to resume), bad rows to a rejects file.
 * Each run is recorded in the audit log (stream `migration-<entity>`): started, then finished with its counts.
 */
export function register(program: Command): void {
  program
    .command('backfill')
    .description("copy an entity's monolith rows into its DynamoDB table (resumable; rows the mapping refuses go to a rejects file)")
    .requiredOption('--source <url>', 'monolith database: postgres://user@host:5432/db, mysql://user@host:3306/db or pglite://<dir>')
    .requiredOption('--entity <name>', 'an entity of the spec migration section, e.g. orders')
    .option('--segments <n>', 'key ranges copied in parallel', positiveInt, 4)
    .option('--table <name>', "deployed DynamoDB table name (default: the spec's target table)")
    .option('--page-size <n>', 'root rows read per query', positiveInt, 1000)
    .option('--state-dir <dir>', 'where the checkpoint and the rejects file live', '.cutover')
    .option('--restart', 'ignore an existing checkpoint and copy from the start')
    .option('--audit-table <name>', 'the audit table the run is recorded in (default: the AuditTableName stack output)')
    .option('--audit <file>', 'also append each audit entry to this local JSON-lines file')
    .option('--no-audit-log', 'copy without entries in the audit table (not for production)')
    .option('--config <file>', 'the spec module', 'cutover.config.ts')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: BackfillCommandOptions, command: Command) => {
      const stop = abortOnSignals();
      try {
        const dynamo = dynamoFromEnv(command.optsWithGlobals<{ region?: string; profile?: string }>());
        process.exitCode = await backfillCommand(opts, { signal: stop.signal, dynamo, context: AwsContext.fromCommand(command) });
      } finally {
        stop.dispose();
      }
    });
}
