import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { AwsContext } from '../../cli/aws-context';
import { diffReportCommand } from '../../cli/commands/diff';
import { replayStartCommand } from '../../cli/commands/replay';
import { PLANTED_DIFFERENCE } from '../../functions/inventory-candidate/candidate';
import { CapturedStore } from '../../adapters/dynamodb/captured-store';
import { ReportStore } from '../../adapters/dynamodb/report-store';
import { FINAL_STATUSES } from '../../core/replay/request';
import { ReplayStateStore, type ReplayState } from '../../adapters/dynamodb/replay-state-store';
import { sdkConfig, waitFor } from '../../test/e2e/harness';
import { orderFixture, orderPlaced, stockReserved } from '../../test/functions/replay-fixtures';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

const ORDERS = 5;

/**
 * Shadow testing of a new inventory version before it takes any traffic: five orders go through the
 * monolith (ORDER_PLACED in, STOCK_RESERVED out) and are captured; the captured traffic is replayed to the
 * inventory candidate in shadow mode; the diff report shows the ONE planted difference (the candidate
 * reserves the one order shipping outside GB in another warehouse) and nothing else.
 */
export const replayScenario: DemoScenario = {
  name: 'replay',
  title: 'Shadow replay: capture monolith traffic, replay it to a new inventory version, read the diff report',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const spec = parseSpec(config);
    const cfg = sdkConfig(ctx.endpoint);
    const events = new EventBridgeClient(cfg);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(cfg), { marshallOptions: { removeUndefinedValues: true } });
    const replayStack = Object.keys(ctx.outputs).find((s) => ctx.outputs[s].CapturedEventsTableName !== undefined);
    if (!replayStack) return { ok: false, summary: ['no replay stack deployed (no CapturedEventsTableName output)'] };
    const cli = new AwsContext(
      { prefix: replayStack.replace(/-Replay$/, '') },
      { cloudFormation: new CloudFormationClient(cfg), eventBridge: events, dynamo: doc },
    );
    const captured = new CapturedStore({ tableName: ctx.output('CapturedEventsTableName'), client: doc });
    const state = new ReplayStateStore({ tableName: ctx.output('ReplayStateTableName'), client: doc });
    const reports = new ReportStore({ tableName: ctx.output('DiffReportTableName'), client: doc });
    try {
      const prefix = 100 + (Math.floor(Date.now() / 1000) % 900);
      // Only the last order ships outside GB: exactly one planted difference.
      const orders = Array.from({ length: ORDERS }, (_, n) => orderFixture(n, { prefix, foreignEvery: ORDERS, at: new Date() }));
      const from = Date.now() - 5_000;

      ctx.log(`1. the monolith handles ${ORDERS} orders: ORDER_PLACED in, STOCK_RESERVED (warehouse BRS1) out, on the legacy bus`);
      for (const [type, build] of [
        ['ORDER_PLACED', orderPlaced],
        ['STOCK_RESERVED', stockReserved],
      ] as const) {
        for (const o of orders) {
          const res = await events.send(
            new PutEventsCommand({
              Entries: [
                {
                  EventBusName: ctx.output('LegacyBusName'),
                  Source: spec.bridge.legacySource,
                  DetailType: type,
                  Detail: JSON.stringify(build(o)),
                },
              ],
            }),
          );
          if ((res.FailedEntryCount ?? 0) > 0) return { ok: false, summary: [`the legacy bus refused ${type}`] };
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const mine = new Set(orders.map((o) => o.orderNo));
      const items = await waitFor(
        async () => {
          const got = [];
          for await (const i of captured.itemsInWindow({ fromMs: from, toMs: Date.now() + 60_000 }))
            if (mine.has(i.entityKey ?? i.correlationId.replace(/^order-/, ''))) got.push(i);
          return got.filter((i) => i.role === 'input').length === ORDERS &&
            got.filter((i) => i.sourceType === 'STOCK_RESERVED').length === ORDERS
            ? got
            : undefined;
        },
        { what: `${ORDERS} orders and their reservations captured`, timeoutMs: 120_000, intervalMs: 1_000 },
      );
      ctx.log(
        `2. captured ${items.filter((i) => i.role === 'input').length} inputs and ${items.filter((i) => i.role === 'outcome').length} outcomes (PII masked, TTL set, outcomes translated to the service model)`,
      );

      const replayId = `r-demo-${prefix}-${Date.now() % 100000}`;
      ctx.log(`3. cutover replay start --target inventory --since <5 s before> --entity <these orders> --id ${replayId}`);
      const out: string[] = [];
      const code = await replayStartCommand(
        {
          target: 'inventory',
          since: new Date(from).toISOString(),
          until: new Date(Date.now() + 1_000).toISOString(),
          entity: orders.map((o) => `order#${o.orderNo}`),
          rate: 20,
          settle: 5,
          id: replayId,
        },
        { context: cli, sqs: new SQSClient(cfg), stdout: (s) => void out.push(s), stderr: (s) => void out.push(s) },
      );
      if (code !== 0) return { ok: false, summary: [`replay start failed: ${out.join('').trim()}`] };
      const final: ReplayState = await waitFor(
        async () => {
          const st = await state.get(replayId);
          return st && FINAL_STATUSES.includes(st.status) ? st : undefined;
        },
        { what: `replay ${replayId} to finish`, timeoutMs: 180_000, intervalMs: 1_000 },
      );
      ctx.log(`4. replay ${final.status} in ${final.slices} slice(s); cutover diff report ${replayId}:`);
      let printed = '';
      await diffReportCommand(replayId, {}, { context: cli, stdout: (s) => void (printed += s), stderr: (s) => void (printed += s) });
      for (const line of printed.trimEnd().split('\n')) ctx.log(`   ${line}`);

      const report = await reports.getReport(replayId);
      const t = report?.totals;
      const fields = report?.fieldsRanked.map((f) => `${f.outcomeType} ${f.field}`) ?? [];
      const ok =
        final.status === 'completed' &&
        !!t &&
        t.compared === ORDERS &&
        t.differed === 1 &&
        t.matched === ORDERS - 1 &&
        t.missingOutcome + t.extraOutcome + t.failed + t.skippedInvalid === 0 &&
        fields.length === 1 &&
        fields[0] === `${PLANTED_DIFFERENCE.outcomeType} ${PLANTED_DIFFERENCE.field}`;
      return {
        ok,
        summary: [
          `replay ${replayId}: ${t ? `${t.compared} compared, ${t.matched} matched, ${t.differed} differed, ${t.missingOutcome} missing, ${t.extraOutcome} extra, ${t.skippedInvalid} skipped, ${t.failed} failed` : 'no report'}`,
          `differing fields: ${fields.join(', ') || 'none'} (planted: ${PLANTED_DIFFERENCE.outcomeType} ${PLANTED_DIFFERENCE.field} ${PLANTED_DIFFERENCE.monolith} -> ${PLANTED_DIFFERENCE.candidate} when ${PLANTED_DIFFERENCE.when})`,
        ],
      };
    } finally {
      events.destroy();
      doc.destroy();
    }
  },
};
