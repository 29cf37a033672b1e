import { Duration, Lazy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  BRIDGE_METRIC_NAMESPACE,
  BRIDGE_METRIC_SERVICE,
  CONSISTENCY_METRIC_NAMESPACE,
  COUNTED_EVENTS_SERVICE,
  SAGA_METRIC_NAMESPACE,
  SAGA_OUTCOME_METRICS,
  SERVICE_DIMENSION,
} from '../../core/operations/metrics';
import type { Side } from '../../core/routing/model';
import { ROUTING_METRIC_NAMESPACE, routingMetricName, type RoutingMetric } from '../../core/routing/wire';

/** What the saga row of the dashboard reads. */
export interface OperationsSagaProps {
  readonly stateMachine: sfn.IStateMachine;
  /** The functions behind the saga's steps, by step or service name: their p95 duration is the step latency. */
  readonly stepFunctions?: Readonly<Record<string, lambda.IFunction>>;
}

export interface OperationsProps {
  /** Name of the dashboard and prefix of every alarm name (`<prefix>-<alarm>`). */
  readonly prefix: string;
  /**
   * Every dead-letter queue of the deployment, by a name for humans (`bridge`, `saga`, `routing`...).
   * Each gets a depth widget and an alarm when it holds any message.
   */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** @default - no saga row and no CompensationFailed alarm */
  readonly saga?: OperationsSagaProps;
  /** Routed capabilities: split, error, latency and mismatch widgets per capability. @default - none */
  readonly capabilities?: readonly string[];
  /** Alarm on divergences found by continuous validation. @default true */
  readonly divergenceAlarm?: boolean;
  /** Log groups the saved Logs Insights queries run over (every function of the deployment). @default - none */
  readonly logGroups?: readonly logs.ILogGroup[];
  /**
   * Save the Logs Insights queries (AWS::Logs::QueryDefinition). Only for a target that lacks the resource
   * type: MiniStack 1.5.33 refuses the whole template over it (localstack/deploy.sh turns it off).
   * @default true
   */
  readonly savedQueries?: boolean;
  /** The quarantine alarm fires when more events than this are quarantined in 5 minutes (per direction). @default 0 */
  readonly maxQuarantinedPer5Minutes?: number;
  /**
   * Bring your own topic (an existing on-call topic); otherwise one is created and exported.
   * @default - a new topic
   */
  readonly alarmTopic?: sns.ITopic;
}

/** What the two-way sync publishes, for `addSyncWidgets`. */
export interface SyncWidgetsProps {
  /**
   * How far monolith -> services sync is behind (Maximum is read), e.g. the relay's `Cutover/Sync
   * RelayLagSeconds` (the age of the oldest unshipped change).
   */
  readonly lag: cloudwatch.IMetric;
  /** The lag alarm's threshold, in the lag metric's own unit: the spec's `sync.lagToleranceSeconds`. @default 60 (seconds) */
  readonly lagThreshold?: number;
  /**
   * How far services -> monolith sync is behind, e.g. the stream applier's `IteratorAge` (milliseconds);
   * its own alarm (`sync-stream-lag`) fires above `streamLagThreshold`. @default - none
   */
  readonly streamLag?: cloudwatch.IMetric;
  /** In the stream lag metric's unit. @default 60000 (60 s in milliseconds) */
  readonly streamLagThreshold?: number;
  /** Changes waiting to be shipped, e.g. `Cutover/Sync RelayBacklog`. @default - no backlog widget */
  readonly backlog?: cloudwatch.IMetric;
  /** Relay and applier failures, e.g. `RelayErrors` and `ApplyErrors` per direction. @default - no errors widget */
  readonly errors?: readonly cloudwatch.IMetric[];
  /** Conflicts, e.g. the relay's `Cutover/Sync OpenConflicts` gauge or `ConflictsDetected` (counted from `sync.conflict-detected` events). */
  readonly conflicts: cloudwatch.IMetric;
  /** The conflicts alarm fires above this. @default 0 */
  readonly maxConflicts?: number;
}

/** One alarm the construct made, with the runbook line the README repeats. */
export interface OperationsAlarm {
  readonly alarm: cloudwatch.Alarm;
  readonly runbook: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * One deployment's operations: a CloudWatch dashboard over the bridge, the dead-letter queues, the saga,
 * routing and continuous validation; alarms that act (every one publishes to one SNS topic the operators
 * subscribe to); and saved Logs Insights queries. Alarms watch plain metrics, never metric math, so they
 * deploy on the emulators too (where metric-math alarms fail the deploy).
 *
 * Two-way sync is wired in later with `addSyncWidgets` (the sync stack publishes lag and conflicts).
 */
export class Operations extends Construct {
  public readonly topic: sns.ITopic;
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm by its name, with its runbook line. */
  public readonly alarms = new Map<string, OperationsAlarm>();
  public readonly queries: readonly logs.QueryDefinition[];
  private readonly prefix: string;
  private readonly action: cwActions.SnsAction;
  private syncWired = false;

  public constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.prefix = props.prefix;
    // Not KMS-encrypted on purpose: CloudWatch alarm actions cannot publish to a topic under the AWS managed
    // SNS key, and the messages hold alarm names and thresholds only, no business data.
    this.topic =
      props.alarmTopic ?? new sns.Topic(this, 'AlarmTopic', { enforceSSL: true, displayName: `${props.prefix} operations alarms` });
    this.action = new cwActions.SnsAction(this.topic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.prefix, defaultInterval: Duration.hours(3) });

    // --- bridge -----------------------------------------------------------------------------------------
    // Alarms get unlabelled metrics: a label turns the alarm into the `Metrics` form, which the emulators refuse.
    // The translators publish through Powertools Metrics, which adds the `service` dimension: read the same set.
    const bridge = (metric: string, direction: string, labelled = true) =>
      new cloudwatch.Metric({
        namespace: BRIDGE_METRIC_NAMESPACE,
        metricName: metric,
        dimensionsMap: { [SERVICE_DIMENSION]: BRIDGE_METRIC_SERVICE, Direction: direction },
        statistic: 'Sum',
        period: FIVE_MINUTES,
        ...(labelled ? { label: `${metric} ${direction === 'toService' ? 'legacy -> services' : 'services -> legacy'}` } : {}),
      });
    const directions = ['toService', 'toLegacy'];
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${props.prefix}\nBridge, dead-letter queues, saga, routing, validation and sync. Alarms publish to the operations topic; runbook: README "Operations".`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Bridge: events in, translated, quarantined (per 5 min)',
        width: 16,
        left: directions.flatMap((d) => ['Received', 'Translated', 'Quarantined'].map((m) => bridge(m, d))),
      }),
      new cloudwatch.SingleValueWidget({
        title: 'Quarantined (5 min)',
        width: 8,
        metrics: directions.map((d) => bridge('Quarantined', d)),
      }),
    );
    const maxQuarantined = props.maxQuarantinedPer5Minutes ?? 0;
    for (const d of directions) {
      this.addAlarm(`quarantine-${d === 'toService' ? 'legacy' : 'services'}`, bridge('Quarantined', d, false), {
        threshold: maxQuarantined,
        operator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `more than ${maxQuarantined} events quarantined by the ${d} translator in 5 minutes`,
        runbook:
          '`cutover quarantine list --since 1h` names the field and value of each; fix the producer or the spec, then put the kept payloads again.',
      });
    }

    // --- dead-letter queues -----------------------------------------------------------------------------
    const depth = (name: string | undefined, q: sqs.IQueue) =>
      q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1), ...(name ? { label: name } : {}) });
    const dlqs = Object.entries(props.deadLetterQueues).sort(([a], [b]) => a.localeCompare(b));
    if (dlqs.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Dead-letter queue depths', width: 16, left: dlqs.map(([n, q]) => depth(n, q)) }),
        new cloudwatch.SingleValueWidget({
          title: 'Messages waiting in dead-letter queues',
          width: 8,
          metrics: dlqs.map(([n, q]) => depth(n, q)),
        }),
      );
    }
    for (const [name, q] of dlqs) {
      this.addAlarm(`dlq-${name}`, depth(undefined, q), {
        threshold: 0,
        operator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `the ${name} dead-letter queue is not empty: something failed after every retry`,
        runbook: `read the messages (\`aws sqs receive-message --queue-url <${name} DLQ URL>\`), fix the cause, then replay them to their target; nothing was lost, it waits 14 days.`,
      });
    }

    // Saga outcomes, divergences and rollbacks are counted by the audit writers through Powertools Metrics,
    // under their `service` dimension.
    const counted = { [SERVICE_DIMENSION]: COUNTED_EVENTS_SERVICE };

    // --- saga -------------------------------------------------------------------------------------------
    if (props.saga) {
      const outcome = (m: string) =>
        new cloudwatch.Metric({
          namespace: SAGA_METRIC_NAMESPACE,
          metricName: m,
          dimensionsMap: counted,
          statistic: 'Sum',
          period: FIVE_MINUTES,
        });
      const steps = Object.entries(props.saga.stepFunctions ?? {}).sort(([a], [b]) => a.localeCompare(b));
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Sagas: started, completed, compensated, failed (per 5 min)',
          width: 12,
          left: Object.values(SAGA_OUTCOME_METRICS).map(outcome),
        }),
        new cloudwatch.GraphWidget({
          title: 'Saga step latency (p95 of the step function; execution time)',
          width: 12,
          left: steps.map(([name, fn]) => fn.metricDuration({ statistic: 'p95', period: FIVE_MINUTES, label: name })),
          right: [props.saga.stateMachine.metric('ExecutionTime', { statistic: 'p95', period: FIVE_MINUTES, label: 'execution p95' })],
        }),
      );
      this.addAlarm('compensation-failed', props.saga.stateMachine.metricFailed({ statistic: 'Sum', period: Duration.minutes(1) }), {
        threshold: 1,
        operator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description: 'an order saga failed: a compensation could not be done after its retries (or an unexpected error)',
        runbook:
          '`cutover saga list --state compensation-failed`, then `cutover saga status <orderId>`: the needs-attention table says which effect is left; undo it by hand and record why.',
      });
    }

    // --- routing ----------------------------------------------------------------------------------------
    const routing = (capability: string, side: Side, metric: RoutingMetric, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: ROUTING_METRIC_NAMESPACE,
        metricName: routingMetricName(capability, side, metric),
        dimensionsMap: { Capability: capability, Side: side },
        statistic,
        period: FIVE_MINUTES,
        label,
      });
    for (const c of props.capabilities ?? []) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${c}: deliveries (split)`,
          width: 6,
          left: (['legacy', 'candidate'] as Side[]).map((s) => routing(c, s, 'ErrorRate', 'SampleCount', s)),
        }),
        new cloudwatch.GraphWidget({
          title: `${c}: error rate old vs new`,
          width: 6,
          left: (['legacy', 'candidate'] as Side[]).map((s) => routing(c, s, 'ErrorRate', 'Average', s)),
        }),
        new cloudwatch.GraphWidget({
          title: `${c}: p95 latency old vs new`,
          width: 6,
          left: (['legacy', 'candidate'] as Side[]).map((s) => routing(c, s, 'LatencyMs', 'p95', s)),
        }),
        new cloudwatch.GraphWidget({
          title: `${c}: shadow mismatch rate`,
          width: 6,
          left: [routing(c, 'candidate', 'MismatchRate', 'Average', 'mismatch')],
        }),
      );
    }
    if ((props.capabilities ?? []).length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Router: events routed, copies, quarantined; rollbacks',
          width: 24,
          // The router publishes through Powertools Metrics, which adds its `service` dimension.
          left: ['Routed', 'Copies', 'Quarantined'].map(
            (m) =>
              new cloudwatch.Metric({
                namespace: 'Cutover/Router',
                metricName: m,
                dimensionsMap: { [SERVICE_DIMENSION]: 'router' },
                statistic: 'Sum',
                period: FIVE_MINUTES,
              }),
          ),
          right: [
            new cloudwatch.Metric({
              namespace: ROUTING_METRIC_NAMESPACE,
              metricName: 'RolledBack',
              dimensionsMap: counted,
              statistic: 'Sum',
              period: FIVE_MINUTES,
            }),
          ],
        }),
      );
    }

    // --- continuous validation --------------------------------------------------------------------------
    const divergences = new cloudwatch.Metric({
      namespace: CONSISTENCY_METRIC_NAMESPACE,
      metricName: 'Divergences',
      dimensionsMap: counted,
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Continuous validation: divergences found', width: 12, left: [divergences] }),
      new cloudwatch.TextWidget({
        width: 12,
        height: 6,
        markdown: Lazy.string({
          produce: () =>
            this.syncWired
              ? '## Two-way sync\nLag and open conflicts are in the row below.'
              : '## Two-way sync\nNot wired into this dashboard: the sync stack calls `Operations.addSyncWidgets(...)` with its lag and conflicts metrics, which adds their widgets and alarms.',
        }),
      }),
    );
    if (props.divergenceAlarm !== false) {
      this.addAlarm('divergence', divergences, {
        threshold: 1,
        operator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description: 'continuous validation found migrated data that differs from the monolith',
        runbook:
          'read the `consistency.divergence` events (`cutover audit tail`), then `cutover verify --entity <e> --table <t>` and, once the cause is fixed, `--repair`.',
      });
    }

    // --- saved queries ----------------------------------------------------------------------------------
    const logGroups = props.logGroups ? [...props.logGroups] : undefined;
    this.queries =
      props.savedQueries === false
        ? []
        : [
            new logs.QueryDefinition(this, 'OrderHistoryQuery', {
              queryDefinitionName: `${props.prefix}/order-history-by-correlation-id`,
              logGroups,
              // Saved queries take no parameters: replace the correlation id before running it.
              queryString: new logs.QueryString({
                fields: ['@timestamp', '@log', 'level', 'message', 'stream', 'eventBridgeId', 'detailType'],
                filterStatements: ['@message like "order-1000001"'],
                sort: '@timestamp asc',
                limit: 1000,
              }),
            }),
            new logs.QueryDefinition(this, 'ErrorsByTypeQuery', {
              queryDefinitionName: `${props.prefix}/errors-by-type`,
              logGroups,
              queryString: new logs.QueryString({
                fields: ['@timestamp', '@log', 'coalesce(errorType, error.name, err.name, message) as type'],
                filterStatements: ['level in ["error", "ERROR"] or ispresent(errorType)'],
                statsStatements: ['count(*) as errors by type, @log'],
                sort: 'errors desc',
                limit: 100,
              }),
            }),
          ];
  }

  /**
   * An alarm on a plain metric (no metric math) that publishes to the operations topic, on alarm and on OK.
   * Missing data is not breaching: a quiet deployment is not an incident.
   */
  public addAlarm(
    name: string,
    metric: cloudwatch.IMetric,
    options: {
      threshold: number;
      operator: cloudwatch.ComparisonOperator;
      description: string;
      runbook: string;
      evaluationPeriods?: number;
    },
  ): cloudwatch.Alarm {
    const alarmName = `${this.prefix}-${name}`;
    if (this.alarms.has(alarmName)) throw new Error(`Operations: an alarm named ${alarmName} exists already`);
    const alarm = new cloudwatch.Alarm(this, `Alarm-${name}`, {
      alarmName,
      alarmDescription: `cutover: ${options.description}. Runbook: ${options.runbook}`,
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: options.operator,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.set(alarmName, { alarm, runbook: options.runbook });
    return alarm;
  }

  /**
   * The extension point for two-way sync: a row with its lag and open conflicts, and an alarm on each.
   * Call once, with metrics the sync stack publishes (plain metrics: alarms cannot use metric math on the emulators).
   */
  public addSyncWidgets(props: SyncWidgetsProps): void {
    if (this.syncWired) throw new Error('Operations.addSyncWidgets: sync is wired already');
    this.syncWired = true;
    const width = 24 / (2 + (props.backlog ? 1 : 0) + (props.errors?.length ? 1 : 0));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: props.streamLag ? 'Two-way sync: lag (relay left, stream right)' : 'Two-way sync: lag',
        width,
        left: [props.lag],
        ...(props.streamLag ? { right: [props.streamLag] } : {}),
      }),
      ...(props.backlog ? [new cloudwatch.GraphWidget({ title: 'Two-way sync: backlog', width, left: [props.backlog] })] : []),
      ...(props.errors?.length
        ? [new cloudwatch.GraphWidget({ title: 'Two-way sync: relay and applier errors', width, left: [...props.errors] })]
        : []),
      new cloudwatch.GraphWidget({ title: 'Two-way sync: conflicts', width, left: [props.conflicts] }),
    );
    const lagThreshold = props.lagThreshold ?? 60;
    this.addAlarm('sync-lag', props.lag, {
      threshold: lagThreshold,
      operator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      description: `two-way sync lags more than ${lagThreshold} (in the lag metric's unit) for three periods`,
      runbook:
        '`cutover sync status` shows open conflicts and the relay lag; read the relay and applier logs (errors-by-type query) and the sync dead-letter queue.',
    });
    if (props.streamLag) {
      const streamLagThreshold = props.streamLagThreshold ?? 60_000;
      this.addAlarm('sync-stream-lag', props.streamLag, {
        threshold: streamLagThreshold,
        operator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        description: `services -> monolith sync lags more than ${streamLagThreshold} (in the metric's unit) for three periods`,
        runbook:
          '`cutover sync status` shows the stream lag; read the stream applier logs (errors-by-type query) and the sync dead-letter queue; check the monolith is reachable from the function.',
      });
    }
    const maxConflicts = props.maxConflicts ?? 0;
    this.addAlarm('sync-conflicts', props.conflicts, {
      threshold: maxConflicts,
      operator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `more than ${maxConflicts} sync conflicts`,
      runbook:
        "`cutover sync conflicts list`, then resolve each by the entity's policy (`cutover sync conflicts resolve <id> --take ... --reason ...` for manual ones).",
    });
  }
}
