import { formatMs } from './format';
import type { Ownership, TransactionMap } from './model';

/*
 * The map as one self-contained HTML page: inline CSS and SVG, no script, no network. The pictures are
 * drawn here (a fixed column layout: monolith, bridge, services) rather than by a layout library, so the page
 * opens anywhere, including on an air-gapped laptop in a review meeting.
 */

const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const FILL: Record<Ownership | 'data' | 'risk' | 'bridge', string> = {
  monolith: '#fde7d9',
  service: '#dcfce7',
  split: '#fef9c3',
  data: '#e0f2fe',
  risk: '#fee2e2',
  bridge: '#ede9fe',
};

function box(x: number, y: number, w: number, h: number, fill: string, lines: string[], stroke = '#334155', strokeWidth = 1): string {
  const t = lines
    .map(
      (l, i) =>
        `<text x="${x + w / 2}" y="${y + 18 + i * 15}" text-anchor="middle" font-size="${i === 0 ? 13 : 11}"${i === 0 ? ' font-weight="600"' : ''}>${esc(l)}</text>`,
    )
    .join('');
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="${strokeWidth}"/>${t}`;
}

/** A curved arrow; its label sits just before the arrow head, so edges fanning out of one box stay legible. */
function edge(x1: number, y1: number, x2: number, y2: number, label: string, dashed = false): string {
  const mx = (x1 + x2) / 2;
  const lx = x2 > x1 ? x2 - 8 : x2 + 8;
  return (
    `<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="#475569" stroke-width="1.4"${dashed ? ' stroke-dasharray="5 4"' : ''} marker-end="url(#arrow)"/>` +
    (label
      ? `<text x="${lx}" y="${y2 - 5}" text-anchor="${x2 > x1 ? 'end' : 'start'}" font-size="10" fill="#334155">${esc(label)}</text>`
      : '')
  );
}

function boundarySvg(map: TransactionMap): string {
  const risky = new Set(map.risks.map((r) => /entit(?:ies\.|y )([a-z0-9-]+)/.exec(r.where)?.[1]).filter(Boolean));
  const rowH = 62;
  const services = map.services;
  const height = Math.max(services.length * rowH + 60, 360);
  const parts: string[] = [];
  parts.push(box(20, height / 2 - 40, 170, 80, FILL.monolith, [`${map.name} monolith`, 'legacy bus: ' + map.buses[0].name]));
  parts.push(
    box(320, 40, 190, height - 80, FILL.bridge, [
      'bridge, router, saga',
      `${map.buses[0].deployedName ?? map.buses[0].name} ⇄`,
      `${map.buses[1].deployedName ?? map.buses[1].name}`,
      'translate · route · orchestrate',
      'quarantine · audit',
    ]),
  );
  // Data no service claims stays with the monolith: drawn under it.
  map.entities
    .filter((e) => !e.service)
    .forEach((e, j) => {
      const fill = risky.has(e.name) ? FILL.risk : FILL.data;
      parts.push(box(20 + (j % 2) * 90, height / 2 + 60 + Math.floor(j / 2) * 48, 82, 40, fill, [e.name, 'monolith only']));
    });
  const count = (pred: (f: TransactionMap['flows'][number]) => boolean) => map.flows.filter(pred).length;
  parts.push(edge(190, height / 2 - 20, 320, height / 2 - 20, `${count((f) => f.kind === 'event' || f.kind === 'reply')} event types →`));
  parts.push(
    edge(
      320,
      height / 2 + 20,
      190,
      height / 2 + 20,
      `← ${count((f) => f.kind === 'command' || f.kind === 'service-event')} to legacy`,
      true,
    ),
  );
  services.forEach((s, i) => {
    const y = 40 + i * rowH;
    const mode = s.routing ? `${s.routing.mode}${s.routing.mode === 'canary' ? ` ${s.routing.percent}%` : ''}` : 'not routed';
    parts.push(box(640, y, 170, 50, FILL[s.owner], [s.name, `owner ${s.owner} · ${mode}`]));
    const routed = count((f) => f.kind === 'routed' && f.to === `svc:${s.name}`);
    const calls = count((f) => f.kind === 'call' && f.to === `svc:${s.name}`);
    const label = [routed ? `${routed} routed` : '', calls ? `${calls} saga calls` : ''].filter(Boolean).join(', ');
    parts.push(edge(510, height / 2, 640, y + 25, label, routed === 0 && calls === 0));
    s.entities.forEach((e, j) => {
      const ent = map.entities.find((x) => x.name === e);
      const fill = risky.has(e) ? FILL.risk : FILL.data;
      parts.push(
        box(
          840 + j * 120,
          y + 5,
          110,
          40,
          fill,
          [e, ent ? `${[...new Set(ent.writers.map((w) => w.side))].join('+')}` : ''],
          risky.has(e) ? '#b91c1c' : '#0369a1',
          risky.has(e) ? 2.5 : 1,
        ),
      );
    });
  });
  const width = 840 + Math.max(1, ...services.map((s) => s.entities.length)) * 120 + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="transaction boundaries"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>${parts.join('')}</svg>`;
}

function sagaSvg(map: TransactionMap): string {
  if (!map.saga) return '';
  const w = 172;
  const gap = 30;
  const parts: string[] = [];
  map.saga.forward.forEach((a, i) => {
    const x = 10 + i * (w + gap);
    parts.push(box(x, 10, w, 54, FILL[a.owner], [a.id, `${a.owner} · ${a.service}`, a.waits[0] ? a.waits[0].kind : '']));
    if (i > 0) parts.push(edge(x - gap, 37, x, 37, ''));
    if (a.compensation) {
      parts.push(
        box(x, 110, w, 40, FILL[map.saga!.compensations.find((c) => c.id === a.compensation)?.owner ?? 'service'], [a.compensation]),
      );
      parts.push(edge(x + w / 2, 64, x + w / 2, 110, 'undo', true));
    }
  });
  const width = 10 + map.saga.forward.length * (w + gap);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} 160" width="100%" role="img" aria-label="saga steps"><defs><marker id="arrow2" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>${parts.join('').replace(/url\(#arrow\)/g, 'url(#arrow2)')}</svg>`;
}

/** A bar on a log scale (1 ms .. 10 days), so milliseconds and hours fit one column. */
function bar(ms: number | undefined, colour: string): string {
  if (ms === undefined) return '';
  const max = Math.log10(864_000_000);
  const width = Math.max(2, Math.round((Math.log10(Math.max(1, ms)) / max) * 220));
  return `<svg width="230" height="12" aria-hidden="true"><rect width="${width}" height="10" y="1" fill="${colour}"/></svg> ${esc(formatMs(ms))}`;
}

function table(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function renderHtml(map: TransactionMap, options: { generatedAt?: string } = {}): string {
  const risks = map.risks.length
    ? table(
        ['severity', 'rule', 'where', 'why'],
        map.risks.map((r) => [
          `<span class="sev ${r.severity}">${r.severity}</span>`,
          esc(r.rule),
          `<code>${esc(r.where)}</code>`,
          esc(r.why),
        ]),
      )
    : '<p>No consistency risks found.</p>';
  const services = table(
    ['service', 'owner', 'why', 'routing', 'saga steps', 'emits', 'consumes', 'data'],
    map.services.map((s) => [
      `<b>${esc(s.name)}</b>`,
      `<span class="own ${s.owner}">${esc(s.owner)}</span>`,
      esc(s.ownerWhy),
      s.routing ? esc(`${s.routing.mode} ${s.routing.percent}% (candidate ${s.routing.candidate}, from ${s.routing.source})`) : '',
      esc(s.sagaSteps.map((x) => `${x.step} (${x.owner})`).join(', ')),
      esc(s.emits.join(', ')),
      esc(s.consumes.join(', ')),
      esc(s.entities.join(', ')),
    ]),
  );
  const flows = table(
    ['kind', 'from', 'to', 'type', 'translation', 'declared at'],
    map.flows.map((f) => [
      esc(f.kind),
      esc(f.from),
      esc(f.to),
      `<code>${esc(f.eventType)}</code>`,
      f.translation
        ? esc(`${f.translation.legacy} ⇄ ${f.translation.service} v${f.translation.serviceVersion} (${f.translation.direction})`)
        : '',
      `<code>${esc(f.where)}</code>`,
    ]),
  );
  const saga = map.saga
    ? table(
        ['action', 'owner', 'service', 'kind', 'compensation', 'attempts', 'waits and timeouts'],
        [...map.saga.forward, ...map.saga.compensations].map((a) => [
          `<b>${esc(a.id)}</b>`,
          `<span class="own ${a.owner}">${esc(a.owner)}</span>`,
          esc(a.service),
          esc(a.kind),
          esc(a.direction === 'compensation' ? '(is a compensation)' : (a.compensation ?? `via ${a.compensateFromOnError ?? 'nothing'}`)),
          esc(a.maxAttempts),
          esc(a.waits.map((w) => w.detail).join('; ')),
        ]),
      )
    : '<p>The spec has no saga.</p>';
  const entities = table(
    ['entity', 'tables', 'owner', 'writers', 'sync'],
    map.entities.map((e) => [
      `<b>${esc(e.name)}</b>`,
      esc(`${e.sourceTable} → ${e.targetTable}`),
      esc(e.owner),
      esc(e.writers.map((w) => `${w.side}: ${w.why}`).join(' | ')),
      e.sync
        ? esc(
            `${e.sync.policy ?? 'NO POLICY'}${
              Object.keys(e.sync.fieldPolicies).length
                ? ` (fields: ${Object.entries(e.sync.fieldPolicies)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', ')})`
                : ''
            }`,
          )
        : 'none',
    ]),
  );
  const paths = map.criticalPaths
    .map(
      (p) => `
    <h3>${esc(p.name)}: ${esc(p.hops.map((h) => h.action).join(' → '))}</h3><p>${esc(p.description)}</p>
    ${table(
      ['hop', 'owner', 'wait', 'declared p50', 'declared p95', 'observed p50', 'observed p95', 'samples'],
      p.hops.map((h) => [
        esc(h.action),
        esc(h.owner),
        esc(h.wait),
        bar(h.declared?.p50Ms, '#94a3b8'),
        bar(h.declared?.p95Ms, '#64748b'),
        bar(h.observed?.p50Ms, '#60a5fa'),
        bar(h.observed?.p95Ms, '#2563eb'),
        esc(h.observed?.samples ?? ''),
      ]),
    )}
    <p>Budget: p50 <b>${esc(formatMs(p.budget.p50Ms))}</b>, p95 <b>${esc(formatMs(p.budget.p95Ms))}</b>; while the customer waits (callbacks left out): p50 <b>${esc(formatMs(p.budget.interactiveP50Ms))}</b>, p95 <b>${esc(formatMs(p.budget.interactiveP95Ms))}</b>.
    ${p.budget.undeclared.length ? `<span class="sev high">incomplete</span>: no latency profile for ${esc(p.budget.undeclared.join(', '))}.` : ''}
    ${p.observed ? `Observed end to end: p50 <b>${esc(formatMs(p.observed.p50Ms))}</b>, p95 <b>${esc(formatMs(p.observed.p95Ms))}</b> over ${esc(p.observed.samples)} run(s).` : ''}</p>`,
    )
    .join('');
  const sync =
    map.syncLinks === undefined
      ? '<p>The spec has no <code>sync</code> section.</p>'
      : table(
          ['entity', 'policy', 'field policies', 'declared at'],
          map.syncLinks.map((l) => [
            esc(l.entity),
            esc(l.policy ?? 'none'),
            esc(
              Object.entries(l.fieldPolicies)
                .map(([k, v]) => `${k}=${v}`)
                .join(', '),
            ),
            `<code>${esc(l.where)}</code>`,
          ]),
        );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(map.name)}: transaction boundaries</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#0f172a;max-width:1400px}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #e2e8f0}table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid #e2e8f0;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f8fafc}
code{font-size:12px}.sev{padding:1px 6px;border-radius:8px;font-weight:600}.sev.high{background:#fee2e2;color:#991b1b}.sev.medium{background:#fef3c7;color:#92400e}
.own{padding:1px 6px;border-radius:8px}.own.monolith{background:${FILL.monolith}}.own.service{background:${FILL.service}}.own.split{background:${FILL.split}}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:6px;border:1px solid #cbd5e1}
</style></head><body>
<h1>${esc(map.name)}: transaction boundaries of the migration</h1>
<p>${esc(map.services.length)} services · ${esc(map.flows.length)} flows · ${esc(map.entities.length)} data entities · <b>${esc(map.risks.length)} consistency risk(s)</b>${map.app ? ` · synthesized app: ${esc(map.app.stacks.join(', '))}` : ' · from the spec alone'}${options.generatedAt ? ` · generated ${esc(options.generatedAt)}` : ''}</p>
<p class="legend"><span style="background:${FILL.monolith}">monolith</span><span style="background:${FILL.service}">service</span><span style="background:${FILL.split}">split</span><span style="background:${FILL.data}">data</span><span style="background:${FILL.risk}">data at risk</span></p>
<h2>Boundaries</h2>${boundarySvg(map)}
<h2>Consistency risks</h2>${risks}
<h2>Critical paths</h2>${paths || '<p>No saga, so no critical path.</p>'}
<h2>Saga</h2>${sagaSvg(map)}${saga}
<h2>Services and owners</h2>${services}
<h2>Data and sync</h2>${entities}${sync}
<h2>Flows</h2>${flows}${
    map.app
      ? `<h2>Rules on the buses of the synthesized app</h2>${table(
          ['rule', 'bus', 'event types', 'targets'],
          map.app.busRules.map((r) => [
            `<code>${esc(r.rule)}</code>`,
            esc(r.bus),
            esc(r.detailTypes.join(', ') || 'any'),
            esc(r.targets.join(', ')),
          ]),
        )}`
      : ''
  }
</body></html>
`;
}
