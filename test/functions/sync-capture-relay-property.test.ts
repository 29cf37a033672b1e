import fc from 'fast-check';
import { Pool, type PoolClient } from 'pg';
import type { CaptureDatabase } from '../../adapters/sql/capture/database';
import { SinkError } from '../../adapters/sql/capture/errors';
import { installCapture } from '../../adapters/sql/capture/install';
import { ChangeRelay } from '../../adapters/sql/capture/relay';
import { createShopSchema, postgresFixture, RecordingSink, type CaptureFixture } from './sync-capture-support';

/**
 * The relay's law under concurrency, on a real PostgreSQL: whatever the interleaving of application
 * transactions (writes, commits in any order, rollbacks) with relay passes and target failures, every
 * committed change is shipped, none that rolled back is, nothing is skipped, and each row's changes
 * arrive in the order they were made.
 */
describe('Class: ChangeRelay (property, PostgreSQL)', () => {
  let fixture: CaptureFixture;
  let db: CaptureDatabase;
  let app: Pool;

  beforeAll(async () => {
    fixture = await postgresFixture();
    db = await fixture.open();
    await createShopSchema(db);
    await installCapture(db, { tables: ['stock'] });
    const schema = new URL(fixture.url).searchParams.get('schema');
    app = new Pool({ connectionString: fixture.url.replace(/\?.*$/, ''), max: 8, options: `-c search_path=${schema}` });
  }, 60_000);

  afterAll(async () => {
    await app?.end();
    await db?.close();
    await fixture?.drop();
  }, 60_000);

  type Step = { kind: 'advance'; tx: number } | { kind: 'pass'; failing: boolean };

  it('ships every committed change exactly once (up to redelivery), in per-row order, whatever the interleaving', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ writes: fc.integer({ min: 1, max: 3 }), rollback: fc.boolean() }), { minLength: 2, maxLength: 5 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('advance' as const), tx: fc.nat(4) }),
            fc.record({ kind: fc.constant('pass' as const), failing: fc.boolean() }),
          ),
          { maxLength: 30 },
        ),
        async (txs, schedule: Step[]) => {
          run++;
          await db.exec('DELETE FROM stock');
          await db.exec('DELETE FROM cutover_changes');
          await db.exec('DELETE FROM cutover_relay');
          const sink = new RecordingSink();
          const relay = new ChangeRelay(db, sink, { source: 'shop', owner: 'p', batchSize: 3 });
          const clients: (PoolClient | null)[] = txs.map(() => null);
          const done = txs.map(() => 0); // writes made; writes + 1 = ended
          const expected = new Map<string, string[]>();
          const advance = async (i: number) => {
            const t = txs[i];
            if (done[i] > t.writes) return;
            const sku = `Q${run}_${i}`;
            if (done[i] === 0) {
              clients[i] = await app.connect();
              await clients[i]!.query('BEGIN');
            }
            if (done[i] < t.writes) {
              await clients[i]!.query(
                done[i] === 0
                  ? `INSERT INTO stock (sku, warehouse_cd, on_hand, reserved, updated_at) VALUES ('${sku}', 'W1', 0, 0, '2026-01-01 10:00:00')`
                  : `UPDATE stock SET on_hand = ${done[i]} WHERE sku = '${sku}'`,
              );
            } else {
              await clients[i]!.query(t.rollback ? 'ROLLBACK' : 'COMMIT');
              clients[i]!.release();
              if (!t.rollback)
                expected.set(
                  sku,
                  Array.from({ length: t.writes }, (_, j) => String(j)),
                );
            }
            done[i]++;
          };
          for (const step of schedule) {
            if (step.kind === 'advance') await advance(step.tx % txs.length);
            else {
              sink.failing = step.failing;
              await relay.pass().catch((e) => {
                if (!(e instanceof SinkError)) throw e;
              });
            }
          }
          // Every transaction ends; then the relay runs until idle with a healthy target.
          for (let i = 0; i < txs.length; i++) while (done[i] <= txs[i].writes) await advance(i);
          sink.failing = false;
          await relay.run({ stopWhenIdle: true, maxDurationMs: 20_000 });

          const unique = new Map(sink.received.map((c) => [c.changeId, c]));
          const shipped = new Map<string, string[]>();
          const order: bigint[] = [];
          for (const c of sink.received) {
            if (order.length && BigInt(c.changeId) <= order[order.length - 1]) continue; // a redelivery of a failed batch
            order.push(BigInt(c.changeId));
            shipped.set(c.key.sku, [...(shipped.get(c.key.sku) ?? []), c.after?.on_hand ?? '']);
          }
          expect(order.length).toBe(unique.size);
          expect(Object.fromEntries(shipped)).toEqual(Object.fromEntries(expected));
        },
      ),
      { seed: 20261206, numRuns: 25 },
    );
  }, 120_000);
});
