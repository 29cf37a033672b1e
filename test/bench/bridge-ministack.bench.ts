import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { sdkConfig } from '../e2e/harness';
import { emulatorLabel, outputsFor, percentile } from './emulator';
import type { BenchResult } from './types';

/*
 * The bridge under load on a deployed emulator: BRIDGE_LOAD_EVENTS monolith events (default 1000; one in
 * twenty malformed) put at BRIDGE_LOAD_RATE events/s (default 50) in batches of ten, then every event is
 * accounted for: a valid one must show up translated in its order's audit stream, a malformed one in the
 * quarantine. Reports unaccounted events (target 0) and p50/p95 from the put to the audit entry of the
 * monolith event and of its translation (target p95 under 500 ms). Waits at most BRIDGE_LOAD_DRAIN_SECONDS
 * (default 180) after the last put. Needs CUTOVER_ENDPOINT and the stack outputs of the e2e deploy
 * (.cutover/outputs-<port>.json or CUTOVER_OUTPUTS_FILE); skipped without CUTOVER_ENDPOINT.
 * Deploy the bridge alone (`localstack/deploy.sh Cutover-Bridge`): with the saga stack deployed too, every
 * order.placed put here also starts a saga (with no stock seeded), and on an emulator that load swamps
 * what is being measured.
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

interface Sent {
  readonly orderNo: string;
  readonly malformed: boolean;
  readonly putAt: number;
  eventBridgeId?: string;
  legacyAuditedAt?: number;
  translatedAt?: number;
  quarantined?: boolean;
}

export async function run(): Promise<BenchResult[]> {
  const endpoint = process.env.CUTOVER_ENDPOINT;
  if (!endpoint)
    return [{ name: 'bridge load on MiniStack: skipped (set CUTOVER_ENDPOINT to a deployed emulator)', figure: NaN, unit: 'events' }];
  const outputs = outputsFor(endpoint);
  const out = (key: string) =>
    Object.values(outputs).find((o) => o[key] !== undefined)?.[key] ??
    (() => {
      throw new Error(`no stack output ${key}`);
    })();
  const total = num('BRIDGE_LOAD_EVENTS', 1000);
  const rate = num('BRIDGE_LOAD_RATE', 50);
  const drainSeconds = num('BRIDGE_LOAD_DRAIN_SECONDS', 180);
  const spec = parseSpec(config);
  const example = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
  const events = new EventBridgeClient({ ...sdkConfig(endpoint), maxAttempts: 5 });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ ...sdkConfig(endpoint), maxAttempts: 5 }));
  const audit = new AuditStore({ tableName: out('AuditTableName'), client: doc });
  const quarantine = new QuarantineStore({ tableName: out('QuarantineTableName'), client: doc });
  const legacyBus = out('LegacyBusName');
  const base = 60_000_000 + (Date.now() % 9_000_000);
  const startedIso = new Date(Date.now() - 5_000).toISOString();

  // Put, paced: batch i leaves no earlier than i * 10 / rate seconds after the start.
  const sent: Sent[] = [];
  const t0 = Date.now();
  for (let i = 0; i < total; i += 10) {
    const wait = t0 + (i / rate) * 1000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const batch: Sent[] = [];
    const entries: PutEventsRequestEntry[] = [];
    for (let j = i; j < Math.min(total, i + 10); j++) {
      const orderNo = String(base + j);
      const malformed = j % 20 === 19;
      const detail = { ...example, MSG_ID: `MSG-LOAD-${orderNo}`, ORDER_NO: orderNo, ...(malformed ? { TOTAL_CENTS: 'twelve' } : {}) };
      entries.push({
        EventBusName: legacyBus,
        Source: spec.bridge.legacySource,
        DetailType: 'ORDER_PLACED',
        Detail: JSON.stringify(detail),
      });
      batch.push({ orderNo, malformed, putAt: Date.now() });
    }
    const res = await events.send(new PutEventsCommand({ Entries: entries }));
    res.Entries?.forEach((r, k) => (batch[k].eventBridgeId = r.EventId));
    sent.push(...batch);
  }
  const putSeconds = (Date.now() - t0) / 1000;
  process.stderr.write(`bridge load: ${total} events put in ${putSeconds.toFixed(1)} s; accounting ...\n`);

  // Account for every event: poll the open ones until done or the drain runs out.
  const deadline = Date.now() + drainSeconds * 1000;
  const open = () => sent.filter((s) => (s.malformed ? !s.quarantined : s.translatedAt === undefined || s.legacyAuditedAt === undefined));
  while (open().length > 0 && Date.now() < deadline) {
    const pending = open();
    for (let k = 0; k < pending.length; k += 16) {
      await Promise.all(
        pending.slice(k, k + 16).map(async (s) => {
          for await (const e of audit.readStream(`order-${s.orderNo}`)) {
            if (e.kind === 'event' && e.bus === 'legacy' && e.eventId === s.eventBridgeId) s.legacyAuditedAt = Date.parse(e.recordedAt);
            if (e.kind === 'event' && e.bus === 'services' && e.detailType === 'order.created') s.translatedAt = Date.parse(e.recordedAt);
          }
        }),
      );
    }
    if (sent.some((s) => s.malformed && !s.quarantined)) {
      const ids = new Set<string>();
      for await (const q of quarantine.query({ reason: 'schema', since: startedIso })) ids.add(q.eventBridgeId);
      for (const s of sent) if (s.malformed && s.eventBridgeId && ids.has(s.eventBridgeId)) s.quarantined = true;
    }
    process.stderr.write(`  ${open().length} still open after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    if (open().length > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const unaccounted = open().length;
  const valid = sent.filter((s) => !s.malformed);
  const toLegacyAudit = valid.filter((s) => s.legacyAuditedAt !== undefined).map((s) => s.legacyAuditedAt! - s.putAt);
  const toTranslated = valid.filter((s) => s.translatedAt !== undefined).map((s) => s.translatedAt! - s.putAt);
  events.destroy();
  doc.destroy();
  const note = `${total} events (${sent.filter((s) => s.malformed).length} malformed) put at ${rate}/s in ${putSeconds.toFixed(1)} s; latencies use the Lambda clock of the audit entry and the client clock of the put (same host); ${emulatorLabel(endpoint)}`;
  return [
    { name: 'bridge load: unaccounted events', figure: unaccounted, unit: 'events', target: '0', ok: unaccounted === 0, note },
    { name: 'bridge load: put -> monolith event audited, p50', figure: percentile(toLegacyAudit, 50), unit: 'ms' },
    {
      name: 'bridge load: put -> monolith event audited, p95',
      figure: percentile(toLegacyAudit, 95),
      unit: 'ms',
      target: '< 500 ms',
      ok: percentile(toLegacyAudit, 95) < 500,
    },
    { name: 'bridge load: put -> translation audited, p50', figure: percentile(toTranslated, 50), unit: 'ms' },
    {
      name: 'bridge load: put -> translation audited, p95',
      figure: percentile(toTranslated, 95),
      unit: 'ms',
      note: "the translator Lambda, then the services bus's audit path (intake queue, sequencer, FIFO queue, writer)",
    },
  ];
}
