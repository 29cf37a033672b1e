import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SQSClient } from '@aws-sdk/client-sqs';
import { InvalidArgumentError, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QueueDepths } from '../../adapters/aws/queue-depths';
import { SagaOutcomes } from '../../adapters/dynamodb/saga-outcomes';
import { judgeReadiness, renderVerdict } from '../../core/readiness';
import { readinessFor, type Spec } from '../../core/spec';
import { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { QUARANTINE_REASONS } from '../../core/translate/quarantine-reasons';
import { relayLagSeconds, streamIteratorAgeMs } from '../../adapters/cloudwatch/sync-metrics';
import { SyncLedgerStore } from '../../adapters/dynamodb/sync-ledger-store';
import { DeployedSyncStatus } from '../operations/sync-status';
import { AwsContext, CliError, type GlobalOptions } from '../aws-context';
import { gatherEvidence, gatherStatus, type OperationsSources, type VerifyEvidence } from '../operations/gather';
import { renderDeploymentStatus } from '../operations/status-view';
import { runCli, type CliIo } from './io';
import { positiveInt } from './options';
import { DEFAULT_CONFIG, loadSpecFile } from './spec';
import type { OutputKey } from '../../core/contract';

/*
 * `cutover status`: one screen across capabilities. `cutover readiness <capability>`: GO / NO-GO with the
 * evidence and the spec's thresholds; exit 0 on GO, 1 on NO-GO, 2 when the command itself could not run.
 */

export interface OperationsIo extends CliIo {
  /** Tests pass their sources; the CLI builds them from the stack outputs. */
  readonly sources?: OperationsSources;
  readonly globals?: GlobalOptions;
}

export interface OperationsOptions {
  readonly config?: string;
  readonly window?: number;
  readonly json?: boolean;
  readonly verifyReport?: string[];
  /** Judge shadow on this replay's compare report instead of the live mismatch metrics. */
  readonly replay?: string;
}

/** Reads `cutover verify --report` files: entity and cleanliness from the report, the time from the file. */
export function readVerifyReports(files: readonly string[], cwd: string): VerifyEvidence[] {
  return files.map((f) => {
    const file = path.resolve(cwd, f);
    let parsed: { entity?: unknown; clean?: unknown; finishedAt?: unknown };
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
    } catch (err) {
      throw new CliError(
        `--verify-report ${f}: cannot read it as JSON (${err instanceof Error ? err.message : String(err)})`,
        'pass the file written by `cutover verify --report <file>`',
        { cause: err },
      );
    }
    if (typeof parsed.entity !== 'string' || typeof parsed.clean !== 'boolean') {
      throw new CliError(
        `--verify-report ${f}: entity must be a string and clean a boolean, got entity ${JSON.stringify(parsed.entity)}, clean ${JSON.stringify(parsed.clean)}`,
        'pass the file written by `cutover verify --report <file>`',
      );
    }
    // The report has no time of its own: the file's modification time is when verify finished writing it.
    const finishedAt = typeof parsed.finishedAt === 'string' ? parsed.finishedAt : fs.statSync(file).mtime.toISOString();
    return { entity: parsed.entity, clean: parsed.clean, finishedAt, file: f };
  });
}

/** Sources from the deployed stacks' outputs; a stack that is not deployed becomes an absent source with the reason. */
export async function sourcesFromOutputs(
  spec: Spec,
  context: AwsContext,
  globals: GlobalOptions = {},
  verifyReports: VerifyEvidence[] = [],
  clients: { cloudWatch?: CloudWatchClient; sqs?: SQSClient } = {},
): Promise<OperationsSources> {
  const outputs = await context.outputs();
  const has = (key: OutputKey) => (outputs.get(key) ?? []).length === 1;
  const one = (key: OutputKey) => outputs.get(key)![0].value;
  const clientOptions = { ...(globals.region ? { region: globals.region } : {}), ...(globals.profile ? { profile: globals.profile } : {}) };
  const absent: Record<string, string> = {};
  const missingStack = (key: OutputKey, stack: string) =>
    `no ${key} output: the ${context.prefix}-${stack} stack is not deployed at ${context.describeTarget()}`;

  let routing: OperationsSources['routing'];
  let metrics: OperationsSources['metrics'];
  if (spec.routing && has('RoutingTableName') && has('RoutingHistoryTableName')) {
    routing = new RoutingStore({
      tableName: one('RoutingTableName'),
      historyTableName: one('RoutingHistoryTableName'),
      routing: spec.routing,
      serviceEvents: spec.bridge.serviceEvents,
      client: context.documentClient(),
    });
    metrics = new RoutingMetrics({ client: clients.cloudWatch ?? new CloudWatchClient(clientOptions) });
  } else {
    absent.routing = spec.routing ? missingStack('RoutingTableName', 'Routing') : 'the spec has no routing section';
    absent.metrics = absent.routing;
  }

  let quarantine: OperationsSources['quarantine'];
  if (has('QuarantineTableName')) {
    const store = new QuarantineStore({ tableName: one('QuarantineTableName'), client: context.documentClient() });
    quarantine = {
      async count(types, since) {
        let n = 0;
        for (const reason of QUARANTINE_REASONS)
          for await (const item of store.query({ reason, since })) if (item.detailType !== undefined && types.has(item.detailType)) n++;
        return n;
      },
    };
  } else absent.quarantine = missingStack('QuarantineTableName', 'Bridge');

  let sagas: OperationsSources['sagas'];
  if (has('SagaStateTableName')) sagas = new SagaOutcomes({ tableName: one('SagaStateTableName'), client: context.documentClient() });
  else absent.sagas = spec.saga ? missingStack('SagaStateTableName', 'Saga') : 'the spec has no saga section';

  let deadLetterQueues: OperationsSources['deadLetterQueues'];
  if (has('DeadLetterQueueUrls')) {
    const urls = JSON.parse(one('DeadLetterQueueUrls')) as Record<string, string>;
    const depths = new QueueDepths({ client: clients.sqs ?? new SQSClient({ ...clientOptions, useQueueUrlAsEndpoint: false }) });
    deadLetterQueues = { read: () => depths.read(urls) };
  } else absent.deadLetterQueues = missingStack('DeadLetterQueueUrls', 'Operations');

  let compareReports: OperationsSources['compareReports'];
  if (has('DiffReportTableName')) {
    const reports = new ReportStore({ tableName: one('DiffReportTableName'), client: context.documentClient() });
    compareReports = { get: (replayId) => reports.getReport(replayId) };
  }

  // Two-way sync (lib/stacks/sync-stack.ts SYNC_OUTPUTS): the ledger's open conflicts and the lag the relay
  // and the stream applier publish.
  let sync: OperationsSources['sync'];
  if (spec.sync && has('SyncLedgerTableName') && has('SyncStreamFunctionName')) {
    const ledger = new SyncLedgerStore({ tableName: one('SyncLedgerTableName'), client: context.documentClient() });
    const cloudWatch = clients.cloudWatch ?? new CloudWatchClient(clientOptions);
    sync = new DeployedSyncStatus(spec, {
      openConflicts: async () => {
        const open = new Map<string, number>();
        for await (const e of ledger.list('open')) open.set(e.entity, (open.get(e.entity) ?? 0) + 1);
        return open;
      },
      relayLagSeconds: () => relayLagSeconds({ client: cloudWatch }),
      streamLagMs: () => streamIteratorAgeMs(one('SyncStreamFunctionName'), { client: cloudWatch }),
    });
  } else absent.sync = spec.sync ? missingStack('SyncLedgerTableName', 'Sync') : 'the spec has no sync section';
  return {
    spec,
    now: () => new Date(),
    routing,
    metrics,
    quarantine,
    sagas,
    deadLetterQueues,
    sync,
    verifyReports,
    compareReports,
    absent,
  };
}

async function sourcesFor(io: OperationsIo, opts: OperationsOptions): Promise<OperationsSources> {
  if (io.sources) return io.sources;
  const { spec } = loadSpecFile(opts.config ?? DEFAULT_CONFIG, io.cwd);
  const reports = readVerifyReports(opts.verifyReport ?? [], io.cwd ?? process.cwd());
  return sourcesFromOutputs(spec, io.context ?? new AwsContext(io.globals), io.globals, reports);
}

export async function statusCommand(opts: OperationsOptions, io: OperationsIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const sources = await sourcesFor(io, opts);
    const status = await gatherStatus(sources, opts.window ?? 60);
    out.stdout(opts.json ? `${JSON.stringify(status)}\n` : `${renderDeploymentStatus(status)}\n`);
    return 0;
  });
}

export async function readinessCommand(capability: string, opts: OperationsOptions, io: OperationsIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const sources = await sourcesFor(io, opts);
    const routed = Object.keys(sources.spec.routing?.capabilities ?? {});
    if (!routed.includes(capability)) {
      throw new CliError(
        `${JSON.stringify(capability)} is not a routed capability`,
        `use one of: ${routed.join(', ') || '(none: the spec has no routing section)'}`,
      );
    }
    const { thresholds, entities, waivers } = readinessFor(sources.spec.readiness, capability);
    const windowMinutes = opts.window ?? thresholds.windowMinutes;
    const evidence = await gatherEvidence(sources, capability, { windowMinutes, entities, replayId: opts.replay });
    const verdict = judgeReadiness(evidence, { ...thresholds, windowMinutes }, waivers);
    out.stdout(
      opts.json
        ? `${JSON.stringify({ ...verdict, thresholds: { ...thresholds, windowMinutes }, evidence })}\n`
        : `${renderVerdict(verdict)}\n`,
    );
    return verdict.verdict === 'GO' ? 0 : 1;
  });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function minutes(value: string): number {
  const n = positiveInt(value);
  if (n > 1440) throw new InvalidArgumentError(`expected at most 1440 minutes, got ${value}`);
  return n;
}

export function register(program: Command): void {
  const io = (command: Command): OperationsIo => ({
    context: AwsContext.fromCommand(command),
    globals: command.optsWithGlobals<GlobalOptions>(),
  });
  program
    .command('status')
    .description(
      'one screen across capabilities: mode, split, health, sync lag and conflicts, quarantined events, dead-letter queue depths',
    )
    .option('--config <path>', 'the migration spec module', DEFAULT_CONFIG)
    .option('--window <minutes>', 'count quarantined events over the last n minutes', minutes, 60)
    .option('--json', 'the status as JSON')
    .action(async (opts: OperationsOptions, command: Command) => {
      process.exitCode = await statusCommand(opts, io(command));
    });
  program
    .command('readiness')
    .description("GO / NO-GO for moving a capability on, with the evidence and the spec's thresholds (exit 1 on NO-GO)")
    .argument('<capability>')
    .option('--config <path>', 'the migration spec module', DEFAULT_CONFIG)
    .option(
      '--window <minutes>',
      "judge metrics, quarantines and saga failures over the last n minutes (default: the spec's readiness.windowMinutes)",
      minutes,
    )
    .option('--replay <replayId>', "judge shadow on this replay's compare report instead of the live mismatch metrics")
    .option('--verify-report <file>', 'repeatable: a `cutover verify --report` file of an entity the capability owns', collect)
    .option('--json', 'the verdict, thresholds and evidence as JSON')
    .addHelpText(
      'after',
      '\nEvery check needs evidence: a part that is not deployed or cannot be read is MISSING, and MISSING is NO-GO\nunless the spec waives that check for the capability with a reason (readiness.capabilities.<c>.waive).',
    )
    .action(async (capability: string, opts: OperationsOptions, command: Command) => {
      process.exitCode = await readinessCommand(capability, opts, io(command));
    });
}
