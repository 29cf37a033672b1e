import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { AwsContext } from '../../cli/aws-context';
import { auditTailCommand, auditVerifyCommand } from '../../cli/commands/audit';
import { entrySortKey } from '../../core/audit';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

/* `cutover audit verify` and `audit tail` against dynalite, with the table named by --table. */
let db: LocalDynamo;
let store: AuditStore;
let context: AwsContext;

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable('audit', 'stream', 'sk');
  store = new AuditStore({ tableName: 'audit', client: db.doc, sleep: async () => undefined });
  context = new AwsContext({}, { dynamo: db.doc });
  const payload = (o: unknown) => JSON.stringify(o);
  await store.append('order-1', {
    kind: 'event',
    eventId: 'e1',
    bus: 'legacy',
    source: 'shop.monolith',
    detailType: 'ORDER_PLACED',
    payload: payload({ ORDER_NO: '1' }),
  });
  await store.append('order-1', {
    kind: 'quarantine',
    eventId: 'q1',
    bus: 'legacy',
    detailType: 'ORDER_PLACED',
    payload: payload({ reason: 'schema', problems: ['TOTAL_CENTS: "x" is not cents'] }),
  });
  await store.append('order-1', {
    kind: 'event',
    eventId: 'e2',
    bus: 'services',
    source: 'cutover.bridge',
    detailType: 'order.created',
    payload: payload({ metadata: {}, data: {} }),
  });
  await store.append('order-2', { kind: 'event', eventId: 'e3', bus: 'legacy', detailType: 'ORDER_PLACED', payload: '{}' });
});
afterAll(async () => {
  await db.stop();
});

async function cli(fn: (io: Parameters<typeof auditVerifyCommand>[1]) => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await fn({ stdout: (t) => out.push(t), stderr: (t) => err.push(t), context });
  return { code, out: out.join(''), err: err.join('') };
}

describe('Command: audit tail', () => {
  it("prints an order's history in order, quarantines with their problems", async () => {
    // Act
    const { code, out } = await cli((io) => auditTailCommand({ correlationId: 'order-1', table: 'audit' }, io));

    // Assess
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^#\s+1\s.*legacy\s+event\s+ORDER_PLACED\s+shop\.monolith\s+\{"ORDER_NO":"1"\}$/);
    expect(lines[1]).toMatch(/^#\s+2\s.*quarantine\s+ORDER_PLACED.*quarantined \(schema\): TOTAL_CENTS: "x" is not cents$/);
    expect(lines[2]).toMatch(/^#\s+3\s.*services\s+event\s+order\.created\s+cutover\.bridge/);
  });

  it('shows only the last entries with --last, and says how many were left out', async () => {
    const { out } = await cli((io) => auditTailCommand({ correlationId: 'order-1', last: 1, table: 'audit' }, io));
    expect(out).toMatch(/^#\s+3 /);
    expect(out).toMatch(/\(2 earlier entries not shown\)/);
  });

  it('names an unknown correlation id and the fix (exit 2)', async () => {
    const { code, err } = await cli((io) => auditTailCommand({ correlationId: 'order-404', table: 'audit' }, io));
    expect(code).toBe(2);
    expect(err).toMatch(/no audit entries for correlation id "order-404" in audit\n {2}fix: correlation ids look like order-1000001/);
  });
});

describe('Command: audit verify', () => {
  it('verifies every stream and exits 0', async () => {
    const { code, out } = await cli((io) => auditVerifyCommand({ table: 'audit' }, io));
    expect(code).toBe(0);
    expect(out).toMatch(/^verified: 4 entries in 2 stream\(s\), every chain intact/);
  });

  it('reports a tampered entry: stream, sequence, expected and found; exit 1', async () => {
    // Prepare: rewrite entry 2 of order-1 behind the store's back
    const entries = [];
    for await (const e of store.readStream('order-1')) entries.push(e);
    const original = entries[1];
    await db.doc.send(
      new PutCommand({ TableName: 'audit', Item: { ...original, sk: entrySortKey(2), payload: '{"reason":"none","problems":[]}' } }),
    );

    try {
      // Act
      const { code, out } = await cli((io) => auditVerifyCommand({ table: 'audit' }, io));

      // Assess
      expect(code).toBe(1);
      expect(out).toMatch(/BROKEN "order-1"\n {2}at sequence 2 \(hash\): the stored hash does not match the entry/);
      expect(out).toContain(`found    ${original.hash}`);
      expect(out).toMatch(/expected [0-9a-f]{64}/);
      expect(out).toMatch(/NOT VERIFIED: 1 of 2 stream\(s\) broken/);
    } finally {
      await db.doc.send(new PutCommand({ TableName: 'audit', Item: { ...original, sk: entrySortKey(2) } }));
    }
    // And restoring the original entry restores the chain.
    expect((await cli((io) => auditVerifyCommand({ table: 'audit', stream: 'order-1' }, io))).code).toBe(0);
  });

  it('names an empty stream and the fix', async () => {
    const { code, err } = await cli((io) => auditVerifyCommand({ table: 'audit', stream: 'order-404' }, io));
    expect(code).toBe(2);
    expect(err).toMatch(/no audit entries in stream "order-404"/);
  });
});
