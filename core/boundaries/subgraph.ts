import Graph from 'graphology';

/** The subgraph induced by `nodes` (added in the given order, so iteration order stays deterministic). */
export function subgraph(g: Graph, nodes: readonly string[]): Graph {
  const keep = new Set(nodes);
  const out = new Graph({ type: 'undirected', multi: false, allowSelfLoops: false });
  for (const n of nodes) out.addNode(n);
  g.forEachEdge((_e, attr, s, t) => {
    if (keep.has(s) && keep.has(t)) out.addEdge(s, t, { ...attr });
  });
  return out;
}
