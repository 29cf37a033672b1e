import { DYNAMODB_LIMITS, EVENTBRIDGE_MAX_ENTRY_BYTES, HASHED_KEY_PREFIX, type AuditRecord } from '../../core/audit';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { QuarantineStore, type QuarantineRecord } from '../../adapters/dynamodb/quarantine-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

/*
 * The stores at and over every limit a value from an event can reach, against dynalite (which enforces
 * DynamoDB's key and item sizes): a partition key of 2,048 bytes, a sort key of 1,024, an item of 400 KB,
 * and payloads around EventBridge's 256 KiB. None of them may make a store throw: keys are hashed (the
 * original kept), long text is cut (its size and hash kept).
 */
let db: LocalDynamo;
let audit: AuditStore;
let quarantine: QuarantineStore;

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable('audit', 'stream', 'sk');
  await db.createTable('quarantine', 'reason', 'sk');
  audit = new AuditStore({ tableName: 'audit', client: db.doc, sleep: async () => undefined });
  quarantine = new QuarantineStore({ tableName: 'quarantine', client: db.doc });
});
afterAll(async () => {
  await db.stop();
});

/** `n` bytes of UTF-8: ASCII, or 3-byte characters (with an ASCII tail) to catch byte/character confusion. */
const bytes = (n: number, wide = false): string => (wide ? '€'.repeat(Math.floor(n / 3)) + 'x'.repeat(n % 3) : 'k'.repeat(n));

const rec = (eventId: string, payload: string): AuditRecord => ({ kind: 'quarantine', eventId, bus: 'legacy', payload });

describe('Class: AuditStore at the limits', () => {
  describe('Method: append', () => {
    const keySizes = [DYNAMODB_LIMITS.partitionKey - 1, DYNAMODB_LIMITS.partitionKey, DYNAMODB_LIMITS.partitionKey + 1, 10_000, 200_000];
    it.each(
      keySizes.flatMap(
        (n) =>
          [
            [n, false],
            [n, true],
          ] as const,
      ),
    )('appends to a stream named by %i bytes (wide %s), readable by its name', async (n, wide) => {
      // Prepare
      const stream = `order-${bytes(n, wide)}`;

      // Act
      const result = await audit.append(stream, rec(`e-${n}-${wide}`, '{}'));

      // Assess
      expect(result.status).toBe('appended');
      const entries = [];
      for await (const e of audit.readStream(stream)) entries.push(e);
      expect(entries).toHaveLength(1);
      expect(entries[0].stream.startsWith(HASHED_KEY_PREFIX)).toBe(true);
      expect(String(entries[0].originalStream)).toBe(stream.slice(0, String(entries[0].originalStream).length));
      const report = await audit.verifyStream(stream);
      expect(report.broken).toBeUndefined();
      expect(report.markerProblems).toEqual([]);
    });

    it.each([DYNAMODB_LIMITS.sortKey - 2, DYNAMODB_LIMITS.sortKey, DYNAMODB_LIMITS.sortKey + 1, 50_000])(
      'appends an event id of %i bytes once (a redelivery is a duplicate)',
      async (n) => {
        // Prepare
        const eventId = `quarantine:${bytes(n)}`;

        // Act
        const first = await audit.append('order-ids', rec(eventId, '{}'));
        const again = await audit.append('order-ids', rec(eventId, '{}'));

        // Assess
        expect(first.status).toBe('appended');
        expect(again.status).toBe('duplicate');
      },
    );

    it.each([EVENTBRIDGE_MAX_ENTRY_BYTES, DYNAMODB_LIMITS.item - 1000, DYNAMODB_LIMITS.item, DYNAMODB_LIMITS.item + 1, 1_000_000])(
      'appends a payload of %i bytes, cut with its size and hash when over the budget',
      async (n) => {
        // Prepare
        const payload = JSON.stringify({ STREET: bytes(n - 14) });

        // Act
        const result = await audit.append('order-payloads', rec(`p-${n}`, payload));

        // Assess
        expect(result.status).toBe('appended');
        if (result.status !== 'appended') return;
        const stored = result.entry as unknown as { payload: string; payloadCut?: { bytes: number } };
        if (Buffer.byteLength(payload) > 300 * 1024) expect(stored.payloadCut?.bytes).toBe(Buffer.byteLength(payload));
        else expect(stored.payload).toBe(payload);
      },
    );
  });
});

describe('Class: QuarantineStore at the limits', () => {
  const record = (extra: Partial<QuarantineRecord>): QuarantineRecord => ({
    reason: 'schema',
    eventTime: '2026-11-21T10:00:00Z',
    eventBridgeId: 'eb-1',
    bus: 'legacy',
    detailType: 'ORDER_PLACED',
    source: 'shop.monolith',
    payload: '{}',
    problems: ['STREET: too long'],
    stream: 'order-1',
    quarantinedAt: '2026-11-21T10:00:01Z',
    ...extra,
  });

  it.each([DYNAMODB_LIMITS.sortKey - 21, DYNAMODB_LIMITS.sortKey, DYNAMODB_LIMITS.sortKey + 1, 100_000])(
    'stores an event id of %i bytes (the sort key stays under 1,024 bytes)',
    async (n) => {
      const id = bytes(n, true);
      expect(await quarantine.put(record({ eventBridgeId: id }))).toBe('stored');
      expect(await quarantine.put(record({ eventBridgeId: id }))).toBe('duplicate');
    },
  );

  it.each([EVENTBRIDGE_MAX_ENTRY_BYTES, DYNAMODB_LIMITS.item, DYNAMODB_LIMITS.item + 1, 2_000_000])(
    'stores a payload of %i bytes and 10,000 problems',
    async (n) => {
      // Prepare
      const problems = Array.from({ length: 10_000 }, (_v, i) => `LINES[${i}].SKU: "${'x'.repeat(70)}" does not match`);

      // Act
      const stored = await quarantine.put(
        record({ eventBridgeId: `big-${n}`, payload: bytes(n), stream: bytes(n), detailType: bytes(5000), problems }),
      );

      // Assess
      expect(stored).toBe('stored');
      const items = [];
      for await (const item of quarantine.query({ reason: 'schema' })) if (item.eventBridgeId === `big-${n}`) items.push(item);
      expect(items).toHaveLength(1);
      expect(items[0].problems.length).toBe(101);
      expect(items[0].problems[100]).toBe('... and 9900 more problems');
    },
  );
});
