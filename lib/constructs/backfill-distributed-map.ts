import { CfnElement, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../core/errors';

export interface BackfillDistributedMapProps {
  /** The bucket holding the monolith table's export (its data files: JSON Lines or CSV, gzipped or not). */
  readonly exportBucket: s3.IBucket;
  /** Key prefix of the export's data files, e.g. `exports/2026-11-21/orders/`. */
  readonly exportPrefix: string;
  /**
   * The function that copies a batch of export files: for each file it reads the rows, maps them with the
   * entity's mapping (core/migration) and writes the items in batches of 25 with retries, then returns its
   * counts and rejects. It receives `{ entity, table, files: [{ Key, Size, ... }] }`.
   */
  readonly worker: lambda.IFunction;
  /** The service table the worker writes to. */
  readonly table: dynamodb.ITable;
  /** The entity of the spec's migration section, passed to the worker. */
  readonly entity: string;
  /** Child executions at once; each is one worker invocation. @default 40 */
  readonly maxConcurrency?: number;
  /** Export files per worker invocation. @default 1 */
  readonly filesPerBatch?: number;
  /** Where the per-batch results go (in the export bucket). @default `backfill-results/<entity>/` */
  readonly resultsPrefix?: string;
  /** Failed batches tolerated before the run fails, in percent. @default 0 */
  readonly toleratedFailurePercentage?: number;
  /** @default Duration.hours(24) */
  readonly timeout?: Duration;
}

/** Worker errors worth another try: Lambda's own transient faults and the worker's TransientError. */
export const BACKFILL_RETRYABLE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'TransientError',
  'TargetError',
];

/**
 * Backfill at AWS scale: a Step Functions Distributed Map over an S3 export of a monolith table. The map
 * lists the export's data files, hands them in batches to the worker function (up to `maxConcurrency` at
 * once), retries transient failures with backoff and jitter, and writes every batch's result to S3. The
 * mapping is the same as `cutover backfill`'s; only the reading differs (an export instead of keyset
 * pages), so a table of billions of rows is copied in parallel without touching the monolith database.
 *
 * Emulators cannot run a Distributed Map (no ItemReader); the definition is checked in the infra tier.
 */
export class BackfillDistributedMap extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: BackfillDistributedMapProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 40;
    const filesPerBatch = props.filesPerBatch ?? 1;
    const tolerated = props.toleratedFailurePercentage ?? 0;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000) {
      throw new ConfigurationError(`BackfillDistributedMap maxConcurrency must be a whole number from 1 to 10000, got ${maxConcurrency}`, {
        setting: 'maxConcurrency',
      });
    }
    if (!Number.isInteger(filesPerBatch) || filesPerBatch < 1)
      throw new ConfigurationError(`BackfillDistributedMap filesPerBatch must be a whole number >= 1, got ${filesPerBatch}`, {
        setting: 'filesPerBatch',
      });
    if (tolerated < 0 || tolerated > 100)
      throw new ConfigurationError(`BackfillDistributedMap toleratedFailurePercentage must be within 0..100, got ${tolerated}`, {
        setting: 'toleratedFailurePercentage',
      });
    if (!Token.isUnresolved(props.exportPrefix) && props.exportPrefix.startsWith('/')) {
      throw new ConfigurationError(
        `BackfillDistributedMap exportPrefix must not start with "/", got ${JSON.stringify(props.exportPrefix)}`,
        { setting: 'exportPrefix' },
      );
    }
    const resultsPrefix = props.resultsPrefix ?? `backfill-results/${props.entity}/`;

    const copy = new tasks.LambdaInvoke(this, 'CopyFiles', {
      lambdaFunction: props.worker,
      payload: sfn.TaskInput.fromObject({
        entity: props.entity,
        table: props.table.tableName,
        'files.$': '$.Items',
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
    });
    copy.addRetry({
      errors: BACKFILL_RETRYABLE_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(2),
      jitterStrategy: sfn.JitterType.FULL,
    });

    const map = new sfn.DistributedMap(this, 'CopyExport', {
      comment: `Copy the ${props.entity} export into ${props.entity}'s service table`,
      itemReader: new sfn.S3ObjectsItemReader({ bucket: props.exportBucket, prefix: props.exportPrefix }),
      itemBatcher: new sfn.ItemBatcher({ maxItemsPerBatch: filesPerBatch }),
      maxConcurrency,
      toleratedFailurePercentage: tolerated,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultWriter: new sfn.ResultWriter({ bucket: props.exportBucket, prefix: resultsPrefix }),
      label: 'BackfillFiles',
    });
    map.itemProcessor(copy);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(map.next(new sfn.Succeed(this, 'Copied'))),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: props.timeout ?? Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    // The state machine's wildcard resources are each required by the service; acknowledged with why.
    const logicalId = (c: Construct) =>
      c.node.defaultChild instanceof CfnElement ? Stack.of(this).getLogicalId(c.node.defaultChild) : undefined;
    const acks: Record<string, string> = {
      'AwsSolutions-IAM5[Resource::*]':
        'X-Ray tracing and log delivery (xray:PutTraceSegments, logs:CreateLogDelivery...) do not support resource-level permissions, so AWS requires "*".',
    };
    const workerId = logicalId(props.worker as unknown as Construct);
    if (workerId)
      acks[`AwsSolutions-IAM5[Resource::<${workerId}.Arn>:*]`] =
        'Invoking the worker also by version or alias (the grant covers the function and its qualifiers, nothing else).';
    const bucketId = logicalId(props.exportBucket as unknown as Construct);
    if (bucketId) {
      acks[`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<${bucketId}>/*]`] =
        'The result writer puts one object per batch under the results prefix; Step Functions names those objects itself.';
    }
    for (const [ack, reason] of Object.entries(acks)) Validations.of(this.stateMachine).acknowledge({ id: ack, reason });
    const executions =
      'Distributed Map child executions are created at run time with generated names, so the policy that lets the map start, describe and stop them must use a wildcard under this state machine.';
    // The finding spells region and account as the template does: pseudo parameters in an environment-agnostic
    // stack, the literal values in one deployed with an env (bin/app.ts).
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    for (const suffix of ['', '/BackfillFiles']) {
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(this.stateMachine)}"}]}]}${suffix}:*]`,
        reason: executions,
      });
    }

    // The worker reads the export's files and puts items; the map itself lists the export and writes the
    // results (the state machine's grants come with the ItemReader and ResultWriter). Named actions only.
    props.worker.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.exportBucket.arnForObjects(`${props.exportPrefix}*`)] }),
    );
    props.exportBucket.encryptionKey?.grantDecrypt(props.worker);
    props.table.grant(props.worker, 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:DescribeTable');
    props.table.encryptionKey?.grantEncryptDecrypt(props.worker);
  }
}
