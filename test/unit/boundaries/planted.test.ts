import fc from 'fast-check';
import {
  adjustedRandIndex,
  analyseBoundaries,
  seededRandom,
  type Schema,
  type StatementSample,
  readWorkload,
} from '../../../core/boundaries';

/*
 * Planted structure: schemas generated with K known clusters (dense inside, sparse across, plus noise
 * edges and a workload that mostly stays inside a cluster) must come back as the planted clusters, as
 * measured by the adjusted Rand index. Table and column names carry no meaning (ref_<n>), so only the
 * declared keys and the workload can lead the analysis there.
 */

interface Planted {
  readonly schema: Schema;
  readonly truth: Map<string, number>;
  readonly samples: StatementSample[];
}

/** K clusters of `size` tables; p(in) inside, p(out) across; transactions mostly inside a cluster. */
export function plantedSchema(seed: number, k: number, size: number, pIn: number, pOut: number, txNoise: number): Planted {
  const rnd = seededRandom(seed);
  const names: string[] = [];
  const truth = new Map<string, number>();
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < size; i++) {
      const name = `tbl_${String(c * size + i).padStart(4, '0')}`;
      names.push(name);
      truth.set(name, c);
    }
  }
  const fks = new Map<string, Array<{ columns: string[]; refTable: string; refColumns: string[] }>>(names.map((n) => [n, []]));
  let ref = 0;
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const same = truth.get(names[i]) === truth.get(names[j]);
      if (rnd() < (same ? pIn : pOut)) fks.get(names[j])?.push({ columns: [`ref_${ref++}`], refTable: names[i], refColumns: ['id'] });
    }
  }
  const schema: Schema = {
    dialect: 'postgres',
    tables: names.map((n) => ({
      name: n,
      columns: [{ name: 'id', type: 'bigint' }, ...(fks.get(n) ?? []).map((f) => ({ name: f.columns[0], type: 'bigint' }))],
      primaryKey: ['id'],
      foreignKeys: fks.get(n) ?? [],
    })),
    skipped: [],
  };
  const samples: StatementSample[] = [];
  for (let t = 0; t < k * 20; t++) {
    const c = Math.floor(rnd() * k);
    const pick = (cluster: number): string => names[cluster * size + Math.floor(rnd() * size)];
    const a = pick(c);
    const b = rnd() < txNoise ? pick(Math.floor(rnd() * k)) : pick(c);
    const calls = 1 + Math.floor(rnd() * 1000);
    samples.push(
      { txid: `t${t}`, sql: `UPDATE ${a} SET id = id WHERE id = 1`, calls },
      { txid: `t${t}`, sql: `SELECT * FROM ${b} WHERE id = 2`, calls },
    );
  }
  return { schema, truth, samples };
}

describe('Function: analyseBoundaries', () => {
  describe('planted clusters', () => {
    it('recovers K planted clusters with an adjusted Rand index of at least 0.8 (property, seeded)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.integer({ min: 3, max: 6 }),
          fc.integer({ min: 5, max: 12 }),
          (seed, k, size) => {
            // Prepare
            const p = plantedSchema(seed, k, size, 0.5, 0.02, 0.1);
            const workload = readWorkload(p.samples, p.schema);
            // Act
            const report = analyseBoundaries(p.schema, workload, { seed });
            // Assess
            const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
            const tables = [...p.truth.keys()];
            const ari = adjustedRandIndex(
              tables.map((t) => String(p.truth.get(t))),
              tables.map((t) => of.get(t) ?? 'missing'),
            );
            expect(ari).toBeGreaterThanOrEqual(0.8);
          },
        ),
        { seed: 20261206, numRuns: 25 },
      );
    });

    it('recovers clusters from the workload alone when rare cross-cluster pairs are everywhere (property, seeded)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 3, max: 6 }), (seed, k) => {
          // Prepare: no keys at all; busy pairs inside each cluster, and every cross pair seen a little.
          const p = plantedSchema(seed, k, 6, 0, 0, 0);
          const rnd = seededRandom(seed);
          const names = [...p.truth.keys()];
          const samples: StatementSample[] = [];
          names.forEach((a, i) =>
            names.slice(i + 1).forEach((b, j) => {
              const inside = p.truth.get(a) === p.truth.get(b);
              const calls = inside ? 50_000 + Math.floor(rnd() * 50_000) : 50 + Math.floor(rnd() * 500);
              samples.push({ txid: `${i}-${j}`, sql: `SELECT * FROM ${a} JOIN ${b} ON true`, calls });
            }),
          );
          // Act
          const report = analyseBoundaries(p.schema, readWorkload(samples, p.schema), { seed });
          // Assess
          const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
          expect(
            adjustedRandIndex(
              names.map((t) => String(p.truth.get(t))),
              names.map((t) => of.get(t) ?? 'missing'),
            ),
          ).toBeGreaterThanOrEqual(0.9);
        }),
        { seed: 31, numRuns: 10 },
      );
    });

    it('with --services K on a schema without a workload, finds exactly K candidates close to the truth', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 3, max: 5 }), (seed, k) => {
          // Prepare
          const p = plantedSchema(seed, k, 8, 0.6, 0.03, 0);
          // Act
          const report = analyseBoundaries(p.schema, undefined, { seed, services: k });
          // Assess
          const real = report.candidates.filter((c) => !c.unattached);
          expect(real).toHaveLength(k);
          const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
          const tables = [...p.truth.keys()];
          expect(
            adjustedRandIndex(
              tables.map((t) => String(p.truth.get(t))),
              tables.map((t) => of.get(t) ?? 'missing'),
            ),
          ).toBeGreaterThanOrEqual(0.8);
        }),
        { seed: 7, numRuns: 15 },
      );
    });

    it('gives the same candidates for the same input and seed, whatever the order of the tables', () => {
      // Prepare
      const p = plantedSchema(99, 4, 8, 0.5, 0.03, 0.1);
      const shuffled: Schema = { ...p.schema, tables: [...p.schema.tables].reverse() };
      // Act
      const a = analyseBoundaries(p.schema, readWorkload(p.samples, p.schema), { seed: 5 });
      const b = analyseBoundaries(shuffled, readWorkload([...p.samples].reverse(), shuffled), { seed: 5 });
      // Assess
      expect(b.candidates).toEqual(a.candidates);
      expect(b.metrics).toEqual(a.metrics);
    });

    it('scores a planted decomposition better than a random one of the same sizes', () => {
      // Prepare
      const p = plantedSchema(3, 4, 8, 0.6, 0.02, 0.05);
      const workload = readWorkload(p.samples, p.schema);
      // Act
      const found = analyseBoundaries(p.schema, workload, { seed: 1 });
      // Assess: modularity well above zero, few cross relationships, few distributed transactions.
      expect(found.metrics.modularity).toBeGreaterThan(0.4);
      expect(found.metrics.crossBoundaryRelationships / found.metrics.relationships).toBeLessThan(0.2);
      expect(found.metrics.distributedTransactionShare).toBeLessThan(0.25);
    });
  });

  describe('constraints', () => {
    it('puts pinned tables in the named service, and tables pinned to different services apart', () => {
      // Prepare
      const p = plantedSchema(11, 3, 6, 0.7, 0.02, 0);
      const pins = { tbl_0000: 'billing', tbl_0001: 'ledger', tbl_0006: 'billing' };
      // Act
      const report = analyseBoundaries(p.schema, undefined, { seed: 1, pins });
      // Assess
      const of = new Map(report.candidates.flatMap((c) => c.tables.map((t) => [t, c.name] as const)));
      expect(of.get('tbl_0000')).toBe('billing');
      expect(of.get('tbl_0006')).toBe('billing');
      expect(of.get('tbl_0001')).toBe('ledger');
      expect(report.candidates.find((c) => c.name === 'billing')?.pinned).toEqual(['tbl_0000', 'tbl_0006']);
    });

    it('keeps every candidate within --max-size', () => {
      // Prepare
      const p = plantedSchema(12, 2, 12, 0.7, 0.02, 0);
      // Act
      const report = analyseBoundaries(p.schema, undefined, { seed: 1, maxSize: 5 });
      // Assess
      for (const c of report.candidates) expect(c.tables.length).toBeLessThanOrEqual(5);
      expect(report.candidates.reduce((a, c) => a + c.tables.length, 0)).toBe(24);
    });

    it.each([
      [{ pins: { nope: 'x' } }, /--pin nope=x: no table "nope"/],
      [{ services: 0 }, /--services must be a whole number >= 1, got 0/],
      [{ maxSize: 1.5 }, /--max-size must be a whole number >= 1, got 1.5/],
    ])('refuses %j naming the option and the value', (options, message) => {
      // Prepare
      const p = plantedSchema(1, 2, 3, 1, 0, 0);
      // Act / Assess
      expect(() => analyseBoundaries(p.schema, undefined, options)).toThrow(message);
    });
  });
});

describe('Function: adjustedRandIndex', () => {
  it('is 1 for the same partition under other labels, and about 0 for an unrelated one', () => {
    expect(adjustedRandIndex(['a', 'a', 'b', 'b', 'c'], ['x', 'x', 'y', 'y', 'z'])).toBe(1);
    expect(adjustedRandIndex(['a', 'a', 'a', 'b', 'b', 'b'], ['x', 'y', 'z', 'x', 'y', 'z'])).toBeLessThan(0.1);
  });
});
