import { Command, InvalidArgumentError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CutoverError } from '../core/errors';
import {
  DiffReport,
  NoiseProfile,
  RuleBook,
  compareInteraction,
  renderHtmlReport,
  renderTerminalReport,
  type CompareSection,
  type DiffReportJson,
  type NoiseProfileJson,
} from '../core/compare';
import {
  ReplayCheckpoint,
  planReplay,
  replayFingerprint,
  replayMarkFor,
  runReplay,
  parseCapturedLine,
  type CapturedInteraction,
  type RecordedEvent,
  type ReplayFilter,
  type ReplayKey,
  type ReplayMark,
} from '../core/replay';

/**
 * `cutover rehearse`: replay-and-compare offline, in one process, with the new service's handler called
 * directly. No cloud: a rehearsal is how a team tries a service against a week of captured traffic on a
 * laptop before it ever runs in shadow mode.
 *
 * It reads the JSONL export twice so memory stays small whatever the volume: the first pass checks each
 * line and keeps only its replay key and byte range; the plan orders the keys (per entity, by capture
 * time and sequence); the second pass reads each record back by its byte range, in plan order, calls the
 * handler and compares. Bad lines are reported with their reason and skipped; a handler that throws or
 * times out is counted as a service failure, and the rehearsal goes on.
 *
 * Handler contract: a module exporting `rehearsalHandler`, `handler` or a default function
 * `(input: RehearsalInput) => Promise<RecordedEvent[]>` - the outcome events the service would emit, in
 * the service model (the same model the export's outcomes are in).
 */
export interface RehearsalInput {
  readonly type: string;
  readonly version?: number;
  readonly payload: unknown;
  readonly entity: { readonly type: string; readonly key: string };
  readonly correlationId?: string;
  readonly capturedAt: string;
  /** Always present: a rehearsed event is never live traffic. */
  readonly replay: ReplayMark;
}

export type RehearsalHandler = (input: RehearsalInput) => Promise<readonly RecordedEvent[]> | readonly RecordedEvent[];

export interface RehearsalProgress {
  readonly phase: 'scan' | 'replay';
  readonly done: number;
  /** Unknown (undefined) while scanning. */
  readonly total?: number;
  readonly report?: DiffReportJson['totals'];
}

export interface RehearseOptions {
  /** The JSONL export. */
  readonly captured: string;
  readonly handler: RehearsalHandler;
  /** Shown in the report. @default 'service' */
  readonly target?: string;
  readonly compare?: CompareSection;
  readonly capability?: string;
  readonly noise?: NoiseProfile;
  readonly filter?: ReplayFilter;
  /** Handler calls in flight at once (different entities only). @default 1 */
  readonly concurrency?: number;
  /** A handler call taking longer counts as a failure. @default 10000 */
  readonly timeoutMs?: number;
  readonly onProgress?: (p: RehearsalProgress) => void;
  /** Milliseconds between progress calls. @default 500 */
  readonly progressEveryMs?: number;
  readonly replayId?: string;
}

export class RehearsalError extends CutoverError {}

class HandlerTimeoutError extends Error {
  public constructor(ms: number) {
    super(`the handler did not answer within ${ms} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

class InvalidHandlerOutputError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'InvalidHandlerOutputError';
  }
}

interface IndexEntry extends ReplayKey {
  readonly offset: number;
  readonly length: number;
}

/**
 * Call `onLine` for every line of a file with its byte offset and length, reading in large chunks. Lines
 * end with \n; a trailing \r is left to JSON.parse (whitespace).
 */
async function scanLines(file: string, onLine: (text: string, offset: number, length: number, lineNo: number) => void): Promise<void> {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let carry: Buffer | undefined;
  let carryOffset = 0;
  let position = 0;
  let lineNo = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl >= 0) {
      lineNo += 1;
      if (carry) {
        const line = Buffer.concat([carry, chunk.subarray(0, nl)]);
        onLine(line.toString('utf8'), carryOffset, line.length, lineNo);
        carry = undefined;
      } else {
        onLine(chunk.toString('utf8', start, nl), position + start, nl - start, lineNo);
      }
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      if (carry) carry = Buffer.concat([carry, chunk.subarray(start)]);
      else {
        carry = Buffer.from(chunk.subarray(start));
        carryOffset = position + start;
      }
    }
    position += chunk.length;
  }
  if (carry && carry.length > 0) onLine(carry.toString('utf8'), carryOffset, carry.length, lineNo + 1);
}

/** Reads byte ranges through a 1 MiB window, so ranges read in file order cost one read per window. */
class RangeReader {
  private block = Buffer.alloc(0);
  private blockStart = 0;

  private constructor(private readonly handle: fs.promises.FileHandle) {}

  public static async open(file: string): Promise<RangeReader> {
    return new RangeReader(await fs.promises.open(file, 'r'));
  }

  public async read(offset: number, length: number): Promise<string> {
    if (offset < this.blockStart || offset + length > this.blockStart + this.block.length) {
      const size = Math.max(1 << 20, length);
      const buf = Buffer.allocUnsafe(size);
      const { bytesRead } = await this.handle.read(buf, 0, size, offset);
      this.block = buf.subarray(0, bytesRead);
      this.blockStart = offset;
      if (bytesRead < length)
        throw new RehearsalError(`the export changed while rehearsing: ${length} bytes expected at offset ${offset}, ${bytesRead} read`);
    }
    const from = offset - this.blockStart;
    return this.block.toString('utf8', from, from + length);
  }

  public close(): Promise<void> {
    return this.handle.close();
  }
}

function checkOutcomes(value: unknown): RecordedEvent[] {
  if (!Array.isArray(value))
    throw new InvalidHandlerOutputError(
      `the handler must return a list of outcome events, got ${typeof value === 'object' ? JSON.stringify(value)?.slice(0, 80) : String(value)}`,
    );
  value.forEach((o, i) => {
    if (o === null || typeof o !== 'object' || typeof (o as RecordedEvent).type !== 'string' || (o as RecordedEvent).type.length === 0) {
      throw new InvalidHandlerOutputError(`outcome [${i}] must be an object with a non-empty type, got ${JSON.stringify(o)?.slice(0, 80)}`);
    }
    if (!('payload' in o)) throw new InvalidHandlerOutputError(`outcome [${i}] (${(o as RecordedEvent).type}) has no payload`);
  });
  return value as RecordedEvent[];
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerTimeoutError(ms)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Run a rehearsal and return its report. Throws only when the export cannot be read at all. */
export async function rehearse(options: RehearseOptions): Promise<DiffReportJson> {
  const file = path.resolve(options.captured);
  if (!fs.existsSync(file)) throw new RehearsalError(`--captured ${options.captured}: no such file`, { captured: options.captured });
  const target = options.target ?? 'service';
  const replayId = options.replayId ?? `rehearse-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  const rules = new RuleBook(options.compare ?? {}, { capability: options.capability });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const every = options.progressEveryMs ?? 500;
  const report = new DiffReport({ replayId, target, source: file, startedAt: new Date().toISOString() });
  let lastProgress = 0;
  const tick = (p: () => RehearsalProgress, force = false) => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgress < every) return;
    lastProgress = now;
    options.onProgress(p());
  };

  // Pass 1: check every line, keep its key and byte range.
  const index: IndexEntry[] = [];
  let scanned = 0;
  await scanLines(file, (text, offset, length, lineNo) => {
    const parsed = parseCapturedLine(text, lineNo);
    if (parsed === undefined) return;
    scanned += 1;
    if (!parsed.ok) report.addSkipped(parsed.skipped);
    else {
      const i = parsed.interaction;
      index.push({
        at: Date.parse(i.capturedAt),
        sequence: i.sequence ?? 0,
        id: i.id,
        entityType: i.entity.type,
        entityKey: i.entity.key,
        inputType: i.input.type,
        offset,
        length,
      });
    }
    tick(() => ({ phase: 'scan', done: scanned }));
  });

  tick(() => ({ phase: 'scan', done: scanned }), true);

  const plan = planReplay(index, (e) => e, options.filter ?? {});
  for (const d of plan.duplicates) report.addSkipped(d);
  const total = plan.items.length;
  tick(() => ({ phase: 'replay', done: 0, total, report: report.totals }), true);

  // Pass 2: read back in plan order, call the handler, compare.
  const reader = await RangeReader.open(file);
  let done = 0;
  try {
    await runReplay<IndexEntry>({
      plan,
      checkpoint: ReplayCheckpoint.start(replayFingerprint(options.filter ?? {}, file, target)),
      concurrency: options.concurrency ?? 1,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      send: async (entry) => {
        const interaction = JSON.parse(await reader.read(entry.offset, entry.length)) as CapturedInteraction;
        const input: RehearsalInput = {
          type: interaction.input.type,
          ...(interaction.input.version !== undefined ? { version: interaction.input.version } : {}),
          payload: interaction.input.payload,
          entity: { type: interaction.entity.type, key: String(interaction.entity.key) },
          ...(interaction.correlationId !== undefined ? { correlationId: interaction.correlationId } : {}),
          capturedAt: interaction.capturedAt,
          replay: replayMarkFor(replayId, interaction.id),
        };
        let actual: RecordedEvent[];
        try {
          const answer = options.handler(input);
          // Only a pending answer can hang; a synchronous one needs no timer.
          actual = checkOutcomes(isThenable(answer) ? await withTimeout(Promise.resolve(answer), timeoutMs) : answer);
        } catch (e) {
          report.addFailure(
            interaction.id,
            e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) },
          );
          return;
        } finally {
          done += 1;
        }
        report.addComparison(compareInteraction(interaction.id, interaction.outcomes, actual, { rules, noise: options.noise }));
        tick(() => ({ phase: 'replay', done, total, report: report.totals }));
      },
    });
  } finally {
    await reader.close();
  }
  tick(() => ({ phase: 'replay', done, total, report: report.totals }), true);
  return report.finish().toJSON();
}

/** Load a handler module: a file, or a folder holding rehearse.ts / handler.ts / index.ts. */
export async function loadRehearsalHandler(servicePath: string): Promise<RehearsalHandler> {
  const resolved = path.resolve(servicePath);
  let file = resolved;
  if (fs.existsSync(resolved) && fs.statSync(resolved).isDirectory()) {
    const candidates = ['rehearse.ts', 'rehearse.js', 'handler.ts', 'handler.js', 'index.ts', 'index.js'].map((f) =>
      path.join(resolved, f),
    );
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found)
      throw new RehearsalError(`--service ${servicePath}: the folder has none of ${candidates.map((c) => path.basename(c)).join(', ')}`, {
        service: servicePath,
      });
    file = found;
  } else if (!fs.existsSync(resolved)) {
    throw new RehearsalError(`--service ${servicePath}: no such file or folder`, { service: servicePath });
  }
  const mod = (await import(file)) as Record<string, unknown>;
  const inner = (mod.default && typeof mod.default === 'object' ? mod.default : {}) as Record<string, unknown>;
  const fn = [mod.rehearsalHandler, mod.handler, mod.default, inner.rehearsalHandler, inner.handler].find((x) => typeof x === 'function');
  if (!fn)
    throw new RehearsalError(
      `--service ${servicePath}: ${path.relative(process.cwd(), file)} exports no rehearsalHandler, handler or default function`,
      { service: servicePath, file },
    );
  return fn as RehearsalHandler;
}

function percentOption(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 100)) throw new InvalidArgumentError(`expected a percent above 0 and at most 100, got ${JSON.stringify(v)}`);
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number from 1, got ${JSON.stringify(v)}`);
  return n;
}

function list(v: string, prev: string[] = []): string[] {
  return [
    ...prev,
    ...v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export async function loadCompareSection(configPath: string | undefined): Promise<CompareSection | undefined> {
  const file = path.resolve(configPath ?? process.env.CUTOVER_CONFIG ?? 'cutover.config.ts');
  if (!fs.existsSync(file)) {
    if (configPath) throw new RehearsalError(`--config ${configPath}: no such file`);
    return undefined;
  }
  // Imported lazily: the spec module is only needed when there is a config to read.
  const { parseSpec } = await import('../core/spec');
  const mod = (await import(file)) as { default?: unknown };
  const spec = parseSpec(mod.default ?? mod) as { capture?: { compare?: CompareSection } };
  return spec.capture?.compare;
}

function formatProgress(p: RehearsalProgress): string {
  if (p.phase === 'scan') return `rehearse: checked ${p.done.toLocaleString('en-US')} records`;
  const t = p.report;
  const pct = p.total ? ` (${((100 * p.done) / p.total).toFixed(1)}%)` : '';
  const tail = t
    ? `  matched ${t.matched}  differed ${t.differed}  missing ${t.missingOutcome}  extra ${t.extraOutcome}  failed ${t.failed}  skipped ${t.skippedInvalid}`
    : '';
  return `rehearse: ${p.done.toLocaleString('en-US')}/${(p.total ?? 0).toLocaleString('en-US')}${pct}${tail}`;
}

/** Register `rehearse` on the CLI program. */
export function registerRehearseCommand(program: Command): Command {
  return program
    .command('rehearse')
    .description(
      'replay captured interactions into a service handler in this process and compare its outcomes with the monolith (no cloud)',
    )
    .requiredOption('--captured <file>', 'JSONL export of captured interactions')
    .requiredOption('--service <path>', 'handler module, or a folder holding rehearse.ts / handler.ts / index.ts')
    .option('--config <file>', 'migration spec for the compare rules (default: $CUTOVER_CONFIG or ./cutover.config.ts)')
    .option('--capability <name>', 'capability under test: adds its compare rules')
    .option('--noise <file>', 'noise profile (JSON) learned from monolith recordings')
    .option('--report <file>', 'write the report as JSON')
    .option('--html <file>', 'write the report as a self-contained HTML page')
    .option('--from <time>', 'only interactions captured at or after this ISO time')
    .option('--to <time>', 'only interactions captured before this ISO time')
    .option('--types <list>', 'only these input event types (comma separated)', list)
    .option('--entity <list>', 'only these entity keys, or type#key (comma separated)', list)
    .option('--sample <percent>', 'a deterministic share of entities', percentOption)
    .option('--concurrency <n>', 'handler calls in flight (different entities only)', positiveInt, 1)
    .option('--timeout <ms>', 'a handler call taking longer counts as a failure', positiveInt, 10_000)
    .action(
      async (opts: {
        captured: string;
        service: string;
        config?: string;
        capability?: string;
        noise?: string;
        report?: string;
        html?: string;
        from?: string;
        to?: string;
        types?: string[];
        entity?: string[];
        sample?: number;
        concurrency: number;
        timeout: number;
      }) => {
        const handler = await loadRehearsalHandler(opts.service);
        const compare = await loadCompareSection(opts.config);
        const noise = opts.noise ? NoiseProfile.fromJSON(JSON.parse(fs.readFileSync(opts.noise, 'utf8')) as NoiseProfileJson) : undefined;
        const tty = process.stderr.isTTY === true;
        const started = Date.now();
        const report = await rehearse({
          captured: opts.captured,
          handler,
          target: opts.service,
          compare,
          capability: opts.capability,
          noise,
          filter: {
            ...(opts.from ? { from: opts.from } : {}),
            ...(opts.to ? { to: opts.to } : {}),
            ...(opts.types ? { types: opts.types } : {}),
            ...(opts.entity ? { entityIds: opts.entity } : {}),
            ...(opts.sample ? { samplePercent: opts.sample } : {}),
          },
          concurrency: opts.concurrency,
          timeoutMs: opts.timeout,
          progressEveryMs: tty ? 250 : 5000,
          onProgress: (p) => process.stderr.write(tty ? `\r${formatProgress(p)}\u001b[K` : `${formatProgress(p)}\n`),
        });
        if (tty) process.stderr.write('\n');
        process.stderr.write(`rehearse: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        process.stdout.write(renderTerminalReport(report));
        if (opts.report) fs.writeFileSync(opts.report, `${JSON.stringify(report, null, 2)}\n`);
        if (opts.html) fs.writeFileSync(opts.html, renderHtmlReport(report));
        const t = report.totals;
        // Exit 2 when anything differed, so a pipeline can gate on a clean rehearsal.
        if (t.differed + t.missingOutcome + t.extraOutcome + t.failed > 0) process.exitCode = 2;
      },
    );
}
