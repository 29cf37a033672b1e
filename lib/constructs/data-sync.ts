import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { LEDGER_STATUS_INDEX } from '../../core/sync/ledger';
import { ASYNC_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import type { ServiceTables } from './service-tables';
import type { FunctionEnvironment } from '../../core/contract';

export interface DataSyncProps {
  readonly spec: Spec;
  /** The service tables (streams enabled on the synced ones: ServiceTablesProps.streamTables). */
  readonly tables: ServiceTables;
  /** Where `sync.conflict-detected` / `sync.conflict-resolved` go. */
  readonly servicesBus: events.IEventBus;
  /** The audit log: every conflict is appended to it. @default - not audited */
  readonly auditTable?: dynamodb.ITable;
  /**
   * The secret holding the monolith's connection URL (a `url` field, or the whole text). @default - a new
   * secret to fill in (`aws secretsmanager put-secret-value`); the relay and the SQL applier fail naming
   * it until then
   */
  readonly sourceSecret?: secretsmanager.ISecret;
  /** Run the relay and the SQL applier in this VPC (a private database). @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group per function */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** How often the relay starts (it then polls for up to `relayRunTime`). @default Duration.minutes(1) */
  readonly relaySchedule?: Duration;
  /** How long one relay invocation polls. @default Duration.seconds(50) */
  readonly relayRunTime?: Duration;
  /** Prefix of the capture objects in the monolith (cutover_changes...). @default '' */
  readonly capturePrefix?: string;
  /** Receives before a change goes to the rejects queue. @default 5 */
  readonly maxReceiveCount?: number;
  /**
   * Whether the relay schedule and the stream event source mappings are on at deploy. Off, nothing polls
   * the monolith or fails on an empty secret: `cutover sync start` turns them on once capture is installed
   * and the secret filled. A stream keeps records 24 h and the mappings read from TRIM_HORIZON, so service
   * writes made while stopped are applied on start if it comes within that window. Pass true to keep sync
   * running across later deploys (a deploy that changes a mapping resets it to this value).
   * @default false
   */
  readonly enabled?: boolean;
}

/**
 * Two-way data sync. Monolith -> services: a scheduled relay Lambda reads the capture change table and ships
 * to an SQS FIFO queue (group = entity key), whose applier writes the service tables. Services -> monolith:
 * the service tables' streams feed an applier that writes the monolith through the SQL writer. Conflicts go
 * to a ledger table, the services bus and the audit log; parked keys and per-key positions to a state table.
 * Every queue has a dead-letter queue; the relay and the SQL applier read the monolith URL from Secrets
 * Manager and can run in a VPC.
 */
export class DataSync extends Construct {
  public readonly changesQueue: sqs.Queue;
  /** FIFO: rows that cannot be mapped (sent by the applier with the reason) and changes that kept failing. */
  public readonly rejectsQueue: sqs.Queue;
  /** Stream records that kept failing, and failed relay runs. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly ledgerTable: dynamodb.Table;
  public readonly stateTable: dynamodb.Table;
  public readonly sourceSecret: secretsmanager.ISecret;
  public readonly relayFunction: CutoverFunction;
  public readonly itemsFunction: CutoverFunction;
  public readonly streamFunction: CutoverFunction;
  public readonly relayRule: events.Rule;

  public constructor(scope: Construct, id: string, props: DataSyncProps) {
    super(scope, id);
    const sync = props.spec.sync;
    const migration = props.spec.migration;
    if (!sync || !migration) throw new Error('DataSync: the spec has no sync section (or no migration section to map with)');
    const runTime = props.relayRunTime ?? Duration.seconds(50);
    if (runTime.toSeconds() < 1 || runTime.toSeconds() > 840)
      throw new Error(`DataSync relayRunTime must be between 1 s and 14 min, got ${runTime.toSeconds()} s`);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)
      throw new Error(`DataSync maxReceiveCount must be a whole number >= 1, got ${maxReceiveCount}`);
    const syncedTables = [...new Set(Object.keys(sync.entities).map((e) => migration.entities[e].target.table))];
    const tables = syncedTables.map((t) => {
      const table = props.tables.tables.get(t);
      if (!table) throw new Error(`DataSync: no service table ${t}`);
      if (!table.tableStreamArn) throw new Error(`DataSync: service table ${t} has no stream; give it in ServiceTablesProps.streamTables`);
      return [t, table] as const;
    });
    const tableNames = Object.fromEntries(tables.map(([t, table]) => [t, table.tableName]));
    const vpcProps = props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups } : {};

    this.rejectsQueue = new sqs.Queue(this, 'RejectsQueue', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.rejectsQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This FIFO queue is itself the dead-letter queue of the changes queue (and where unmappable rows are kept); a DLQ of a DLQ would only move the problem.',
    });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    const itemsTimeout = Duration.seconds(30);
    this.changesQueue = new sqs.Queue(this, 'ChangesQueue', {
      fifo: true,
      // The relay sets the deduplication id (source and change id); content-based would merge equal bodies.
      contentBasedDeduplication: false,
      // Per message group (one entity key) rather than per queue: keys flow in parallel.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // AWS's advice for an SQS event source: six times the function timeout.
      visibilityTimeout: Duration.seconds(itemsTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.rejectsQueue, maxReceiveCount },
    });

    this.ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      partitionKey: { name: 'conflictId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The record of every conflict and who settled it: kept when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.ledgerTable.addGlobalSecondaryIndex({
      indexName: LEDGER_STATUS_INDEX,
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'detectedAt', type: dynamodb.AttributeType.STRING },
    });
    this.stateTable = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Parked keys and the changes queued behind them: losing them would lose writes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (props.sourceSecret) this.sourceSecret = props.sourceSecret;
    else {
      const secret = new secretsmanager.Secret(this, 'SourceSecret', {
        description: 'cutover sync: the monolith database URL as {"url": "postgres://..."}',
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          "The secret holds a URL the database owner issues; rotating it needs the owner's rotation Lambda, which the kit cannot know. Pass sourceSecret with rotation to have it.",
      });
      this.sourceSecret = secret;
    }

    const common: FunctionEnvironment = {
      TABLE_NAMES: JSON.stringify(tableNames),
      LEDGER_TABLE_NAME: this.ledgerTable.tableName,
      STATE_TABLE_NAME: this.stateTable.tableName,
      SERVICES_BUS_NAME: props.servicesBus.eventBusName,
      ...(props.auditTable ? { AUDIT_TABLE_NAME: props.auditTable.tableName } : {}),
    };
    const capture: FunctionEnvironment = props.capturePrefix ? { CAPTURE_PREFIX: props.capturePrefix } : {};

    this.relayFunction = new CutoverFunction(this, 'RelayFunction', {
      functionDir: 'sync-relay',
      spec: props.spec,
      description: 'cutover sync: relay captured monolith changes to the SQS FIFO queue in commit order',
      timeout: Duration.seconds(runTime.toSeconds() + 30),
      memorySize: 512,
      environment: {
        SOURCE_SECRET_ARN: this.sourceSecret.secretArn,
        CHANGES_QUEUE_URL: this.changesQueue.queueUrl,
        MAX_DURATION_MS: String(runTime.toMilliseconds()),
        // The relay publishes the open-conflict count with its lag (the operations dashboard and alarms).
        LEDGER_TABLE_NAME: this.ledgerTable.tableName,
        ...capture,
      },
      ...vpcProps,
    });
    this.itemsFunction = new CutoverFunction(this, 'ItemsFunction', {
      functionDir: 'sync-apply-items',
      spec: props.spec,
      description: 'cutover sync: apply monolith changes to the service tables (conflicts by the spec policy)',
      timeout: itemsTimeout,
      environment: { ...common, REJECTS_QUEUE_URL: this.rejectsQueue.queueUrl },
    });
    this.streamFunction = new CutoverFunction(this, 'StreamFunction', {
      functionDir: 'sync-apply-stream',
      spec: props.spec,
      description: 'cutover sync: apply service table changes to the monolith (conflicts by the spec policy)',
      timeout: Duration.seconds(60),
      environment: { ...common, SOURCE_SECRET_ARN: this.sourceSecret.secretArn, ...capture },
      ...vpcProps,
    });
    for (const fn of [this.relayFunction, this.itemsFunction, this.streamFunction]) acknowledgeFunctionFindings(fn);
    if (props.vpc) {
      for (const fn of [this.relayFunction, this.streamFunction]) {
        Validations.of(fn).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
          reason: 'The AWS managed VPC access policy only lets the function manage its own network interfaces in the VPC.',
        });
      }
    }

    // Relay: one at a time (the lease guarantees it too), on a schedule, failures kept.
    (this.relayFunction.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    this.relayFunction.configureAsyncInvoke({ onFailure: new SqsDestination(this.deadLetterQueue), ...ASYNC_RETRY });
    this.sourceSecret.grantRead(this.relayFunction);
    this.changesQueue.grantSendMessages(this.relayFunction);
    // Counting open conflicts reads the ledger's status index only.
    iam.Grant.addToPrincipal({
      grantee: this.relayFunction,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.ledgerTable.tableArn}/index/${LEDGER_STATUS_INDEX}`],
    });
    const enabled = props.enabled ?? false;
    this.relayRule = new events.Rule(this, 'RelaySchedule', {
      description: 'cutover sync: start the relay',
      enabled,
      schedule: events.Schedule.rate(props.relaySchedule ?? Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.relayFunction, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(5),
        }),
      ],
    });

    // Monolith -> services.
    this.itemsFunction.addEventSource(new SqsEventSource(this.changesQueue, { batchSize: 10, reportBatchItemFailures: true }));
    this.rejectsQueue.grantSendMessages(this.itemsFunction);
    // The tables' ARNs only: `table.grant` adds `<table>/index/*` once a table has an API index, and the applier reads by key.
    for (const [, table] of tables) {
      iam.Grant.addToPrincipal({
        grantee: this.itemsFunction,
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resourceArns: [table.tableArn],
      });
    }

    // Services -> monolith: each synced table's stream, in order per key, failures kept after the retries.
    for (const [, table] of tables) {
      this.streamFunction.addEventSource(
        new DynamoEventSource(table, {
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          enabled,
          batchSize: 100,
          reportBatchItemFailures: true,
          retryAttempts: 10,
          bisectBatchOnError: false,
          onFailure: new SqsDlq(this.deadLetterQueue),
        }),
      );
    }
    this.sourceSecret.grantRead(this.streamFunction);

    for (const fn of [this.itemsFunction, this.streamFunction]) {
      // The appliers only add and read entries by id: no index access, no update, no delete.
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
        resourceArns: [this.ledgerTable.tableArn],
      });
      this.stateTable.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query');
      props.servicesBus.grantPutEventsTo(fn);
      props.auditTable?.grant(fn, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query');
    }
  }
}
