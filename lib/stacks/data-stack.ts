import { CfnOutput, Duration, Stack, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { apiModelsOf, apiTableIndexes } from '../../core/api/model';
import type { Spec } from '../../core/spec';
import { BackfillDistributedMap } from '../constructs/backfill-distributed-map';
import { ConsistencyValidator } from '../constructs/consistency-validator';
import { CutoverFunction } from '../constructs/cutover-function';
import { acknowledgeFunctionFindings } from '../constructs/function-acks';
import { ServiceTables } from '../constructs/service-tables';
import { ConfigurationError } from '../../core/errors';
import { OUTPUTS } from '../../core/contract';

export interface DataStackProps extends StackProps {
  readonly spec: Spec;
  /** The bridge's services bus: `consistency.divergence` events go here. */
  readonly servicesBus: events.IEventBus;
  /** @default - `<stack name in lower case>-`, e.g. `cutover-data-orders` */
  readonly tableNamePrefix?: string;
  /**
   * The secret holding the monolith's connection URL, for continuous validation (see
   * ConsistencyValidatorProps.sourceSecret). Continuous validation is deployed only when this or
   * `sourceSecretArn` is given: without a monolith it could only fail.
   * @default - no continuous validation
   */
  readonly sourceSecret?: secretsmanager.ISecret;
  /** The same secret by its complete ARN (e.g. from CUTOVER_MONOLITH_SECRET_ARN). @default - none */
  readonly sourceSecretArn?: string;
  /** Run continuous validation in this VPC (a private database). @default - not in a VPC */
  readonly validatorVpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly validatorVpcSubnets?: ec2.SubnetSelection;
  /** @default - a security group CDK creates */
  readonly validatorSecurityGroups?: ec2.ISecurityGroup[];
  /** How often continuous validation runs. @default Duration.minutes(5) */
  readonly validationSchedule?: Duration;
  /** Rows per entity per validation run (see ConsistencyValidatorProps.rowsPerRun). @default 7000 */
  readonly validationRowsPerRun?: number;
  /**
   * Backfill an entity from an S3 export of its monolith table with a Distributed Map and its worker
   * function (functions/backfill-worker), instead of `cutover backfill` reading the database.
   * @default - no export backfill
   */
  readonly exportBackfill?: {
    /** The bucket the export is in (made by the export, not by this stack). */
    readonly bucketName: string;
    /** Key prefix of the export's data files (JSON lines, .gz or not), e.g. `exports/orders/`. */
    readonly prefix: string;
    /** The entity of the spec's migration section the export holds. */
    readonly entity: string;
    /** @default 40 */
    readonly maxConcurrency?: number;
    /** @default 1 */
    readonly filesPerBatch?: number;
  };
}

/** Output keys the CLI, the tests and the demo read. Their names live in core/contract.ts, where the readers take them from: a rename fails the typecheck. */
export const DATA_OUTPUTS = OUTPUTS.data;

export const pascal = (name: string): string => name.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** Data migration (issue 6): the services' target tables and continuous validation of what they hold. */
export class DataStack extends Stack {
  public readonly tables: ServiceTables;
  /** Present when a source secret was given. */
  public readonly validator?: ConsistencyValidator;
  /** Present with `exportBackfill`. */
  public readonly exportBackfill?: BackfillDistributedMap;

  public constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    if (!props.spec.migration) throw new ConfigurationError('DataStack: the spec has no migration section', { setting: 'spec.migration' });
    this.tables = new ServiceTables(this, 'ServiceTables', {
      migration: props.spec.migration,
      tableNamePrefix: props.tableNamePrefix ?? `${this.stackName.toLowerCase()}-`,
      // The indexes the generated APIs query (their filters on customerId and the like).
      indexes: apiTableIndexes(apiModelsOf(props.spec)),
      // The two-way sync reads the service side's changes from the tables' streams.
      streamTables: Object.keys(props.spec.sync?.entities ?? {})
        .map((e) => props.spec.migration!.entities[e]?.target.table)
        .filter((t): t is string => t !== undefined),
    });
    if (props.sourceSecret && props.sourceSecretArn)
      throw new ConfigurationError('DataStack: give sourceSecret or sourceSecretArn, not both', { setting: 'sourceSecretArn' });
    const sourceSecret =
      props.sourceSecret ??
      (props.sourceSecretArn ? secretsmanager.Secret.fromSecretCompleteArn(this, 'SourceSecret', props.sourceSecretArn) : undefined);
    if (sourceSecret) {
      this.validator = new ConsistencyValidator(this, 'ConsistencyValidator', {
        spec: props.spec,
        tables: this.tables,
        servicesBus: props.servicesBus,
        sourceSecret,
        vpc: props.validatorVpc,
        vpcSubnets: props.validatorVpcSubnets,
        securityGroups: props.validatorSecurityGroups,
        schedule: props.validationSchedule,
        rowsPerRun: props.validationRowsPerRun,
      });
    }

    if (props.exportBackfill) {
      const { entity, bucketName, prefix } = props.exportBackfill;
      const def = props.spec.migration.entities[entity];
      if (!def)
        throw new ConfigurationError(
          `DataStack exportBackfill.entity: ${JSON.stringify(entity)} is not an entity of the migration section`,
          {
            setting: 'exportBackfill.entity',
          },
        );
      const bucket = s3.Bucket.fromBucketName(this, 'ExportBucket', bucketName);
      const table = this.tables.tables.get(def.target.table)!;
      const worker = new CutoverFunction(this, 'BackfillWorker', {
        functionDir: 'backfill-worker',
        spec: props.spec,
        description: `cutover: copy a batch of the ${entity} export into its service table (Distributed Map worker)`,
        timeout: Duration.minutes(15),
        memorySize: 1024,
        environment: { EXPORT_BUCKET: bucket.bucketName },
      });
      acknowledgeFunctionFindings(worker);
      this.exportBackfill = new BackfillDistributedMap(this, 'ExportBackfill', {
        exportBucket: bucket,
        exportPrefix: prefix,
        worker,
        table,
        entity,
        maxConcurrency: props.exportBackfill.maxConcurrency,
        filesPerBatch: props.exportBackfill.filesPerBatch,
      });
      // The wildcards cdk-nag sees, each scoped as far as the resource allows.
      const tableId = this.getLogicalId(table.node.defaultChild as CfnElement);
      Validations.of(worker).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucketName}/${prefix}*]`,
        reason: 'The worker reads the export files the map hands it: any object under the export prefix, nothing else in the bucket.',
      });
      Validations.of(worker).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${tableId}.Arn>/index/*]`,
        reason: "The table grant covers the table's indexes by a wildcard; the worker only writes items (BatchWriteItem, PutItem).",
      });
      Validations.of(this.exportBackfill.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucketName}/*]`,
        reason: 'The result writer puts one object per batch under the results prefix; Step Functions names those objects itself.',
      });
      new CfnOutput(this, DATA_OUTPUTS.exportBackfillStateMachineArn, {
        value: this.exportBackfill.stateMachine.stateMachineArn,
        description: `Backfill of ${entity} from its S3 export (start an execution with {})`,
      });
      new CfnOutput(this, DATA_OUTPUTS.exportBackfillWorkerName, {
        value: worker.functionName,
        description: `The export backfill's worker: copies one batch of ${entity} export files ({ entity, table, files: [{ Key }] })`,
      });
    }

    new CfnOutput(this, DATA_OUTPUTS.migrationTables, {
      value: this.toJsonString(this.tables.entityTables),
      description: 'Data migration: entity -> service table (backfill/verify --table)',
    });
    for (const [name, table] of this.tables.tables) {
      new CfnOutput(this, `${DATA_OUTPUTS.migrationTablePrefix}${pascal(name)}`, {
        value: table.tableName,
        description: `Service table for the spec's ${name} table`,
      });
    }
    if (this.validator) {
      new CfnOutput(this, DATA_OUTPUTS.validatorFunctionName, {
        value: this.validator.function.functionName,
        description: 'Continuous validation (invoke to run a pass now)',
      });
      new CfnOutput(this, DATA_OUTPUTS.validatorDlqUrl, {
        value: this.validator.deadLetterQueue.queueUrl,
        description: 'Validation runs that failed after every retry',
      });
      new CfnOutput(this, DATA_OUTPUTS.sweepTableName, {
        value: this.validator.sweepTable.tableName,
        description: "Where each entity's validation sweep stands",
      });
    }
  }
}
