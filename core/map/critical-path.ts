import type { SagaPlan } from '../saga/plan';
import type { Spec } from '../spec/schema';
import type { CriticalPath, LatencyBudget, PathHop } from './model';
import { durationsOf, pathDurations, summarise, type ObservedHops } from './observed';

export type { ObservedHops } from './observed';

/** The customer-facing transactions and the saga steps each one crosses, in order. */
export const CRITICAL_PATHS = [
  {
    name: 'checkout',
    description: 'order -> stock -> payment -> shipping: from the order event to the carrier confirming dispatch',
    steps: ['CreateOrder', 'ReserveInventory', 'ProcessPayment', 'ScheduleShipping'],
  },
] as const;

const node = (service: string) => `svc:${service}`;

/**
 * Each path's hops with the declared latency profile of the step, the budget (sums of p50 and p95, and the
 * same over the hops the customer waits for, i.e. without callbacks), and the measured p50/p95 per hop and
 * end to end when observations are given.
 */
export function criticalPathsOf(plan: SagaPlan, spec: Spec, observed?: ObservedHops): CriticalPath[] {
  return CRITICAL_PATHS.map((path) => {
    let prev = 'saga';
    const hops: PathHop[] = [];
    for (const step of path.steps) {
      const a = plan.forward.find((f) => f.id === step);
      if (!a) continue;
      const to = a.owner === 'monolith' ? 'monolith' : node(a.service);
      const declared = spec.saga?.steps[a.step].latency;
      const obs = observed ? summarise(durationsOf(observed, a.id)) : undefined;
      hops.push({
        action: a.id,
        from: prev,
        to,
        owner: a.owner === 'routed' ? 'service' : a.owner,
        wait: a.kind === 'service-callback' ? 'callback' : a.kind === 'monolith' ? 'reply' : 'call',
        ...(declared ? { declared: { p50Ms: declared.p50Ms, p95Ms: declared.p95Ms } } : {}),
        ...(obs ? { observed: obs } : {}),
      });
      prev = to;
    }
    const budget = budgetOf(hops);
    const end = observed
      ? summarise(
          pathDurations(
            observed,
            hops.map((h) => h.action),
          ),
        )
      : undefined;
    return { name: path.name, description: path.description, hops, budget, ...(end ? { observed: end } : {}) };
  });
}

/** Sums declared profiles; the interactive budget leaves out callbacks (the carrier answers in hours). */
export function budgetOf(hops: readonly PathHop[]): LatencyBudget {
  let p50 = 0;
  let p95 = 0;
  let i50 = 0;
  let i95 = 0;
  const undeclared: string[] = [];
  for (const h of hops) {
    if (!h.declared) {
      undeclared.push(h.action);
      continue;
    }
    p50 += h.declared.p50Ms;
    p95 += h.declared.p95Ms;
    if (h.wait !== 'callback') {
      i50 += h.declared.p50Ms;
      i95 += h.declared.p95Ms;
    }
  }
  return { p50Ms: p50, p95Ms: p95, interactiveP50Ms: i50, interactiveP95Ms: i95, undeclared };
}
