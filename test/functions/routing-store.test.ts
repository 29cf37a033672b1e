import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { RouteEntryError, TransitionError, type RouteHistoryRecord } from '../../core/routing';
import {
  ROUTE_SK,
  RouteWriteConflictError,
  RoutingStore,
  SERVICE_SK_PREFIX,
  ServiceRegistrationError,
  UnknownCapabilityError,
  isLostRace,
} from '../../adapters/dynamodb/routing-store';
import { startDynalite, type LocalDynamo } from './audit-dynalite';
import { createRoutingTables, inventoryEntry, spec } from './routing-fixtures';

const NOW = new Date('2026-11-22T09:00:00.000Z');
const routing = spec.routing!;

/*
 * The routing store. Reads, seeding, history order and registrations run against dynalite (real DynamoDB
 * condition and key semantics). dynalite has no TransactWriteItems, so the transactional change is checked
 * here at the request level with aws-sdk-client-mock (conditions, retry on a lost race, no retry otherwise);
 * its atomicity against a real engine is exercised on MiniStack in test/e2e/routing.test.ts.
 */
describe('Class: RoutingStore (dynalite)', () => {
  let db: LocalDynamo;
  let n = 0;
  const fresh = async () => {
    n += 1;
    const names = { table: `routing-${n}`, history: `routing-history-${n}` };
    await createRoutingTables(db, names);
    return new RoutingStore({
      tableName: names.table,
      historyTableName: names.history,
      routing,
      serviceEvents: spec.bridge.serviceEvents,
      client: db.doc,
      now: () => NOW,
    });
  };

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.stop();
  });

  describe('Method: seed', () => {
    it('writes the spec entry of every capability, each at revision 0 with its initial mode', async () => {
      // Prepare
      const store = await fresh();

      // Act
      const result = await store.seed();
      const { entries, invalid } = await store.load();

      // Assess
      expect(result).toEqual(Object.keys(routing.capabilities).map((capability) => ({ capability, status: 'seeded' })));
      expect(invalid).toEqual([]);
      expect([...entries.keys()].sort()).toEqual(Object.keys(routing.capabilities).sort());
      expect(entries.get('notification')).toMatchObject({ mode: 'shadow', percent: 0, revision: 0, health: 'unknown' });
      expect(entries.get('inventory')).toMatchObject({ mode: 'legacy', candidate: { version: 'v2', target: 'inventory-v2' } });
    });

    it('never overwrites a live entry: a second seed after a rollback leaves the rollback in place', async () => {
      // Prepare: a live entry that differs from the seed (canary at revision 5)
      const store = await fresh();
      const live = inventoryEntry({ mode: 'canary', percent: 25, revision: 5, reason: 'ramping' });
      await db.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...live, sk: ROUTE_SK } }));

      // Act
      const result = await store.seed();
      const after = await store.getEntry('inventory');

      // Assess
      expect(result.find((r) => r.capability === 'inventory')).toEqual({ capability: 'inventory', status: 'exists' });
      expect(after).toEqual(live);
    });
  });

  describe('Method: load', () => {
    it('reports an invalid row by field and value instead of failing the whole table', async () => {
      // Prepare: a hand-edited row saying legacy with 40 percent
      const store = await fresh();
      await store.seed();
      const bad = { ...inventoryEntry(), percent: 40, sk: ROUTE_SK };
      await db.doc.send(new PutCommand({ TableName: store.tableName, Item: bad }));

      // Act
      const { entries, invalid } = await store.load();

      // Assess
      expect(entries.has('inventory')).toBe(false);
      expect(entries.has('payment')).toBe(true);
      expect(invalid).toEqual([{ capability: 'inventory', problems: ['percent: must be 0 in legacy mode, got 40'] }]);
      await expect(store.getEntry('inventory')).rejects.toThrow(RouteEntryError);
    });

    it('groups registrations by capability next to the entries', async () => {
      // Prepare
      const store = await fresh();
      await store.seed();
      await store.register({
        capability: 'inventory',
        version: 'v1',
        target: 'inventory-v1',
        accepts: { 'order.created': [1], 'order.cancelled': [1] },
        actor: 'test',
      });
      await store.register({
        capability: 'inventory',
        version: 'v2',
        target: 'inventory-v2',
        accepts: { 'order.created': [1, 2], 'order.cancelled': [1] },
        actor: 'test',
      });

      // Act
      const { entries, services } = await store.load();

      // Assess
      expect(entries.size).toBe(Object.keys(routing.capabilities).length);
      expect((services.get('inventory') ?? []).map((s) => s.target).sort()).toEqual(['inventory-v1', 'inventory-v2']);
      expect(services.get('inventory')?.find((s) => s.version === 'v2')?.accepts).toEqual({
        'order.created': [1, 2],
        'order.cancelled': [1],
      });
    });
  });

  describe('Method: history', () => {
    it('lists newest first by default, oldest first on request, and honours the limit', async () => {
      // Prepare: three records as the transaction writes them
      const store = await fresh();
      const base = inventoryEntry();
      for (const revision of [1, 2, 3]) {
        const record: RouteHistoryRecord = {
          capability: 'inventory',
          revision,
          at: `2026-11-22T09:0${revision}:00.000Z`,
          actor: 'ops',
          reason: `step ${revision}`,
          change: { kind: 'setHealth', health: 'healthy' },
          from: { ...base, candidate: { ...base.candidate } },
          to: { ...base, candidate: { ...base.candidate } },
        } as RouteHistoryRecord;
        await db.doc.send(new PutCommand({ TableName: store.historyTableName, Item: record }));
      }

      // Act
      const newest = await store.history('inventory');
      const oldest = await store.history('inventory', { oldestFirst: true, limit: 2 });

      // Assess
      expect(newest.map((h) => h.revision)).toEqual([3, 2, 1]);
      expect(oldest.map((h) => h.revision)).toEqual([1, 2]);
      expect(await store.history('payment')).toEqual([]);
    });
  });

  describe('Method: register', () => {
    it.each([
      [{ version: 'v9' }, 'version: "v9" is not an implementation of inventory (v1, v2)'],
      [{ target: 'inventory-v1' }, 'target: inventory v2 delivers to "inventory-v2", got "inventory-v1"'],
      [
        { accepts: { 'order.created': [2], 'order.cancelled': [1], 'payment.captured': [1] } },
        'accepts.payment.captured: inventory does not route payment.captured',
      ],
      [{ accepts: { 'order.created': [7], 'order.cancelled': [1] } }, 'accepts.order.created: version 7 is not declared (declared: 1, 2)'],
      [{ accepts: { 'order.created': [2] } }, 'accepts: says nothing about order.cancelled'],
      [{ capability: 'billing' }, 'capability: "billing" is not routed by the spec'],
    ])('refuses %j, naming the field and the value', async (override, message) => {
      // Prepare
      const store = await fresh();
      const input = {
        capability: 'inventory',
        version: 'v2',
        target: 'inventory-v2',
        accepts: { 'order.created': [2], 'order.cancelled': [1] },
        actor: 'test',
        ...override,
      };

      // Act
      const attempt = store.register(input);

      // Assess
      await expect(attempt).rejects.toThrow(ServiceRegistrationError);
      await expect(store.register(input)).rejects.toThrow(message);
    });

    it('keeps the last health report across a re-registration', async () => {
      // Prepare
      const store = await fresh();
      await store.seed();
      await store.register({
        capability: 'inventory',
        version: 'v1',
        target: 'inventory-v1',
        accepts: { 'order.created': [1], 'order.cancelled': [1] },
        actor: 'test',
      });
      // inventory-v1 is not the candidate (v2 is): the report lands on the registration only, no transaction needed
      const report = await store.reportHealth({
        capability: 'inventory',
        target: 'inventory-v1',
        health: 'unhealthy',
        reason: 'db down',
        actor: 'test',
      });

      // Act
      const again = await store.register({
        capability: 'inventory',
        version: 'v1',
        target: 'inventory-v1',
        accepts: { 'order.created': [1, 2], 'order.cancelled': [1] },
        actor: 'test',
      });

      // Assess
      expect(report).toEqual({ registration: 'updated', entry: undefined });
      expect(again).toMatchObject({ health: 'unhealthy', healthReason: 'db down', accepts: { 'order.created': [1, 2] } });
      expect((await store.getEntry('inventory'))?.health).toBe('unknown');
    });
  });

  it('refuses a capability the spec does not route', async () => {
    const store = await fresh();
    await expect(store.change('billing', { kind: 'rollback' }, 'ops', 'why')).rejects.toThrow(UnknownCapabilityError);
  });
});

describe('Class: RoutingStore (transactions, request level)', () => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  const ddb = mockClient(doc);
  const store = new RoutingStore({
    tableName: 'routing',
    historyTableName: 'history',
    routing,
    client: doc,
    now: () => NOW,
    sleep: async () => undefined,
    maxAttempts: 3,
  });
  const stored = (overrides: Parameters<typeof inventoryEntry>[0] = {}) => ({ Item: { ...inventoryEntry(overrides), sk: ROUTE_SK } });
  const lostRace = () =>
    new TransactionCanceledException({
      message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]',
      $metadata: {},
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
    });

  afterEach(() => ddb.reset());

  describe('Method: change', () => {
    it('puts the entry on condition of the revision it read and the history record on condition it is new, in one transaction', async () => {
      // Prepare
      ddb.on(GetCommand).resolves(stored({ mode: 'shadow', revision: 3 }));
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const outcome = await store.change('inventory', { kind: 'promote', percent: 10 }, 'ops@example.com', 'first canary');

      // Assess
      const calls = ddb.commandCalls(TransactWriteCommand);
      expect(calls).toHaveLength(1);
      const [entryPut, historyPut] = calls[0].args[0].input.TransactItems!;
      expect(entryPut.Put).toMatchObject({
        TableName: 'routing',
        Item: {
          capability: 'inventory',
          sk: ROUTE_SK,
          mode: 'canary',
          percent: 10,
          revision: 4,
          updatedBy: 'ops@example.com',
          reason: 'first canary',
        },
        ConditionExpression: '#revision = :previous',
        ExpressionAttributeValues: { ':previous': 3 },
      });
      expect(historyPut.Put).toMatchObject({
        TableName: 'history',
        Item: {
          capability: 'inventory',
          revision: 4,
          actor: 'ops@example.com',
          reason: 'first canary',
          from: { mode: 'shadow' },
          to: { mode: 'canary', percent: 10 },
        },
        ConditionExpression: 'attribute_not_exists(#revision)',
      });
      expect(outcome).toMatchObject({ changed: true, attempts: 1, seeded: false, entry: { revision: 4 } });
    });

    it('reads with ConsistentRead before deciding', async () => {
      ddb.on(GetCommand).resolves(stored());
      ddb.on(TransactWriteCommand).resolves({});
      await store.change('inventory', { kind: 'setMode', mode: 'shadow' }, 'ops', 'shadow it');
      expect(ddb.commandCalls(GetCommand)[0].args[0].input).toMatchObject({
        Key: { capability: 'inventory', sk: ROUTE_SK },
        ConsistentRead: true,
      });
    });

    it('starts from the spec seed when no entry is stored, and writes it only if still absent', async () => {
      // Prepare
      ddb.on(GetCommand).resolves({});
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const outcome = await store.change('inventory', { kind: 'setMode', mode: 'shadow' }, 'ops', 'start shadowing');

      // Assess
      const [entryPut] = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
      expect(entryPut.Put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(capability)',
        Item: { revision: 1, mode: 'shadow' },
      });
      expect(outcome).toMatchObject({ changed: true, seeded: true });
    });

    it('re-reads and re-applies after losing the race, conditioned on the newer revision', async () => {
      // Prepare: canary 25 at rev 3; a concurrent writer moves it to canary 50 at rev 4 before our write lands
      ddb
        .on(GetCommand)
        .resolvesOnce(stored({ mode: 'canary', percent: 25, revision: 3 }))
        .resolves(stored({ mode: 'canary', percent: 50, revision: 4 }));
      ddb.on(TransactWriteCommand).rejectsOnce(lostRace()).resolves({});

      // Act
      const outcome = await store.change('inventory', { kind: 'rollback' }, 'ops', 'errors');

      // Assess
      const calls = ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems!);
      expect(calls).toHaveLength(2);
      expect(calls[0][0].Put?.ExpressionAttributeValues).toEqual({ ':previous': 3 });
      expect(calls[1][0].Put?.ExpressionAttributeValues).toEqual({ ':previous': 4 });
      expect(calls[1][1].Put?.Item).toMatchObject({
        revision: 5,
        from: { mode: 'canary', percent: 50 },
        to: { mode: 'legacy', percent: 0 },
      });
      expect(outcome).toMatchObject({ changed: true, attempts: 2, entry: { mode: 'legacy', revision: 5 } });
    });

    it('gives up with RouteWriteConflictError after maxAttempts lost races', async () => {
      ddb.on(GetCommand).resolves(stored({ mode: 'shadow' }));
      ddb.on(TransactWriteCommand).rejects(lostRace());
      await expect(store.change('inventory', { kind: 'rollback' }, 'ops', 'errors')).rejects.toThrow(RouteWriteConflictError);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(3);
    });

    it('does not retry other failures (they are not a lost race)', async () => {
      ddb.on(GetCommand).resolves(stored({ mode: 'shadow' }));
      const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
      ddb.on(TransactWriteCommand).rejects(denied);
      await expect(store.change('inventory', { kind: 'rollback' }, 'ops', 'errors')).rejects.toThrow('not authorized');
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('writes nothing for a change that changes nothing (a repeated rollback)', async () => {
      ddb.on(GetCommand).resolves(stored({ mode: 'legacy' }));
      const outcome = await store.change('inventory', { kind: 'rollback' }, 'alarm:x', 'again');
      expect(outcome).toMatchObject({ changed: false, attempts: 1 });
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });

    it('rolls back even a hand-edited, invalid row: rebuilt from the spec seed, conditioned on its revision', async () => {
      // Prepare: legacy with 40 percent is not a valid entry
      ddb.on(GetCommand).resolves({ Item: { ...inventoryEntry({ revision: 6 }), percent: 40, sk: ROUTE_SK } });
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const outcome = await store.change('inventory', { kind: 'rollback' }, 'ops', 'fix it');

      // Assess
      const [entryPut, historyPut] = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
      expect(entryPut.Put).toMatchObject({
        Item: { mode: 'legacy', percent: 0, revision: 7 },
        ExpressionAttributeValues: { ':previous': 6 },
      });
      expect(historyPut.Put?.Item?.reason).toBe(
        'fix it (the stored row was invalid and is rebuilt from the spec seed: percent: must be 0 in legacy mode, got 40)',
      );
      expect(outcome).toMatchObject({ changed: true, entry: { revision: 7 } });
    });

    it('refuses any other change on an invalid row, naming the problem', async () => {
      ddb.on(GetCommand).resolves({ Item: { ...inventoryEntry({ revision: 6 }), percent: 40, sk: ROUTE_SK } });
      await expect(store.change('inventory', { kind: 'setMode', mode: 'shadow' }, 'ops', 'x')).rejects.toThrow(
        'percent: must be 0 in legacy mode, got 40',
      );
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });

    it('writes nothing for a change the state machine refuses', async () => {
      ddb.on(GetCommand).resolves(stored({ mode: 'legacy' }));
      await expect(store.change('inventory', { kind: 'setMode', mode: 'primary' }, 'ops', 'skip ahead')).rejects.toThrow(TransitionError);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });
  });

  describe('Method: reportHealth', () => {
    it('moves the entry health when the report is about the current candidate', async () => {
      // Prepare
      ddb.on(GetCommand, { Key: { capability: 'inventory', sk: `${SERVICE_SK_PREFIX}inventory-v2` } }).resolves({});
      ddb
        .on(GetCommand, { Key: { capability: 'inventory', sk: ROUTE_SK } })
        .resolves(stored({ mode: 'canary', percent: 10, health: 'healthy' }));
      ddb.on(TransactWriteCommand).resolves({});

      // Act
      const res = await store.reportHealth({
        capability: 'inventory',
        target: 'inventory-v2',
        health: 'unhealthy',
        reason: '5xx from the db',
        actor: 'service:inventory-v2',
      });

      // Assess
      expect(res.registration).toBe('not-registered');
      expect(res.entry).toMatchObject({ changed: true, entry: { health: 'unhealthy', mode: 'canary', percent: 10 } });
      expect(ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems![1].Put?.Item).toMatchObject({
        actor: 'service:inventory-v2',
        reason: '5xx from the db',
      });
    });

    it('refuses a target the capability does not have', async () => {
      await expect(
        store.reportHealth({ capability: 'inventory', target: 'payment-v1', health: 'healthy', reason: 'x', actor: 'y' }),
      ).rejects.toThrow('target: "payment-v1" is not a target of inventory (monolith, inventory-v1, inventory-v2)');
    });
  });
});

describe('Function: isLostRace', () => {
  it.each([
    [
      { name: 'TransactionCanceledException', message: 'x', CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }] },
      true,
    ],
    [{ name: 'TransactionCanceledException', message: 'x', CancellationReasons: [{ Code: 'TransactionConflict' }] }, true],
    [{ name: 'TransactionCanceledException', message: 'x', CancellationReasons: [{ Code: 'ValidationError' }] }, false],
    [{ name: 'TransactionCanceledException', message: 'cancelled [None, ConditionalCheckFailed]' }, true],
    [{ name: 'ConditionalCheckFailedException', message: 'x' }, false],
  ])('%j -> %s', (shape, expected) => {
    const err = Object.assign(new Error(shape.message), shape);
    expect(isLostRace(err)).toBe(expected);
  });
});
