import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
  type Datapoint,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import {
  ROUTING_METRIC_NAMESPACE,
  routingMetricDimensions,
  routingMetricName,
  type CandidateMetrics,
  type RoutingMetric,
  type Side,
} from '../../core/routing';

let cw: CloudWatchClient | undefined;
/** The shared endpoint-aware CloudWatch client (AWS_ENDPOINT_URL is honoured by the SDK). */
export function cloudWatchClient(): CloudWatchClient {
  cw ??= new CloudWatchClient({});
  return cw;
}

/** One copy an implementation handled: whether it failed and how long it took. */
export interface HandlingSample {
  readonly capability: string;
  readonly side: Side;
  readonly failed: boolean;
  readonly latencyMs: number;
}

/** One comparison of a shadow outcome with the authoritative one (published under the candidate side). */
export interface ComparisonSample {
  readonly capability: string;
  readonly mismatched: boolean;
}

/** A side's figures over a window, as `route status` and the auto-rollback read them. */
export interface SideMetrics extends CandidateMetrics {
  /** Deliveries handled in the window (samples of ErrorRate). */
  readonly deliveries: number;
  /** Comparisons in the window (samples of MismatchRate). */
  readonly comparisons: number;
}

/**
 * Publishes and reads the routing metrics (names in core/routing/wire.ts). Rates are 0/1 samples, so
 * `Average` is the rate and `SampleCount` the number of events: no metric math needed anywhere.
 */
export class RoutingMetrics {
  private readonly client: CloudWatchClient;
  private readonly now: () => Date;

  public constructor(options: { client?: CloudWatchClient; now?: () => Date } = {}) {
    this.client = options.client ?? cloudWatchClient();
    this.now = options.now ?? (() => new Date());
  }

  /** Publish handling samples (and comparisons) in one PutMetricData call per 1000 data. */
  public async publish(handled: readonly HandlingSample[], compared: readonly ComparisonSample[] = []): Promise<void> {
    const at = this.now();
    const data: MetricDatum[] = [];
    for (const h of handled) {
      const dims = routingMetricDimensions(h.capability, h.side);
      data.push({
        MetricName: routingMetricName(h.capability, h.side, 'ErrorRate'),
        Dimensions: dims,
        Value: h.failed ? 1 : 0,
        Unit: 'None',
        Timestamp: at,
      });
      data.push({
        MetricName: routingMetricName(h.capability, h.side, 'LatencyMs'),
        Dimensions: dims,
        Value: Math.max(0, h.latencyMs),
        Unit: 'Milliseconds',
        Timestamp: at,
      });
    }
    for (const c of compared) {
      data.push({
        MetricName: routingMetricName(c.capability, 'candidate', 'MismatchRate'),
        Dimensions: routingMetricDimensions(c.capability, 'candidate'),
        Value: c.mismatched ? 1 : 0,
        Unit: 'None',
        Timestamp: at,
      });
    }
    for (let i = 0; i < data.length; i += 1000) {
      await this.client.send(new PutMetricDataCommand({ Namespace: ROUTING_METRIC_NAMESPACE, MetricData: data.slice(i, i + 1000) }));
    }
  }

  /** One side's error rate, p95 latency and mismatch rate over the last `windowSeconds`. Rates absent = no data. */
  public async read(capability: string, side: Side, windowSeconds: number): Promise<SideMetrics> {
    const end = this.now();
    const start = new Date(end.getTime() - windowSeconds * 1000);
    const period = windowSeconds <= 60 ? 60 : Math.ceil(windowSeconds / 60) * 60;
    const get = async (
      metric: RoutingMetric,
      stats: { Statistics?: ('Average' | 'SampleCount')[]; ExtendedStatistics?: string[] },
    ): Promise<Datapoint[]> => {
      const res = await this.client.send(
        new GetMetricStatisticsCommand({
          Namespace: ROUTING_METRIC_NAMESPACE,
          MetricName: routingMetricName(capability, side, metric),
          Dimensions: routingMetricDimensions(capability, side),
          StartTime: start,
          EndTime: end,
          Period: period,
          ...stats,
        }),
      );
      return res.Datapoints ?? [];
    };
    // AWS refuses Statistics and ExtendedStatistics in one request: three calls, run together.
    const [errors, latency, mismatches] = await Promise.all([
      get('ErrorRate', { Statistics: ['Average', 'SampleCount'] }),
      get('LatencyMs', { ExtendedStatistics: ['p95'] }),
      side === 'candidate' ? get('MismatchRate', { Statistics: ['Average', 'SampleCount'] }) : Promise.resolve([]),
    ]);
    const err = weighted(errors);
    const mis = weighted(mismatches);
    const p95s = latency.map((d) => d.ExtendedStatistics?.p95).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return {
      samples: Math.max(err.count, mis.count),
      deliveries: err.count,
      comparisons: mis.count,
      ...(err.count > 0 ? { errorRate: clamp01(err.average) } : {}),
      // Datapoints of two periods: the larger p95 is the safe reading for a rollback decision.
      ...(p95s.length > 0 ? { p95LatencyMs: Math.max(...p95s) } : {}),
      ...(mis.count > 0 ? { mismatchRate: clamp01(mis.average) } : {}),
    };
  }
}

function weighted(points: readonly Datapoint[]): { count: number; average: number } {
  let count = 0;
  let sum = 0;
  for (const p of points) {
    const n = p.SampleCount ?? 0;
    if (n <= 0 || typeof p.Average !== 'number') continue;
    count += n;
    sum += p.Average * n;
  }
  return { count, average: count === 0 ? 0 : sum / count };
}

function clamp01(n: number): number {
  return Math.min(1, Math.max(0, n));
}
