import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QueueDepthError, QueueDepths } from '../../adapters/aws/queue-depths';
import { SagaOutcomes } from '../../adapters/dynamodb/saga-outcomes';
import { readinessCommand, readVerifyReports, statusCommand } from '../../cli/commands/operations';
import type { OperationsSources } from '../../cli/operations/gather';
import { AuditWriter } from '../../functions/audit-writer/handler';
import { withStaleHealth } from '../../functions/router/router';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { BridgeHandler } from '../../functions/shared/bridge-handler';
import { Logger } from '../../functions/shared/logger';
import { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { inventoryEntry, spec } from './routing-fixtures';

/*
 * Operations I/O with the SDK mocked: queue depths, saga outcome counts, the EMF lines the bridge and the
 * audit writer print for the dashboard and alarms, the router's stale-health rule, and the status and
 * readiness commands over fake sources (exit codes, JSON).
 */
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const eb = mockClient(EventBridgeClient);

beforeEach(() => {
  sqs.reset();
  ddb.reset();
  eb.reset();
});
afterEach(() => jest.restoreAllMocks());

/**
 * The JSON lines a function printed: through the Logger (console) and straight to stdout (EMF). Each line
 * says which way it went, because an EMF line through Lambda's console would not become a metric.
 */
function captureLogs(): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  const grab = (via: string) => (text: unknown) => void lines.push({ ...(JSON.parse(String(text)) as Record<string, unknown>), via });
  jest.spyOn(console, 'log').mockImplementation(grab('console'));
  jest.spyOn(console, 'error').mockImplementation(grab('console'));
  jest.spyOn(process.stdout, 'write').mockImplementation(((text: string) => (grab('stdout')(text), true)) as never);
  return lines;
}

describe('Class: QueueDepths', () => {
  describe('Method: read', () => {
    it('reads waiting and in-flight counts per queue, and reports an unreadable queue without failing the others', async () => {
      // Prepare
      sqs
        .on(GetQueueAttributesCommand, { QueueUrl: 'https://q/a' })
        .resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '1' } });
      sqs
        .on(GetQueueAttributesCommand, { QueueUrl: 'https://q/b' })
        .rejects(Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' }));
      // Act
      const depths = await new QueueDepths({ client: new SQSClient({ region: 'us-east-1' }) }).read({ a: 'https://q/a', b: 'https://q/b' });
      // Assess
      expect(depths.a).toEqual({ visible: 3, inFlight: 1 });
      expect(depths.b).toBeInstanceOf(QueueDepthError);
      expect((depths.b as Error).message).toBe(
        'queue b (https://q/b) could not be read: QueueDoesNotExist: The specified queue does not exist.',
      );
      expect(sqs.commandCalls(GetQueueAttributesCommand)[0].args[0].input.AttributeNames).toEqual([
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
      ]);
    });
  });
});

describe('Class: SagaOutcomes', () => {
  describe('Method: count', () => {
    it('counts across every page of the bySagaState index from the given time', async () => {
      // Prepare
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Count: 2, LastEvaluatedKey: { orderId: '2' } })
        .resolvesOnce({ Count: 1 });
      const outcomes = new SagaOutcomes({
        tableName: 'saga-state',
        client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
      });
      // Act
      const n = await outcomes.count('compensation-failed', '2026-12-06T11:00:00.000Z');
      // Assess
      expect(n).toBe(3);
      const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
      expect(calls[0]).toMatchObject({
        TableName: 'saga-state',
        IndexName: 'bySagaState',
        Select: 'COUNT',
        ExpressionAttributeValues: { ':s': 'compensation-failed', ':since': '2026-12-06T11:00:00.000Z' },
      });
      expect(calls[1].ExclusiveStartKey).toEqual({ orderId: '2' });
    });
  });
});

describe('Class: BridgeHandler (operations metrics)', () => {
  it('prints one EMF line per invocation with received, translated and quarantined by direction', async () => {
    // Prepare
    const lines = captureLogs();
    const at = new Date('2026-12-06T12:00:00.000Z');
    const before = Date.now();
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_e, i) => ({ EventId: `e${i}` })),
    }));
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});
    ddb.on(TransactWriteCommand).resolves({});
    const handler = new BridgeHandler({
      direction: 'toService',
      spec,
      targetBusName: 'services',
      sourceBus: 'legacy',
      events: new EventBridgeClient({ region: 'us-east-1' }),
      quarantine: new QuarantineStore({ tableName: 'q', client }),
      audit: new AuditStore({ tableName: 'a', client, sleep: async () => undefined }),
      logger: new Logger('translate-legacy'),
      now: () => at,
    });
    const placed = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
    const ev = (id: string, detail: unknown) => ({
      id,
      'detail-type': 'ORDER_PLACED',
      source: spec.bridge.legacySource,
      time: '2026-12-06T11:59:00Z',
      detail,
    });
    // Act
    await handler.handle([ev('1', placed), ev('2', { ...placed, TOTAL_CENTS: 'x' })]);
    // Assess
    const emf = lines.filter((l) => l._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ via: 'stdout', service: 'bridge', Direction: 'toService', Received: 2, Translated: 1, Quarantined: 1 });
    // Powertools stamps the line with the time it is written (CloudWatch takes 14 days back to 2 hours ahead).
    const stamped = (emf[0]._aws as { Timestamp: number }).Timestamp;
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
    expect(emf[0]._aws).toEqual({
      Timestamp: stamped,
      CloudWatchMetrics: [
        {
          Namespace: 'Cutover/Bridge',
          // Powertools' `service` dimension first; the quarantine alarms read this same set (infra tier).
          Dimensions: [['service', 'Direction']],
          Metrics: ['Received', 'Translated', 'Quarantined'].map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    });
  });
});

describe('Class: AuditWriter (operations metrics)', () => {
  const event = (id: string, detailType: string) => ({
    id,
    'detail-type': detailType,
    source: 'cutover.saga',
    time: '2026-12-06T11:59:00Z',
    detail: { metadata: { correlationId: 'order-1' }, data: {} },
  });

  it.each([
    ['saga.compensation-failed', 'Cutover/Saga', 'CompensationFailed'],
    ['saga.compensated', 'Cutover/Saga', 'Compensated'],
    ['consistency.divergence', 'Cutover/Consistency', 'Divergences'],
    ['cutover.rolled-back', 'Cutover/Routing', 'RolledBack'],
    ['sync.conflict-detected', 'Cutover/Sync', 'ConflictsDetected'],
  ])('counts a %s it appends as %s %s', async (detailType, namespace, metric) => {
    // Prepare
    const lines = captureLogs();
    const store = { append: jest.fn().mockResolvedValue({ status: 'appended' }) } as unknown as AuditStore;
    // Act
    await new AuditWriter({ spec, store, bus: 'services', logger: new Logger('audit-writer') }).handle(event('1', detailType));
    // Assess
    const emf = lines.filter((l) => l._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0].via).toBe('stdout');
    expect(emf[0][metric]).toBe(1);
    expect(emf[0].service).toBe('audit-writer');
    expect((emf[0]._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> }).CloudWatchMetrics[0]).toMatchObject(
      {
        Namespace: namespace,
        Dimensions: [['service']],
        Metrics: [{ Name: metric, Unit: 'Count' }],
      },
    );
  });

  it('counts nothing for a redelivery or an event that is not counted', async () => {
    // Prepare
    const lines = captureLogs();
    const store = {
      append: jest.fn().mockResolvedValueOnce({ status: 'duplicate' }).mockResolvedValueOnce({ status: 'appended' }),
    } as unknown as AuditStore;
    // Act
    await new AuditWriter({ spec, store, bus: 'services', logger: new Logger('audit-writer') }).handle([
      event('1', 'saga.compensated'),
      event('2', 'order.created'),
    ]);
    // Assess
    expect(lines.filter((l) => l._aws !== undefined)).toEqual([]);
  });
});

describe('Function: withStaleHealth', () => {
  const now = new Date('2026-12-06T12:00:00.000Z');
  const reg = (healthAt: string, healthTtlSeconds?: number) => [{ target: 'inventory-v2', health: 'healthy', healthAt, healthTtlSeconds }];

  it.each<[string, ReturnType<typeof reg>, string]>([
    ['a report within the TTL keeps the entry', reg('2026-12-06T11:59:30.000Z', 60), 'healthy'],
    ['a report older than the TTL routes around the candidate', reg('2026-12-06T11:58:00.000Z', 60), 'unhealthy'],
    ['no TTL declared: an old report still counts', reg('2026-12-01T00:00:00.000Z'), 'healthy'],
    [
      'a stale report of another target does not count',
      [{ target: 'inventory-v1', health: 'healthy', healthAt: '2026-12-01T00:00:00.000Z', healthTtlSeconds: 60 }],
      'healthy',
    ],
  ])('%s', (_name, services, expected) => {
    // Act
    const entry = withStaleHealth(inventoryEntry({ mode: 'canary', health: 'healthy' }), services, now);
    // Assess
    expect(entry?.health).toBe(expected);
  });
});

describe('Function: readVerifyReports', () => {
  it('takes entity and cleanliness from the report and the time from the file, and names a bad file', () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'a14-verify-'));
    fs.writeFileSync(path.join(dir, 'ok.json'), JSON.stringify({ entity: 'stock', clean: true }));
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ entity: 'stock' }));
    const at = new Date('2026-12-06T10:00:00.000Z');
    fs.utimesSync(path.join(dir, 'ok.json'), at, at);
    try {
      // Act / Assess
      expect(readVerifyReports(['ok.json'], dir)).toEqual([
        { entity: 'stock', clean: true, finishedAt: at.toISOString(), file: 'ok.json' },
      ]);
      expect(() => readVerifyReports(['bad.json'], dir)).toThrow(
        '--verify-report bad.json: entity must be a string and clean a boolean, got entity "stock", clean undefined',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Sources on which inventory is ready, except what a test changes. */
function sources(overrides: Partial<OperationsSources> = {}): OperationsSources {
  const entry = inventoryEntry({ mode: 'canary', health: 'healthy' });
  return {
    spec: {
      ...spec,
      readiness: {
        capabilities: {
          inventory: { entities: ['stock'], waive: { sync: 'inventory stock is written by the service only after primary' } },
        },
      },
    },
    now: () => new Date('2026-12-06T12:00:00.000Z'),
    routing: {
      load: async () => ({
        entries: new Map([['inventory', entry]]),
        invalid: [],
        services: new Map([
          ['inventory', [{ target: 'inventory-v2', health: 'healthy', healthAt: '2026-12-06T11:59:00.000Z', healthTtlSeconds: 300 }]],
        ]),
      }),
      seedFor: () => inventoryEntry(),
    },
    metrics: {
      read: async (_c, side) =>
        side === 'legacy'
          ? { deliveries: 500, comparisons: 0, errorRate: 0.002, p95LatencyMs: 300 }
          : { deliveries: 450, comparisons: 900, errorRate: 0.003, p95LatencyMs: 310, mismatchRate: 0.001 },
    },
    quarantine: { count: async () => 0 },
    sagas: { count: async () => 0 },
    deadLetterQueues: {
      read: async () => ({ 'bridge-bridge': { visible: 0, inFlight: 0 }, 'routing-router': { visible: 2, inFlight: 0 } }),
    },
    verifyReports: [{ entity: 'stock', clean: true, finishedAt: '2026-12-06T09:00:00.000Z', file: 'stock.json' }],
    ...overrides,
  };
}

function io(src: OperationsSources) {
  let stdout = '';
  let stderr = '';
  return {
    io: { sources: src, stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('Command: readiness', () => {
  it('exits 0 with GO when every check passes or is waived', async () => {
    // Prepare
    const c = io(sources());
    // Act
    const code = await readinessCommand('inventory', {}, c.io);
    // Assess
    expect(c.out().split('\n')[0]).toBe('inventory: GO  (evidence gathered 2026-12-06T12:00:00.000Z)');
    expect(code).toBe(0);
  });

  it('exits 1 with NO-GO and prints why as JSON', async () => {
    // Prepare
    const c = io(sources({ sagas: { count: async (state) => (state === 'compensation-failed' ? 2 : 0) } }));
    // Act
    const code = await readinessCommand('inventory', { json: true }, c.io);
    // Assess
    expect(code).toBe(1);
    const v = JSON.parse(c.out()) as {
      verdict: string;
      blockers: string[];
      thresholds: { maxSagaFailures: number };
      evidence: { saga: unknown };
    };
    expect(v.verdict).toBe('NO-GO');
    expect(v.blockers).toEqual(['saga: 2 failed; needs <= 0 saga(s) in CompensationFailed in 60 min']);
    expect(v.thresholds.maxSagaFailures).toBe(0);
    expect(v.evidence.saga).toMatchObject({ status: 'observed', value: { failures: 2 } });
  });

  it('is NO-GO when a source is not deployed, naming it, rather than counting it as zero', async () => {
    // Prepare
    const c = io(sources({ sagas: undefined, absent: { sagas: 'no SagaStateTableName output: the Cutover-Saga stack is not deployed' } }));
    // Act
    const code = await readinessCommand('inventory', {}, c.io);
    // Assess
    expect(code).toBe(1);
    expect(c.out()).toContain('  - saga: no evidence (no SagaStateTableName output: the Cutover-Saga stack is not deployed)');
  });

  it('exits 2 on a capability the spec does not route', async () => {
    // Prepare
    const c = io(sources());
    // Act
    const code = await readinessCommand('billing', {}, c.io);
    // Assess
    expect(code).toBe(2);
    expect(c.err()).toContain('"billing" is not a routed capability');
  });
});

describe('Command: status', () => {
  it('prints every capability, flags the non-empty DLQ and says sync is not deployed', async () => {
    // Prepare
    const c = io(sources({ absent: { sync: 'two-way sync is not deployed' } }));
    // Act
    const code = await statusCommand({}, c.io);
    // Assess
    expect(code).toBe(0);
    expect(c.out()).toMatch(/^inventory\s+canary\s+10% new\s+v2 \(inventory-v2\)\s+healthy\s+-\s+-\s+0$/m);
    expect(c.out()).toContain('dead-letter queues: 1 of 2 NOT EMPTY');
    expect(c.out()).toMatch(/routing-router\s+2 waiting {2}<- look here/);
    expect(c.out()).toContain('sync: two-way sync is not deployed');
  });

  it('shows the quarantine count per capability, from its own event types', async () => {
    // Prepare
    const seen: string[][] = [];
    const c = io(sources({ quarantine: { count: async (types) => (seen.push([...types].sort()), types.has('ORDER_PLACED') ? 4 : 0) } }));
    // Act
    await statusCommand({ json: true }, c.io);
    // Assess
    const s = JSON.parse(c.out()) as { capabilities: Array<{ capability: string; quarantined: number }> };
    expect(s.capabilities.find((x) => x.capability === 'inventory')!.quarantined).toBe(4);
    expect(seen[0]).toEqual(['ORDER_CANCELLED', 'ORDER_PLACED', 'order.cancelled', 'order.created']);
  });
});

describe('Class: RoutingStore (health TTL)', () => {
  const store = () =>
    new RoutingStore({
      tableName: 'routing',
      historyTableName: 'history',
      routing: spec.routing!,
      serviceEvents: spec.bridge.serviceEvents,
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    });
  const input = {
    capability: 'inventory',
    version: 'v2',
    target: 'inventory-v2',
    accepts: { 'order.created': [2], 'order.cancelled': [1] },
    actor: 'test',
  };

  it('stores the declared TTL with the registration', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    // Act
    const reg = await store().register({ ...input, healthTtlSeconds: 120 });
    // Assess
    expect(reg.healthTtlSeconds).toBe(120);
    expect(ddb.commandCalls(PutCommand)[0].args[0].input.Item).toMatchObject({ target: 'inventory-v2', healthTtlSeconds: 120 });
  });

  it.each([0, -5, 1.5])('refuses a TTL of %p, naming the field and value', async (ttl) => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    // Act / Assess
    await expect(store().register({ ...input, healthTtlSeconds: ttl })).rejects.toThrow(
      `healthTtlSeconds: must be a whole number of seconds above 0, got ${ttl}`,
    );
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('Command: readiness --replay', () => {
  const report = (target: string, totals: { compared: number; matched: number; failed: number }) => ({
    get: async (id: string) => (id === 'r-1' ? { target, finishedAt: '2026-12-06T11:00:00.000Z', totals } : undefined),
  });

  it.each<[string, ReturnType<typeof report>, string, string]>([
    [
      'a clean report passes shadow',
      report('inventory-v2', { compared: 400, matched: 399, failed: 0 }),
      'pass',
      'mismatch rate 0.25% over 400 comparisons',
    ],
    [
      'failures count as mismatches',
      report('inventory-v2', { compared: 200, matched: 199, failed: 3 }),
      'fail',
      'mismatch rate 1.97% over 203 comparisons',
    ],
    [
      'a report about another service is not evidence',
      report('payment-v1', { compared: 400, matched: 400, failed: 0 }),
      'missing',
      'no evidence',
    ],
  ])('%s', async (_name, compareReports, outcome, observed) => {
    // Prepare
    const c = io(sources({ compareReports }));
    // Act
    await readinessCommand('inventory', { json: true, replay: 'r-1' }, c.io);
    // Assess
    const shadow = (
      JSON.parse(c.out()) as { checks: Array<{ id: string; outcome: string; observed: string; evidence: string }> }
    ).checks.find((x) => x.id === 'shadow')!;
    expect(shadow).toMatchObject({ outcome, observed });
    if (outcome !== 'missing') expect(shadow.evidence).toBe('compare report of replay r-1 (finished 2026-12-06T11:00:00.000Z)');
    else expect(shadow.evidence).toBe('replay r-1 compared payment-v1, not an implementation of inventory (inventory-v1, inventory-v2)');
  });

  it('is missing, naming the replay, when no report is stored for it', async () => {
    // Prepare
    const c = io(sources({ compareReports: report('inventory-v2', { compared: 1, matched: 1, failed: 0 }) }));
    // Act
    const code = await readinessCommand('inventory', { replay: 'r-2' }, c.io);
    // Assess
    expect(code).toBe(1);
    expect(c.out()).toContain('shadow: no evidence (no compare report for replay r-2');
  });
});
