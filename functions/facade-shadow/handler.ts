import { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import { runShadow, type ShadowJob, type ShadowVerdict } from '../../adapters/http/facade';
import { RuleBook } from '../../core/compare/rule-book';
import type { Comparator } from '../../core/compare/comparator';
import { ConfigurationError } from '../../core/errors';
import { Logger } from '../shared/logger';
import { loadSpec } from '../shared/spec';

/*
 * The façade's shadow worker, invoked asynchronously by the façade with a ShadowJob: sends the copy to
 * the shadow side, compares with the authoritative answer under the spec's compare rules
 * (capture.compare: default + the capability's set), and records MismatchRate (plus the shadow side's
 * ErrorRate and LatencyMs) in the capability's routing series, which its rollback alarms watch.
 */
let state:
  | {
      comparatorFor: (capability: string) => Comparator;
      metrics: RoutingMetrics;
      logger: Logger;
      section: { timeoutMs: number; maxResponseBytes: number };
    }
  | undefined;

export async function handler(job: ShadowJob): Promise<ShadowVerdict> {
  if (state === undefined) {
    const spec = loadSpec();
    if (!spec.facade) throw new ConfigurationError('the spec has no facade section', { setting: 'spec.facade' });
    const books = new Map<string, Comparator>();
    const compare = spec.capture?.compare;
    state = {
      comparatorFor: (capability) => {
        let c = books.get(capability);
        if (!c) books.set(capability, (c = new RuleBook(compare, { capability }).comparatorFor('')));
        return c;
      },
      metrics: new RoutingMetrics(),
      logger: new Logger('facade-shadow'),
      section: spec.facade,
    };
  }
  const s = state;
  return runShadow(job, {
    section: s.section,
    comparatorFor: s.comparatorFor,
    log: s.logger,
    record: async (verdict, side) => {
      await s.metrics.publish(
        [{ capability: verdict.capability, side, failed: verdict.status === 'shadow-failed', latencyMs: verdict.latencyMs }],
        verdict.status === 'shadow-failed' ? [] : [{ capability: verdict.capability, mismatched: verdict.status === 'mismatch' }],
      );
    },
  });
}
