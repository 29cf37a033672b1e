import type { DiffReportJson, RankedField } from './report';

/**
 * Renderers for a diff report: a plain-text page for the terminal (no colour codes, so it can be piped or
 * pasted into an issue) and a self-contained HTML page (inline style, no script, every value escaped).
 */

function pct(n: number, of: number): string {
  if (of === 0) return '-';
  const p = (100 * n) / of;
  return `${p >= 10 || p === 0 ? p.toFixed(1) : p.toFixed(2)}%`;
}

/** A short one-line preview of a value for a table cell. */
export function previewValue(v: unknown, max = 60): string {
  if (v === undefined) return '(absent)';
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function table(headers: string[], rows: string[][], rightAlign: ReadonlySet<number> = new Set()): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function kindsText(f: RankedField): string {
  return (Object.entries(f.kinds) as Array<[string, number]>)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export interface TerminalRenderOptions {
  /** Most fields listed. @default 20 */
  readonly maxFields?: number;
}

export function renderTerminalReport(r: DiffReportJson, options: TerminalRenderOptions = {}): string {
  const maxFields = options.maxFields ?? 20;
  const t = r.totals;
  const out: string[] = [];
  out.push(`Replay report${r.replayId ? ` ${r.replayId}` : ''}${r.target ? ` -> ${r.target}` : ''}`);
  if (r.source) out.push(`source: ${r.source}`);
  out.push('');
  out.push(
    ...table(
      ['interactions', 'count', 'share'],
      [
        ['read', String(t.read), ''],
        ['compared', String(t.compared), pct(t.compared, t.read)],
        ['  matched', String(t.matched), pct(t.matched, t.compared)],
        ['  differed', String(t.differed), pct(t.differed, t.compared)],
        ['  missing outcome', String(t.missingOutcome), pct(t.missingOutcome, t.compared)],
        ['  extra outcome', String(t.extraOutcome), pct(t.extraOutcome, t.compared)],
        ['skipped (invalid)', String(t.skippedInvalid), pct(t.skippedInvalid, t.read)],
        ['service failed', String(t.failed), pct(t.failed, t.read)],
      ],
      new Set([1, 2]),
    ),
  );
  if (t.matchedWithNoise > 0) out.push(`(${t.matchedWithNoise} matched interactions differed only in noise)`);
  const o = r.outcomes;
  out.push('', `outcome events: ${o.paired} paired (${o.matched} matched, ${o.differed} differed), ${o.missing} missing, ${o.extra} extra`);

  if (r.fieldsRanked.length > 0) {
    out.push('', 'Differing fields, most frequent first');
    const shown = r.fieldsRanked.slice(0, maxFields);
    out.push(
      ...table(
        ['#', 'outcome type', 'field', 'diffs', 'interactions', 'kinds'],
        shown.map((f, i) => [String(i + 1), f.outcomeType, f.field, String(f.count), String(f.interactions), kindsText(f)]),
        new Set([0, 3, 4]),
      ),
    );
    out.push('', 'Examples');
    shown.forEach((f, i) => {
      out.push(`${i + 1}. ${f.outcomeType} ${f.field}`);
      for (const e of f.examples) {
        out.push(`   ${e.interactionId}  ${e.path}  expected ${previewValue(e.expected)}  actual ${previewValue(e.actual)}`);
      }
    });
    if (r.fieldsRanked.length > shown.length) out.push(`... ${r.fieldsRanked.length - shown.length} more fields in the JSON report`);
  }
  if (r.outcomeTypesRanked.length > 0) {
    out.push('', 'Missing and extra outcome events');
    out.push(
      ...table(
        ['outcome type', 'missing', 'extra', 'noise', 'e.g.'],
        r.outcomeTypesRanked.map((x) => [x.outcomeType, String(x.missing), String(x.extra), String(x.noise), x.examples.join(', ')]),
        new Set([1, 2, 3]),
      ),
    );
  }
  if (r.noiseRanked.length > 0) {
    out.push('', 'Noise (differs between recordings of the monolith too; not counted as a difference)');
    out.push(
      ...table(
        ['outcome type', 'field', 'diffs'],
        r.noiseRanked.slice(0, maxFields).map((f) => [f.outcomeType, f.field, String(f.count)]),
        new Set([2]),
      ),
    );
  }
  if (t.skippedInvalid > 0) {
    out.push('', 'Skipped records');
    out.push(
      ...table(
        ['reason', 'count'],
        r.skipped.byCode.map((s) => [s.code, String(s.count)]),
        new Set([1]),
      ),
    );
    for (const s of r.skipped.examples.slice(0, 5)) out.push(`   ${s.id}: ${s.reason}`);
  }
  if (t.failed > 0) {
    out.push('', 'Service failures');
    out.push(
      ...table(
        ['error', 'count'],
        r.failures.byName.map((s) => [s.name, String(s.count)]),
        new Set([1]),
      ),
    );
    for (const f of r.failures.examples.slice(0, 5)) out.push(`   ${f.interactionId}: ${f.name}: ${f.message}`);
  }
  if (r.truncatedInteractions > 0)
    out.push('', `${r.truncatedInteractions} interactions had more differences than listed; their counts are lower bounds`);
  return `${out.join('\n')}\n`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d2329;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all}
.ok{color:#1a7f37}.bad{color:#cf222e}.muted{color:#656d76}
`;

export function renderHtmlReport(r: DiffReportJson): string {
  const e = (v: unknown) => escapeHtml(String(v));
  const code = (v: unknown) => `<code>${escapeHtml(previewValue(v, 400))}</code>`;
  const t = r.totals;
  const title = `Replay report${r.replayId ? ` ${r.replayId}` : ''}${r.target ? ` - ${r.target}` : ''}`;
  const rows = (cells: string[][]) => cells.map((c) => `<tr>${c.join('')}</tr>`).join('\n');
  const td = (v: unknown) => `<td>${e(v)}</td>`;
  const tdn = (v: unknown) => `<td class="n">${e(v)}</td>`;
  const parts: string[] = [];
  parts.push(
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
  );
  parts.push(`<title>${e(title)}</title><style>${STYLE}</style></head><body>`);
  parts.push(`<h1>${e(title)}</h1>`);
  const meta = [
    r.source ? `source ${r.source}` : '',
    r.startedAt ? `started ${r.startedAt}` : '',
    r.finishedAt ? `finished ${r.finishedAt}` : '',
  ].filter(Boolean);
  if (meta.length) parts.push(`<p class="muted">${e(meta.join(' · '))}</p>`);
  const verdict = t.compared > 0 && t.differed + t.missingOutcome + t.extraOutcome === 0 && t.failed === 0;
  parts.push(
    `<p class="${verdict ? 'ok' : 'bad'}">${e(`${t.matched} of ${t.compared} compared interactions matched (${pct(t.matched, t.compared)})`)}</p>`,
  );
  parts.push('<h2>Totals</h2><table><tr><th>interactions</th><th>count</th><th>share</th></tr>');
  parts.push(
    rows([
      [td('read'), tdn(t.read), tdn('')],
      [td('compared'), tdn(t.compared), tdn(pct(t.compared, t.read))],
      [td('matched'), tdn(t.matched), tdn(pct(t.matched, t.compared))],
      [td('differed'), tdn(t.differed), tdn(pct(t.differed, t.compared))],
      [td('missing outcome'), tdn(t.missingOutcome), tdn(pct(t.missingOutcome, t.compared))],
      [td('extra outcome'), tdn(t.extraOutcome), tdn(pct(t.extraOutcome, t.compared))],
      [td('skipped (invalid)'), tdn(t.skippedInvalid), tdn(pct(t.skippedInvalid, t.read))],
      [td('service failed'), tdn(t.failed), tdn(pct(t.failed, t.read))],
      [td('matched, noise only'), tdn(t.matchedWithNoise), tdn(pct(t.matchedWithNoise, t.compared))],
    ]),
  );
  parts.push('</table>');
  const o = r.outcomes;
  parts.push(
    `<p>${e(`Outcome events: ${o.paired} paired (${o.matched} matched, ${o.differed} differed), ${o.missing} missing, ${o.extra} extra.`)}</p>`,
  );

  const fieldTable = (fields: readonly RankedField[], withExamples: boolean) => {
    parts.push('<table><tr><th>#</th><th>outcome type</th><th>field</th><th>diffs</th><th>interactions</th><th>kinds</th>');
    if (withExamples) parts.push('<th>examples (interaction, path: expected → actual)</th>');
    parts.push('</tr>');
    fields.forEach((f, i) => {
      const ex = withExamples
        ? `<td>${f.examples.map((x) => `<div>${e(x.interactionId)} <b>${e(x.path)}</b>: ${code(x.expected)} → ${code(x.actual)}</div>`).join('')}</td>`
        : '';
      parts.push(`<tr>${tdn(i + 1)}${td(f.outcomeType)}${td(f.field)}${tdn(f.count)}${tdn(f.interactions)}${td(kindsText(f))}${ex}</tr>`);
    });
    parts.push('</table>');
  };
  if (r.fieldsRanked.length > 0) {
    parts.push('<h2>Differing fields, most frequent first</h2>');
    fieldTable(r.fieldsRanked, true);
  }
  if (r.outcomeTypesRanked.length > 0) {
    parts.push(
      '<h2>Missing and extra outcome events</h2><table><tr><th>outcome type</th><th>missing</th><th>extra</th><th>noise</th><th>examples</th></tr>',
    );
    parts.push(
      rows(r.outcomeTypesRanked.map((x) => [td(x.outcomeType), tdn(x.missing), tdn(x.extra), tdn(x.noise), td(x.examples.join(', '))])),
    );
    parts.push('</table>');
  }
  if (r.noiseRanked.length > 0) {
    parts.push(
      '<h2>Noise</h2><p class="muted">These fields differ between recordings of the monolith itself; they are not counted as differences.</p>',
    );
    fieldTable(r.noiseRanked, true);
  }
  if (t.skippedInvalid > 0) {
    parts.push('<h2>Skipped records</h2><table><tr><th>reason</th><th>count</th></tr>');
    parts.push(rows(r.skipped.byCode.map((s) => [td(s.code), tdn(s.count)])));
    parts.push('</table><table><tr><th>record</th><th>field</th><th>reason</th></tr>');
    parts.push(rows(r.skipped.examples.map((s) => [td(s.id), td(s.field ?? ''), td(s.reason)])));
    parts.push('</table>');
  }
  if (t.failed > 0) {
    parts.push('<h2>Service failures</h2><table><tr><th>interaction</th><th>error</th><th>message</th></tr>');
    parts.push(rows(r.failures.examples.map((f) => [td(f.interactionId), td(f.name), td(f.message)])));
    parts.push('</table>');
  }
  if (r.truncatedInteractions > 0) {
    parts.push(
      `<p class="muted">${e(`${r.truncatedInteractions} interactions had more differences than listed; their counts are lower bounds.`)}</p>`,
    );
  }
  parts.push('</body></html>\n');
  return parts.join('\n');
}
