import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { ASYNC_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import type { ServiceTables } from './service-tables';
import { ConfigurationError } from '../../core/errors';
import { sweepRowsPerDay } from '../../core/migration/continuous';

/** Rows per entity per run by default: with the 5-minute schedule the sweep covers 1,008,000 rows a day. */
export const DEFAULT_ROWS_PER_RUN = 7_000;
/** The default schedule. */
export const DEFAULT_VALIDATION_SCHEDULE = Duration.minutes(5);

export interface ConsistencyValidatorProps {
  readonly spec: Spec;
  readonly tables: ServiceTables;
  /** Where `consistency.divergence` events go. */
  readonly servicesBus: events.IEventBus;
  /**
   * The secret holding the monolith's connection URL (a `url` field, or the whole text), read-only access
   * is enough. Read from Secrets Manager at every run (a rotated secret is picked up), never put in the
   * function's environment.
   */
  readonly sourceSecret: secretsmanager.ISecret;
  /** Run the function in this VPC (a private database). @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a security group CDK creates */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** @default Duration.minutes(5) */
  readonly schedule?: Duration;
  /**
   * Rows per entity per run: half continue the rolling sweep over every row, half re-check rows changed
   * just before the lag. A full pass over N rows takes N / (rowsPerRun / 2 x runs a day) days: at the
   * defaults 3,500 x 288 = 1,008,000 rows a day. @default 7000
   */
  readonly rowsPerRun?: number;
  /** Overrides every entity's `verify.lagSeconds`. @default - each entity's own, else 60 */
  readonly lagSeconds?: number;
  /** Entities to validate. @default - every entity of the migration section */
  readonly entities?: readonly string[];
}

/**
 * Continuous validation: a scheduled Lambda checks a rolling sample of every migrated entity against its
 * service table and emits `consistency.divergence` on the services bus, where the audit writer counts each
 * one into the `Cutover/Consistency Divergences` metric the operations stack alarms on. The sweep cursor
 * lives in a small table so each run continues where the previous one stopped.
 */
export class ConsistencyValidator extends Construct {
  public readonly function: CutoverFunction;
  public readonly sweepTable: dynamodb.Table;
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;
  /** Rows of each entity the sweep covers in a day (see `rowsPerRun`). */
  public readonly sweepRowsPerDay: number;

  public constructor(scope: Construct, id: string, props: ConsistencyValidatorProps) {
    super(scope, id);
    const entities = props.entities ?? Object.keys(props.spec.migration?.entities ?? {});
    for (const e of entities) {
      if (!props.tables.entityTables[e])
        throw new ConfigurationError(`ConsistencyValidator entities: ${JSON.stringify(e)} is not an entity of the migration section`, {
          setting: 'entities',
        });
    }
    const rate = props.schedule ?? DEFAULT_VALIDATION_SCHEDULE;
    if (rate.toSeconds() < 60)
      throw new ConfigurationError(`ConsistencyValidator schedule must be at least 1 minute, got ${rate.toSeconds()} s`, {
        setting: 'schedule',
      });
    const rowsPerRun = props.rowsPerRun ?? DEFAULT_ROWS_PER_RUN;
    if (!Number.isInteger(rowsPerRun) || rowsPerRun < 2 || rowsPerRun > 50_000)
      throw new ConfigurationError(
        `ConsistencyValidator rowsPerRun must be a whole number from 2 to 50000 (a run must end within its timeout), got ${rowsPerRun}`,
        { setting: 'rowsPerRun' },
      );
    this.sweepRowsPerDay = sweepRowsPerDay(rowsPerRun, rate.toSeconds());

    this.sweepTable = new dynamodb.Table(this, 'SweepTable', {
      partitionKey: { name: 'entity', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only a cursor: losing it restarts the sweep from the first key.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue');
    this.function = new CutoverFunction(this, 'Function', {
      functionDir: 'consistency-validator',
      spec: props.spec,
      description: 'cutover: continuous validation of migrated data (rolling sample, consistency.divergence events)',
      // Measured locally (PGlite + dynalite, a loaded 2-core machine): 3,500 swept rows in 17-26 s. The
      // margin is for a slow or distant database and for the recent-changes half.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: {
        MIGRATION_TABLES: JSON.stringify(Object.fromEntries(entities.map((e) => [e, props.tables.entityTables[e]]))),
        SWEEP_TABLE_NAME: this.sweepTable.tableName,
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        VALIDATE_ENTITIES: entities.join(','),
        SAMPLE_SIZE: String(rowsPerRun),
        SOURCE_SECRET_ARN: props.sourceSecret.secretArn,
        ...(props.lagSeconds !== undefined ? { LAG_SECONDS: String(props.lagSeconds) } : {}),
      },
      ...(props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups } : {}),
    });
    acknowledgeFunctionFindings(this.function);
    if (props.vpc) {
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'The AWS managed VPC access policy only lets the function manage its own network interfaces in the VPC.',
      });
    }
    props.sourceSecret.grantRead(this.function);
    this.function.configureAsyncInvoke({ onFailure: new SqsDestination(this.deadLetterQueue), ...ASYNC_RETRY });
    props.tables.grantVerifyRead(this.function);
    this.sweepTable.grant(this.function, 'dynamodb:GetItem', 'dynamodb:PutItem');
    props.servicesBus.grantPutEventsTo(this.function);

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'cutover: run continuous validation of migrated data',
      schedule: events.Schedule.rate(rate),
      // A missed run is worth little an hour later: the next one samples again.
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
