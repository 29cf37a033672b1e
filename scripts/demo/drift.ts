import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { driftStreamFor, summariseDrift, type AuditEntry } from '../../core/audit';
import { BRIDGE_SOURCE, deterministicId } from '../../core/events/envelope';
import { DEFAULT_DRIFT_POLICY, parseSpec } from '../../core/spec';
import { correlationFor } from '../../core/translate/translator';
import config from '../../cutover.config';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

/*
 * The schema-drift case: the monolith ships a release that adds a column (REFUND_CHANNEL) to ORDER_CANCELLED before
 * anyone updates the spec. Under the default policy (`drop`) cancellations keep flowing to the services, and
 * every unknown field is recorded; the scenario then prints what `cutover spec drift` reports.
 */
const WAIT_MS = 90_000;
const TYPE = 'ORDER_CANCELLED';
const COLUMN = 'REFUND_CHANNEL';

export const driftScenario: DemoScenario = {
  name: 'drift',
  title: `Schema drift: the monolith adds a column (${COLUMN}) to ${TYPE}; handled by policy and recorded, not an outage`,
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const spec = parseSpec(config);
    const def = spec.bridge.legacyEvents[TYPE];
    const translation = spec.bridge.translations.find((t) => t.legacy === TYPE && (t.direction ?? 'both') !== 'toLegacy')!;
    const policy = def.additionalFields ?? DEFAULT_DRIFT_POLICY;
    const audit = new AuditStore({ tableName: ctx.output('AuditTableName') });
    const runId = 80_000_000 + (Math.floor(Date.now() / 1000) % 1_000_000) * 10;
    const puts = [1, 2, 3].map((i) => {
      const orderNo = String(runId + i);
      const msgId = `MSG-DRIFT-${runId}-${i}`;
      return {
        orderNo,
        expectId: deterministicId('legacy', TYPE, msgId, translation.service),
        detail: { ...def.examples[0], MSG_ID: msgId, ORDER_NO: orderNo, [COLUMN]: i % 2 ? 'CARD' : 'VOUCHER' },
      };
    });
    const res = await new EventBridgeClient({}).send(
      new PutEventsCommand({
        Entries: puts.map((p) => ({
          EventBusName: ctx.output('LegacyBusName'),
          Source: spec.bridge.legacySource,
          DetailType: TYPE,
          Detail: JSON.stringify(p.detail),
        })),
      }),
    );
    const ids = new Set((res.Entries ?? []).map((e) => e.EventId).filter((id): id is string => !!id));
    ctx.log(`put ${puts.length} ${TYPE} events carrying a column the spec does not declare (${COLUMN}); policy for ${TYPE}: ${policy}`);

    const translated = new Set<string>();
    let driftEntries: AuditEntry[] = [];
    const deadline = Date.now() + WAIT_MS;
    const done = () => translated.size === puts.length && driftEntries.length >= puts.length;
    while (!done() && Date.now() < deadline) {
      for (const p of puts) {
        for await (const e of audit.readStream(correlationFor(def.entity.type, p.orderNo))) {
          if (
            e.kind === 'event' &&
            e.bus === 'services' &&
            e.source === BRIDGE_SOURCE &&
            JSON.parse(e.payload).metadata?.eventId === p.expectId
          )
            translated.add(p.expectId);
        }
      }
      driftEntries = [];
      for await (const e of audit.readStream(driftStreamFor(TYPE)))
        if (e.kind === 'drift' && ids.has(String(e.eventId).replace(/^drift:/, ''))) driftEntries.push(e);
      if (!done()) await new Promise((r) => setTimeout(r, 1000));
    }
    const rows = summariseDrift(driftEntries);
    for (const r of rows)
      ctx.log(`cutover spec drift: ${r.eventType} ${r.field} policy ${r.policy}, ${r.count} event(s), first seen ${r.firstSeen}`);
    const expectTranslated = policy === 'quarantine' ? 0 : puts.length;
    const ok = translated.size === expectTranslated && rows.some((r) => r.field === COLUMN && r.count === puts.length);
    return {
      ok,
      summary: [
        `schema drift (the monolith added ${COLUMN}): ${puts.length} ${TYPE} with the new column -> ${translated.size} translated under policy ${policy}, ${COLUMN} recorded ${rows.find((r) => r.field === COLUMN)?.count ?? 0} time(s) in audit stream ${driftStreamFor(TYPE)}`,
      ],
    };
  },
};
