import { InvalidArgumentError, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  analyseBoundaries,
  readWorkload,
  renderHtml,
  renderJson,
  renderMermaid,
  renderText,
  type BoundaryReport,
  type Dialect,
  type Schema,
  type StatementSample,
} from '../../core/boundaries';
import { BoundaryError } from '../../core/errors';
import { logFormatOf, readDdlFiles, readQueryLog } from '../../adapters/boundaries/files';
import { openCatalog, readSchema, readStatementStats } from '../../adapters/sql/schema-reader';
import { positiveInt } from '../migration/command-support';
import { runCli, type CliIo } from './io';

export interface BoundariesCommandOptions {
  readonly source?: string;
  readonly ddl?: string[];
  readonly dialect?: string;
  readonly define?: string[];
  readonly log?: string[];
  readonly logFormat?: string;
  /** Read pg_stat_statements / performance_schema digests from --source. */
  readonly stats?: boolean;
  readonly pin?: string[];
  readonly services?: number;
  readonly resolution?: number;
  readonly maxSize?: number;
  readonly seed?: number;
  readonly format?: string;
  readonly html?: string;
  readonly out?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got ${JSON.stringify(value)}`);
  return n;
}

function parsePins(pins: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pins) {
    const m = /^([^=]+)=([A-Za-z0-9][A-Za-z0-9_-]*)$/.exec(p);
    if (!m)
      throw new BoundaryError(`--pin ${JSON.stringify(p)}: expected table=service (service: letters, digits, _ and -)`, {
        field: 'pin',
        value: p,
      });
    out[m[1]] = m[2];
  }
  return out;
}

/** Schema + workload from the options, then the analysis. Exported for the demo and tests. */
export async function runBoundaries(opts: BoundariesCommandOptions, cwd = process.cwd()): Promise<BoundaryReport> {
  if (!opts.source === !opts.ddl?.length)
    throw new BoundaryError('give the schema with either --source <url> or --ddl <file...>', { field: 'source' });
  let schema: Schema;
  const samples: StatementSample[] = [];
  if (opts.source) {
    const catalog = await openCatalog(opts.source);
    try {
      schema = await readSchema(catalog);
      if (opts.stats) samples.push(...(await readStatementStats(catalog)));
    } finally {
      await catalog.close();
    }
  } else {
    const dialect = (opts.dialect ?? 'postgres') as Dialect;
    if (dialect !== 'postgres' && dialect !== 'mysql')
      throw new BoundaryError(`--dialect must be postgres or mysql, got ${JSON.stringify(opts.dialect)}`, {
        field: 'dialect',
        value: opts.dialect,
      });
    const replace: Record<string, string> = {};
    for (const d of opts.define ?? []) {
      const i = d.indexOf('=');
      if (i <= 0)
        throw new BoundaryError(`--define ${JSON.stringify(d)}: expected TEXT=REPLACEMENT, e.g. {{prefix}}=`, {
          field: 'define',
          value: d,
        });
      replace[d.slice(0, i)] = d.slice(i + 1);
    }
    schema = readDdlFiles(
      (opts.ddl ?? []).map((f) => path.resolve(cwd, f)),
      dialect,
      replace,
    );
  }
  if (schema.tables.length === 0)
    throw new BoundaryError('the schema has no tables (check --source, or --ddl and --dialect)', { field: 'schema' });
  if (opts.stats && !opts.source)
    throw new BoundaryError(
      '--stats reads pg_stat_statements or performance_schema from --source; with --ddl, pass a query log with --log',
      { field: 'stats' },
    );
  for (const file of opts.log ?? []) {
    const full = path.resolve(cwd, file);
    for (const s of readQueryLog(full, logFormatOf(full, opts.logFormat))) samples.push(s);
  }
  const workload = samples.length > 0 ? readWorkload(samples, schema) : undefined;
  return analyseBoundaries(schema, workload, {
    seed: opts.seed,
    resolution: opts.resolution,
    services: opts.services,
    maxSize: opts.maxSize,
    pins: parsePins(opts.pin ?? []),
  });
}

export async function boundariesCommand(opts: BoundariesCommandOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const format = opts.format ?? 'text';
    if (!['text', 'json', 'mermaid'].includes(format))
      throw new BoundaryError(`--format must be text, json or mermaid, got ${JSON.stringify(format)}`, { field: 'format', value: format });
    const report = await runBoundaries(opts, io.cwd);
    const text = format === 'json' ? renderJson(report) : format === 'mermaid' ? renderMermaid(report) : renderText(report);
    if (opts.out) fs.writeFileSync(path.resolve(io.cwd ?? process.cwd(), opts.out), text);
    else out.stdout(text);
    if (opts.html) {
      const file = path.resolve(io.cwd ?? process.cwd(), opts.html);
      fs.writeFileSync(file, renderHtml(report));
      out.stderr(`wrote ${file}\n`);
    }
    return 0;
  });
}

/**
 * `cutover boundaries`: proposes services from the monolith's schema and access patterns. Read-only: it
 * never writes to the database it reads.
 */
export function register(program: Command): void {
  program
    .command('boundaries')
    .description("propose service boundaries from the monolith's schema (declared or inferred relationships) and access patterns")
    .option('--source <url>', 'read the schema from a live database: postgres://..., mysql://..., mariadb://... or pglite://<dir>')
    .option('--ddl <file...>', 'read the schema from DDL files (schema dumps, mysqldump files, migrations in order)')
    .option('--dialect <name>', 'SQL dialect of --ddl and of the query logs: postgres or mysql', 'postgres')
    .option('--define <text=replacement>', 'replace placeholder text in --ddl before parsing (repeatable), e.g. {{prefix}}=', collect)
    .option('--stats', 'weight by statement statistics of --source: pg_stat_statements (PostgreSQL) or performance_schema digests (MySQL)')
    .option('--log <file>', 'a query log: JSONL {txid, sql, calls}, PostgreSQL csvlog (.csv) or a MySQL general log (repeatable)', collect)
    .option('--log-format <format>', 'jsonl, csvlog or mysql-general (default: from the file name)')
    .option('--pin <table=service>', 'keep a table in a named service (repeatable)', collect)
    .option('--services <n>', 'propose exactly this many services', positiveInt)
    .option('--resolution <r>', 'Louvain resolution: above 1 gives more, smaller services', positiveNumber)
    .option('--max-size <n>', 'at most this many tables per service', positiveInt)
    .option('--seed <n>', 'seed of the community detection (same seed, same answer)', positiveInt, 42)
    .option('--format <format>', 'text, json or mermaid', 'text')
    .option('--out <file>', 'write the output to a file instead of stdout')
    .option('--html <file>', 'also write a self-contained HTML page with the graph drawn')
    .action(async (opts: BoundariesCommandOptions) => {
      process.exitCode = await boundariesCommand(opts);
    });
}
