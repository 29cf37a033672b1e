import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../../core/contract';
import type { Spec } from '../../core/spec';
import { TARGET_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import { ConfigurationError } from '../../core/errors';

/** The CapturedEvents table's time-window index (see core/replay/captured-keys.ts). */
export const CAPTURED_TIME_INDEX = 'byTime';
/** The TTL attribute every captured item carries (epoch seconds). */
export const CAPTURED_TTL_ATTRIBUTE = 'expiresAt';

export interface CaptureProps {
  readonly spec: Spec;
  /** The bus the monolith puts its events on. */
  readonly legacyBus: events.IEventBus;
  /**
   * Secret mixed into the hashes of masked PII, so a masked value cannot be found by hashing guesses. It
   * lands in the capture function's environment: prefer a value resolved at deploy time from a secret store.
   * @default - no salt (masked values are plain SHA-256 hashes)
   */
  readonly piiSalt?: string;
  /**
   * What happens to the captured events when the stack is deleted. They are copies (masked, with a TTL),
   * so by default they go with the stack rather than outlive it.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The legacy event types the spec's capture section captures (every listed type not turned off). */
export function capturedLegacyTypes(spec: Spec): string[] {
  return Object.entries(spec.capture?.events ?? {})
    .filter(([, c]) => c.capture !== false)
    .map(([type]) => type)
    .sort();
}

/** The capture rule's pattern: the monolith's events of the captured types; undefined when none are captured. */
export function captureRulePattern(spec: Spec): events.EventPattern | undefined {
  const types = capturedLegacyTypes(spec);
  if (types.length === 0) return undefined;
  return { source: [spec.bridge.legacySource], detailType: types };
}

/** Matches every event that carries a replay mark: what a replay target emits in shadow mode. */
export const REPLAY_OUTCOME_PATTERN: events.EventPattern = { detail: { metadata: { replay: { replayId: events.Match.exists() } } } };

/**
 * Capture, off the live path: a rule on the legacy bus for the captured types -> an SQS queue (the rule
 * target has its own DLQ and retry policy; the queue redrives to a DLQ after three receives) -> the capture
 * Lambda, which masks, links and stores each event in the CapturedEvents table (TTL, PITR, encrypted).
 * The same function collects replay outcomes from the shadow bus (`collectReplayOutcomes`).
 */
export class Capture extends Construct {
  public readonly table: dynamodb.Table;
  public readonly function: CutoverFunction;
  public readonly queue: sqs.Queue;
  /** What could not be delivered to, or processed from, the capture queues after every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly rule?: events.Rule;
  public outcomeQueue?: sqs.Queue;
  public outcomeRule?: events.Rule;

  public constructor(scope: Construct, id: string, props: CaptureProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: CAPTURED_TTL_ATTRIBUTE,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: CAPTURED_TIME_INDEX,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    this.function = new CutoverFunction(this, 'Function', {
      functionDir: 'capture',
      spec: props.spec,
      description: 'cutover: captures monolith events (masked, with TTL) and replay outcomes',
      environment: { CAPTURED_TABLE_NAME: this.table.tableName, ...(props.piiSalt ? { CAPTURE_PII_SALT: props.piiSalt } : {}) },
    });
    acknowledgeFunctionFindings(this.function);
    // PutItem on the table only (a grant through the table would add its indexes, which are never written).
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [this.table.tableArn] }));

    this.queue = this.workQueue('Queue');
    const pattern = captureRulePattern(props.spec);
    if (pattern) {
      this.rule = new events.Rule(this, 'Rule', {
        eventBus: props.legacyBus,
        description: 'cutover: monolith events of the captured types, to the capture queue',
        eventPattern: pattern,
        targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
      });
    }
  }

  private workQueue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function timeout, as AWS advises for a queue behind a Lambda event source.
      visibilityTimeout: Duration.seconds(6 * (this.function.timeout?.toSeconds() ?? 30)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });
    this.function.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
    return queue;
  }

  /**
   * Also collect what replay targets emit in shadow mode: a rule on `bus` for events with a replay mark,
   * through a queue, into the replay's report table.
   */
  public collectReplayOutcomes(bus: events.IEventBus, reportTable: dynamodb.ITable): void {
    if (this.outcomeQueue)
      throw new ConfigurationError(`${this.node.path}: replay outcomes are already collected`, { setting: 'outcomeQueue' });
    this.outcomeQueue = this.workQueue('OutcomeQueue');
    this.outcomeRule = new events.Rule(this, 'OutcomeRule', {
      eventBus: bus,
      description: 'cutover: events emitted by replay targets in shadow mode, to the outcome collector',
      eventPattern: REPLAY_OUTCOME_PATTERN,
      targets: [new targets.SqsQueue(this.outcomeQueue, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
    });
    this.function.addEnvironment(ENV.reportTableName, reportTable.tableName);
    reportTable.grant(this.function, 'dynamodb:PutItem');
  }

  /** Read captured events: by key, by entity or correlation (Query), by time window (the index). */
  public grantRead(grantee: iam.IGrantable & IConstruct): iam.Grant {
    const grant = this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:Query');
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable)}.Arn>/index/*]`,
      reason: 'Reading the CapturedEvents table includes its own indexes (the byTime window index); the grant names this table only.',
    });
    return grant;
  }
}
