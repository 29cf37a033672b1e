import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describeFailures, EventPublisher } from './event-publisher';
import { deterministicId, type ServiceEvent } from '../../core/events/envelope';
import { ROLLED_BACK_TYPE, ROUTE_CHANGED_TYPE, ROUTING_SOURCE, type RouteChange, type RouteHistoryRecord } from '../../core/routing';
import type { AuditStore } from '../dynamodb/audit-store';
import type { Log } from '../../core/log';
import type { ChangeOutcome, RoutingStore } from '../dynamodb/routing-store';

/** The audit stream holding one capability's routing changes. */
export function routingAuditStream(capability: string): string {
  return `routing-${capability}`;
}

/** What happened to the notifications of a committed change. The change itself is committed either way. */
export interface NotifyResult {
  readonly audit: 'appended' | 'duplicate' | 'skipped' | { readonly failed: string };
  readonly events: readonly string[] | { readonly failed: string };
}

export type ControlOutcome = ChangeOutcome & { readonly notified?: NotifyResult };

export interface RoutingControlDeps {
  readonly store: RoutingStore;
  /** Where each committed change is appended (stream `routing-<capability>`). @default - not audited */
  readonly audit?: AuditStore;
  /** Where `cutover.route-changed` / `cutover.rolled-back` are put. @default - no events */
  readonly events?: { readonly client: EventBridgeClient; readonly busName: string };
  readonly logger?: Log;
}

/**
 * The one way to change routing: commit through the store (entry + history in one transaction), then tell
 * the world: an audit entry (who, when, from, to, why) and events on the services bus. The notifications
 * follow the commit, so a failure there never undoes or blocks the change (a rollback must not wait on the
 * audit log): it is returned in `notified` for the caller to report, and the history table still holds the
 * record. Both notifications are keyed by (capability, revision), so repeating them is harmless.
 */
export class RoutingControl {
  public constructor(private readonly deps: RoutingControlDeps) {}

  public get store(): RoutingStore {
    return this.deps.store;
  }

  public async change(
    capability: string,
    change: RouteChange,
    actor: string,
    reason: string,
    context: { alarm?: string } = {},
  ): Promise<ControlOutcome> {
    const outcome = await this.deps.store.change(capability, change, actor, reason);
    if (!outcome.changed) return outcome;
    const notified = await this.notify(outcome.history, context);
    return { ...outcome, notified };
  }

  /** Audit and announce one committed change. Never throws. */
  public async notify(history: RouteHistoryRecord, context: { alarm?: string } = {}): Promise<NotifyResult> {
    let audit: NotifyResult['audit'] = 'skipped';
    if (this.deps.audit !== undefined) {
      try {
        const res = await this.deps.audit.append(routingAuditStream(history.capability), {
          kind: 'route-change',
          eventId: `route-change:${history.capability}:${history.revision}`,
          source: ROUTING_SOURCE,
          detailType: history.change.kind === 'rollback' ? ROLLED_BACK_TYPE : ROUTE_CHANGED_TYPE,
          eventTime: history.at,
          payload: JSON.stringify({ ...history, ...(context.alarm ? { alarm: context.alarm } : {}) }),
        });
        audit = res.status;
      } catch (err) {
        audit = { failed: describe(err) };
        this.deps.logger?.error('route change committed but not audited', {
          capability: history.capability,
          revision: history.revision,
          error: err,
        });
      }
    }
    let events: NotifyResult['events'] = [];
    if (this.deps.events !== undefined) {
      const types = history.change.kind === 'rollback' ? [ROUTE_CHANGED_TYPE, ROLLED_BACK_TYPE] : [ROUTE_CHANGED_TYPE];
      try {
        const res = await new EventPublisher(this.deps.events.client).publish(
          types.map((type) => ({
            ref: type,
            entry: {
              EventBusName: this.deps.events!.busName,
              Source: ROUTING_SOURCE,
              DetailType: type,
              Detail: JSON.stringify(routeChangeEvent(type, history, context)),
            },
          })),
        );
        events = res.failed.length > 0 ? { failed: describeFailures(res.failed) } : types;
      } catch (err) {
        events = { failed: describe(err) };
      }
      if (!Array.isArray(events)) {
        this.deps.logger?.error('route change committed but not announced', {
          capability: history.capability,
          revision: history.revision,
          why: events,
        });
      }
    }
    return { audit, events };
  }
}

/** The detail of `cutover.route-changed` / `cutover.rolled-back`: a service event about a capability. */
export function routeChangeEvent(type: string, history: RouteHistoryRecord, context: { alarm?: string } = {}): ServiceEvent {
  return {
    metadata: {
      eventId: deterministicId(type, history.capability, String(history.revision)),
      eventType: type,
      version: 1,
      correlationId: routingAuditStream(history.capability),
      origin: 'service',
      producer: ROUTING_SOURCE,
      occurredAt: history.at,
      entity: { type: 'capability', key: history.capability },
    },
    data: {
      capability: history.capability,
      revision: history.revision,
      actor: history.actor,
      reason: history.reason,
      automatic: history.actor.startsWith('alarm:'),
      ...(context.alarm ? { alarm: context.alarm } : {}),
      change: history.change,
      from: history.from,
      to: history.to,
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
