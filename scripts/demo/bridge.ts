import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ChainVerifier, type AuditEntry } from '../../core/audit';
import { BRIDGE_SOURCE, deterministicId } from '../../core/events/envelope';
import { getPath, parseSpec, type Spec } from '../../core/spec';
import { setPath } from '../../core/events/paths';
import { correlationFor } from '../../core/translate/translator';
import config from '../../cutover.config';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { QUARANTINE_REASONS } from '../../core/translate/quarantine-reasons';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

/*
 * The bridge: the monolith puts one example of every legacy event it emits, two of them twice (a
 * redelivery), and three malformed ones. The scenario waits until every put is accounted for: translated
 * (seen on the services bus in the audit log), or quarantined with its reason; then it verifies the hash
 * chains of every stream it touched.
 */
const WAIT_MS = 120_000;

interface Put {
  readonly label: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly stream: string;
  /** The translated event id we expect on the services bus, or undefined when it must be quarantined. */
  readonly expectId?: string;
  eventBridgeId?: string;
}

function legacyPuts(spec: Spec, runId: number): Put[] {
  const puts: Put[] = [];
  let n = 0;
  for (const t of spec.bridge.translations) {
    if ((t.direction ?? 'both') === 'toLegacy') continue;
    const def = spec.bridge.legacyEvents[t.legacy];
    const detail = structuredClone(def.examples[0]) as Record<string, unknown>;
    n += 1;
    // A fresh message id and entity key per run, so a rerun on the same emulator is its own story.
    setPath(detail, def.idField, `MSG-DEMO-${runId}-${n}`);
    const key = String(getPath(detail, def.entity.keyField));
    const freshKey = def.entity.type === 'customer' ? `C${String(runId % 100_000_000).padStart(8, '0')}` : String(runId + n);
    if (key) setPath(detail, def.entity.keyField, freshKey);
    puts.push({
      label: t.legacy,
      detailType: t.legacy,
      detail,
      stream: correlationFor(def.entity.type, freshKey),
      expectId: deterministicId('legacy', t.legacy, `MSG-DEMO-${runId}-${n}`, t.service),
    });
  }
  // Redeliveries: the same message again must give the same translated id (and one audit entry for it).
  for (const p of puts.slice(0, 2)) puts.push({ ...p, label: `${p.label} (duplicate)`, detail: structuredClone(p.detail) });
  const order = puts[0];
  puts.push({
    label: 'ORDER_PLACED with money as "54.97"',
    detailType: 'ORDER_PLACED',
    detail: { ...order.detail, MSG_ID: `MSG-DEMO-${runId}-B1`, TOTAL_CENTS: '54.97' },
    stream: order.stream,
  });
  puts.push({
    label: 'ORDER_PLACED with a 13th month',
    detailType: 'ORDER_PLACED',
    detail: { ...order.detail, MSG_ID: `MSG-DEMO-${runId}-B2`, ORDER_DT: '20261321 101500' },
    stream: order.stream,
  });
  puts.push({
    label: 'ORDER_SHREDDED (an event type the spec does not know)',
    detailType: 'ORDER_SHREDDED',
    detail: { ORDER_NO: String(order.detail.ORDER_NO) },
    stream: order.stream,
  });
  return puts;
}

export const bridgeScenario: DemoScenario = {
  name: 'bridge',
  title: 'The bridge: monolith events translated, duplicates collapsed, bad input quarantined, audit chain verified',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const spec = parseSpec(config);
    const events = new EventBridgeClient({});
    const audit = new AuditStore({ tableName: ctx.output('AuditTableName') });
    const quarantine = new QuarantineStore({ tableName: ctx.output('QuarantineTableName') });
    const since = new Date(Date.now() - 60_000).toISOString();
    const runId = 70_000_000 + (Math.floor(Date.now() / 1000) % 1_000_000) * 10;
    const puts = legacyPuts(spec, runId);

    for (let i = 0; i < puts.length; i += 10) {
      const batch = puts.slice(i, i + 10);
      const entries: PutEventsRequestEntry[] = batch.map((p) => ({
        EventBusName: ctx.output('LegacyBusName'),
        Source: spec.bridge.legacySource,
        DetailType: p.detailType,
        Detail: JSON.stringify(p.detail),
      }));
      const res = await events.send(new PutEventsCommand({ Entries: entries }));
      (res.Entries ?? []).forEach((e, j) => {
        batch[j].eventBridgeId = e.EventId;
        if (e.ErrorCode) ctx.log(`put refused: ${batch[j].label}: ${e.ErrorCode} ${e.ErrorMessage ?? ''}`);
      });
    }
    ctx.log(
      `put ${puts.length} legacy events on ${ctx.output('LegacyBusName')}: ${puts.filter((p) => p.expectId && !p.label.includes('duplicate')).length} valid, 2 redelivered, ${puts.filter((p) => !p.expectId).length} malformed`,
    );

    // Wait until every put is accounted for, or the time is up.
    const translated = new Map<string, AuditEntry>();
    const quarantined = new Map<string, { reason: string; problems: string[] }>();
    const deadline = Date.now() + WAIT_MS;
    const pending = () => puts.filter((p) => (p.expectId ? !translated.has(p.expectId) : !quarantined.has(p.eventBridgeId ?? '')));
    while (pending().length > 0 && Date.now() < deadline) {
      for (const stream of new Set(
        pending()
          .filter((p) => p.expectId)
          .map((p) => p.stream),
      )) {
        for await (const e of audit.readStream(stream)) {
          // Only the bridge's own translations: the router re-puts copies of routed events with the same id.
          if (e.kind === 'event' && e.bus === 'services' && e.source === BRIDGE_SOURCE)
            translated.set(JSON.parse(e.payload).metadata?.eventId, e);
        }
      }
      if (pending().some((p) => !p.expectId)) {
        for (const reason of QUARANTINE_REASONS) {
          for await (const q of quarantine.query({ reason, since }))
            quarantined.set(q.eventBridgeId, { reason, problems: [...q.problems] });
        }
      }
      if (pending().length > 0) await new Promise((r) => setTimeout(r, 1000));
    }

    for (const p of puts) {
      if (p.expectId) {
        const e = translated.get(p.expectId);
        ctx.log(`${p.label.padEnd(52)} -> ${e ? `${e.detailType} ${p.expectId.slice(0, 8)}…` : 'NOT SEEN'}`);
      } else {
        const q = quarantined.get(p.eventBridgeId ?? '');
        ctx.log(`${p.label.padEnd(52)} -> ${q ? `quarantined (${q.reason}): ${q.problems.join('; ')}` : 'NOT QUARANTINED'}`);
      }
    }

    // The audit log: every stream this run touched, chains recomputed.
    const streams = [...new Set(puts.map((p) => p.stream))];
    const verifier = new ChainVerifier();
    let entries = 0;
    const broken: string[] = [];
    for (const stream of streams) {
      const report = await audit.verifyStream(stream, { verifier });
      entries += report.entries;
      if (report.broken) broken.push(`${stream}: sequence ${report.broken.sequence} (${report.broken.check})`);
      broken.push(...report.markerProblems.map((m) => `${stream}: ${m}`));
    }
    const distinctTranslated = new Set(puts.filter((p) => p.expectId && translated.has(p.expectId)).map((p) => p.expectId)).size;
    const duplicates = puts.filter((p) => p.label.includes('duplicate') && translated.has(p.expectId!)).length;
    const quarantinedCount = puts.filter((p) => !p.expectId && quarantined.has(p.eventBridgeId ?? '')).length;
    const unaccounted = puts.length - distinctTranslated - duplicates - quarantinedCount;
    ctx.log(
      `audit: ${entries} entries in ${streams.length} streams, chains ${broken.length === 0 ? 'verified' : `BROKEN: ${broken.join('; ')}`}`,
    );
    return {
      ok: unaccounted === 0 && broken.length === 0,
      summary: [
        `${puts.length} legacy events in: ${distinctTranslated} translated, ${duplicates} redeliveries collapsed onto their first translation's id, ${quarantinedCount} quarantined with reasons, ${unaccounted} unaccounted`,
        `audit log: ${entries} entries across ${streams.length} streams, hash chains ${broken.length === 0 ? 'verified' : 'BROKEN'}`,
      ],
    };
  },
};
