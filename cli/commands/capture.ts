import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatCapturedLine, planReplay, type SkippedRecord } from '../../core/replay';
import type { Spec } from '../../core/spec';
import { ownsOutcome, targetProfile } from '../../core/replay/shadow-event';
import type { CapturedInputKey, CapturedItem } from '../../adapters/dynamodb/captured-store';
import { AwsContext, CliError, explainAwsError } from '../aws-context';
import { capturedStore, listOption, parseTimeArg, percentOption, timeOption } from '../replay/support';
import { runCli, type CliIo } from './io';
import { positiveInt } from './options';
import { DEFAULT_CONFIG, loadSpecFile } from './spec';

export interface CaptureWindowOptions {
  /** now, a duration back from now (1h), or an ISO time. */
  readonly since: string;
  /** @default now */
  readonly until?: string;
  readonly table?: string;
}

export interface CaptureListOptions extends CaptureWindowOptions {
  /** Legacy (or translated service) types to show. */
  readonly type?: string[];
  /** `key` or `type#key`. */
  readonly entity?: string;
  readonly limit?: number;
  readonly json?: boolean;
}

export interface CaptureExportOptions extends CaptureWindowOptions {
  /** Input types to export. @default - with --target, the inputs the target consumes; else all */
  readonly type?: string[];
  /** A capability: export only its inputs, and only the outcomes it owns (what a rehearsal compares). */
  readonly target?: string;
  readonly entity?: string[];
  readonly sample?: number;
  /** A file, instead of stdout. */
  readonly out?: string;
  readonly config?: string;
}

export interface CaptureIo extends CliIo {
  readonly now?: () => number;
}

function windowOf(opts: CaptureWindowOptions, now: number): { fromMs: number; toMs: number } {
  const fromMs = parseTimeArg(opts.since, now);
  const toMs = opts.until ? parseTimeArg(opts.until, now) : now;
  if (!(fromMs < toMs)) {
    throw new CliError(
      `--since ${opts.since} must be before --until ${opts.until ?? 'now'} (${new Date(fromMs).toISOString()} >= ${new Date(toMs).toISOString()})`,
      'give a window that starts before it ends',
    );
  }
  return { fromMs, toMs };
}

function entityMatches(item: CapturedItem, entity: string | undefined): boolean {
  if (!entity) return true;
  if (item.entityKey === undefined) return item.correlationId.endsWith(`-${entity.split('#').pop()}`);
  return entity.includes('#') ? `${item.entityType}#${item.entityKey}` === entity : item.entityKey === entity;
}

/** Lists what was captured in a window: inputs and outcomes, oldest first. */
export async function captureListCommand(opts: CaptureListOptions, io: CaptureIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    const store = await capturedStore(context, opts.table);
    const { fromMs, toMs } = windowOf(opts, (io.now ?? Date.now)());
    let shown = 0;
    try {
      for await (const item of store.itemsInWindow({ fromMs, toMs, types: opts.type })) {
        if (!entityMatches(item, opts.entity)) continue;
        if (opts.json) {
          let event: unknown = item.event;
          try {
            event = item.event ? JSON.parse(item.event) : undefined;
          } catch {
            // damaged: shown as stored
          }
          out.stdout(`${JSON.stringify({ ...item, event })}\n`);
        } else {
          const type = item.sourceType === item.eventType ? item.eventType : `${item.sourceType} -> ${item.eventType}`;
          const entity = item.entityType ? `${item.entityType}#${item.entityKey}` : '-';
          out.stdout(
            `${item.capturedAt}  ${item.role.padEnd(7)}  ${type.padEnd(38)}  ${entity.padEnd(20)}  ${item.correlationId.padEnd(22)}  ${item.eventId}${item.problems ? `  (${item.problems.join('; ')})` : ''}\n`,
          );
        }
        shown += 1;
        if (opts.limit !== undefined && shown >= opts.limit) break;
      }
    } catch (cause) {
      throw explainAwsError(cause, `reading captured events from ${store.tableName}`);
    }
    if (!opts.json)
      out.stdout(
        `${shown} captured event(s) in [${new Date(fromMs).toISOString()}, ${new Date(toMs).toISOString()})${opts.type ? ` of type ${opts.type.join(', ')}` : ''}\n`,
      );
    return 0;
  });
}

/**
 * Exports the window's interactions as JSONL (core/replay/captured.ts), in replay order: the input of
 * `cutover rehearse`. Damaged records are named on stderr and left out. Exit 0, or 1 when any was left out.
 */
export async function captureExportCommand(opts: CaptureExportOptions, io: CaptureIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const context = io.context ?? new AwsContext();
    const store = await capturedStore(context, opts.table);
    const { fromMs, toMs } = windowOf(opts, (io.now ?? Date.now)());
    let spec: Spec | undefined;
    if (opts.target) spec = loadSpecFile(opts.config ?? DEFAULT_CONFIG, io.cwd).spec;
    const profile = spec && opts.target ? targetProfile(spec, opts.target) : undefined;
    const types = opts.type ?? profile?.inputTypes;
    const keys: CapturedInputKey[] = [];
    const skipped: SkippedRecord[] = [];
    try {
      for await (const k of store.inputsInWindow({ fromMs, toMs, types })) {
        if (k.ok) keys.push(k.key);
        else skipped.push(k.skipped);
      }
    } catch (cause) {
      throw explainAwsError(cause, `reading captured events from ${store.tableName}`);
    }
    const plan = planReplay(keys, (k) => k, {
      from: fromMs,
      to: toMs,
      ...(opts.entity ? { entityIds: opts.entity } : {}),
      ...(opts.sample ? { samplePercent: opts.sample } : {}),
    });
    skipped.push(...plan.duplicates);
    const file = opts.out ? path.resolve(io.cwd ?? process.cwd(), opts.out) : undefined;
    const fd = file ? fs.openSync(file, 'w') : undefined;
    const write = (text: string) => (fd !== undefined ? fs.writeSync(fd, text) : out.stdout(text));
    let exported = 0;
    let excludedOutcomes = 0;
    try {
      for (const key of plan.items) {
        const r = await store.interactionFor(key);
        if (!r.ok) {
          skipped.push(r.skipped);
          continue;
        }
        let interaction = r.interaction;
        if (spec && opts.target) {
          const owned = interaction.outcomes.filter((o) => ownsOutcome(spec as Spec, opts.target as string, o.type));
          excludedOutcomes += interaction.outcomes.length - owned.length;
          interaction = { ...interaction, outcomes: owned };
        }
        write(`${formatCapturedLine(interaction)}\n`);
        exported += 1;
      }
    } catch (cause) {
      throw explainAwsError(cause, `reading captured events from ${store.tableName}`);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    for (const s of skipped) out.stderr(`skipped ${s.id}: ${s.code}: ${s.reason}\n`);
    out.stderr(
      `exported ${exported} interaction(s) from [${new Date(fromMs).toISOString()}, ${new Date(toMs).toISOString()})` +
        `${file ? ` to ${file}` : ''}; ${skipped.length} damaged record(s) left out` +
        `${opts.target ? `; ${excludedOutcomes} outcome(s) owned by other capabilities left out for ${opts.target}` : ''}\n`,
    );
    return skipped.length > 0 ? 1 : 0;
  });
}

export function register(program: Command): void {
  const capture = program.command('capture').description('monolith traffic captured for replay: list it, export it for a rehearsal');
  capture
    .command('list')
    .description('list captured events (inputs and outcomes) in a time window, oldest first')
    .requiredOption('--since <time>', 'start: now, a duration back (15m, 1h, 2d) or an ISO time', timeOption)
    .option('--until <time>', 'end (exclusive), same forms (default now)', timeOption)
    .option('--type <types>', 'only these event types, legacy or translated (comma separated, repeatable)', listOption)
    .option('--entity <id>', 'only this entity: its key, or type#key')
    .option('--limit <n>', 'at most n events', positiveInt)
    .option('--table <name>', 'the captured events table, instead of the CapturedEventsTableName stack output')
    .option('--json', 'one JSON object per line, with the stored event')
    .action(async (opts: CaptureListOptions, command: Command) => {
      process.exitCode = await captureListCommand(opts, { context: AwsContext.fromCommand(command) });
    });
  capture
    .command('export')
    .description('write the interactions captured in a window as JSONL (the input of cutover rehearse)')
    .requiredOption('--since <time>', 'start: now, a duration back (15m, 1h, 2d) or an ISO time', timeOption)
    .option('--until <time>', 'end (exclusive), same forms (default now)', timeOption)
    .option('--type <types>', 'only these input types (comma separated, repeatable)', listOption)
    .option('--target <capability>', 'only what this capability consumes, with only the outcomes it owns')
    .option('--entity <ids>', 'only these entities: key or type#key (comma separated)', listOption)
    .option('--sample <percent>', 'a deterministic share of entities', percentOption)
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--config <file>', 'migration spec (for --target)', DEFAULT_CONFIG)
    .option('--table <name>', 'the captured events table, instead of the CapturedEventsTableName stack output')
    .action(async (opts: CaptureExportOptions, command: Command) => {
      process.exitCode = await captureExportCommand(opts, { context: AwsContext.fromCommand(command) });
    });
}
