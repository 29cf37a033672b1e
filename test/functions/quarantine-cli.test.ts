import { AwsContext } from '../../cli/aws-context';
import { quarantineListCommand } from '../../cli/commands/quarantine';
import { QuarantineStore, type QuarantineRecord } from '../../adapters/dynamodb/quarantine-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

let db: LocalDynamo;

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable('quarantine', 'reason', 'sk');
  const store = new QuarantineStore({ tableName: 'quarantine', client: db.doc });
  const record = (id: string, reason: QuarantineRecord['reason'], eventTime: string): QuarantineRecord => ({
    reason,
    eventTime,
    eventBridgeId: id,
    bus: 'legacy',
    detailType: 'ORDER_PLACED',
    source: 'shop.monolith',
    payload: JSON.stringify({ ORDER_NO: id }),
    problems: [`ORDER_NO: "${id}" is not 6-10 digits`],
    stream: `order-${id}`,
    quarantinedAt: '2026-11-21T15:00:00.000Z',
  });
  await store.put(record('q-1', 'schema', '2026-11-21T14:00:00.000Z'));
  await store.put(record('q-2', 'schema', '2026-11-21T14:05:00.000Z'));
  await store.put(record('q-3', 'unknown-type', '2026-11-21T14:10:00.000Z'));
});
afterAll(async () => {
  await db.stop();
});

async function run(opts: Parameters<typeof quarantineListCommand>[0]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const code = await quarantineListCommand(
    { table: 'quarantine', ...opts },
    {
      context: new AwsContext({}, { dynamo: db.doc }),
      stdout: (t: string) => void chunks.push(t),
      stderr: (t: string) => void chunks.push(t),
    },
  );
  return { code, out: chunks.join('') };
}

describe('Command: quarantine list', () => {
  it('lists every reason newest first, with each problem', async () => {
    // Act
    const { code, out } = await run({});

    // Assess
    expect(code).toBe(0);
    const ids = [...out.matchAll(/ (q-\d)\n/g)].map((m) => m[1]);
    expect(ids).toEqual(['q-3', 'q-2', 'q-1']);
    expect(out).toContain('ORDER_NO: "q-2" is not 6-10 digits');
    expect(out).toContain('3 quarantined event(s)\n');
  });

  it('filters by reason and names it, and stops at --limit', async () => {
    // Act
    const { out } = await run({ reason: 'schema', limit: 1 });

    // Assess
    expect([...out.matchAll(/ (q-\d)\n/g)].map((m) => m[1])).toEqual(['q-2']);
    expect(out).toContain('1 quarantined event(s) with reason schema (the payload or its envelope fails the schema)');
  });

  it('writes whole records as JSON lines with --json', async () => {
    // Act
    const { out } = await run({ json: true, since: '2026-11-21T14:04:00.000Z' });

    // Assess
    const records = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as QuarantineRecord);
    expect(records.map((r) => r.eventBridgeId)).toEqual(['q-3', 'q-2']);
    expect(records[0].payload).toBe('{"ORDER_NO":"q-3"}');
  });
});
