import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { cloudWatchClient } from './routing-metrics';
import { SYNC_METRIC_NAMESPACE, SYNC_METRIC_SERVICE, SYNC_METRICS } from '../../core/operations/metrics';

/**
 * Services -> monolith lag: the stream applier's IteratorAge (AWS/Lambda, milliseconds from a record
 * entering the stream to the function receiving it), the largest minute maximum over the last
 * `windowSeconds`. Undefined when there is no datapoint (sync stopped, or no service write lately).
 */
export async function streamIteratorAgeMs(
  functionName: string,
  options: { windowSeconds?: number; client?: CloudWatchClient; now?: Date } = {},
): Promise<number | undefined> {
  const end = options.now ?? new Date();
  const window = options.windowSeconds ?? 300;
  const res = await (options.client ?? cloudWatchClient()).send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      StartTime: new Date(end.getTime() - window * 1000),
      EndTime: end,
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const maxima = (res.Datapoints ?? []).map((d) => d.Maximum).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return maxima.length ? Math.max(...maxima) : undefined;
}

/**
 * Monolith -> services lag as the relay Lambda publishes it after each run (`Cutover/Sync RelayLagSeconds`,
 * dimension service = sync): the largest minute maximum over the last `windowSeconds`. Undefined when there
 * is no datapoint (the relay did not run: sync stopped, or never started).
 */
export async function relayLagSeconds(
  options: { windowSeconds?: number; client?: CloudWatchClient; now?: Date } = {},
): Promise<number | undefined> {
  const end = options.now ?? new Date();
  const window = options.windowSeconds ?? 300;
  const res = await (options.client ?? cloudWatchClient()).send(
    new GetMetricStatisticsCommand({
      Namespace: SYNC_METRIC_NAMESPACE,
      MetricName: SYNC_METRICS.relayLagSeconds,
      Dimensions: [{ Name: 'service', Value: SYNC_METRIC_SERVICE }],
      StartTime: new Date(end.getTime() - window * 1000),
      EndTime: end,
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const maxima = (res.Datapoints ?? []).map((d) => d.Maximum).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return maxima.length ? Math.max(...maxima) : undefined;
}
