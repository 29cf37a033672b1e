import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { bucketOf, type RouteChange } from '../../core/routing';
import { routeHistoryCommand, routeStatusCommand, type RouteDeps } from '../../cli/commands/route';
import { RoutedConsumer, type Implementation } from '../../functions/shared/routed-consumer';
import { ShadowOutcomeStore } from '../../adapters/dynamodb/shadow-outcome-store';
import { sdkConfig } from '../../test/e2e/harness';
import { RoutingDriver, newRunBase, runOrderIds, type SeenCopy } from '../../test/e2e/routing-driver';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

const CAPABILITY = 'inventory';
const ACTOR = 'demo:routing';
const PER_STEP = 20;

/**
 * Progressive cutover of inventory: legacy -> shadow -> canary 25% -> rollback. At each step twenty
 * `order.cancelled` events (inventory releases stock on them; no saga starts on them) go onto the services
 * bus; the scenario reads each target's inbox, checks every key went where its sticky bucket says, runs a
 * stand-in implementation behind each inbox (so error and mismatch rates are real measurements), and prints
 * the `cutover route status` table.
 */
export const routingScenario: DemoScenario = {
  name: 'routing',
  title: 'Progressive cutover: inventory from legacy to shadow to a 25% canary, and a rollback',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const driver = new RoutingDriver(ctx.endpoint, ctx.outputs);
    const deps: RouteDeps = { spec: driver.spec, control: driver.control, metrics: driver.metrics };
    const consumers = standIns(driver, ctx);
    const base = newRunBase();
    const summary: string[] = [];
    let ok = true;
    let step = 0;

    const status = async (): Promise<void> => {
      let text = '';
      await routeStatusCommand({ window: 15 }, { deps, stdout: (t) => void (text += t), stderr: (t) => void (text += t) });
      for (const line of text.trimEnd().split('\n')) ctx.log(`  ${line}`);
    };
    const move = async (changes: RouteChange[], reason: string): Promise<void> => {
      for (const change of changes) await driver.control.change(CAPABILITY, change, ACTOR, reason);
      await new Promise((r) => setTimeout(r, 1100)); // routers pick it up within a second
    };
    /** Put PER_STEP events, read the copies, check each key against its bucket, run the stand-ins. */
    const traffic = async (expectTarget: (bucket: number) => string, expectShadow: (bucket: number) => boolean): Promise<void> => {
      step += 1;
      const ids = runOrderIds(PER_STEP, base, step * 100);
      const mine = new Set(ids);
      for (const id of ids) {
        await driver.putOrders([id], 'order.cancelled');
        await new Promise((r) => setTimeout(r, 100));
      }
      const wantShadows = ids.filter((id) => expectShadow(bucketOf(id))).length;
      const copies = await driver.collect(
        [CAPABILITY],
        (k) => mine.has(k),
        (c) =>
          c.filter((x) => x.role === 'authoritative').length >= ids.length && c.filter((x) => x.role === 'shadow').length >= wantShadows,
        120_000,
      );
      const auth = new Map(copies.filter((c) => c.role === 'authoritative').map((c) => [c.key, c]));
      const wrong = ids.filter((id) => auth.get(id)?.target !== expectTarget(bucketOf(id)));
      const shadows = copies.filter((c) => c.role === 'shadow');
      const count = (t: string) => [...auth.values()].filter((c) => c.target === t).length;
      ctx.log(
        `${ids.length} order.cancelled -> monolith ${count('monolith')}, inventory-v2 ${count('inventory-v2')} (authoritative); ${shadows.length} shadow copies to inventory-v2`,
      );
      const sample = ids
        .slice(0, 4)
        .map((id) => `${id} bucket ${String(bucketOf(id)).padStart(2)} -> ${auth.get(id)?.target ?? 'nothing'}`);
      ctx.log(`  e.g. ${sample.join(' | ')}`);
      if (wrong.length > 0 || shadows.length !== wantShadows || auth.size !== ids.length) {
        ok = false;
        ctx.log(
          `  UNEXPECTED: ${wrong.length} key(s) on the wrong side, ${auth.size}/${ids.length} delivered, ${shadows.length}/${wantShadows} shadows`,
        );
      }
      for (const c of copies) await consumers.handle(c);
      summary.push(
        `step ${step}: ${count('monolith')} monolith / ${count('inventory-v2')} inventory-v2 / ${shadows.length} shadow, ${wrong.length} misrouted`,
      );
    };

    await driver.drain([CAPABILITY]);
    ctx.log('1. legacy: the monolith handles every inventory event');
    await move(
      [{ kind: 'rollback' }, { kind: 'setHealth', health: 'healthy' }, { kind: 'setShadowing', mirrorInCanary: true }],
      'demo: start from the monolith',
    );
    await traffic(
      () => 'monolith',
      () => false,
    );
    await status();

    ctx.log('2. shadow: inventory-v2 gets a copy of everything; its effects are withheld and its outcome compared');
    await move([{ kind: 'setMode', mode: 'shadow' }], 'demo: compare before any traffic moves');
    await traffic(
      () => 'monolith',
      () => true,
    );
    await status();

    ctx.log('3. canary 25%: orders whose bucket is below 25 go to inventory-v2, the rest stay (and are mirrored)');
    await move([{ kind: 'setMode', mode: 'canary', percent: 25 }], 'demo: shadow matched, take a quarter');
    await traffic(
      (b) => (b < 25 ? 'inventory-v2' : 'monolith'),
      (b) => b >= 25,
    );
    await status();

    ctx.log('4. rollback: one command, the monolith takes everything back within a second');
    const t0 = Date.now();
    await driver.control.change(CAPABILITY, { kind: 'rollback' }, ACTOR, 'demo: rolling back');
    ctx.log(`  committed in ${Date.now() - t0} ms`);
    await new Promise((r) => setTimeout(r, 1100));
    await traffic(
      () => 'monolith',
      () => false,
    );
    await status();

    let history = '';
    await routeHistoryCommand(CAPABILITY, { limit: 6 }, { deps, stdout: (t) => void (history += t), stderr: (t) => void (history += t) });
    ctx.log('history (cutover route history inventory):');
    for (const line of history.trimEnd().split('\n')) ctx.log(`  ${line}`);
    await driver.control.change(CAPABILITY, { kind: 'setHealth', health: 'unknown' }, ACTOR, 'demo: done');
    return { ok, summary };
  },
};

/**
 * Stand-ins for the two inventory implementations, run behind the consumer adapter exactly as a deployed
 * one would be: both release the stock the same way, so shadow comparisons match; the adapter publishes the
 * error/latency/mismatch samples the status table and the rollback alarms read, puts the authoritative
 * side's outcome on the bus and withholds the shadow's.
 */
function standIns(driver: RoutingDriver, ctx: DemoContext): { handle(copy: SeenCopy): Promise<void> } {
  const events = { client: new EventBridgeClient(sdkConfig(ctx.endpoint)), busName: driver.busName };
  const outcomes = new ShadowOutcomeStore({ tableName: ctx.output('ShadowOutcomesTableName'), client: driver.doc });
  const common = { spec: driver.spec, capability: CAPABILITY, events, outcomes, metrics: driver.metrics };
  // The outcome type is the demo's own, so the saga and the bridge (which listen for inventory.released)
  // never mistake a stand-in's outcome for a real one.
  const release: Implementation = async (copy, effects) => {
    effects.emit('demo.stock-released', {
      orderId: copy.data.orderId,
      reservationId: `RSV${String(copy.data.orderId).slice(-9)}`,
      releasedAt: copy.data.cancelledAt,
    });
  };
  const byTarget: Record<string, RoutedConsumer> = {
    monolith: new RoutedConsumer({ ...common, target: 'monolith', producer: 'demo.monolith-adapter' }),
    'inventory-v2': new RoutedConsumer({ ...common, target: 'inventory-v2', producer: 'demo.inventory-v2' }),
  };
  return {
    async handle(copy) {
      const consumer = byTarget[copy.target];
      if (consumer) await consumer.handle({ body: copy.body }, release);
    },
  };
}
