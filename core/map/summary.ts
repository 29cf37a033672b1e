import { formatMs } from './format';
import type { TransactionMap } from './model';

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));

/** The map as a terminal summary: owners, saga, data writers, risks (each with where and why), critical paths. */
export function renderSummary(map: TransactionMap): string {
  const out: string[] = [];
  const sync = map.syncLinks === undefined ? 'no sync section' : `${map.syncLinks.length} sync link(s)`;
  out.push(
    `transaction map of "${map.name}": ${map.services.length} services, ${map.flows.length} flows, ${map.entities.length} data entities, ${sync}, ${map.risks.length} risk(s)`,
  );
  if (map.app)
    out.push(
      `synthesized app: ${map.app.stacks.join(', ')} (${map.app.rules} rules, ${map.app.functions} functions, ${map.app.tables} tables)`,
    );
  out.push('', 'services (owner now, and why):');
  for (const s of map.services) out.push(`  ${pad(s.name, 14)}${pad(s.owner, 9)}${s.ownerWhy}`);
  if (map.saga) {
    out.push(
      '',
      `saga ${map.saga.name} (starts on ${map.saga.orderEvent}; definition judged: ${map.saga.definitionFrom === 'app' ? 'synthesized app' : 'built from the spec'}):`,
    );
    for (const a of map.saga.forward) {
      const undo = a.compensation ? `undo ${a.compensation}` : `undo via ${a.compensateFromOnError ?? 'nothing'}`;
      out.push(`  ${pad(a.id, 20)}${pad(a.owner, 9)}${pad(a.service, 13)}${pad(undo, 30)}${a.waits.map((w) => w.detail).join('; ')}`);
    }
  }
  out.push('', 'data (who writes it):');
  for (const e of map.entities) {
    const sides = [...new Set(e.writers.map((w) => w.side))].join(' + ');
    out.push(
      `  ${pad(e.name, 12)}${pad(`${e.sourceTable} -> ${e.targetTable}`, 24)}${pad(`owner ${e.owner}`, 15)}${pad(`written by ${sides}`, 30)}${e.sync ? `sync ${e.sync.policy ?? '(no policy)'}` : 'no sync'}`,
    );
  }
  out.push('', `consistency risks (${map.risks.length}):`);
  if (map.risks.length === 0) out.push('  none found');
  for (const r of map.risks) out.push(`  ${r.severity.toUpperCase()} ${r.rule} at ${r.where}`, `       ${r.why}`);
  for (const p of map.criticalPaths) {
    out.push('', `critical path ${p.name}: ${p.hops.map((h) => h.action).join(' -> ')}`);
    for (const h of p.hops) {
      const declared = h.declared ? `declared p50 ${formatMs(h.declared.p50Ms)} / p95 ${formatMs(h.declared.p95Ms)}` : 'no latency profile';
      const observed = h.observed
        ? `observed p50 ${formatMs(h.observed.p50Ms)} / p95 ${formatMs(h.observed.p95Ms)} (n=${h.observed.samples})`
        : '';
      out.push(`  ${pad(h.action, 20)}${pad(h.owner, 9)}${pad(h.wait, 9)}${pad(declared, 42)}${observed}`);
    }
    const b = p.budget;
    out.push(
      `  budget: p50 ${formatMs(b.p50Ms)} / p95 ${formatMs(b.p95Ms)}; while the customer waits (no callbacks): p50 ${formatMs(b.interactiveP50Ms)} / p95 ${formatMs(b.interactiveP95Ms)}${b.undeclared.length ? `; INCOMPLETE, no profile for ${b.undeclared.join(', ')}` : ''}`,
    );
    if (p.observed)
      out.push(
        `  observed end to end: p50 ${formatMs(p.observed.p50Ms)} / p95 ${formatMs(p.observed.p95Ms)} over ${p.observed.samples} run(s)`,
      );
  }
  return `${out.join('\n')}\n`;
}
