import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsContext } from '../../cli/aws-context';
import { specDriftCommand } from '../../cli/commands/spec';
import { parseSpec, type SpecInput } from '../../core/spec';
import config from '../../cutover.config';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { BridgeHandler } from '../../functions/shared/bridge-handler';
import { Logger } from '../../functions/shared/logger';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

/*
 * Schema drift end to end below the emulator: the monolith adds a column to ORDER_CANCELLED; under each
 * policy the bridge translates (drop, keep) or quarantines (quarantine), and in every case records the
 * unknown field, which `cutover spec drift` then reports with its count and first sighting.
 */
const eb = mockClient(EventBridgeClient);
let db: LocalDynamo;
let n = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_e, i) => ({ EventId: `out-${i}` })),
  }));
});

function withPolicy(policy: 'quarantine' | 'keep' | 'drop' | undefined) {
  const input = structuredClone(config) as SpecInput;
  const def = input.bridge.legacyEvents.ORDER_CANCELLED as { additionalFields?: string };
  if (policy) def.additionalFields = policy;
  else delete def.additionalFields;
  return parseSpec(input);
}

async function setup(policy: 'quarantine' | 'keep' | 'drop' | undefined) {
  const suffix = ++n;
  await db.createTable(`audit-${suffix}`, 'stream', 'sk');
  await db.createTable(`quarantine-${suffix}`, 'reason', 'sk');
  const spec = withPolicy(policy);
  const audit = new AuditStore({ tableName: `audit-${suffix}`, client: db.doc, sleep: async () => undefined });
  const quarantine = new QuarantineStore({ tableName: `quarantine-${suffix}`, client: db.doc });
  const bridge = new BridgeHandler({
    direction: 'toService',
    spec,
    targetBusName: 'services',
    sourceBus: 'legacy',
    events: new EventBridgeClient({ region: 'us-east-1' }),
    quarantine,
    audit,
    logger: new Logger('test'),
  });
  return { spec, bridge, table: `audit-${suffix}`, quarantine };
}

const cancelled = (i: number, extra: Record<string, unknown>) => ({
  id: `eb-drift-${i}`,
  source: 'shop.monolith',
  'detail-type': 'ORDER_CANCELLED',
  time: `2026-11-21T15:0${i}:00Z`,
  detail: { ...config.bridge.legacyEvents.ORDER_CANCELLED.examples[0], MSG_ID: `MSG-DRIFT-000${i}`, ...extra },
});

async function drift(table: string) {
  const out: string[] = [];
  const code = await specDriftCommand(
    { config: 'cutover.config.ts', table, json: true },
    { stdout: (t) => out.push(t), stderr: () => undefined, context: new AwsContext({}, { dynamo: db.doc }) },
  );
  return {
    code,
    rows: out
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  };
}

describe('Schema drift', () => {
  it.each([
    ['drop (the default)', undefined, { translated: 3, quarantined: 0 }],
    ['drop', 'drop', { translated: 3, quarantined: 0 }],
    ['keep', 'keep', { translated: 3, quarantined: 0 }],
    ['quarantine', 'quarantine', { translated: 0, quarantined: 3 }],
  ] as const)('under %s: a new column is handled by the policy and recorded every time', async (_name, policy, counts) => {
    // Prepare
    const { bridge, table } = await setup(policy);
    const events = [1, 2, 3].map((i) => cancelled(i, { REFUND_CHANNEL: 'CARD' }));

    // Act
    const result = await bridge.handle(events);
    await bridge.handle(events[0]); // a redelivery is not counted twice
    const report = await drift(table);

    // Assess
    expect(result).toMatchObject({ received: 3, drifted: 3, ...counts });
    expect(report.code).toBe(2);
    expect(report.rows).toEqual([
      {
        eventType: 'ORDER_CANCELLED',
        field: 'REFUND_CHANNEL',
        policy: policy ?? 'drop',
        firstSeen: '2026-11-21T15:01:00Z',
        lastSeen: '2026-11-21T15:03:00Z',
        count: 3,
      },
    ]);
  });

  it('under keep, carries the unknown field to the service event in metadata.unmapped', async () => {
    const { bridge } = await setup('keep');
    await bridge.handle(cancelled(1, { REFUND_CHANNEL: 'CARD' }));
    const detail = JSON.parse(eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0].Detail!);
    expect(detail.metadata.unmapped).toEqual({ REFUND_CHANNEL: 'CARD' });
    expect(detail.data).not.toHaveProperty('REFUND_CHANNEL');
  });

  it('reports nothing (exit 0) when no event drifted', async () => {
    const { bridge, table } = await setup(undefined);
    await bridge.handle(cancelled(1, {}));
    expect(await drift(table)).toEqual({ code: 0, rows: [] });
  });
});
