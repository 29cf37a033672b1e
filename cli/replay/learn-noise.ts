import { InvalidArgumentError, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { learnNoise, RuleBook, type LearnedNoiseJson, type NoisePairing } from '../../core/compare';
import { parseCapturedLine, type CapturedInteraction } from '../../core/replay/captured';
import { CliError } from '../aws-context';
import { runCli, type CliIo } from '../commands/io';
import { positiveInt } from '../commands/options';
import { loadCompareSection } from '../rehearse';

export interface LearnNoiseCommandOptions {
  readonly out: string;
  readonly pairBy?: NoisePairing;
  readonly config?: string;
  readonly capability?: string;
  readonly examples?: number;
  readonly json?: boolean;
}

/** The interactions of a JSONL export; unreadable lines are counted, not learned from. */
async function readRecording(file: string): Promise<{ interactions: CapturedInteraction[]; skipped: number }> {
  if (!fs.existsSync(file)) throw new CliError(`${file}: no such file`, 'give two exports of `cutover capture export` (JSON lines)');
  const interactions: CapturedInteraction[] = [];
  let skipped = 0;
  let line = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const text of lines) {
    line += 1;
    const parsed = parseCapturedLine(text, line);
    if (!parsed) continue;
    if (parsed.ok) interactions.push(parsed.interaction);
    else skipped += 1;
  }
  return { interactions, skipped };
}

const short = (v: unknown): string => {
  const s = v === undefined ? '(absent)' : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

export function describeLearnedNoise(json: LearnedNoiseJson, out: string): string {
  const lines: string[] = [];
  const f = json.learnedFrom;
  lines.push(
    `learned from ${f.pairs} pair(s) of the same input (paired by ${f.pairBy}); unpaired: ${f.unpairedFirst} in the first, ${f.unpairedSecond} in the second`,
  );
  const types = Object.keys(json.evidence);
  if (types.length === 0 && json.unstableCounts.length === 0) lines.push('no noise: the two recordings agree on every compared field');
  for (const type of types) {
    lines.push(`  ${type}`);
    for (const [field, ev] of Object.entries(json.evidence[type])) {
      const e = ev.examples[0];
      lines.push(
        `    ${field.padEnd(28)} differed in ${ev.differed}/${ev.compared} pair(s)${e ? `, e.g. ${short(e.firstValue)} vs ${short(e.secondValue)}` : ''}`,
      );
    }
  }
  for (const [type, ev] of Object.entries(json.countEvidence)) {
    const e = ev.examples[0];
    lines.push(
      `  ${type}: the number of outcomes varied in ${ev.differed}/${ev.compared} pair(s)${e ? `, e.g. ${e.firstCount} vs ${e.secondCount}` : ''}`,
    );
  }
  lines.push(`profile written to ${out} (pass it to --noise of cutover replay start or cutover rehearse)`);
  return `${lines.join('\n')}\n`;
}

/**
 * `cutover replay learn-noise <first> <second> --out noise.json`: the fields in which the monolith
 * disagrees with itself between two recordings of the same inputs, as the profile `--noise` reads.
 */
export async function learnNoiseCommand(first: string, second: string, opts: LearnNoiseCommandOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const at = (p: string) => path.resolve(io.cwd ?? process.cwd(), p);
    const [a, b] = await Promise.all([readRecording(at(first)), readRecording(at(second))]);
    const compare = await loadCompareSection(opts.config === undefined ? undefined : at(opts.config));
    const rules = new RuleBook(compare ?? {}, { capability: opts.capability });
    const { json } = learnNoise(a.interactions, b.interactions, { rules, pairBy: opts.pairBy, examples: opts.examples });
    if (json.learnedFrom.pairs === 0) {
      throw new CliError(
        `no interaction of ${first} has a counterpart in ${second} (paired by ${json.learnedFrom.pairBy})`,
        json.learnedFrom.pairBy === 'entity'
          ? 'record the same inputs twice; if the monolith makes up the entity keys, pair by order with --pair-by position'
          : 'record the same inputs twice, in the same order',
      );
    }
    const file = at(opts.out);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    if (a.skipped + b.skipped > 0) out.stderr(`skipped ${a.skipped + b.skipped} unreadable line(s) (cutover rehearse names them)\n`);
    out.stdout(opts.json ? `${JSON.stringify(json, null, 2)}\n` : describeLearnedNoise(json, opts.out));
    return 0;
  });
}

function pairing(value: string): NoisePairing {
  if (value !== 'entity' && value !== 'position')
    throw new InvalidArgumentError(`expected entity or position, got ${JSON.stringify(value)}`);
  return value;
}

export function registerLearnNoise(replay: Command): void {
  replay
    .command('learn-noise <first> <second>')
    .description('learn the noise profile --noise reads from two recordings of the monolith handling the same inputs')
    .requiredOption('--out <file>', 'where to write the profile (JSON)')
    .option('--pair-by <how>', 'entity: the n-th input of a type per entity; position: the n-th interaction', pairing, 'entity')
    .option('--config <file>', 'migration spec for the compare rules (default: $CUTOVER_CONFIG or ./cutover.config.ts)')
    .option('--capability <name>', 'add this capability’s compare rules')
    .option('--examples <n>', 'examples kept per noisy field', positiveInt, 3)
    .option('--json', 'print the profile instead of the summary')
    .addHelpText(
      'after',
      `
Record the same inputs twice against the monolith (e.g. a replay to the monolith, or a test run repeated)
and export each with \`cutover capture export\`. Every field of an outcome that differs between the two runs
of one input (generated ids, timestamps, random codes...) is noise: a difference there between the monolith
and the new service says nothing about a regression. Ignored paths and normalisers of the compare rules
apply first, so what they already excuse is not noise. A type whose number of outcomes differs between the
runs gets an unstable count.

The profile holds "fields" and "unstableCounts" (what --noise reads), and for each entry how many pairs
differed and examples with both values, so a person can check that no real field is hidden.

Example:
  cutover capture export --since 2h --until 1h --out run1.jsonl   # first run
  cutover capture export --since 1h --out run2.jsonl              # the same inputs again
  cutover replay learn-noise run1.jsonl run2.jsonl --out noise.json
  cutover rehearse --captured run1.jsonl --service ./svc.ts --noise noise.json`,
    )
    .action(async (first: string, second: string, opts: LearnNoiseCommandOptions) => {
      process.exitCode = await learnNoiseCommand(first, second, opts);
    });
}
