import { Option, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpecError } from '../../core/errors';
import { deterministicId, type ServiceEvent } from '../../core/events/envelope';
import { getPath } from '../../core/events/paths';
import { parseSpec, type Spec } from '../../core/spec';
import { correlationFor } from '../../core/translate/translator';
import { driftStreamFor, summariseDrift, type AuditEntry, type DriftRow } from '../../core/audit';
import { DEFAULT_DRIFT_POLICY } from '../../core/spec';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { AwsContext, CliError, explainAwsError } from '../aws-context';
import { runCli, type CliIo } from './io';

export const DEFAULT_CONFIG = 'cutover.config.ts';
/** EventBridge `source` of service events the CLI prints or puts when the line names none. */
export const CLI_SOURCE = 'cutover.cli';

/**
 * Loads and validates a spec module (its default export, or an export named `spec`). The CLI runs under
 * tsx, so a TypeScript module loads as is. A SpecError lists every problem with its field path.
 */
export function loadSpecFile(configPath = DEFAULT_CONFIG, cwd = process.cwd()): { spec: Spec; file: string } {
  const file = path.resolve(cwd, configPath);
  if (!fs.existsSync(file))
    throw new CliError(`spec module ${file} does not exist`, `run from the project directory or pass --config <path to cutover.config.ts>`);
  let mod: { default?: unknown; spec?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as { default?: unknown; spec?: unknown };
  } catch (cause) {
    throw new CliError(
      `could not load ${file}: ${cause instanceof Error ? cause.message : String(cause)}`,
      'fix the module so it compiles (npx tsc --noEmit shows where)',
      { cause },
    );
  }
  return { spec: parseSpec(mod.default ?? mod.spec ?? mod), file };
}

export interface ExampleLine {
  readonly detailType: string;
  readonly source?: string;
  readonly detail: Record<string, unknown>;
}

/**
 * Every example of the spec as a line `cutover events put` takes. Legacy lines are bare payloads under
 * `detail` (the monolith's source is added at put time); service lines carry a full envelope of service
 * origin, with a deterministic event id per example so putting them twice gives the same ids.
 * `translatableOnly` keeps the examples the bridge translates away from that side.
 */
export function specExamples(
  spec: Spec,
  side: 'legacy' | 'services',
  options: { translatableOnly?: boolean; now?: Date } = {},
): ExampleLine[] {
  const lines: ExampleLine[] = [];
  const occurredAt = (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (side === 'legacy') {
    const translated = new Set(spec.bridge.translations.filter((t) => t.direction !== 'toLegacy').map((t) => t.legacy));
    for (const [type, def] of Object.entries(spec.bridge.legacyEvents)) {
      if (options.translatableOnly && !translated.has(type)) continue;
      for (const ex of def.examples) lines.push({ detailType: type, detail: structuredClone(ex) });
    }
    return lines;
  }
  const translated = new Set(spec.bridge.translations.filter((t) => t.direction !== 'toService').map((t) => t.service));
  for (const [type, def] of Object.entries(spec.bridge.serviceEvents)) {
    if (options.translatableOnly && !translated.has(type)) continue;
    for (const [v, vdef] of Object.entries(def.versions)) {
      vdef.examples.forEach((ex, i) => {
        const key = String(getPath(ex, def.entity.keyField));
        const detail: ServiceEvent = {
          metadata: {
            eventId: deterministicId('example', type, v, String(i)),
            eventType: type,
            version: Number(v),
            correlationId: correlationFor(def.entity.type, key),
            origin: 'service',
            producer: def.owner,
            occurredAt,
            entity: { type: def.entity.type, key },
          },
          data: structuredClone(ex),
        };
        lines.push({ detailType: type, source: CLI_SOURCE, detail: detail as unknown as Record<string, unknown> });
      });
    }
  }
  return lines;
}

export interface SpecExamplesOptions {
  readonly side?: 'legacy' | 'services' | 'both';
  readonly translatable?: boolean;
  readonly config: string;
}

export async function specExamplesCommand(opts: SpecExamplesOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const { spec } = loadSpecFile(opts.config, io.cwd);
    const sides = opts.side === 'legacy' || opts.side === 'services' ? [opts.side] : (['legacy', 'services'] as const);
    for (const side of sides)
      for (const line of specExamples(spec, side, { translatableOnly: opts.translatable })) out.stdout(`${JSON.stringify(line)}\n`);
    return 0;
  });
}

export async function specCheckCommand(opts: { config: string }, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    try {
      const { spec, file } = loadSpecFile(opts.config, io.cwd);
      const b = spec.bridge;
      const versions = Object.values(b.serviceEvents).reduce((n, d) => n + Object.keys(d.versions).length, 0);
      out.stdout(
        `ok: ${file}\n  ${Object.keys(b.legacyEvents).length} legacy events, ${Object.keys(b.serviceEvents).length} service events (${versions} versions), ${b.translations.length} translations\n`,
      );
      return 0;
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      out.stderr(`the spec has ${err.issues.length} problem(s):\n${err.issues.map((i) => `  - ${i}\n`).join('')}`);
      return 1;
    }
  });
}

export interface SpecDriftOptions {
  readonly config: string;
  /** The audit table, instead of the AuditTableName stack output. */
  readonly table?: string;
  readonly json?: boolean;
}

/**
 * Reports schema drift: every field an event carried that its schema does not declare, per event type,
 * with the policy in force, when it was first and last seen and how many events carried it. Read from the
 * audit log (streams `drift:<type>`, one per event type of the spec: no table scan). Exit 0 when there is
 * none, 2 when there is some (so a pipeline can notice), 1 on an error.
 */
export async function specDriftCommand(opts: SpecDriftOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const { spec } = loadSpecFile(opts.config, io.cwd);
    const context = io.context ?? new AwsContext();
    const store = new AuditStore({ tableName: opts.table ?? (await context.output('AuditTableName')), client: context.documentClient() });
    const types = [...Object.keys(spec.bridge.legacyEvents), ...Object.keys(spec.bridge.serviceEvents)];
    const entries: AuditEntry[] = [];
    try {
      for (const type of types) for await (const e of store.readStream(driftStreamFor(type))) entries.push(e);
    } catch (cause) {
      throw explainAwsError(cause, `reading audit table ${store.tableName}`);
    }
    const rows = summariseDrift(entries);
    if (opts.json) {
      for (const row of rows) out.stdout(`${JSON.stringify(row)}\n`);
    } else if (rows.length === 0) {
      out.stdout(`no schema drift recorded (${types.length} event types checked)\n`);
    } else {
      out.stdout(renderDrift(rows, spec));
    }
    return rows.length === 0 ? 0 : 2;
  });
}

function renderDrift(rows: readonly DriftRow[], spec: Spec): string {
  const policyOf = (type: string) =>
    spec.bridge.legacyEvents[type]?.additionalFields ?? spec.bridge.serviceEvents[type]?.additionalFields ?? DEFAULT_DRIFT_POLICY;
  const header = ['event type', 'field', 'policy', 'events', 'first seen', 'last seen'];
  const table = rows.map((r) => [r.eventType, r.field, policyOf(r.eventType), String(r.count), r.firstSeen, r.lastSeen]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: readonly string[]) => `${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`;
  return `${line(header)}${table.map(line).join('')}\n${rows.length} unknown field(s): declare them in the spec, or set additionalFields per event type (quarantine | keep | drop)\n`;
}

export function register(program: Command): void {
  const spec = program.command('spec').description('check the migration spec and print its examples');
  spec
    .command('check')
    .description('validate the spec module and list every problem with its field path (exit 1 if any)')
    .option('--config <file>', 'the spec module', DEFAULT_CONFIG)
    .action(async (opts: { config: string }) => {
      process.exitCode = await specCheckCommand(opts);
    });
  spec
    .command('drift')
    .description('list the fields events carried that their schema does not declare, from the audit log (exit 2 if any)')
    .option('--config <file>', 'the spec module', DEFAULT_CONFIG)
    .option('--table <name>', 'the audit table, instead of the AuditTableName stack output')
    .option('--json', 'one JSON row per event type and field')
    .action(async (opts: SpecDriftOptions, command: Command) => {
      process.exitCode = await specDriftCommand(opts, { context: AwsContext.fromCommand(command) });
    });
  spec
    .command('examples')
    .description('print every example event of the spec as JSON lines ready for `cutover events put`')
    .addOption(new Option('--side <side>', 'which bus the examples are for').choices(['legacy', 'services', 'both']).default('both'))
    .option('--translatable', 'only events the bridge translates away from that side')
    .option('--config <file>', 'the spec module', DEFAULT_CONFIG)
    .addHelpText(
      'after',
      '\nExamples:\n  cutover spec examples --side legacy | cutover events put --bus legacy --file -\n  cutover spec examples --side services --translatable > services.jsonl',
    )
    .action(async (opts: SpecExamplesOptions) => {
      process.exitCode = await specExamplesCommand(opts);
    });
}
