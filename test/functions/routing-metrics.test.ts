import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { ROUTING_METRIC_NAMESPACE } from '../../core/routing';
import { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';

const cw = mockClient(CloudWatchClient);
const NOW = new Date('2026-11-22T10:00:30.000Z');
const metrics = new RoutingMetrics({ client: new CloudWatchClient({ region: 'us-east-1' }), now: () => NOW });

afterEach(() => cw.reset());

describe('Class: RoutingMetrics', () => {
  describe('Method: publish', () => {
    it('publishes 0/1 rate samples and latency under per-capability names, with dimensions', async () => {
      // Act
      await metrics.publish(
        [
          { capability: 'inventory', side: 'candidate', failed: true, latencyMs: 120 },
          { capability: 'inventory', side: 'legacy', failed: false, latencyMs: 80 },
        ],
        [{ capability: 'inventory', mismatched: true }],
      );

      // Assess
      const input = cw.commandCalls(PutMetricDataCommand)[0].args[0].input;
      expect(input.Namespace).toBe(ROUTING_METRIC_NAMESPACE);
      expect(input.MetricData!.map((d) => [d.MetricName, d.Value])).toEqual([
        ['inventory.candidate.ErrorRate', 1],
        ['inventory.candidate.LatencyMs', 120],
        ['inventory.legacy.ErrorRate', 0],
        ['inventory.legacy.LatencyMs', 80],
        ['inventory.candidate.MismatchRate', 1],
      ]);
      expect(input.MetricData![0].Dimensions).toEqual([
        { Name: 'Capability', Value: 'inventory' },
        { Name: 'Side', Value: 'candidate' },
      ]);
    });
  });

  describe('Method: read', () => {
    it('weights the rate of two datapoints by their sample counts and keeps the larger p95', async () => {
      // Prepare: the window straddles two periods
      cw.on(GetMetricStatisticsCommand, { MetricName: 'inventory.candidate.ErrorRate' }).resolves({
        Datapoints: [
          { SampleCount: 30, Average: 0.1 },
          { SampleCount: 10, Average: 0.5 },
        ],
      });
      cw.on(GetMetricStatisticsCommand, { MetricName: 'inventory.candidate.LatencyMs' }).resolves({
        Datapoints: [{ ExtendedStatistics: { p95: 900 } }, { ExtendedStatistics: { p95: 2500 } }],
      });
      cw.on(GetMetricStatisticsCommand, { MetricName: 'inventory.candidate.MismatchRate' }).resolves({ Datapoints: [] });

      // Act
      const m = await metrics.read('inventory', 'candidate', 60);

      // Assess
      expect(m).toEqual({ samples: 40, deliveries: 40, comparisons: 0, errorRate: 0.2, p95LatencyMs: 2500 });
      const latencyCall = cw
        .commandCalls(GetMetricStatisticsCommand)
        .find((c) => c.args[0].input.MetricName === 'inventory.candidate.LatencyMs')!;
      expect(latencyCall.args[0].input).toMatchObject({
        ExtendedStatistics: ['p95'],
        Period: 60,
        StartTime: new Date('2026-11-22T09:59:30.000Z'),
      });
      expect(latencyCall.args[0].input.Statistics).toBeUndefined();
    });

    it('reports no rate at all (not zero) when there is no data', async () => {
      cw.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });
      expect(await metrics.read('payment', 'legacy', 300)).toEqual({ samples: 0, deliveries: 0, comparisons: 0 });
    });
  });
});
