import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { TARGET_RETRY } from './audit-log';
import type { Capture } from './capture';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import { ConfigurationError } from '../../core/errors';

export interface ReplayProps {
  readonly spec: Spec;
  /** Where `replay.requested` arrives and where the replay's lifecycle events go (and are audited). */
  readonly servicesBus: events.IEventBus;
  /** The capture whose table the replay reads, and whose function collects the targets' outcomes. */
  readonly capture: Capture;
  /** Capability name -> the function of its candidate implementation. More with `addTarget`. @default {} */
  readonly targets?: Readonly<Record<string, lambda.IFunction>>;
  /**
   * Longest slice one invocation runs before it checkpoints and queues the next. The function timeout is
   * this plus 60 s.
   * @default Duration.minutes(4)
   */
  readonly sliceDuration?: Duration;
  /** @default RemovalPolicy.DESTROY (state and reports are derived from captured data) */
  readonly removalPolicy?: RemovalPolicy;
}

/** The event a team puts on the services bus to start a replay (detail: the request, see replay-state-store). */
export const REPLAY_REQUESTED = 'replay.requested';

/**
 * Replay and compare: a work queue (fed by the CLI and by a `replay.requested` rule on the services bus)
 * drives the replay Lambda one time-bounded slice at a time; state (checkpoint, status) lives in the
 * ReplayState table, results and reports in the DiffReport table. Targets are invoked directly, in shadow
 * mode, and put what they emit on the shadow bus, which no live rule reads; the capture function collects
 * those outcomes for the compare step.
 */
export class Replay extends Construct {
  public readonly stateTable: dynamodb.Table;
  public readonly reportTable: dynamodb.Table;
  /** Where replay targets put their outcome events. Nothing live listens here. */
  public readonly shadowBus: events.EventBus;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly function: CutoverFunction;
  public readonly requestRule: events.Rule;
  private readonly targets: Record<string, lambda.IFunction> = {};

  public constructor(scope: Construct, id: string, props: ReplayProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    };
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'replayId', type: dynamodb.AttributeType.STRING },
      ...tableDefaults,
    });
    this.reportTable = new dynamodb.Table(this, 'ReportTable', {
      partitionKey: { name: 'replayId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      ...tableDefaults,
    });
    this.shadowBus = new events.EventBus(this, 'ShadowBus', { eventBusName: `${props.spec.buses.services}-shadow` });

    const slice = props.sliceDuration ?? Duration.minutes(4);
    const timeout = Duration.seconds(slice.toSeconds() + 60);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Longer than a slice can run, so a message is redelivered only when its invocation died.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() + 60),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });

    this.function = new CutoverFunction(this, 'Function', {
      functionDir: 'replay',
      spec: props.spec,
      description: 'cutover: replays captured monolith traffic to one service in shadow mode and compares the outcomes',
      timeout,
      memorySize: 512,
      environment: {
        CAPTURED_TABLE_NAME: props.capture.table.tableName,
        REPORT_TABLE_NAME: this.reportTable.tableName,
        REPLAY_STATE_TABLE_NAME: this.stateTable.tableName,
        REPLAY_QUEUE_URL: this.queue.queueUrl,
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        REPLAY_SLICE_SECONDS: String(slice.toSeconds()),
        REPLAY_MAX_RECEIVES: '3',
        REPLAY_TARGETS: Lazy.string({
          produce: () =>
            Stack.of(this).toJsonString(Object.fromEntries(Object.entries(this.targets).map(([k, fn]) => [k, fn.functionName]))),
        }),
      },
    });
    acknowledgeFunctionFindings(this.function);
    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));
    this.stateTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    this.reportTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query');
    props.capture.grantRead(this.function);
    this.queue.grantSendMessages(this.function);
    props.servicesBus.grantPutEventsTo(this.function);

    this.requestRule = new events.Rule(this, 'RequestRule', {
      eventBus: props.servicesBus,
      description: 'cutover: replay.requested events, to the replay work queue',
      eventPattern: { detailType: [REPLAY_REQUESTED] },
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY })],
    });

    props.capture.collectReplayOutcomes(this.shadowBus, this.reportTable);
    for (const [name, fn] of Object.entries(props.targets ?? {})) this.addTarget(name, fn);
  }

  /** Make `fn` the replay target for capability `name`: the replay may invoke it, and only it, directly. */
  public addTarget(name: string, fn: lambda.IFunction): void {
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name))
      throw new ConfigurationError(`replay target name must be a capability name, got ${JSON.stringify(name)}`, { setting: 'target' });
    if (this.targets[name]) throw new ConfigurationError(`replay target ${name} is already set`, { setting: 'target' });
    this.targets[name] = fn;
    // The function itself, not `:*` (its versions and aliases): the replay calls the unqualified name.
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
  }

  public get targetNames(): string[] {
    return Object.keys(this.targets).sort();
  }

  /** The map the replay function reads (capability -> function name), as a JSON token for outputs. */
  public targetsJson(): string {
    return Lazy.string({
      produce: () => Stack.of(this).toJsonString(Object.fromEntries(Object.entries(this.targets).map(([k, fn]) => [k, fn.functionName]))),
    });
  }

  /** Let an operator (the CLI) start, watch and steer replays, and read their reports. */
  public grantOperate(grantee: iam.IGrantable): void {
    this.stateTable.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    this.reportTable.grant(grantee, 'dynamodb:GetItem', 'dynamodb:Query');
    this.queue.grantSendMessages(grantee);
  }
}
