import { auditStreamFor } from '../../core/audit';
import { CutoverError } from '../../core/errors';
import { deterministicId, isServiceEvent } from '../../core/events/envelope';
import { SERVICE_HEALTH_TYPE, SERVICE_REGISTERED_TYPE, type Health } from '../../core/routing';
import type { Spec } from '../../core/spec';
import { toIncoming, type EventBridgeLike } from '../../core/translate/incoming';
import type { Logger } from '../shared/logger';
import type { QuarantineStore } from '../../adapters/dynamodb/quarantine-store';
import type { RoutingControl } from '../../adapters/aws/routing-control';
import type { ChangeOutcome } from '../../adapters/dynamodb/routing-store';

export interface RegistryDeps {
  readonly spec: Spec;
  readonly control: RoutingControl;
  readonly quarantine: Pick<QuarantineStore, 'put'>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export type RegistryOutcome =
  | { readonly kind: 'registered'; readonly capability: string; readonly target: string; readonly version: string }
  | {
      readonly kind: 'health';
      readonly capability: string;
      readonly target: string;
      readonly health: Health;
      readonly entryChanged: boolean;
      readonly revision?: number;
    }
  | { readonly kind: 'quarantined'; readonly problems: readonly string[] }
  | { readonly kind: 'ignored'; readonly detailType?: string };

/**
 * The service registry's Lambda: services put `cutover.service-registered` (capability, version, target,
 * accepted and emitted events) and `cutover.service-health` (capability, target, health, reason) on the
 * services bus. A registration is checked against the spec; a health report about the current candidate
 * moves the route entry's health, so an `unhealthy` candidate is routed around from the next decision.
 * A malformed report is quarantined with the field and value named, never thrown away.
 */
export class Registry {
  private readonly now: () => Date;

  public constructor(private readonly deps: RegistryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  public async handle(input: unknown): Promise<RegistryOutcome[]> {
    const out: RegistryOutcome[] = [];
    for (const raw of Array.isArray(input) ? input : [input]) out.push(await this.one(raw as EventBridgeLike));
    return out;
  }

  private async one(raw: EventBridgeLike): Promise<RegistryOutcome> {
    const event = toIncoming(raw);
    const body = bodyOf(event.detail);
    const actor = `service:${event.source ?? 'unknown'}`;
    try {
      if (event.detailType === SERVICE_REGISTERED_TYPE) {
        const reg = await this.deps.control.store.register({
          capability: str(body, 'capability'),
          version: str(body, 'version'),
          target: str(body, 'target'),
          service: typeof body.service === 'string' ? body.service : undefined,
          accepts: body.accepts as Record<string, number[]>,
          emits: body.emits as string[] | undefined,
          actor,
          // Checked by the store: a bad value is quarantined with the field named, like any other.
          healthTtlSeconds: body.healthTtlSeconds as number | undefined,
        });
        this.deps.logger.info('registered', { capability: reg.capability, target: reg.target, version: reg.version });
        return { kind: 'registered', capability: reg.capability, target: reg.target, version: reg.version };
      }
      if (event.detailType === SERVICE_HEALTH_TYPE) {
        const capability = str(body, 'capability');
        const target = str(body, 'target');
        const health = str(body, 'health') as Health;
        const reason = typeof body.reason === 'string' && body.reason.trim() !== '' ? body.reason : `${target} reported ${health}`;
        const res = await this.deps.control.store.reportHealth({ capability, target, health, reason, actor });
        let entry: ChangeOutcome | undefined = res.entry;
        if (entry?.changed) entry = { ...entry, ...{ notified: await this.deps.control.notify(entry.history) } };
        this.deps.logger.info('health reported', { capability, target, health, entryChanged: entry?.changed === true });
        return { kind: 'health', capability, target, health, entryChanged: entry?.changed === true, revision: entry?.entry.revision };
      }
      return { kind: 'ignored', detailType: event.detailType };
    } catch (err) {
      if (!(err instanceof CutoverError)) throw err;
      const problems = [err.message];
      await this.keep(raw, problems);
      return { kind: 'quarantined', problems };
    }
  }

  private async keep(raw: EventBridgeLike, problems: string[]): Promise<void> {
    const event = toIncoming(raw);
    const now = this.now().toISOString();
    await this.deps.quarantine.put({
      reason: 'schema',
      eventTime: event.time && !Number.isNaN(Date.parse(event.time)) ? event.time : now,
      eventBridgeId: event.id ?? deterministicId('registry-no-id', JSON.stringify(event.detail ?? null)),
      bus: 'services',
      detailType: event.detailType,
      source: event.source,
      payload: JSON.stringify(event.detail ?? null),
      problems,
      stream: auditStreamFor(this.deps.spec, event),
      quarantinedAt: now,
    });
    this.deps.logger.warn('registry report quarantined', { problems, detailType: event.detailType });
  }
}

/** A report's fields: the detail itself, or its `data` when a service wrapped it in the event envelope. */
function bodyOf(detail: unknown): Record<string, unknown> {
  if (isServiceEvent(detail)) return detail.data;
  if (detail !== null && typeof detail === 'object' && !Array.isArray(detail)) return detail as Record<string, unknown>;
  return {};
}

export class RegistryInputError extends CutoverError {}

function str(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.trim() === '')
    throw new RegistryInputError(`${field}: must be a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`, { field, value: v });
  return v;
}
