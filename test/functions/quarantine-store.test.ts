import { QUARANTINE_REASONS } from '../../core/translate/quarantine-reasons';
import { QuarantineStore, quarantineSortKey, type QuarantineRecord } from '../../adapters/dynamodb/quarantine-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

let db: LocalDynamo;
let store: QuarantineStore;

beforeAll(async () => {
  db = await startDynalite();
  await db.createTable('quarantine', 'reason', 'sk');
  store = new QuarantineStore({ tableName: 'quarantine', client: db.doc });
});
afterAll(async () => {
  await db.stop();
});

const record = (id: string, eventTime: string, extra: Partial<QuarantineRecord> = {}): QuarantineRecord => ({
  reason: 'schema',
  eventTime,
  eventBridgeId: id,
  bus: 'legacy',
  detailType: 'ORDER_PLACED',
  source: 'shop.monolith',
  payload: JSON.stringify({ ORDER_NO: id }),
  problems: [`TOTAL_CENTS: "x${id}" is not cents`],
  stream: `order-${id}`,
  quarantinedAt: '2026-11-21T15:00:00.000Z',
  ...extra,
});

async function list(q: Parameters<QuarantineStore['query']>[0]) {
  const out = [];
  for await (const item of store.query(q)) out.push(item);
  return out;
}

describe('Class: QuarantineStore', () => {
  describe('Method: put', () => {
    it('stores a record once; a redelivery is a duplicate and changes nothing', async () => {
      // Act
      const first = await store.put(record('q1', '2026-11-21T10:00:00Z'));
      const again = await store.put(record('q1', '2026-11-21T10:00:00Z', { problems: ['something else'] }));

      // Assess
      expect([first, again]).toEqual(['stored', 'duplicate']);
      const [item] = await list({ reason: 'schema', since: '2026-11-21T10:00:00Z', until: '2026-11-21T10:00:01Z' });
      expect(item).toMatchObject({
        eventBridgeId: 'q1',
        problems: ['TOTAL_CENTS: "xq1" is not cents'],
        sk: quarantineSortKey('2026-11-21T10:00:00Z', 'q1'),
      });
      expect(JSON.parse(item.payload)).toEqual({ ORDER_NO: 'q1' });
    });
  });

  describe('Method: query', () => {
    beforeAll(async () => {
      for (let h = 11; h <= 16; h++) await store.put(record(`t${h}`, `2026-11-21T${h}:00:00Z`));
      await store.put(record('u1', '2026-11-21T12:30:00Z', { reason: 'unknown-type' }));
    });

    it('reads one reason in time order within [since, until)', async () => {
      const items = await list({ reason: 'schema', since: '2026-11-21T12:00:00Z', until: '2026-11-21T15:00:00Z' });
      expect(items.map((i) => i.eventBridgeId)).toEqual(['t12', 't13', 't14']);
    });

    it('reads newest first and follows pages', async () => {
      const items = await list({ reason: 'schema', since: '2026-11-21T11:00:00Z', newestFirst: true, pageSize: 2 });
      expect(items.map((i) => i.eventBridgeId)).toEqual(['t16', 't15', 't14', 't13', 't12', 't11']);
    });

    it('keeps reasons apart', async () => {
      expect((await list({ reason: 'unknown-type' })).map((i) => i.eventBridgeId)).toEqual(['u1']);
      expect(await list({ reason: 'no-translation' })).toEqual([]);
    });
  });

  it('knows every reason the translator can give', () => {
    expect(QUARANTINE_REASONS.sort()).toEqual([
      'envelope',
      'loop',
      'no-translation',
      'schema',
      'unknown-type',
      'unknown-version',
      'untranslatable',
    ]);
  });
});
