import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, InvalidArgumentError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { groupKeyFunction, resolveEntityNames, tablesOfEntities } from '../../core/capture/groups';
import type { OutboxMapping } from '../../core/capture/outbox';
import { CutoverError } from '../../core/errors';
import type { ChangeSink, RowChange } from '../../core/sync/change';
import { openCaptureDatabase, type CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture, planCapture, uninstallCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay, relayStatus } from '../../adapters/sql/capture/relay';
import { SqsFifoSink } from '../../adapters/sql/capture/sqs-sink';
import { parseSourceUrl } from '../../adapters/sql/url';
import {
  abortOnSignals,
  nonNegativeInt as nonNegativeIntArg,
  positiveInt,
  resolveIn,
  runCommand,
  type CommandDeps,
} from '../migration/command-support';
import { loadMigrationSection } from '../migration/config';

const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export interface CaptureTargetOptions {
  readonly source: string;
  readonly entity?: string[];
  readonly table?: string[];
  readonly outbox?: string;
  readonly config: string;
}

export interface InstallOptions extends CaptureTargetOptions {
  readonly dryRun?: boolean;
}

export interface UninstallCommandOptions extends CaptureTargetOptions {
  readonly dropTables?: boolean;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

export interface RelayCommandOptions extends CaptureTargetOptions {
  readonly queueUrl?: string;
  readonly stdout?: boolean;
  readonly sourceName: string;
  readonly name?: string;
  readonly batchSize: number;
  readonly pollMs: number;
  readonly duration?: number;
  readonly once?: boolean;
  readonly leaseMs: number;
  readonly rejects: string;
  readonly retainMinutes: number;
  readonly appliedRetainMinutes?: number;
}

export interface SyncCaptureDeps extends CommandDeps {
  /** A sink to use instead of SQS or stdout (tests). */
  readonly sink?: ChangeSink;
  readonly sqs?: SQSClient;
  /** Open the database (tests hand in PGlite). */
  readonly open?: (url: string) => Promise<CaptureDatabase>;
}

/** The outbox file: a JSON array of OutboxMapping (see core/capture/outbox.ts). */
function readOutbox(file: string | undefined, cwd?: string): OutboxMapping[] {
  if (!file) return [];
  const full = resolveIn(cwd, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(full, 'utf8'));
  } catch (e) {
    throw new CutoverError(
      `--outbox: ${full} cannot be read as JSON: ${e instanceof Error ? e.message : String(e)}`,
      { file: full },
      { cause: e },
    );
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  for (const [i, m] of items.entries()) {
    const o = m as Partial<OutboxMapping>;
    for (const field of ['table', 'rowTable', 'keyColumn', 'payloadColumn'] as const) {
      if (!o || o[field] === undefined)
        throw new CutoverError(`--outbox: ${full}[${i}].${field} is missing`, { file: full, index: i, field });
    }
  }
  return items as OutboxMapping[];
}

/** Tables named by --entity (through the spec's migration section, children included) and --table. */
function tablesFrom(opts: CaptureTargetOptions, cwd?: string): { tables: string[]; entities: string[] } {
  const entities = opts.entity?.length ? resolveEntityNames(loadMigrationSection(resolveIn(cwd, opts.config)), opts.entity) : [];
  const fromEntities = entities.length ? tablesOfEntities(loadMigrationSection(resolveIn(cwd, opts.config)), entities) : [];
  return { tables: [...new Set([...fromEntities, ...(opts.table ?? [])])], entities };
}

async function withDatabase<T>(
  opts: CaptureTargetOptions,
  deps: SyncCaptureDeps,
  fn: (db: CaptureDatabase, prefix: string) => Promise<T>,
): Promise<T> {
  const prefix = parseSourceUrl(opts.source).tablePrefix;
  const db = await (deps.open ?? ((u: string) => openCaptureDatabase(u)))(opts.source);
  try {
    return await fn(db, prefix);
  } finally {
    await db.close();
  }
}

export async function installCommand(opts: InstallOptions, deps: SyncCaptureDeps = {}): Promise<number> {
  return runCommand(deps, async () => {
    const out = deps.stdout ?? process.stdout;
    const { tables } = tablesFrom(opts, deps.cwd);
    const outboxTables = readOutbox(opts.outbox, deps.cwd).map((m) => m.table);
    if (tables.length === 0 && outboxTables.length === 0)
      throw new CutoverError('name what to capture: --entity orders,customers (spec entities), --table <name> or --outbox <file>', {});
    return withDatabase(opts, deps, async (db, prefix) => {
      if (opts.dryRun) {
        const plan = await planCapture(db, { tables, prefix, outboxTables });
        out.write(`-- cutover sync install --dry-run: ${db.label} (${plan.dialect}, ${plan.schema})\n`);
        for (const o of plan.objects)
          out.write(
            `--   ${o.kind} ${o.name}: ${o.state === 'unchanged' ? 'installed, unchanged' : o.state === 'replace' ? 'installed, would be replaced (columns changed)' : 'would be created'}\n`,
          );
        out.write(`-- The complete script (idempotent):\n\n${plan.script}`);
        return 0;
      }
      const report = await installCapture(db, { tables, prefix, outboxTables });
      for (const o of report.plan.objects)
        out.write(`${o.state === 'unchanged' ? 'unchanged' : o.state === 'replace' ? 'replaced ' : 'created  '}  ${o.kind} ${o.name}\n`);
      out.write(
        report.executed === 0
          ? `capture already installed on ${db.label}: nothing to do\n`
          : `capture installed on ${db.label}: ${report.executed} statement(s)\n`,
      );
      return 0;
    });
  });
}

export async function uninstallCommand(opts: UninstallCommandOptions, deps: SyncCaptureDeps = {}): Promise<number> {
  return runCommand(deps, async () => {
    const out = deps.stdout ?? process.stdout;
    const { tables } = tablesFrom(opts, deps.cwd);
    return withDatabase(opts, deps, async (db, prefix) => {
      const statements = await uninstallCapture(db, {
        prefix,
        tables: tables.length ? tables : undefined,
        dropTables: opts.dropTables,
        force: opts.force,
        dryRun: opts.dryRun,
      });
      if (opts.dryRun) out.write(statements.map((s) => `${s};\n`).join(''));
      else
        out.write(statements.length ? `removed: ${statements.length} object(s) from ${db.label}\n` : `nothing installed on ${db.label}\n`);
      return 0;
    });
  });
}

/** Prints each change as one JSON line: to look at what the relay would ship. */
class StdoutSink implements ChangeSink {
  public constructor(private readonly out: { write(text: string): unknown }) {}
  public async send(changes: readonly RowChange[]): Promise<void> {
    for (const c of changes) this.out.write(`${JSON.stringify(c)}\n`);
  }
}

export async function relayCommand(opts: RelayCommandOptions, deps: SyncCaptureDeps = {}): Promise<number> {
  return runCommand(deps, async () => {
    const out = deps.stdout ?? process.stdout;
    const err = deps.stderr ?? process.stderr;
    const { tables, entities } = tablesFrom(opts, deps.cwd);
    const outbox = readOutbox(opts.outbox, deps.cwd);
    let sink = deps.sink;
    if (!sink && opts.stdout) sink = new StdoutSink(out);
    if (!sink && opts.queueUrl) {
      const section =
        entities.length || fs.existsSync(resolveIn(deps.cwd, opts.config))
          ? loadMigrationSection(resolveIn(deps.cwd, opts.config))
          : undefined;
      const groupKey = section ? groupKeyFunction(section) : (c: RowChange) => `${c.table}#${Object.values(c.key).join('|')}`;
      sink = new SqsFifoSink({ client: deps.sqs ?? new SQSClient({}), queueUrl: opts.queueUrl, groupKey });
    }
    if (!sink) throw new CutoverError('say where changes go: --queue-url <SQS FIFO queue URL> or --stdout', {});
    const rejectsFile = resolveIn(deps.cwd, opts.rejects);
    const relayName = opts.name ?? (tables.length ? `${opts.sourceName}:${[...tables].sort().join(',')}` : opts.sourceName);
    return withDatabase(opts, deps, async (db, prefix) => {
      const relay = new ChangeRelay(db, sink, {
        source: opts.sourceName,
        name: relayName,
        prefix,
        tables: tables.length ? tables : undefined,
        batchSize: opts.batchSize,
        leaseMs: opts.leaseMs,
        retainMs: opts.retainMinutes * 60_000,
        appliedRetainMs: (opts.appliedRetainMinutes ?? 2880) * 60_000,
        outbox,
        rejects: {
          reject: async (change, reason) => {
            fs.mkdirSync(path.dirname(rejectsFile), { recursive: true });
            fs.appendFileSync(rejectsFile, `${JSON.stringify({ at: new Date().toISOString(), reason, change })}\n`);
            err.write(`rejected change ${change.changeId} (${change.table}): ${reason}\n`);
          },
        },
      });
      const stop = deps.signal ? { signal: deps.signal, dispose: () => undefined } : abortOnSignals();
      try {
        const report = await relay.run({
          maxDurationMs: opts.duration !== undefined ? opts.duration * 1000 : Number.MAX_SAFE_INTEGER,
          pollIntervalMs: opts.pollMs,
          stopWhenIdle: opts.once,
          signal: stop.signal,
          onError: (e) => err.write(`relay: ${e.message}\n`),
          onPass: (r) => {
            if (r.shipped > 0 || r.rejected > 0)
              err.write(
                `relay: shipped ${r.shipped}${r.skippedSync ? `, passed by ${r.skippedSync} of the sync's own` : ''}${r.rejected ? `, rejected ${r.rejected}` : ''}, watermark ${r.watermark}\n`,
              );
          },
        });
        await relay.release().catch(() => undefined);
        const status = await relayStatus(db, { name: relayName, prefix });
        err.write(
          `relay ${report.standby ? 'stood by (another relay holds the lease)' : 'stopped'}: ${report.shipped} shipped, ${report.skippedSync} of the sync's own passed by, ${report.rejected} rejected, ` +
            `${report.sinkFailures} failed send(s); watermark ${report.watermark}, backlog ${status.backlog}\n`,
        );
        return report.sinkFailures > 0 && status.backlog > 0 ? 1 : 0;
      } finally {
        stop.dispose();
      }
    });
  });
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected seconds > 0, got ${JSON.stringify(value)}`);
  return n;
}

function targetOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--source <url>',
      'the monolith database: postgres://...[?schema=s], mysql://... (or mariadb://), pglite://<dir>; ?prefix=t_ for prefixed tables',
    )
    .option(
      '--entity <names>',
      'spec entities to capture, comma separated (their root and child tables); a service table name such as inventory stands for its entity',
      list,
    )
    .option('--table <names>', 'further tables by name, comma separated', list)
    .option('--outbox <file>', "JSON file describing the application's outbox table(s) (see README: change capture)")
    .option('--config <file>', 'the spec module', 'cutover.config.ts');
}

/**
 * `cutover sync install|uninstall|relay`: change capture on the monolith. Other `sync` subcommands
 * (status, conflicts) register on the same group; whichever registers first creates it.
 */
export function register(program: Command): void {
  const sync =
    program.commands.find((c) => c.name() === 'sync') ??
    program.command('sync').description('two-way data sync between the monolith database and the services (capture, relay, conflicts)');

  targetOptions(
    sync
      .command('install')
      .description('create the change table (cutover_changes) and row triggers on the mapped tables; installing twice is a no-op')
      .addHelpText(
        'after',
        `
Each captured table gets row triggers that write one change row per inserted, updated or deleted row:
key, operation, changed columns, before and after images (every column as SQL text), the transaction id,
the origin (app, or sync for the sync's own writes: those are never shipped back) and the time.
A table without a primary key is refused. PostgreSQL also refuses TRUNCATE on captured tables (it fires
no row triggers). --dry-run prints the complete DDL for review and changes nothing.

Examples:
  cutover sync install --source postgres://app@db/shop --entity orders,customers,inventory --dry-run
  cutover sync install --source mysql://root@127.0.0.1/shop --entity stock --outbox outbox.json`,
      ),
  )
    .option('--dry-run', 'print the DDL and what exists already; change nothing')
    .action(async (opts: InstallOptions) => {
      process.exitCode = await installCommand(opts);
    });

  targetOptions(
    sync
      .command('uninstall')
      .description('remove the capture triggers (all of them, or those of --entity/--table); --drop-tables also drops the change table')
      .addHelpText(
        'after',
        '\nThe change table is kept unless --drop-tables; that is refused while changes are unshipped, unless --force.',
      ),
  )
    .option('--drop-tables', 'also drop cutover_changes and the relay state')
    .option('--force', 'drop the change table even with unshipped changes (they are lost)')
    .option('--dry-run', 'print the statements; change nothing')
    .action(async (opts: UninstallCommandOptions) => {
      process.exitCode = await uninstallCommand(opts);
    });

  targetOptions(
    sync
      .command('relay')
      .description(
        'ship captured changes in commit order to the SQS FIFO queue (group = entity key, dedup = change id), resuming after its watermark',
      )
      .addHelpText(
        'after',
        `
The relay stamps committed changes with commit-order numbers, ships them at least once and then moves its
watermark, so a crash or an unreachable queue resumes exactly where it stopped. A lease in the database
lets one relay per name run; a second one stands by and takes over when the lease lapses. Changes written
by the sync itself (origin sync) are passed by. It runs until stopped (Ctrl-C stops after the batch in
flight), for --duration seconds, or with --once until the backlog is empty.

Examples:
  cutover sync relay --source postgres://app@db/shop --queue-url https://sqs.eu-west-1.amazonaws.com/123/shop-sync.fifo
  cutover sync relay --source pglite://.cutover/monolith --stdout --once`,
      ),
  )
    .option('--queue-url <url>', 'the SQS FIFO queue to ship to')
    .option('--stdout', 'print changes as JSON lines instead of shipping them')
    .option('--source-name <name>', "the source's name in each change (leases and watermarks are per name)", 'monolith')
    .option('--name <name>', 'lease and watermark name (default: the source name, plus the tables when --entity/--table filter them)')
    .option('--batch-size <n>', 'changes per pass', positiveInt, 500)
    .option('--poll-ms <ms>', 'wait between passes when idle', positiveInt, 100)
    .option('--duration <seconds>', 'stop after this long', seconds)
    .option('--once', 'stop as soon as there is nothing left to ship')
    .option('--lease-ms <ms>', 'lease duration (renewed every pass)', positiveInt, 30_000)
    .option('--rejects <file>', 'outbox rows that cannot be mapped (JSON lines, with the reason)', '.cutover/sync-rejects.jsonl')
    .option(
      '--retain-minutes <n>',
      'keep shipped change rows this long, then delete them (every relay must have shipped them)',
      nonNegativeIntArg,
      1440,
    )
    .option(
      '--applied-retain-minutes <n>',
      "keep the SQL writer's applied-change keys (cutover_applied) this long; the streams redeliver for 24 h at most",
      nonNegativeIntArg,
      2880,
    )
    .action(async (opts: RelayCommandOptions) => {
      process.exitCode = await relayCommand(opts);
    });
}
