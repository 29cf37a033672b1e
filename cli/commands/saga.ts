import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  type ExecutionStatus,
  paginateGetExecutionHistory,
  type HistoryEvent as SfnHistoryEvent,
} from '@aws-sdk/client-sfn';
import { Option, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SchemaValidationError } from '../../core/errors';
import { prepareSagaStart } from '../../core/saga/start';
import { summarizeHistory, type HistoryEvent, type SagaStatusSummary } from '../../core/saga/status';
import { AwsContext, CliError, explainAwsError, type GlobalOptions } from '../aws-context';
import { runCli, type CliIo } from './io';
import { positiveInt } from './options';
import { DEFAULT_CONFIG, loadSpecFile } from './spec';

/*
 * `cutover saga ...`: start an order saga, see where one is, list sagas by outcome, and answer a waiting
 * step by hand (for the monolith or an operator). Names come from the saga stack's outputs (OrderSagaArn,
 * SagaStateTableName, SagaCallbacksTableName, NeedsAttentionTableName); each can be overridden.
 */

export interface SagaListRow {
  readonly orderId: string;
  readonly state: string;
  readonly updatedAt?: string;
  readonly detail?: string;
}

export const SAGA_LIST_STATES = ['running', 'completed', 'compensated', 'compensation-failed', 'failed'] as const;
export type SagaListState = (typeof SAGA_LIST_STATES)[number];

export interface SagaIo extends CliIo {
  readonly sfn?: SFNClient;
}

interface Names {
  readonly stateMachine?: string;
  readonly stateTable?: string;
  readonly callbacksTable?: string;
}

/** The saga's deployed resources and the clients to reach them. */
export class SagaAdmin {
  public constructor(
    private readonly context: AwsContext,
    private readonly sfn: SFNClient,
    private readonly names: Names = {},
  ) {}

  public static from(io: SagaIo, names: Names = {}): SagaAdmin {
    const context = io.context ?? new AwsContext();
    return new SagaAdmin(context, io.sfn ?? new SFNClient({}), names);
  }

  private get ddb(): DynamoDBDocumentClient {
    return this.context.documentClient();
  }

  public async stateMachineArn(): Promise<string> {
    return this.names.stateMachine ?? (await this.context.output('OrderSagaArn'));
  }

  public async executionArn(orderId: string): Promise<string> {
    return `${(await this.stateMachineArn()).replace(':stateMachine:', ':execution:')}:${orderId}`;
  }

  /** Starts the saga for an order; a second start of the same order is a no-op that says so. */
  public async start(name: string, input: unknown): Promise<{ executionArn: string; started: boolean; status?: string }> {
    const stateMachineArn = await this.stateMachineArn();
    try {
      const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return { executionArn: out.executionArn!, started: true };
    } catch (err) {
      if ((err as Error).name !== 'ExecutionAlreadyExists') throw explainAwsError(err, `starting the saga for order ${name}`);
      const executionArn = await this.executionArn(name);
      const existing = await this.sfn.send(new DescribeExecutionCommand({ executionArn })).catch(() => undefined);
      return { executionArn, started: false, status: existing?.status };
    }
  }

  public async describe(orderId: string) {
    const executionArn = await this.executionArn(orderId);
    try {
      return await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist')
        throw new CliError(
          `no saga for order ${orderId} (${executionArn})`,
          'check the order id, or start one: cutover saga start --order order.json',
        );
      throw explainAwsError(err, `reading the saga of order ${orderId}`);
    }
  }

  public async history(orderId: string): Promise<HistoryEvent[]> {
    const executionArn = await this.executionArn(orderId);
    const events: SfnHistoryEvent[] = [];
    for await (const page of paginateGetExecutionHistory(
      { client: this.sfn, pageSize: 1000 },
      { executionArn, includeExecutionData: false },
    )) {
      events.push(...(page.events ?? []));
    }
    return events.map((e) => ({ ...e, type: String(e.type), timestamp: e.timestamp ?? new Date(0) }) as HistoryEvent);
  }

  public async stateRow(orderId: string): Promise<Record<string, unknown> | undefined> {
    const TableName = this.names.stateTable ?? (await this.context.output('SagaStateTableName'));
    return (await this.ddb.send(new GetCommand({ TableName, Key: { orderId }, ConsistentRead: true }))).Item;
  }

  public async needsAttention(orderId: string): Promise<Record<string, unknown> | undefined> {
    const TableName = await this.context.output('NeedsAttentionTableName');
    return (await this.ddb.send(new GetCommand({ TableName, Key: { orderId }, ConsistentRead: true }))).Item;
  }

  /** Awaited actions of an order (open first). */
  public async callbacks(orderId: string): Promise<Array<Record<string, unknown>>> {
    const TableName = this.names.callbacksTable ?? (await this.context.output('SagaCallbacksTableName'));
    const out = await this.ddb.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'orderId = :o',
        ExpressionAttributeValues: { ':o': orderId },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).sort((a, b) => Number(!!a.completedAt) - Number(!!b.completedAt));
  }

  public async markCallback(orderId: string, action: string, taskToken: string, outcome: string): Promise<void> {
    const TableName = this.names.callbacksTable ?? (await this.context.output('SagaCallbacksTableName'));
    await this.ddb
      .send(
        new UpdateCommand({
          TableName,
          Key: { orderId, action },
          UpdateExpression: 'SET completedAt = :at, outcome = :o, settledBy = :by',
          ConditionExpression: 'taskToken = :t',
          ExpressionAttributeValues: { ':at': new Date().toISOString(), ':o': outcome, ':t': taskToken, ':by': 'cli' },
        }),
      )
      .catch((err: Error) => {
        if (err.name !== 'ConditionalCheckFailedException') throw err;
      });
  }

  /** Sagas by outcome, newest first, from the saga state table (and, for `failed`, executions that broke). */
  public async list(state: SagaListState, limit: number): Promise<SagaListRow[]> {
    const TableName = this.names.stateTable ?? (await this.context.output('SagaStateTableName'));
    const query = async (s: string) => {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName,
          IndexName: 'bySagaState',
          KeyConditionExpression: 'sagaState = :s',
          ExpressionAttributeValues: { ':s': s },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((i): SagaListRow => ({
        orderId: String(i.orderId),
        state: String(i.sagaState),
        updatedAt: i.updatedAt as string | undefined,
        detail:
          [
            i.failedStep && `failed at ${i.failedStep}`,
            i.failure && `(${i.failure})`,
            i.failedCompensation && `compensation ${i.failedCompensation} failed`,
          ]
            .filter(Boolean)
            .join(' ') || undefined,
      }));
    };
    if (state !== 'failed') return query(state);
    // "failed": every order that did not complete — undone, stuck, or an execution that broke off.
    const rows = [...(await query('compensated')), ...(await query('compensation-failed'))];
    const seen = new Set(rows.map((r) => r.orderId));
    const stateMachineArn = await this.stateMachineArn();
    for (const statusFilter of ['FAILED', 'TIMED_OUT', 'ABORTED'] as ExecutionStatus[]) {
      const out = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter, maxResults: limit }));
      for (const e of out.executions ?? []) {
        if (!e.name || seen.has(e.name)) continue;
        rows.push({
          orderId: e.name,
          state: `execution ${String(e.status).toLowerCase()}`,
          updatedAt: (e.stopDate ?? e.startDate)?.toISOString(),
        });
      }
    }
    return rows.sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt))).slice(0, limit);
  }

  public async sendSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  public async sendFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }));
  }

  public async sendHeartbeat(taskToken: string): Promise<void> {
    await this.sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
  }
}

export interface SagaStartOptions {
  readonly order: string;
  /** The order event version the file is in. @default the latest */
  readonly orderVersion?: number;
  readonly config?: string;
  readonly stateMachine?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
}

/** Reads an order file: the order itself, `{ order: ... }`, or an order event `{ metadata, data }`. */
export function readOrderFile(file: string, cwd = process.cwd()): { order: unknown; version?: number } {
  const full = path.resolve(cwd, file);
  if (!fs.existsSync(full))
    throw new CliError(`order file ${full} does not exist`, 'pass --order <path to a JSON file with the order (order.created data)>');
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(full, 'utf8'));
  } catch (cause) {
    throw new CliError(`order file ${full} is not JSON: ${(cause as Error).message}`, 'fix the JSON (one object)', { cause });
  }
  const d = doc as { order?: unknown; data?: unknown; metadata?: { version?: number } };
  if (d && typeof d === 'object' && d.metadata && d.data) return { order: d.data, version: d.metadata.version };
  if (d && typeof d === 'object' && d.order) return { order: d.order };
  return { order: doc };
}

export async function sagaStartCommand(opts: SagaStartOptions, io: SagaIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const { spec } = loadSpecFile(opts.config ?? DEFAULT_CONFIG, io.cwd);
    const { order, version } = readOrderFile(opts.order, io.cwd);
    let start;
    try {
      start = prepareSagaStart(spec, order, opts.orderVersion ?? version);
    } catch (err) {
      if (err instanceof SchemaValidationError)
        throw new CliError(
          `the order in ${opts.order} is not a valid ${err.eventType}: ${err.problems.join('; ')}`,
          'fix the fields named above',
          { cause: err },
        );
      throw err;
    }
    const admin = SagaAdmin.from(io, { stateMachine: opts.stateMachine });
    const result = await admin.start(start.name, start.input);
    if (opts.json) out.stdout(`${JSON.stringify({ orderId: start.name, ...result })}\n`);
    else
      out.stdout(
        result.started
          ? `started the saga for order ${start.name}\n  ${result.executionArn}\n`
          : `the saga for order ${start.name} was already started (${result.status ?? 'status unknown'}); nothing done\n  ${result.executionArn}\n`,
      );
    if (opts.wait) {
      for (let i = 0; i < 600; i++) {
        const d = await admin.describe(start.name);
        if (d.status !== 'RUNNING') {
          out.stdout(
            `ended ${d.status}${d.output ? `: ${(JSON.parse(d.output) as { outcome?: string }).outcome ?? ''}` : d.error ? `: ${d.error}` : ''}\n`,
          );
          return d.status === 'SUCCEEDED' ? 0 : 1;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      out.stderr('still running after 10 minutes; see `cutover saga status`\n');
      return 1;
    }
    return 0;
  });
}

export interface SagaStatusOptions {
  readonly stateMachine?: string;
  readonly json?: boolean;
}

function outcomeOf(d: { status?: string; output?: string; error?: string }): string {
  if (d.status === 'RUNNING') return 'running';
  if (d.status === 'SUCCEEDED' && d.output) return String((JSON.parse(d.output) as { outcome?: string }).outcome ?? 'succeeded');
  if (d.error === 'Saga.CompensationFailed') return 'compensation-failed';
  return `failed (${d.status?.toLowerCase()}${d.error ? `: ${d.error}` : ''})`;
}

export function renderStatus(
  orderId: string,
  d: { status?: string; startDate?: Date; stopDate?: Date; output?: string; error?: string },
  summary: SagaStatusSummary,
  extra: { owners?: string; waiting: Array<Record<string, unknown>>; attention?: Record<string, unknown> },
): string {
  const t = (s?: string | Date) => (s ? new Date(s).toISOString().replace('T', ' ').replace('Z', '') : '-');
  const lines = [
    `order ${orderId}: ${outcomeOf(d)}  (execution ${d.status}, started ${t(d.startDate)}${d.stopDate ? `, ended ${t(d.stopDate)}` : ''})`,
  ];
  const owners = extra.owners ? (JSON.parse(extra.owners) as Record<string, string>) : {};
  const steps = summary.actions.filter((a) => a.kind === 'step');
  const comps = summary.actions.filter((a) => a.kind === 'compensation');
  lines.push('steps:');
  for (const a of steps) {
    const owner = owners[a.id] ?? (a.id === 'ConfirmReservation' ? owners.ReserveInventory : undefined) ?? '';
    lines.push(
      `  ${a.id.padEnd(20)} ${owner.padEnd(9)} ${a.status.padEnd(10)} ${t(a.startedAt)} -> ${t(a.endedAt)}${a.attempts > 1 ? `  (${a.attempts} calls)` : ''}${a.error ? `  ${a.error}` : ''}`,
    );
  }
  if (comps.length > 0) {
    lines.push('compensations (in the order they ran):');
    for (const a of comps)
      lines.push(
        `  ${a.id.padEnd(22)} ${a.status.padEnd(10)} ${t(a.startedAt)} -> ${t(a.endedAt)}${a.attempts > 1 ? `  (${a.attempts} calls)` : ''}${a.error ? `  ${a.error}` : ''}`,
      );
  }
  if (d.status === 'RUNNING') lines.push(`current state: ${summary.currentState ?? '?'}`);
  for (const w of extra.waiting.filter((x) => !x.completedAt))
    lines.push(
      `waiting for: ${w.action} since ${t(w.registeredAt as string)}  (answer: cutover saga callback ${orderId} --step ${w.action} --success|--failure)`,
    );
  if (extra.attention)
    lines.push(
      `NEEDS ATTENTION: ${extra.attention.failedCompensation} failed (${extra.attention.error}) after ${extra.attention.failedStep} failed (${extra.attention.stepError})`,
    );
  return `${lines.join('\n')}\n`;
}

export async function sagaStatusCommand(orderId: string, opts: SagaStatusOptions, io: SagaIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const admin = SagaAdmin.from(io, { stateMachine: opts.stateMachine });
    const d = await admin.describe(orderId);
    const summary = summarizeHistory(await admin.history(orderId));
    const row = await admin.stateRow(orderId).catch(() => undefined);
    const waiting = await admin.callbacks(orderId).catch(() => []);
    const attention = outcomeOf(d) === 'compensation-failed' ? await admin.needsAttention(orderId).catch(() => undefined) : undefined;
    if (opts.json) {
      out.stdout(
        `${JSON.stringify({ orderId, status: d.status, outcome: outcomeOf(d), startDate: d.startDate, stopDate: d.stopDate, ...summary, owners: row?.owners ? JSON.parse(String(row.owners)) : undefined, waiting, attention })}\n`,
      );
    } else {
      out.stdout(renderStatus(orderId, d, summary, { owners: row?.owners as string | undefined, waiting, attention }));
    }
    return 0;
  });
}

export interface SagaListOptions {
  readonly state: SagaListState;
  readonly limit?: number;
  readonly stateMachine?: string;
  readonly table?: string;
  readonly json?: boolean;
}

export async function sagaListCommand(opts: SagaListOptions, io: SagaIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const admin = SagaAdmin.from(io, { stateMachine: opts.stateMachine, stateTable: opts.table });
    const rows = await admin.list(opts.state, opts.limit ?? 50);
    for (const r of rows)
      out.stdout(
        opts.json
          ? `${JSON.stringify(r)}\n`
          : `${r.orderId.padEnd(12)} ${r.state.padEnd(20)} ${r.updatedAt ?? ''}${r.detail ? `  ${r.detail}` : ''}\n`,
      );
    if (!opts.json) out.stdout(`${rows.length} saga(s) ${opts.state}\n`);
    return 0;
  });
}

export interface SagaCallbackOptions {
  readonly success?: boolean;
  readonly failure?: boolean;
  readonly heartbeat?: boolean;
  /** Which awaited action, when the order waits for more than one (or to pick a settled one). */
  readonly step?: string;
  /** JSON for --success. */
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly table?: string;
  readonly json?: boolean;
}

/** A task token is long and opaque; an order id is short (an execution name, at most 80 characters). */
export function looksLikeToken(value: string): boolean {
  return value.length > 80 || !/^[A-Za-z0-9_-]+$/.test(value);
}

export async function sagaCallbackCommand(target: string, opts: SagaCallbackOptions, io: SagaIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const modes = [opts.success, opts.failure, opts.heartbeat].filter(Boolean).length;
    if (modes !== 1)
      throw new CliError(
        'say how to answer: exactly one of --success, --failure or --heartbeat',
        'e.g. cutover saga callback 1000001 --success',
      );
    let output: unknown = { confirmedBy: 'operator', at: new Date().toISOString() };
    if (opts.output !== undefined) {
      try {
        output = JSON.parse(opts.output);
      } catch (cause) {
        throw new CliError(
          `--output is not JSON: ${(cause as Error).message}`,
          'pass a JSON object, e.g. --output \'{"shipmentId":"SHP0001000001"}\'',
          { cause },
        );
      }
    }
    const admin = SagaAdmin.from(io, { callbacksTable: opts.table });
    let token = target;
    let entry: Record<string, unknown> | undefined;
    if (!looksLikeToken(target)) {
      const all = await admin.callbacks(target);
      const candidates = opts.step ? all.filter((c) => c.action === opts.step) : all.filter((c) => !c.completedAt);
      if (candidates.length === 0) {
        throw new CliError(
          `order ${target} has no ${opts.step ? `registered action ${opts.step}` : 'open wait'}${all.length ? ` (registered: ${all.map((c) => `${c.action}${c.completedAt ? ' settled' : ''}`).join(', ')})` : ''}`,
          'check `cutover saga status <orderId>`; pass the task token itself to answer a wait the registry does not know',
        );
      }
      if (candidates.length > 1)
        throw new CliError(`order ${target} waits for ${candidates.map((c) => c.action).join(' and ')}`, 'name one with --step');
      entry = candidates[0];
      token = String(entry.taskToken);
    }
    const what = entry ? `${entry.action} of order ${target}` : 'the task';
    try {
      if (opts.heartbeat) await admin.sendHeartbeat(token);
      else if (opts.success) await admin.sendSuccess(token, output);
      else
        await admin.sendFailure(
          token,
          opts.error ?? 'OperatorRejected',
          opts.cause ?? 'answered by an operator through cutover saga callback',
        );
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken') {
        throw new CliError(
          `${what} is no longer waiting (${name})`,
          'see `cutover saga status <orderId>`: the wait may have timed out or been answered already',
        );
      }
      throw explainAwsError(err, `answering ${what}`);
    }
    const outcome = opts.heartbeat ? 'heartbeat' : opts.success ? 'success' : 'failure';
    if (entry && !opts.heartbeat) await admin.markCallback(target, String(entry.action), token, outcome);
    out.stdout(opts.json ? `${JSON.stringify({ target, action: entry?.action, outcome })}\n` : `sent ${outcome} to ${what}\n`);
    return 0;
  });
}

function io(command: Command): SagaIo {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const config = { ...(globals.region ? { region: globals.region } : {}), ...(globals.profile ? { profile: globals.profile } : {}) };
  return { context: AwsContext.fromCommand(command), sfn: new SFNClient(config) };
}

export function register(program: Command): void {
  const saga = program.command('saga').description('the order saga: start one, see where it is, list by outcome, answer a waiting step');
  saga
    .command('start')
    .description('start the saga for an order (named by the order id: a second start of one order does nothing)')
    .requiredOption('--order <file>', 'JSON file with the order (order.created data), { "order": ... }, or an order event')
    .option('--order-version <n>', 'the order event version of the file (default: the latest)', positiveInt)
    .option('--config <path>', 'the spec module', DEFAULT_CONFIG)
    .option('--state-machine <arn>', 'the saga, instead of the OrderSagaArn stack output')
    .option('--wait', 'wait until the saga ends (exit 0 when it succeeded)')
    .option('--json', 'print JSON')
    .action(async (opts: SagaStartOptions, command: Command) => {
      process.exitCode = await sagaStartCommand(opts, io(command));
    });
  saga
    .command('status <orderId>')
    .description('steps, times, current state, compensations and open waits of one saga')
    .option('--state-machine <arn>', 'the saga, instead of the OrderSagaArn stack output')
    .option('--json', 'print JSON')
    .action(async (orderId: string, opts: SagaStatusOptions, command: Command) => {
      process.exitCode = await sagaStatusCommand(orderId, opts, io(command));
    });
  saga
    .command('list')
    .description('sagas by outcome, newest first (failed = every order that did not complete)')
    .addOption(new Option('--state <state>', 'which sagas').choices(SAGA_LIST_STATES).makeOptionMandatory())
    .option('--limit <n>', 'at most n', positiveInt)
    .option('--table <name>', 'the saga state table, instead of the SagaStateTableName stack output')
    .option('--state-machine <arn>', 'the saga, instead of the OrderSagaArn stack output')
    .option('--json', 'JSON lines')
    .action(async (opts: SagaListOptions, command: Command) => {
      process.exitCode = await sagaListCommand(opts, io(command));
    });
  saga
    .command('callback <tokenOrOrderId>')
    .description('answer a waiting step: by task token, or by order id (the registry finds the token)')
    .option('--success', 'complete the step')
    .option('--failure', 'fail the step (the saga compensates)')
    .option('--heartbeat', 'report progress on a long wait (the carrier is still at it)')
    .option('--step <action>', 'which waiting action, when the order waits for more than one')
    .option('--output <json>', 'result for --success')
    .option(
      '--error <name>',
      'error for --failure; a business error of the step (e.g. CardDeclined) means "it did nothing"',
      'OperatorRejected',
    )
    .option('--cause <text>', 'cause for --failure')
    .option('--table <name>', 'the callback registry, instead of the SagaCallbacksTableName stack output')
    .option('--json', 'print JSON')
    .action(async (target: string, opts: SagaCallbackOptions, command: Command) => {
      process.exitCode = await sagaCallbackCommand(target, opts, io(command));
    });
}
