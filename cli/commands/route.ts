import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import * as os from 'node:os';
import { HEALTH_STATES, ROUTE_MODES, RoutingError, type Health, type RouteChange, type RouteMode } from '../../core/routing';
import type { Spec } from '../../core/spec';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { RoutingControl, type ControlOutcome } from '../../adapters/aws/routing-control';
import { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { AwsContext, CliError, explainAwsError, type GlobalOptions } from '../aws-context';
import { renderHistoryLine, renderStatusTable, type StatusRow } from '../routing/status';
import { runCli, type CliIo, type Out } from './io';
import { positiveInt } from './options';
import { DEFAULT_CONFIG, loadSpecFile } from './spec';

/** What the route commands need; tests pass their own, the CLI builds them from the stack outputs. */
export interface RouteDeps {
  readonly spec: Spec;
  readonly control: RoutingControl;
  readonly metrics?: Pick<RoutingMetrics, 'read'>;
}

export interface RouteCommonOptions {
  readonly config?: string;
  /** The routing table, instead of the RoutingTableName output. */
  readonly table?: string;
  /** The history table, instead of the RoutingHistoryTableName output. */
  readonly historyTable?: string;
}

export interface RouteIo extends CliIo {
  readonly deps?: RouteDeps;
  /** --region / --profile for the CloudWatch client. */
  readonly globals?: GlobalOptions;
}

export interface ChangeOptions extends RouteCommonOptions {
  readonly reason?: string;
  readonly actor?: string;
  readonly json?: boolean;
}

/** Who the CLI says made a change when --actor is not given: `cli:<user>@<host>`. */
export function defaultActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `cli:${user}@${os.hostname()}`;
}

async function depsFor(io: RouteIo, opts: RouteCommonOptions, out: Out): Promise<RouteDeps> {
  if (io.deps) return io.deps;
  const { spec } = loadSpecFile(opts.config ?? DEFAULT_CONFIG, io.cwd);
  if (spec.routing === undefined)
    throw new CliError('the spec has no routing section', 'add `routing: { capabilities: { ... } }` to the spec (see cutover.config.ts)');
  const context = io.context ?? new AwsContext(io.globals);
  const tableName = opts.table ?? (await context.output('RoutingTableName'));
  const historyTableName = opts.historyTable ?? (await context.output('RoutingHistoryTableName'));
  const store = new RoutingStore({
    tableName,
    historyTableName,
    routing: spec.routing,
    serviceEvents: spec.bridge.serviceEvents,
    client: context.documentClient(),
  });
  // The audit log and the bus are the bridge's: a change is still made without them, with a warning.
  let audit: AuditStore | undefined;
  let events: { client: ReturnType<AwsContext['eventBridge']>; busName: string } | undefined;
  try {
    audit = new AuditStore({ tableName: await context.output('AuditTableName'), client: context.documentClient() });
    events = { client: context.eventBridge(), busName: await context.output('ServicesBusName') };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    out.stderr(`warning: changes will not be audited or announced: ${err.message.split('\n')[0]}\n`);
  }
  const cw = new CloudWatchClient({
    ...(io.globals?.region ? { region: io.globals.region } : {}),
    ...(io.globals?.profile ? { profile: io.globals.profile } : {}),
  });
  return { spec, control: new RoutingControl({ store, audit, events }), metrics: new RoutingMetrics({ client: cw }) };
}

function requireReason(reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '') {
    throw new CliError(
      'every routing change needs a reason',
      'add --reason "<why>", e.g. --reason "error rate 4% on inventory-v2 since 14:02"',
    );
  }
  return reason;
}

/** Commit one change and print what moved (or why nothing did). */
async function change(capability: string, routeChange: RouteChange, opts: ChangeOptions, io: RouteIo): Promise<number> {
  return runCli(io, async (out) => {
    const reason = requireReason(opts.reason);
    const deps = await depsFor(io, opts, out);
    let res: ControlOutcome;
    try {
      res = await deps.control.change(capability, routeChange, opts.actor ?? defaultActor(), reason);
    } catch (err) {
      if (err instanceof RoutingError) throw err;
      throw explainAwsError(err, `changing the route of ${capability}`);
    }
    if (opts.json) {
      out.stdout(`${JSON.stringify(res)}\n`);
      return 0;
    }
    if (!res.changed) {
      out.stdout(`${capability}: already ${describeEntry(res.entry)} (revision ${res.entry.revision}); nothing changed\n`);
      return 0;
    }
    out.stdout(
      `${capability}: ${describeEntry(res.previous)} -> ${describeEntry(res.entry)} (revision ${res.entry.revision}, by ${res.entry.updatedBy})\n`,
    );
    if (res.notified) {
      if (typeof res.notified.audit === 'object') out.stderr(`warning: committed, but not audited: ${res.notified.audit.failed}\n`);
      if (!Array.isArray(res.notified.events))
        out.stderr(`warning: committed, but not announced on the bus: ${(res.notified.events as { failed: string }).failed}\n`);
    }
    out.stdout(`routers use it from their next table read: within 1 s\n`);
    return 0;
  });
}

function describeEntry(e: { mode: RouteMode; percent: number; health: string; candidate: { version: string } }): string {
  const share = e.mode === 'canary' ? ` ${e.percent}%` : '';
  return `${e.mode}${share} (candidate ${e.candidate.version}, ${e.health})`;
}

export async function routeSetCommand(
  capability: string,
  opts: ChangeOptions & { mode?: RouteMode; percent?: number },
  io: RouteIo = {},
): Promise<number> {
  if (opts.mode === undefined && opts.percent === undefined) {
    return runCli(io, async () => {
      throw new CliError(
        'route set needs --mode or --percent',
        'e.g. cutover route set inventory --mode canary --percent 10 --reason "..."',
      );
    });
  }
  const routeChange: RouteChange =
    opts.mode !== undefined
      ? { kind: 'setMode', mode: opts.mode, ...(opts.percent !== undefined ? { percent: opts.percent } : {}) }
      : { kind: 'setPercent', percent: opts.percent! };
  return change(capability, routeChange, opts, io);
}

export async function routePromoteCommand(
  capability: string,
  opts: ChangeOptions & { percent?: number },
  io: RouteIo = {},
): Promise<number> {
  return change(capability, { kind: 'promote', ...(opts.percent !== undefined ? { percent: opts.percent } : {}) }, opts, io);
}

export async function routeRollbackCommand(capability: string, opts: ChangeOptions, io: RouteIo = {}): Promise<number> {
  return change(capability, { kind: 'rollback' }, opts, io);
}

export async function routeCandidateCommand(
  capability: string,
  opts: ChangeOptions & { version: string },
  io: RouteIo = {},
): Promise<number> {
  return runCli(io, async (out) => {
    const deps = await depsFor(io, opts, out);
    const impl = deps.spec.routing?.capabilities[capability]?.implementations[opts.version];
    if (impl === undefined) {
      const known = Object.keys(deps.spec.routing?.capabilities[capability]?.implementations ?? {});
      throw new CliError(
        `${capability} has no implementation ${JSON.stringify(opts.version)} in the spec`,
        `use one of: ${known.join(', ') || '(none: check the capability name)'}`,
      );
    }
    return change(capability, { kind: 'setCandidate', version: opts.version, target: impl.target }, opts, {
      ...io,
      deps,
      stdout: out.stdout,
      stderr: out.stderr,
    });
  });
}

export async function routeHealthCommand(
  capability: string,
  target: string,
  health: Health,
  opts: ChangeOptions,
  io: RouteIo = {},
): Promise<number> {
  return runCli(io, async (out) => {
    const reason = requireReason(opts.reason);
    const deps = await depsFor(io, opts, out);
    const res = await deps.control.store.reportHealth({ capability, target, health, reason, actor: opts.actor ?? defaultActor() });
    const entry = res.entry;
    if (entry?.changed) await deps.control.notify(entry.history);
    out.stdout(
      `${capability}/${target}: ${health}${res.registration === 'not-registered' ? ' (target not registered: kept on the route entry only)' : ''}\n` +
        (entry === undefined
          ? `not the current candidate: routing unchanged\n`
          : entry.changed
            ? `candidate health ${entry.previous.health} -> ${entry.entry.health} (revision ${entry.entry.revision})${health === 'unhealthy' ? ': routed around from the next decision' : ''}\n`
            : `candidate health already ${health}\n`),
    );
    return 0;
  });
}

export interface RegisterOptions extends RouteCommonOptions {
  readonly version: string;
  readonly target?: string;
  readonly service?: string;
  readonly accepts: string[];
  readonly emits?: string[];
  readonly actor?: string;
  readonly healthTtl?: number;
}

/** `order.created=1,2` -> ['order.created', [1, 2]]. */
export function parseAccepts(values: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const m = /^([a-z][a-z0-9.-]*)=(\d+(?:,\d+)*)$/.exec(v);
    if (!m)
      throw new CliError(
        `--accepts ${JSON.stringify(v)} is not <event type>=<versions>`,
        'e.g. --accepts order.created=1,2 --accepts order.cancelled=1',
      );
    out[m[1]] = [...(out[m[1]] ?? []), ...m[2].split(',').map(Number)];
  }
  return out;
}

export async function routeRegisterCommand(capability: string, opts: RegisterOptions, io: RouteIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const deps = await depsFor(io, opts, out);
    const target = opts.target ?? deps.spec.routing?.capabilities[capability]?.implementations[opts.version]?.target;
    if (target === undefined)
      throw new CliError(`${capability} ${opts.version} has no target in the spec`, 'pass --target, or check the capability and version');
    const reg = await deps.control.store.register({
      capability,
      version: opts.version,
      target,
      service: opts.service,
      accepts: parseAccepts(opts.accepts),
      emits: opts.emits,
      actor: opts.actor ?? defaultActor(),
      healthTtlSeconds: opts.healthTtl,
    });
    out.stdout(
      `registered ${reg.capability} ${reg.version} -> ${reg.target}: accepts ${Object.entries(reg.accepts)
        .map(([t, v]) => `${t} v${v.join(',v')}`)
        .join('; ')}\n`,
    );
    return 0;
  });
}

export async function routeSeedCommand(opts: RouteCommonOptions, io: RouteIo = {}): Promise<number> {
  return runCli(io, async (out) => {
    const deps = await depsFor(io, opts, out);
    for (const r of await deps.control.store.seed())
      out.stdout(`${r.capability.padEnd(16)} ${r.status === 'seeded' ? 'seeded from the spec' : 'exists (left as it is)'}\n`);
    return 0;
  });
}

export async function routeStatusCommand(
  opts: RouteCommonOptions & { window?: number; json?: boolean; metrics?: boolean },
  io: RouteIo = {},
): Promise<number> {
  return runCli(io, async (out) => {
    const deps = await depsFor(io, opts, out);
    const windowMinutes = opts.window ?? 15;
    let snapshot;
    try {
      snapshot = await deps.control.store.load();
    } catch (err) {
      throw explainAwsError(err, 'reading the routing table');
    }
    const rows: StatusRow[] = [];
    for (const capability of deps.control.store.capabilities()) {
      const invalid = snapshot.invalid.find((i) => i.capability === capability);
      const stored = snapshot.entries.get(capability);
      const entry = invalid ? undefined : (stored ?? deps.control.store.seedFor(capability));
      const versions = (snapshot.services.get(capability) ?? [])
        .map((s) => `${s.version}${entry?.candidate.version === s.version ? '*' : ''}${s.health === 'unhealthy' ? '!' : ''}`)
        .sort();
      let legacy;
      let candidate;
      if (opts.metrics !== false && deps.metrics) {
        try {
          [legacy, candidate] = await Promise.all([
            deps.metrics.read(capability, 'legacy', windowMinutes * 60),
            deps.metrics.read(capability, 'candidate', windowMinutes * 60),
          ]);
        } catch (err) {
          out.stderr(`warning: no metrics for ${capability}: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
      rows.push({ capability, entry, seeded: stored === undefined && !invalid, problems: invalid?.problems, versions, legacy, candidate });
    }
    if (opts.json) out.stdout(`${JSON.stringify(rows)}\n`);
    else out.stdout(`${renderStatusTable(rows, windowMinutes)}\n`);
    return 0;
  });
}

export async function routeHistoryCommand(
  capability: string,
  opts: RouteCommonOptions & { limit?: number; json?: boolean },
  io: RouteIo = {},
): Promise<number> {
  return runCli(io, async (out) => {
    const deps = await depsFor(io, opts, out);
    const history = await deps.control.store.history(capability, { limit: opts.limit ?? 20 });
    if (opts.json) for (const h of history) out.stdout(`${JSON.stringify(h)}\n`);
    else {
      for (const h of history) out.stdout(`${renderHistoryLine(h)}\n`);
      out.stdout(
        history.length === 0
          ? `${capability}: no changes recorded yet (routing follows the spec seed)\n`
          : `${history.length} change(s), newest first\n`,
      );
    }
    return 0;
  });
}

function percentArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 100) throw new InvalidArgumentError(`expected a whole percent 0..100, got ${JSON.stringify(value)}`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const HELP = `
Routing moves a capability's events from the monolith to a new service without a big bang:

  legacy   the monolith handles everything; the new service sees nothing
  shadow   the monolith is authoritative; the new service gets a copy, its effects are isolated
           and its outcome compared (mismatch rate)
  canary   a sticky share of keys (percent) goes to the new service; the rest stays on the monolith
           (optionally mirrored to the new service as shadow)
  primary  the new service is authoritative for every key; the monolith is kept for rollback
  retired  the new service only

Stickiness: the capability's key (e.g. orderId) is hashed into 100 buckets; at percent p buckets 0..p-1 go
to the new service. The same key always lands on the same side, and raising p only moves keys to the new
service. Forward moves go one step at a time; rollback returns to legacy from anywhere, at once.

Every change needs --reason and is recorded (who, when, from, to, why) in the routing history and the audit
log. Routers read the table at most once a second, so a change takes effect within a second: no deploy.`;

export function register(program: Command): void {
  const route = program
    .command('route')
    .description('progressive cutover: who handles each capability (monolith, new service, how much)')
    .addHelpText('after', HELP);
  const common = (c: Command) =>
    c
      .option('--config <path>', 'the migration spec module', DEFAULT_CONFIG)
      .option('--table <name>', 'the routing table, instead of the RoutingTableName stack output')
      .option('--history-table <name>', 'the history table, instead of the RoutingHistoryTableName stack output');
  const changeOpts = (c: Command) =>
    common(c)
      .requiredOption('--reason <text>', 'why (recorded in the history and the audit log)')
      .option('--actor <name>', 'who (default cli:<user>@<host>)')
      .option('--json', 'the outcome as JSON');
  const io = (command: Command): RouteIo => ({
    context: AwsContext.fromCommand(command),
    globals: command.optsWithGlobals<GlobalOptions>(),
  });

  common(
    route.command('status').description('one line per capability: mode, percent, versions, health, error and mismatch rates legacy vs new'),
  )
    .option('--window <minutes>', 'rates over the last n minutes', positiveInt, 15)
    .option('--no-metrics', 'skip the CloudWatch rates')
    .option('--json', 'rows as JSON')
    .action(async (opts, command: Command) => {
      process.exitCode = await routeStatusCommand(opts, io(command));
    });

  changeOpts(
    route
      .command('set')
      .description('set the mode (and canary percent) of a capability, or move the percent of a canary')
      .argument('<capability>'),
  )
    .addOption(new Option('--mode <mode>', 'legacy | shadow | canary | primary | retired').choices([...ROUTE_MODES]))
    .option('--percent <n>', 'share of keys on the new service (canary only)', percentArg)
    .addHelpText(
      'after',
      '\nExamples:\n  cutover route set inventory --mode shadow --reason "compare before any traffic"\n  cutover route set inventory --mode canary --percent 10 --reason "shadow clean for 2 days"\n  cutover route set inventory --percent 25 --reason "10% clean for a day"',
    )
    .action(async (capability: string, opts, command: Command) => {
      process.exitCode = await routeSetCommand(capability, opts, io(command));
    });

  changeOpts(
    route.command('promote').description('one step forward: legacy -> shadow -> canary -> primary -> retired').argument('<capability>'),
  )
    .option('--percent <n>', 'the starting percent when promoting into canary', percentArg)
    .action(async (capability: string, opts, command: Command) => {
      process.exitCode = await routePromoteCommand(capability, opts, io(command));
    });

  changeOpts(
    route
      .command('rollback')
      .description('the monolith takes everything back, at once (within a second, no deploy)')
      .argument('<capability>'),
  ).action(async (capability: string, opts, command: Command) => {
    process.exitCode = await routeRollbackCommand(capability, opts, io(command));
  });

  changeOpts(
    route
      .command('candidate')
      .description('choose which new version is the candidate (legacy or shadow mode only)')
      .argument('<capability>'),
  )
    .requiredOption('--version <label>', 'an implementation of the capability in the spec, e.g. v2')
    .action(async (capability: string, opts, command: Command) => {
      process.exitCode = await routeCandidateCommand(capability, opts, io(command));
    });

  common(route.command('history').description("a capability's changes, newest first: who, when, from, to, why").argument('<capability>'))
    .option('--limit <n>', 'at most n changes', positiveInt, 20)
    .option('--json', 'records as JSON lines')
    .action(async (capability: string, opts, command: Command) => {
      process.exitCode = await routeHistoryCommand(capability, opts, io(command));
    });

  changeOpts(
    route
      .command('health')
      .description("report a target's health; an unhealthy candidate is routed around from the next decision")
      .argument('<capability>')
      .argument('<target>', 'e.g. inventory-v2')
      .addArgument(new Argument('<health>').choices([...HEALTH_STATES])),
  ).action(async (capability: string, target: string, health: Health, opts, command: Command) => {
    process.exitCode = await routeHealthCommand(capability, target, health, opts, io(command));
  });

  common(
    route
      .command('register')
      .description('register a service version: the event versions it accepts (used for casts) and emits')
      .argument('<capability>'),
  )
    .requiredOption('--version <label>', 'the implementation version in the spec, e.g. v2')
    .option('--target <name>', 'its target (default: from the spec)')
    .option('--service <name>', 'a name for humans')
    .requiredOption('--accepts <type=versions>', 'repeatable: order.created=1,2', collect)
    .option('--emits <type>', 'repeatable: inventory.reserved', collect)
    .option('--health-ttl <seconds>', 'the service reports its health at least this often; past it, it counts as unhealthy', positiveInt)
    .option('--actor <name>', 'who (default cli:<user>@<host>)')
    .action(async (capability: string, opts, command: Command) => {
      process.exitCode = await routeRegisterCommand(capability, opts, io(command));
    });

  common(route.command('seed').description('write the spec entry of every capability that has none yet (never overwrites)')).action(
    async (opts, command: Command) => {
      process.exitCode = await routeSeedCommand(opts, io(command));
    },
  );
}
