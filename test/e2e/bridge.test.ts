/**
 * The bridge on a deployed emulator, driven like a user through the SDK: legacy events in and service
 * events out (and back), malformed events quarantined with the reason, a duplicate message translated to
 * one id, every event in the hash-chained audit log, and a tampered entry found by the verify code.
 * Each test uses its own order numbers, so tests and reruns on one deployment do not see each other.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { entrySortKey, type AuditEntry } from '../../core/audit';
import { deterministicId, LEGACY_META_KEY, type ServiceEvent } from '../../core/events/envelope';
import { parseSpec, validatePayload } from '../../core/spec';
import config from '../../cutover.config';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { QuarantineStore, type QuarantineItem } from '../../adapters/dynamodb/quarantine-store';
import { loadE2eContext, sdkConfig, stackOutput, waitFor, type E2eContext } from './harness';

jest.setTimeout(180_000);

const spec = parseSpec(config);
const placedExample = spec.bridge.legacyEvents.ORDER_PLACED.examples[0];
let ctx: E2eContext;
let events: EventBridgeClient;
let doc: DynamoDBDocumentClient;
let audit: AuditStore;
let quarantine: QuarantineStore;
let legacyBus: string;
let servicesBus: string;
const startedAt = new Date(Date.now() - 60_000).toISOString();

beforeAll(() => {
  ctx = loadE2eContext();
  const cfg = sdkConfig(ctx.endpoint);
  events = new EventBridgeClient(cfg);
  doc = DynamoDBDocumentClient.from(new DynamoDBClient(cfg), { marshallOptions: { removeUndefinedValues: true } });
  audit = new AuditStore({ tableName: stackOutput(ctx, 'AuditTableName'), client: doc });
  quarantine = new QuarantineStore({ tableName: stackOutput(ctx, 'QuarantineTableName'), client: doc });
  legacyBus = stackOutput(ctx, 'LegacyBusName');
  servicesBus = stackOutput(ctx, 'ServicesBusName');
});

afterAll(() => {
  events?.destroy();
  doc?.destroy();
});

/** A fresh 8-digit order number per call: this run's orders never collide with another's. */
let orderSeq = 0;
function orderNo(): string {
  orderSeq += 1;
  return String(10_000_000 + (((Date.now() % 80_000_000) + orderSeq * 7919) % 89_999_999)).slice(0, 8);
}

function legacyOrder(no: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(placedExample), MSG_ID: `MSG-E2E-${no}`, ORDER_NO: no, ...extra };
}

async function put(entries: PutEventsRequestEntry[]): Promise<string[]> {
  const res = await events.send(new PutEventsCommand({ Entries: entries }));
  expect(res.FailedEntryCount ?? 0).toBe(0);
  return (res.Entries ?? []).map((e) => e.EventId!);
}

const putLegacy = (detailType: string, detail: unknown) =>
  put([{ EventBusName: legacyBus, Source: spec.bridge.legacySource, DetailType: detailType, Detail: JSON.stringify(detail) }]).then(
    (ids) => ids[0],
  );

async function streamEntries(stream: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of audit.readStream(stream)) out.push(e);
  return out;
}

/** Waits until the stream holds entries matching every predicate count, and returns the stream. */
function waitForStream(stream: string, what: string, ready: (entries: AuditEntry[]) => boolean, timeoutMs = 60_000): Promise<AuditEntry[]> {
  return waitFor(
    async () => {
      const entries = await streamEntries(stream);
      return ready(entries) ? entries : undefined;
    },
    { what: `${what} in audit stream ${stream}`, timeoutMs, intervalMs: 500 },
  );
}

const on = (bus: string, detailType: string) => (e: AuditEntry) => e.kind === 'event' && e.bus === bus && e.detailType === detailType;

describe('e2e: bridge', () => {
  it('translates a monolith order into order.created v2 on the services bus, with the right shape', async () => {
    // Prepare
    const no = orderNo();
    const order = legacyOrder(no);

    // Act
    await putLegacy('ORDER_PLACED', order);

    // Assess
    const entries = await waitForStream(`order-${no}`, 'the translated order.created', (es) => es.some(on('services', 'order.created')));
    const translated = entries.find(on('services', 'order.created'))!;
    expect(translated.source).toBe('cutover.bridge');
    const event = JSON.parse(translated.payload) as ServiceEvent;
    expect(event.metadata).toMatchObject({
      eventId: deterministicId('legacy', 'ORDER_PLACED', `MSG-E2E-${no}`, 'order.created'),
      eventType: 'order.created',
      version: 2,
      correlationId: `order-${no}`,
      causationId: `MSG-E2E-${no}`,
      origin: 'legacy',
      entity: { type: 'order', key: no },
    });
    expect(validatePayload(spec.bridge.serviceEvents['order.created'].versions['2'].schema, event.data)).toEqual([]);
    expect(event.data).toMatchObject({
      orderId: no,
      amount: { total: '54.97', currency: 'EUR' },
      placedAt: '2026-11-21T14:30:00Z',
      channel: 'web',
    });
    // The monolith's own event is in the same stream. Append order is not causal order: the two buses have
    // their own audit writers, running concurrently; the causal link is the causationId checked above.
    const original = await waitForStream(`order-${no}`, "the monolith's ORDER_PLACED", (es) => es.some(on('legacy', 'ORDER_PLACED')));
    expect(JSON.parse(original.find(on('legacy', 'ORDER_PLACED'))!.payload)).toEqual(order);
  });

  it('translates a service event back to the monolith, stamped, and never translates it again', async () => {
    // Prepare
    const no = orderNo();
    const detail: ServiceEvent = {
      metadata: {
        eventId: `svc-e2e-${no}`,
        eventType: 'order.cancelled',
        version: 1,
        correlationId: `order-${no}`,
        origin: 'service',
        producer: 'orders',
        occurredAt: '2026-11-21T15:02:10Z',
        entity: { type: 'order', key: no },
      },
      data: { orderId: no, cancelledAt: '2026-11-21T15:02:10Z', reason: 'fraud', note: 'chargeback' },
    };

    // Act
    await put([{ EventBusName: servicesBus, Source: 'orders', DetailType: 'order.cancelled', Detail: JSON.stringify(detail) }]);

    // Assess
    const entries = await waitForStream(`order-${no}`, 'the translated ORDER_CANCELLED', (es) => es.some(on('legacy', 'ORDER_CANCELLED')));
    const legacy = JSON.parse(entries.find(on('legacy', 'ORDER_CANCELLED'))!.payload) as Record<string, unknown>;
    expect(legacy).toMatchObject({ ORDER_NO: no, REASON_CD: 'FRAUD', NOTE: 'chargeback', CANCEL_DT: '20261121 150210' });
    expect(legacy[LEGACY_META_KEY]).toMatchObject({
      origin: 'service',
      correlationId: `order-${no}`,
      causationId: `svc-e2e-${no}`,
      serviceEventType: 'order.cancelled',
    });
    expect(validatePayload(spec.bridge.legacyEvents.ORDER_CANCELLED.schema, legacy, [LEGACY_META_KEY])).toEqual([]);
    // No loop: give a translation back time to happen, then check there is exactly one event per bus.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const later = await streamEntries(`order-${no}`);
    // The router (when its stack is deployed) re-puts copies of routed events as `cutover.routed`: those are
    // deliveries, not translations, so they are left out of the count.
    const translations = later.filter((e) => e.kind === 'event' && e.detailType !== 'cutover.routed');
    expect(translations.map((e) => `${e.bus}:${e.detailType}`).sort()).toEqual(['legacy:ORDER_CANCELLED', 'services:order.cancelled']);
  });

  it('quarantines a malformed event with the reason naming the field and value, and audits the decision', async () => {
    // Prepare
    const no = orderNo();

    // Act
    const eventBridgeId = await putLegacy('ORDER_PLACED', legacyOrder(no, { TOTAL_CENTS: '54.97' }));

    // Assess
    const record = await waitFor(
      async () => {
        for await (const q of quarantine.query({ reason: 'schema', since: startedAt })) if (q.eventBridgeId === eventBridgeId) return q;
        return undefined;
      },
      { what: `quarantine record of ${eventBridgeId}`, timeoutMs: 60_000 },
    );
    expect(record).toMatchObject<Partial<QuarantineItem>>({
      bus: 'legacy',
      detailType: 'ORDER_PLACED',
      source: 'shop.monolith',
      stream: `order-${no}`,
    });
    expect(record.problems).toEqual(['TOTAL_CENTS: "54.97" is not cents, e.g. "1999"']);
    expect(JSON.parse(record.payload)).toEqual(legacyOrder(no, { TOTAL_CENTS: '54.97' }));
    const entries = await waitForStream(`order-${no}`, 'the quarantine decision', (es) => es.some((e) => e.kind === 'quarantine'));
    expect(entries.some(on('services', 'order.created'))).toBe(false);
  });

  it('quarantines a service event that comes without its envelope (the rule still routes it)', async () => {
    // Prepare: a service that forgot {metadata, data} and put the bare data
    const no = orderNo();

    // Act
    const [eventBridgeId] = await put([
      {
        EventBusName: servicesBus,
        Source: 'orders',
        DetailType: 'order.cancelled',
        Detail: JSON.stringify({ orderId: no, cancelledAt: '2026-11-21T15:02:10Z', reason: 'fraud' }),
      },
    ]);

    // Assess
    const record = await waitFor(
      async () => {
        for await (const q of quarantine.query({ reason: 'envelope', since: startedAt })) if (q.eventBridgeId === eventBridgeId) return q;
        return undefined;
      },
      { what: `quarantine record of the envelope-less ${eventBridgeId}`, timeoutMs: 60_000 },
    );
    expect(record).toMatchObject({ bus: 'services', detailType: 'order.cancelled', source: 'orders' });
    expect(record.problems.join('\n')).toMatch(/detail\.metadata: .*\(missing\)/);
  });

  it('accounts for a batch: every event translated or quarantined, none lost', async () => {
    // Prepare: 6 good orders, 2 malformed (unknown type, bad date), 1 command the monolith should never send
    const good = Array.from({ length: 6 }, () => orderNo());
    const bad = [orderNo(), orderNo()];
    const command = orderNo();
    const entries: PutEventsRequestEntry[] = [
      ...good.map((no) => ({
        EventBusName: legacyBus,
        Source: spec.bridge.legacySource,
        DetailType: 'ORDER_PLACED',
        Detail: JSON.stringify(legacyOrder(no)),
      })),
      {
        EventBusName: legacyBus,
        Source: spec.bridge.legacySource,
        DetailType: 'ORDER_SHREDDED',
        Detail: JSON.stringify({ ORDER_NO: bad[0] }),
      },
      {
        EventBusName: legacyBus,
        Source: spec.bridge.legacySource,
        DetailType: 'ORDER_PLACED',
        Detail: JSON.stringify(legacyOrder(bad[1], { ORDER_DT: '20261321 000000' })),
      },
    ];
    const commandExample = Object.entries(spec.bridge.legacyEvents).find(
      ([type]) => !spec.bridge.translations.some((t) => t.legacy === type && t.direction !== 'toLegacy'),
    );

    // Act
    await put(entries);
    if (commandExample)
      await putLegacy(commandExample[0], { ...commandExample[1].examples[0], ORDER_NO: command, MSG_ID: `MSG-E2E-${command}` });

    // Assess
    for (const no of good)
      await waitForStream(`order-${no}`, 'order.created', (es) => es.filter(on('services', 'order.created')).length === 1);
    await waitForStream('uncorrelated', `the quarantined ORDER_SHREDDED`, (es) =>
      es.some((e) => e.kind === 'quarantine' && e.detailType === 'ORDER_SHREDDED' && e.payload.includes('unknown-type')),
    );
    await waitForStream(`order-${bad[1]}`, 'the quarantined bad date', (es) =>
      es.some((e) => e.kind === 'quarantine' && e.payload.includes('ORDER_DT')),
    );
    if (commandExample)
      await waitForStream(`order-${command}`, 'the quarantined command', (es) =>
        es.some((e) => e.kind === 'quarantine' && e.payload.includes('no-translation')),
      );
    for (const no of bad.slice(1)) expect((await streamEntries(`order-${no}`)).some(on('services', 'order.created'))).toBe(false);
  });

  it('translates a duplicate monolith message to one event id (both deliveries logged)', async () => {
    // Prepare
    const no = orderNo();
    const order = legacyOrder(no);

    // Act: the monolith sends the same message twice
    const first = await putLegacy('ORDER_PLACED', order);
    const second = await putLegacy('ORDER_PLACED', order);

    // Assess
    // Both deliveries and both translations: the two buses' audit writers append independently.
    const entries = await waitForStream(
      `order-${no}`,
      'two deliveries and two translations',
      (es) => es.filter(on('services', 'order.created')).length >= 2 && es.filter(on('legacy', 'ORDER_PLACED')).length >= 2,
    );
    expect(first).not.toBe(second);
    expect(
      entries
        .filter(on('legacy', 'ORDER_PLACED'))
        .map((e) => e.eventId)
        .sort(),
    ).toEqual([first, second].sort());
    const ids = entries.filter(on('services', 'order.created')).map((e) => (JSON.parse(e.payload) as ServiceEvent).metadata.eventId);
    expect(new Set(ids)).toEqual(new Set([deterministicId('legacy', 'ORDER_PLACED', `MSG-E2E-${no}`, 'order.created')]));
  });

  it('keeps a verifiable chain, and the verify code finds a tampered entry at its sequence', async () => {
    // Prepare: an order with three entries (placed, translated, cancelled)
    const no = orderNo();
    await putLegacy('ORDER_PLACED', legacyOrder(no));
    await putLegacy('ORDER_CANCELLED', {
      ...spec.bridge.legacyEvents.ORDER_CANCELLED.examples[0],
      MSG_ID: `MSG-E2E-C-${no}`,
      ORDER_NO: no,
    });
    const stream = `order-${no}`;
    const entries = await waitForStream(stream, 'four entries', (es) => es.filter((e) => e.kind === 'event').length >= 4);
    // Other stacks (the router) may still append to the stream: the chain must verify, with at least these entries.
    const before = await audit.verifyStream(stream);
    expect(before).toMatchObject({ broken: undefined, markerProblems: [] });
    expect(before.entries).toBeGreaterThanOrEqual(entries.length);

    // Act: someone with table access rewrites the payment amount of entry 1
    const victim = entries.find(on('legacy', 'ORDER_PLACED'))!;
    const forged = { ...victim, payload: victim.payload.replace('"TOTAL_CENTS":"5497"', '"TOTAL_CENTS":"1"') };
    expect(forged.payload).not.toBe(victim.payload);
    await doc.send(new PutCommand({ TableName: audit.tableName, Item: { ...forged, sk: entrySortKey(victim.sequence) } }));
    try {
      // Assess
      const report = await audit.verifyStream(stream);
      expect(report.broken).toMatchObject({ stream, sequence: victim.sequence, check: 'hash', found: victim.hash });
    } finally {
      await doc.send(new PutCommand({ TableName: audit.tableName, Item: { ...victim, sk: entrySortKey(victim.sequence) } }));
    }
    expect((await audit.verifyStream(stream)).broken).toBeUndefined();
  });
});
