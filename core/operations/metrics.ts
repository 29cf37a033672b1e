import { DIVERGENCE_DETAIL_TYPE } from '../migration/continuous';
import { ROLLED_BACK_TYPE, ROUTING_METRIC_NAMESPACE } from '../routing/wire';

/*
 * The operational metrics the kit's functions publish and the dashboard and alarms read. Published through
 * Powertools Metrics as CloudWatch Embedded Metric Format lines (a JSON log line with an `_aws` block):
 * CloudWatch turns them into metrics on AWS without an API call on the hot path. Powertools adds a
 * `service` dimension (its serviceName) to every metric, so a metric's dimension set is `service` plus its
 * own; the alarms and the dashboard must name the same set, or they read a metric nobody writes. Names are
 * shared here so publisher, dashboard and alarms cannot drift apart.
 */

/** The dimension Powertools Metrics adds to every metric, holding its serviceName. */
export const SERVICE_DIMENSION = 'service';

export const BRIDGE_METRIC_NAMESPACE = 'Cutover/Bridge';
/** The bridge translators' serviceName: both directions publish under it (dimension `service`). */
export const BRIDGE_METRIC_SERVICE = 'bridge';
/** Per translator invocation: events in, translated, quarantined (dimensions `service`, `Direction`). */
export const BRIDGE_METRICS = ['Received', 'Translated', 'Quarantined'] as const;
export type BridgeMetric = (typeof BRIDGE_METRICS)[number];

export const SAGA_METRIC_NAMESPACE = 'Cutover/Saga';
/** Saga outcomes, counted from the saga's own events as the audit writer logs them. */
export const SAGA_OUTCOME_METRICS = {
  'saga.started': 'Started',
  'saga.completed': 'Completed',
  'saga.compensated': 'Compensated',
  'saga.compensation-failed': 'CompensationFailed',
  'saga.step-failed': 'StepFailed',
} as const;
export type SagaOutcomeMetric = (typeof SAGA_OUTCOME_METRICS)[keyof typeof SAGA_OUTCOME_METRICS];

export const CONSISTENCY_METRIC_NAMESPACE = 'Cutover/Consistency';
export const SYNC_METRIC_NAMESPACE = 'Cutover/Sync';
/** The Powertools `service` dimension every sync function publishes under. */
export const SYNC_METRIC_SERVICE = 'sync';
/**
 * What the sync functions publish (namespace Cutover/Sync, dimension `service` = sync). The relay, once per
 * run: the age of the oldest unshipped monolith change (s), the backlog, what it shipped, its failed
 * passes, and the conflicts open in the ledger. The appliers, per batch: changes that failed (dimension
 * `Direction` = toService | toMonolith).
 */
export const SYNC_METRICS = {
  relayLagSeconds: 'RelayLagSeconds',
  relayBacklog: 'RelayBacklog',
  relayShipped: 'RelayShipped',
  relayErrors: 'RelayErrors',
  openConflicts: 'OpenConflicts',
  applyErrors: 'ApplyErrors',
} as const;

/** The audit writers' serviceName (both buses): the `service` dimension of every counted-event metric. */
export const COUNTED_EVENTS_SERVICE = 'audit-writer';

/**
 * Events counted as they pass the audit writer on their bus: the saga's outcomes, the continuous
 * validator's divergences, and automatic or manual rollbacks. Counting where every event is already
 * logged means no publisher has to change and a redelivered event is counted once (only on append).
 */
export const COUNTED_EVENTS: Readonly<Record<string, { readonly namespace: string; readonly metric: string }>> = {
  ...Object.fromEntries(Object.entries(SAGA_OUTCOME_METRICS).map(([type, metric]) => [type, { namespace: SAGA_METRIC_NAMESPACE, metric }])),
  [DIVERGENCE_DETAIL_TYPE]: { namespace: CONSISTENCY_METRIC_NAMESPACE, metric: 'Divergences' },
  [ROLLED_BACK_TYPE]: { namespace: ROUTING_METRIC_NAMESPACE, metric: 'RolledBack' },
  // The two-way sync's conflict ledger announces these (core/sync/ledger.ts once sync is merged).
  'sync.conflict-detected': { namespace: SYNC_METRIC_NAMESPACE, metric: 'ConflictsDetected' },
  'sync.conflict-resolved': { namespace: SYNC_METRIC_NAMESPACE, metric: 'ConflictsResolved' },
};

/** The metric an event of this detail type counts towards, if any. */
export function countedEventMetric(detailType: string | undefined): { readonly namespace: string; readonly metric: string } | undefined {
  return detailType !== undefined && Object.prototype.hasOwnProperty.call(COUNTED_EVENTS, detailType)
    ? COUNTED_EVENTS[detailType]
    : undefined;
}
