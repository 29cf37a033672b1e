import type { Flow, TransactionMap } from './model';

/*
 * The map as a Mermaid flowchart, for READMEs and design docs. Deterministic (sorted, no timestamps), so a
 * test can keep the README's copy fresh. Colours say who owns a node: the monolith, a service, or both.
 */

const id = (nodeId: string) => nodeId.replace(/^svc:/, 'svc_').replace(/[^A-Za-z0-9_]/g, '_');
/** Mermaid labels are quoted; quotes and angle brackets inside them become entities. */
const text = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

function flowLabel(f: Flow): string {
  if (!f.translation) return f.eventType;
  return f.translation.direction === 'toLegacy' || f.kind === 'command' || f.kind === 'service-event'
    ? `${f.translation.service} → ${f.translation.legacy}`
    : `${f.translation.legacy} → ${f.translation.service}`;
}

export function renderMermaid(map: TransactionMap): string {
  const lines: string[] = ['flowchart LR'];
  const legacy = map.buses.find((b) => b.role === 'legacy')!;
  const services = map.buses.find((b) => b.role === 'services')!;
  lines.push(`  monolith[("${text(map.name)} monolith")]:::monolith`);
  lines.push(`  subgraph bridge_box["bridge: translation both ways, quarantine, audit"]`);
  lines.push(
    `    bridge{{"legacy bus ${text(legacy.deployedName ?? legacy.name)} ⇄ services bus ${text(services.deployedName ?? services.name)}"}}`,
  );
  lines.push('  end');
  if (map.flows.some((f) => f.kind === 'routed')) lines.push('  router{"router: routing table"}');
  const riskyEntities = new Set(
    map.risks
      .filter((r) => r.where.startsWith('migration.entities.') || r.where.startsWith('routing.capabilities.'))
      .map((r) => /entit(?:ies\.|y )([a-z0-9-]+)/.exec(r.where)?.[1]),
  );
  for (const s of map.services) {
    const mode = s.routing ? ` · ${s.routing.mode}${s.routing.mode === 'canary' ? ` ${s.routing.percent}%` : ''}` : '';
    lines.push(`  ${id(`svc:${s.name}`)}["${text(s.name)}<br/>owner: ${s.owner}${mode}"]:::${s.owner}`);
  }
  if (map.saga) {
    lines.push(`  subgraph saga_box["saga ${text(map.saga.name)}"]`);
    lines.push('    direction LR');
    lines.push(`    saga[["${text(map.saga.name)}"]]`);
    for (const a of map.saga.forward) lines.push(`    step_${a.id}["${a.id}<br/>${a.owner} · ${text(a.service)}"]:::${a.owner}`);
    for (const c of map.saga.compensations) lines.push(`    comp_${c.id}(["${c.id}"]):::${c.owner}`);
    let prev = 'saga';
    for (const a of map.saga.forward) {
      lines.push(`    ${prev} --> step_${a.id}`);
      prev = `step_${a.id}`;
      if (a.compensation) lines.push(`    step_${a.id} -. undo .-> comp_${a.compensation}`);
    }
    lines.push('  end');
  }
  // One edge per (from, to, kind), listing its event types, so the chart stays readable.
  const groups = new Map<string, { from: string; to: string; kind: string; labels: Set<string> }>();
  const add = (from: string, to: string, kind: string, label: string) => {
    const key = `${from}|${to}|${kind}`;
    const g = groups.get(key) ?? { from, to, kind, labels: new Set<string>() };
    g.labels.add(label);
    groups.set(key, g);
  };
  for (const f of map.flows) {
    if (f.kind === 'call') continue; // drawn by the saga's steps
    if (f.kind === 'routed') {
      add('bridge', 'router', 'routed', f.eventType);
      add('router', f.to, 'routed', f.to === 'monolith' ? f.where.split('.')[2] : f.eventType);
      continue;
    }
    add(f.from, f.kind === 'event' ? 'bridge' : f.to, f.kind, flowLabel(f));
  }
  const arrow: Record<string, string> = {
    event: '-->',
    reply: '-->',
    command: '==>',
    'service-event': '-->',
    routed: '-.->',
    consumed: '-->',
  };
  for (const g of [...groups.values()].sort((a, b) => `${a.from}|${a.to}|${a.kind}`.localeCompare(`${b.from}|${b.to}|${b.kind}`))) {
    const label = [...g.labels].sort().map(text).join('<br/>');
    lines.push(`  ${id(g.from)} ${arrow[g.kind] ?? '-->'}|"${g.kind}: ${label}"| ${id(g.to)}`);
  }
  for (const e of map.entities) {
    const cls = riskyEntities.has(e.name) ? 'risk' : 'data';
    lines.push(
      `  data_${id(e.name)}[("${text(e.name)}<br/>${text(e.sourceTable)} → ${text(e.targetTable)}${e.sync ? `<br/>sync: ${text(e.sync.policy ?? 'no policy')}` : ''}")]:::${cls}`,
    );
    for (const side of new Set(e.writers.map((w) => w.side))) {
      lines.push(`  ${side === 'monolith' ? 'monolith' : id(`svc:${e.service}`)} --- data_${id(e.name)}`);
    }
  }
  lines.push('  classDef monolith fill:#fde7d9,stroke:#b45309,color:#111');
  lines.push('  classDef service fill:#dcfce7,stroke:#15803d,color:#111');
  lines.push('  classDef split fill:#fef9c3,stroke:#a16207,color:#111');
  lines.push('  classDef data fill:#e0f2fe,stroke:#0369a1,color:#111');
  lines.push('  classDef risk fill:#fee2e2,stroke:#b91c1c,stroke-width:3px,color:#111');
  return `${lines.join('\n')}\n`;
}
