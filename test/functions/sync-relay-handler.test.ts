import type { MetricsSink } from '../../functions/shared/metrics-sink';
import { parseSpec, type Spec } from '../../core/spec';
import { SYNC_METRICS } from '../../core/operations/metrics';
import type { CaptureDatabase } from '../../adapters/sql/capture/database';
import { installCapture } from '../../adapters/sql/capture/install';
import { runRelay } from '../../functions/sync-relay/handler';
import config from '../../cutover.config';
import { createShopSchema, postgresFixture, RecordingSink, stockRow, type CaptureFixture } from './sync-capture-support';

/*
 * The relay Lambda's run on a real PostgreSQL monolith: it ships, purges on its cadence, and publishes the
 * lag, backlog and open-conflict metrics the operations dashboard and the sync-lag alarm read.
 */
class RecordingMetrics implements MetricsSink {
  public readonly stored: Array<[string, number]> = [];
  public published = 0;
  public addMetric(name: string, _unit: unknown, value: number): void {
    this.stored.push([name, value]);
  }
  public addDimension(): void {
    throw new Error('the relay publishes under the service dimension only');
  }
  public publishStoredMetrics(): void {
    this.published++;
  }
}

let fixture: CaptureFixture;
let db: CaptureDatabase;
let spec: Spec;

beforeAll(async () => {
  spec = parseSpec(config);
  fixture = await postgresFixture();
  db = await fixture.open();
  await createShopSchema(db);
  await installCapture(db, { tables: ['stock'] });
  process.env.MAX_DURATION_MS = '1500';
  process.env.POLL_INTERVAL_MS = '20';
});

afterAll(async () => {
  delete process.env.MAX_DURATION_MS;
  delete process.env.POLL_INTERVAL_MS;
  await db?.close();
  await fixture?.drop();
});

describe('Function: runRelay', () => {
  it('ships, then publishes lag 0, backlog 0, the shipped count and the open conflicts', async () => {
    // Prepare
    for (let i = 0; i < 3; i++) await db.exec(stockRow(`RH${i}`, i));
    const sink = new RecordingSink();
    const metrics = new RecordingMetrics();

    // Act
    const report = await runRelay({ spec, db, sink, metrics, openConflicts: async () => 2 }, { lastPurgeAt: 0 });

    // Assess
    expect(sink.received.map((c) => c.key.sku)).toEqual(['RH0', 'RH1', 'RH2']);
    expect(Object.fromEntries(metrics.stored)).toEqual({
      [SYNC_METRICS.relayShipped]: 3,
      [SYNC_METRICS.relayErrors]: 0,
      [SYNC_METRICS.relayLagSeconds]: 0,
      [SYNC_METRICS.relayBacklog]: 0,
      [SYNC_METRICS.openConflicts]: 2,
    });
    expect(metrics.published).toBe(1);
    expect(report.lastPurgeAt).toBeGreaterThan(0);
  });

  it('reports the age of the oldest unshipped change as lag while the target is unreachable', async () => {
    // Prepare
    await db.exec(stockRow('RH-late', 1));
    await db.exec(`UPDATE cutover_changes SET changed_at = now() - interval '90 seconds' WHERE seq IS NULL`);
    const sink = new RecordingSink();
    sink.failing = true;
    const metrics = new RecordingMetrics();
    const env = { lastPurgeAt: Date.now() };

    // Act
    const report = await runRelay({ spec, db, sink, metrics, now: () => new Date() }, env);

    // Assess
    const m = Object.fromEntries(metrics.stored);
    expect(m[SYNC_METRICS.relayLagSeconds]).toBeGreaterThanOrEqual(90);
    expect(m[SYNC_METRICS.relayBacklog]).toBe(1);
    expect(m[SYNC_METRICS.relayErrors]).toBeGreaterThan(0);
    expect(m[SYNC_METRICS.openConflicts]).toBeUndefined();
    // Within the purge interval of the last purge: none this run, and the time is carried on.
    expect(report.purged).toEqual({ changes: 0, applied: 0 });
    expect(env.lastPurgeAt).toBe(report.lastPurgeAt);
  });
});
