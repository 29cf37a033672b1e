import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openAuditSink, type AuditSink, type AuditTargetOptions } from '../migration/audit';
import { AwsContext } from '../aws-context';
import {
  abortOnSignals,
  dynamoFromEnv,
  nonNegativeInt,
  positiveInt,
  resolveIn,
  runCommand,
  type CommandDeps,
} from '../migration/command-support';
import { entityFrom, loadMigrationSection } from '../migration/config';
import { foldExportInWorker, foldSourceInWorkers } from '../migration/fold-worker';
import { StderrProgress } from '../migration/progress';
import { openSource, parseSourceUrl } from '../../adapters/sql/url';
import { DynamoTable } from '../../adapters/migration-target/dynamodb';
import { ExportFileSource } from '../../adapters/migration-target/export-file';
import { runVerify, type VerifyReport } from '../migration/verify';

export interface VerifyCommandOptions extends AuditTargetOptions {
  readonly source: string;
  readonly entity: string;
  readonly table?: string;
  readonly export?: string;
  readonly repair?: boolean;
  readonly repairLimit: number;
  readonly lag: number;
  readonly buckets?: number;
  readonly segments: number;
  readonly workers: number;
  readonly report?: string;
  readonly limit: number;
  readonly config: string;
  readonly json?: boolean;
}

const n = (x: number) => x.toLocaleString('en-US');
const rowKeyText = (k?: Record<string, string | null>) =>
  k
    ? `  (${Object.entries(k)
        .map(([c, v]) => `${c}=${v}`)
        .join(', ')})`
    : '';

export function describeReport(r: VerifyReport, shown = 20): string {
  const out: string[] = [];
  out.push(`verify ${r.entity}: ${r.source}  vs  ${r.target}`);
  out.push(
    `  source: ${n(r.counts.sourceRows)} rows -> ${n(r.counts.sourceItems)} items${r.counts.rejected ? ` (${n(r.counts.rejected)} rows rejected by the mapping, not expected in the target)` : ''}`,
  );
  out.push(
    `  target: ${n(r.counts.targetItems)} items${r.counts.foreign ? ` (${n(r.counts.foreign)} items of other entities skipped)` : ''}`,
  );
  out.push(`  buckets: ${n(r.buckets.count)}, ${n(r.buckets.differing)} differ`);
  out.push(
    `  matched ${n(r.matched)}   missing ${n(r.totals.missing)}   extra ${n(r.totals.extra)}   different ${n(r.totals.different)}${r.totals.duplicates ? `   duplicate keys ${n(r.totals.duplicates)}` : ''}${r.totals.inFlight ? `   in flight ${n(r.totals.inFlight)}` : ''}`,
  );
  const list = (title: string, total: number, items: { key: string; rowKey?: Record<string, string | null> }[]) => {
    if (total === 0) return;
    out.push(`  ${title}:`);
    for (const i of items.slice(0, shown)) out.push(`    ${i.key}${rowKeyText(i.rowKey)}`);
    if (total > Math.min(shown, items.length))
      out.push(`    ... ${n(total - Math.min(shown, items.length))} more${items.length < total ? ' (see --report)' : ''}`);
  };
  list('missing in target', r.totals.missing, r.missing);
  list('extra in target (never deleted by --repair)', r.totals.extra, r.extra);
  if (r.totals.different > 0) {
    out.push('  different:');
    for (const d of r.different.slice(0, shown)) {
      out.push(`    ${d.key}${rowKeyText(d.rowKey)}`);
      for (const f of d.fields) out.push(`      ${f.path || '(item)'}  ${f.kind}: ${f.detail}`);
    }
    if (r.totals.different > shown) out.push(`    ... ${n(r.totals.different - shown)} more (see --report)`);
  }
  list('duplicate keys (several source rows map to one item)', r.totals.duplicates, r.duplicates);
  list('in flight (changed within the lag; not counted)', r.totals.inFlight, r.inFlight);
  if (r.rejects.length > 0) {
    out.push('  rejected by the mapping:');
    for (const j of r.rejects.slice(0, 5))
      out.push(`    ${rowKeyText(j.key).trim()} ${j.table}${j.column ? `.${j.column}` : ''}: ${j.reason}`);
  }
  if (r.repaired)
    out.push(
      `  repaired ${n(r.repaired.items)} items (${n(r.repaired.audited)} audit entries)${r.repaired.skipped > 0 ? `, ${n(r.repaired.skipped)} left over the repair limit: run backfill` : ''}; verify again to confirm`,
    );
  out.push(
    `  ${r.clean ? 'clean' : 'DIFFERENT'} in ${(r.timings.totalMs / 1000).toFixed(1)} s (fold ${(r.timings.foldMs / 1000).toFixed(1)} s, drill-down ${(r.timings.drillMs / 1000).toFixed(1)} s${r.repaired ? `, repair ${(r.timings.repairMs / 1000).toFixed(1)} s` : ''})`,
  );
  return `${out.join('\n')}\n`;
}

/**
 * The command body, with its surroundings injected. Exit code: 0 clean, 1 differences found (after a
 * repair too: verify again to confirm), 2 error.
 */
export async function verifyCommand(
  opts: VerifyCommandOptions,
  deps: CommandDeps & { audit?: AuditSink; context?: AwsContext } = {},
): Promise<number> {
  return runCommand(deps, async () => {
    const stdout = deps.stdout ?? process.stdout;
    const stderr = deps.stderr ?? process.stderr;
    const section = loadMigrationSection(resolveIn(deps.cwd, opts.config));
    const entity = entityFrom(section, opts.entity);
    const tableName = opts.table ?? entity.targetTable;
    const dynamo = deps.dynamo ?? (opts.export && !opts.repair ? undefined : dynamoFromEnv());
    const table = dynamo ? new DynamoTable(dynamo, tableName, { keyAttributes: entity.keyAttributes }) : undefined;
    const exportPath = opts.export ? resolveIn(deps.cwd, opts.export) : undefined;
    const target = exportPath ? new ExportFileSource(exportPath, entity.keyAttributes) : (table as DynamoTable);
    // Found before the source is read: a repair that could not be audited must not start.
    const audit = opts.repair && table ? (deps.audit ?? (await openAuditSink(opts, { ...deps, dynamo })).sink) : undefined;
    const source = await openSource(opts.source, { connections: opts.segments * 2 });
    try {
      const report = await runVerify({
        entity,
        source,
        target,
        tableName,
        buckets: opts.buckets,
        segments: opts.segments,
        detailLimit: opts.limit,
        lagSeconds: opts.lag,
        foldTarget: exportPath ? (e, s, dir) => foldExportInWorker(exportPath, e, s, dir) : undefined,
        // PGlite lives in this process; the other databases are read by worker threads, each its own connections.
        foldSource:
          opts.workers > 0 && parseSourceUrl(opts.source).kind !== 'pglite'
            ? (e, s, dir, onRows) =>
                foldSourceInWorkers(opts.source, source, e, s, dir, {
                  workers: opts.workers,
                  segmentsPerWorker: Math.max(1, Math.ceil(opts.segments / opts.workers)),
                  onRows,
                })
            : undefined,
        repair: table && audit ? { writer: table, audit, limit: opts.repairLimit } : undefined,
        progress: new StderrProgress(stderr),
        signal: deps.signal,
      });
      if (opts.report) {
        const file = resolveIn(deps.cwd, opts.report);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      }
      stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : describeReport(report));
      return report.clean ? 0 : 1;
    } finally {
      await source.close();
    }
  });
}

/**
 * `cutover verify --source <url> --entity <name>`: checks that the entity's DynamoDB table (or a table
 * export, `--export`) holds exactly what the mapping makes of the source. Bucket checksums first, then
 * only the differing buckets down to the attributes. `--repair` rewrites missing and different items from
 * the source, one entry each in the audit log (stream `migration-<entity>`, same hash chain as the rest).
 */
export function register(program: Command): void {
  program
    .command('verify')
    .description("check an entity's DynamoDB table against the monolith: missing, extra and different items, down to the attribute")
    .requiredOption('--source <url>', 'monolith database: postgres://..., mysql://... or pglite://<dir>')
    .requiredOption('--entity <name>', 'an entity of the spec migration section, e.g. orders')
    .option('--table <name>', "deployed DynamoDB table name (default: the spec's target table)")
    .option('--export <path>', 'read the target from a DynamoDB export (DYNAMODB_JSON files, .json or .json.gz) instead of the live table')
    .option('--repair', 'rewrite missing and different items from the source (extra items are reported, never deleted)')
    .option('--repair-limit <n>', 'rewrite at most this many items', positiveInt, 10_000)
    .option('--audit-table <name>', 'the audit table the repairs are recorded in (default: the AuditTableName stack output)')
    .option('--audit <file>', 'also append each audit entry to this local JSON-lines file')
    .option('--no-audit-log', 'repair without entries in the audit table (not for production)')
    .option('--lag <seconds>', 'rows updated within this many seconds are in flight, not different', nonNegativeInt, 0)
    .option('--buckets <n>', 'checksum buckets (default: about 256 rows each)', positiveInt)
    .option('--segments <n>', 'source key ranges read at once', positiveInt, 4)
    .option('--workers <n>', 'worker threads reading the source (0: this thread; PGlite always reads here)', nonNegativeInt, 2)
    .option('--report <file>', 'write the full report as JSON')
    .option('--limit <n>', 'items listed per kind in the report', positiveInt, 1000)
    .option('--config <file>', 'the spec module', 'cutover.config.ts')
    .option('--json', 'print the report as JSON')
    .action(async (opts: VerifyCommandOptions, command: Command) => {
      const stop = abortOnSignals();
      try {
        const dynamo = dynamoFromEnv(command.optsWithGlobals<{ region?: string; profile?: string }>());
        process.exitCode = await verifyCommand(opts, { signal: stop.signal, dynamo, context: AwsContext.fromCommand(command) });
      } finally {
        stop.dispose();
      }
    });
}
