import { Command } from 'commander';
import { applyChange, type RouteChange, type RouteHistoryRecord } from '../../core/routing';
import { renderStatusTable } from '../../cli/routing/status';
import {
  parseAccepts,
  register,
  routeHistoryCommand,
  routeRollbackCommand,
  routeSetCommand,
  routeStatusCommand,
  type RouteDeps,
} from '../../cli/commands/route';
import { RoutingControl } from '../../adapters/aws/routing-control';
import type { SideMetrics } from '../../adapters/cloudwatch/routing-metrics';
import type { ChangeOutcome, RoutingSnapshot, RoutingStore } from '../../adapters/dynamodb/routing-store';
import { inventoryEntry, spec } from './routing-fixtures';

const NOW = new Date('2026-11-22T11:00:00.000Z');

/** The route commands over an in-memory store running core's real state machine. */
function deps(initial = inventoryEntry({ mode: 'canary', percent: 25, health: 'healthy' })) {
  let entry = initial;
  const history: RouteHistoryRecord[] = [];
  const store = {
    capabilities: () => Object.keys(spec.routing!.capabilities),
    seedFor: (c: string) => ({ ...inventoryEntry(), capability: c }),
    async load(): Promise<RoutingSnapshot> {
      return {
        entries: new Map([['inventory', entry]]),
        invalid: [{ capability: 'payment', problems: ['mode: bogus'] }],
        services: new Map(),
      };
    },
    async change(capability: string, change: RouteChange, actor: string, reason: string): Promise<ChangeOutcome> {
      const res = applyChange(entry, change, actor, reason, NOW);
      if (!res.changed) return { changed: false, entry, attempts: 1 };
      const previous = entry;
      entry = res.next;
      history.unshift(res.historyRecord);
      return { changed: true, entry, previous, history: res.historyRecord, attempts: 1, seeded: false };
    },
    async history() {
      return history;
    },
  };
  const metrics = {
    read: async (capability: string, side: string): Promise<SideMetrics> =>
      capability === 'inventory' && side === 'candidate'
        ? { samples: 40, deliveries: 40, comparisons: 20, errorRate: 0.05, mismatchRate: 0.1, p95LatencyMs: 812.4 }
        : capability === 'inventory'
          ? { samples: 120, deliveries: 120, comparisons: 0, errorRate: 0.0083 }
          : { samples: 0, deliveries: 0, comparisons: 0 },
  };
  const routeDeps: RouteDeps = { spec, control: new RoutingControl({ store: store as unknown as RoutingStore }), metrics };
  return { routeDeps, current: () => entry };
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) } };
}

describe('Command: cutover route', () => {
  it('refuses a change without a reason, and changes nothing', async () => {
    // Prepare
    const d = deps();
    const c = capture();

    // Act
    const code = await routeRollbackCommand('inventory', { reason: '  ' }, { ...c.io, deps: d.routeDeps });

    // Assess
    expect(code).toBe(2);
    expect(c.err.join('')).toContain('every routing change needs a reason');
    expect(d.current().mode).toBe('canary');
  });

  it('rolls back and prints what moved, with the revision', async () => {
    const d = deps();
    const c = capture();
    const code = await routeRollbackCommand('inventory', { reason: 'checkout errors', actor: 'alice' }, { ...c.io, deps: d.routeDeps });
    expect(code).toBe(0);
    expect(c.out.join('')).toContain(
      'inventory: canary 25% (candidate v2, healthy) -> legacy (candidate v2, healthy) (revision 4, by alice)',
    );
    expect(d.current()).toMatchObject({ mode: 'legacy', percent: 0, reason: 'checkout errors' });
  });

  it('moves a canary percent with --percent alone, and reports a refused transition clearly', async () => {
    const d = deps();
    const c = capture();
    expect(await routeSetCommand('inventory', { percent: 50, reason: 'clean day' }, { ...c.io, deps: d.routeDeps })).toBe(0);
    expect(d.current().percent).toBe(50);
    const refused = capture();
    expect(await routeSetCommand('inventory', { mode: 'legacy', reason: 'x' }, { ...refused.io, deps: d.routeDeps })).toBe(0);
    expect(await routeSetCommand('inventory', { mode: 'retired', reason: 'skip' }, { ...refused.io, deps: d.routeDeps })).toBe(2);
    expect(refused.err.join('')).toContain('cannot go from legacy to retired in one step');
  });

  it('prints the status table with rates legacy vs new and flags an invalid row', async () => {
    const d = deps();
    const c = capture();
    await routeStatusCommand({ window: 15 }, { ...c.io, deps: d.routeDeps });
    const text = c.out.join('');
    const inventory = text.split('\n').find((l) => l.startsWith('inventory'))!;
    expect(inventory).toMatch(
      /^inventory\s+canary\s+25\s+v2 \(inventory-v2\)\s+-\s+healthy\s+0\.8% \(120\)\s+5% \(40\)\s+10% \(20\)\s+812 ms\s+3\s/,
    );
    expect(text).toMatch(/^payment\s+INVALID/m);
    expect(text).toContain('payment: the stored row is invalid, so every event goes to the monolith: mode: bogus');
  });

  it('prints the history newest first, with who, what and why', async () => {
    const d = deps();
    await routeSetCommand('inventory', { percent: 40, reason: 'ramp', actor: 'bob' }, { ...capture().io, deps: d.routeDeps });
    await routeRollbackCommand('inventory', { reason: 'alarm in prod', actor: 'carol' }, { ...capture().io, deps: d.routeDeps });
    const c = capture();
    await routeHistoryCommand('inventory', {}, { ...c.io, deps: d.routeDeps });
    const lines = c.out.join('').split('\n');
    expect(lines[0]).toMatch(/^#5\s+2026-11-22T11:00:00.000Z\s+carol\s+rollback\s+canary 40% -> legacy$/);
    expect(lines[1].trim()).toBe('why: alarm in prod');
    expect(lines[2]).toMatch(/^#4 .* bob\s+setPercent\s+canary 25% -> canary 40%$/);
  });

  it('parses --accepts lists and names a malformed one', () => {
    expect(parseAccepts(['order.created=1,2', 'order.cancelled=1'])).toEqual({ 'order.created': [1, 2], 'order.cancelled': [1] });
    expect(() => parseAccepts(['order.created'])).toThrow('--accepts "order.created" is not <event type>=<versions>');
  });

  it('registers subcommands whose help explains modes, stickiness and rollback', () => {
    const program = new Command('cutover');
    register(program);
    const route = program.commands.find((c) => c.name() === 'route')!;
    expect(route.commands.map((c) => c.name()).sort()).toEqual([
      'candidate',
      'health',
      'history',
      'promote',
      'register',
      'rollback',
      'seed',
      'set',
      'status',
    ]);
    let help = '';
    route.configureOutput({ writeOut: (s) => (help += s) });
    route.outputHelp();
    expect(help).toContain('Stickiness');
    expect(help).toContain('takes effect within a second');
  });
});

describe('Function: renderStatusTable', () => {
  it('shows "-" for a side without data rather than 0%', () => {
    const text = renderStatusTable(
      [
        {
          capability: 'shipping',
          entry: inventoryEntry({ capability: 'shipping', candidate: { version: 'v1', target: 'shipping-v1' } }),
          versions: [],
          legacy: { deliveries: 0 },
          candidate: { deliveries: 0 },
        },
      ],
      5,
    );
    expect(text.split('\n')[1]).toMatch(/^shipping\s+legacy\s+0\s+v1 \(shipping-v1\)\s+-\s+unknown\s+-\s+-\s+-\s+-\s+3\s/);
  });
});
