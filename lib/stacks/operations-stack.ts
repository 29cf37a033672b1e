import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SYNC_METRIC_NAMESPACE, SYNC_METRIC_SERVICE, SYNC_METRICS } from '../../core/operations/metrics';
import type { Spec } from '../../core/spec';
import { isDeadLetterQueue } from '../constructs/dead-letter-queue';
import { Operations, type OperationsSagaProps } from '../constructs/operations';
import { OUTPUTS } from '../../core/contract';

export interface OperationsStackProps extends StackProps {
  readonly spec: Spec;
  /** Name of the dashboard and prefix of the alarm names (the app's stack prefix). */
  readonly prefix: string;
  /** The deployment's other stacks: their dead-letter queues and function log groups are found in them. */
  readonly watched: readonly Stack[];
  /** @default - no saga row */
  readonly saga?: OperationsSagaProps;
  /** See OperationsProps.savedQueries. @default true */
  readonly savedQueries?: boolean;
  /** @default - the topic is created here */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Continuous validation is deployed (DataStack.validator, only with the monolith's secret): only then is
   * there a divergence alarm, since without a validator nothing writes its metric.
   * @default false
   */
  readonly continuousValidation?: boolean;
  /** The deployed two-way sync: its row of the dashboard and its lag and conflicts alarms. @default - not wired */
  readonly sync?: OperationsSyncProps;
}

/** What the operations stack reads of the two-way sync. */
export interface OperationsSyncProps {
  /** The services -> monolith applier: its IteratorAge is the stream lag. */
  readonly streamFunction: lambda.IFunction;
  /** The lag alarms' threshold (the spec's `sync.lagToleranceSeconds`). @default 60 */
  readonly lagToleranceSeconds?: number;
}

/**
 * The sync's metrics as the relay and the appliers publish them (Powertools adds the `service` dimension)
 * and the stream applier's IteratorAge, wired into the dashboard and alarms.
 */
export function wireSyncOperations(operations: Operations, props: OperationsSyncProps): void {
  const sync = (metricName: string, statistic: string, extra: Record<string, string> = {}, label?: string) =>
    new cloudwatch.Metric({
      namespace: SYNC_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { service: SYNC_METRIC_SERVICE, ...extra },
      statistic,
      period: Duration.minutes(1),
      ...(label ? { label } : {}),
    });
  const tolerance = props.lagToleranceSeconds ?? 60;
  operations.addSyncWidgets({
    lag: sync(SYNC_METRICS.relayLagSeconds, 'Maximum'),
    lagThreshold: tolerance,
    streamLag: props.streamFunction.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
    streamLagThreshold: tolerance * 1000,
    backlog: sync(SYNC_METRICS.relayBacklog, 'Maximum'),
    errors: [
      sync(SYNC_METRICS.relayErrors, 'Sum', {}, 'relay'),
      sync(SYNC_METRICS.applyErrors, 'Sum', { Direction: 'toService' }, 'applier monolith -> services'),
      sync(SYNC_METRICS.applyErrors, 'Sum', { Direction: 'toMonolith' }, 'applier services -> monolith'),
    ],
    conflicts: sync(SYNC_METRICS.openConflicts, 'Maximum'),
  });
}

/** The output keys the CLI, the README and the user read. Their names live in core/contract.ts, where the readers take them from: a rename fails the typecheck. */
export const OPERATIONS_OUTPUTS = OUTPUTS.operations;

/**
 * Every dead-letter queue in the stacks, by `<stack>-<owner>` (e.g. `bridge-auditlog`): queues made by
 * `deadLetterQueue()` and the redrive queues of any other queue, so a new construct's DLQ is watched
 * without anyone remembering to add it here.
 */
export function collectDeadLetterQueues(stacks: readonly Stack[]): Record<string, sqs.IQueue> {
  const out: Record<string, sqs.IQueue> = {};
  const add = (stack: Stack, q: sqs.IQueue, owner: string) => {
    const short = stack.node.id.split('-').slice(1).join('-') || stack.node.id;
    let name = `${short}-${owner}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
    for (let i = 2; out[name] !== undefined && out[name] !== q; i++)
      name = `${short}-${owner}-${i}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
    out[name] = q;
  };
  for (const stack of stacks)
    for (const c of stack.node.findAll()) if (isDeadLetterQueue(c)) add(stack, c, c.node.scope?.node.id ?? c.node.id);
  for (const stack of stacks) {
    for (const c of stack.node.findAll()) {
      if (c instanceof sqs.Queue && c.deadLetterQueue && !Object.values(out).includes(c.deadLetterQueue.queue))
        add(stack, c.deadLetterQueue.queue, `${c.node.id}-dlq`);
    }
  }
  return out;
}

/** The log group of every Lambda function in the stacks (for the saved Logs Insights queries). */
export function collectLogGroups(stacks: readonly Stack[]): logs.ILogGroup[] {
  const out: logs.ILogGroup[] = [];
  for (const stack of stacks)
    for (const c of stack.node.findAll()) if (c instanceof lambda.Function && !c.node.path.includes('/Custom::')) out.push(c.logGroup);
  return out;
}

/** The deployment's dashboard, its alarms (one SNS topic to subscribe to) and its saved queries. */
export class OperationsStack extends Stack {
  public readonly operations: Operations;

  public constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    const deadLetterQueues = collectDeadLetterQueues(props.watched);
    this.operations = new Operations(this, 'Operations', {
      prefix: props.prefix,
      deadLetterQueues,
      saga: props.saga,
      capabilities: Object.keys(props.spec.routing?.capabilities ?? {}),
      divergenceAlarm: props.continuousValidation === true,
      logGroups: collectLogGroups(props.watched),
      alarmTopic: props.alarmTopic,
      savedQueries: props.savedQueries,
    });
    if (props.sync) wireSyncOperations(this.operations, props.sync);
    const out = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    out(
      OPERATIONS_OUTPUTS.alarmTopicArn,
      this.operations.topic.topicArn,
      'Subscribe here (e-mail, chat, pager): every operations alarm publishes to this topic',
    );
    out(OPERATIONS_OUTPUTS.dashboardName, this.operations.dashboard.dashboardName, 'The CloudWatch dashboard of this deployment');
    out(
      OPERATIONS_OUTPUTS.alarmNames,
      this.toJsonString([...this.operations.alarms.keys()]),
      'The operations alarms (JSON list); runbook lines in the README',
    );
    out(
      OPERATIONS_OUTPUTS.deadLetterQueueUrls,
      this.toJsonString(Object.fromEntries(Object.entries(deadLetterQueues).map(([name, q]) => [name, q.queueUrl]))),
      'Every dead-letter queue of the deployment by name (JSON): cutover status reads their depths',
    );
  }
}
