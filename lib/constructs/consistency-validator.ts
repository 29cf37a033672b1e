import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Spec } from '../../core/spec';
import { ASYNC_RETRY } from './audit-log';
import { CutoverFunction } from './cutover-function';
import { deadLetterQueue } from './dead-letter-queue';
import { acknowledgeFunctionFindings } from './function-acks';
import type { ServiceTables } from './service-tables';
import { ConfigurationError } from '../../core/errors';

export interface ConsistencyValidatorProps {
  readonly spec: Spec;
  readonly tables: ServiceTables;
  /** Where `consistency.divergence` events go. */
  readonly servicesBus: events.IEventBus;
  /**
   * The monolith's database URL (postgres://... or mysql://...), read-only access is enough. On AWS pass a
   * Secrets Manager value (`secret.secretValueFromJson('url').unsafeUnwrap()`: CloudFormation resolves it
   * at deploy). When absent the function is deployed but each run fails naming SOURCE_URL.
   * @default - none
   */
  readonly sourceUrl?: string;
  /** @default Duration.minutes(15) */
  readonly schedule?: Duration;
  /** Rows per entity per run. @default 200 */
  readonly sampleSize?: number;
  /** Overrides every entity's `verify.lagSeconds`. @default - each entity's own, else 60 */
  readonly lagSeconds?: number;
  /** Entities to validate. @default - every entity of the migration section */
  readonly entities?: readonly string[];
}

/**
 * Continuous validation: a scheduled Lambda checks a rolling sample of every migrated entity against its
 * service table and emits `consistency.divergence` on the services bus. The sweep cursor lives in a small
 * table so each run continues where the previous one stopped.
 */
export class ConsistencyValidator extends Construct {
  public readonly function: CutoverFunction;
  public readonly sweepTable: dynamodb.Table;
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: sqs.Queue;

  public constructor(scope: Construct, id: string, props: ConsistencyValidatorProps) {
    super(scope, id);
    const entities = props.entities ?? Object.keys(props.spec.migration?.entities ?? {});
    for (const e of entities) {
      if (!props.tables.entityTables[e])
        throw new ConfigurationError(`ConsistencyValidator entities: ${JSON.stringify(e)} is not an entity of the migration section`, {
          setting: 'entities',
        });
    }
    const rate = props.schedule ?? Duration.minutes(15);
    if (rate.toSeconds() < 60)
      throw new ConfigurationError(`ConsistencyValidator schedule must be at least 1 minute, got ${rate.toSeconds()} s`, {
        setting: 'schedule',
      });

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
      timeout: Duration.minutes(2),
      memorySize: 512,
      environment: {
        MIGRATION_TABLES: JSON.stringify(Object.fromEntries(entities.map((e) => [e, props.tables.entityTables[e]]))),
        SWEEP_TABLE_NAME: this.sweepTable.tableName,
        SERVICES_BUS_NAME: props.servicesBus.eventBusName,
        VALIDATE_ENTITIES: entities.join(','),
        SAMPLE_SIZE: String(props.sampleSize ?? 200),
        ...(props.lagSeconds !== undefined ? { LAG_SECONDS: String(props.lagSeconds) } : {}),
        ...(props.sourceUrl ? { SOURCE_URL: props.sourceUrl } : {}),
      },
    });
    acknowledgeFunctionFindings(this.function);
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
