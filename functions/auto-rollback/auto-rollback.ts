import type { SNSEvent, SNSEventRecord } from 'aws-lambda';
import { CutoverError } from '../../core/errors';
import { shouldRollback, type RollbackVerdict } from '../../core/routing';
import type { Spec } from '../../core/spec';
import type { AuditStore } from '../../adapters/dynamodb/audit-store';
import type { Logger } from '../shared/logger';
import { routingAuditStream, type RoutingControl } from '../../adapters/aws/routing-control';
import type { RoutingMetrics } from '../../adapters/cloudwatch/routing-metrics';

/** The part of a CloudWatch alarm notification (the SNS message) the rollback reads. */
export interface AlarmNotification {
  readonly AlarmName: string;
  readonly NewStateValue: string;
  readonly NewStateReason?: string;
  readonly StateChangeTime?: string;
  readonly Trigger?: {
    readonly MetricName?: string;
    readonly Period?: number;
    readonly EvaluationPeriods?: number;
    readonly Dimensions?: ReadonlyArray<{
      readonly name?: string;
      readonly value?: string;
      readonly Name?: string;
      readonly Value?: string;
    }>;
  };
}

export type AutoRollbackOutcome =
  | { readonly alarm: string; readonly action: 'ignored'; readonly why: string }
  | { readonly alarm: string; readonly action: 'kept'; readonly capability: string; readonly verdict: RollbackVerdict }
  | {
      readonly alarm: string;
      readonly action: 'rolled-back' | 'already-legacy';
      readonly capability: string;
      readonly verdict: RollbackVerdict;
      readonly revision: number;
    };

export interface AutoRollbackDeps {
  readonly spec: Spec;
  readonly control: RoutingControl;
  readonly metrics: Pick<RoutingMetrics, 'read'>;
  readonly audit?: Pick<AuditStore, 'append'>;
  readonly logger: Logger;
}

/** An alarm notification that cannot be read at all (not JSON, no alarm name). */
export class AlarmNotificationError extends CutoverError {}

/**
 * Alarm -> SNS -> this. On an ALARM notification for a capability's candidate metrics, judge the window the
 * alarm watched with core's `shouldRollback` (so `minSamples` holds even though a CloudWatch alarm cannot
 * express it without metric math), and if it says so run the same rollback as `cutover route rollback`,
 * as actor `alarm:<name>` with the verdict as the reason. The control records the history, appends the
 * audit entry and emits `cutover.rolled-back`. A verdict of "keep" is audited too, so an operator sees the
 * alarm was looked at and why nothing moved. OK / INSUFFICIENT_DATA notifications change nothing.
 */
export class AutoRollback {
  public constructor(private readonly deps: AutoRollbackDeps) {}

  public async handle(input: unknown): Promise<AutoRollbackOutcome[]> {
    const out: AutoRollbackOutcome[] = [];
    for (const alarm of notificationsOf(input)) out.push(await this.one(alarm));
    return out;
  }

  private async one(alarm: AlarmNotification): Promise<AutoRollbackOutcome> {
    const name = alarm.AlarmName;
    if (alarm.NewStateValue !== 'ALARM') return { alarm: name, action: 'ignored', why: `state ${alarm.NewStateValue}` };
    const capability = capabilityOf(alarm);
    const cap = capability === undefined ? undefined : this.deps.spec.routing?.capabilities[capability];
    if (capability === undefined || cap === undefined) {
      this.deps.logger.error('alarm names no routed capability', {
        alarm: name,
        dimensions: alarm.Trigger?.Dimensions,
        metric: alarm.Trigger?.MetricName,
      });
      return {
        alarm: name,
        action: 'ignored',
        why: `no routed capability in the alarm's dimensions or metric name (${alarm.Trigger?.MetricName ?? 'none'})`,
      };
    }
    const window = (alarm.Trigger?.Period ?? cap.autoRollback.periodSeconds) * Math.max(1, alarm.Trigger?.EvaluationPeriods ?? 1);
    const m = await this.deps.metrics.read(capability, 'candidate', window);
    const verdict = shouldRollback(m, cap.autoRollback);
    const log = this.deps.logger.child({ alarm: name, capability });
    if (!verdict.rollback) {
      log.warn('alarm judged: keeping the route', { verdict, metrics: m });
      await this.record(capability, name, { verdict, metrics: m, alarm: name, state: alarm.NewStateValue, at: alarm.StateChangeTime });
      return { alarm: name, action: 'kept', capability, verdict };
    }
    const res = await this.deps.control.change(capability, { kind: 'rollback' }, `alarm:${name}`, verdict.reason, { alarm: name });
    log.warn(res.changed ? 'rolled back' : 'already on legacy', {
      verdict,
      metrics: m,
      revision: res.entry.revision,
      notified: 'notified' in res ? res.notified : undefined,
    });
    return { alarm: name, action: res.changed ? 'rolled-back' : 'already-legacy', capability, verdict, revision: res.entry.revision };
  }

  private async record(capability: string, alarm: string, payload: Record<string, unknown>): Promise<void> {
    if (this.deps.audit === undefined) return;
    try {
      await this.deps.audit.append(routingAuditStream(capability), {
        kind: 'route-alarm',
        eventId: `route-alarm:${alarm}:${String(payload.at ?? new Date().toISOString())}`,
        source: 'cutover.routing',
        payload: JSON.stringify(payload),
      });
    } catch (err) {
      this.deps.logger.error('alarm verdict not audited', { alarm, error: err });
    }
  }
}

/** The alarm notifications in an SNS event (or a bare notification, for direct invocation and tests). */
export function notificationsOf(input: unknown): AlarmNotification[] {
  const records = (input as Partial<SNSEvent> | null | undefined)?.Records;
  const messages: unknown[] = Array.isArray(records) ? records.map((r: Partial<SNSEventRecord>) => r.Sns?.Message) : [input];
  return messages.map((m) => {
    let parsed: unknown = m;
    if (typeof m === 'string') {
      try {
        parsed = JSON.parse(m);
      } catch (cause) {
        throw new AlarmNotificationError(`SNS message is not JSON: ${m.slice(0, 80)}`, { message: m.slice(0, 200) }, { cause });
      }
    }
    const a = parsed as Partial<AlarmNotification> | null;
    if (!a || typeof a.AlarmName !== 'string' || typeof a.NewStateValue !== 'string') {
      throw new AlarmNotificationError(
        `not a CloudWatch alarm notification: AlarmName and NewStateValue are required, got ${JSON.stringify(parsed)?.slice(0, 120)}`,
        {},
      );
    }
    return a as AlarmNotification;
  });
}

/** The capability an alarm watches: its `Capability` dimension, else the first part of `<capability>.<side>.<metric>`. */
export function capabilityOf(alarm: AlarmNotification): string | undefined {
  for (const d of alarm.Trigger?.Dimensions ?? []) {
    const key = d.Name ?? d.name;
    const value = d.Value ?? d.value;
    if (key === 'Capability' && typeof value === 'string' && value !== '') return value;
  }
  const metric = alarm.Trigger?.MetricName;
  if (typeof metric === 'string' && metric.includes('.')) return metric.split('.')[0];
  return undefined;
}
