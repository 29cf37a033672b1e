import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { observeHops } from '../../adapters/dynamodb/audit-observations';
import { buildTransactionMap, renderSummary, type TransactionMap } from '../../core/map';
import { formatMs } from '../../core/map/format';
import '../../core/saga';
import { parseSpec } from '../../core/spec';
import config from '../../cutover.config';
import { sdkConfig } from '../../test/e2e/harness';
import type { DemoContext, DemoScenario, ScenarioResult } from './types';

/** The summary lines the demo prints again at the end: owners, risks, the checkout's budget (and measurement). */
export function mapSummaryLines(map: TransactionMap): string[] {
  const lines = [`map of "${map.name}": ${map.services.map((s) => `${s.name}=${s.owner}`).join(', ')}`];
  lines.push(
    `${map.risks.length} consistency risk(s): ${map.risks.map((r) => `${r.rule} at ${r.where.split(' ')[0]}`).join('; ') || 'none'}`,
  );
  for (const p of map.criticalPaths) {
    const measured = p.observed
      ? `, measured p50 ${formatMs(p.observed.p50Ms)} / p95 ${formatMs(p.observed.p95Ms)} over ${p.observed.samples} run(s)`
      : '';
    lines.push(
      `${p.name}: budget while the customer waits p95 ${formatMs(p.budget.interactiveP95Ms)}, to dispatch p95 ${formatMs(p.budget.p95Ms)}${measured}`,
    );
  }
  return lines;
}

/**
 * The transaction-boundary map of the reference migration: built from the spec, with the p50/p95 per hop
 * measured from the deployed audit log when the saga scenario has run before it (otherwise the overlay is
 * simply empty). Prints the same summary as `cutover map`.
 */
export const mapScenario: DemoScenario = {
  name: 'map',
  title: 'The transaction-boundary map: owners, flows, consistency risks and the checkout latency budget',
  async run(ctx: DemoContext): Promise<ScenarioResult> {
    const spec = parseSpec(config);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(ctx.endpoint)));
    const store = new AuditStore({ tableName: ctx.output('AuditTableName'), client: doc });
    const observed = await observeHops(store, { maxStreams: 500 });
    const map = buildTransactionMap(spec, { observed });
    for (const line of renderSummary(map).trimEnd().split('\n')) ctx.log(`  ${line}`);
    ctx.log(`  (observed ${observed.runs.length} saga run(s) in ${observed.streams} order stream(s) of the audit log)`);
    // The map is a picture: the scenario is accounted for when it was drawn and every risk says where and why.
    const ok = map.risks.every((r) => r.where.length > 0 && r.why.length > 0) && map.criticalPaths.length > 0;
    return { summary: mapSummaryLines(map), ok };
  },
};

// `npx tsx scripts/demo/map.ts`: the summary from the spec alone, no emulator needed.
if (require.main === module) {
  const map = buildTransactionMap(parseSpec(config));
  process.stdout.write(renderSummary(map));
}
