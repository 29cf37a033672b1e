import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Command, Option } from 'commander';
import { parseSpec, type Spec } from '../../core/spec';
import { SpecError } from '../../core/errors';
import { SyncCatalog } from '../../core/sync/catalog';
import type { ConflictEntry, ConflictStatus, ConflictTake } from '../../core/sync/ledger';
import type { SyncRecord } from '../../core/sync/record';
import { SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { SyncStateStore } from '../../adapters/dynamodb/sync-state-store';
import { ItemApplier } from '../../adapters/dynamodb/sync-item-applier';
import { ConflictResolution, type ConflictResolutionDeps } from '../../adapters/dynamodb/sync-resolve';
import { ConflictNotifier } from '../../adapters/aws/sync-notifier';
import { openCaptureDatabase } from '../../adapters/sql/capture/database';
import { SqlChangeWriter } from '../../adapters/sql/capture/sql-writer';
import { relayStatus, type RelayStatus } from '../../adapters/sql/capture/relay';
import { AwsContext, explainAwsError } from '../aws-context';
import { runCli, type CliIo, type Out } from './io';
import type { SyncSwitchStatus } from '../../adapters/aws/sync-switch';
import { syncSwitchOf } from './sync-switch';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { streamIteratorAgeMs } from '../../adapters/cloudwatch/sync-metrics';
import { OUTPUTS } from '../../core/contract';

/** Stack outputs of the sync and data stacks (core/contract.ts). */
const LEDGER_OUTPUT = OUTPUTS.sync.ledgerTableName;
const STATE_OUTPUT = OUTPUTS.sync.stateTableName;
const TABLES_OUTPUT = OUTPUTS.data.migrationTables;

export interface SyncCliOptions {
  readonly config?: string;
  readonly ledgerTable?: string;
  readonly stateTable?: string;
  readonly json?: boolean;
}

/** What the sync commands work with; tests hand in their own. */
export interface SyncCliDeps {
  readonly spec: Spec;
  readonly ledger: SyncLedgerStore;
  readonly state: SyncStateStore;
  readonly resolution?: (writer: ConflictResolutionDeps['writer']) => Promise<ConflictResolution>;
  readonly openWriter?: (url: string) => Promise<{ writer: NonNullable<ConflictResolutionDeps['writer']>; close(): Promise<void> }>;
  readonly relayStatus?: (url: string) => Promise<RelayStatus>;
  /** Whether the deployed sync is running (cutover sync start|stop). */
  readonly switchStatus?: () => Promise<SyncSwitchStatus>;
  /** Services -> monolith lag: the stream applier's IteratorAge (ms), undefined without data. */
  readonly streamLagMs?: () => Promise<number | undefined>;
  readonly now?: () => Date;
}

function loadSpecFile(configPath: string): Spec {
  const file = path.resolve(configPath);
  if (!fs.existsSync(file)) throw new SpecError([`config: ${file} does not exist (pass --config <file>)`]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file) as { default?: unknown; spec?: unknown };
  const spec = parseSpec(mod.default ?? mod.spec ?? mod);
  if (!spec.sync)
    throw new SpecError([
      `sync: ${configPath} has no sync section; declare the synced entities and their policies there (README: two-way sync)`,
    ]);
  return spec;
}

async function defaultDeps(opts: SyncCliOptions, context: AwsContext): Promise<SyncCliDeps> {
  const spec = loadSpecFile(opts.config ?? 'cutover.config.ts');
  const doc = context.documentClient();
  const ledger = new SyncLedgerStore({ tableName: opts.ledgerTable ?? (await context.output(LEDGER_OUTPUT)), client: doc });
  const state = new SyncStateStore({ tableName: opts.stateTable ?? (await context.output(STATE_OUTPUT)), client: doc });
  return {
    spec,
    ledger,
    state,
    resolution: async (writer) => {
      const tableNames = await deployedTables(spec, context);
      const catalog = new SyncCatalog(spec.sync!, spec.migration!.entities);
      const notifier = new ConflictNotifier({ ledger });
      return new ConflictResolution({
        catalog,
        ledger,
        state,
        writer,
        notifier,
        items: new ItemApplier({ catalog, tableNames, state, notifier, client: new DynamoDBClient({}) }),
      });
    },
    openWriter: async (url) => {
      const db = await openCaptureDatabase(url, { connections: 1 });
      return { writer: new SqlChangeWriter(db), close: () => db.close() };
    },
    switchStatus: async () => (await syncSwitchOf(context)).status(),
    streamLagMs: async () =>
      streamIteratorAgeMs(await context.output(OUTPUTS.sync.streamFunctionName), { client: new CloudWatchClient(context.sdkConfig()) }),
    relayStatus: async (url) => {
      const db = await openCaptureDatabase(url, { connections: 1 });
      try {
        return await relayStatus(db, { name: spec.sync!.source });
      } finally {
        await db.close();
      }
    },
  };
}

/** Deployed table names (entity -> table from the data stack) as logical -> deployed. */
export async function deployedTables(spec: Spec, context: AwsContext): Promise<Record<string, string>> {
  const byEntity = JSON.parse(await context.output(TABLES_OUTPUT)) as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [entity, deployed] of Object.entries(byEntity)) {
    const def = spec.migration?.entities[entity];
    if (def) out[def.target.table] = deployed;
  }
  return out;
}

function showRecord(r: SyncRecord | null | undefined): string {
  if (r === undefined) return '-';
  if (r === null) return '(absent)';
  return Object.entries(r)
    .map(([k, v]) => `${k}=${'S' in v ? JSON.stringify(v.S) : 'N' in v ? v.N : JSON.stringify(v)}`)
    .join(', ');
}

function printEntry(out: Out, e: ConflictEntry): void {
  out.stdout(
    [
      `conflict ${e.conflictId}  ${e.status}`,
      `  entity   ${e.entity} ${e.key}`,
      `  detected ${e.detectedAt} by the ${e.detectedBy} applier, meeting the ${e.incoming.side} change ${e.incoming.position} (${e.incoming.at})`,
      `  fields   ${e.fields.join(', ') || '-'}`,
      `  policy   ${e.policy}`,
      `  base     ${showRecord(e.base)}`,
      `  monolith ${showRecord(e.monolith)}`,
      `  service  ${showRecord(e.service)}`,
      `  result   ${e.status === 'open' ? '(open: cutover sync conflicts resolve ' + e.conflictId + ' --take monolith|service|merged --reason "...")' : showRecord(e.result)}`,
      ...(e.winner ? [`  winner   ${e.winner}`] : []),
      ...(e.resolvedBy ? [`  settled  by ${e.resolvedBy} at ${e.resolvedAt}${e.reason ? `: ${e.reason}` : ''}`] : []),
    ].join('\n') + '\n',
  );
}

export async function conflictsListCommand(
  opts: SyncCliOptions & { status?: ConflictStatus; entity?: string },
  io: CliIo = {},
  given?: SyncCliDeps,
): Promise<number> {
  return runCli(io, async (out) => {
    const deps = given ?? (await defaultDeps(opts, io.context ?? new AwsContext()));
    const status = opts.status ?? 'open';
    let n = 0;
    try {
      for await (const e of deps.ledger.list(status)) {
        if (opts.entity && e.entity !== opts.entity) continue;
        n += 1;
        if (opts.json) out.stdout(`${JSON.stringify(e)}\n`);
        else
          out.stdout(
            `${e.detectedAt}  ${e.conflictId}  ${e.entity.padEnd(10)} ${e.key}  ${e.policy}  fields: ${e.fields.join(', ')}${e.winner ? `  -> ${e.winner}` : ''}\n`,
          );
      }
    } catch (cause) {
      throw explainAwsError(cause, `reading the conflict ledger ${deps.ledger.tableName}`);
    }
    if (!opts.json) out.stdout(`${n} ${status} conflict(s)\n`);
    return 0;
  });
}

export async function conflictsShowCommand(id: string, opts: SyncCliOptions, io: CliIo = {}, given?: SyncCliDeps): Promise<number> {
  return runCli(io, async (out) => {
    const deps = given ?? (await defaultDeps(opts, io.context ?? new AwsContext()));
    const e = await deps.ledger.get(id);
    if (!e) {
      out.stderr(`error: no conflict ${id} in the ledger ${deps.ledger.tableName}\n`);
      return 1;
    }
    if (opts.json) out.stdout(`${JSON.stringify(e)}\n`);
    else printEntry(out, e);
    return 0;
  });
}

export interface ResolveOptions extends SyncCliOptions {
  readonly take: ConflictTake;
  readonly reason: string;
  readonly merged?: string;
  readonly actor?: string;
  readonly source?: string;
}

export async function conflictsResolveCommand(id: string, opts: ResolveOptions, io: CliIo = {}, given?: SyncCliDeps): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    const deps = given ?? (await defaultDeps(opts, context));
    if (!opts.reason.trim()) throw new SpecError(['--reason: say why, it is kept in the ledger and the audit log']);
    let merged: SyncRecord | null | undefined;
    if (opts.merged !== undefined) {
      try {
        merged = JSON.parse(opts.merged) as SyncRecord | null;
      } catch (cause) {
        throw new SpecError([
          `--merged: not JSON (${(cause as Error).message}); give attribute -> DynamoDB value, e.g. '{"city":{"S":"Lyon"}}'`,
        ]);
      }
    }
    const opened = opts.source && deps.openWriter ? await deps.openWriter(opts.source) : undefined;
    try {
      const resolution = await deps.resolution!(opened?.writer);
      const report = await resolution.resolve({
        conflictId: id,
        take: opts.take,
        merged,
        actor: opts.actor ?? process.env.USER ?? 'cli',
        reason: opts.reason,
      });
      printEntry(out, report.entry);
      out.stdout(
        `wrote the service item: ${report.wroteService ? 'yes' : 'no'}; the monolith row: ${report.wroteMonolith ? 'yes' : 'no (pass --source to write it)'}; replayed ${report.replayed} queued change(s), dropped ${report.dropped} settled by this choice\n`,
      );
      return 0;
    } finally {
      await opened?.close();
    }
  });
}

export interface StatusOptions extends SyncCliOptions {
  readonly source?: string;
}

/** Per entity: open conflicts; for the monolith -> services direction: lag, backlog, throughput, last error. */
export async function syncStatusCommand(opts: StatusOptions, io: CliIo = {}, given?: SyncCliDeps): Promise<number> {
  return runCli(io, async (out) => {
    const deps = given ?? (await defaultDeps(opts, io.context ?? new AwsContext()));
    const tolerance = deps.spec.sync!.lagToleranceSeconds ?? 60;
    const open = new Map<string, number>();
    for await (const e of deps.ledger.list('open')) open.set(e.entity, (open.get(e.entity) ?? 0) + 1);
    const status: Record<string, unknown> = {
      entities: Object.fromEntries(Object.keys(deps.spec.sync!.entities).map((e) => [e, { openConflicts: open.get(e) ?? 0 }])),
    };
    let exit = 0;
    if (deps.switchStatus) {
      try {
        const sw = await deps.switchStatus();
        status.running = sw.state;
        status.parts = { relaySchedule: sw.relaySchedule, streams: sw.streams };
      } catch (cause) {
        status.running = 'unknown';
        status.runningError = (cause as Error).message;
      }
    }
    if (opts.source && deps.relayStatus) {
      const r = await deps.relayStatus(opts.source);
      const now = deps.now?.() ?? new Date();
      const lagSeconds = r.oldestUnshippedAt ? Math.max(0, (now.getTime() - Date.parse(r.oldestUnshippedAt)) / 1000) : 0;
      status.toService = {
        lagSeconds,
        backlog: r.backlog,
        shippedTotal: r.shippedTotal,
        lastError: r.lastError,
        leaseOwner: r.owner,
        watermark: r.watermark,
        toleranceSeconds: tolerance,
      };
      if (lagSeconds > tolerance) exit = 1;
    }
    if (deps.streamLagMs) {
      try {
        const ms = await deps.streamLagMs();
        status.toMonolith = { lagSeconds: ms === undefined ? null : ms / 1000, toleranceSeconds: tolerance };
        if (ms !== undefined && ms / 1000 > tolerance) exit = 1;
      } catch (cause) {
        status.toMonolith = { lagSeconds: null, toleranceSeconds: tolerance, error: (cause as Error).message };
      }
    }
    if (opts.json) out.stdout(`${JSON.stringify(status)}\n`);
    else {
      if (status.running !== undefined) {
        out.stdout(
          `sync: ${String(status.running)}${status.runningError ? ` (${String(status.runningError)})` : ''}${status.running === 'stopped' ? ' (cutover sync start; writes wait: service ones 24 h in the streams, monolith ones in cutover_changes)' : ''}\n`,
        );
      }
      for (const [e, s] of Object.entries(status.entities as Record<string, { openConflicts: number }>))
        out.stdout(`${e.padEnd(12)} open conflicts: ${s.openConflicts}\n`);
      const t = status.toService as
        { lagSeconds: number; backlog: number; shippedTotal: number; lastError: string | null; toleranceSeconds: number } | undefined;
      if (t) {
        out.stdout(
          `monolith -> services: lag ${t.lagSeconds.toFixed(1)} s (tolerance ${t.toleranceSeconds} s), backlog ${t.backlog}, shipped ${t.shippedTotal}, last error ${t.lastError ?? '-'}\n`,
        );
      } else out.stdout('monolith -> services: pass --source to read the relay lag and backlog\n');
      const m = status.toMonolith as { lagSeconds: number | null; error?: string } | undefined;
      if (m && m.lagSeconds !== null)
        out.stdout(
          `services -> monolith: lag ${m.lagSeconds.toFixed(1)} s (stream IteratorAge, max over 5 min; tolerance ${tolerance} s); failures in the sync DLQ\n`,
        );
      else
        out.stdout(
          `services -> monolith: no IteratorAge data in the last 5 min${m?.error ? ` (${m.error})` : ' (stopped, or no service writes)'}; failures in the sync DLQ\n`,
        );
      if (t && t.lagSeconds > tolerance)
        out.stderr(`error: the relay lags ${t.lagSeconds.toFixed(1)} s, over the spec's tolerance of ${tolerance} s\n`);
      if (m && m.lagSeconds !== null && m.lagSeconds > tolerance)
        out.stderr(`error: the stream applier lags ${m.lagSeconds.toFixed(1)} s, over the spec's tolerance of ${tolerance} s\n`);
    }
    return exit;
  });
}

export function register(program: Command): void {
  const sync =
    program.commands.find((c) => c.name() === 'sync') ??
    program.command('sync').description('two-way data sync between the monolith database and the services (capture, relay, conflicts)');
  const common = (cmd: Command) =>
    cmd
      .option('--config <file>', 'the spec module', 'cutover.config.ts')
      .option('--ledger-table <name>', 'the conflict ledger, instead of the SyncLedgerTableName stack output')
      .option('--state-table <name>', 'the sync state table, instead of the SyncStateTableName stack output')
      .option('--json', 'JSON output');
  const conflicts = sync
    .command('conflicts')
    .description('the conflict ledger: every conflict, its versions, policy, result and who settled it');
  common(conflicts.command('list').description('conflicts by status, oldest first'))
    .addOption(new Option('--status <status>', 'open or resolved').choices(['open', 'resolved']).default('open'))
    .option('--entity <name>', 'only this entity')
    .action(async (opts, command: Command) => {
      process.exitCode = await conflictsListCommand(opts, { context: AwsContext.fromCommand(command) });
    });
  common(conflicts.command('show <id>').description('one conflict: base, both versions, policy, result')).action(
    async (id: string, opts, command: Command) => {
      process.exitCode = await conflictsShowCommand(id, opts, { context: AwsContext.fromCommand(command) });
    },
  );
  common(
    conflicts
      .command('resolve <id>')
      .description("settle an open (manual) conflict: write the chosen version to both sides and replay the key's queue"),
  )
    .addOption(new Option('--take <side>', 'which version to keep').choices(['monolith', 'service', 'merged']).makeOptionMandatory())
    .requiredOption('--reason <text>', 'why (kept in the ledger and the audit log)')
    .option('--merged <json>', 'for --take merged: the record to keep, attribute -> DynamoDB value')
    .option('--actor <name>', 'who resolves (default: $USER)')
    .option('--source <url>', 'the monolith database, to write the row too (postgres://, mysql://, pglite://)')
    .action(async (id: string, opts: ResolveOptions, command: Command) => {
      const context = AwsContext.fromCommand(command);
      process.exitCode = await conflictsResolveCommand(id, opts, { context });
    });
  common(sync.command('status').description('open conflicts per entity, relay lag/backlog; exit 1 when the lag exceeds the spec tolerance'))
    .option('--source <url>', 'the monolith database, to read the relay watermark and backlog')
    .action(async (opts: StatusOptions, command: Command) => {
      process.exitCode = await syncStatusCommand(opts, { context: AwsContext.fromCommand(command) });
    });
}
