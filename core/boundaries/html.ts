import { tablePrefix } from './infer';
import type { BoundaryReport } from './model';

/*
 * A self-contained HTML page (no script, no network): the table graph drawn as inline SVG, candidates,
 * scores, cycles and cross-boundary transactions. Layout is circular per candidate: candidates sit on a
 * large circle (sized by their table count), each candidate's tables on a small circle around its centre.
 * It is deterministic (the same report draws the same picture), needs no iterations, and keeps every
 * candidate visibly apart, which is what the reader looks for.
 */

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#17becf',
];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Positions of every table: candidates around a circle, tables around each candidate's centre. */
export function circularLayout(
  groups: ReadonlyArray<{ name: string; tables: string[] }>,
  size: number,
): { tables: Map<string, Point>; centres: Map<string, Point & { r: number }> } {
  const tables = new Map<string, Point>();
  const centres = new Map<string, Point & { r: number }>();
  const cx = size / 2;
  const cy = size / 2;
  const total = groups.reduce((a, g) => a + Math.max(1, g.tables.length), 0) || 1;
  const bigR = groups.length > 1 ? size * 0.36 : 0;
  let angle = -Math.PI / 2;
  for (const g of groups) {
    const share = Math.max(1, g.tables.length) / total;
    const mid = angle + share * Math.PI;
    angle += share * 2 * Math.PI;
    const gx = cx + bigR * Math.cos(mid);
    const gy = cy + bigR * Math.sin(mid);
    const r = groups.length > 1 ? Math.max(14, Math.min(size * 0.12, (share * 2 * Math.PI * bigR) / 2.4)) : size * 0.4;
    centres.set(g.name, { x: gx, y: gy, r });
    g.tables.forEach((t, i) => {
      const n = g.tables.length;
      const a = (2 * Math.PI * i) / n - Math.PI / 2;
      const rr = n === 1 ? 0 : r;
      tables.set(t, { x: gx + rr * Math.cos(a), y: gy + rr * Math.sin(a) });
    });
  }
  return { tables, centres };
}

export function renderHtml(r: BoundaryReport, title = 'cutover boundaries'): string {
  const size = 900;
  const prefix = tablePrefix(r.candidates.flatMap((c) => c.tables));
  const label = (t: string): string => (prefix && t.startsWith(prefix) ? t.slice(prefix.length) : t);
  const { tables: pos, centres } = circularLayout(r.candidates, size);
  const colour = new Map(r.candidates.map((c, i) => [c.name, c.unattached ? '#999999' : PALETTE[i % PALETTE.length]]));
  const of = new Map<string, string>();
  for (const c of r.candidates) for (const t of c.tables) of.set(t, c.name);
  const maxW = Math.max(1e-9, ...r.edges.map((e) => e.weight));
  const svg: string[] = [];
  svg.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" role="img" aria-label="table graph">`,
  );
  for (const [name, c] of centres)
    svg.push(
      `<circle cx="${c.x.toFixed(1)}" cy="${c.y.toFixed(1)}" r="${(c.r + 18).toFixed(1)}" fill="${colour.get(name)}" fill-opacity="0.08" stroke="${colour.get(name)}" stroke-opacity="0.4"/>`,
    );
  for (const e of r.edges) {
    const a = pos.get(e.a);
    const b = pos.get(e.b);
    if (!a || !b) continue;
    const cross = of.get(e.a) !== of.get(e.b);
    svg.push(
      `<line x1="${a.x.toFixed(1)}" y1="${a.y.toFixed(1)}" x2="${b.x.toFixed(1)}" y2="${b.y.toFixed(1)}" stroke="${cross ? '#d62728' : '#555'}" stroke-opacity="${cross ? 0.55 : 0.35}" stroke-width="${(0.5 + (2.5 * e.weight) / maxW).toFixed(2)}"><title>${esc(`${e.a} - ${e.b}: weight ${e.weight} (declared ${e.evidence.declared}, inferred ${e.evidence.inferred}, statements ${Math.round(e.evidence.statementCalls)} calls, transactions ${Math.round(e.evidence.transactionCalls)} calls)`)}</title></line>`,
    );
  }
  for (const c of r.candidates) {
    for (const t of c.tables) {
      const p = pos.get(t) as Point;
      svg.push(
        `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="5" fill="${colour.get(c.name)}"><title>${esc(`${t} (${c.name})`)}</title></circle>`,
      );
      if (r.candidates.reduce((a, x) => a + x.tables.length, 0) <= 80)
        svg.push(`<text x="${(p.x + 7).toFixed(1)}" y="${(p.y + 3).toFixed(1)}" font-size="10">${esc(label(t))}</text>`);
    }
    const centre = centres.get(c.name) as Point & { r: number };
    svg.push(
      `<text x="${centre.x.toFixed(1)}" y="${(centre.y - centre.r - 22).toFixed(1)}" font-size="13" font-weight="bold" text-anchor="middle" fill="${colour.get(c.name)}">${esc(c.name)}</text>`,
    );
  }
  svg.push('</svg>');
  const m = r.metrics;
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const rows = r.candidates
    .map(
      (c) =>
        `<tr><td><span class="dot" style="background:${colour.get(c.name)}"></span>${esc(c.name)}</td><td>${c.tables.length}</td><td>${c.unattached ? '-' : c.cohesion.toFixed(2)}</td><td>${c.unattached ? '-' : c.coupling.toFixed(2)}</td><td>${esc(c.tables.join(', '))}</td></tr>`,
    )
    .join('\n');
  const cycles = r.cycles.length
    ? `<ul>${r.cycles.map((c) => `<li>${esc([...c.candidates, c.candidates[0]].join(' → '))}<br><small>break ${esc(c.breakAt.from)} → ${esc(c.breakAt.to)}: ${esc(c.breakAt.how)}</small></li>`).join('')}</ul>`
    : '<p>none</p>';
  const risks = r.suggestions.length
    ? `<table><tr><th>kind</th><th>calls</th><th>tables</th><th>why</th></tr>${r.suggestions.map((s) => `<tr><td>${s.kind}</td><td>${s.calls.toLocaleString('en-US')}</td><td>${esc(s.tables.join(', '))}</td><td>${esc(s.why)}${s.saga ? `<br><small>${esc(s.saga.steps.map((st) => `${st.name}: ${st.forward} / ${st.compensation}`).join(' · '))}</small>` : ''}</td></tr>`).join('')}</table>`
    : '<p>no transaction crosses a boundary (or no workload was given)</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;font-size:13px}th{background:#f4f4f4}.dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}.metrics td{font-family:monospace}small{color:#555}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>${r.candidates.filter((c) => !c.unattached).length} candidate services over ${m.tables} tables · ${r.declared.length} declared and ${r.inferred.length} inferred relationships · seed ${r.options.seed}</p>
${svg.join('\n')}
<p><small>Red lines cross a boundary; thickness is the edge weight. Hover a line or a table for its evidence.</small></p>
<h2>Scores</h2>
<table class="metrics"><tr><th>modularity</th><th>mean cohesion</th><th>SM</th><th>ICP</th><th>IFN</th><th>NED</th><th>cross-boundary relationships</th><th>distributed transactions</th></tr>
<tr><td>${m.modularity.toFixed(3)}</td><td>${m.meanCohesion.toFixed(3)}</td><td>${m.sm.toFixed(3)}</td><td>${pct(m.icp)}</td><td>${m.ifn.toFixed(2)}</td><td>${pct(m.ned)}</td><td>${m.crossBoundaryRelationships} of ${m.relationships}</td><td>${pct(m.distributedTransactionShare)} of ${m.transactionCalls.toLocaleString('en-US')} calls</td></tr></table>
<h2>Candidates</h2>
<table><tr><th>candidate</th><th>tables</th><th>cohesion</th><th>coupling</th><th>tables</th></tr>
${rows}
</table>
<h2>Shared reference data</h2>
${r.shared.length ? `<p>${r.shared.map((h) => `${esc(h.table)} (referenced by ${h.referencedBy})`).join(', ')}: replicate as read models rather than centre a service on them.</p>` : '<p>none</p>'}
<h2>Cycles between candidates</h2>
${cycles}
<h2>Risks: transactions that would cross a boundary</h2>
${risks}
</body></html>
`;
}
