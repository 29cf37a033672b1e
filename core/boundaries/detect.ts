import louvain from 'graphology-communities-louvain';
import { subgraph } from './subgraph';
import { BoundaryError } from '../errors';
import type { TableGraph } from './graph';

/*
 * Community detection with constraints. Louvain (graphology-communities-louvain) finds the communities,
 * seeded by our own PRNG so that the same input gives the same candidates on any machine. Constraints are
 * then enforced on its answer, each step keeping modularity as high as it can:
 *   --services N   Louvain at the resolution whose answer is closest above N, then the pair of
 *                  communities whose merge costs least modularity is merged until N remain;
 *   --pin t=svc    pinned tables are moved to their service's community (one per service name);
 *   --max-size M   an oversized community is split by Louvain on its own subgraph at rising resolution;
 * and a final local-move pass (the first phase of Louvain, with pinned tables fixed and sizes capped)
 * lets each free table settle where its edges are. Tables without any edge are left out of the
 * communities: the caller puts them in an "unattached" bucket rather than inventing a service for each.
 */

export interface DetectOptions {
  readonly seed: number;
  /** Louvain resolution: above 1 gives more, smaller communities. @default 1 */
  readonly resolution?: number;
  readonly services?: number;
  readonly maxSize?: number;
  /** table -> service name. */
  readonly pins?: Readonly<Record<string, string>>;
}

export interface Partition {
  /** Community per connected table (isolated tables absent). */
  readonly community: Map<string, number>;
  /** Pinned service name of a community, if any. */
  readonly pinnedName: Map<number, string>;
  readonly isolated: string[];
  readonly resolution: number;
}

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG; enough for Louvain's node order. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runLouvain(g: TableGraph['graph'], seed: number, resolution: number): Map<string, number> {
  const mapping = louvain(g, { getEdgeWeight: 'weight', resolution, rng: seededRandom(seed), randomWalk: true });
  return new Map(Object.entries(mapping));
}

function countOf(c: Map<string, number>): number {
  return new Set(c.values()).size;
}

/** Renumbers communities 0..k-1 in order of their first table (so numbering does not depend on Louvain's). */
function normalise(c: Map<string, number>, order: readonly string[]): Map<string, number> {
  const ids = new Map<number, number>();
  const out = new Map<string, number>();
  for (const t of order) {
    const old = c.get(t);
    if (old === undefined) continue;
    if (!ids.has(old)) ids.set(old, ids.size);
    out.set(t, ids.get(old) as number);
  }
  return out;
}

export function detectCommunities(tg: TableGraph, options: DetectOptions): Partition {
  const pins = options.pins ?? {};
  for (const t of Object.keys(pins)) {
    if (!tg.graph.hasNode(t))
      throw new BoundaryError(`--pin ${t}=${pins[t]}: no table ${JSON.stringify(t)} in the schema`, { field: 'pin', value: t });
  }
  if (options.services !== undefined && (!Number.isInteger(options.services) || options.services < 1)) {
    throw new BoundaryError(`--services must be a whole number >= 1, got ${options.services}`, {
      field: 'services',
      value: options.services,
    });
  }
  if (options.maxSize !== undefined && (!Number.isInteger(options.maxSize) || options.maxSize < 1)) {
    throw new BoundaryError(`--max-size must be a whole number >= 1, got ${options.maxSize}`, { field: 'maxSize', value: options.maxSize });
  }
  const isolated = tg.tables.filter((t) => tg.graph.degree(t) === 0 && pins[t] === undefined);
  const connected = tg.tables.filter((t) => !isolated.includes(t));
  const g = subgraph(tg.graph, connected);
  if (connected.length === 0) return { community: new Map(), pinnedName: new Map(), isolated, resolution: options.resolution ?? 1 };

  let resolution = options.resolution ?? 1;
  let community = normalise(runLouvain(g, options.seed, resolution), connected);
  if (options.services !== undefined) {
    const target = options.services;
    let best = community;
    let bestResolution = resolution;
    for (const r of [0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4, 6, 8, 12, 16]) {
      const c = normalise(runLouvain(g, options.seed, r), connected);
      const n = countOf(c);
      const bn = countOf(best);
      // Prefer the smallest answer that still has at least N communities; else the largest there is.
      if ((n >= target && (bn < target || n < bn)) || (bn < target && n > bn)) {
        best = c;
        bestResolution = r;
      }
    }
    community = best;
    resolution = bestResolution;
    community = mergeDownTo(g, community, target, connected);
  }

  // Pins: one community per pinned service name, taken over from where most of its tables already are.
  const pinnedName = new Map<number, string>();
  const services = [...new Set(Object.values(pins))].sort();
  let next = Math.max(-1, ...community.values()) + 1;
  for (const svc of services) {
    const tables = Object.keys(pins)
      .filter((t) => pins[t] === svc)
      .sort();
    const votes = new Map<number, number>();
    for (const t of tables) {
      const c = community.get(t);
      if (c !== undefined && !pinnedName.has(c)) votes.set(c, (votes.get(c) ?? 0) + 1);
    }
    let home = [...votes.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]?.[0];
    if (home === undefined) home = next++;
    pinnedName.set(home, svc);
    for (const t of tables) community.set(t, home);
  }
  // A community that held tables pinned elsewhere keeps its free tables; local moves settle them.

  if (options.maxSize !== undefined)
    community = splitOversized(g, community, options.maxSize, options.seed, new Set(Object.keys(pins)), connected, pinnedName);
  // With --services the count is the user's: moves then run at resolution 1 (the merges' yardstick) and
  // never empty a community.
  const keepCount = options.services !== undefined;
  community = localMoves(g, community, new Set(Object.keys(pins)), options.maxSize, connected, keepCount ? 1 : resolution, keepCount);
  const renumber = new Map<number, number>();
  const finalCommunity = new Map<string, number>();
  for (const t of connected) {
    const c = community.get(t) as number;
    if (!renumber.has(c)) renumber.set(c, renumber.size);
    finalCommunity.set(t, renumber.get(c) as number);
  }
  const finalPinned = new Map<number, string>();
  for (const [c, name] of pinnedName) if (renumber.has(c)) finalPinned.set(renumber.get(c) as number, name);
  return { community: finalCommunity, pinnedName: finalPinned, isolated, resolution };
}

/** Sum of edge weights between each pair of communities, and each community's total degree. */
function communityStats(
  g: TableGraph['graph'],
  community: Map<string, number>,
): { between: Map<string, number>; degree: Map<number, number>; total: number } {
  const between = new Map<string, number>();
  const degree = new Map<number, number>();
  let total = 0;
  g.forEachEdge((_e, attr, s, t) => {
    const w = attr.weight as number;
    total += w;
    const cs = community.get(s) as number;
    const ct = community.get(t) as number;
    degree.set(cs, (degree.get(cs) ?? 0) + w);
    degree.set(ct, (degree.get(ct) ?? 0) + w);
    if (cs !== ct) {
      const key = cs < ct ? `${cs},${ct}` : `${ct},${cs}`;
      between.set(key, (between.get(key) ?? 0) + w);
    }
  });
  return { between, degree, total };
}

/** Greedy agglomeration: merge the pair with the best modularity gain until `target` communities remain. */
function mergeDownTo(
  g: TableGraph['graph'],
  community: Map<string, number>,
  target: number,
  order: readonly string[],
): Map<string, number> {
  const c = new Map(community);
  while (countOf(c) > target) {
    const { between, degree, total } = communityStats(g, c);
    const ids = [...new Set(c.values())].sort((x, y) => x - y);
    let best: [number, number] | undefined;
    let bestGain = -Infinity;
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const w = between.get(`${ids[i]},${ids[j]}`) ?? 0;
        const gain = total > 0 ? w / total - (2 * (degree.get(ids[i]) ?? 0) * (degree.get(ids[j]) ?? 0)) / (4 * total * total) : 0;
        if (gain > bestGain) {
          bestGain = gain;
          best = [ids[i], ids[j]];
        }
      }
    }
    if (!best) break;
    for (const t of order) if (c.get(t) === best[1]) c.set(t, best[0]);
  }
  return c;
}

function splitOversized(
  g: TableGraph['graph'],
  community: Map<string, number>,
  maxSize: number,
  seed: number,
  pinned: Set<string>,
  order: readonly string[],
  pinnedName: Map<number, string>,
): Map<string, number> {
  const c = new Map(community);
  let next = Math.max(-1, ...c.values()) + 1;
  for (let guard = 0; guard < order.length; guard++) {
    const sizes = new Map<number, string[]>();
    for (const t of order) sizes.set(c.get(t) as number, [...(sizes.get(c.get(t) as number) ?? []), t]);
    const over = [...sizes.entries()].find(([, ts]) => ts.length > maxSize);
    if (!over) break;
    const [id, members] = over;
    const sub = subgraph(g, members);
    let parts: Map<string, number> | undefined;
    for (const r of [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32]) {
      const p = sub.size > 0 ? normalise(runLouvain(sub, seed, r), members) : new Map(members.map((t, i) => [t, i]));
      parts = p;
      const counts = new Map<number, number>();
      for (const v of p.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
      if (countOf(p) > 1 && Math.max(...counts.values()) <= maxSize) break;
    }
    if (!parts || countOf(parts) === 1) {
      // No community structure inside: cut it in chunks of maxSize in name order.
      parts = new Map(members.map((t, i) => [t, Math.floor(i / maxSize)]));
    }
    // The part holding the pinned tables keeps the id (and the pinned name); the others get new ids.
    const pinnedPart = members.find((t) => pinned.has(t));
    const keep = pinnedPart !== undefined ? (parts.get(pinnedPart) as number) : (parts.get(members[0]) as number);
    const newIds = new Map<number, number>();
    for (const t of members) {
      const p = parts.get(t) as number;
      if (p === keep || (pinned.has(t) && pinnedName.has(id))) continue;
      if (!newIds.has(p)) newIds.set(p, next++);
      c.set(t, newIds.get(p) as number);
    }
    if (newIds.size === 0) break;
  }
  return c;
}

/** Louvain's first phase on a fixed partition: free tables move to the neighbouring community that gains most. */
function localMoves(
  g: TableGraph['graph'],
  community: Map<string, number>,
  pinned: Set<string>,
  maxSize: number | undefined,
  order: readonly string[],
  resolution: number,
  keepCount = false,
): Map<string, number> {
  const c = new Map(community);
  const m2 = 2 * sumWeights(g);
  if (m2 === 0) return c;
  const degreeOf = new Map<string, number>();
  const tot = new Map<number, number>();
  const size = new Map<number, number>();
  for (const t of order) {
    let d = 0;
    g.forEachEdge(t, (_e, attr) => {
      d += attr.weight as number;
    });
    degreeOf.set(t, d);
    const ct = c.get(t) as number;
    tot.set(ct, (tot.get(ct) ?? 0) + d);
    size.set(ct, (size.get(ct) ?? 0) + 1);
  }
  for (let pass = 0; pass < 20; pass++) {
    let moved = 0;
    for (const t of order) {
      if (pinned.has(t)) continue;
      const own = c.get(t) as number;
      if (keepCount && size.get(own) === 1) continue;
      const links = new Map<number, number>();
      g.forEachEdge(t, (_e, attr, s, u) => {
        const other = s === t ? u : s;
        const oc = c.get(other) as number;
        links.set(oc, (links.get(oc) ?? 0) + (attr.weight as number));
      });
      const k = degreeOf.get(t) as number;
      const gainOf = (cid: number): number =>
        (links.get(cid) ?? 0) - (resolution * (cid === own ? (tot.get(cid) as number) - k : (tot.get(cid) ?? 0)) * k) / m2;
      let best = own;
      let bestGain = gainOf(own);
      for (const cid of [...links.keys()].sort((x, y) => x - y)) {
        if (cid === own) continue;
        if (maxSize !== undefined && (size.get(cid) ?? 0) + 1 > maxSize) continue;
        const gain = gainOf(cid);
        if (gain > bestGain + 1e-12) {
          best = cid;
          bestGain = gain;
        }
      }
      if (best !== own) {
        c.set(t, best);
        tot.set(own, (tot.get(own) as number) - k);
        tot.set(best, (tot.get(best) ?? 0) + k);
        size.set(own, (size.get(own) as number) - 1);
        size.set(best, (size.get(best) ?? 0) + 1);
        moved += 1;
      }
    }
    if (moved === 0) break;
  }
  return c;
}

function sumWeights(g: TableGraph['graph']): number {
  let total = 0;
  g.forEachEdge((_e, attr) => {
    total += attr.weight as number;
  });
  return total;
}
