import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NoiseProfileJson } from '../../core/compare';
import { replayFingerprint } from '../../core/replay';
import {
  FINAL_STATUSES,
  ReplayStateError,
  filterOf,
  newReplayId,
  parseReplayRequest,
  type ReplayRequest,
  type ReplayStatus,
} from '../../core/replay/request';
import type { ReplayState } from '../../adapters/dynamodb/replay-state-store';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { AwsContext, CliError, explainAwsError, type GlobalOptions } from '../aws-context';
import { StderrProgress, type Progress } from '../migration/progress';
import {
  OUTPUT_KEYS,
  listOption,
  nonNegativeInt,
  parseTimeArg,
  percentOption,
  positiveNumber,
  replayTargets,
  sqsClient,
  stateStore,
  timeOption,
} from '../replay/support';
import { registerLearnNoise } from '../replay/learn-noise';
import { runCli, type CliIo } from './io';
import { positiveInt } from './options';

export interface ReplayStartOptions {
  readonly target: string;
  readonly since: string;
  readonly until?: string;
  readonly rate?: number;
  readonly sample?: number;
  readonly types?: string[];
  readonly entity?: string[];
  readonly concurrency?: number;
  readonly settle?: number;
  readonly noise?: string;
  readonly id?: string;
  /** Put `replay.requested` on the services bus instead of queuing the start directly. */
  readonly viaBus?: boolean;
  /** Wait until the replay finishes, printing progress. */
  readonly wait?: boolean;
  readonly json?: boolean;
}

export interface ReplayIo extends CliIo {
  readonly sqs?: SQSClient;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Poll interval of --wait/--watch. @default 2000 */
  readonly pollMs?: number;
  /** Give up waiting after this long. @default 3_600_000 */
  readonly waitTimeoutMs?: number;
  /**
   * The --wait display. @default - a bar on stderr when it is a terminal (and stderr is not redirected
   * through `stderr`); otherwise one plain line per change, for CI logs
   */
  readonly progress?: Progress;
}

/** --wait's display: the progress bar when there is one, else a line per change of status, phase or count. */
function waitDisplay(
  replayId: string,
  io: ReplayIo,
  line: (text: string) => void,
): { change(st: ReplayState): void; end(st: ReplayState | undefined): void } {
  const bar =
    io.progress ??
    (io.stderr === undefined && process.stderr.isTTY ? new StderrProgress(process.stderr, { unit: 'interactions' }) : undefined);
  if (!bar)
    return {
      change: (st) => line(`${st.status} ${st.phase}${st.progress ? ` ${st.progress.done}/${st.progress.planned}` : ''}\n`),
      end: () => undefined,
    };
  let planned: number | undefined | null = null;
  let started = false;
  return {
    change: (st) => {
      // Planning fixes the total: the bar starts again with it.
      if (!started || st.progress?.planned !== planned) {
        planned = st.progress?.planned;
        bar.start(`replay ${replayId}`, planned, st.progress?.done ?? 0);
        started = true;
      }
      bar.update(st.progress?.done ?? 0, `${st.status} ${st.phase}`);
    },
    end: (st) => {
      // Also on an error: the bar's redraw timer must not keep the process alive.
      if (started) bar.finish(st ? `${st.status} ${st.phase}` : undefined);
    },
  };
}

function summary(st: ReplayState): string {
  const p = st.progress;
  const r = st.request;
  const lines = [
    `replay ${st.replayId} -> ${r.target}: ${st.status} (phase ${st.phase})`,
    `  window   [${r.from}, ${r.to})${r.types ? `  types ${r.types.join(', ')}` : ''}${r.entityIds ? `  entities ${r.entityIds.join(', ')}` : ''}${r.samplePercent ? `  sample ${r.samplePercent}%` : ''}`,
    `  rate     ${r.ratePerSecond ?? 20}/s, ${r.concurrency ?? 4} in flight, settle ${r.settleSeconds ?? 10} s`,
  ];
  if (p) lines.push(`  progress ${p.done}/${p.planned} done, ${p.skipped} skipped (invalid), ${p.failed} failed, ${p.blocked} held back`);
  lines.push(
    `  created  ${st.createdAt}${st.startedAt ? `  started ${st.startedAt}` : ''}${st.finishedAt ? `  finished ${st.finishedAt}` : ''}  slices ${st.slices ?? 0}`,
  );
  if (st.totals) {
    const t = st.totals;
    lines.push(
      `  result   ${t.compared} compared: ${t.matched} matched, ${t.differed} differed, ${t.missingOutcome} missing, ${t.extraOutcome} extra; ${t.skippedInvalid} skipped, ${t.failed} failed`,
    );
    lines.push(`  report   cutover diff report ${st.replayId}`);
  }
  if (st.error) lines.push(`  error    ${st.error}`);
  return `${lines.join('\n')}\n`;
}

async function waitUntilFinal(
  replayId: string,
  context: AwsContext,
  io: ReplayIo,
  onChange: (st: ReplayState) => void,
): Promise<ReplayState> {
  const store = await stateStore(context);
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (io.waitTimeoutMs ?? 3_600_000);
  let last = '';
  for (;;) {
    const st = await store.get(replayId);
    if (!st) throw new CliError(`no replay ${replayId}`, 'check the id (cutover replay status <id>)');
    const key = `${st.status}/${st.phase}/${st.progress?.done ?? 0}`;
    if (key !== last) onChange(st);
    last = key;
    if (FINAL_STATUSES.includes(st.status) || st.status === 'paused') return st;
    if (now() > deadline)
      throw new CliError(
        `replay ${replayId} is still ${st.status} (${st.phase}) after waiting`,
        `keep watching with cutover replay status ${replayId} --watch`,
      );
    await sleep(io.pollMs ?? 2000);
  }
}

async function queueUrl(context: AwsContext): Promise<string> {
  return context.output(OUTPUT_KEYS.queue);
}

async function send(sqs: SQSClient, url: string, body: Record<string, unknown>): Promise<void> {
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(body) }));
  } catch (cause) {
    throw explainAwsError(cause, `sending to the replay queue ${url}`);
  }
}

/** Builds and checks the request, creates the replay, and queues it (or asks for it on the bus). */
export async function replayStartCommand(opts: ReplayStartOptions, io: ReplayIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    const now = (io.now ?? Date.now)();
    const from = parseTimeArg(opts.since, now);
    const to = opts.until ? parseTimeArg(opts.until, now) : now;
    let noise: NoiseProfileJson | undefined;
    if (opts.noise) {
      try {
        noise = JSON.parse(fs.readFileSync(path.resolve(io.cwd ?? process.cwd(), opts.noise), 'utf8')) as NoiseProfileJson;
      } catch (cause) {
        throw new CliError(
          `--noise ${opts.noise}: cannot read a noise profile (${(cause as Error).message})`,
          'give a JSON file written by `cutover replay learn-noise`',
          { cause },
        );
      }
    }
    const request: ReplayRequest = parseReplayRequest({
      replayId: opts.id ?? newReplayId(new Date(now)),
      target: opts.target,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      ...(opts.types ? { types: opts.types } : {}),
      ...(opts.entity ? { entityIds: opts.entity } : {}),
      ...(opts.sample !== undefined ? { samplePercent: opts.sample } : {}),
      ...(opts.rate !== undefined ? { ratePerSecond: opts.rate } : {}),
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      ...(opts.settle !== undefined ? { settleSeconds: opts.settle } : {}),
      ...(noise ? { noise } : {}),
      requestedBy: process.env.USER ? `cli:${process.env.USER}` : 'cli',
    });
    const replayId = request.replayId as string;
    const targets = await replayTargets(context);
    if (!targets[request.target]) {
      throw new CliError(
        `no replay target ${request.target} is deployed (targets: ${Object.keys(targets).join(', ') || 'none'})`,
        'pick one of the deployed targets, or add the capability to the replay stack',
      );
    }
    if (opts.viaBus) {
      const bus = await context.output(OUTPUT_KEYS.servicesBus);
      try {
        const res = await new EventPublisher(context.eventBridge()).publish([
          {
            ref: undefined,
            entry: { EventBusName: bus, Source: 'cutover.cli', DetailType: 'replay.requested', Detail: JSON.stringify(request) },
          },
        ]);
        if (res.failed.length > 0)
          throw new CliError(`the services bus refused replay.requested: ${res.failed[0].code}`, 'retry; check the bus exists');
      } catch (cause) {
        throw explainAwsError(cause, `putting replay.requested on ${bus}`);
      }
    } else {
      const store = await stateStore(context);
      const capturedTable = await context.output(OUTPUT_KEYS.captured);
      const created = await store.create(replayId, request, replayFingerprint(filterOf(request), capturedTable, request.target));
      if (created === 'exists')
        throw new CliError(`a replay ${replayId} exists already`, 'choose another --id, or leave it out for a fresh one');
      await send(io.sqs ?? sqsClient(), await queueUrl(context), { kind: 'start', request });
    }
    if (opts.json && !opts.wait) out.stdout(`${JSON.stringify({ replayId, request })}\n`);
    else if (!opts.json)
      out.stdout(
        `replay ${replayId} started -> ${request.target} over [${request.from}, ${request.to})\n  cutover replay status ${replayId}\n`,
      );
    if (!opts.wait) return 0;
    const display = opts.json ? undefined : waitDisplay(replayId, io, (text) => out.stderr(text));
    let waited: ReplayState | undefined;
    try {
      waited = await waitUntilFinal(replayId, context, io, (st) => display?.change(st));
    } finally {
      display?.end(waited);
    }
    const final = waited;
    out.stdout(opts.json ? `${JSON.stringify(final)}\n` : summary(final));
    return final.status === 'completed' &&
      final.totals &&
      final.totals.differed + final.totals.missingOutcome + final.totals.extraOutcome + final.totals.failed === 0
      ? 0
      : final.status === 'completed'
        ? 2
        : 1;
  });
}

export async function replayStatusCommand(replayId: string, opts: { json?: boolean; watch?: boolean }, io: ReplayIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    if (opts.watch) {
      const final = await waitUntilFinal(replayId, context, io, (st) => out.stdout(opts.json ? `${JSON.stringify(st)}\n` : summary(st)));
      return final.status === 'failed' ? 1 : 0;
    }
    const store = await stateStore(context);
    const st = await store.get(replayId);
    if (!st) throw new CliError(`no replay ${replayId}`, 'check the id; replay ids look like r-20261121T143000-a1b2c3');
    out.stdout(opts.json ? `${JSON.stringify(st)}\n` : summary(st));
    return 0;
  });
}

const CONTROL: Record<
  'pause' | 'resume' | 'cancel',
  { from: ReplayStatus[]; to: ReplayStatus; wake: boolean; done: string; help: string }
> = {
  pause: {
    from: ['pending', 'running'],
    to: 'paused',
    wake: false,
    done: 'paused: the runner stops after the events in flight, with its checkpoint saved',
    help: 'pause a replay (it stops after the events in flight; resume carries on from the checkpoint)',
  },
  resume: {
    from: ['paused'],
    to: 'running',
    wake: true,
    done: 'resumed from its checkpoint',
    help: 'resume a paused replay from its checkpoint',
  },
  cancel: {
    from: ['pending', 'running', 'paused'],
    to: 'cancelling',
    wake: true,
    done: 'cancelling: sending stops; what was sent is compared and reported',
    help: 'cancel a replay: stop sending, compare and report what was sent',
  },
};

/** pause | resume | cancel: a conditional status change, plus a wake-up message when a runner must act. */
export async function replayControlCommand(action: 'pause' | 'resume' | 'cancel', replayId: string, io: ReplayIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    const store = await stateStore(context);
    const c = CONTROL[action];
    try {
      await store.transition(replayId, c.from, c.to);
    } catch (err) {
      if (err instanceof ReplayStateError) throw new CliError(err.message, `cutover replay status ${replayId} shows where it is`);
      throw explainAwsError(err, `updating replay ${replayId}`);
    }
    if (c.wake) await send(io.sqs ?? sqsClient(), await queueUrl(context), { kind: 'continue', replayId });
    out.stdout(`replay ${replayId} ${c.done}\n`);
    return 0;
  });
}

export function register(program: Command): void {
  const replay = program.command('replay').description('replay captured monolith traffic to one service in shadow mode and compare');
  registerLearnNoise(replay);
  replay
    .command('start')
    .description('start a replay of a captured time window to one target capability')
    .requiredOption('--target <capability>', 'the capability whose candidate receives the replay (e.g. inventory)')
    .requiredOption('--since <time>', 'window start: now, a duration back (15m, 1h, 2d) or an ISO time', timeOption)
    .option('--until <time>', 'window end (exclusive), same forms (default now)', timeOption)
    .option('--rate <n>', 'events sent per second (default 20)', positiveNumber)
    .option('--sample <percent>', 'a deterministic share of entities', percentOption)
    .option('--types <list>', 'only these input types (default: what the target consumes)', listOption)
    .option('--entity <ids>', 'only these entities: key or type#key (comma separated)', listOption)
    .option('--concurrency <n>', 'entities in flight at once (default 4)', positiveInt)
    .option('--settle <seconds>', 'wait for late outcomes before comparing (default 10)', nonNegativeInt)
    .option('--noise <file>', 'noise profile (JSON) learned from monolith recordings')
    .option('--id <replayId>', 'choose the replay id (default r-<time>-<random>)')
    .option('--via-bus', 'put replay.requested on the services bus instead of queuing directly')
    .option('--wait', 'wait for the replay to finish and print its result (exit 2 when it found differences)')
    .option('--json', 'machine-readable output')
    .action(async (opts: ReplayStartOptions, command: Command) => {
      const g = command.optsWithGlobals<GlobalOptions>();
      process.exitCode = await replayStartCommand(opts, { context: AwsContext.fromCommand(command), sqs: sqsClient(g) });
    });
  replay
    .command('status <replayId>')
    .description('where a replay is: status, phase, progress, result')
    .option('--watch', 'keep printing until it finishes or pauses')
    .option('--json', 'the state item as JSON')
    .action(async (replayId: string, opts: { json?: boolean; watch?: boolean }, command: Command) => {
      process.exitCode = await replayStatusCommand(replayId, opts, { context: AwsContext.fromCommand(command) });
    });
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    replay
      .command(`${action} <replayId>`)
      .description(CONTROL[action].help)
      .action(async (replayId: string, _opts: unknown, command: Command) => {
        const g = command.optsWithGlobals<GlobalOptions>();
        process.exitCode = await replayControlCommand(action, replayId, { context: AwsContext.fromCommand(command), sqs: sqsClient(g) });
      });
  }
}
