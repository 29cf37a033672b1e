import type { Side } from '../../core/routing/model';
import { RoutingMetrics, type ComparisonSample, type HandlingSample } from './routing-metrics';

/**
 * The façade's routing metrics, in the same series as the event router's (core/routing/wire.ts), so the
 * capability's rollback alarms see HTTP traffic too. Samples are buffered per container and sent in one
 * PutMetricData when `maxSamples` are waiting or `maxAgeMs` has passed: one call per request would add a
 * CloudWatch round trip to every customer's request.
 */
export class BufferedRoutingMetrics {
  private handled: HandlingSample[] = [];
  private compared: ComparisonSample[] = [];
  private oldest: number | undefined;

  public constructor(
    private readonly metrics: Pick<RoutingMetrics, 'publish'> = new RoutingMetrics(),
    private readonly options: { maxSamples?: number; maxAgeMs?: number; clock?: () => number } = {},
  ) {}

  public add(sample: { capability: string; side: Side; failed: boolean; latencyMs: number }): void {
    this.handled.push(sample);
    this.oldest ??= this.now();
  }

  public addComparison(sample: ComparisonSample): void {
    this.compared.push(sample);
    this.oldest ??= this.now();
  }

  public due(): boolean {
    if (this.oldest === undefined) return false;
    return (
      this.handled.length + this.compared.length >= (this.options.maxSamples ?? 50) ||
      this.now() - this.oldest >= (this.options.maxAgeMs ?? 5000)
    );
  }

  /** Sends what is buffered; on failure the samples are put back for the next flush. */
  public async flush(): Promise<void> {
    if (this.oldest === undefined) return;
    const handled = this.handled;
    const compared = this.compared;
    this.handled = [];
    this.compared = [];
    this.oldest = undefined;
    try {
      await this.metrics.publish(handled, compared);
    } catch (err) {
      this.handled = handled.concat(this.handled);
      this.compared = compared.concat(this.compared);
      this.oldest = this.now();
      throw err;
    }
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}
