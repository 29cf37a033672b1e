import type { MetricUnit } from '@aws-lambda-powertools/metrics';

/** What a handler uses of Powertools Metrics: tests hand in a recorder, production a `Metrics`. */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): unknown;
  addDimension(name: string, value: string): unknown;
  publishStoredMetrics(): unknown;
}
