/**
 * Time from `route rollback` to the first event routed to the monolith, on MiniStack (or any endpoint given
 * by CUTOVER_ENDPOINT with the stacks deployed). Skipped, with a note, when no endpoint is given.
 *
 * Each round: the `customers` capability is put on canary 100% (every key on the candidate), a paced stream
 * of customer.updated events runs (one every 50 ms), and the same rollback `cutover route rollback` runs is
 * committed in the middle of it. The routed copies are read back from the inboxes; each carries the router's
 * decision time (`metadata.routing.routedAt`), so the figures are decision times, not queue delays:
 *  - rollback -> first decision for the monolith (what the issue asks: target under 1 s);
 *  - rollback -> last decision for the candidate (the staleness bound: cache TTL 1 s + one table read);
 * baseline: the rollback's own table write (the transaction), the part no design can avoid.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { isHealthy, sdkConfig, type StackOutputs } from '../e2e/harness';
import { RoutingDriver, customerIds } from '../e2e/routing-driver';
import type { BenchResult } from './types';

const ROUNDS = 3;
const INTERVAL_MS = 50;
const CAPABILITY = 'customers';

async function outputsOf(endpoint: string, prefix: string): Promise<StackOutputs> {
  const cfn = new CloudFormationClient(sdkConfig(endpoint));
  const outputs: StackOutputs = {};
  let NextToken: string | undefined;
  do {
    const page = await cfn.send(new DescribeStacksCommand({ NextToken }));
    for (const s of page.Stacks ?? []) {
      if (!s.StackName?.startsWith(`${prefix}-`)) continue;
      outputs[s.StackName] = Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return outputs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Round {
  readonly commitMs: number;
  readonly firstLegacyMs: number;
  readonly lastCandidateMs: number;
  readonly events: number;
}

async function round(driver: RoutingDriver, base: number, n: number): Promise<Round> {
  const actor = 'bench:rollback';
  for (const change of [
    { kind: 'rollback' as const },
    { kind: 'setHealth' as const, health: 'healthy' as const },
    { kind: 'setMode' as const, mode: 'shadow' as const },
    { kind: 'setMode' as const, mode: 'canary' as const, percent: 100 },
  ]) {
    await driver.control.change(CAPABILITY, change, actor, 'bench: set up canary 100%');
  }
  await sleep(1200);
  const ids = customerIds(60, base, n * 100);
  const mine = new Set(ids);
  let startedAt = 0;
  let committedAt = 0;
  let i = 0;
  const stream = (async () => {
    const until = () => committedAt > 0 && Date.now() > committedAt + 1500;
    while (i < ids.length && !until()) {
      await driver.putCustomers([ids[i++]]);
      await sleep(INTERVAL_MS);
    }
  })();
  await sleep(800);
  startedAt = Date.now();
  await driver.control.change(CAPABILITY, { kind: 'rollback' }, actor, 'bench: rollback under load');
  committedAt = Date.now();
  await stream;
  const sent = new Set(ids.slice(0, i));
  const copies = await driver.collect(
    [CAPABILITY],
    (k) => mine.has(k),
    (c) => c.filter((x) => x.role === 'authoritative').length >= sent.size,
    90_000,
  );
  const decisions = copies
    .filter((c) => c.role === 'authoritative')
    .map((c) => ({ target: c.target, at: Date.parse(c.stamp.routedAt ?? '') }));
  const firstLegacy = Math.min(...decisions.filter((d) => d.target === 'monolith' && d.at >= startedAt).map((d) => d.at));
  const lastCandidate = Math.max(startedAt, ...decisions.filter((d) => d.target !== 'monolith').map((d) => d.at));
  return {
    commitMs: committedAt - startedAt,
    firstLegacyMs: firstLegacy - startedAt,
    lastCandidateMs: lastCandidate - startedAt,
    events: decisions.length,
  };
}

export async function run(): Promise<BenchResult[]> {
  const endpoint = process.env.CUTOVER_ENDPOINT;
  if (!endpoint) {
    return [
      {
        name: 'route rollback -> first event routed to legacy',
        figure: Number.NaN,
        unit: 'ms',
        target: '< 1000 ms',
        note: 'skipped: set CUTOVER_ENDPOINT to a MiniStack with the stacks deployed (npm run e2e deploys them)',
      },
    ];
  }
  if (!(await isHealthy(endpoint))) throw new Error(`CUTOVER_ENDPOINT=${endpoint} does not answer its health check`);
  const outputs = await outputsOf(endpoint, process.env.CUTOVER_PREFIX ?? 'Cutover');
  if (!Object.values(outputs).some((o) => o.RoutingTableName)) {
    return [
      {
        name: 'route rollback -> first event routed to legacy',
        figure: Number.NaN,
        unit: 'ms',
        target: '< 1000 ms',
        note: `skipped: no RoutingTableName output at ${endpoint} (deploy the stacks first)`,
      },
    ];
  }
  const driver = new RoutingDriver(endpoint, outputs);
  await driver.drain([CAPABILITY]);
  const base = Math.floor(Date.now() / 1000) % 8000;
  const rounds: Round[] = [];
  try {
    for (let n = 0; n < ROUNDS; n++) rounds.push(await round(driver, base, n + 1));
  } finally {
    await driver.control.change(CAPABILITY, { kind: 'rollback' }, 'bench:rollback', 'bench done');
    await driver.control.change(CAPABILITY, { kind: 'setHealth', health: 'unknown' }, 'bench:rollback', 'bench done');
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(rounds.map((r) => r.firstLegacyMs));
  const last = median(rounds.map((r) => r.lastCandidateMs));
  const commit = median(rounds.map((r) => r.commitMs));
  const detail = rounds.map((r) => `${r.firstLegacyMs}/${r.lastCandidateMs}/${r.commitMs} ms over ${r.events} events`).join('; ');
  return [
    {
      name: 'route rollback -> first event routed to legacy (median)',
      figure: first,
      unit: 'ms',
      baseline: commit,
      ratio: first / commit,
      target: '< 1000 ms',
      ok: first < 1000,
      note: `${ROUNDS} rounds on ${endpoint}, one event per ${INTERVAL_MS} ms; per round first-legacy/last-candidate/commit: ${detail}; baseline = the rollback transaction itself`,
    },
    {
      name: 'route rollback -> last event routed to the candidate (median)',
      figure: last,
      unit: 'ms',
      baseline: commit,
      ratio: last / commit,
      target: '<= 1000 ms + one table read',
      ok: last <= 1000 + commit + 250,
      note: 'the staleness bound: routers cache the table for at most 1 s from the start of its read',
    },
  ];
}
