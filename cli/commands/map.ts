import { Option, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildTransactionMap,
  readAppFacts,
  renderHtml,
  renderMermaid,
  renderSummary,
  type BuildMapOptions,
  type TransactionMap,
} from '../../core/map';
import type { RouteMode } from '../../core/routing/model';
import '../../core/saga';
import { readCdkOut } from '../../adapters/map/cdk-out';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { observeHops } from '../../adapters/dynamodb/audit-observations';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { AwsContext, CliError, explainAwsError } from '../aws-context';
import { positiveInt } from './options';
import { runCli, type CliIo } from './io';
import { DEFAULT_CONFIG, loadSpecFile } from './spec';

export interface MapOptions {
  readonly config?: string;
  /** A cloud assembly (`cdk synth -o DIR`) to read buses, rules and the deployed saga definition from. */
  readonly cdkOut?: string;
  /** Overlay p50/p95 per hop measured from the deployed stack's audit log. */
  readonly observed?: boolean;
  readonly auditTable?: string;
  readonly observedStreams?: number;
  /** Read the live routing table instead of the spec's seeds. */
  readonly liveRouting?: boolean;
  readonly routingTable?: string;
  readonly format?: 'summary' | 'json' | 'mermaid';
  readonly html?: string;
  /** Exit 1 when any high-severity risk is found (for CI). */
  readonly strict?: boolean;
}

/**
 * Builds the transaction-boundary map from the spec (and the synthesized app, the routing table and the
 * audit log when asked) and prints it as a summary, JSON or Mermaid; `--html` also writes the page.
 * Exit 0, or 1 with `--strict` when a high-severity risk is found; 2 for bad input.
 */
export async function mapCommand(opts: MapOptions, io: CliIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const cwd = io.cwd ?? process.cwd();
    const { spec } = loadSpecFile(opts.config ?? DEFAULT_CONFIG, cwd);
    const build: { -readonly [K in keyof BuildMapOptions]: BuildMapOptions[K] } = {};
    if (opts.cdkOut) build.app = readAppFacts(readCdkOut(path.resolve(cwd, opts.cdkOut)), spec.buses);
    if (opts.liveRouting || opts.routingTable || opts.observed) {
      const context = io.context ?? new AwsContext();
      if (opts.liveRouting || opts.routingTable) {
        if (!spec.routing)
          throw new CliError('the spec has no routing section, so there is no routing table to read', 'drop --live-routing');
        const tableName = opts.routingTable ?? (await context.output('RoutingTableName'));
        // load() reads the route entries only; the history table is for changes, which the map never makes.
        const store = new RoutingStore({
          tableName,
          historyTableName: `${tableName}-history-not-read`,
          routing: spec.routing,
          client: context.documentClient(),
        });
        try {
          const snapshot = await store.load();
          const routes: Record<string, { mode: RouteMode; percent: number }> = {};
          for (const [capability, entry] of snapshot.entries) routes[capability] = { mode: entry.mode, percent: entry.percent };
          build.routes = routes;
          for (const bad of snapshot.invalid)
            out.stderr(`warning: routing entry ${bad.capability} is invalid (${bad.problems.join('; ')}); the spec's seed is shown\n`);
        } catch (cause) {
          throw explainAwsError(cause, `reading routing table ${tableName}`);
        }
      }
      if (opts.observed) {
        const tableName = opts.auditTable ?? (await context.output('AuditTableName'));
        const store = new AuditStore({ tableName, client: context.documentClient() });
        try {
          const hops = await observeHops(store, {
            maxStreams: opts.observedStreams,
            onStream: (n) => n % 200 === 0 && out.stderr(`... ${n} order streams read\n`),
          });
          out.stderr(
            `observed: ${hops.runs.length} saga run(s) from ${hops.streams} stream(s) of ${tableName} (${hops.entriesRead} entries, ${hops.entriesSkipped} unreadable)\n`,
          );
          build.observed = hops;
        } catch (cause) {
          throw explainAwsError(cause, `reading audit table ${tableName}`);
        }
      }
    }
    const map: TransactionMap = buildTransactionMap(spec, build);
    const format = opts.format ?? 'summary';
    if (format === 'json') out.stdout(`${JSON.stringify(map, null, 2)}\n`);
    else if (format === 'mermaid') out.stdout(renderMermaid(map));
    else out.stdout(renderSummary(map));
    if (opts.html) {
      const file = path.resolve(cwd, opts.html);
      fs.writeFileSync(file, renderHtml(map, { generatedAt: new Date().toISOString() }));
      out.stderr(`wrote ${file}\n`);
    }
    return opts.strict && map.risks.some((r) => r.severity === 'high') ? 1 : 0;
  });
}

export function register(program: Command): void {
  program
    .command('map')
    .description('draw the transaction boundaries of the migration: owners, flows, saga, data writers, consistency risks, critical paths')
    .option('--config <path>', 'the spec module', DEFAULT_CONFIG)
    .option('--cdk-out <dir>', 'also read the synthesized app (npx cdk synth --quiet -o DIR): buses, rules, the deployed saga definition')
    .option('--observed', "overlay p50/p95 per hop measured from the deployed stack's audit log")
    .option('--audit-table <name>', 'the audit table, instead of the AuditTableName stack output')
    .option('--observed-streams <n>', 'read at most this many order streams of the audit log (default 1000)', positiveInt)
    .option('--live-routing', "use the routing table's live modes instead of the spec's seeds")
    .option('--routing-table <name>', 'the routing table, instead of the RoutingTableName stack output (implies --live-routing)')
    .addOption(new Option('--format <format>', 'what to print').choices(['summary', 'json', 'mermaid']).default('summary'))
    .option('--html <file>', 'also write a self-contained HTML page')
    .option('--strict', 'exit 1 when a high-severity risk is found')
    .action(async (opts: MapOptions, command: Command) => {
      process.exitCode = await mapCommand(opts, {
        context: opts.observed || opts.liveRouting || opts.routingTable ? AwsContext.fromCommand(command) : undefined,
      });
    });
}
