import type { Cycle, CycleEdge, Relationship } from './model';

/*
 * Cycles between candidates. Candidate A depends on B when a table of A references a table of B. A cycle
 * means neither can be deployed, migrated or versioned without the other: the first thing an architect
 * wants to see. Strongly connected components (Tarjan) find where cycles are; inside each, elementary
 * cycles are listed (at most `limit`, shortest first) with the relationships that close them and where to
 * break each: the dependency carried by the fewest (and least certain) relationships.
 */

export function candidateCycles(relationships: readonly Relationship[], of: ReadonlyMap<string, string>, limit = 20): Cycle[] {
  const deps = new Map<string, Map<string, Relationship[]>>();
  for (const r of relationships) {
    const a = of.get(r.from);
    const b = of.get(r.to);
    if (a === undefined || b === undefined || a === b) continue;
    const m = deps.get(a) ?? new Map<string, Relationship[]>();
    m.set(b, [...(m.get(b) ?? []), r]);
    deps.set(a, m);
  }
  const nodes = [...new Set([...of.values()])].sort();
  const succ = (n: string): string[] => [...(deps.get(n)?.keys() ?? [])].sort();
  const sccs = tarjan(nodes, succ).filter((c) => c.length > 1);
  const cycles: Cycle[] = [];
  for (const scc of sccs) {
    const inScc = new Set(scc);
    const found: string[][] = [];
    // Elementary cycles whose smallest member is `start` (each cycle found once), by bounded DFS.
    for (const start of [...scc].sort()) {
      const path = [start];
      const onPath = new Set(path);
      const dfs = (n: string): void => {
        if (found.length >= limit * 4) return;
        for (const m of succ(n)) {
          if (!inScc.has(m) || m < start) continue;
          if (m === start) found.push([...path]);
          else if (!onPath.has(m) && path.length < 8) {
            path.push(m);
            onPath.add(m);
            dfs(m);
            path.pop();
            onPath.delete(m);
          }
        }
      };
      dfs(start);
    }
    found.sort((x, y) => x.length - y.length || x.join().localeCompare(y.join()));
    for (const c of found.slice(0, limit)) {
      const edges: CycleEdge[] = c.map((from, i) => {
        const to = c[(i + 1) % c.length];
        const rs = deps.get(from)?.get(to) ?? [];
        return { from, to, relationships: rs.map((r) => ({ from: r.from, to: r.to, columns: r.fromColumns, kind: r.kind })) };
      });
      const cost = (e: CycleEdge): number => (deps.get(e.from)?.get(e.to) ?? []).reduce((a, r) => a + r.confidence, 0);
      const weakest = [...edges].sort((x, y) => cost(x) - cost(y) || x.from.localeCompare(y.from))[0];
      const refs = weakest.relationships.map((r) => `${r.from}(${r.columns.join(', ') || 'by name'}) -> ${r.to}`).join('; ');
      cycles.push({
        candidates: c,
        edges,
        breakAt: {
          from: weakest.from,
          to: weakest.to,
          how: `${weakest.from} keeps only the key of ${weakest.to}'s rows (${refs}) and a read model fed by ${weakest.to}'s events instead of joining its tables; or merge ${weakest.from} and ${weakest.to} if they change together`,
        },
      });
    }
  }
  return cycles;
}

/** Tarjan's strongly connected components, iterative (deep schemas would overflow a recursive one). */
export function tarjan(nodes: readonly string[], succ: (n: string) => string[]): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of nodes) {
    if (idx.has(root)) continue;
    const work: Array<{ n: string; next: string[]; i: number }> = [];
    const visit = (n: string): void => {
      idx.set(n, index);
      low.set(n, index);
      index += 1;
      stack.push(n);
      onStack.add(n);
      work.push({ n, next: succ(n), i: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.i < top.next.length) {
        const m = top.next[top.i++];
        if (!idx.has(m)) visit(m);
        else if (onStack.has(m)) low.set(top.n, Math.min(low.get(top.n) as number, idx.get(m) as number));
      } else {
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1].n;
          low.set(parent, Math.min(low.get(parent) as number, low.get(top.n) as number));
        }
        if (low.get(top.n) === idx.get(top.n)) {
          const comp: string[] = [];
          let w: string;
          do {
            w = stack.pop() as string;
            onStack.delete(w);
            comp.push(w);
          } while (w !== top.n);
          out.push(comp.sort());
        }
      }
    }
  }
  return out;
}
