import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RollbackThresholds } from '../../core/routing/model';
import { ROUTING_METRIC_NAMESPACE, rollbackAlarmName, routingMetricName, type RoutingMetric } from '../../core/routing/wire';
import type { Spec } from '../../core/spec';
import { ASYNC_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { acknowledgeFunctionFindings } from './function-acks';
import type { RoutingTables } from './routing-tables';

/** One alarm the spec's thresholds call for. Pure: the construct renders these, the tests read them. */
export interface RollbackAlarmSpec {
  readonly capability: string;
  readonly metric: RoutingMetric;
  readonly metricName: string;
  /** `Average` for the 0/1 rate series, `p95` for latency. */
  readonly statistic: 'Average' | 'p95';
  readonly threshold: number;
  readonly periodSeconds: number;
}

/**
 * The alarms for every capability's `autoRollback` thresholds: error rate and mismatch rate as the Average
 * of 0/1 samples, latency as p95. `minSamples` is not expressible without metric math (which MiniStack
 * cannot deploy), so the alarm is the trigger and the rollback Lambda judges the window with core's
 * `shouldRollback`, `minSamples` included.
 */
export function rollbackAlarmSpecs(spec: Spec): RollbackAlarmSpec[] {
  const out: RollbackAlarmSpec[] = [];
  for (const [capability, cap] of Object.entries(spec.routing?.capabilities ?? {})) {
    const t: RollbackThresholds = cap.autoRollback;
    const add = (metric: RoutingMetric, threshold: number | undefined, statistic: 'Average' | 'p95') => {
      if (threshold === undefined) return;
      out.push({
        capability,
        metric,
        metricName: routingMetricName(capability, 'candidate', metric),
        statistic,
        threshold,
        periodSeconds: t.periodSeconds,
      });
    };
    add('ErrorRate', t.maxErrorRate, 'Average');
    add('LatencyMs', t.maxP95LatencyMs, 'p95');
    add('MismatchRate', t.maxMismatchRate, 'Average');
  }
  return out;
}

export interface AutoRollbackProps {
  readonly spec: Spec;
  readonly servicesBus: events.IEventBus;
  readonly tables: RoutingTables;
  readonly auditTable: dynamodb.ITable;
  readonly deadLetterQueue: sqs.IQueue;
  /** Prefix of the alarm names (`<prefix>-<capability>-<metric>`). */
  readonly alarmPrefix: string;
}

/**
 * Automatic rollback: CloudWatch alarms on each candidate's published metrics -> an SNS topic -> the
 * auto-rollback Lambda, which judges the window and runs the same rollback as `cutover route rollback`
 * (history, audit, `cutover.rolled-back`). SNS rather than an EventBridge rule on alarm state changes:
 * alarm actions to SNS are what AWS, LocalStack and MiniStack all execute (MiniStack runs no Lambda alarm
 * actions and emits no alarm events), so the same wiring is exercised locally.
 */
export class AutoRollback extends Construct {
  public readonly topic: sns.Topic;
  public readonly function: CutoverFunction;
  public readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;

  public constructor(scope: Construct, id: string, props: AutoRollbackProps) {
    super(scope, id);
    // Not KMS-encrypted on purpose: CloudWatch alarm actions cannot publish to a topic under the AWS managed
    // SNS key, and the messages hold alarm names and thresholds only, no business data.
    this.topic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true, displayName: 'cutover routing rollback alarms' });

    this.function = new CutoverFunction(this, 'Function', {
      functionDir: 'auto-rollback',
      spec: props.spec,
      description: 'cutover: judges a rollback alarm and rolls the capability back to the monolith',
      environment: {
        ROUTING_TABLE_NAME: props.tables.table.tableName,
        ROUTING_HISTORY_TABLE_NAME: props.tables.historyTable.tableName,
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        AUDIT_TABLE_NAME: props.auditTable.tableName,
      },
    });
    props.tables.grantChange(this.function);
    props.servicesBus.grantPutEventsTo(this.function);
    props.auditTable.grant(this.function, 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:GetItem');
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricStatistics'], resources: ['*'] }));
    acknowledgeFunctionFindings(this.function);
    // After the shared acknowledgements, so this reason (which covers both uses of "*") is the one recorded.
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:GetMetricStatistics has no resource-level permissions, so AWS requires "*"; X-Ray tracing likewise. Both are read-only or telemetry.',
    });
    this.function.configureAsyncInvoke({ ...ASYNC_RETRY, onFailure: new SqsDestination(props.deadLetterQueue) });
    this.topic.addSubscription(new subs.LambdaSubscription(this.function, { deadLetterQueue: props.deadLetterQueue }));

    const action = new cwActions.SnsAction(this.topic);
    const alarms = new Map<string, cloudwatch.Alarm>();
    for (const a of rollbackAlarmSpecs(props.spec)) {
      const name = rollbackAlarmName(props.alarmPrefix, a.capability, a.metric);
      const alarm = new cloudwatch.Alarm(this, `${pascal(a.capability)}${a.metric}`, {
        alarmName: name,
        alarmDescription: `cutover: roll ${a.capability} back to the monolith when the candidate's ${a.metric} ${a.statistic} exceeds ${a.threshold}`,
        metric: new cloudwatch.Metric({
          namespace: ROUTING_METRIC_NAMESPACE,
          metricName: a.metricName,
          dimensionsMap: { Capability: a.capability, Side: 'candidate' },
          statistic: a.statistic,
          period: Duration.seconds(a.periodSeconds),
        }),
        threshold: a.threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarms.set(name, alarm);
    }
    this.alarms = alarms;
  }
}

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}
