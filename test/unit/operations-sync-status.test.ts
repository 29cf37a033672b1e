import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { relayLagSeconds, streamIteratorAgeMs } from '../../adapters/cloudwatch/sync-metrics';
import { judgeReadiness } from '../../core/readiness';
import { parseSpec, readinessFor, type Spec } from '../../core/spec';
import { gatherEvidence, gatherStatus, type OperationsSources } from '../../cli/operations/gather';
import { DeployedSyncStatus, type DeployedSyncReads } from '../../cli/operations/sync-status';
import config from '../../cutover.config';

/*
 * `cutover status` and `cutover readiness` with evidence from the deployed sync: the capability's synced
 * entities, the larger of the two directions' lag, and the ledger's open conflicts of those entities.
 */
const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

let spec: Spec;
beforeAll(() => {
  spec = parseSpec(config);
});

function reads(over: Partial<DeployedSyncReads> = {}): DeployedSyncReads & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    openConflicts: async () => (
      calls.push('conflicts'),
      new Map([
        ['stock', 2],
        ['products', 5],
      ])
    ),
    relayLagSeconds: async () => (calls.push('relay'), 4),
    streamLagMs: async () => (calls.push('stream'), 12_500),
    ...over,
  };
}

const sources = (sync: OperationsSources['sync']): OperationsSources => ({
  spec,
  now: () => new Date('2026-12-06T12:00:00.000Z'),
  sync,
});

describe('Class: DeployedSyncStatus', () => {
  describe('Method: status', () => {
    it("takes the larger lag of both directions and counts only the capability's entities' open conflicts", async () => {
      // Prepare
      const r = reads();
      const status = new DeployedSyncStatus(spec, r);

      // Act
      const inventory = await status.status('inventory');
      await status.status('inventory');

      // Assess
      expect(status.syncedEntities('inventory')).toEqual(['stock']);
      expect(inventory).toEqual({ lagSeconds: 12.5, openConflicts: 2 });
      // Each deployed part is read once per command, however many capabilities ask.
      expect(r.calls.sort()).toEqual(['conflicts', 'relay', 'stream']);
    });

    it('reads again for a later command (a long-lived caller reuses its sources)', async () => {
      // Prepare
      let now = 1_000;
      const published: { lag?: number } = {};
      const status = new DeployedSyncStatus(spec, reads({ relayLagSeconds: async () => published.lag }), 5_000, () => now);
      await expect(status.status('inventory')).rejects.toThrow(/published no lag/);

      // Act
      published.lag = 7;
      now += 6_000;
      const later = await status.status('inventory');

      // Assess
      expect(later).toEqual({ lagSeconds: 12.5, openConflicts: 2 });
    });

    it('reports the relay lag when the stream applier has no datapoint (no service writes lately)', async () => {
      // Act
      const got = await new DeployedSyncStatus(spec, reads({ streamLagMs: async () => undefined })).status('inventory');

      // Assess
      expect(got).toEqual({ lagSeconds: 4, openConflicts: 2 });
    });

    it('says a capability without synced entities is not synced', async () => {
      // Act
      const got = await new DeployedSyncStatus(spec, reads()).status('payment');

      // Assess
      expect(readinessFor(spec.readiness, 'payment').entities).toEqual(['payments']);
      expect(got).toBeUndefined();
    });

    it('refuses to call a relay that published nothing "no lag"', async () => {
      // Act
      const read = new DeployedSyncStatus(spec, reads({ relayLagSeconds: async () => undefined })).status('inventory');

      // Assess
      await expect(read).rejects.toThrow(/the relay published no lag in the last 5 minutes/);
    });
  });
});

describe('Function: gatherStatus with the deployed sync', () => {
  it('shows lag and open conflicts for a synced capability and why the others have none', async () => {
    // Act
    const s = await gatherStatus(sources(new DeployedSyncStatus(spec, reads())), 60);

    // Assess
    const byCapability = Object.fromEntries(s.capabilities.map((c) => [c.capability, c.sync]));
    expect(byCapability.inventory).toEqual({ lagSeconds: 12.5, openConflicts: 2 });
    expect(byCapability.payment).toEqual({ missing: 'payment is not synced' });
  });
});

describe('Function: gatherEvidence with the deployed sync', () => {
  it.each([
    ['lag and conflicts within the thresholds', reads({ openConflicts: async () => new Map() }), 'pass'],
    ['open conflicts', reads(), 'fail'],
    ['lag over the tolerance', reads({ openConflicts: async () => new Map(), relayLagSeconds: async () => 600 }), 'fail'],
    ['a relay that published nothing', reads({ relayLagSeconds: async () => undefined }), 'missing'],
  ])('judges sync on %s', async (_what, r, outcome) => {
    // Prepare
    const { thresholds, waivers } = readinessFor(spec.readiness, 'inventory');

    // Act
    const evidence = await gatherEvidence(sources(new DeployedSyncStatus(spec, r)), 'inventory', {
      windowMinutes: 60,
      entities: ['stock'],
    });
    const verdict = judgeReadiness(evidence, thresholds, waivers);

    // Assess
    expect(verdict.checks.find((c) => c.id === 'sync')).toMatchObject({ outcome });
  });
});

describe('Function: relayLagSeconds', () => {
  it('reads the largest minute maximum of Cutover/Sync RelayLagSeconds under the sync service dimension', async () => {
    // Prepare
    cw.on(GetMetricStatisticsCommand).resolves({ Datapoints: [{ Maximum: 3 }, { Maximum: 41 }, { Average: 99 }] });

    // Act
    const lag = await relayLagSeconds({ client: new CloudWatchClient({}), now: new Date('2026-12-06T12:00:00.000Z') });

    // Assess
    expect(lag).toBe(41);
    const input = cw.commandCalls(GetMetricStatisticsCommand)[0].args[0].input;
    expect(input).toMatchObject({
      Namespace: 'Cutover/Sync',
      MetricName: 'RelayLagSeconds',
      Dimensions: [{ Name: 'service', Value: 'sync' }],
      Statistics: ['Maximum'],
      StartTime: new Date('2026-12-06T11:55:00.000Z'),
    });
  });

  it('is undefined without a datapoint', async () => {
    // Prepare
    cw.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });

    // Act, Assess
    expect(await relayLagSeconds({ client: new CloudWatchClient({}) })).toBeUndefined();
  });
});

describe('Function: streamIteratorAgeMs', () => {
  it("reads the stream applier's IteratorAge", async () => {
    // Prepare
    cw.on(GetMetricStatisticsCommand).resolves({ Datapoints: [{ Maximum: 1200 }, { Maximum: 800 }] });

    // Act
    const ms = await streamIteratorAgeMs('fn-stream', { client: new CloudWatchClient({}) });

    // Assess
    expect(ms).toBe(1200);
    expect(cw.commandCalls(GetMetricStatisticsCommand)[0].args[0].input).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: 'fn-stream' }],
    });
  });
});
