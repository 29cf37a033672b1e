import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventPublisher } from '../../adapters/aws/event-publisher';
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { AwsContext, CliError, explainAwsError } from '../aws-context';
import { runCli, type CliIo } from './io';
import { CLI_SOURCE, DEFAULT_CONFIG, loadSpecFile } from './spec';
import { OUTPUTS, type OutputKey } from '../../core/contract';

/** EventBridge takes ten entries per PutEvents and 256 KiB per request. */
const BATCH = 10;
const MAX_ENTRY_BYTES = 256 * 1024;

export type BusLabel = 'legacy' | 'services';
const BUS_OUTPUT: Record<BusLabel, OutputKey> = { legacy: OUTPUTS.bridge.legacyBusName, services: OUTPUTS.bridge.servicesBusName };

export interface EventsPutOptions {
  readonly bus: BusLabel;
  /** A path, or `-` for stdin. */
  readonly file: string;
  /** The detail-type of bare payload lines. */
  readonly type?: string;
  /** The source of lines that name none. @default legacy: the spec's legacySource; services: cutover.cli */
  readonly source?: string;
  /** The bus name, instead of reading it from the stack outputs. */
  readonly busName?: string;
  readonly config: string;
  readonly json?: boolean;
}

/** One input line, parsed, or the reason it cannot be sent. */
export type ParsedLine =
  | { readonly line: number; readonly ok: true; readonly detailType: string; readonly source?: string; readonly detail: string }
  | { readonly line: number; readonly ok: false; readonly detailType?: string; readonly reason: string };

export interface LineResult {
  readonly line: number;
  readonly status: 'accepted' | 'failed';
  readonly detailType?: string;
  readonly eventId?: string;
  readonly reason?: string;
}

/**
 * Parses one line: `{detailType, source?, detail}`, or a bare payload when `--type` names its type. Blank
 * lines and `#` comments are skipped (undefined).
 */
export function parseEventLine(text: string, line: number, type?: string): ParsedLine | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { line, ok: false, reason: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { line, ok: false, reason: 'expected a JSON object' };
  const obj = value as Record<string, unknown>;
  const wrapped = 'detailType' in obj && 'detail' in obj;
  if (wrapped) {
    if (typeof obj.detailType !== 'string' || obj.detailType.length === 0)
      return { line, ok: false, reason: 'detailType: expected a non-empty string' };
    if (obj.source !== undefined && (typeof obj.source !== 'string' || obj.source.length === 0))
      return { line, ok: false, detailType: obj.detailType, reason: 'source: expected a non-empty string' };
    if (!obj.detail || typeof obj.detail !== 'object' || Array.isArray(obj.detail))
      return { line, ok: false, detailType: obj.detailType, reason: 'detail: expected a JSON object' };
    return sized({
      line,
      ok: true,
      detailType: obj.detailType,
      source: obj.source as string | undefined,
      detail: JSON.stringify(obj.detail),
    });
  }
  if (!type)
    return { line, ok: false, reason: 'expected {"detailType": ..., "detail": {...}}, or a bare payload with --type <detail-type>' };
  return sized({ line, ok: true, detailType: type, detail: JSON.stringify(obj) });
}

function sized(p: Extract<ParsedLine, { ok: true }>): ParsedLine {
  const bytes = Buffer.byteLength(p.detail) + Buffer.byteLength(p.detailType) + Buffer.byteLength(p.source ?? '');
  return bytes > MAX_ENTRY_BYTES
    ? {
        line: p.line,
        ok: false,
        detailType: p.detailType,
        reason: `the event is ${bytes} bytes; EventBridge takes at most ${MAX_ENTRY_BYTES}`,
      }
    : p;
}

async function* readLines(file: string, cwd: string | undefined, stdin: NodeJS.ReadableStream): AsyncGenerator<string> {
  let input: NodeJS.ReadableStream;
  if (file === '-') input = stdin;
  else {
    const p = path.resolve(cwd ?? process.cwd(), file);
    if (!fs.existsSync(p)) throw new CliError(`--file ${p} does not exist`, 'pass a JSON-lines file, or - to read standard input');
    input = fs.createReadStream(p, 'utf8');
  }
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const l of rl) yield l;
}

/**
 * Puts JSON lines on a bus in batches of ten and reports every line: accepted (with the EventBridge id) or
 * failed (with the reason). Exit 1 when any line failed, 0 when all were accepted.
 */
export async function eventsPutCommand(opts: EventsPutOptions, io: CliIo & { stdin?: NodeJS.ReadableStream } = {}): Promise<number> {
  return runCli(io, async (out) => {
    if (opts.bus !== 'legacy' && opts.bus !== 'services')
      throw new CliError(`--bus must be legacy or services, got ${JSON.stringify(opts.bus)}`, 'pass --bus legacy or --bus services');
    const context = io.context ?? new AwsContext();
    const busName = opts.busName ?? (await context.output(BUS_OUTPUT[opts.bus]));
    let defaultSource = opts.source;
    const sourceFor = (p: Extract<ParsedLine, { ok: true }>): string => {
      if (p.source) return p.source;
      if (defaultSource === undefined)
        defaultSource = opts.bus === 'legacy' ? loadSpecFile(opts.config, io.cwd).spec.bridge.legacySource : CLI_SOURCE;
      return defaultSource;
    };
    const results: LineResult[] = [];
    const report = (r: LineResult) => {
      results.push(r);
      if (opts.json) out.stdout(`${JSON.stringify(r)}\n`);
      else
        out.stdout(
          `line ${r.line}  ${r.status.padEnd(8)}  ${(r.detailType ?? '-').padEnd(24)}  ${r.status === 'accepted' ? r.eventId : r.reason}\n`,
        );
    };
    // Lines are reported in input order: a bad line waits for the batch it sits in.
    let pending: ParsedLine[] = [];
    const flush = async () => {
      const sending = pending.filter((p): p is Extract<ParsedLine, { ok: true }> => p.ok);
      const outcome = new Map<number, LineResult>();
      if (sending.length > 0) {
        const entries: PutEventsRequestEntry[] = sending.map((p) => ({
          EventBusName: busName,
          Source: sourceFor(p),
          DetailType: p.detailType,
          Detail: p.detail,
        }));
        try {
          const res = await new EventPublisher(context.eventBridge()).publish(sending.map((p, i) => ({ entry: entries[i], ref: p })));
          for (const { ref: p, eventId } of res.sent) {
            outcome.set(
              p.line,
              eventId
                ? { line: p.line, status: 'accepted', detailType: p.detailType, eventId }
                : {
                    line: p.line,
                    status: 'failed',
                    detailType: p.detailType,
                    reason: 'NoResult: EventBridge returned no result for this entry',
                  },
            );
          }
          for (const { ref: p, code, message } of res.failed)
            outcome.set(p.line, { line: p.line, status: 'failed', detailType: p.detailType, reason: `${code}: ${message}` });
        } catch (cause) {
          const err = explainAwsError(cause, `PutEvents to ${busName}`);
          if (err instanceof CliError) throw err;
          for (const p of sending)
            outcome.set(p.line, { line: p.line, status: 'failed', detailType: p.detailType, reason: `${err.name}: ${err.message}` });
        }
      }
      for (const p of pending)
        report(p.ok ? outcome.get(p.line)! : { line: p.line, status: 'failed', detailType: p.detailType, reason: p.reason });
      pending = [];
    };
    let n = 0;
    for await (const text of readLines(opts.file, io.cwd, io.stdin ?? process.stdin)) {
      n += 1;
      const parsed = parseEventLine(text, n, opts.type);
      if (!parsed) continue;
      pending.push(parsed);
      if (pending.filter((p) => p.ok).length === BATCH || pending.length >= 100) await flush();
    }
    await flush();
    const failed = results.filter((r) => r.status === 'failed').length;
    const summary = `${results.length - failed} accepted, ${failed} failed (${results.length} events, bus ${busName})`;
    if (opts.json) out.stderr(`${summary}\n`);
    else out.stdout(`${summary}\n`);
    if (results.length === 0) out.stderr('no events in the input (blank lines and # comments are skipped)\n');
    return failed > 0 ? 1 : 0;
  });
}

export function register(program: Command): void {
  const events = program.command('events').description('put events on the legacy or services bus');
  events
    .command('put')
    .description('put JSON-lines events on a bus (batches of 10); prints accepted/failed per line, exit 1 if any failed')
    .addOption(new Option('--bus <bus>', 'which bus').choices(['legacy', 'services']).makeOptionMandatory())
    .requiredOption('--file <path>', 'JSON lines: {"detailType", "source"?, "detail"} or bare payloads with --type; - reads stdin')
    .option('--type <detail-type>', 'detail-type of bare payload lines, e.g. ORDER_PLACED')
    .option('--source <source>', "source of lines that name none (legacy: the spec's legacySource; services: cutover.cli)")
    .option('--bus-name <name>', 'the bus name, instead of the LegacyBusName/ServicesBusName stack output')
    .option('--config <file>', 'the spec module (for the legacy source)', DEFAULT_CONFIG)
    .option('--json', 'one JSON result per line on stdout')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  cutover spec examples --side legacy | cutover events put --bus legacy --file -',
        '  cutover events put --bus legacy --type ORDER_PLACED --file orders.jsonl',
        '',
        'The bus name comes from the stack outputs of the stacks named <prefix>-* (--prefix, CUTOVER_PREFIX,',
        'default Cutover); AWS_ENDPOINT_URL, AWS_REGION and AWS_PROFILE work as for the AWS CLI.',
      ].join('\n'),
    )
    .action(async (opts: EventsPutOptions, command: Command) => {
      process.exitCode = await eventsPutCommand(opts, { context: AwsContext.fromCommand(command) });
    });
}
