import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';

/** Matches every event on a bus: each event has a string `source`, and every string starts with "". */
export const CATCH_ALL_PATTERN: events.EventPattern = { source: events.Match.prefix('') };

/** Retries of a rule target and of the async invocation behind it; the same for every cutover rule. */
export const TARGET_RETRY = { retryAttempts: 10, maxEventAge: Duration.hours(24) } as const;
export const ASYNC_RETRY = { retryAttempts: 2, maxEventAge: Duration.hours(6) } as const;

/** Records per writer and sequencer invocation: the most an SQS FIFO source takes, and the most without a window. */
export const AUDIT_WRITER_BATCH = 10;

export interface AuditLogProps {
  readonly spec: Spec;
  /** The buses whose every event is logged, by label (the label is recorded in each entry as `bus`). */
  readonly buses: Readonly<Record<string, events.IEventBus>>;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Receives of one message (intake or ordered queue) before it is moved to a dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * The append-only audit log: a DynamoDB table hash-chained per stream (partition `stream`, sort key `sk`:
 * `S#<sequence>` entries and `E#<eventId>` de-duplication markers), fed in batches:
 *
 *   bus --catch-all rule--> intake queue (standard, one per bus) --> sequencer (one per bus, batches)
 *       --> ordered queue (SQS FIFO: group = audit stream, dedup id = event id) --> writer (batches of 10)
 *
 * EventBridge gives a FIFO target one fixed MessageGroupId per target, so the rule cannot group by stream;
 * the sequencer names each event's stream and sends it on. Nothing is granted DeleteItem or UpdateItem;
 * the writer gets PutItem (always conditional), Query and GetItem. PITR on, encrypted, retained when the
 * stack goes. Each queue has a dead-letter queue: `deadLetterQueue` (rule delivery failures, intake
 * messages the sequencer kept failing) and `orderedDeadLetterQueue` (FIFO: events the writer kept failing).
 */
export class AuditLog extends Construct {
  public readonly table: dynamodb.Table;
  /** Events EventBridge could not deliver to an intake queue, and intake messages that could not be sequenced. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Events the writer could not log after `maxReceiveCount` receives (FIFO, as its source queue). */
  public readonly orderedDeadLetterQueue: sqs.Queue;
  /** The ordered queue: SQS FIFO, one message group per audit stream. */
  public readonly queue: sqs.Queue;
  public readonly writer: CutoverFunction;
  public readonly intakeQueues: Readonly<Record<string, sqs.Queue>>;
  public readonly sequencers: Readonly<Record<string, CutoverFunction>>;
  public readonly rules: Readonly<Record<string, events.Rule>>;

  public constructor(scope: Construct, id: string, props: AuditLogProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)
      throw new Error(`AuditLog maxReceiveCount must be a whole number >= 1, got ${maxReceiveCount}`);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'stream', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    this.orderedDeadLetterQueue = deadLetterQueue(this, 'OrderedDeadLetterQueue', { fifo: true });

    this.writer = new CutoverFunction(this, 'Writer', {
      functionDir: 'audit-writer',
      spec: props.spec,
      description: 'cutover: appends the events of the ordered audit queue to the audit log, stream by stream',
      environment: { AUDIT_TABLE_NAME: this.table.tableName },
    });
    this.grantAppend(this.writer);
    acknowledgeFunctionFindings(this.writer);
    this.queue = new sqs.Queue(this, 'OrderedQueue', {
      fifo: true,
      // The sequencer sets the deduplication id (the event id); content-based would merge equal bodies.
      contentBasedDeduplication: false,
      // Per message group (one audit stream) rather than per queue: streams flow in parallel.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: sixTimes(this.writer),
      deadLetterQueue: { queue: this.orderedDeadLetterQueue, maxReceiveCount },
    });
    this.writer.addEventSource(new SqsEventSource(this.queue, { batchSize: AUDIT_WRITER_BATCH, reportBatchItemFailures: true }));

    const intakeQueues: Record<string, sqs.Queue> = {};
    const sequencers: Record<string, CutoverFunction> = {};
    const rules: Record<string, events.Rule> = {};
    for (const [label, bus] of Object.entries(props.buses)) {
      const name = pascal(label);
      const sequencer = new CutoverFunction(this, `${name}Sequencer`, {
        functionDir: 'audit-sequencer',
        spec: props.spec,
        description: `cutover: queues every event on the ${label} bus for the audit log, grouped by audit stream`,
        environment: { AUDIT_QUEUE_URL: this.queue.queueUrl, AUDIT_BUS: label },
      });
      this.queue.grantSendMessages(sequencer);
      acknowledgeFunctionFindings(sequencer);
      const intake = new sqs.Queue(this, `${name}Intake`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(4),
        visibilityTimeout: sixTimes(sequencer),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      });
      // Ten per call and no batching window: above ten AWS requires a window of at least a second, which would
      // add up to that second to every event's way to the log (the bridge's put -> audit target is 500 ms).
      // A busy bus still fills batches: pollers receive up to ten messages at a time.
      sequencer.addEventSource(new SqsEventSource(intake, { batchSize: AUDIT_WRITER_BATCH, reportBatchItemFailures: true }));
      rules[label] = new events.Rule(this, `${name}CatchAll`, {
        eventBus: bus,
        description: `cutover: every event on the ${label} bus, to the audit log`,
        eventPattern: CATCH_ALL_PATTERN,
        targets: [new targets.SqsQueue(intake, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
      });
      intakeQueues[label] = intake;
      sequencers[label] = sequencer;
    }
    this.intakeQueues = intakeQueues;
    this.sequencers = sequencers;
    this.rules = rules;
  }

  /** Lets `grantee` append entries: PutItem (conditional, by the store), Query and GetItem for the head. */
  public grantAppend(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:GetItem');
  }

  /** Lets `grantee` read and verify the log (Query, GetItem, Scan for the list of streams). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:Scan');
  }
}

/** AWS's advice for a queue behind a Lambda event source: a visibility timeout of six times the function's. */
function sixTimes(fn: CutoverFunction): Duration {
  return Duration.seconds(6 * (fn.timeout?.toSeconds() ?? 30));
}

function pascal(label: string): string {
  return label
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}
