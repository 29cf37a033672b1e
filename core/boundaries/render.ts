import { tablePrefix } from './infer';
import type { BoundaryReport } from './model';
import { sagaSpecSkeleton } from './suggest';

/* Text and Mermaid renderings of a boundary report. (JSON is the report itself; HTML is in html.ts.) */

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const num = (x: number): string => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(3));

export function renderText(r: BoundaryReport, options: { maxTables?: number; maxSuggestions?: number } = {}): string {
  const maxTables = options.maxTables ?? 12;
  const out: string[] = [];
  const m = r.metrics;
  const real = r.candidates.filter((c) => !c.unattached);
  out.push(
    `${real.length} candidate services over ${m.tables} tables (seed ${r.options.seed}, resolution ${r.options.resolution}${r.options.services ? `, --services ${r.options.services}` : ''}${r.options.maxSize ? `, --max-size ${r.options.maxSize}` : ''})`,
  );
  out.push(
    `relationships: ${r.declared.length} declared, ${r.inferred.length} inferred; ${m.crossBoundaryRelationships} of ${m.relationships} cross a boundary`,
  );
  if (r.workload.calls > 0) {
    out.push(
      `workload: ${r.workload.statements} statements, ${r.workload.transactions} transaction shapes, ${r.workload.calls.toLocaleString('en-US')} calls; unparsed ${r.workload.unparsed} statements (${r.workload.unparsedCalls.toLocaleString('en-US')} calls)${r.workload.unknownTables.length ? `; tables not in the schema: ${r.workload.unknownTables.slice(0, 5).join(', ')}` : ''}`,
    );
  } else out.push('workload: none (schema only; add --log or --stats for access patterns)');
  if (r.shared.length)
    out.push(
      `shared reference data (referenced by many tables; replicate, do not centre a service on them): ${r.shared
        .slice(0, 8)
        .map((h) => `${h.table} (${h.referencedBy})`)
        .join(', ')}${r.shared.length > 8 ? ', ...' : ''}`,
    );
  if (r.skipped.length) out.push(`schema: ${r.skipped.length} statements skipped (see --format json: skipped)`);
  out.push('');
  out.push('candidates');
  for (const c of r.candidates) {
    const shown = c.tables.slice(0, maxTables).join(', ') + (c.tables.length > maxTables ? `, ... (+${c.tables.length - maxTables})` : '');
    if (c.unattached)
      out.push(`  ${c.name.padEnd(20)} ${String(c.tables.length).padStart(3)} tables  no relationship, no access: ${shown}`);
    else
      out.push(
        `  ${c.name.padEnd(20)} ${String(c.tables.length).padStart(3)} tables  cohesion ${c.cohesion.toFixed(2)}  coupling ${num(c.coupling)}  ${c.pinned.length ? `pinned ${c.pinned.join(', ')}  ` : ''}${shown}`,
      );
  }
  out.push('');
  out.push('scores');
  out.push(
    `  modularity ${m.modularity.toFixed(3)}   mean cohesion ${m.meanCohesion.toFixed(3)}   SM ${m.sm.toFixed(3)}   ICP ${pct(m.icp)}   IFN ${m.ifn.toFixed(2)}   NED ${pct(m.ned)}`,
  );
  out.push(
    `  transactions that become distributed: ${pct(m.distributedTransactionShare)} of ${m.transactionCalls.toLocaleString('en-US')} calls`,
  );
  out.push('');
  out.push(
    `${r.cycles.length ? `cycles between candidates: ${r.cycles.length}` : 'cycles between candidates: none'}${r.shared.length ? ' (references to shared reference data left out)' : ''}`,
  );
  for (const c of r.cycles.slice(0, 5)) {
    out.push(`  ${[...c.candidates, c.candidates[0]].join(' -> ')}`);
    out.push(`    break ${c.breakAt.from} -> ${c.breakAt.to}: ${c.breakAt.how}`);
  }
  if (r.suggestions.length) {
    out.push('');
    out.push('cross-boundary transactions');
    for (const s of r.suggestions.slice(0, options.maxSuggestions ?? 10)) {
      out.push(`  ${s.kind.padEnd(21)} ${s.calls.toLocaleString('en-US').padStart(9)} calls  tx ${s.txid}: ${s.tables.join(', ')}`);
      out.push(`    ${s.why}`);
      if (s.saga) for (const st of s.saga.steps) out.push(`    ${st.name} (${st.owner}): ${st.forward}; compensate ${st.compensation}`);
      if (s.readModel)
        out.push(
          `    ${s.readModel.owner} keeps a read model of ${s.readModel.replicates.join(', ')} from ${s.readModel.events.join(', ')}`,
        );
    }
  }
  const sample = r.inferred.slice(0, 5);
  if (sample.length) {
    out.push('');
    out.push(`inferred relationships (${r.inferred.length}; first ${sample.length})`);
    for (const i of sample) out.push(`  ${i.from}(${i.fromColumns.join(', ')}) -> ${i.to}(${i.toColumns.join(', ')})  ${i.reason}`);
  }
  return `${out.join('\n')}\n`;
}

function mermaidId(name: string): string {
  return `t_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * A Mermaid flowchart: one subgraph per candidate with its tables, relationships as arrows (declared
 * solid, inferred dotted). Past `maxEdges` only the edges that cross a boundary are drawn.
 */
export function renderMermaid(r: BoundaryReport, options: { maxEdges?: number } = {}): string {
  const prefix = tablePrefix(r.candidates.flatMap((c) => c.tables));
  const label = (t: string): string => (prefix && t.startsWith(prefix) ? t.slice(prefix.length) : t);
  const of = new Map<string, string>();
  for (const c of r.candidates) for (const t of c.tables) of.set(t, c.name);
  const lines = ['flowchart LR'];
  r.candidates.forEach((c, i) => {
    lines.push(`  subgraph c${i}["${c.name}${c.unattached ? ' (no relationships)' : ''}"]`);
    for (const t of c.tables) lines.push(`    ${mermaidId(t)}["${label(t)}"]`);
    lines.push('  end');
  });
  const rels = [...r.declared, ...r.inferred];
  const maxEdges = options.maxEdges ?? 200;
  const drawn = rels.length > maxEdges ? rels.filter((x) => of.get(x.from) !== of.get(x.to)) : rels;
  const seen = new Set<string>();
  for (const x of drawn) {
    const key = `${x.from}>${x.to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(`  ${mermaidId(x.from)} ${x.kind === 'declared' ? '-->' : '-.->'} ${mermaidId(x.to)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON output: the report, plus each saga suggestion's skeleton in the spec's saga.steps format. */
export function renderJson(r: BoundaryReport): string {
  return `${JSON.stringify({ ...r, suggestions: r.suggestions.map((s) => (s.saga ? { ...s, sagaSpec: sagaSpecSkeleton(s.saga.steps) } : s)) }, null, 2)}\n`;
}
