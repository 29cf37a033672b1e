import { Option, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpecError } from '../../core/errors';
import { deterministicId, type ServiceEvent } from '../../core/events/envelope';
import { getPath } from '../../core/events/paths';
import { parseSpec, type Spec } from '../../core/spec';
import { correlationFor } from '../../core/translate/translator';
import { CliError } from '../aws-context';
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
  if (!fs.existsSync(file)) throw new CliError(`spec module ${file} does not exist`, `run from the project directory or pass --config <path to cutover.config.ts>`);
  let mod: { default?: unknown; spec?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as { default?: unknown; spec?: unknown };
  } catch (cause) {
    throw new CliError(`could not load ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, 'fix the module so it compiles (npx tsc --noEmit shows where)', { cause });
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
export function specExamples(spec: Spec, side: 'legacy' | 'services', options: { translatableOnly?: boolean; now?: Date } = {}): ExampleLine[] {
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
    for (const side of sides) for (const line of specExamples(spec, side, { translatableOnly: opts.translatable })) out.stdout(`${JSON.stringify(line)}\n`);
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
