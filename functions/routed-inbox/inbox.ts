import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';
import type { ShadowOutcomeStore } from '../../adapters/dynamodb/shadow-outcome-store';
import type { Spec } from '../../core/spec';
import type { Logger } from '../shared/logger';
import { parseRoutedCopy, RoutedConsumer, type ConsumeResult, type Implementation } from '../shared/routed-consumer';

/*
 * The reference consumer of the routing inboxes. Every inbox queue the router stack creates gets a consumer;
 * this one is attached where the user has not named their own (RoutingStackProps.consumers). It runs each
 * copy through RoutedConsumer (shadow isolation, per-side error and latency samples, outcome records for
 * comparison) with an implementation that acknowledges the copy and emits nothing: copies no longer wait in
 * SQS until retention, and the metrics the automatic rollback judges are published. Replace it per inbox
 * with the service that really handles the capability.
 */

/** An SQS record as the event source mapping delivers it. */
export interface InboxRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface InboxBatchResult {
  /** Messages to deliver again (then to the dead-letter queue after the inbox's maxReceiveCount). */
  readonly batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface RoutedInboxDeps {
  readonly spec: Spec;
  readonly events: { readonly client: EventBridgeClient; readonly busName: string };
  readonly outcomes?: ShadowOutcomeStore;
  readonly metrics?: Pick<RoutingMetrics, 'publish'>;
  readonly logger?: Logger;
  /** The implementation per `<capability>/<target>`. @default - acknowledge, emit nothing */
  readonly implementations?: Readonly<Record<string, Implementation>>;
}

/** Takes the copy off the inbox and does nothing else: the reference deployment has no service behind the inbox. */
export const acknowledgeOnly: Implementation = async () => undefined;

export function createRoutedInboxHandler(
  deps: RoutedInboxDeps,
): (event: { Records?: readonly InboxRecord[] }) => Promise<InboxBatchResult> {
  const consumers = new Map<string, RoutedConsumer>();
  const consumerFor = (capability: string, target: string): RoutedConsumer => {
    const key = `${capability}/${target}`;
    let c = consumers.get(key);
    if (c === undefined) {
      c = new RoutedConsumer({
        spec: deps.spec,
        capability,
        target,
        producer: target,
        events: deps.events,
        outcomes: deps.outcomes,
        metrics: deps.metrics,
        logger: deps.logger,
      });
      consumers.set(key, c);
    }
    return c;
  };
  return async (event) => {
    const failures: Array<{ itemIdentifier: string }> = [];
    for (const record of event.Records ?? []) {
      let result: ConsumeResult;
      try {
        // One function serves every inbox it is attached to: the stamp says which (capability, target) this copy is for.
        const { stamp } = parseRoutedCopy(record);
        const key = `${stamp.capability}/${stamp.target}`;
        result = await consumerFor(stamp.capability, stamp.target).handle(record, deps.implementations?.[key] ?? acknowledgeOnly);
      } catch (err) {
        // Kept, never dropped: the message is retried, then redriven to the routing dead-letter queue.
        deps.logger?.error('routed copy failed', {
          messageId: record.messageId,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      deps.logger?.info('routed copy consumed', { messageId: record.messageId, status: result.status, role: result.role });
    }
    return { batchItemFailures: failures };
  };
}
