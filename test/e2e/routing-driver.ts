/**
 * Drives the deployed routing stack like a user would: puts service events on the bus, changes routes
 * through the same control the CLI uses, and reads what each target's inbox received. Shared by the e2e
 * test, the rollback benchmark and the demo, so all three measure the same thing.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deterministicId, type ServiceEvent } from '../../core/events/envelope';
import type { RoutingStamp } from '../../core/routing';
import { parseSpec, type Spec } from '../../core/spec';
import config from '../../cutover.config';
import { AuditStore } from '../../adapters/dynamodb/audit-store';
import { RoutingControl } from '../../adapters/aws/routing-control';
import { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import { RoutingStore } from '../../adapters/dynamodb/routing-store';
import { sdkConfig, stackOutput, type StackOutputs } from './harness';
import type { OutputKey } from '../../core/contract';

/** EventBridge `source` of the events the driver puts (nothing else listens for it specially). */
export const DRIVER_SOURCE = 'cutover.e2e-routing';

/** One routed copy as an inbox received it. */
export interface SeenCopy {
  readonly inbox: string;
  readonly capability: string;
  readonly target: string;
  readonly role: 'authoritative' | 'shadow';
  readonly key: string;
  readonly eventId: string;
  readonly version: number;
  readonly data: Record<string, unknown>;
  readonly stamp: RoutingStamp & { routedAt?: string };
  readonly receivedAt: number;
  /** The SQS message body (the EventBridge event), as an implementation behind the inbox would get it. */
  readonly body: string;
}

export interface PutResult {
  readonly key: string;
  readonly eventId: string;
  /** EventBridge's id of the put (the router's quarantine records are keyed by it). */
  readonly eventBridgeId: string;
  readonly putAt: number;
}

export class RoutingDriver {
  public readonly spec: Spec;
  public readonly control: RoutingControl;
  public readonly store: RoutingStore;
  public readonly metrics: RoutingMetrics;
  public readonly audit: AuditStore;
  public readonly events: EventBridgeClient;
  public readonly sqs: SQSClient;
  public readonly doc: DynamoDBDocumentClient;
  public readonly cloudWatch: CloudWatchClient;
  public readonly busName: string;
  public readonly inboxes: Readonly<Record<string, string>>;
  /** Copies read from inboxes but not yet taken by a `collect` predicate, so nothing read is lost. */
  private readonly seen: SeenCopy[] = [];

  public constructor(endpoint: string, outputs: StackOutputs) {
    const cfg = sdkConfig(endpoint);
    this.spec = parseSpec(config);
    this.events = new EventBridgeClient(cfg);
    this.sqs = new SQSClient(cfg);
    this.cloudWatch = new CloudWatchClient(cfg);
    this.doc = DynamoDBDocumentClient.from(new DynamoDBClient(cfg), { marshallOptions: { removeUndefinedValues: true } });
    const out = (key: OutputKey) => stackOutput({ outputs }, key);
    this.busName = out('ServicesBusName');
    this.inboxes = JSON.parse(out('RoutingInboxUrls')) as Record<string, string>;
    this.store = new RoutingStore({
      tableName: out('RoutingTableName'),
      historyTableName: out('RoutingHistoryTableName'),
      routing: this.spec.routing!,
      serviceEvents: this.spec.bridge.serviceEvents,
      client: this.doc,
    });
    this.audit = new AuditStore({ tableName: out('AuditTableName'), client: this.doc });
    this.control = new RoutingControl({ store: this.store, audit: this.audit, events: { client: this.events, busName: this.busName } });
    this.metrics = new RoutingMetrics({ client: this.cloudWatch });
  }

  /** Put one service event per key (10 per PutEvents call); returns each put's time and ids. */
  public async put(
    type: string,
    version: number,
    keys: readonly string[],
    data: (key: string) => Record<string, unknown>,
    keyField: string,
  ): Promise<PutResult[]> {
    const results: PutResult[] = [];
    for (let i = 0; i < keys.length; i += 10) {
      const chunk = keys.slice(i, i + 10);
      const details = chunk.map((key) => serviceEvent(type, version, key, data(key), keyField));
      const putAt = Date.now();
      const res = await this.events.send(
        new PutEventsCommand({
          Entries: details.map((d) => ({ EventBusName: this.busName, Source: DRIVER_SOURCE, DetailType: type, Detail: JSON.stringify(d) })),
        }),
      );
      if (res.FailedEntryCount) throw new Error(`PutEvents refused ${res.FailedEntryCount} event(s): ${JSON.stringify(res.Entries)}`);
      chunk.forEach((key, j) =>
        results.push({ key, eventId: details[j].metadata.eventId, eventBridgeId: res.Entries?.[j]?.EventId ?? '', putAt }),
      );
    }
    return results;
  }

  /** `customer.updated` v1 (or another version number, for mismatch tests) for each customer id. */
  public putCustomers(ids: readonly string[], version = 1): Promise<PutResult[]> {
    return this.put('customer.updated', version, ids, (id) => customerUpdated(id), 'customerId');
  }

  /** `order.created` v2 for each order id. */
  public putOrders(ids: readonly string[], type: 'order.created' | 'order.cancelled' = 'order.created'): Promise<PutResult[]> {
    return type === 'order.created'
      ? this.put('order.created', 2, ids, (id) => orderCreatedV2(id), 'orderId')
      : this.put(
          'order.cancelled',
          1,
          ids,
          (id) => ({ orderId: id, cancelledAt: '2026-11-22T10:00:00Z', reason: 'customer-request' }),
          'orderId',
        );
  }

  /**
   * Read the inboxes of `capabilities` until `done(copies)` holds for the copies whose key satisfies `mine`,
   * or `timeoutMs` passes (then it returns what it has; the caller's assertions say what is missing).
   * Messages are deleted once read; copies of other keys are kept for later calls.
   */
  public async collect(
    capabilities: readonly string[],
    mine: (key: string) => boolean,
    done: (copies: SeenCopy[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<SeenCopy[]> {
    const deadline = Date.now() + timeoutMs;
    const take = (): SeenCopy[] => {
      const out: SeenCopy[] = [];
      for (let i = this.seen.length - 1; i >= 0; i--) {
        if (capabilities.includes(this.seen[i].capability) && mine(this.seen[i].key)) out.unshift(...this.seen.splice(i, 1));
      }
      return out;
    };
    const mineSoFar = take();
    while (!done(mineSoFar) && Date.now() < deadline) {
      const batch = await this.readOnce(capabilities);
      this.seen.push(...batch);
      mineSoFar.push(...take());
      if (batch.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    return mineSoFar;
  }

  /** Empty the inboxes of `capabilities` (leftovers of earlier runs). */
  public async drain(capabilities: readonly string[]): Promise<number> {
    let total = 0;
    for (let round = 0; round < 50; round++) {
      const batch = await this.readOnce(capabilities);
      total += batch.length;
      if (batch.length === 0) break;
    }
    this.seen.length = 0;
    return total;
  }

  private async readOnce(capabilities: readonly string[]): Promise<SeenCopy[]> {
    const urls = Object.entries(this.inboxes).filter(([key]) => capabilities.includes(key.split('/')[0]));
    const batches = await Promise.all(
      urls.map(async ([inbox, url]) => {
        const res = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        const messages = res.Messages ?? [];
        if (messages.length > 0) {
          await this.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: url,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
        const receivedAt = Date.now();
        return messages.map((m) => toSeen(inbox, m.Body ?? '{}', this.spec, receivedAt));
      }),
    );
    return batches.flat();
  }
}

function toSeen(inbox: string, body: string, spec: Spec, receivedAt: number): SeenCopy {
  const event = JSON.parse(body) as { detail: ServiceEvent };
  const stamp = event.detail.metadata.routing!;
  const keyField = spec.routing!.capabilities[stamp.capability]?.events[event.detail.metadata.eventType]?.keyField ?? 'id';
  return {
    inbox,
    capability: stamp.capability,
    target: stamp.target,
    role: stamp.role,
    key: String(event.detail.data[keyField]),
    eventId: event.detail.metadata.eventId,
    version: event.detail.metadata.version,
    data: event.detail.data,
    stamp,
    receivedAt,
    body,
  };
}

/** A service event envelope as the bridge would put it (origin legacy: the bridge never translates it back). */
export function serviceEvent(type: string, version: number, key: string, data: Record<string, unknown>, keyField: string): ServiceEvent {
  const nonce = `${Date.now()}-${Math.random()}`;
  return {
    metadata: {
      eventId: deterministicId(DRIVER_SOURCE, type, key, nonce),
      eventType: type,
      version,
      correlationId: `${keyField === 'customerId' ? 'customer' : 'order'}-${key}`,
      origin: 'legacy',
      producer: DRIVER_SOURCE,
      occurredAt: new Date().toISOString(),
      entity: { type: keyField === 'customerId' ? 'customer' : 'order', key },
    },
    data,
  };
}

export function customerUpdated(customerId: string): Record<string, unknown> {
  return {
    customerId,
    email: `${customerId.toLowerCase()}@example.com`,
    firstName: 'Ada',
    lastName: 'Byron',
    marketingOptIn: false,
    tier: 'gold',
    updatedAt: '2026-11-22T10:00:00Z',
  };
}

export function orderCreatedV2(orderId: string): Record<string, unknown> {
  return {
    orderId,
    customerId: 'C00042',
    placedAt: '2026-11-22T10:00:00Z',
    amount: { total: '25.98', currency: 'EUR' },
    channel: 'web',
    lines: [{ lineNo: 1, sku: 'MUG-0001', quantity: 2, unitPrice: '12.99' }],
    shippingAddress: { street: '12 Harbour Lane', city: 'Bristol', postalCode: 'BS1 4QA', country: 'GB' },
  };
}

/** Customer ids unique to one run: `C` + 8 digits. */
export function customerIds(count: number, runBase: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => `C${String(10_000_000 + runBase * 1000 + offset + i).slice(-8)}`);
}

/** Order ids unique to one run: 10 digits. */
export function runOrderIds(count: number, runBase: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => String(3_000_000_000 + runBase * 1000 + offset + i));
}

/** A run base for ids: 0..7999, from the clock, so reruns on one emulator do not reuse keys. */
export function newRunBase(): number {
  return Math.floor(Date.now() / 1000) % 8000;
}
