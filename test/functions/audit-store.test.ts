import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChainVerifier, entrySortKey, hashEntry, type AuditRecord } from '../../core/audit';
import { AuditContentionError, AuditStore, toEntry } from '../../adapters/dynamodb/audit-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';

/*
 * The append protocol against dynalite: concurrent writers, redelivery (sequential and concurrent), a
 * writer that dies between the entry and its marker, pagination of long streams, and tamper detection.
 */
let db: LocalDynamo;
let tableSeq = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

async function freshStore(
  options: Partial<ConstructorParameters<typeof AuditStore>[0]> = {},
  client?: DynamoDBDocumentClient,
): Promise<AuditStore> {
  const tableName = `audit-${++tableSeq}`;
  await db.createTable(tableName, 'stream', 'sk');
  return new AuditStore({ tableName, client: client ?? db.doc, sleep: async () => undefined, ...options });
}

/** A client that fails every marker put, like a Lambda killed between the entry and its marker. */
function markerDyingClient(): DynamoDBDocumentClient {
  return {
    send: (cmd: { input: { Item?: { sk?: string } } }) => {
      if (cmd instanceof PutCommand && String(cmd.input.Item?.sk).startsWith('E#')) return Promise.reject(new Error('Task timed out'));
      return db.doc.send(cmd as never);
    },
  } as unknown as DynamoDBDocumentClient;
}

const rec = (id: string, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  kind: 'event',
  eventId: id,
  bus: 'legacy',
  payload: JSON.stringify({ id }),
  ...extra,
});

async function all(store: AuditStore, stream: string, pageSize?: number) {
  const out = [];
  for await (const e of store.readStream(stream, { pageSize })) out.push(e);
  return out;
}

describe('Class: AuditStore', () => {
  describe('Method: append', () => {
    it('appends entries 1, 2, 3 linked by hash, each with its marker', async () => {
      // Prepare
      const store = await freshStore();

      // Act
      const results = [];
      for (const id of ['a', 'b', 'c']) results.push(await store.append('order-1', rec(id)));

      // Assess
      expect(results.map((r) => r.status)).toEqual(['appended', 'appended', 'appended']);
      const entries = await all(store, 'order-1');
      expect(entries.map((e) => [e.sequence, e.eventId])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
      expect(entries[1].prevHash).toBe(entries[0].hash);
      const markers = [];
      for await (const m of store.readMarkers('order-1')) markers.push(m);
      expect(markers.map((m) => [m.eventId, m.sequence])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
      expect((await store.verifyStream('order-1')).broken).toBeUndefined();
    });

    it('logs a redelivered event once', async () => {
      // Prepare
      const store = await freshStore();
      await store.append('s', rec('x'));
      await store.append('s', rec('y'));

      // Act
      const again = await store.append('s', rec('x'));

      // Assess
      expect(again).toEqual({ status: 'duplicate', stream: 's', sequence: 1 });
      expect((await all(store, 's')).map((e) => e.eventId)).toEqual(['x', 'y']);
    });

    it('keeps streams apart: each has its own sequence', async () => {
      const store = await freshStore();
      await store.append('s1', rec('a'));
      await store.append('s2', rec('b'));
      await store.append('s1', rec('c'));
      expect((await all(store, 's1')).map((e) => e.sequence)).toEqual([1, 2]);
      expect((await all(store, 's2')).map((e) => e.sequence)).toEqual([1]);
    });

    it('gives concurrent writers of one stream a gapless, verifiable chain (one entry each)', async () => {
      // Prepare
      const store = await freshStore({ maxAttempts: 40 });
      const ids = Array.from({ length: 16 }, (_v, i) => `w${i}`);

      // Act
      const results = await Promise.all(ids.map((id) => store.append('hot', rec(id))));

      // Assess
      expect(results.every((r) => r.status === 'appended')).toBe(true);
      const entries = await all(store, 'hot');
      expect(entries.map((e) => e.sequence)).toEqual(ids.map((_v, i) => i + 1));
      expect(new Set(entries.map((e) => e.eventId))).toEqual(new Set(ids));
      expect((await store.verifyStream('hot')).broken).toBeUndefined();
      // Somebody lost a race and retried: the conditions did their job.
      expect(Math.max(...results.map((r) => (r.status === 'appended' ? r.attempts : 0)))).toBeGreaterThan(1);
    });

    it('logs an event delivered several times at once exactly once', async () => {
      // Prepare
      const store = await freshStore({ maxAttempts: 40 });
      await store.append('dup', rec('before'));

      // Act
      const results = await Promise.all(Array.from({ length: 6 }, () => store.append('dup', rec('same'))));

      // Assess
      expect(results.filter((r) => r.status === 'appended')).toHaveLength(1);
      expect((await all(store, 'dup')).map((e) => e.eventId)).toEqual(['before', 'same']);
    });

    it('does not log twice when a writer died after the entry and before the marker', async () => {
      // Prepare: a writer whose marker puts fail, like a Lambda killed between the two writes
      const store0 = await freshStore();
      const dying = markerDyingClient();
      const crashing = new AuditStore({ tableName: store0.tableName, client: dying });
      await store0.append('c', rec('first'));
      await expect(crashing.append('c', rec('victim'))).rejects.toThrow('Task timed out');
      await store0.append('c', rec('later'));

      // Act: the redelivery
      const retry = await store0.append('c', rec('victim'));

      // Assess
      expect(retry).toEqual({ status: 'duplicate', stream: 'c', sequence: 2 });
      expect((await all(store0, 'c')).map((e) => e.eventId)).toEqual(['first', 'victim', 'later']);
      // And the marker was written on the way, so the next redelivery is O(1).
      const markers = [];
      for await (const m of store0.readMarkers('c')) markers.push(m.eventId);
      expect(markers).toContain('victim');
    });

    it('reads the head once for a run of appends to one stream, and every time with rememberStreams 0', async () => {
      // Prepare: count the Queries (step 2) each store sends
      const counting = () => {
        const counter = { queries: 0, client: undefined as unknown as DynamoDBDocumentClient };
        counter.client = {
          send: (cmd: unknown) => {
            if (cmd instanceof QueryCommand) counter.queries++;
            return db.doc.send(cmd as never);
          },
        } as unknown as DynamoDBDocumentClient;
        return counter;
      };
      const remembering = counting();
      const reading = counting();
      const store = await freshStore({}, remembering.client);
      const everyTime = new AuditStore({ tableName: store.tableName, client: reading.client, rememberStreams: 0 });

      // Act
      for (const id of ['a', 'b', 'c', 'd']) await store.append('run', rec(id));
      for (const id of ['w', 'x', 'y']) await everyTime.append('other', rec(id));

      // Assess
      expect(remembering.queries).toBe(1);
      expect(reading.queries).toBe(3);
      const reader = new AuditStore({ tableName: store.tableName, client: db.doc });
      expect((await all(reader, 'run')).map((e) => [e.sequence, e.eventId])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
        [4, 'd'],
      ]);
      expect((await reader.verifyStream('run')).broken).toBeUndefined();
    });

    it('recovers from a remembered head gone stale at once: another writer appended, the chain stays whole', async () => {
      // Prepare: two writers of one stream; `a` remembers the head it wrote, then `b` appends after it
      const sleeps: number[] = [];
      const a = await freshStore({ sleep: async (ms) => void sleeps.push(ms) });
      const b = new AuditStore({ tableName: a.tableName, client: db.doc });
      await a.append('s', rec('a1'));
      await b.append('s', rec('b1'));

      // Act
      const result = await a.append('s', rec('a2'));
      const again = await a.append('s', rec('a3'));

      // Assess: the stale put failed its condition, the head was read again, no pause, not counted as a race
      expect(result).toMatchObject({ status: 'appended', attempts: 1, entry: { sequence: 3 } });
      expect(again).toMatchObject({ status: 'appended', entry: { sequence: 4 } });
      expect(sleeps).toEqual([]);
      expect((await all(a, 's')).map((e) => e.eventId)).toEqual(['a1', 'b1', 'a2', 'a3']);
      expect((await a.verifyStream('s')).broken).toBeUndefined();
    });

    it('finds its own earlier entry behind a stale remembered head (written by a writer that died before the marker)', async () => {
      // Prepare: store0 remembers head 1; a crashing writer appends `victim` at 2 and dies before the marker
      const store0 = await freshStore();
      const dying = markerDyingClient();
      await store0.append('c', rec('first'));
      await expect(new AuditStore({ tableName: store0.tableName, client: dying }).append('c', rec('victim'))).rejects.toThrow(
        'Task timed out',
      );

      // Act: the redelivery reaches the writer that remembers head 1
      const retry = await store0.append('c', rec('victim'));

      // Assess
      expect(retry).toEqual({ status: 'duplicate', stream: 'c', sequence: 2 });
      expect((await all(store0, 'c')).map((e) => e.eventId)).toEqual(['first', 'victim']);
    });

    it('does not take a remembered event as logged when the table no longer holds its marker', async () => {
      // Prepare: a warm store appended `x`; then the stream's items are removed behind its back
      const store = await freshStore();
      await store.append('gone', rec('x'));
      const items = await db.doc.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'stream' },
          ExpressionAttributeValues: { ':s': 'gone' },
        }),
      );
      expect(items.Items?.length).toBeGreaterThanOrEqual(2);
      for (const item of items.Items ?? [])
        await db.doc.send(new DeleteCommand({ TableName: store.tableName, Key: { stream: 'gone', sk: item.sk } }));

      // Act: the same event arrives again
      const result = await store.append('gone', rec('x'));

      // Assess: logged again, at the start of what the table now holds
      expect(result).toMatchObject({ status: 'appended', entry: { sequence: 1, eventId: 'x' } });
      expect((await all(store, 'gone')).map((e) => e.eventId)).toEqual(['x']);
    });

    it('gives up with AuditContentionError after maxAttempts lost races', async () => {
      // Prepare: a client whose entry puts always fail their condition
      const store0 = await freshStore();
      const contended = {
        send: (cmd: { input: { Item?: { sk?: string } } }) => {
          if (cmd instanceof PutCommand && String(cmd.input.Item?.sk).startsWith('S#')) {
            return Promise.reject(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
          }
          return db.doc.send(cmd as never);
        },
      } as unknown as DynamoDBDocumentClient;
      const store = new AuditStore({ tableName: store0.tableName, client: contended, maxAttempts: 3, sleep: async () => undefined });

      // Act / Assess
      await expect(store.append('s', rec('x'))).rejects.toThrow(AuditContentionError);
      await expect(store.append('s', rec('x'))).rejects.toThrow(/lost the race for the head 3 times/);
    });

    it('never overwrites an existing entry (the condition holds even against a stale head)', async () => {
      // Prepare
      const store = await freshStore();
      await store.append('s', rec('a'));
      const existing = (await all(store, 's'))[0];

      // Act: a blind put of another entry at sequence 1 through the same condition the store uses
      const blind = db.doc.send(
        new PutCommand({
          TableName: store.tableName,
          Item: { ...existing, eventId: 'forged', sk: entrySortKey(1) },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );

      // Assess
      await expect(blind).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      expect((await all(store, 's'))[0].eventId).toBe('a');
    });
  });

  describe('Method: readStream', () => {
    it('pages through a long stream in order (LastEvaluatedKey followed to the end)', async () => {
      // Prepare
      const store = await freshStore();
      for (let i = 0; i < 23; i++) await store.append('long', rec(`e${i}`));

      // Act
      const paged = await all(store, 'long', 5);

      // Assess
      expect(paged.map((e) => e.sequence)).toEqual(Array.from({ length: 23 }, (_v, i) => i + 1));
      expect((await store.head('long'))?.sequence).toBe(23);
    });

    it('pages the whole table when listing streams', async () => {
      const store = await freshStore();
      for (const s of ['a', 'b', 'c', 'd']) await store.append(s, rec(`${s}-1`));
      const streams = [];
      for await (const s of store.listStreams({ pageSize: 2 })) streams.push(s);
      expect(streams.sort()).toEqual(['a', 'b', 'c', 'd']);
    });
  });

  describe('Method: verifyStream', () => {
    it('finds an entry changed in the table, at its sequence', async () => {
      // Prepare
      const store = await freshStore();
      for (const id of ['a', 'b', 'c']) await store.append('t', rec(id));
      const [, second] = await all(store, 't');
      await db.doc.send(
        new PutCommand({ TableName: store.tableName, Item: { ...second, sk: entrySortKey(2), payload: '{"id":"b","refund":true}' } }),
      );

      // Act
      const report = await store.verifyStream('t');

      // Assess
      expect(report.broken).toMatchObject({ stream: 't', sequence: 2, check: 'hash', found: second.hash });
    });

    it('finds a deleted last entry through its orphaned marker (truncation)', async () => {
      // Prepare: delete entry 3 by overwriting the table without it (no DeleteItem in the store)
      const store = await freshStore();
      for (const id of ['a', 'b', 'c']) await store.append('t', rec(id));
      const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
      await db.doc.send(new DeleteCommand({ TableName: store.tableName, Key: { stream: 't', sk: entrySortKey(3) } }));

      // Act
      const report = await store.verifyStream('t');

      // Assess
      expect(report.broken).toBeUndefined();
      expect(report.markerProblems).toEqual(['marker for event c points at sequence 3, which is missing']);
    });

    it('totals several streams through one verifier', async () => {
      const store = await freshStore();
      await store.append('x', rec('1'));
      await store.append('y', rec('2'));
      await store.append('y', rec('3'));
      const verifier = new ChainVerifier();
      await store.verifyStream('x', { verifier });
      await store.verifyStream('y', { verifier });
      expect(verifier.result()).toEqual({ ok: true, streams: 2, entries: 3 });
    });
  });

  describe('Function: toEntry', () => {
    it('turns an item whose sort key disagrees with its sequence into a broken entry', async () => {
      const store = await freshStore();
      await store.append('k', rec('a'));
      const [entry] = await all(store, 'k');
      const moved = toEntry({ ...entry, sk: entrySortKey(5) });
      expect(moved.sequence).toBe(5);
      expect(hashEntry(moved)).not.toBe(entry.hash);
    });
  });
});
