/**
 * Progressive cutover on MiniStack, driven like a user: routes changed through the same control as
 * `cutover route`, events put on the services bus, copies read from each target's inbox queue.
 *
 * What MiniStack cannot show is said where it matters: alarms are evaluated when metrics are put (not on a
 * schedule), so the alarm test drives the real path by putting the candidate's error samples; rule-target
 * DLQs and retries are not exercised (the infra tier asserts them).
 */
import { PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  ROLLED_BACK_TYPE,
  ROUTING_METRIC_NAMESPACE,
  SERVICE_HEALTH_TYPE,
  bucketOf,
  routingMetricDimensions,
  routingMetricName,
  type RouteChange,
} from '../../core/routing';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { ROUTE_SK } from '../../adapters/dynamodb/routing-store';
import { loadE2eContext, stackOutput, waitFor, type E2eContext } from './harness';
import { DRIVER_SOURCE, RoutingDriver, customerIds, newRunBase, runOrderIds, type SeenCopy } from './routing-driver';

jest.setTimeout(300_000);

let ctx: E2eContext;
let driver: RoutingDriver;
const runBase = newRunBase();
let idCursor = 0;
/** Fresh customer ids for one test. */
const nextCustomers = (n: number): string[] => {
  const ids = customerIds(n, runBase, idCursor);
  idCursor += n;
  return ids;
};
const ACTOR = 'e2e:routing';

/** Walk a capability to `mode` (and percent) from wherever it is: rollback, then forward one step at a time. */
async function routeTo(capability: string, mode: 'legacy' | 'shadow' | 'canary', percent = 0): Promise<number> {
  const mirrorInCanary = driver.spec.routing!.capabilities[capability].mirrorInCanary;
  const steps: RouteChange[] = [{ kind: 'rollback' }, { kind: 'setHealth', health: 'healthy' }, { kind: 'setShadowing', mirrorInCanary }];
  if (mode !== 'legacy') steps.push({ kind: 'setMode', mode: 'shadow' });
  if (mode === 'canary') steps.push({ kind: 'setMode', mode: 'canary', percent });
  let revision = 0;
  for (const change of steps)
    revision = (await driver.control.change(capability, change, ACTOR, `e2e: route ${capability} to ${mode} ${percent}`)).entry.revision;
  await settle();
  return revision;
}

/** Wait out the routers' one-second table cache, so the next decision sees the last change. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1100));

const authoritative = (copies: SeenCopy[]) => new Map(copies.filter((c) => c.role === 'authoritative').map((c) => [c.key, c]));

beforeAll(async () => {
  ctx = loadE2eContext();
  driver = new RoutingDriver(ctx.endpoint, ctx.outputs);
  await driver.drain(['customers', 'inventory']);
  // Warm the router (MiniStack starts a node process per concurrent invocation; the first one is slow).
  const warm = nextCustomers(3);
  await driver.putCustomers(warm);
  await driver.collect(
    ['customers'],
    (k) => warm.includes(k),
    (c) => c.filter((x) => x.role === 'authoritative').length >= warm.length,
    60_000,
  );
});

afterAll(async () => {
  // Leave the shared deployment as the spec seeds it, for whichever test file runs next.
  for (const capability of ['customers', 'inventory']) {
    await driver.control.change(capability, { kind: 'rollback' }, ACTOR, 'e2e: routing tests done');
    await driver.control.change(capability, { kind: 'setHealth', health: 'unknown' }, ACTOR, 'e2e: routing tests done');
    await driver.control.change(
      capability,
      { kind: 'setShadowing', mirrorInCanary: driver.spec.routing!.capabilities[capability].mirrorInCanary },
      ACTOR,
      'e2e: routing tests done',
    );
  }
  const v2 = driver.spec.routing!.capabilities.inventory.candidate;
  await driver.control.change(
    'inventory',
    { kind: 'setCandidate', version: v2, target: driver.spec.routing!.capabilities.inventory.implementations[v2].target },
    ACTOR,
    'e2e: back to the spec candidate',
  );
});

describe('Routing on MiniStack', () => {
  it('exposes its outputs', () => {
    for (const key of ['RoutingTableName', 'RouterFunctionName', 'RoutingHistoryTableName', 'RoutingInboxUrls'] as const)
      expect(stackOutput(ctx, key)).not.toBe('');
  });

  it('canary 10%: each key goes where its bucket says, the rest is mirrored as shadow, and a key stays put', async () => {
    // Prepare
    await routeTo('customers', 'canary', 10);
    const ids = nextCustomers(40);
    const mine = new Set(ids);

    // Act: a paced stream (MiniStack starts a node process for every concurrent invocation; a burst on a
    // busy machine can push a cold start past the function timeout, and MiniStack does not retry)
    for (const id of ids) {
      await driver.putCustomers([id]);
      await new Promise((r) => setTimeout(r, 150));
    }
    const copies = await driver.collect(
      ['customers'],
      (k) => mine.has(k),
      (c) =>
        authoritative(c).size === ids.length &&
        c.filter((x) => x.role === 'shadow').length >= ids.filter((id) => bucketOf(id) >= 10).length,
      120_000,
    );
    const sticky = ids.slice(0, 10);
    await driver.putCustomers(sticky);
    const again = await driver.collect(
      ['customers'],
      (k) => mine.has(k),
      (c) => c.filter((x) => x.role === 'authoritative').length >= sticky.length,
      60_000,
    );

    // Assess
    const auth = authoritative(copies);
    expect(auth.size).toBe(ids.length);
    for (const id of ids) {
      const expected = bucketOf(id) < 10 ? 'customers-v1' : 'monolith';
      expect({ id, target: auth.get(id)?.target, bucket: auth.get(id)?.stamp.bucket }).toEqual({
        id,
        target: expected,
        bucket: bucketOf(id),
      });
    }
    const shadows = copies.filter((c) => c.role === 'shadow');
    expect(shadows.every((s) => s.target === 'customers-v1' && bucketOf(s.key) >= 10)).toBe(true);
    expect(new Set(shadows.map((s) => s.key))).toEqual(new Set(ids.filter((id) => bucketOf(id) >= 10)));
    for (const c of again.filter((x) => x.role === 'authoritative'))
      expect({ key: c.key, target: c.target }).toEqual({ key: c.key, target: auth.get(c.key)?.target });
  });

  it('rollback: every decision made a second after the commit goes to the monolith', async () => {
    // Prepare: everything on the candidate
    await routeTo('customers', 'canary', 100);
    const ids = nextCustomers(30);
    const mine = new Set(ids);
    const puts: Array<{ key: string; putAt: number }> = [];

    // Act: a steady stream, with the rollback in the middle
    let committedAt = 0;
    for (let i = 0; i < ids.length; i++) {
      if (i === 10) {
        await driver.control.change('customers', { kind: 'rollback' }, ACTOR, 'e2e: rollback under load');
        committedAt = Date.now();
      }
      puts.push(...(await driver.putCustomers([ids[i]])));
      await new Promise((r) => setTimeout(r, 150));
    }
    const copies = await driver.collect(
      ['customers'],
      (k) => mine.has(k),
      (c) => authoritative(c).size === ids.length,
      120_000,
    );

    // Assess
    const auth = authoritative(copies);
    expect(auth.size).toBe(ids.length);
    const decidedAfter = [...auth.values()].filter((c) => Date.parse(c.stamp.routedAt!) >= committedAt + 1000);
    expect(decidedAfter.length).toBeGreaterThan(3);
    expect(decidedAfter.filter((c) => c.target !== 'monolith').map((c) => `${c.key} ${c.stamp.routedAt} ${c.target}`)).toEqual([]);
    // An event put a second after the commit is decided later still: the monolith too.
    const putAfter = puts.filter((p) => p.putAt >= committedAt + 1000).map((p) => auth.get(p.key)!);
    expect(putAfter.length).toBeGreaterThan(3);
    expect(putAfter.every((c) => c.target === 'monolith')).toBe(true);
    // Before the rollback everything went to the candidate: the test would notice a rollback that did nothing.
    expect(puts.slice(0, 10).every((p) => auth.get(p.key)?.target === 'customers-v1')).toBe(true);
  });

  it('an unhealthy candidate, reported by the service itself, falls back to the monolith', async () => {
    // Prepare
    await routeTo('customers', 'canary', 100);
    const [before, after] = [nextCustomers(1), nextCustomers(1)];

    // Act: the service reports through the bus, the registry takes it out of routing
    await driver.putCustomers(before);
    const first = await driver.collect(
      ['customers'],
      (k) => k === before[0],
      (c) => c.length >= 1,
      30_000,
    );
    await driver.events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: driver.busName,
            Source: 'customers-v1',
            DetailType: SERVICE_HEALTH_TYPE,
            Detail: JSON.stringify({
              capability: 'customers',
              target: 'customers-v1',
              health: 'unhealthy',
              reason: 'e2e: database unreachable',
            }),
          },
        ],
      }),
    );
    const entry = await waitFor(
      async () => {
        const e = await driver.store.getEntry('customers');
        return e?.health === 'unhealthy' ? e : undefined;
      },
      { what: 'the registry to mark customers-v1 unhealthy', timeoutMs: 30_000 },
    );
    await new Promise((r) => setTimeout(r, 1100));
    await driver.putCustomers(after);
    const second = await driver.collect(
      ['customers'],
      (k) => k === after[0],
      (c) => c.length >= 1,
      30_000,
    );

    // Assess
    expect(first[0]).toMatchObject({ target: 'customers-v1', role: 'authoritative' });
    expect(entry).toMatchObject({ mode: 'canary', percent: 100, updatedBy: 'service:customers-v1', reason: 'e2e: database unreachable' });
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ target: 'monolith', role: 'authoritative', stamp: { reason: 'candidate-unhealthy' } });
  });

  it('an alarm on the candidate error rate rolls back, records why, and emits cutover.rolled-back', async () => {
    // Prepare: the candidate takes half the keys
    const revision = await routeTo('customers', 'canary', 50);
    const probe = nextCustomers(30)
      .filter((id) => bucketOf(id) < 50)
      .slice(0, 1);

    // A rerun within the alarm period finds it still in ALARM, and only a transition notifies: start from OK.
    const alarmName = (JSON.parse(stackOutput(ctx, 'RoutingAlarmNames')) as string[]).find((n) => n.endsWith('-customers-ErrorRate'))!;
    await driver.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: 'e2e: start from OK' }));

    // Act: the candidate fails on 60 deliveries (above minSamples 50). MiniStack evaluates the alarm when
    // the data arrives; AWS would at the end of the period. The alarm -> SNS -> Lambda path is the same.
    await driver.cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: ROUTING_METRIC_NAMESPACE,
        MetricData: [
          {
            MetricName: routingMetricName('customers', 'candidate', 'ErrorRate'),
            Dimensions: routingMetricDimensions('customers', 'candidate'),
            Values: [1],
            Counts: [60],
            Unit: 'None',
          },
        ],
      }),
    );
    const rolled = await waitFor(
      async () => {
        const e = await driver.store.getEntry('customers');
        return e && e.revision > revision && e.mode === 'legacy' ? e : undefined;
      },
      { what: 'the alarm to roll customers back', timeoutMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 1100));
    await driver.putCustomers(probe);
    const copies = await driver.collect(
      ['customers'],
      (k) => k === probe[0],
      (c) => c.length >= 1,
      30_000,
    );
    const [last] = await driver.store.history('customers', { limit: 1 });
    const announced = await waitFor(
      async () => {
        for await (const entry of driver.audit.readStream('routing-customers')) {
          if (
            entry.detailType === ROLLED_BACK_TYPE &&
            entry.kind === 'event' &&
            JSON.parse(entry.payload).data?.revision === rolled.revision
          )
            return entry;
        }
        return undefined;
      },
      { what: 'cutover.rolled-back in the audit log', timeoutMs: 30_000 },
    );

    // Assess
    expect(rolled.updatedBy).toBe(`alarm:${alarmName}`);
    expect(rolled.reason).toBe('automatic rollback over 60 events: error rate 100% > 2%');
    expect(last).toMatchObject({
      revision: rolled.revision,
      change: { kind: 'rollback' },
      from: { mode: 'canary', percent: 50 },
      to: { mode: 'legacy' },
    });
    expect(JSON.parse(announced.payload).data).toMatchObject({ automatic: true, capability: 'customers' });
    expect(copies[0]).toMatchObject({ target: 'monolith', role: 'authoritative' });
  });

  it('casts order.created v2 down to v1 for a candidate built against v1', async () => {
    // Prepare: inventory's candidate v1 in shadow (the candidate can only be swapped in legacy/shadow)
    await routeTo('inventory', 'legacy');
    await driver.control.change('inventory', { kind: 'setCandidate', version: 'v1', target: 'inventory-v1' }, ACTOR, 'e2e: the v1 build');
    await driver.control.change('inventory', { kind: 'setMode', mode: 'shadow' }, ACTOR, 'e2e: shadow v1');
    await settle();
    const [orderId] = runOrderIds(1, runBase);

    // Act
    await driver.putOrders([orderId]);
    const copies = await driver.collect(
      ['inventory'],
      (k) => k === orderId,
      (c) => c.length >= 2,
      30_000,
    );

    // Assess
    const shadow = copies.find((c) => c.role === 'shadow')!;
    const legacy = copies.find((c) => c.role === 'authoritative')!;
    expect(shadow).toMatchObject({
      target: 'inventory-v1',
      version: 1,
      stamp: { castFrom: 2, version: 1 },
      data: { total: '25.98', currency: 'EUR' },
    });
    expect(shadow.data.amount).toBeUndefined();
    expect(legacy).toMatchObject({ target: 'monolith', version: 2, data: { amount: { total: '25.98', currency: 'EUR' } } });
  });

  it('quarantines an event version the authoritative candidate cannot take, with the reason, and delivers nothing for it', async () => {
    // Prepare
    await routeTo('customers', 'canary', 100);
    const [id] = nextCustomers(1);
    const quarantine = new QuarantineStore({ tableName: stackOutput(ctx, 'QuarantineTableName'), client: driver.doc });
    const since = new Date(Date.now() - 60_000).toISOString();

    // Act: customer.updated v2 does not exist; customers-v1 accepts v1 and no cast leads there
    const [put] = await driver.putCustomers([id], 2);
    const held = await waitFor(
      async () => {
        for await (const q of quarantine.query({ reason: 'untranslatable', since, newestFirst: true }))
          if (q.eventBridgeId === `${put.eventBridgeId}/customers/authoritative`) return q;
        return undefined;
      },
      { what: 'the router to quarantine the v2 event', timeoutMs: 30_000 },
    );
    const delivered = await driver.collect(
      ['customers'],
      (k) => k === id,
      () => false,
      2_500,
    );

    // Assess
    expect(held.problems[0]).toBe(
      'routing customers (authoritative -> customers-v1): customer.updated v2: customers-v1 accepts v1 and no cast leads from v2 to any of them',
    );
    expect(JSON.parse(held.payload).data.customerId).toBe(id);
    expect(held.source).toBe(DRIVER_SOURCE);
    expect(delivered).toEqual([]);
  });

  it('commits concurrent changes one after the other (conditional transaction on MiniStack) and never overwrites on seed', async () => {
    // Prepare
    const start = await routeTo('customers', 'shadow');

    // Act: two writers from the same revision
    const mirror = (await driver.store.getEntry('customers'))!.mirrorInCanary;
    const [a, b] = await Promise.all([
      driver.store.change('customers', { kind: 'setShadowing', mirrorInCanary: !mirror }, 'writer-a', 'e2e: race a'),
      driver.store.change('customers', { kind: 'setHealth', health: 'unknown' }, 'writer-b', 'e2e: race b'),
    ]);
    const stale = driver.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: driver.store.tableName,
              Item: { ...(await driver.store.getEntry('customers'))!, sk: ROUTE_SK, reason: 'stale' },
              ConditionExpression: '#r = :p',
              ExpressionAttributeNames: { '#r': 'revision' },
              ExpressionAttributeValues: { ':p': start },
            },
          },
          {
            Put: {
              TableName: driver.store.historyTableName,
              Item: { capability: 'customers', revision: 999_999, reason: 'must not land' },
              ConditionExpression: 'attribute_not_exists(#r)',
              ExpressionAttributeNames: { '#r': 'revision' },
            },
          },
        ],
      }),
    );
    await expect(stale).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    const seeded = await driver.store.seed();
    const history = await driver.store.history('customers', { limit: 3 });

    // Assess
    expect([a.changed, b.changed]).toEqual([true, true]);
    const revisions = [a.entry.revision, b.entry.revision].sort((x, y) => x - y);
    expect(revisions).toEqual([start + 1, start + 2]);
    expect(history.map((h) => h.revision)).toEqual([start + 2, start + 1, start]);
    expect(history[0].from).toEqual(history[1].to);
    expect(history.some((h) => h.revision === 999_999)).toBe(false);
    expect(seeded.find((s) => s.capability === 'customers')).toEqual({ capability: 'customers', status: 'exists' });
    expect((await driver.store.getEntry('customers'))?.revision).toBe(start + 2);
  });
});
